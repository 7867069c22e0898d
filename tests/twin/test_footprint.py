"""Footprints are to scale and point the right way (checked against pyproj.Geod)."""
import numpy as np
import pytest
from pyproj import Geod

from twin.footprint import footprints

GEOD = Geod(ellps="WGS84")


@pytest.mark.parametrize("course", [0.0, 37.5, 90.0, 211.0, 359.0])
def test_bow_and_stern_match_geodesic(course):
    lon, lat, length = -74.07, 40.64, 366.0
    ring = footprints([lon], [lat], [course], [length / 2], [length / 2], [24.0], [24.0])[0]
    bow, stern = ring[2], ring[0:5:4].mean(axis=0)
    blon, blat, _ = GEOD.fwd(lon, lat, course, length / 2)
    _, _, err = GEOD.inv(bow[0], bow[1], blon, blat)
    assert err < 0.1                                            # metres
    _, _, hull = GEOD.inv(stern[0], stern[1], bow[0], bow[1])
    assert hull == pytest.approx(length, abs=0.2)
    _, _, beam = GEOD.inv(*ring[0], *ring[4])
    assert beam == pytest.approx(48.0, abs=0.1)


def test_ring_is_closed_and_starboard_is_on_the_right():
    ring = footprints([0.0], [0.0], [90.0], [50], [50], [5], [15])[0]   # heading east
    assert np.array_equal(ring[0], ring[-1])
    stern_port, stern_stbd = ring[0], ring[4]
    assert stern_port[1] > stern_stbd[1]     # facing east, port is north, starboard south
    assert ring[2][0] > ring[0][0]           # the bow is east of the stern

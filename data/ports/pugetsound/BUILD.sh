#!/bin/sh
# How this package was made (run from the repository root): the same `port init` a user runs
# for another port, on the bundled source geometry and AIS day in data/sources/pugetsound (see
# data/SOURCES.md). Berths and anchorages the sources lack are learned from where the AIS
# history's ships stopped (--learn-from; `source = "ais"` on those features). The Tacoma tide
# harmonics live in this package (harmonics/noaa_9446484.json); Seattle's are bundled.
python app.py port init --out data/ports/pugetsound \
  --name "Puget Sound (Seattle and Tacoma)" --name-zh "普吉特海湾（西雅图、塔科马）" \
  --locode USSEA --timezone America/Los_Angeles --language en \
  --bbox -122.75 47.15 -122.15 47.80 \
  --coastline data/sources/pugetsound/pugetsound_land_gshhs_f.geojson \
  --terminals data/sources/pugetsound/pugetsound_industrial_port.geojson \
  --docks data/sources/pugetsound/pugetsound_nav_units_active.geojson \
  --anchorages data/sources/pugetsound/pugetsound_anchorages_33CFR110.230.geojson \
  --learn-from data/sources/pugetsound/PugetSound_2020_06_30.traj \
  --tide-stations 9447130 9446484

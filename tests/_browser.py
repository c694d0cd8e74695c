"""Fixtures for the map tests: hand-built layers and one headless Chromium.

The layers are built here (not by the pipeline) on the shipped Liptako-Gourma
boundaries, with planted values: known suppressed counts, known hot/cold cells,
two hotspot regions (one cross-border), meetings and incidents, and hostile
strings in every text field.

Test modules import the builders, and the session fixture by name::

    from _browser import HOSTILE, PageRun, all_layers
    from _browser import browser as browser  # noqa: F401 - the session fixture
"""

from __future__ import annotations

import os
import shutil
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from pyproj import CRS
from shapely.geometry import Point, box

REPO = Path(__file__).resolve().parents[1]
BOUNDARIES = REPO / "data" / "boundaries"
LIPTAKO = BOUNDARIES / "ne10m_adm1_liptako_gourma_mli_bfa_ner.geojson"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Strings that break out of HTML, attributes, JS strings, template literals or
#: Jinja templates if they are not escaped. Each payload that runs sets
#: ``window.__pwned``.
HOSTILE = {
    "img": "<img src=x onerror=\"window.__pwned='img'\">",
    "script": "</script><script>window.__pwned='script'</script>",
    "quote": 'O\'Brien "the" `tick`',
    "template": "${window.__pwned='tpl'}",
    "backslash": "C:\\new\\table \\u003c \\",
    "arabic": "تيلابيري – مركز الشرطة",
    "entity": "&amp; &lt;b&gt;",
    "jinja": "{{ 7*7 }} {% if true %}J{% endif %}",
    "svg": "<svg onload=\"window.__pwned='svg'\"></svg>",
    "js": "';window.__pwned='js';//",
    "separator": "line\u2028sep\u2029end",
    "dollar": "$x^2$ \\alpha",
}

TOPICS = "cattle theft; " + HOSTILE["img"] + "; " + HOSTILE["template"] + "; " + HOSTILE["arabic"]


def liptako_units(*, seed: int = 1) -> gpd.GeoDataFrame:
    """The 62 shipped Liptako-Gourma units with planted counts.

    Unit 0 has 3 incidents (suppressed in the public view), unit 1 has 0,
    unit 2 has 4, the rest 5 to 300. Category columns ``iccs02_harm`` and
    ``iccs05_property`` split the total; ``rate_per_100k`` is derived.
    """
    raw = gpd.read_file(LIPTAKO)
    raw["geometry"] = raw.geometry.make_valid()
    rng = np.random.default_rng(seed)
    n = len(raw)
    incidents = rng.integers(5, 300, n)
    incidents[0], incidents[1], incidents[2] = 3, 0, 4
    harm = (incidents * 0.4).astype(int)
    units = gpd.GeoDataFrame(
        {
            "unit_id": raw["hasc"].astype(str).to_numpy(),
            "name": raw["name"].astype(str).to_numpy(),
            "country": raw["adm0_iso3"].astype(str).to_numpy(),
            "incidents": incidents,
            "iccs02_harm": harm,
            "iccs05_property": incidents - harm,
            "rate_per_100k": np.round(incidents / 3.7, 2),
        },
        geometry=raw.geometry.to_numpy(),
        crs=4326,
    )
    return units


def border_from_units(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Border lines between each pair of countries (outline of A near B)."""
    countries = units.dissolve("country").geometry
    rows = []
    codes = sorted(countries.index)
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            line = countries[a].boundary.intersection(countries[b].buffer(0.02))
            if not line.is_empty and line.length > 0.05:
                rows.append({"countries": f"{a},{b}", "geometry": line})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


def cells_grid() -> gpd.GeoDataFrame:
    """A 12 x 10 grid of 0.25 degree cells on the Mali-Niger border near Ménaka.

    Planted classes: 2 hot 99 %, 3 hot 95 %, 4 hot 90 %, 2 cold 95 %; the other
    109 cells are not significant.
    """
    x0, y0, size = 0.5, 14.0, 0.25
    geoms, labels = [], []
    for r in range(10):
        for c in range(12):
            geoms.append(
                box(x0 + c * size, y0 + r * size, x0 + (c + 1) * size, y0 + (r + 1) * size)
            )
            labels.append("Not significant")
    plant = {
        0: "Hot spot - 99% confidence",
        1: "Hot spot - 99% confidence",
        2: "Hot spot - 95% confidence",
        3: "Hot spot - 95% confidence",
        4: "Hot spot - 95% confidence",
        12: "Hot spot - 90% confidence",
        13: "Hot spot - 90% confidence",
        14: "Hot spot - 90% confidence",
        15: "Hot spot - 90% confidence",
        100: "Cold spot - 95% confidence",
        101: "Cold spot - 95% confidence",
    }
    for i, label in plant.items():
        labels[i] = label
    n = len(geoms)
    count = np.zeros(n, dtype=int)
    for i in plant:
        count[i] = 40 if plant[i].startswith("Hot") else 0
    count[13] = 2  # a hot cell with a small count: "<5" in the public view
    z = np.where([lab.startswith("Hot") for lab in labels], 3.1, 0.2)
    z[[100, 101]] = -2.2
    return gpd.GeoDataFrame(
        {
            "cell_id": [f"c{i}" for i in range(n)],
            "count": count,
            "gi_z": z,
            "gi_p": np.where(np.abs(z) > 2, 0.004, 0.6),
            "gi_p_fdr": np.where(np.abs(z) > 2, 0.009, 0.8),
            "hotspot_kind": [
                lab.split(" ")[0].lower() if "spot" in lab else "none" for lab in labels
            ],
            "hotspot_confidence": [
                int(lab.split(" - ")[1][:2]) if "spot" in lab else 0 for lab in labels
            ],
            "countries": ["MLI,NER"] * n,
            "trend_class": [
                "intensifying hot spot" if i in (0, 1) else HOSTILE["js"] for i in range(n)
            ],
        },
        geometry=geoms,
        crs=4326,
    )


def hotspot_regions(*, hostile: bool = False) -> gpd.GeoDataFrame:
    """Two hotspot regions: 1 cross-border MLI-NER (134 incidents), 2 in Mali (3 incidents)."""
    return gpd.GeoDataFrame(
        {
            "hotspot_id": [1, HOSTILE["img"] if hostile else 2],
            "n_incidents": [134, 3],
            "countries": ["MLI,NER", "MLI"],
            "cross_border": [True, False],
            "border_km": [2.5, 80.0],
            "first_date": pd.to_datetime(["2023-02-03", "2023-06-01"]),
            "last_date": pd.to_datetime(["2023-09-30", "2023-07-15"]),
        },
        geometry=[box(0.55, 14.05, 1.6, 14.6), box(-1.0, 15.5, -0.5, 16.0)],
        crs=4326,
    )


def cluster_regions() -> gpd.GeoDataFrame:
    """One cross-border cluster BFA-NER and one in Niger."""
    return gpd.GeoDataFrame(
        {
            "cluster_id": [7, 8],
            "n_incidents": [52, 11],
            "countries": ["BFA,NER", "NER"],
            "cross_border": [True, False],
            "border_km": [1.0, 40.0],
            "first_date": pd.to_datetime(["2023-01-10", "2023-03-01"]),
            "last_date": pd.to_datetime(["2023-12-01", "2023-04-01"]),
        },
        geometry=[box(0.9, 13.2, 1.5, 13.7), box(2.0, 13.0, 2.4, 13.4)],
        crs=4326,
    )


def crowded_regions(
    border: gpd.GeoDataFrame, *, n: int = 18, kind: str = "hotspot"
) -> gpd.GeoDataFrame:
    """``n`` regions crowded along the border, like the demo (18 hotspots, 19 clusters).

    Region ``i`` is a 0.4 degree square centred on a point along one of the
    border lines, shifted 0.3 degree north, south or not at all; the unshifted
    ones (``i % 3 == 0``) are cross-border, on each of the three borders. Incidents fall with ``i`` (``400 - 15 i``);
    region 17 has 3 (shown as "<5" in the public view). All run through 2023,
    except region 4 (June and July only).
    """
    lines = [shapely.line_merge(g) for g in border.geometry]
    shifts = [0.0, 0.3, -0.3]
    geoms, countries, cross = [], [], []
    for i in range(n):
        j = (i + i // 3) % len(lines)
        line = lines[j]
        pt = shapely.line_interpolate_point(line, ((i // 3) * 0.37 + 0.2) % 1.0, normalized=True)
        dy = shifts[(i // 3 + i) % 3] if i % 3 else 0.0
        x, y = pt.x, pt.y + dy
        geoms.append(box(x - 0.2, y - 0.2, x + 0.2, y + 0.2))
        pair = border["countries"].iloc[j]
        cross.append(i % 3 == 0)
        countries.append(pair if i % 3 == 0 else pair.split(",")[i % 2])
    n_inc = [400 - 15 * i for i in range(n)]
    if n > 17:
        n_inc[17] = 3
    first = ["2023-01-01"] * n
    last = ["2023-12-31"] * n
    if n > 4:
        first[4], last[4] = "2023-06-01", "2023-07-31"
    return gpd.GeoDataFrame(
        {
            f"{kind}_id": list(range(1, n + 1)),
            "n_incidents": n_inc,
            "countries": countries,
            "cross_border": cross,
            "border_km": [0.0 if c else 30.0 for c in cross],
            "first_date": pd.to_datetime(first),
            "last_date": pd.to_datetime(last),
        },
        geometry=geoms,
        crs=4326,
    )


def meetings(*, hostile: bool = False) -> gpd.GeoDataFrame:
    """Five meetings in 2023 with attendance; meeting 0 has 2 migrants."""
    n = 5
    places = ["Ménaka", "Tillabéri", "Dori", "Gao", "Ayorou"]
    topics = ["cattle theft; road banditry"] * n
    if hostile:
        places[0] = HOSTILE["img"]
        places[1] = HOSTILE["script"]
        places[2] = HOSTILE["quote"]
        places[3] = HOSTILE["arabic"]
        places[4] = HOSTILE["jinja"]
        topics = [
            TOPICS,
            HOSTILE["backslash"],
            HOSTILE["entity"],
            HOSTILE["separator"],
            HOSTILE["svg"],
        ]
    return gpd.GeoDataFrame(
        {
            "id": [f"MTG-{i}" for i in range(n)],
            "date": pd.to_datetime(
                ["2023-02-10", "2023-04-02", "2023-04-20", "2023-08-05", "2023-11-11"]
            ),
            "place": places,
            "topics": topics,
            "att_women": [12, 20, 8, 15, 30],
            "att_men": [18, 25, 10, 20, 22],
            "att_youth": [5, 9, 4, 6, 7],
            "att_migrants": [2, 6, 0, 5, 9],
            "att_police": [3, 4, 2, 5, 6],
            "att_leaders": [4, 3, 2, 6, 5],
            "attendance": [44, 67, 26, 57, 79],
        },
        geometry=[
            Point(2.19, 15.91),
            Point(1.45, 14.21),
            Point(-0.03, 14.03),
            Point(-0.04, 16.27),
            Point(0.92, 14.73),
        ],
        crs=4326,
    )


def incidents(n: int = 200, *, seed: int = 3, hostile: bool = False) -> gpd.GeoDataFrame:
    """``n`` incidents around the Mali-Niger border in 2023."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(0.6, 3.0, n).round(5)
    lat = rng.uniform(13.8, 15.8, n).round(5)
    cats = np.array(["iccs02_harm", "iccs05_property", "iccs03_sexual", "iccs04_violent_property"])
    days = rng.integers(0, 365, n)
    frame = gpd.GeoDataFrame(
        {
            "id": [f"INC-{i:06d}" for i in range(n)],
            "date": pd.Timestamp("2023-01-01") + pd.to_timedelta(days, unit="D"),
            "category": cats[rng.integers(0, len(cats), n)],
            "category_raw": ["Vol de bétail"] * n,
            "sensitive": rng.random(n) < 0.1,
            "unit_name": ["Ménaka"] * n,
            "country": ["MLI"] * n,
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    if hostile:
        frame["id"] = frame["id"].astype(object)
        frame["category_raw"] = frame["category_raw"].astype(object)
        frame["unit_name"] = frame["unit_name"].astype(object)
        frame.loc[0, "id"] = HOSTILE["js"]
        frame.loc[0, "category_raw"] = HOSTILE["img"]
        frame.loc[0, "unit_name"] = HOSTILE["template"]
        frame.loc[1, "category_raw"] = HOSTILE["script"]
    return frame


def density_surface() -> types.SimpleNamespace:
    """A plain density object: a Gaussian bump in a LAEA CRS, NaN in one corner."""
    crs = CRS.from_proj4("+proj=laea +lat_0=14.5 +lon_0=1.5 +datum=WGS84 +units=m +no_defs")
    cell = 5000.0
    rows, cols = 60, 80
    y, x = np.mgrid[0:rows, 0:cols]
    values = np.exp(-(((x - 40) / 12.0) ** 2 + ((y - 30) / 10.0) ** 2))
    values[:10, :10] = np.nan
    transform = Affine(cell, 0.0, -200_000.0, 0.0, -cell, 150_000.0)
    return types.SimpleNamespace(values=values, transform=transform, crs=crs)


def hostile_units() -> gpd.GeoDataFrame:
    """Liptako units with hostile names (rows 0 and 10-21) and an unknown country code."""
    units = liptako_units()
    units["name"] = units["name"].astype(object)
    for i, value in enumerate(HOSTILE.values()):
        units.loc[10 + i, "name"] = value
    units.loc[0, "name"] = HOSTILE["img"]  # Timbuktu: hotspot 2's label names it
    units["country"] = units["country"].astype(object)
    units.loc[30, "country"] = HOSTILE["img"]
    return units


def all_layers(*, hostile: bool = False, n_incidents: int = 200) -> dict[str, Any]:
    units = hostile_units() if hostile else liptako_units()
    return {
        "units": units,
        "border": border_from_units(liptako_units()),
        "cells": cells_grid(),
        "hotspots": hotspot_regions(hostile=hostile),
        "clusters": cluster_regions(),
        "meetings": meetings(hostile=hostile),
        "incidents": incidents(n_incidents, hostile=hostile),
        "density": density_surface(),
    }


def crowded_layers() -> dict[str, Any]:
    """Like the demo: 18 hotspot regions and 19 clusters crowded along the border."""
    units = liptako_units()
    border = border_from_units(units)
    return {
        "units": units,
        "border": border,
        "cells": cells_grid(),
        "hotspots": crowded_regions(border),
        "clusters": crowded_regions(border, n=19, kind="cluster"),
        "meetings": meetings(),
    }


# ---------------------------------------------------------------------------
# headless Chromium


def chromium_available() -> bool:
    return CHROMIUM.exists() and shutil.which(str(CHROMIUM)) is not None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session (Debian's /usr/bin/chromium).

    Skips when Chromium or Playwright is missing, except on CI (``CI=true``),
    where a missing browser fails the run.
    """
    on_ci = os.environ.get("CI", "").lower() == "true"
    if not chromium_available():
        if on_ci:
            pytest.fail(f"{CHROMIUM} is missing on CI")
        pytest.skip(f"{CHROMIUM} is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        if on_ci:
            pytest.fail("playwright is not installed on CI")
        pytest.skip("playwright is not installed")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class PageRun:
    """A page opened from a file with every network request blocked and recorded."""

    def __init__(
        self, browser: Any, path: Path, *, width: int = 1400, height: int = 900, query: str = ""
    ) -> None:
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": height})
        page = self.context.new_page()
        page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(msg.text))
        page.on("pageerror", lambda err: self.page_errors.append(str(err)))

        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith(("file:", "data:", "about:", "blob:")):
                r.continue_()
            else:
                self.requests.append(url)
                r.abort()

        page.route("**/*", route)
        page.add_init_script(
            "window.__alerts = [];"
            "window.alert = function (m) { window.__alerts.push(String(m)); window.__pwned = 'alert'; };"
        )
        page.goto(path.resolve().as_uri() + query, wait_until="load")
        page.wait_for_function(
            "window.__borderwatch && window.__borderwatch.length > 0", timeout=15000
        )
        self.page = page

    def close(self) -> None:
        self.context.close()

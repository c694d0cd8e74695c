"""Wave 18's speed paths: what they change and what they keep (issue #13)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("fontTools")


@pytest.mark.parametrize(("lang", "title"), [("en", "Liptako map"), ("ar", "خريطة ليبتاكو")])
def test_the_printed_map_embeds_fonts_without_layout_tables(
    tmp_path: Path, lang: str, title: str
) -> None:
    """map.pdf's font subsets hold the glyphs, metrics and character maps, not the OpenType
    layout tables (matplotlib lays the text out); its text reads as before, in both
    scripts, and each font file is still embedded once."""
    from _browser import all_layers
    from _pdf_text import font_tables, page_text
    from _pdf_text import fonts as pdf_fonts
    from borderwatch import BorderwatchWarning
    from borderwatch.maps import Layers, export_static
    from borderwatch.maps._static_files import LAYOUT_TABLES

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BorderwatchWarning)
        out = export_static(
            None,
            tmp_path / "map.pdf",
            layers=Layers(**all_layers()),
            lang=lang,
            title=title,
            source="ACLED Niamey, fieldwork",
            synthetic=True,
        )
    raw = out.read_bytes()
    tables = font_tables(raw)
    found = pdf_fonts(raw)
    assert tables and len(tables) == found.files == len(found.base_names)
    for tags in tables:
        assert {"glyf", "loca", "hmtx", "cmap", "head"} <= tags
        assert not tags & set(LAYOUT_TABLES)
    text = page_text(raw)
    assert "ACLED Niamey, fieldwork" in text
    assert title in text if lang == "en" else title[::-1] in text


def test_the_layout_tables_are_subset_again_after_the_block() -> None:
    """:func:`outline_subsets` changes fontTools' default for its block only (also when the
    block raises), so other users of fontTools in the same process keep theirs."""
    from fontTools import subset

    from borderwatch.maps._static_files import outline_subsets

    before = list(subset.Options().drop_tables)
    with pytest.raises(RuntimeError, match="inside"), outline_subsets():
        assert {"GSUB", "GPOS", "GDEF"} <= set(subset.Options().drop_tables)
        msg = "inside"
        raise RuntimeError(msg)
    assert subset.Options().drop_tables == before


def test_overlapping_blocks_restore_the_default_when_the_last_ends() -> None:
    """Blocks open in two threads at once (two maps written side by side): the first to
    end leaves the layout tables dropped for the other, and the last to end restores
    fontTools' own default, not the other block's."""
    from fontTools import subset

    from borderwatch.maps._static_files import outline_subsets

    before = list(subset.Options().drop_tables)
    first, second = outline_subsets(), outline_subsets()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first block ends while the second is open
    assert "GPOS" in subset.Options().drop_tables
    second.__exit__(None, None, None)
    assert subset.Options().drop_tables == before


def test_a_fonttools_without_the_default_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where fontTools has no ``_drop_tables_default`` list the block does nothing."""
    from fontTools import subset

    from borderwatch.maps._static_files import outline_subsets

    monkeypatch.setattr(subset.Options, "_drop_tables_default", None)
    with outline_subsets():
        assert subset.Options._drop_tables_default is None


@pytest.mark.parametrize("n_right", [0, 10, 20, 34, 35, 36, 49, 50, 69, 70, 71, 100])
def test_the_exchanged_test_is_skipped_only_where_it_cannot_refuse(n_right: int) -> None:
    """The points are tested exchanged only when at most 70 % of them fall inside the
    units as given: above that, exchanged they cannot fit the units by the margin (30
    points in 100) more. The decisions are those of both tests together: of 100 points,
    ``n_right`` inside as given and the rest inside only when exchanged, the file is
    refused as swapped when at least 30 more fit exchanged and more than half do
    (``n_right`` <= 35), else as outside the units when more than half miss them."""
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import box

    from borderwatch import DataError, read_incidents, read_units

    units = read_units(
        gpd.GeoDataFrame(
            {"unit_id": ["A"], "name": ["a"], "country": ["NER"]},
            geometry=[box(30, 5, 40, 15)],
            crs=4326,
        )
    )
    lon = [35.0] * n_right + [10.0] * (100 - n_right)  # (35, 10) inside; (10, 35) only exchanged
    lat = [10.0] * n_right + [35.0] * (100 - n_right)
    frame = pd.DataFrame({"lon": lon, "lat": lat})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if n_right <= 35:
            with pytest.raises(DataError, match="look swapped"):
                read_incidents(frame, units=units)
        elif n_right < 50:
            with pytest.raises(DataError, match="fall outside the study area"):
                read_incidents(frame, units=units)
        else:
            assert len(read_incidents(frame, units=units)) == 100


@pytest.mark.parametrize(
    "crs", ["EPSG:3857", "EPSG:32631", "ESRI:102022", "+proj=ortho +lon_0=2 +lat_0=13"]
)
def test_the_locations_metric_xy_are_their_points_xy(crs: str) -> None:
    """The join's locations keep the numbers their metric points were made of: the same
    x and y, bit for bit, as read back from the points (also where the projection gives
    infinities or NaN: the far side of an orthographic view)."""
    import geopandas as gpd
    import numpy as np
    from pyproj import CRS

    from borderwatch.join import _Locations, _point_xy

    rng = np.random.default_rng(7)
    lon = np.r_[rng.uniform(-180, 180, 3000), [2.0, 2.0, 179.9, -179.9, 0.0]]
    lat = np.r_[rng.uniform(-89, 89, 3000), [13.0, 13.0, -45.0, 89.9, -89.9]]
    lon, lat = np.r_[lon, lon[:500]], np.r_[lat, lat[:500]]  # repeated locations
    geo = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326)
    at = _Locations.of(geo, CRS(crs))
    assert at.projected_xy is not None and at.where is not None
    x, y = at.xy
    rx, ry = _point_xy(at.metric.array)
    assert np.array_equal(x, rx, equal_nan=True) and np.array_equal(y, ry, equal_nan=True)
    direct = geo.to_crs(crs)  # and the points are those of to_crs
    assert np.array_equal(at.spread(x), _point_xy(direct.array)[0], equal_nan=True)

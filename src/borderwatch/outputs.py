"""Writing the output directory of an analysis, atomically (:func:`write_outputs`).

The files and their columns are the contract in ``../shared/CONTRACT.md`` and
``docs/outputs.md``. Frames are written in EPSG:4326; demo data get a ``data``
column (and a GeoTIFF tag) saying SYNTHETIC.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ._crs import WGS84
from ._geom import gc_frozen
from ._memo import remembering
from ._result import AnalysisResult
from ._schema import SYNTHETIC, hotspot_labels

__all__ = ["write_outputs"]

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def write_outputs(
    result: AnalysisResult,
    out: str | os.PathLike[str],
    *,
    lang: str | None = None,
    tiles: str | None = None,
    static: bool | None = None,
    handout: bool | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write the output directory of an analysis, atomically.

    Everything is written to a temporary directory next to ``out`` and moved
    into place only when complete, so a failure never leaves a half-written
    directory. Files: ``summary.json``, ``hotspots.gpkg`` (layers ``units``,
    ``border``, ``cells``, ``hotspots``, ``clusters``, ``scan``), ``units.csv``,
    ``counts.csv``, ``priorities.csv``, ``action_plan.xlsx`` (and the gpkg layer
    ``priorities``), ``density.tif``, ``map.html`` and, with ``static``,
    ``map.png`` and ``map.pdf``, and with ``handout`` one ``handout_<lang>.pdf``
    per language.

    Parameters
    ----------
    result : AnalysisResult
        From :func:`borderwatch.analyze`.
    out : path
        The output directory; replaced as a whole if it exists.
    lang, tiles, static, handout : optional
        The language (or comma-separated languages: the first is the map's,
        each gets a handout), an online tile basemap, whether to draw the
        PNG/PDF maps, and whether to write the facilitator's handouts; default:
        the result's settings.
    progress : callable, optional
        Called with a short message before each file.

    Returns
    -------
    Path
        ``out``.
    """
    say = progress or _quiet
    s = result.settings
    target = Path(out)
    parent = target.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    try:
        with remembering(), gc_frozen():  # results per geometry array, for these files only
            _write_all(
                result,
                tmp,
                langs=(s if lang is None else s.replace(lang=lang)).languages,
                tiles=tiles if tiles is not None else s.tiles,
                static=static if static is not None else s.static,
                handout=handout if handout is not None else s.handout,
                say=say,
            )
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; give the folder the user's usual mode
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=parent))
            os.replace(target, old / "previous")
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _write_all(
    result: AnalysisResult,
    d: Path,
    *,
    langs: tuple[str, ...],
    tiles: str | None,
    static: bool,
    handout: bool,
    say: Progress,
) -> None:
    if result.priorities is not None:  # the reasons in the map's language, from the columns shown
        from .planning import with_reasons

        pr = with_reasons(result.priorities, result.settings, lang=langs[0], k=result.k)
        result = result.replace(priorities=pr)
    from ._beside import Beside
    from .maps._prepare import prepare
    from .maps.static import save_prepared

    # one prepared view for map.html and the printed map (what make_map and
    # export_static would each prepare again); the printed map is drawn in a forked
    # child while the other files are written (the same files; see _beside)
    p = prepare(result, view=result.view, lang=langs[0], k=result.k)
    printed = (
        Beside(
            lambda: save_prepared(p, [d / "map.png", d / "map.pdf"], split=True),
            what="drawing map.png and map.pdf",
        )
        if static
        else None
    )
    try:
        planned, handouts = _write_files(
            result, d, p, langs=langs, tiles=tiles, handout=handout, say=say
        )
    except BaseException:
        if printed is not None:
            printed.cancel()
        raise
    if printed is not None:
        say("drawing map.png and map.pdf")
        printed.wait()
    summary = dict(result.summary)
    summary["view"] = result.view
    summary["files"] = sorted(
        ["summary.json", "hotspots.gpkg", "units.csv", "map.html"]
        + (["counts.csv"] if result.counts is not None else [])
        + (["density.tif"] if result.density is not None else [])
        + (["map.png", "map.pdf"] if static else [])
        + handouts
        + planned
    )
    text = json.dumps(summary, indent=2, ensure_ascii=False, default=_json_default)
    (d / "summary.json").write_text(text, encoding="utf-8")


def _write_files(
    result: AnalysisResult,
    d: Path,
    p: Any,
    *,
    langs: tuple[str, ...],
    tiles: str | None,
    handout: bool,
    say: Progress,
) -> tuple[list[str], list[str]]:
    """Every file but summary.json and the printed map; returns the names of the planning
    files and of the handouts."""
    from .maps import export_handout, save_map
    from .maps.web import map_of, tiles_spec

    say("writing hotspots.gpkg")
    _write_layers(result, d / "hotspots.gpkg")
    _write_tables(result, d)
    planned = _write_planning(result, d, lang=langs[0])
    if result.density is not None:
        say("writing density.tif")
        _write_density(result, d / "density.tif")
    say("drawing map.html")
    save_map(map_of(p, tiles=tiles_spec(tiles, None, langs[0])), d / "map.html")
    handouts = [f"handout_{code}.pdf" for code in langs] if handout else []
    for code, name in zip(langs, handouts, strict=False):
        say(f"drawing {name}")
        export_handout(result, d / name, view=result.view, lang=code, k=result.k)
    return planned, handouts


def _write_layers(result: AnalysisResult, gpkg: Path) -> None:
    layers: dict[str, gpd.GeoDataFrame | None] = {
        "units": result.units,
        "border": result.border,
        "cells": result.cells,
        "hotspots": result.hotspots,
        "clusters": result.clusters,
        "scan": result.scan,
        "priorities": result.priorities,
    }
    for name, layer in layers.items():
        if layer is None:
            continue
        frame = _to_gpkg_frame(layer)
        if result.synthetic:
            frame["data"] = SYNTHETIC
        frame.to_file(gpkg, layer=name, driver="GPKG")


def _write_tables(result: AnalysisResult, d: Path) -> None:
    units_tbl = with_labels(pd.DataFrame(result.units.drop(columns=result.units.geometry.name)))
    counts_tbl = result.counts.copy() if result.counts is not None else None
    if result.synthetic:
        units_tbl["data"] = SYNTHETIC
        if counts_tbl is not None:
            counts_tbl["data"] = SYNTHETIC
    units_tbl.to_csv(d / "units.csv", index=False)
    if counts_tbl is not None:
        counts_tbl.to_csv(d / "counts.csv", index=False)


def _write_planning(result: AnalysisResult, d: Path, *, lang: str) -> list[str]:
    """``priorities.csv`` and ``action_plan.xlsx`` (the reasons in ``lang``)."""
    if result.priorities is None:
        return []
    from .planning import with_reasons
    from .planning.actions import action_plan

    pr = with_reasons(result.priorities, result.settings, lang=lang, k=result.k)
    table = pd.DataFrame(pr.drop(columns=pr.geometry.name))  # type: ignore[union-attr]
    for col in ("last_meeting",):
        if col in table and pd.api.types.is_datetime64_any_dtype(table[col]):
            table[col] = table[col].dt.strftime("%Y-%m-%d")
    plan = action_plan(pr, rows=result.settings.plan_rows)
    if result.synthetic:
        table["data"] = SYNTHETIC
    table.to_csv(d / "priorities.csv", index=False)
    sheets = {} if result.planning is None else result.planning.sheets()
    _write_action_plan(plan, d / "action_plan.xlsx", synthetic=result.synthetic, sheets=sheets)
    return ["priorities.csv", "action_plan.xlsx"]


def _write_action_plan(
    plan: pd.DataFrame,
    path: Path,
    *,
    synthetic: bool,
    sheets: dict[str, pd.DataFrame] | None = None,
) -> None:
    """The action plan on its first sheet (read back with ``--actions``), a note on the second,
    then the planning tables (:meth:`borderwatch.planning.Planning.sheets`), one per sheet."""
    notes = pd.DataFrame(
        {
            "note": [
                "Fill in action, owner, due (YYYY-MM-DD) and status (open, done, dropped) for "
                "the actions agreed for each area, and done_date when an action is done; add "
                "rows for more actions. Next time, give this file to borderwatch with --actions "
                "(check it first with borderwatch validate): rows without an action are skipped.",
                "The other sheets are the planning tables behind the priorities: coverage "
                "(meetings near each area, outreach gaps), representation (women, youth, "
                "migrants among attendees), effectiveness (incidents before and after each "
                "meeting or action: an association, not proof of cause), overdue actions and, "
                "when incidents carry a source, counts by source. docs/planning.md explains "
                "every column.",
                *([SYNTHETIC] if synthetic else []),
            ]
        }
    )
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        plan.to_excel(xl, sheet_name="action plan", index=False)
        notes.to_excel(xl, sheet_name="how to use", index=False)
        sheet = xl.sheets["action plan"]
        widths = {"A": 6, "B": 24, "C": 12, "D": 12, "E": 80, "H": 40, "I": 20, "J": 12}
        for col, width in widths.items():
            sheet.column_dimensions[col].width = width
        xl.sheets["how to use"].column_dimensions["A"].width = 120
        for name, frame in (sheets or {}).items():
            if synthetic:
                frame = frame.assign(data=SYNTHETIC)
            frame.to_excel(xl, sheet_name=name[:31], index=False)


def _write_density(result: AnalysisResult, path: Path) -> None:
    result.density.to_geotiff(path)  # type: ignore[union-attr]
    if result.synthetic:
        import rasterio

        with rasterio.open(path, "r+") as dst:
            dst.update_tags(DATA=SYNTHETIC)


def with_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """The contract's display column ``hotspot``, before ``hotspot_kind``, where a frame has classes."""
    if "hotspot_kind" not in frame.columns:
        return frame
    out = frame.copy()
    out.insert(list(out.columns).index("hotspot_kind"), "hotspot", hotspot_labels(out))
    return out


def _to_gpkg_frame(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    gdf = with_labels(gdf)  # type: ignore[assignment]
    out = gdf.to_crs(WGS84) if gdf.crs is not None and not gdf.crs.equals(WGS84) else gdf.copy()
    for col in out.columns:
        if col == out.geometry.name:
            continue
        s = out[col]
        textual = (
            isinstance(s.dtype, pd.CategoricalDtype)
            or s.dtype == object
            or pd.api.types.is_string_dtype(s)
        )
        if not (len(out) and textual):
            continue
        kinds = s.astype(object).map(type, na_action="ignore")  # per distinct value, not per row
        nested = kinds.isin([list, tuple, dict]).to_numpy()
        if nested.any():
            obj = s.astype(object).copy()
            obj[nested] = [json.dumps(v) for v in obj[nested]]
            out[col] = obj
    return out


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, pd.Timestamp):
        return o.isoformat()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)

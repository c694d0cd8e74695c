"""The ``borderwatch`` command.

Exit codes: 0 success; 2 bad input (one paragraph on stderr, no traceback,
nothing written to ``--out``); 1 any other failure.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
import time
import tomllib
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from ._errors import BorderwatchWarning, DataError

__all__ = ["main"]

LANGS = ("en", "fr", "es", "pt", "ar")

_MEETING_KEYS = {
    "meeting_lon_col": "lon_col",
    "meeting_lat_col": "lat_col",
    "meeting_time_col": "time_col",
    "meeting_id_col": "id_col",
    "meeting_place_col": "place_col",
    "meeting_topics_col": "topics_col",
}
_ATTENDANCE_KEYS = (
    "att_women",
    "att_men",
    "att_youth",
    "att_migrants",
    "att_police",
    "att_leaders",
)

_CONFIG_KEYS = {
    "view",
    "lang",
    "cell_km",
    "engine",
    "lon_col",
    "lat_col",
    "time_col",
    "category_col",
    "id_col",
    "country_col",
    "unit_id_col",
    "unit_name_col",
    "unit_country_col",
    "drop_invalid",
    "tiles",
    "k",
    "permutations",
    "seed",
    "alpha",
    "bandwidth_km",
    "cluster_method",
    "eps_km",
    "min_samples",
    "days",
    "tolerance_km",
    "period",
    "grid",
    "weights",
    "knn",
    "crosswalk",
    "population",
    "meetings",
    "partitions",
    "static",
    "title",
    "date_format",
    "dayfirst",
    "attendance_cols",
    *_MEETING_KEYS,
}


class _Progress:
    """Step messages on stderr for long steps.

    Shown when stderr is a terminal (or with --progress); never with --quiet, so
    that scripts reading stderr see exactly one paragraph on bad input.
    """

    def __init__(self, quiet: bool, force: bool = False) -> None:
        self.quiet = quiet or not (force or sys.stderr.isatty())
        self.t0 = time.perf_counter()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.t0:6.1f}s] {message}", file=sys.stderr, flush=True)


def _add_common(p: argparse.ArgumentParser) -> None:
    cols = p.add_argument_group("column names (detected when omitted)")
    for opt, what in (
        ("lon-col", "longitude"),
        ("lat-col", "latitude"),
        ("time-col", "date/time or year"),
        ("category-col", "incident category"),
        ("id-col", "incident id"),
        ("country-col", "the incident's own country (ISO3 code or English name)"),
        ("unit-id-col", "unit id, e.g. adm2_code"),
        ("unit-name-col", "unit name, e.g. adm2_name"),
        ("unit-country-col", "unit country, e.g. adm0_iso3"),
    ):
        cols.add_argument(f"--{opt}", metavar="C", help=f"column holding the {what}")
    p.add_argument(
        "--drop-invalid",
        action="store_true",
        default=None,
        help="drop invalid rows (bad coordinates, (0,0), bad dates) with a warning instead of failing",
    )


def _add_output_options(p: argparse.ArgumentParser) -> None:
    """Options shared by the commands that write an output directory."""
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument(
        "--view", choices=("public", "internal"), default=None, help="public (default) or internal"
    )
    p.add_argument("--lang", choices=LANGS, default=None, help="language of the map (default en)")
    p.add_argument(
        "--tiles",
        metavar="URL",
        default=None,
        help="add an online tile basemap (default: none, offline)",
    )
    p.add_argument(
        "--no-static",
        dest="static",
        action="store_false",
        default=None,
        help="skip map.png / map.pdf",
    )
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    p.add_argument(
        "--progress",
        action="store_true",
        help="progress messages even when stderr is not a terminal",
    )


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    p = argparse.ArgumentParser(
        prog="borderwatch",
        description="Cross-border hotspots and offline meeting maps for community policing in border areas.",
        epilog="Exit codes: 0 success, 2 bad input (nothing written), 1 other failure.",
    )
    p.add_argument("--version", action="version", version=f"borderwatch {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = sub.add_parser(
        "demo",
        help="run the whole pipeline on the synthetic demo data",
        description="Run the whole pipeline on SYNTHETIC incidents and meetings on the real "
        "Liptako-Gourma boundaries (Mali, Burkina Faso, Niger).",
    )
    _add_output_options(demo)
    demo.add_argument("--seed", type=int, default=None, help="seed of the synthetic data")

    an = sub.add_parser(
        "analyze",
        help="analyse your own units and incidents",
        description="Join incidents (and meetings) to units on both sides of a border, find "
        "hotspots and clusters, and write the output directory.",
    )
    an.add_argument(
        "--units",
        required=True,
        metavar="FILE",
        help="administrative units (GeoJSON, GPKG, SHP, ...)",
    )
    an.add_argument(
        "--incidents",
        required=True,
        metavar="FILE",
        help="incidents (CSV, Excel, GeoJSON, GPKG, Parquet)",
    )
    an.add_argument("--meetings", metavar="FILE", default=None, help="community meetings")
    an.add_argument(
        "--population", metavar="RASTER", default=None, help="population-count GeoTIFF for rates"
    )
    _add_output_options(an)
    an.add_argument(
        "--cell-km",
        type=float,
        default=None,
        metavar="KM",
        help="grid cell size (default: from the data)",
    )
    an.add_argument(
        "--period",
        choices=("week", "month", "year"),
        default=None,
        help="time bin of counts.csv, unit x category x period (default month)",
    )
    an.add_argument(
        "--config", metavar="FILE.toml", default=None, help="settings file; options given here win"
    )
    an.add_argument(
        "--engine", choices=("pandas", "dask"), default=None, help="pandas (default) or dask"
    )
    an.add_argument(
        "--k", type=int, default=None, help="public-view suppression threshold (default 5)"
    )
    an.add_argument("--permutations", type=int, default=None, help="Gi* permutations (default 999)")
    an.add_argument(
        "--seed", type=int, default=None, help="seed of the permutation tests (default 0)"
    )
    _add_common(an)

    va = sub.add_parser(
        "validate",
        help="check input files and report what borderwatch detects",
        description="Read the inputs, run every check, and report detected columns, join "
        "counts and warnings. Writes nothing.",
    )
    va.add_argument("--units", required=True, metavar="FILE")
    va.add_argument("--incidents", metavar="FILE", default=None)
    va.add_argument("--meetings", metavar="FILE", default=None)
    _add_common(va)
    return p


def _load_config(path: str | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        with open(path, "rb") as fh:
            cfg = tomllib.load(fh)
    except FileNotFoundError as exc:
        msg = f"{path}: the config file does not exist. Hint: check the path."
        raise DataError(msg) from exc
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path}: the config file is not valid TOML ({exc}). Hint: write key = value lines, strings in quotes."
        raise DataError(msg) from exc
    cfg = {k.replace("-", "_"): v for k, v in cfg.get("borderwatch", cfg).items()}
    unknown = sorted(set(cfg) - _CONFIG_KEYS)
    if unknown:
        msg = (
            f"{path}: unknown settings {', '.join(unknown)}. Hint: known settings are "
            f"{', '.join(sorted(_CONFIG_KEYS))}."
        )
        raise DataError(msg)
    return cfg


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    cfg = _load_config(getattr(args, "config", None))
    for key, value in vars(args).items():
        if value is not None and key not in ("command", "config", "quiet", "progress"):
            cfg[key] = value
    return cfg


def _columns(s: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "lon_col",
        "lat_col",
        "time_col",
        "category_col",
        "id_col",
        "country_col",
        "unit_id_col",
        "unit_name_col",
        "unit_country_col",
    )
    return {k: s.get(k) for k in keys}


def _number(s: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    """A numeric setting, or DataError naming it (config values arrive untyped)."""
    value = s.get(key, default)
    if value is None:
        return None
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = None
    if number is None or (kind is int and isinstance(value, float) and not value.is_integer()):
        msg = f"setting '{key}' must be a {'whole number' if kind is int else 'number'}, not {value!r}."
        raise DataError(msg)
    return number


def _meeting_columns(s: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {arg: s[key] for key, arg in _MEETING_KEYS.items() if s.get(key)}
    att = s.get("attendance_cols")
    if att is not None:
        if not isinstance(att, dict) or not set(att) <= set(_ATTENDANCE_KEYS):
            msg = (
                f"setting 'attendance_cols' must be a table mapping {', '.join(_ATTENDANCE_KEYS)} "
                f"to your column names, not {att!r}."
            )
            raise DataError(msg)
        out["attendance_cols"] = att
    return out


def _run(args: argparse.Namespace) -> int:
    from ._pipeline import analyze, write_outputs

    progress = _Progress(getattr(args, "quiet", False), getattr(args, "progress", False))
    s = _settings(args)
    if args.command == "validate":
        return _validate(s)
    out = Path(s["out"])
    if out.exists() and not out.is_dir():
        msg = f"{out}: --out exists and is a file, not a directory. Hint: choose another --out."
        raise DataError(msg)
    if out.is_dir() and any(out.iterdir()) and not (out / "summary.json").exists():
        msg = (
            f"{out}: --out is a non-empty folder that is not a borderwatch output; refusing to replace it. "
            "Hint: choose a new or empty directory."
        )
        raise DataError(msg)
    common: dict[str, Any] = {
        "view": s.get("view", "public"),
        "k": _number(s, "k", int, 5),
        "cell_km": _number(s, "cell_km", float, None),
        "permutations": _number(s, "permutations", int, 999),
        "seed": _number(s, "seed", int, 0),
        "alpha": _number(s, "alpha", float, 0.05),
        "bandwidth_km": _number(s, "bandwidth_km", float, None),
        "cluster_method": s.get("cluster_method", "dbscan"),
        "eps_km": _number(s, "eps_km", float, None),
        "min_samples": _number(s, "min_samples", int, None),
        "days": _number(s, "days", float, None),
        "tolerance_km": _number(s, "tolerance_km", float, 1.0),
        "period": s.get("period", "month"),
        "grid": s.get("grid", "hex"),
        "weights": s.get("weights", "distance_band"),
        "knn": _number(s, "knn", int, 8),
        "progress": progress,
    }
    if args.command == "demo":
        from .datasets import DEMO_SEED, demo_incidents, demo_meetings, demo_units

        seed = int(s.get("seed", DEMO_SEED))
        progress(f"generating SYNTHETIC demo data (seed {seed})")
        units = demo_units()
        common["seed"] = 0
        result = analyze(
            units,
            demo_incidents(seed=seed, units=units),
            demo_meetings(seed=seed),
            synthetic=True,
            **common,
        )
    else:
        result = analyze(
            s["units"],
            s["incidents"],
            s.get("meetings"),
            population=s.get("population"),
            engine=s.get("engine", "pandas"),
            partitions=s.get("partitions"),
            on_invalid="drop" if s.get("drop_invalid") else "raise",
            crosswalk=s.get("crosswalk"),
            columns=_columns(s),
            meeting_columns=_meeting_columns(s),
            date_format=s.get("date_format"),
            dayfirst=bool(s.get("dayfirst", False)),
            title=s.get("title"),
            **common,
        )
    write_outputs(
        result,
        out,
        lang=s.get("lang", "en"),
        tiles=s.get("tiles"),
        static=bool(s.get("static", True)),
        progress=progress,
    )
    sm = result.summary
    print(
        f"borderwatch: wrote {out} ({sm['view']} view): {sm['n_incidents']:,} incidents, "
        f"{sm['n_hotspots']} hotspot regions ({sm['n_cross_border_hotspots']} cross-border), "
        f"{sm['clusters']['n']} clusters. Open {out / 'map.html'} in a browser (works offline)."
    )
    return 0


def _validate(s: dict[str, Any]) -> int:
    from .io import load_incidents, load_meetings, load_units
    from .join import join_summary, join_units

    cols = _columns(s)
    on_invalid: Literal["raise", "drop"] = "drop" if s.get("drop_invalid") else "raise"
    with warnings.catch_warnings(record=True) as wl:
        warnings.simplefilter("always", BorderwatchWarning)
        units_loaded = load_units(
            s["units"],
            id_col=cols["unit_id_col"],
            name_col=cols["unit_name_col"],
            country_col=cols["unit_country_col"],
        )
        units = units_loaded.frame
        lines = [
            f"units: {s['units']}: {len(units)} units in {', '.join(sorted(units['country'].unique()))}; "
            f"columns {units_loaded.columns}"
        ]
        if s.get("incidents"):
            inc_loaded = load_incidents(
                s["incidents"],
                units=units,
                on_invalid=on_invalid,
                **{
                    k: cols[k]
                    for k in (
                        "lon_col",
                        "lat_col",
                        "time_col",
                        "category_col",
                        "id_col",
                        "country_col",
                    )
                },
            )
            inc = inc_loaded.frame
            j = join_units(inc, units)
            lines.append(
                f"incidents: {s['incidents']}: {len(inc):,} rows; columns {inc_loaded.columns}; "
                f"join {join_summary(j)}; dropped {inc_loaded.dropped}"
            )
        if s.get("meetings"):
            mt_loaded = load_meetings(s["meetings"], units=units, on_invalid=on_invalid)
            lines.append(
                f"meetings: {s['meetings']}: {len(mt_loaded.frame)} rows; columns {mt_loaded.columns}"
            )
    for w in wl:
        lines.append(f"warning: {w.message}")
    print("\n".join(lines))
    print("borderwatch: the inputs are valid.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``borderwatch`` command; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    debug = os.environ.get("BORDERWATCH_DEBUG") == "1"
    try:
        return _run(args)
    except DataError as exc:
        text = " ".join(str(exc).split())
        print(textwrap.fill(f"borderwatch: error: {text}", width=100), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("borderwatch: interrupted; nothing was written.", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - exit code 1 with a one-line message
        if debug:
            raise
        print(
            f"borderwatch: unexpected failure: {type(exc).__name__}: {exc}. "
            "Set BORDERWATCH_DEBUG=1 for the traceback, and please report it.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The ``borderwatch`` command.

Its flags and their help come from :class:`borderwatch.settings.Settings`; this
module copies no default. Exit codes: 0 success; 2 bad input (one paragraph on
stderr, no traceback, nothing written to ``--out``); 1 any other failure.

Messages name options once (``[[lon_col]]``, see :mod:`borderwatch._errors`);
:func:`cli_words` words them as flags. Every warning of a run (those recorded
in ``summary.json`` and those of writing the outputs) is printed on stderr,
as flags, unless ``--quiet``.
"""

from __future__ import annotations

import argparse
import gc
import os
import shlex
import sys
import textwrap
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from ._errors import DataError, words
from .settings import Option, Settings, option_specs

__all__ = ["cli_words", "main"]

#: Keywords of the API that are command-line arguments but not settings.
_ARGUMENTS = ("units", "incidents", "meetings", "config", "out")

#: Flags that are not settings: inputs, output folder, and how the command talks.
_NOT_SETTINGS = {
    "command",
    "config",
    "quiet",
    "progress",
    "out",
    "units",
    "incidents",
    "meetings",
    "data_seed",
    "shared",
    "share_km",
    "share_view",
}


# ------------------------------------------------------------------------------- parser


def _add_settings(p: argparse.ArgumentParser, command: str) -> None:
    """One flag per setting offered by ``command``, with the help and default of Settings."""
    groups: dict[str, Any] = {}
    for name, default, opt in option_specs():
        if command not in opt.commands:
            continue
        if opt.group not in groups:
            groups[opt.group] = p if opt.group == "analysis" else p.add_argument_group(opt.group)
        g = groups[opt.group]
        flag = "--" + name.replace("_", "-")
        text = opt.help.replace("%", "%%")
        shown = "" if default is None or "default" in opt.help else f" (default: {default})"
        if opt.kind == "bool" and default is True:
            g.add_argument(
                f"--no-{name.replace('_', '-')}",
                dest=name,
                action="store_false",
                default=None,
                help=f"do not {text}",
            )
        elif opt.kind == "bool":
            g.add_argument(flag, dest=name, action="store_true", default=None, help=text)
        elif opt.kind == "choice":
            g.add_argument(
                flag,
                dest=name,
                choices=opt.choices,
                metavar=opt.metavar,
                default=None,
                help=text + shown,
            )
        else:
            g.add_argument(
                flag,
                dest=name,
                metavar=opt.metavar or {"int": "N", "float": "X"}.get(opt.kind, "TEXT"),
                default=None,
                help=text + shown,
            )
    if command in ("analyze", "validate"):
        p.add_argument(
            "--drop-invalid",
            dest="on_invalid",
            action="store_const",
            const="drop",
            default=None,
            help="drop invalid rows (bad coordinates, (0,0), bad dates) with a warning instead of failing",
        )


def _config_only_help() -> str:
    """The settings a --config file can set that have no flag of their own."""
    names = [n for n, _, o in option_specs() if o.toml and "analyze" not in o.commands]
    return (
        "More settings in a --config TOML file (key = value): "
        + ", ".join(names)
        + ". See docs/outputs.md and borderwatch.Settings."
    )


def _add_talk(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--quiet", action="store_true", help="no progress messages and no warnings")
    p.add_argument(
        "--progress",
        action="store_true",
        help="a progress bar over the named steps, even when stderr is not a terminal",
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
    _add_talk(demo)
    _add_settings(demo, "demo")
    demo.add_argument(
        "--seed", dest="data_seed", type=int, default=None, help="seed of the synthetic data"
    )
    an = sub.add_parser(
        "analyze",
        help="analyse your own units and incidents",
        description="Join incidents (and meetings) to units on both sides of a border, find "
        "hotspots and clusters, and write the output directory.",
        epilog=_config_only_help(),
    )
    an.add_argument(
        "--units",
        required=True,
        metavar="FILE",
        help="administrative units (GeoJSON, GPKG, SHP, ...)",
    )
    data = an.add_mutually_exclusive_group(required=True)
    data.add_argument(
        "--incidents",
        metavar="FILE",
        help="incidents (CSV, Excel, GeoJSON, GPKG, Parquet)",
    )
    data.add_argument(
        "--shared",
        metavar="FILE",
        action="append",
        help="counts shared by one side (`borderwatch share`); repeat for each side",
    )
    an.add_argument("--meetings", metavar="FILE", default=None, help="community meetings")
    an.add_argument(
        "--config", metavar="FILE.toml", default=None, help="settings file; options given here win"
    )
    _add_talk(an)
    _add_settings(an, "analyze")
    va = sub.add_parser(
        "validate",
        help="check input files and report what borderwatch detects",
        description="Read the inputs, run every check, and report detected columns, join "
        "counts and warnings. Writes nothing.",
    )
    va.add_argument("--units", required=True, metavar="FILE")
    va.add_argument("--incidents", metavar="FILE", default=None)
    va.add_argument("--meetings", metavar="FILE", default=None)
    _add_settings(va, "validate")
    _add_share(sub)
    au = sub.add_parser(
        "audit",
        help="what a reader learns by comparing two public releases",
        description="Run the differencing attacks (density fit, table and period differences, "
        "linked-table LP audit, grid intersection) on two output folders and report what an "
        "adversary could learn. Writes nothing.",
    )
    au.add_argument("out_a", metavar="OUT_A", help="an output folder (e.g. last month's)")
    au.add_argument("out_b", metavar="OUT_B", help="another output folder (e.g. this month's)")
    return p


def _add_share(sub: Any) -> None:
    from ._schema import ALLOWED_CELL_KM  # as borderwatch.lattice, without geopandas

    sh = sub.add_parser(
        "share",
        help="write this side's protected counts per cell of the shared grid (no records)",
        description="Count incidents per cell of the fixed global lattice, per category and "
        "month, protect the counts (public view), and write them to one Parquet file that "
        "another side can merge with `borderwatch analyze --shared`. No records leave.",
    )
    sh.add_argument("--units", required=True, metavar="FILE", help="this side's units")
    sh.add_argument("--incidents", required=True, metavar="FILE", help="this side's incidents")
    sh.add_argument("--out", required=True, metavar="SIDE.parquet", help="the share file")
    sh.add_argument(
        "--grid",
        dest="share_km",
        type=int,
        choices=ALLOWED_CELL_KM,
        default=10,
        metavar="KM",
        help=f"cell size of the shared lattice, km: {', '.join(map(str, ALLOWED_CELL_KM))} "
        "(default 10; both sides must use the same)",
    )
    sh.add_argument(
        "--view",
        dest="share_view",
        choices=("public", "internal"),
        default="public",
        help="public: protected counts (default); internal: exact counts, for agencies "
        "allowed to exchange aggregates",
    )
    sh.add_argument("--quiet", action="store_true", help="no messages")
    _add_settings(sh, "validate")


# ------------------------------------------------------------------------------- wording


@lru_cache(maxsize=1)
def _specs() -> dict[str, tuple[Any, Option]]:
    return {name: (default, opt) for name, default, opt in option_specs()}


def _flag(name: str, value: str | None) -> str | None:
    """An option as the command line writes it; None when it has no command-line form."""
    if name == "on_invalid":
        return "--drop-invalid" if value in (None, "drop") else None
    if name in _ARGUMENTS:
        return f"--{name}" + ("" if value is None else f" {shlex.quote(value)}")
    if name not in _specs():
        return None
    default, opt = _specs()[name]
    flag = "--" + name.replace("_", "-")
    if not opt.commands:
        shown = "..." if value is None else repr(value)
        return f"{name} = {shown} in the --config file"
    if opt.kind == "bool":
        return f"--no-{name.replace('_', '-')}" if default is True else flag
    return flag if value is None else f"{flag} {shlex.quote(value)}"


def cli_words(text: str) -> str:
    """A message as command-line users read it: options as flags.

    Examples
    --------
    >>> cli_words("pass [[lon_col=lat]] [[lat_col=lon]], or [[on_invalid=drop]]")
    'pass --lon-col lat --lat-col lon, or --drop-invalid'
    >>> cli_words("[[dayfirst=True]], [[date_format=%m/%d/%Y]], [[swap_check=False]], [[sep=;]]")
    "--dayfirst, --date-format %m/%d/%Y, --no-swap-check, --sep ';'"
    >>> cli_words("[[meeting_place_col=village]]; [[sensitive_col]]")
    "meeting_place_col = 'village' in the --config file; sensitive_col="
    """
    from ._errors import api_words

    return api_words(words(text, _flag))


def _say(kind: str, text: str) -> None:
    """One paragraph on stderr: ``borderwatch: error: ...`` or ``borderwatch: warning: ...``."""
    body = " ".join(cli_words(text).split())
    text = f"borderwatch: {kind}: {body}"
    print(
        textwrap.fill(text, width=100, break_on_hyphens=False, break_long_words=False),
        file=sys.stderr,
    )


@contextmanager
def _console_warnings(quiet: bool) -> Iterator[list[str]]:
    """Print each borderwatch warning once on stderr, as flags (unless ``quiet``); other
    warnings are shown as Python shows them. Yields the warnings' texts."""
    from ._warnings import Said, heard

    seen: list[str] = []

    def hear(said: Said) -> None:  # per thread: another thread's catch_warnings cannot undo it
        text = said.message.template
        if text in seen:
            return
        seen.append(text)
        if not quiet:
            _say("warning", text)

    with heard(hear):
        yield seen


# ------------------------------------------------------------------------------- settings


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
    return dict(cfg.get("borderwatch", cfg))


def _settings(args: argparse.Namespace) -> Settings:
    """The config file's settings, then the command line's on top (the command line wins)."""
    path = getattr(args, "config", None)
    base = Settings.from_mapping(_load_config(path), where=str(path)) if path else Settings()
    flags = {k: v for k, v in vars(args).items() if v is not None and k not in _NOT_SETTINGS}
    return Settings.from_mapping({**_explicit(base), **flags}, where="command line")


def _explicit(s: Settings) -> dict[str, Any]:
    """The settings of ``s`` that differ from the defaults (what a config file set)."""
    default = Settings().to_dict()
    return {k: v for k, v in s.to_dict().items() if v != default[k] and k != "synthetic"}


# ------------------------------------------------------------------------------- commands


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        msg = f"{out}: --out exists and is a file, not a directory. Hint: choose another --out."
        raise DataError(msg)
    if out.is_dir() and any(out.iterdir()) and not (out / "summary.json").exists():
        msg = (
            f"{out}: --out is a non-empty folder that is not a borderwatch output; refusing to replace it. "
            "Hint: choose a new or empty directory."
        )
        raise DataError(msg)


#: Where ``analyze`` keeps the release key when ``--key-file`` is not given.
DEFAULT_KEY_FILE = "~/.config/borderwatch/release.key"


def _with_key_file(s: Settings, out: Path) -> Settings:
    """The settings with a release key file for the public view, never inside ``--out``."""
    if s.view != "public":
        return s
    key = Path(os.path.expanduser(s.key_file or DEFAULT_KEY_FILE)).resolve()
    if key == out.resolve() or out.resolve() in key.parents:
        msg = (
            f"{key}: the key file must not be inside the output folder {out} (it would be "
            "handed out with it). Hint: keep it elsewhere, e.g. --key-file ~/release.key."
        )
        raise DataError(msg)
    return s.replace(key_file=str(key))


def _run(args: argparse.Namespace) -> int:
    if args.command == "audit":
        from .privacy.releases import audit_releases

        print(audit_releases(args.out_a, args.out_b).text())
        return 0
    s = _settings(args)
    if args.command == "validate":
        return _validate(args, s)
    if args.command == "share":
        return _share(args, s)
    from ._progress import StepBar
    from .outputs import write_outputs
    from .pipeline import analyze

    out = Path(args.out)
    _check_out(out)
    with StepBar(quiet=args.quiet, force=args.progress) as progress:
        inputs, s = _inputs(args, s, progress)
        with _console_warnings(args.quiet):
            if getattr(args, "shared", None):
                from .pipeline import analyze_shared

                shared = (args.units, args.shared, args.meetings)
                result = analyze_shared(*shared, settings=s, progress=progress)
            else:
                result = analyze(*inputs, settings=s, progress=progress)
            write_outputs(result, out, progress=progress)
    sm = result.summary
    n = sm["n_incidents"]  # None in the public view when below k
    shown = f"{n:,}" if isinstance(n, int) else f"fewer than {sm.get('k', 5)}"
    regions, clusters = sm["n_hotspots"], sm["clusters"]["n"]
    print(
        f"borderwatch: wrote {out} ({sm['view']} view): {shown} incidents, "
        f"{_plural(regions, 'hotspot region')} ({sm['n_cross_border_hotspots']} cross-border), "
        f"{_plural(clusters, 'cluster')}. Open {out / 'map.html'} in a browser (works offline)."
    )
    return 0


def _inputs(
    args: argparse.Namespace, s: Settings, progress: Any
) -> tuple[tuple[Any, Any, Any], Settings]:
    """The inputs of ``analyze`` (the SYNTHETIC demo's, or the files given) and the settings."""
    if args.command != "demo":
        if getattr(args, "shared", None):
            return (args.units, args.incidents, args.meetings), s
        return (args.units, args.incidents, args.meetings), _with_key_file(s, Path(args.out))
    from .datasets import DEMO_SEED, demo_incidents, demo_meetings, demo_units

    seed = DEMO_SEED if args.data_seed is None else int(args.data_seed)
    progress(f"generating SYNTHETIC demo data (seed {seed})")
    units = demo_units()
    inputs = (units, demo_incidents(seed=seed, units=units), demo_meetings(seed=seed))
    return inputs, s.replace(synthetic=True)


def _share(args: argparse.Namespace, s: Settings) -> int:
    from .federation import share_counts, write_share

    out = Path(args.out)
    if out.is_dir():
        msg = f"{out}: is a folder. Hint: --out names the share file, e.g. --out MLI.parquet."
        raise DataError(msg)
    with _console_warnings(args.quiet):
        counts = share_counts(
            args.units,
            args.incidents,
            cell_km=args.share_km,
            view=args.share_view,
            k=s.k,
            settings=s,
        )
    tmp = out.with_name(out.name + ".tmp")
    write_share(counts, tmp, cell_km=args.share_km, view=args.share_view)
    tmp.replace(out)
    print(
        f"borderwatch: wrote {out}: {len(counts):,} counts ({args.share_view} view) on the "
        f"{args.share_km} km lattice; no records, coordinates or ids."
    )
    return 0


def _validate(args: argparse.Namespace, s: Settings) -> int:
    from .io import load_incidents, load_meetings, load_units
    from .join import join_summary, join_units

    with _console_warnings(quiet=True) as seen:
        loaded_units = load_units(args.units, **s.unit_columns)
        units = loaded_units.frame
        lines = [
            f"units: {args.units}: {len(units)} units in {', '.join(sorted(units['country'].unique()))}; "
            f"columns {loaded_units.columns}"
        ]
        if args.incidents:
            inc = load_incidents(
                args.incidents,
                units=units,
                crosswalk=s.crosswalk,
                **s.reading,
                **s.incident_columns,
            )
            j = join_units(inc.frame, units)
            lines.append(
                f"incidents: {args.incidents}: {len(inc.frame):,} rows; columns {inc.columns}; "
                f"join {join_summary(j)}; dropped {inc.dropped}"
            )
            lines.append(f"incidents: {_decided(inc.decisions, inc.notes)}")
        meetings = None
        if args.meetings:
            mt = load_meetings(args.meetings, units=units, **s.reading, **s.meeting_columns)
            meetings = mt.frame
            lines.append(f"meetings: {args.meetings}: {len(mt.frame)} rows; columns {mt.columns}")
            lines.append(f"meetings: {_decided(mt.decisions, mt.notes)}")
        lines += _validate_actions(s, meetings, args.meetings)
    lines += [f"warning: {' '.join(cli_words(w).split())}" for w in seen]
    print("\n".join(lines))
    print("borderwatch: the inputs are valid.")
    return 0


def _validate_actions(s: Settings, meetings: Any, meetings_file: str | None) -> list[str]:
    """What ``analyze`` would read as agreed actions (``--actions`` and the meetings' columns)."""
    from .planning.actions import gather_actions

    acts = gather_actions(
        s.actions,
        meetings,
        date_format=s.date_format,
        dayfirst=s.dayfirst,
        meetings_source=str(meetings_file or "meetings"),
    )
    if acts is None:
        return ["actions: none"] if s.actions else []
    counts = acts["status"].value_counts()
    where = " and ".join(
        [*([str(s.actions)] if s.actions else []), *([str(meetings_file)] if meetings_file else [])]
    )
    return [
        f"actions: {where}: {len(acts)} actions ("
        + ", ".join(f"{int(counts.get(k, 0))} {k}" for k in ("open", "done", "dropped"))
        + ")"
    ]


def _decided(decisions: dict[str, Any], notes: Sequence[str]) -> str:
    """What a reader decided, in words: encoding, delimiter, decimal mark, dates."""
    parts = []
    if "encoding" in decisions:
        parts.append(
            f"read as {decisions['encoding']} text, delimiter {decisions['sep']!r}, "
            f"decimal mark {decisions['decimal']!r}"
        )
    fmt = decisions.get("date_format")
    if fmt is None:
        parts.append("no dates")
    elif fmt.startswith("%d"):
        parts.append(f"dates read day first ({fmt})")
    elif fmt.startswith("%m"):
        parts.append(f"dates read month first ({fmt})")
    else:
        parts.append(f"dates read as {fmt}")
    return "; ".join([*parts, *notes])


#: ``gc.set_threshold`` of a ``borderwatch`` process (Python's default: 700, 10, 10). Its
#: imports and pipeline make millions of long-lived objects; with the default the collector
#: runs about 900 times, 6 of them full (0.6-0.9 s of a small run); with these about 10 times.
GC_THRESHOLDS: Final = (50_000, 20, 10)


def _plural(n: int, noun: str) -> str:
    """``1 cluster``, ``2 clusters``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``borderwatch`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    if argv is None:  # a command in a process of its own: fewer, cheaper garbage collections
        gc.set_threshold(*GC_THRESHOLDS)
    debug = os.environ.get("BORDERWATCH_DEBUG") == "1"
    try:
        return _run(args)
    except DataError as exc:
        _say("error", getattr(exc, "template", str(exc)))
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

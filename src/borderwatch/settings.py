"""Every option of an analysis, in one place: its default, its check and its help.

:class:`Settings` is a frozen dataclass. The command line builds its flags and
their help from it (:func:`option_specs`), a TOML file is read with
:meth:`Settings.from_mapping`, and :func:`borderwatch.analyze` takes it as
``settings=``. No other module writes a default again.

Examples
--------
>>> from borderwatch.settings import Settings
>>> s = Settings(cell_km=10)
>>> s.view, s.permutations, s.n_neighbors
('public', 999, 8)
>>> Settings.from_mapping({"cell-km": "5", "drop_invalid": True}).on_invalid
'drop'
>>> s.replace(view="internal").view
'internal'
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from types import MappingProxyType
from typing import Any, Literal

from ._errors import DataError
from ._schema import ATTENDANCE, truthy

__all__ = ["LANGS", "PRIORITY_WEIGHTS", "Option", "Settings", "option_specs", "settings_markdown"]

#: Languages of the maps and handouts.
LANGS = ("en", "fr", "es", "pt", "ar")

#: Default weights of the priority score's components (docs/planning.md).
PRIORITY_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "strength": 0.25,
        "trend": 0.15,
        "cross_border": 0.15,
        "sensitive": 0.10,
        "outreach": 0.20,
        "overdue": 0.10,
        "population": 0.05,
    }
)


@dataclass(frozen=True)
class Option:
    """How one setting is checked and offered on the command line.

    Attributes
    ----------
    help : str
        One line for ``--help`` and the docs.
    kind : {"int", "float", "str", "bool", "choice", "langs", "path", "mapping"}
    choices : tuple of str
        Allowed values of a ``"choice"`` (of each item of ``"langs"``, a comma-separated list).
    low, high : float, optional
        Bounds of a number: ``low`` inclusive, ``high`` exclusive unless
        ``high_inclusive``; ``positive`` asks for ``> 0``.
    commands : tuple of str
        The CLI commands that offer it as a flag (empty: TOML and Python only).
    toml : bool
        Whether a settings file may set it.
    group : str
        Heading of the flag in ``--help``.
    metavar : str, optional
    """

    help: str
    kind: str = "str"
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    high_inclusive: bool = False
    positive: bool = False
    commands: tuple[str, ...] = ()
    toml: bool = True
    group: str = "analysis"
    metavar: str | None = None


def _opt(default: Any, help: str, **spec: Any) -> Any:
    return field(default=default, metadata={"option": Option(help=help, **spec)})


_IO = ("analyze", "validate")
_OUT = ("demo", "analyze")
_COLUMN = {
    "kind": "str",
    "commands": _IO,
    "group": "column names (detected when omitted)",
    "metavar": "C",
}
_MEETING = {"kind": "str", "group": "meeting columns (detected when omitted)"}


@dataclass(frozen=True)
class Settings:
    """The options of one analysis, checked when created.

    Every field has its default, its check and its help text in its
    metadata (:class:`Option`). Build one with keywords, from a TOML table or
    the command line (:meth:`from_mapping`), and change it with
    :meth:`replace`; a bad value raises :class:`borderwatch.DataError`.
    """

    # -- output
    view: Literal["public", "internal"] = _opt(
        "public",
        "public (aggregates only) or internal (incident points, for analysts)",
        kind="choice",
        choices=("public", "internal"),
        commands=_OUT,
        group="output",
    )
    lang: str = _opt(
        "en",
        "language of the map, or a comma-separated list (en,fr): the first is the map's, "
        "each gets a handout with --handout",
        kind="langs",
        choices=LANGS,
        commands=_OUT,
        group="output",
        metavar="LANG",
    )
    title: str | None = _opt(
        None,
        "title of the map and handouts (default: from the data, e.g. 'Incidents near the "
        "Mexico–United States border, 2004–2023', translated)",
        commands=_OUT,
        group="output",
        metavar="TEXT",
    )
    source: str | None = _opt(
        None,
        "the Source line of the maps (default: the input's file name in the internal view, "
        "nothing in the public view)",
        commands=_OUT,
        group="output",
        metavar="TEXT",
    )
    key_file: str | None = _opt(
        None,
        "the release key of the public view's cell-key perturbation, created on first use; "
        "keep it private, outside --out, and use it for every release (analyze default: "
        "~/.config/borderwatch/release.key; demo: the public demo key)",
        kind="path",
        commands=("analyze",),
        group="output",
        metavar="FILE",
    )
    handout: bool = _opt(
        False,
        "write a facilitator's handout (A4 PDF) per language: handout_<lang>.pdf",
        kind="bool",
        commands=_OUT,
        group="output",
    )
    tiles: str | None = _opt(
        None,
        "add an online tile basemap (default: none, offline)",
        commands=_OUT,
        group="output",
        metavar="URL",
    )
    static: bool = _opt(
        True, "write map.png and map.pdf", kind="bool", commands=_OUT, group="output"
    )
    period: Literal["week", "month", "year"] | None = _opt(
        None,
        "time bin of counts.csv, unit x category x period "
        "(default: month, or year when the dates are years only)",
        kind="choice",
        choices=("week", "month", "year"),
        commands=("analyze",),
        group="output",
    )
    k: int = _opt(
        5,
        "public view: counts from 1 to k-1 are suppressed",
        kind="int",
        low=2,
        commands=("analyze",),
        group="output",
    )
    # -- analysis
    cell_km: float | None = _opt(
        None,
        "grid cell size in km (default: from the data)",
        kind="float",
        positive=True,
        commands=("analyze",),
        metavar="KM",
    )
    bandwidth_km: float | None = _opt(
        None, "density bandwidth in km (default: the cell size)", kind="float", positive=True
    )
    alpha: float = _opt(
        0.05, "significance level of hotspot regions", kind="float", low=0, high=1, positive=True
    )
    permutations: int = _opt(
        999,
        "conditional permutations of Gi* and local Moran",
        kind="int",
        low=0,
        commands=("analyze",),
    )
    seed: int = _opt(0, "seed of every random step", kind="int", low=0, commands=("analyze",))
    grid: Literal["hex", "square"] = _opt(
        "hex", "shape of the grid cells", kind="choice", choices=("hex", "square")
    )
    weights: Literal["distance_band", "knn", "contiguity"] = _opt(
        "distance_band",
        "spatial weights of the cell Gi*",
        kind="choice",
        choices=("distance_band", "knn", "contiguity"),
    )
    n_neighbors: int = _opt(8, "neighbours per cell when weights = 'knn'", kind="int", low=1)
    cluster_method: Literal["dbscan", "hdbscan", "spacetime"] = _opt(
        "dbscan", "point clusters", kind="choice", choices=("dbscan", "hdbscan", "spacetime")
    )
    eps_km: float | None = _opt(
        None,
        "cluster radius in km (default: the cell size; HDBSCAN needs none)",
        kind="float",
        positive=True,
    )
    min_samples: int | None = _opt(
        None, "minimum core size of a cluster (default 5)", kind="int", low=1
    )
    days: float | None = _opt(
        None, "time window of space-time clusters (default 30)", kind="float", positive=True
    )
    scan_replicates: int = _opt(
        999,
        "Monte Carlo replicates of the spatial scan statistic (0: no scan)",
        kind="int",
        low=0,
        commands=("analyze",),
    )
    scan_max_share: float = _opt(
        0.5,
        "largest share of the population at risk in a scan window",
        kind="float",
        low=0,
        high=0.5,
        high_inclusive=True,
        positive=True,
    )
    scan_null: Literal["stacks", "incidents"] = _opt(
        "stacks",
        "what a scan replicate moves: locations with their stacks (default) or single incidents",
        kind="choice",
        choices=("stacks", "incidents"),
    )
    scan_all: bool = _opt(
        False,
        "write every scan cluster, not only those with p <= alpha",
        kind="bool",
        commands=("analyze",),
    )
    cluster_replicates: int = _opt(
        99,
        "simulated maps of the point clusters' test against chance (0: not tested)",
        kind="int",
        low=0,
    )
    clusters_all: bool = _opt(
        False,
        "write every point cluster, not only those with p <= alpha",
        kind="bool",
        commands=("analyze",),
    )
    tolerance_km: float = _opt(
        1.0, "snap points in gaps and slivers up to this distance", kind="float", low=0
    )
    engine: Literal["pandas", "dask"] = _opt(
        "pandas",
        "pandas, or dask (needs the 'scale' extra)",
        kind="choice",
        choices=("pandas", "dask"),
        commands=("analyze",),
    )
    partitions: int | None = _opt(
        None, "dask partitions (default: from the size)", kind="int", low=1, commands=("analyze",)
    )
    scheduler: str | None = _opt(
        None,
        "address of a running dask scheduler, e.g. tcp://10.0.0.5:8786 (engine dask; "
        "default: dask's local threads)",
        commands=("analyze",),
        metavar="ADDRESS",
    )
    dask_sample: int = _opt(
        50_000,
        "engine dask: incidents sampled for the maps and point clusters (every count, the "
        "evaluation and the planning come from all of them)",
        kind="int",
        low=0,
    )
    # -- inputs
    population: str | None = _opt(
        None,
        "population-count GeoTIFF for rates",
        kind="path",
        commands=("analyze",),
        group="inputs",
        metavar="RASTER",
    )
    crosswalk: str | None = _opt(
        None,
        "your category crosswalk CSV",
        kind="path",
        commands=_IO,
        group="inputs",
        metavar="CSV",
    )
    on_invalid: Literal["raise", "drop"] = _opt(
        "raise",
        "invalid rows: 'raise' (default) or 'drop' with a warning (--drop-invalid)",
        kind="choice",
        choices=("raise", "drop"),
        group="inputs",
    )
    date_format: str | None = _opt(
        None,
        "strftime format of the dates, e.g. %d/%m/%Y, or excel for Excel day numbers "
        "(default: detected; day and month are never guessed)",
        commands=_IO,
        group="inputs",
        metavar="FMT",
    )
    dayfirst: bool = _opt(
        False,
        "read numeric dates such as 03/04/2023 day first (DD/MM/YYYY)",
        kind="bool",
        commands=_IO,
        group="inputs",
    )
    sep: str | None = _opt(
        None,
        "delimiter of a CSV file: , (comma), ; (semicolon), tab or | (pipe) (default: detected)",
        kind="choice",
        choices=(",", ";", "tab", "|"),
        commands=_IO,
        group="inputs",
        metavar="SEP",
    )
    decimal: str | None = _opt(
        None,
        "decimal mark of a CSV file: . (dot) or , (comma) (default: detected)",
        kind="choice",
        choices=(".", ","),
        commands=_IO,
        group="inputs",
        metavar="MARK",
    )
    encoding: str | None = _opt(
        None,
        "encoding of a CSV file, e.g. utf-8, cp1252, latin-1 (default: detected)",
        commands=_IO,
        group="inputs",
        metavar="ENC",
    )
    swap_check: bool = _opt(
        True,
        "refuse coordinates whose longitude and latitude look swapped",
        kind="bool",
        commands=_IO,
        group="inputs",
    )
    lon_col: str | None = _opt(None, "column holding the longitude", **_COLUMN)
    lat_col: str | None = _opt(None, "column holding the latitude", **_COLUMN)
    time_col: str | None = _opt(None, "column holding the date/time or year", **_COLUMN)
    category_col: str | None = _opt(None, "column holding the incident category", **_COLUMN)
    id_col: str | None = _opt(None, "column holding the incident id", **_COLUMN)
    country_col: str | None = _opt(
        None, "column holding the incident's own country (ISO3 code or English name)", **_COLUMN
    )
    unit_id_col: str | None = _opt(None, "column holding the unit id, e.g. adm2_code", **_COLUMN)
    unit_name_col: str | None = _opt(
        None, "column holding the unit name, e.g. adm2_name", **_COLUMN
    )
    unit_country_col: str | None = _opt(
        None, "column holding the unit country, e.g. adm0_iso3", **_COLUMN
    )
    meeting_lon_col: str | None = _opt(None, "meetings: longitude column", **_MEETING)
    meeting_lat_col: str | None = _opt(None, "meetings: latitude column", **_MEETING)
    meeting_time_col: str | None = _opt(None, "meetings: date column", **_MEETING)
    meeting_id_col: str | None = _opt(None, "meetings: id column", **_MEETING)
    meeting_place_col: str | None = _opt(None, "meetings: place-name column", **_MEETING)
    meeting_topics_col: str | None = _opt(None, "meetings: topics column", **_MEETING)
    attendance_cols: Mapping[str, str] | None = _opt(
        None,
        f"meetings: your columns for {', '.join(ATTENDANCE)}",
        kind="mapping",
        group="meeting columns (detected when omitted)",
    )
    # -- planning (docs/planning.md)
    actions: str | None = _opt(
        None,
        "agreed actions, CSV or Excel (last time's action_plan.xlsx reads back as one)",
        kind="path",
        commands=_IO,
        group="inputs",
        metavar="FILE",
    )
    reported_by_col: str | None = _opt(
        None,
        "column saying who recorded each incident (police, community, NGO, hotline)",
        **_COLUMN,
    )
    as_of: str | None = _opt(
        None,
        "the day planning counts back from, YYYY-MM-DD (default: the last date of the "
        "incidents and meetings)",
        kind="date",
        commands=("analyze",),
        group="planning",
        metavar="DATE",
    )
    coverage_km: float = _opt(
        20.0,
        "a meeting within this distance of an area covers it",
        kind="float",
        positive=True,
        commands=("analyze",),
        group="planning",
        metavar="KM",
    )
    coverage_days: int = _opt(
        90,
        "a meeting in this many days up to as_of is recent; also the window of recent incidents",
        kind="int",
        low=1,
        commands=("analyze",),
        group="planning",
    )
    priority_weights: Mapping[str, float] | None = _opt(
        None,
        "weights of the priority score's components (default: "
        + ", ".join(f"{k} {v:g}" for k, v in PRIORITY_WEIGHTS.items())
        + "); those given replace the defaults",
        kind="weights",
        group="planning",
    )
    target_women: float = _opt(
        0.30,
        "representation target: share of women among attendees",
        kind="float",
        low=0,
        high=1,
        high_inclusive=True,
        group="planning",
    )
    target_youth: float = _opt(
        0.20,
        "representation target: share of youth among attendees",
        kind="float",
        low=0,
        high=1,
        high_inclusive=True,
        group="planning",
    )
    target_migrants: float = _opt(
        0.10,
        "representation target: share of migrants/displaced among attendees",
        kind="float",
        low=0,
        high=1,
        high_inclusive=True,
        group="planning",
    )
    effect_days: int = _opt(
        90,
        "effectiveness: days before and after a meeting or done action that are compared",
        kind="int",
        low=7,
        group="planning",
    )
    plan_rows: int = _opt(
        10, "rows (top priorities) of action_plan.xlsx", kind="int", low=1, group="planning"
    )
    synthetic: bool = _opt(
        False, "every output says SYNTHETIC (demo data)", kind="bool", toml=False
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            value = _check(f.name, getattr(self, f.name), f.metadata["option"])
            object.__setattr__(self, f.name, value)

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], *, where: str = "settings") -> Settings:
        """Settings from a mapping (a TOML table, the CLI's flags), checked.

        Keys may use ``-`` or ``_``; ``None`` values are ignored (the
        default stays). ``drop_invalid = true`` means ``on_invalid = "drop"``.
        Unknown keys and bad values raise :class:`borderwatch.DataError`
        naming ``where`` (e.g. the TOML file).
        """
        known = {f.name: f.metadata["option"] for f in fields(cls)}
        values: dict[str, Any] = {}
        for raw_key, value in mapping.items():
            key = str(raw_key).replace("-", "_")
            if key == "drop_invalid":
                key, value = "on_invalid", "drop" if truthy(value) else None
            if value is None:
                continue
            if key not in known or not known[key].toml:
                names = ", ".join(sorted(k for k, o in known.items() if o.toml))
                msg = f"{where}: unknown settings {raw_key}. Hint: known settings are {names}, drop_invalid."
                raise DataError(msg)
            values[key] = value
        try:
            return cls(**values)
        except DataError as exc:
            msg = f"{where}: {exc}"
            raise DataError(msg) from None

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed, checked; unknown names raise DataError."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            msg = f"unknown setting {unknown[0]!r}. Hint: known settings are {', '.join(sorted(known))}."
            raise DataError(msg)
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Every setting as a plain dict."""
        out = asdict(self)
        if self.attendance_cols is not None:
            out["attendance_cols"] = dict(self.attendance_cols)
        if self.priority_weights is not None:
            out["priority_weights"] = dict(self.priority_weights)
        return out

    @property
    def score_weights(self) -> dict[str, float]:
        """The priority score's weights: the defaults with ``priority_weights`` over them.

        Examples
        --------
        >>> Settings(priority_weights={"outreach": 0.5}).score_weights["outreach"]
        0.5
        """
        return {**PRIORITY_WEIGHTS, **(self.priority_weights or {})}

    # ------------------------------------------------------------------ views for the readers

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages of ``lang``; the first is the map's.

        Examples
        --------
        >>> Settings(lang="fr,ar").languages
        ('fr', 'ar')
        """
        return tuple(self.lang.split(","))

    @property
    def incident_columns(self) -> dict[str, Any]:
        """Keyword arguments of :func:`borderwatch.read_incidents` naming columns."""
        return {
            "lon_col": self.lon_col,
            "lat_col": self.lat_col,
            "time_col": self.time_col,
            "category_col": self.category_col,
            "id_col": self.id_col,
            "country_col": self.country_col,
        }

    @property
    def reading(self) -> dict[str, Any]:
        """Keyword arguments of the point readers saying how to read a file (dates, dialect,
        invalid rows, swapped coordinates)."""
        return {
            "on_invalid": self.on_invalid,
            "date_format": self.date_format,
            "dayfirst": self.dayfirst,
            "sep": self.sep,
            "decimal": self.decimal,
            "encoding": self.encoding,
            "swap_check": self.swap_check,
        }

    @property
    def unit_columns(self) -> dict[str, Any]:
        """Keyword arguments of :func:`borderwatch.read_units` naming columns."""
        return {
            "id_col": self.unit_id_col,
            "name_col": self.unit_name_col,
            "country_col": self.unit_country_col,
        }

    @property
    def meeting_columns(self) -> dict[str, Any]:
        """Keyword arguments of :func:`borderwatch.read_meetings` naming columns."""
        named = {
            "lon_col": self.meeting_lon_col,
            "lat_col": self.meeting_lat_col,
            "time_col": self.meeting_time_col,
            "id_col": self.meeting_id_col,
            "place_col": self.meeting_place_col,
            "topics_col": self.meeting_topics_col,
        }
        out: dict[str, Any] = {k: v for k, v in named.items() if v}
        if self.attendance_cols:
            out["attendance_cols"] = dict(self.attendance_cols)
        return out


def option_specs() -> list[tuple[str, Any, Option]]:
    """``(name, default, Option)`` of every setting, in declaration order (for the CLI and docs)."""
    return [
        (f.name, None if f.default is MISSING else f.default, f.metadata["option"])
        for f in fields(Settings)
    ]


def settings_markdown() -> str:
    """The reference table of every setting (``docs/settings.md`` is this text)."""
    lines = [
        "# Settings",
        "",
        "Every option of an analysis, generated from `borderwatch.settings.Settings`",
        "(`python -c 'from borderwatch.settings import settings_markdown as m; print(m())'`).",
        "Set them as keywords (`analyze(..., cell_km=10)`), in a TOML file (`--config`, `key = value`",
        "lines, optionally under `[borderwatch]`), or with the flag where there is one.",
        "",
        "| setting | default | flag | what |",
        "|---|---|---|---|",
    ]
    for name, default, opt in option_specs():
        if not opt.toml:
            continue
        flag = f"`--{name.replace('_', '-')}`" if opt.commands else ""
        if opt.kind == "bool" and default is True and opt.commands:
            flag = f"`--no-{name.replace('_', '-')}`"
        if name == "on_invalid":
            flag = "`--drop-invalid`"
        shown = "" if default is None else f"`{default}`"
        what = opt.help + (
            f" ({', '.join(opt.choices)})" if opt.kind in ("choice", "langs") else ""
        )
        what = what.replace("|", "\\|")  # a pipe would end the table cell
        lines.append(f"| `{name}` | {shown} | {flag} | {what} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------- checks


def _check(name: str, value: Any, opt: Option) -> Any:
    """The value of one setting, coerced to its kind, or DataError."""
    if value is None:
        return None
    if opt.kind in ("int", "float"):
        return _number(name, value, opt)
    if opt.kind == "bool":
        flag = truthy(value, missing=None)
        if flag is None:
            msg = f"{name} must be true or false, not {value!r}."
            raise DataError(msg)
        return flag
    if opt.kind == "langs":
        return _langs(name, value, opt)
    if opt.kind == "choice":
        if value not in opt.choices:
            allowed = ", ".join(f"'{c}'" for c in opt.choices[:-1]) + f" or '{opt.choices[-1]}'"
            msg = f"{name} must be {allowed}, not {value!r}."
            raise DataError(msg)
        return value
    if opt.kind == "mapping":
        return _mapping(name, value)
    if opt.kind == "weights":
        return _weights(name, value)
    if opt.kind == "date":
        return _date(name, value)
    if opt.kind == "path":
        if not isinstance(value, str | os.PathLike):
            msg = f"{name} must be a file path, not {value!r}."
            raise DataError(msg)
        return os.fspath(value)
    if not isinstance(value, str):
        msg = f"{name} must be text, not {value!r}."
        raise DataError(msg)
    return value


def _langs(name: str, value: Any, opt: Option) -> str:
    """One language, or several separated by commas (each known, none twice)."""
    parts = [p.strip() for p in str(value).split(",")] if isinstance(value, str) else []
    if isinstance(value, list | tuple):
        parts = [str(p).strip() for p in value]
    bad = [p for p in parts if p not in opt.choices]
    if not parts or bad or len(set(parts)) != len(parts):
        allowed = ", ".join(opt.choices)
        msg = (
            f"{name} must be a language or a comma-separated list of them ({allowed}), "
            f"not {value!r}. Hint: --lang fr,ar writes the map in French and handouts in "
            "French and Arabic."
        )
        raise DataError(msg)
    return ",".join(parts)


def _number(name: str, value: Any, opt: Option) -> int | float:
    whole = opt.kind == "int"
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    ok = math.isfinite(number) and (not whole or number.is_integer())
    if ok and opt.low is not None:
        ok = number > opt.low if opt.positive and opt.low == 0 else number >= opt.low
    elif ok and opt.positive:
        ok = number > 0
    if ok and opt.high is not None:
        ok = number <= opt.high if opt.high_inclusive else number < opt.high
    if not ok:
        if whole:
            want = "a whole number" + (f" >= {int(opt.low)}" if opt.low is not None else "")
        elif opt.high is not None:
            want = f"a number between {opt.low:g} and {opt.high:g}"
            if opt.high_inclusive:
                want = f"a number above {opt.low:g} and at most {opt.high:g}"
        elif opt.positive:
            want = "a positive number" + (" of days" if name == "days" else " of kilometres")
        else:
            want = f"a number >= {opt.low:g}"
        msg = f"{name} must be {want}, not {value!r}."
        raise DataError(msg)
    return int(number) if whole else number


def _mapping(name: str, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or not set(value) <= set(ATTENDANCE):
        msg = (
            f"setting '{name}' must be a table mapping {', '.join(ATTENDANCE)} to your column "
            f"names, not {value!r}."
        )
        raise DataError(msg)
    return {str(k): str(v) for k, v in value.items()}


def _weights(name: str, value: Any) -> dict[str, float]:
    """Weights of the priority score: known components, numbers >= 0, not all zero."""
    ok = isinstance(value, Mapping) and set(value) <= set(PRIORITY_WEIGHTS)
    out: dict[str, float] = {}
    if ok:
        for key, v in value.items():
            try:
                w = float(v)
            except (TypeError, ValueError):
                ok = False
                break
            ok = ok and math.isfinite(w) and w >= 0
            out[str(key)] = w
    if not ok or (out and sum({**PRIORITY_WEIGHTS, **out}.values()) <= 0):
        msg = (
            f"setting '{name}' must map components ({', '.join(PRIORITY_WEIGHTS)}) to weights "
            f">= 0, not {value!r}. Hint: in TOML, [priority_weights] with lines like outreach = 0.3."
        )
        raise DataError(msg)
    return out


def _date(name: str, value: Any) -> str:
    """A day as YYYY-MM-DD."""
    import datetime as _dt

    text = value.isoformat()[:10] if isinstance(value, _dt.date) else str(value).strip()
    try:
        return _dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        msg = f"{name} must be a day written YYYY-MM-DD, not {value!r}."
        raise DataError(msg) from None

"""Who recorded the incidents: counts by source, and where sources diverge (:func:`sources`).

Where incidents carry their source (police record, community report, NGO,
hotline), this counts them by source per unit and per quarter, and flags
units where the sources tell different stories, the seed's indicator of
trust ("whether victims report"):

* ``under-reporting``: community, NGO and hotline reports together are at
  least ``k`` and the police recorded fewer than half as many;
* ``recording stopped``: a source that recorded at least ``k`` incidents in
  the unit before recorded none in the last two quarters while another
  source still did.

Sensitive incidents are counted by source in the ``sensitive`` column; the
public view shows that count only where it is at least ``k``.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from .._errors import DataError
from .._schema import fold
from ..io._columns import find
from ._sentences import recording_stopped, under_reporting

__all__ = [
    "SOURCE_NAMES",
    "SOURCE_TYPES",
    "classify_source",
    "source_flags",
    "source_rows",
    "sources",
]

#: The sources told apart.
SOURCE_TYPES: Final = ("police", "community", "ngo", "hotline", "other")

#: Column names that hold the source of an incident.
SOURCE_NAMES: Final = [
    "reported_by",
    "report_source",
    "reporting_source",
    "source_type",
    "reporter_type",
    "channel",
    "signale_par",
    "reportado_por",
    "source",
]

_WORDS: Final = (
    ("police", ("police", "gendarmerie", "policia", "gendarme", "شرطة")),
    (
        "community",
        (
            "community",
            "communaut",
            "comunidad",
            "comunidade",
            "citizen",
            "citoyen",
            "vigilance",
            "comite",
            "مجتمع",
        ),
    ),
    ("ngo", ("ngo", "ong", "association", "iom", "oim", "unhcr", "منظمة")),
    ("hotline", ("hotline", "ligne verte", "telephone", "phone", "linea", "linha", "sms", "خط")),
)


def classify_source(value: object) -> str | None:
    """The source type of a text (None where missing).

    Examples
    --------
    >>> [classify_source(v) for v in ("Police record", "Signalement communautaire", "ONG", "x", None)]
    ['police', 'community', 'ngo', 'other', None]
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = fold(value)
    if not text:
        return None
    for kind, words in _WORDS:
        if any(w in text for w in words):
            return kind
    return "other"


def _given(incidents: pd.DataFrame, column: str) -> str:
    """The source column given ([[reported_by_col]]), once it exists."""
    if column not in incidents.columns:
        msg = (
            f"incidents: the source column '{column}' given with [[reported_by_col]] does not "
            f"exist. Hint: columns present are {', '.join(map(str, incidents.columns[:20]))}."
        )
        raise DataError(msg)
    return column


def _column(incidents: pd.DataFrame, column: str | None, *, test: bool = True) -> str | None:
    if column is not None:
        return _given(incidents, column)
    col = find(incidents, SOURCE_NAMES)
    if col is None or not test:
        return col
    kinds = incidents[col].map(classify_source).dropna()
    # a free-text column (e.g. the demo's "SYNTHETIC ..." note) is not a source column
    return col if len(kinds) and (kinds != "other").mean() >= 0.5 else None


def sources(incidents: pd.DataFrame, *, column: str | None = None) -> pd.DataFrame | None:
    """Incidents by source per unit and quarter (None when the incidents carry no source).

    Returns
    -------
    DataFrame or None
        ``unit_id``, ``country``, ``period`` (``2024Q1``), ``source`` (one of
        :data:`SOURCE_TYPES`), ``count`` and ``sensitive``.

    Examples
    --------
    >>> inc = pd.DataFrame({"unit_id": ["a", "a", "a"], "country": "MLI",
    ...                     "date": pd.to_datetime(["2024-01-02", "2024-01-09", "2024-05-01"]),
    ...                     "sensitive": [True, False, False],
    ...                     "reported_by": ["police", "community", "police"]})
    >>> sources(inc)[["period", "source", "count", "sensitive"]].to_dict("records")
    [{'period': '2024Q1', 'source': 'community', 'count': 1, 'sensitive': 0}, {'period': '2024Q1', 'source': 'police', 'count': 1, 'sensitive': 1}, {'period': '2024Q2', 'source': 'police', 'count': 1, 'sensitive': 0}]
    """
    col = _column(incidents, column)
    if col is None:
        return None
    return _by_source(incidents, col)


def source_rows(
    incidents: pd.DataFrame, *, column: str | None = None, test_column: bool = True
) -> pd.DataFrame | None:
    """Each incident's row of :func:`sources`: ``unit_id``, ``country``, ``period``,
    ``source`` and ``sensitive`` (0 or 1), in the incidents' order; ``counted`` says
    whether it is counted (a source, a unit and a date). None without a source column.

    Without ``test_column`` a column found by its name is taken without the test of what
    it holds (at least half known sources): for a part of incidents whose whole passed it
    (the dask engine's partitions). The public view keys its perturbation of the table by
    these rows (:func:`borderwatch.privacy.planning.public_sources`).

    >>> inc = pd.DataFrame({"unit_id": ["a", None], "country": "MLI",
    ...                     "date": pd.to_datetime(["2024-01-02", "2024-05-01"]),
    ...                     "reported_by": ["police", "NGO"]})
    >>> source_rows(inc)[["period", "source", "counted"]].to_dict("records")
    [{'period': '2024Q1', 'source': 'police', 'counted': True}, {'period': '2024Q2', 'source': 'ngo', 'counted': False}]
    """
    col = _column(incidents, column, test=test_column)
    return None if col is None else _rows(incidents, col)


def _rows(incidents: pd.DataFrame, col: str) -> pd.DataFrame:
    """:func:`source_rows` with the source column ``col``."""
    df = pd.DataFrame(
        {
            "unit_id": incidents["unit_id"].astype(object).to_numpy(),
            "country": incidents["country"].astype(object).to_numpy(),
            "period": pd.to_datetime(incidents["date"]).dt.to_period("Q").astype(str).to_numpy(),
            "source": incidents[col].map(classify_source).to_numpy(),
            "sensitive": incidents.get("sensitive", pd.Series(False, index=incidents.index))
            .fillna(False)
            .astype(int)
            .to_numpy(),
        }
    )
    df["counted"] = (
        df["source"].notna() & df["unit_id"].notna() & (df["period"] != "NaT")
    ).to_numpy()
    return df


def _by_source(incidents: pd.DataFrame, col: str) -> pd.DataFrame:
    """The incidents by unit, country, quarter and source (the kind of ``col``)."""
    rows = _rows(incidents, col)
    df = rows[rows["counted"]].drop(columns="counted")
    out = (
        df.groupby(["unit_id", "country", "period", "source"], sort=True)
        .agg(count=("sensitive", "size"), sensitive=("sensitive", "sum"))
        .reset_index()
    )
    return out


def source_flags(by_source: pd.DataFrame | None, *, k: int = 5, lang: str = "en") -> pd.DataFrame:
    """Units where community reports and police records diverge, or a source stopped.

    Returns
    -------
    DataFrame
        ``unit_id``, ``country``, ``flag`` (``under-reporting`` or ``recording
        stopped``), ``source`` and ``detail``: a sentence in ``lang`` with the counts.

    Examples
    --------
    >>> t = pd.DataFrame({"unit_id": "a", "country": "MLI", "period": ["2024Q1", "2024Q1"],
    ...                   "source": ["community", "police"], "count": [12, 2], "sensitive": 0})
    >>> source_flags(t)[["unit_id", "flag"]].to_dict("records")
    [{'unit_id': 'a', 'flag': 'under-reporting'}]
    """
    cols = ["unit_id", "country", "flag", "source", "detail"]
    if by_source is None or not len(by_source):
        return pd.DataFrame(columns=cols)
    rows = []
    periods = sorted(by_source["period"].unique())
    last = set(periods[-2:])
    for (uid, country), grp in by_source.groupby(["unit_id", "country"], sort=True):
        tot = grp.groupby("source")["count"].sum()
        others = int(tot.drop(labels=["police", "other"], errors="ignore").sum())
        police = int(tot.get("police", 0))
        if others >= k and police * 2 < others:
            rows.append(
                [
                    uid,
                    country,
                    "under-reporting",
                    "police",
                    under_reporting(police, others, lang=lang),
                ]
            )
        recent = grp[grp["period"].isin(last)].groupby("source")["count"].sum()
        early = grp[~grp["period"].isin(last)].groupby("source")["count"].sum()
        for src, n in early.items():
            if n >= k and int(recent.get(src, 0)) == 0 and int(recent.sum()) > 0:
                rows.append(
                    [
                        uid,
                        country,
                        "recording stopped",
                        src,
                        recording_stopped(str(src), int(n), sorted(last), lang=lang),
                    ]
                )
    return pd.DataFrame(rows, columns=cols)

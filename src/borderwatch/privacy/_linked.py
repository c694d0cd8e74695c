"""Complementary suppression on the published, perturbed linked tables.

Suppression (:mod:`borderwatch.privacy.suppress`) runs on the true counts, one
line at a time; the cell-key perturbation then moves every shown count by up to
``D`` and hides every count below ``k``, zeros included. A reader of
``units.csv``, ``counts.csv`` and ``summary.json`` sees the perturbed values of
all three at once, and can bound a hidden count by the linear program of
:func:`borderwatch.privacy.audit.lp_audit`: a total published as 13 (at most
15) next to categories published as 9 and 6 (at least 7 and 5) leaves at most
3 to the hidden ones, whatever their true value.

:func:`protect_linked` runs that same audit on the published values and hides
more until every hidden count keeps the whole band ``0..k-1`` feasible (or is
at ``k`` or more), the audit's own promise:

1. ``units.csv`` with the summary totals (independent of ``--period``, so that
   the month and year releases of the same data publish the same units): for
   each unit with a finding, the smallest shown category of the unit is hidden,
   else its total, else the smallest shown value of the same column in another
   unit (for relations across units); rows of ``counts.csv`` under a newly
   hidden unit x category (or unit total) are no longer listed;
2. with ``counts.csv`` too: for a finding that only its rows cause, the rows of
   that unit are no longer listed.

Each round audits the units whose tables changed; a last round audits every
unit. Hiding only relaxes the system, so this ends; the choices depend only on
the published values, so a release key gives the same result every time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .audit import HiddenBound, lp_audit, table_categories
from .perturb import listed_rows

__all__ = ["LinkedProtection", "protect_linked"]


@dataclass(frozen=True)
class LinkedProtection:
    """The tables after :func:`protect_linked`.

    Attributes
    ----------
    units : DataFrame
        The units (the caller's type), more counts null.
    counts : DataFrame or None
        The listed rows of counts.csv.
    hidden : tuple of (str, str)
        The ``(unit_id, column)`` cells this step hid.
    dropped_rows : int
        Rows of ``counts`` no longer listed.
    unresolved : tuple of str
        Findings that nothing left to hide could resolve (empty in practice).
    """

    units: pd.DataFrame
    counts: pd.DataFrame | None
    hidden: tuple[tuple[str, str], ...]
    dropped_rows: int
    unresolved: tuple[str, ...]


def protect_linked(
    units: pd.DataFrame,
    counts: pd.DataFrame | None,
    summary: Mapping[str, Any] | None,
    *,
    k: int,
    d: int,
) -> LinkedProtection:
    """Hide more published counts until the LP audit of the linked tables finds nothing.

    Parameters
    ----------
    units : DataFrame
        The public units, perturbed (``unit_id``, ``incidents``, category
        columns, null where hidden). It is not modified.
    counts : DataFrame or None
        The public counts.csv, perturbed.
    summary : mapping or None
        The public summary (its totals join the system).
    k, d : int
        The threshold and the largest perturbation.

    Returns
    -------
    LinkedProtection

    Examples
    --------
    A total published as 13 next to 9 and 6 leaves at most 15 - 7 - 5 = 3 to
    the hidden categories; hiding the 6 too leaves them 0..8:

    >>> u = pd.DataFrame({"unit_id": ["a"], "incidents": [13], "iccs01_death": [9],
    ...                   "iccs02_harm": [6], "iccs03_sexual": [None]})
    >>> p = protect_linked(u, None, None, k=5, d=2)
    >>> p.hidden, p.units["iccs02_harm"].isna().tolist()
    ((('a', 'iccs02_harm'),), [True])
    """
    if units is None or "unit_id" not in units.columns or "incidents" not in units.columns:
        return LinkedProtection(units, counts, (), 0, ())
    tables = [counts] if counts is not None else []
    cats = table_categories(pd.DataFrame(units.drop(columns="geometry", errors="ignore")), tables)
    out = units.copy()
    ids = out["unit_id"].astype(str).to_numpy()
    cols = ["incidents", *cats]
    hidden: list[tuple[str, str]] = []
    unresolved = _settle(
        out, ids, cols, lambda only: _audit(out, (), cats, summary, k, d, only), hidden
    )
    listed = None if counts is None else listed_rows(counts, out)
    dropped = 0 if counts is None or listed is None else len(counts) - len(listed)
    if listed is not None and len(listed):
        listed, more, unresolved = _settle_rows(out, listed, cats, summary, k=k, d=d)
        dropped += more
    return LinkedProtection(out, listed, tuple(hidden), dropped, tuple(unresolved))


def _audit(
    units: pd.DataFrame,
    counts: Sequence[pd.DataFrame],
    cats: list[str],
    summary: Mapping[str, Any] | None,
    k: int,
    d: int,
    only: set[str] | None,
) -> list[HiddenBound]:
    """The findings of the LP audit (of the units in ``only``, default all)."""
    table = pd.DataFrame(units[["unit_id", "incidents", *cats]])
    table["unit_id"] = table["unit_id"].astype(str)
    bounds = lp_audit(table, counts, k=k, d=d, categories=cats, summary=summary, only_units=only)
    return [b for b in bounds if not b.protected]


def _settle(
    units: pd.DataFrame,
    ids: np.ndarray,
    cols: list[str],
    audit: Any,
    hidden: list[tuple[str, str]],
) -> list[str]:
    """Hide cells of ``units`` (in place) until ``audit(None)`` finds nothing; the rest."""
    only: set[str] | None = None
    while True:
        bad = audit(only)
        if not bad and only is None:
            return []
        if not bad:
            only = None  # the units that changed are fine: check every unit once more
            continue
        changed: set[str] = set()
        done: set[str] = set()
        for b in bad:
            if b.unit_id in done:
                continue
            done.add(b.unit_id)
            cell = _complement(units, ids, cols, b)
            if cell is not None:
                row, col = cell
                units.iloc[row, units.columns.get_loc(col)] = pd.NA
                hidden.append((str(ids[row]), col))
                changed |= {str(ids[row]), b.unit_id}
        if not changed:
            return [b.what for b in bad]
        only = changed


def _complement(
    units: pd.DataFrame, ids: np.ndarray, cols: list[str], b: HiddenBound
) -> tuple[int, str] | None:
    """The cell to hide for the finding ``b``: ``(row position, column)`` or None.

    The smallest shown category of its unit, else the unit's total, else the
    smallest shown value of its column in another unit.
    """
    rows = np.flatnonzero(ids == b.unit_id)
    if not rows.size:
        return None
    r = int(rows[0])
    cats = cols[1:]
    shown = [c for c in cats if pd.notna(units[c].iloc[r])]
    if b.column != "incidents" and shown:
        vals = [float(units[c].iloc[r]) for c in shown]
        return r, shown[int(np.argmin(vals))]
    if pd.notna(units["incidents"].iloc[r]):
        return r, "incidents"
    col = b.column if b.column in units.columns else "incidents"
    v = pd.to_numeric(units[col], errors="coerce").to_numpy(dtype=float, copy=True)
    v[r] = np.nan
    if np.isnan(v).all():
        return None
    return int(np.nanargmin(v)), col


def _settle_rows(
    units: pd.DataFrame,
    counts: pd.DataFrame,
    cats: list[str],
    summary: Mapping[str, Any] | None,
    *,
    k: int,
    d: int,
) -> tuple[pd.DataFrame, int, list[str]]:
    """Rows of counts.csv no longer listed where they alone bound a hidden count."""
    dropped = 0
    while True:
        bad = _audit(units, [counts], cats, summary, k, d, None)
        if not bad:
            return counts, dropped, []
        drop = counts["unit_id"].astype(str).isin({b.unit_id for b in bad}).to_numpy()
        if not drop.any():
            return counts, dropped, [b.what for b in bad]
        counts = counts[~drop].reset_index(drop=True)
        dropped += int(drop.sum())

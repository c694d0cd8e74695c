"""Free-text incident categories -> the common taxonomy, through a crosswalk."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from .._data import data_path
from .._errors import DataError, format_rows
from .._schema import SENSITIVE_CATEGORIES, TAXONOMY, fold, truthy

__all__ = ["TAXONOMY", "load_crosswalk", "map_categories"]

Crosswalk: TypeAlias = pd.DataFrame | str | os.PathLike[str] | None
_Hit: TypeAlias = tuple[str, bool]
#: A bare ICCS section number ("5", "05", "iccs 05", "0501" -> section 5).
_ICCS_NUMBER = re.compile(r"(?:iccs\s*)?0?(\d{1,2})\d*")


def load_crosswalk(path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load a category crosswalk (the shipped one when ``path`` is None).

    The CSV has columns ``text`` (free text, compared after case-folding and
    removing accents and punctuation), ``match`` (``exact`` or ``contains``),
    ``category`` (a key of :data:`TAXONOMY`) and ``sensitive`` (0/1). Lines
    starting with ``#`` are comments. Copy the shipped file
    (``borderwatch/data/lookups/category_crosswalk.csv``) to start your own.

    Examples
    --------
    >>> cw = load_crosswalk()
    >>> sorted(cw.columns)
    ['category', 'match', 'sensitive', 'text']
    """
    src = Path(path) if path is not None else data_path("lookups", "category_crosswalk.csv")
    try:
        cw = pd.read_csv(src, comment="#", dtype=str, keep_default_na=False)
    except Exception as exc:  # noqa: BLE001
        msg = f"{src}: cannot read the category crosswalk ({exc}). Hint: it must be a CSV with columns text,match,category,sensitive."
        raise DataError(msg) from exc
    need = {"text", "category"}
    if not need <= set(cw.columns):
        msg = f"{src}: the crosswalk needs columns text and category (has {', '.join(cw.columns)}). Hint: copy the shipped crosswalk and edit it."
        raise DataError(msg)
    cw = cw.copy()
    if "match" not in cw:
        cw["match"] = "exact"
    if "sensitive" not in cw:
        cw["sensitive"] = "0"
    bad = ~cw["category"].isin(TAXONOMY)
    if bad.any():
        msg = (
            f"{src}: unknown categories {', '.join(sorted(set(cw.loc[bad, 'category'])))} "
            f"({format_rows(np.flatnonzero(bad.to_numpy()) + 2)}). Hint: use one of {', '.join(TAXONOMY)}."
        )
        raise DataError(msg)
    cw["text"] = cw["text"].map(fold)
    cw["match"] = cw["match"].str.strip().str.lower().replace("", "exact")
    cw["sensitive"] = cw["sensitive"].map(truthy).astype(bool)
    return cw[["text", "match", "category", "sensitive"]]


def map_categories(
    raw: pd.Series, *, crosswalk: Crosswalk = None
) -> tuple[pd.Series, pd.Series, list[str]]:
    """Map free-text categories to the common taxonomy.

    Returns the taxonomy keys, a boolean ``sensitive`` series and the list of
    raw values that matched nothing (those become ``iccs11_other``; missing
    values become ``unspecified``). Exact rules win over ``contains`` rules, and
    longer ``contains`` rules over shorter ones ("armed robbery" before "robbery").

    Examples
    --------
    >>> cat, sens, unmatched = map_categories(pd.Series(["Vol de bétail", "VBG", "kidnapping", None]))
    >>> cat.tolist(), sens.tolist()
    (['iccs05_property', 'iccs03_sexual', 'iccs02_harm', 'unspecified'], [False, True, False, False])
    """
    cw = crosswalk if isinstance(crosswalk, pd.DataFrame) else load_crosswalk(crosswalk)
    rules = _Rules(cw)
    values = pd.Series(raw)
    cat_map: dict[Any, str] = {}
    sens_map: dict[Any, bool] = {}
    unmatched: list[str] = []
    for u in pd.unique(values.dropna()):
        hit = rules.match(u)
        if hit is None:
            unmatched.append(str(u))
            hit = ("iccs11_other", False)
        cat_map[u] = hit[0]
        sens_map[u] = bool(hit[1]) or hit[0] in SENSITIVE_CATEGORIES
    cats = values.map(cat_map).astype(object)
    cats = cats.where(values.notna(), "unspecified")
    sens = values.map(sens_map).eq(True).astype(bool)  # missing: not sensitive
    return cats, sens, unmatched


class _Rules:
    """The rules of a crosswalk, ready for matching."""

    def __init__(self, cw: pd.DataFrame) -> None:
        cols = ["text", "category", "sensitive"]
        exact = cw.loc[cw["match"] == "exact", cols].itertuples(index=False)
        self.exact: dict[str, _Hit] = {t: (c, s) for t, c, s in exact}
        # longer texts first: "armed robbery" before "robbery"
        self.contains: list[tuple[str, str, bool]] = sorted(
            cw.loc[cw["match"] != "exact", cols].itertuples(index=False),  # type: ignore[arg-type]
            key=lambda r: -len(r[0]),
        )
        self.keys: dict[str, _Hit] = {k: (k, k in SENSITIVE_CATEGORIES) for k in TAXONOMY}

    def match(self, value: Any) -> _Hit | None:
        """(category, sensitive) of one raw value: a taxonomy key, an exact rule, a
        ``contains`` rule or an ICCS section number, in this order; None when nothing matches."""
        f = fold(value)
        key = str(value).strip()
        if key in self.keys:
            return self.keys[key]
        if f in self.exact:
            return self.exact[f]
        padded = f" {f} "
        for text, c, s in self.contains:
            # word-bounded, allowing a plural "s"/"es" ("drugs", "drogas", "drogues")
            if text and any(f" {text}{end} " in padded for end in ("", "s", "es")):
                return (c, bool(s))
        m = _ICCS_NUMBER.fullmatch(f)
        if m and 1 <= int(m.group(1)) <= 11:
            section = TAXONOMY[int(m.group(1)) - 1]
            return (section, section in SENSITIVE_CATEGORIES)
        return None

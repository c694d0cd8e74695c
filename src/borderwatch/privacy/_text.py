"""Text of the public view: warnings that echo no input value, and the checks for it.

The warnings of an analysis quote what they complain about: file paths, column
values (country codes, category words), row numbers and small counts. In the
public view each warning keeps its message but loses those values
(:func:`public_warning`); :func:`warning_findings` is the matching check of
:func:`borderwatch.privacy.scan_for_leaks`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .._schema import TAXONOMY

__all__ = ["public_warning", "small_count_findings", "warning_findings"]

_PATH_RE = re.compile(
    r"(?:[A-Za-z]:)?[^\s'\"():]*[/\\][^\s'\"():]*"
    r"|[^\s'\"()/\\]+\.(?:csv|tsv|txt|gpkg|geojson|json|shp|xlsx|xls|parquet|tif|tiff|zip|gz)\b",
    re.IGNORECASE,
)
_QUOTED_RE = re.compile(r"'[^']*'|\"[^\"]*\"|‘[^’]*’|“[^”]*”")
_VALUES_RE = re.compile(r"\b(values?|e\.g\.)\s*:\s*[^;)\]]*", re.IGNORECASE)
_PAREN_RE = re.compile(r"\([^()]*\)")
_CODE_RE = re.compile(r"\b[A-Z]{2,3}\b")
_INT_RE = re.compile(r"(?<![\w.,\-])(\d+)(?![\w.,]\d)")


def _category_words(categories: Iterable[str]) -> set[str]:
    words = {c.lower() for c in TAXONOMY} | {str(c).lower() for c in categories if c}
    # the word of a taxonomy key: iccs03_sexual -> sexual
    words |= {w.split("_", 1)[1] for w in list(words) if w.startswith("iccs") and "_" in w}
    return {w for w in words if len(w) >= 3}


def public_warning(text: str, *, k: int, categories: Iterable[str] = ()) -> str:
    """A warning without input values: paths, quoted values, value lists, codes,
    category words and counts of 1 to ``k - 1`` are replaced.

    Examples
    --------
    >>> public_warning("/data/sgbv_survivors.csv: column 'pais' has 3 country values that "
    ...                "are neither ISO3 codes nor names (MX, Estados Unidos); sexual rows", k=5)
    '[file]: column [value] has fewer than 5 country values that are neither ISO3 codes nor names ([details]); [category] rows'
    """
    out = _PATH_RE.sub("[file]", text)
    out = _QUOTED_RE.sub("[value]", out)
    out = _VALUES_RE.sub(lambda m: f"{m.group(1)}: [values]", out)
    out = _PAREN_RE.sub("([details])", out)
    out = _CODE_RE.sub("[code]", out)
    for w in sorted(_category_words(categories), key=len, reverse=True):
        out = re.sub(
            rf"(?<![\w\[]){re.escape(w)}(?![\w\]])", "[category]", out, flags=re.IGNORECASE
        )

    def small(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return f"fewer than {k}" if 1 <= n < k else m.group(0)

    return _INT_RE.sub(small, out)


def warning_findings(
    warnings: Iterable[str],
    *,
    k: int,
    values: Iterable[str],
    categories: Iterable[str],
    paths: Iterable[str] = (),
) -> list[str]:
    """What a public summary's warnings echo: file names, input values, category words, small counts."""
    found: list[str] = []
    vals = {str(v) for v in values if v and len(str(v)) >= 2}
    words = _category_words(categories)
    names = {p for p in paths if p} | {re.split(r"[/\\]", p)[-1] for p in paths if p}
    for w in warnings:
        if not isinstance(w, str):
            continue
        if _PATH_RE.search(w) or any(n and n in w for n in names):
            found.append(f"a warning names an input file ({w[:60]!r})")
        hits = sorted(v for v in vals if re.search(rf"(?<!\w){re.escape(v)}(?!\w)", w))
        if hits:
            found.append(f"a warning echoes input values {hits[:5]}")
        cats = sorted(
            c for c in words if re.search(rf"(?<![\w\[]){re.escape(c)}(?![\w\]])", w, re.I)
        )
        if cats:
            found.append(f"a warning echoes category words {cats[:5]}")
        small = [int(m.group(1)) for m in _INT_RE.finditer(w) if 1 <= int(m.group(1)) < k]
        if small:
            found.append(f"a warning gives a count below {k} ({small[0]})")
    return found


def small_count_findings(summary: Mapping[str, Any], *, k: int) -> list[str]:
    """Incident counts of 0 to ``k - 1`` anywhere in a public summary.

    A shown zero tells "none" apart from a null "0 to k - 1", so zeros are findings too.
    """
    from .view import _is_count_key

    found: list[str] = []

    def walk(obj: Any, path: tuple[str, ...]) -> None:
        if isinstance(obj, Mapping):
            for key, v in obj.items():
                if str(key).lower() not in ("k", "privacy"):
                    walk(v, (*path, str(key).lower()))
        elif isinstance(obj, int) and not isinstance(obj, bool):
            if _is_count_key(path) and 1 <= obj < k:
                found.append(f"count {obj} (below k = {k}) at {'.'.join(path)}")
            elif _is_count_key(path) and obj == 0 and "weights" not in path:
                found.append(f"count 0 at {'.'.join(path)} (a zero stands out next to a null)")

    walk(summary, ())
    return found

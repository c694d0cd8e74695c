"""Warnings raised on the dask workers: returned as data, combined and said on the client.

A task on a worker runs its work inside :func:`caught`: the
:class:`~borderwatch.BorderwatchWarning` s raised there (by the reader, the join...) are
not shown in the worker's log but returned with the task's value, as their neutral
wording (``template``). The client combines the partitions' messages with
:func:`combined` into the messages the default engine gives for the same rows (for
example one "N of M points fall outside every unit" with N and M summed over the
partitions, not one line per partition; a reader's message names the input, not the
partition's file) and says them again with :func:`say` inside the run, so the CLI prints
them and ``summary["warnings"]`` lists them.

The capture is per thread (a worker may run several tasks at once, and with
``processes=False`` the client shares the process): :mod:`borderwatch._warnings`.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ._errors import BorderwatchWarning
from ._warnings import withheld

__all__ = ["caught", "combined", "diverted", "say"]


@contextmanager
def diverted() -> Iterator[list[str]]:
    """Record the borderwatch warnings this thread raises inside the block (templates),
    instead of showing them.

    Examples
    --------
    >>> import warnings
    >>> with diverted() as sink:
    ...     warnings.warn("3 of 9 points fall outside every unit", BorderwatchWarning)
    >>> sink
    ['3 of 9 points fall outside every unit']
    """
    out: list[str] = []
    try:
        with withheld() as kept:
            yield out
    finally:
        out.extend(str(getattr(k.message, "template", k.message)) for k in kept)


def caught(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, tuple[str, ...]]:
    """``fn(*args, **kwargs)`` and the borderwatch warnings it raised (on a worker).

    Examples
    --------
    >>> import warnings
    >>> def work(n):
    ...     warnings.warn(f"{n} rows dropped", BorderwatchWarning)
    ...     return n + 1
    >>> caught(work, 2)
    (3, ('2 rows dropped',))
    """
    with diverted() as sink:
        value = fn(*args, **kwargs)
    return value, tuple(sink)


# ------------------------------------------------------------------- combining on the client

_OUTSIDE = re.compile(r"(\d+) of (\d+) points fall outside every unit (.*)", re.S)
_DROPPED = re.compile(r"(.*): dropped (\d+) invalid (\w+) rows \((.*)\)\.", re.S)
_COUNTRY = re.compile(
    r"(.*): column '(.*)' has (\d+) country values that are neither ISO3 codes nor English "
    r"country names \((.*)\); (.*)",
    re.S,
)
_CATEGORY = re.compile(
    r"(.*): (\d+) category values in column '(.*)' are not in the crosswalk and were counted "
    r"as iccs11_other: (.*?)(?<! \.\.\.)\. (Hint: .*)",
    re.S,
)


def _outside(parts: list[re.Match[str]]) -> str:
    n = sum(int(m.group(1)) for m in parts)
    total = sum(int(m.group(2)) for m in parts)
    return f"{n} of {total} points fall outside every unit {parts[0].group(3)}"


def _dropped(parts: list[re.Match[str]]) -> str:
    from .io._points import REASONS

    by_reason: dict[str, int] = {}
    for m in parts:
        for item in m.group(4).split(", "):
            n, _, reason = item.partition(" ")
            by_reason[reason] = by_reason.get(reason, 0) + int(n)
    order = list(REASONS.values())
    ranked = sorted(by_reason, key=lambda r: order.index(r) if r in order else len(order))
    text = ", ".join(f"{by_reason[r]} {r}" for r in ranked)
    n = sum(int(m.group(2)) for m in parts)
    return f"{parts[0].group(1)}: dropped {n} invalid {parts[0].group(3)} rows ({text})."


def _country(parts: list[re.Match[str]]) -> str:
    n = sum(int(m.group(3)) for m in parts)
    vals = sorted({v for m in parts for v in m.group(4).split(", ")})[:5]
    first = parts[0]
    return (
        f"{first.group(1)}: column '{first.group(2)}' has {n} country values that are neither "
        f"ISO3 codes nor English country names ({', '.join(vals)}); {first.group(5)}"
    )


def _category(parts: list[re.Match[str]]) -> str:
    seen: list[str] = []
    for m in parts:  # each partition's values in order of first appearance, all of them
        for v in ast.literal_eval(f"[{m.group(4)}]"):
            if v not in seen:
                seen.append(v)
    first = parts[0]
    more = " ..." if len(seen) > 10 else ""
    return (
        f"{first.group(1)}: {len(seen)} category values in column '{first.group(3)}' are not "
        f"in the crosswalk and were counted as iccs11_other: "
        f"{', '.join(repr(v) for v in seen[:10])}{more}. {first.group(5)}"
    )


#: (pattern, the groups that must agree, how the partitions' messages combine)
_RULES: tuple[
    tuple[re.Pattern[str], tuple[int, ...], Callable[[list[re.Match[str]]], str]], ...
] = (
    (_OUTSIDE, (3,), _outside),
    (_DROPPED, (1, 3), _dropped),
    (_COUNTRY, (1, 2, 5), _country),
    (_CATEGORY, (1, 3, 5), _category),
)


def _renamed(text: str, own: str | None, name: str | None) -> str:
    """A reader's message about partition file ``own`` as about the input ``name``."""
    if own and name and text.startswith(own + ": "):
        return name + text[len(own) :]
    return text


def combined(
    messages: Sequence[Sequence[str]],
    *,
    files: Sequence[str | None] = (),
    source: str | None = None,
) -> list[str]:
    """The partitions' warnings (``messages[i]``: partition ``i``'s, in file order) as
    the default engine gives them for all rows at once: counts summed, values merged,
    a reader's message naming ``source`` instead of partition ``i``'s file ``files[i]``,
    each message once, in order of first appearance.

    Examples
    --------
    >>> combined([["a.csv: dropped 2 invalid incidents rows (2 unparseable date)."],
    ...           ["3 of 50 points fall outside every unit (beyond 1.0 km); say.",
    ...            "b.csv: dropped 1 invalid incidents rows (1 missing coordinates)."],
    ...           ["1 of 40 points fall outside every unit (beyond 1.0 km); say."]],
    ...          files=["a.csv", "b.csv", "c.csv"], source="parts")  # doctest: +NORMALIZE_WHITESPACE
    ['parts: dropped 3 invalid incidents rows (1 missing coordinates, 2 unparseable date).',
     '4 of 90 points fall outside every unit (beyond 1.0 km); say.']
    """
    order: list[Any] = []  # a message, or the key of a rule's group
    groups: dict[Any, list[re.Match[str]]] = {}
    for i, part in enumerate(messages):
        own = files[i] if i < len(files) else None
        for raw in part:
            text = _renamed(raw, own, source)
            key: Any = text
            for r, (pattern, agree, _) in enumerate(_RULES):
                m = pattern.fullmatch(text)
                if m is not None and (pattern is not _CATEGORY or not m.group(4).endswith("...")):
                    key = (r, tuple(m.group(g) for g in agree))
                    groups.setdefault(key, []).append(m)
                    break
            if key not in order:
                order.append(key)
    return [_RULES[k[0]][2](groups[k]) if isinstance(k, tuple) else k for k in order]


def say(messages: Sequence[str]) -> None:
    """Warn each message (a template) on the client, as the default engine warns it."""
    for text in messages:
        warnings.warn(text, BorderwatchWarning, stacklevel=3)

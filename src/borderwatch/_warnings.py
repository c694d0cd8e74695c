"""How borderwatch records its own warnings: per thread, not through the warnings filters.

:func:`warnings.catch_warnings` changes process-wide state (the filters and
``showwarning``) and restores it on exit. When another thread in the process enters
and leaves it at other times (pandas does, and so do a dask client's threads or a
``LocalCluster(processes=False)``'s workers), that restore throws away the recorder
of a thread that entered in between: a whole run's warnings could be lost from
``summary["warnings"]``.

So :func:`warnings.warn` is wrapped once per process: a
:class:`~borderwatch.BorderwatchWarning` raised in a thread inside :func:`withheld`
is kept in that thread's list (with where it was raised), before any filter;
everything else is warned as usual. Nested blocks keep their own lists, and
:func:`collect_warnings` gives its warnings, once each, to the block around it, else
to the thread's :func:`heard` listener (the CLI's printer), else to :mod:`warnings`.
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple, cast

from ._errors import BorderwatchWarning

__all__ = ["Said", "collect_warnings", "heard", "resay", "withheld"]

_local = threading.local()
_install_lock = threading.Lock()
_original: list[Callable[..., Any]] = []


class Said(NamedTuple):
    """A borderwatch warning withheld in a thread, and where it was raised."""

    message: BorderwatchWarning
    filename: str
    lineno: int


def _kept(said: Said) -> bool:
    """Give ``said`` to this thread's :func:`withheld` block, else to its :func:`heard`
    listener; False if the thread has neither."""
    sink: list[Said] | None = getattr(_local, "sink", None)
    if sink is not None:
        sink.append(said)
        return True
    listener: Callable[[Said], None] | None = getattr(_local, "listener", None)
    if listener is not None:
        listener(said)
        return True
    return False


def _divert(
    message: Any, category: Any = None, stacklevel: int = 1, source: Any = None, **kw: Any
) -> None:
    """:func:`warnings.warn`, except that a borderwatch warning raised in a thread inside
    :func:`withheld` (or :func:`heard`) goes there instead."""
    cat = type(message) if isinstance(message, Warning) else (category or UserWarning)
    ours = isinstance(cat, type) and issubclass(cat, BorderwatchWarning)
    if ours and (getattr(_local, "sink", None) is not None or getattr(_local, "listener", None)):
        msg = message if isinstance(message, BorderwatchWarning) else cat(str(message))
        try:
            frame = sys._getframe(max(int(stacklevel), 1))
            where = (frame.f_code.co_filename, frame.f_lineno)
        except ValueError:  # fewer frames than the stack level: as warnings does
            where = ("sys", 1)
        _kept(Said(cast(BorderwatchWarning, msg), *where))
        return
    _original[0](message, category, stacklevel + 1, source, **kw)


def _install() -> None:
    with _install_lock:
        if warnings.warn is not _divert:
            _original[:] = [warnings.warn]
            warnings.warn = _divert


@contextmanager
def withheld() -> Iterator[list[Said]]:
    """Keep the borderwatch warnings this thread raises inside the block, not shown.

    Examples
    --------
    >>> with withheld() as kept:
    ...     warnings.warn("3 of 9 points fall outside every unit", BorderwatchWarning)
    >>> [str(s.message) for s in kept]
    ['3 of 9 points fall outside every unit']
    """
    _install()
    previous = getattr(_local, "sink", None)
    sink: list[Said] = []
    _local.sink = sink
    try:
        yield sink
    finally:
        _local.sink = previous


def resay(said: Said) -> None:
    """Warn ``said`` again where it was raised: into this thread's :func:`withheld` block
    or :func:`heard` listener if there is one, else through :mod:`warnings` (its filters
    and ``showwarning``)."""
    if not _kept(said):
        warnings.warn_explicit(said.message, type(said.message), said.filename, said.lineno)


@contextmanager
def heard(listener: Callable[[Said], None]) -> Iterator[None]:
    """Give the borderwatch warnings this thread says inside the block (outside any
    :func:`withheld` block) to ``listener``, not to :mod:`warnings` (the CLI prints
    them as flags).

    Examples
    --------
    >>> got = []
    >>> with heard(lambda said: got.append(str(said.message))):
    ...     warnings.warn("5 rows dropped", BorderwatchWarning)
    >>> got
    ['5 rows dropped']
    """
    _install()
    previous = getattr(_local, "listener", None)
    _local.listener = listener
    try:
        yield
    finally:
        _local.listener = previous


@contextmanager
def collect_warnings() -> Iterator[list[str]]:
    """Record borderwatch's warnings (for ``summary.json``, once each), then warn each
    again for the caller (:mod:`warnings` shows them in API terms; the CLI prints them
    as flags). Other warnings are shown as usual.

    Examples
    --------
    >>> with warnings.catch_warnings(record=True) as shown:
    ...     warnings.simplefilter("always")
    ...     with collect_warnings() as caught:
    ...         for _ in range(2):
    ...             warnings.warn("2 rows dropped", BorderwatchWarning)
    >>> caught, [str(w.message) for w in shown]
    (['2 rows dropped'], ['2 rows dropped'])
    """
    caught: list[str] = []
    with withheld() as kept:
        yield caught
    for said in kept:
        text = str(said.message)
        if text in caught:
            continue
        caught.append(text)
        resay(said)

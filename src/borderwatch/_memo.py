"""When borderwatch may remember results per geometry array (:func:`remembering`).

Several steps of an analysis need the same thing of the same incidents: their
projection to the study CRS (:func:`borderwatch._geom.projected`), their metric
coordinates (:func:`borderwatch._inputs.metric_xy`), their cells
(:func:`borderwatch._cellindex.remembered_cells`), their distance to the border
(:func:`borderwatch._countries.remember_border_km`). These are remembered, keyed by the
identity of the geometry array, which is only sound while nobody changes that array in
place; and a user can (``gdf.loc[0, "geometry"] = Point(...)`` writes into the same
array). So they are remembered only inside :func:`remembering`, which
:func:`borderwatch.analyze` and :func:`borderwatch.write_outputs` enter (borderwatch
never changes a frame in place), and forgotten when the outermost block ends. A
function called on its own, say in a notebook between two edits of a frame, computes
afresh.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["active", "forget_on_exit", "remembering"]

_lock = threading.Lock()
_depth = [0]
_forget: list[Callable[[], None]] = []


def forget_on_exit(clear: Callable[[], None]) -> None:
    """Register ``clear`` (which empties one module's memory) for the end of the outermost
    :func:`remembering` block."""
    _forget.append(clear)


def active() -> bool:
    """Whether a :func:`remembering` block is open (in any thread of this process).

    >>> active()
    False
    >>> with remembering():
    ...     active()
    True
    """
    return _depth[0] > 0


@contextmanager
def remembering() -> Iterator[None]:
    """Remember results per geometry array inside the block; forget them all when the
    outermost block ends (also on an error)."""
    with _lock:
        _depth[0] += 1
    try:
        yield
    finally:
        with _lock:
            _depth[0] -= 1
            last = _depth[0] == 0
        if last:
            for clear in _forget:
                clear()

"""Stacks: incidents recorded at the same location.

Real data repeat coordinates: UCDP puts 2,816 events on one Tijuana
coordinate, police data repeat addresses and geocoder centroids. A null model
that moves incidents one by one treats such a stack as 2,816 independent
coincidences; the honest null moves each *location with its stack*
(:mod:`borderwatch.scan`, :mod:`borderwatch.clusters`, :mod:`borderwatch.regions`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["STACK_TOLERANCE_M", "stacks"]

#: Incidents whose metric coordinates agree to this many metres share a location.
STACK_TOLERANCE_M = 1.0


def stacks(
    xy: np.ndarray, *, tolerance_m: float = STACK_TOLERANCE_M
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group points that share a location.

    Parameters
    ----------
    xy : (m, 2) array
        Metric coordinates.
    tolerance_m : float
        Coordinates are compared after rounding to this many metres.

    Returns
    -------
    location : (m,) int array
        The location (0..L-1) of each point, in order of first appearance.
    sizes : (L,) int array
        Points at each location (the stack sizes).
    first : (L,) int array
        The first point of each location.

    Examples
    --------
    >>> loc, sizes, first = stacks(np.array([[0.0, 0.0], [5.0, 5.0], [0.2, 0.1], [0.0, 0.0]]))
    >>> loc.tolist(), sizes.tolist(), first.tolist()
    ([0, 1, 0, 0], [3, 1], [0, 1])
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(xy) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    key = np.rint(xy / float(tolerance_m)).astype(np.int64)
    _, first, inverse, sizes = np.unique(
        key, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    order = np.argsort(first, kind="stable")  # number locations by first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return (
        rank[inverse.ravel()].astype(np.int64),
        sizes[order].astype(np.int64),
        first[order].astype(np.int64),
    )

"""Fisher-Jenks natural breaks, exact, in numpy (no import-time compilation).

The choropleth classes of the units are Jenks' optimal natural breaks: the
partition of the sorted values into ``k`` classes that minimises the sum of
squared deviations within classes (Fisher 1958; Jenks 1977). This module solves
the same dynamic programme as ``mapclassify.FisherJenks`` with the same single
precision arithmetic and the same tie rule, so the breaks are equal (the test
suite compares them on random and tied inputs); it exists because importing
mapclassify compiles its numba kernel eagerly, which costs every CLI run about
7 s of CPU (measured with ``python -c "import mapclassify"``).

References
----------
Fisher, W. D. (1958). On grouping for maximum homogeneity. Journal of the
American Statistical Association 53(284), 789-798.

Jenks, G. F. (1977). Optimal data classification for choropleth maps.
Occasional paper 2, Department of Geography, University of Kansas.
"""

from __future__ import annotations

import numpy as np


def fisher_jenks_bins(values: np.ndarray, *, k: int = 5) -> np.ndarray:
    """Upper bounds of the ``k`` Fisher-Jenks classes of ``values``.

    Parameters
    ----------
    values : numpy.ndarray
        Finite values (any order; sorted here).
    k : int
        Number of classes, at most the number of distinct values.

    Returns
    -------
    numpy.ndarray
        ``k`` increasing upper bounds; the last is the maximum.

    Examples
    --------
    >>> fisher_jenks_bins(np.array([1, 2, 2, 3, 10, 11, 12, 30, 31, 50.0]), k=3).tolist()
    [12.0, 31.0, 50.0]
    """
    x = np.sort(np.asarray(values, dtype="f8"))
    n = x.size
    # cost[l, j]: least within-class sum of squares of the first l values in j classes (float32,
    # as the reference); start[l, j]: 1-based index where the last of those classes begins
    cost = np.full((n + 1, k + 1), np.inf, dtype=np.float32)
    cost[:2, :] = 0
    start = np.zeros((n + 1, k + 1), dtype=np.int64)
    start[1, 1:] = 1
    x32 = x.astype(np.float32)
    for last in range(2, n + 1):
        # the last class is x[i3-1 : last] for i3 = last, last-1, ..., 1 (m = 1..last values)
        tail = x32[last - 1 :: -1] if last < n else x32[::-1]
        w = np.arange(1, last + 1, dtype=np.float32)
        s1 = np.cumsum(tail, dtype=np.float32)
        s2 = np.cumsum(tail * tail, dtype=np.float32)
        v = (s2 - (s1 * s1) / w).astype(np.float32)
        i3 = last - np.arange(last)  # m = 1..last  ->  i3 = last..1
        cost[last, 1] = v[-1]
        start[last, 1] = 1
        if last > 1:
            vv, before = v[:-1], i3[:-1] - 1  # i4 = i3 - 1 >= 1
            for j in range(2, k + 1):
                cand = (vv + cost[before, j - 1]).astype(np.float32)
                best = cand.min()
                if not best <= cost[last, j]:
                    continue
                # the reference keeps the last m (smallest i3) that reaches the minimum
                pick = np.flatnonzero(cand == best)[-1]
                cost[last, j] = best
                start[last, j] = i3[pick]
    bins = np.zeros(k + 1)
    bins[k] = x[n - 1]
    bins[0] = x[0]
    at = n
    for j in range(k, 1, -1):
        pivot = int(start[at, j])
        bins[j - 1] = x[pivot - 2]
        at = pivot - 1
    return bins[1:]

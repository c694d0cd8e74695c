"""The wave 8 shortcuts (issue #7, the Mexico full-resolution case) give exactly what the
direct computations give.

* the far-end check of :func:`borderwatch.borders.border_lines` (``not dwithin`` of the
  prepared polygon, once per distinct end) answers as ``distance(end, b) > tol``;
* :func:`borderwatch.emerging.cube_weights`, written straight into its final arrays,
  is the canonical CSR matrix of the sum of Kronecker products it is defined by:
  the same indices, pointers, values and 32-bit index type, element for element.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from scipy import sparse
from shapely.geometry import Polygon, box

from borderwatch.borders import _far_ends, _near_envelope, _within
from borderwatch.emerging import cube_weights


def _polygon() -> shapely.Geometry:
    """A star with a hole and a detached square: concave edges, holes, several parts."""
    ang = np.linspace(0.0, 2.0 * np.pi, 41)[:-1]
    radius = np.where(np.arange(40) % 2 == 0, 50_000.0, 22_000.0)
    star = Polygon(np.column_stack([radius * np.cos(ang), radius * np.sin(ang)]))
    star = star.difference(box(-5_000, -5_000, 5_000, 5_000))
    return shapely.union(star, box(60_000, -10_000, 80_000, 10_000))


def test_far_ends_answer_as_the_distance() -> None:
    b = _polygon()
    tol = 2_000.0
    rng = np.random.default_rng(3)
    start = rng.uniform(-90_000, 90_000, (3_000, 2))
    # short segments, like the densified outline, and some sharing their ends
    stop = start + rng.normal(0.0, 800.0, (3_000, 2))
    stop[::7] = start[1::7][: len(stop[::7])]
    # ends at exactly tol from the square's edge, and on it
    exact = np.array([[80_000.0 + tol, 0.0], [80_000.0, 3_000.0], [70_000.0, 10_000.0 + tol]])
    start = np.vstack([start, exact])
    stop = np.vstack([stop, exact[::-1]])
    segs = shapely.linestrings(np.stack([start, stop], axis=1))
    want = (shapely.distance(shapely.points(start), b) > tol) | (
        shapely.distance(shapely.points(stop), b) > tol
    )
    got = _far_ends(segs, b, tol)
    assert 0 < want.sum() < len(want)  # both answers occur
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("n_segs", [50, 3_000])  # fewer or more segments than b's edges
def test_segment_filters_answer_as_the_direct_predicates(n_segs: int) -> None:
    b = _polygon()
    rng = np.random.default_rng(n_segs)
    start = rng.uniform(-120_000, 120_000, (n_segs, 2))
    stop = start + rng.normal(0.0, 1_500.0, (n_segs, 2))
    segs = shapely.linestrings(np.stack([start, stop], axis=1))
    for tol in (0.0, 2_000.0):
        near_box = shapely.buffer(shapely.envelope(b), tol)
        np.testing.assert_array_equal(
            _near_envelope(segs, b, tol), shapely.intersects(segs, near_box)
        )
        np.testing.assert_array_equal(_within(segs, b, tol), shapely.dwithin(segs, b, tol))


def _kron_sum(adj: sparse.csr_array, bins: int, step: int) -> sparse.csr_array:
    n = adj.shape[0]
    want = sparse.kron(sparse.eye(bins), adj, format="csr")
    for lag in range(1, step + 1):
        want = want + sparse.kron(sparse.eye(bins, k=-lag), adj + sparse.eye(n), format="csr")
    out = sparse.csr_array(want)
    out.sort_indices()
    return out


@pytest.mark.parametrize(("bins", "step"), [(1, 1), (2, 1), (6, 1), (3, 3), (5, 2), (40, 1)])
def test_cube_weights_are_the_canonical_kronecker_sum(bins: int, step: int) -> None:
    rng = np.random.default_rng(bins * 10 + step)
    n = 60
    a = sparse.random(n, n, density=0.08, random_state=rng, format="csr")
    a = sparse.csr_array(((a + a.T) > 0).astype(float))
    a.setdiag(0)
    a.eliminate_zeros()
    got = cube_weights(a, bins, time_step=step)
    want = _kron_sum(a, bins, step)
    assert got.shape == want.shape
    assert got.indices.dtype == np.int32 and got.indptr.dtype == np.int32
    assert got.data.dtype == np.float64
    np.testing.assert_array_equal(got.indptr, want.indptr)
    np.testing.assert_array_equal(got.indices, want.indices)
    np.testing.assert_array_equal(got.data, want.data)


@pytest.mark.parametrize("values", ["counts", "rates", "big"])
@pytest.mark.parametrize("weights", ["binary", "weighted"])
def test_star_lag_equals_the_built_star_matrix(values: str, weights: str) -> None:
    from borderwatch._stats import _star_lag, gi_analytic

    rng = np.random.default_rng(5)
    n = 400
    a = sparse.random(n, n, density=0.03, random_state=rng, format="csr")
    a = sparse.csr_array(a + a.T)
    if weights == "binary":
        a.data[:] = 1.0
    y = {
        "counts": rng.poisson(0.7, n).astype(float),
        "rates": rng.gamma(2.0, 0.37, n),
        "big": rng.integers(0, 2**52, n).astype(float),  # too large for exact sums
    }[values]
    wstar = a + sparse.eye_array(n, format="csr")
    lag, card = _star_lag(y, a)
    np.testing.assert_array_equal(lag, wstar @ y)
    np.testing.assert_array_equal(card, np.asarray(wstar.sum(axis=1)).ravel())
    stat, z = gi_analytic(y, a)
    assert np.isfinite(z).all() and stat.shape == (n,)

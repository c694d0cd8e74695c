"""The point clusters' shortcuts give the direct computation's answers.

* DBSCAN's compiled pair-by-pair engine for few points (``borderwatch._dbscan_direct``)
  against the bounded-memory engine and scikit-learn, on hand-made edge cases;
* the study area's cells settled in blocks (``_clustertest.cell_states``) against a
  test of every cell;
* the simulated maps' bound on locations weighted by their stacks against the bound
  of the incidents themselves;
* ``find_clusters`` building the layer only for the clusters it keeps against the
  layer of every cluster, filtered;
* DBSCAN's eps-squares (column by column, counted in a table) and their components
  (the far pairs filtered before their sort) against the computation as it was before
  (``_before_*``);
* the area test's path for points all in its lattice, the draws scaled column by
  column, the bound column by column and the finer lattice likewise.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import MultiPolygon, Polygon, box
from sklearn.cluster import DBSCAN

import borderwatch._dbscan as dbscan_mod
from borderwatch._clustertest import (
    AreaTest,
    cell_states,
    dense_cluster_bound,
    max_cluster_sizes,
    p_values,
    uniform_points,
)
from borderwatch._dbscan_direct import direct_dbscan
from borderwatch.clusters import find_clusters


def _bounded_engine(xy: np.ndarray, eps: float, min_samples: int):
    """``dbscan_labels`` through the eps-squares and KD-tree only (no compiled engine)."""
    keep = dbscan_mod._DIRECT_MAX
    dbscan_mod._DIRECT_MAX = -1
    try:
        return dbscan_mod.dbscan_labels(xy, eps=eps, min_samples=min_samples)
    finally:
        dbscan_mod._DIRECT_MAX = keep


def _sklearn(xy: np.ndarray, eps: float, min_samples: int):
    fit = DBSCAN(eps=eps, min_samples=min_samples).fit(xy)
    core = np.zeros(len(xy), dtype=bool)
    core[fit.core_sample_indices_] = True
    return fit.labels_.astype(np.int64), core


def _same_three_ways(xy: np.ndarray, eps: float, min_samples: int) -> tuple[list, list]:
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    got = direct_dbscan(xy, eps=eps, min_samples=min_samples)
    assert got is not None
    for other in (_bounded_engine(xy, eps, min_samples), _sklearn(xy, eps, min_samples)):
        assert got[0].tolist() == other[0].tolist()
        assert got[1].tolist() == other[1].tolist()
    assert got[0].dtype == np.int64 and got[1].dtype == bool
    return got[0].tolist(), got[1].tolist()


def test_direct_dbscan_points_exactly_eps_apart_are_neighbours() -> None:
    # a row 1 apart with eps = 1: each inner point has 3 neighbours (itself included)
    labels, core = _same_three_ways([[0, 0], [1, 0], [2, 0], [3, 0], [5, 0]], 1.0, 3)
    assert labels == [0, 0, 0, 0, -1]
    assert core == [False, True, True, False, False]
    # just over eps: nobody is a neighbour of anybody else
    labels, core = _same_three_ways([[0, 0], [1 + 1e-9, 0], [2 + 2e-9, 0]], 1.0, 2)
    assert labels == [-1, -1, -1] and core == [False, False, False]


def test_direct_dbscan_stacks_at_one_location_and_the_min_samples_edge() -> None:
    stack4 = np.repeat([[10.0, 10.0]], 4, axis=0)
    lone = np.array([[50.0, 50.0]])
    xy = np.vstack([lone, stack4])
    # a stack of 4 with min_samples 5: just under, all noise
    labels, core = _same_three_ways(xy, 1.0, 5)
    assert labels == [-1] * 5 and not any(core)
    # at min_samples: one cluster of the stack, numbered 0 though it is not the first row
    labels, core = _same_three_ways(xy, 1.0, 4)
    assert labels == [-1, 0, 0, 0, 0] and core == [False, True, True, True, True]
    # min_samples 1: every point is core, each location its own cluster
    labels, _ = _same_three_ways(xy, 1.0, 1)
    assert labels == [0, 1, 1, 1, 1]


def test_direct_dbscan_border_point_reachable_from_two_cores_joins_the_first_cluster() -> None:
    # two stacks of 3, 4 apart, each with 4 supporters 1.5 further out: a stack point has
    # 3 + 4 + 1 = 8 neighbours within eps = 2 (core with min_samples 8); the point midway is
    # within eps of both stacks but has only 1 + 3 + 3 = 7 (a border point of both)
    right = np.repeat([[2.0, 0.0], [3.5, 0.0]], [3, 4], axis=0)
    left = np.repeat([[-2.0, 0.0], [-3.5, 0.0]], [3, 4], axis=0)
    mid = np.array([[0.0, 0.0]])
    # the right cluster's first core point comes first: it is cluster 0 and takes the border
    xy = np.vstack([right, mid, left])
    labels, core = _same_three_ways(xy, 2.0, 8)
    assert labels == [0] * 7 + [0] + [1] * 7
    assert core == [True] * 3 + [False] * 4 + [False] + [True] * 3 + [False] * 4
    # rows swapped: the left cluster is first and takes it
    xy = np.vstack([left, mid, right])
    labels, _ = _same_three_ways(xy, 2.0, 8)
    assert labels == [0] * 7 + [0] + [1] * 7
    # the border point first of all rows: it still goes to the lowest-numbered cluster
    xy = np.vstack([mid, right, left])
    labels, _ = _same_three_ways(xy, 2.0, 8)
    assert labels == [0] + [0] * 7 + [1] * 7


def test_direct_dbscan_empty_single_and_collinear_inputs() -> None:
    got = direct_dbscan(np.zeros((0, 2)), eps=1.0, min_samples=2)
    assert got is not None and got[0].shape == (0,) and got[1].shape == (0,)
    assert _same_three_ways([[3.0, 4.0]], 1.0, 1) == ([0], [True])
    assert _same_three_ways([[3.0, 4.0]], 1.0, 2) == ([-1], [False])
    labels, _ = _same_three_ways([[x, 0.0] for x in range(20)], 1.0, 3)
    assert labels == [0] * 20


@pytest.mark.parametrize("seed", range(4))
def test_direct_dbscan_random_layouts_match(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for trial in range(25):
        n = int(rng.integers(2, 300))
        if trial % 3 == 0:  # integer lattice: many pairs exactly eps apart, stacks
            xy = rng.integers(0, 6, (n, 2)).astype(float)
        elif trial % 3 == 1:  # stacks of random size
            xy = np.repeat(rng.uniform(0, 8, (n // 4 + 1, 2)), rng.integers(1, 7, n // 4 + 1), 0)
        else:
            xy = rng.normal(0, rng.uniform(0.3, 4), (n, 2))
        _same_three_ways(xy, float(rng.choice([0.5, 1.0, 2.0])), int(rng.integers(1, 8)))


def test_direct_dbscan_hands_dense_inputs_to_the_bounded_engine() -> None:
    rng = np.random.default_rng(0)
    dense = rng.uniform(0, 1, (20_000, 2))  # every pair within the 3 x 3 squares of eps=1
    assert direct_dbscan(dense, eps=1.0, min_samples=5) is None
    labels, core = dbscan_mod.dbscan_labels(dense, eps=1.0, min_samples=5)
    assert (labels == 0).all() and core.all()


def _every_cell(area, origin, side, shape):
    ix, iy = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
    x0, y0 = origin[0] + ix.ravel() * side, origin[1] + iy.ravel() * side
    boxes = shapely.box(x0, y0, x0 + side, y0 + side)
    return (
        shapely.contains_properly(area, boxes).reshape(shape),
        shapely.intersects(area, boxes).reshape(shape),
    )


def _areas() -> list:
    rng = np.random.default_rng(3)
    angles = np.sort(rng.uniform(0, 2 * np.pi, 40))
    radius = rng.uniform(30, 100, 40)
    blob = Polygon(np.column_stack([radius * np.cos(angles), radius * np.sin(angles)]))
    holed = Polygon(
        [(0, 0), (100, 0), (100, 60), (0, 60)], [[(20, 20), (50, 20), (50, 40), (20, 40)]]
    )
    islands = MultiPolygon([box(0, 0, 10, 10), box(30.5, 0, 31, 80), box(60, 60, 90, 61)])
    thin = Polygon([(0, 0), (1000, 1), (0, 2)])
    return [blob, holed, islands, thin, box(0, 0, 1, 1)]


@pytest.mark.parametrize("which", range(5))
def test_cell_states_in_blocks_equal_every_cell_tested(which: int) -> None:
    area = _areas()[which]
    minx, miny, maxx, maxy = area.bounds
    for cells in (50, 1_000, 20_000):
        side = float(np.sqrt(max(maxx - minx, 1e-9) * max(maxy - miny, 1e-9) / cells))
        shape = (int(np.ceil((maxx - minx) / side)) + 1, int(np.ceil((maxy - miny) / side)) + 1)
        origin = np.array([minx, miny])
        got = cell_states(area, origin, side, shape)
        want = _every_cell(area, origin, side, shape)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    # and the area test still answers as contains_xy does
    xy = np.random.default_rng(which).uniform((minx - 5, miny - 5), (maxx + 5, maxy + 5), (4000, 2))
    assert np.array_equal(AreaTest(area).contains(xy), shapely.contains_xy(area, *xy.T))


def test_cell_states_of_the_demo_area_equal_every_cell_tested(demo_data) -> None:
    from borderwatch import study_crs

    units = demo_data[0]
    area = units.to_crs(study_crs(units)).union_all()
    test = AreaTest(area)
    want = _every_cell(area, test.origin, test.side, test.shape)
    got = cell_states(area, test.origin, test.side, test.shape)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    assert got[1].sum() > got[0].sum() > 0.3 * got[0].size  # a real mix of cells


def test_weighted_bound_equals_the_bound_of_the_repeated_points() -> None:
    rng = np.random.default_rng(5)
    for _ in range(30):
        n_loc = int(rng.integers(1, 400))
        places = rng.uniform(0, 20, (n_loc, 2))
        stack = rng.integers(1, 6, n_loc)
        points = np.repeat(places, stack, axis=0)
        for min_samples in (1, 3, 5, 12):
            want = dense_cluster_bound(points, eps=1.5, min_samples=min_samples)
            got = dense_cluster_bound(places, eps=1.5, min_samples=min_samples, weights=stack)
            assert got == want
    # fewer incidents than min_samples, however many locations
    assert dense_cluster_bound(np.zeros((2, 2)), eps=1, min_samples=5, weights=[2, 2]) == 0
    assert dense_cluster_bound(np.zeros((2, 2)), eps=1, min_samples=4, weights=[2, 2]) == 4


def test_simulated_maps_with_the_locations_bound_equal_those_of_the_incidents() -> None:
    from borderwatch._dbscan import dbscan_labels

    rng = np.random.default_rng(2)
    location = rng.integers(0, 150, 600)  # stacks of about 4 incidents
    location = np.unique(location, return_inverse=True)[1].ravel()
    area = box(0, 0, 30, 20)

    def label(pts):
        return dbscan_labels(pts, eps=1.5, min_samples=8)[0]

    def weighted(pts, stack):
        return dense_cluster_bound(pts, eps=1.5, min_samples=8, weights=stack)

    def gathered(pts, stack):  # the incidents themselves, one row each
        return dense_cluster_bound(np.repeat(pts, stack, axis=0), eps=1.5, min_samples=8)

    for give_up in ((10, 3), (40, 5), (10_000, 5)):
        runs = [
            max_cluster_sizes(
                location, area, label, replicates=39, seed=7, give_up=give_up, bound=b
            )
            for b in (weighted, gathered, None)
        ]
        assert runs[0].tolist() == runs[1].tolist()
        # without a bound every map is clustered: the same hits, the same p-values
        cut = give_up[0]
        assert (runs[0] >= cut).sum() == (runs[2] >= cut).sum()
        sizes = np.arange(1, cut + 1)
        assert p_values(sizes, runs[0]).tolist() == p_values(sizes, runs[2]).tolist()


def _incidents(
    n_clusters: int, seed: int, n_background: int = 4_000
) -> tuple[gpd.GeoDataFrame, gpd.GeoSeries]:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(5_000, 95_000, (n_clusters, 2))
    spread = [rng.normal(c, 600, (int(rng.integers(6, 60)), 2)) for c in centres]
    background = rng.uniform(0, 100_000, (n_background, 2))
    xy = np.vstack([*spread, background])
    n = len(xy)
    inc = gpd.GeoDataFrame(
        {
            "country": np.where(xy[:, 0] < 50_000, "MLI", "NER"),
            "date": np.datetime64("2024-01-01") + rng.integers(0, 400, n).astype("timedelta64[D]"),
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=32631,
    )
    return inc, gpd.GeoSeries([box(0, 0, 100_000, 100_000)], crs=32631)


@pytest.mark.parametrize("case", [(8, 0, 0.05), (8, 1, 0.2), (3, 2, 0.05), (0, 3, 0.05)])
def test_layer_of_the_kept_clusters_equals_every_cluster_filtered(case) -> None:
    n_clusters, seed, alpha = case
    inc, area = _incidents(n_clusters, seed)
    opts = {"eps_km": 1.2, "min_samples": 6, "seed": 1}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        every = find_clusters(inc, **opts).layer  # not tested: every cluster
        got = find_clusters(inc, **opts, area=area, replicates=39, alpha=alpha)
    assert got.n_found == len(every)
    p = p_values(every["n_incidents"].to_numpy(), got.null_max)
    kept = p <= alpha + 1e-12
    assert kept.tolist() == sorted(kept.tolist(), reverse=True)  # the largest clusters
    want = every[kept].reset_index(drop=True)
    want["p_value"] = p[kept]
    assert_geodataframe_equal(got.layer, want, check_dtype=True, check_less_precise=False)
    assert got.layer.geometry.to_wkb().tolist() == want.geometry.to_wkb().tolist()
    if n_clusters == 0 or not kept.any():
        assert len(got.layer) == 0


# --- wave 15: the same answers, cheaper -------------------------------------------------
# Each ``_before_*`` is the computation as it was before, kept here as the reference.


def _before_uniform_points(area, n: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = area.bounds
    share = max(area.area / max((maxx - minx) * (maxy - miny), 1e-12), 1e-3)
    out = np.empty((0, 2))
    while len(out) < n:
        k = int((n - len(out)) / share * 1.2) + 16
        xy = rng.uniform((minx, miny), (maxx, maxy), (k, 2))
        out = np.vstack([out, xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]])
    return out[:n]


def _before_contains(test: AreaTest, xy: np.ndarray) -> np.ndarray:
    i = np.floor((xy[:, 0] - test.origin[0]) / test.side)
    j = np.floor((xy[:, 1] - test.origin[1]) / test.side)
    within = (i >= 0) & (j >= 0) & (i < test.shape[0]) & (j < test.shape[1])
    flat = np.where(within, i * test.shape[1] + j, 0).astype(np.intp)
    state = np.where(within, test.state.ravel()[flat], 0)
    out = state == 1
    check = np.flatnonzero(state == 0)
    out[check] = shapely.contains_xy(test.area, xy[check, 0], xy[check, 1])
    return out


def _before_bound(xy, *, eps: float, min_samples: int, weights=None) -> int:
    from scipy import ndimage

    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    total = len(xy) if weights is None else int(np.sum(weights))
    if total < min_samples or not np.isfinite(xy).all():
        return 0
    side = float(eps) / (2.0 * np.sqrt(2.0)) * (1.0 - 1e-9)
    ij = np.floor((xy - xy.min(axis=0)) / side).astype(np.int64)
    shape = ij.max(axis=0) + 1
    if int(shape[0]) * int(shape[1]) > 20_000_000:
        return 0
    w = None if weights is None else np.asarray(weights, dtype=np.int64)
    counts = np.bincount(ij[:, 0] * shape[1] + ij[:, 1], weights=w, minlength=int(shape.prod()))
    counts = counts.astype(np.int64).reshape(int(shape[0]), int(shape[1]))
    dense = counts >= min_samples
    if not dense.any():
        return 0
    ring = np.ones((3, 3), dtype=bool)
    core = ndimage.binary_dilation(dense, structure=ring) & (counts > 0)
    groups, n = ndimage.label(core, structure=ring)
    return int(np.bincount(groups.ravel(), weights=counts.ravel(), minlength=n + 1)[1:].max())


def _hand_areas() -> list:
    """A polygon with holes, a multipolygon, a sliver, a tiny box and a far-off square."""
    holed = Polygon(
        [(0, 0), (100, 0), (100, 60), (0, 60)],
        [[(20, 20), (50, 20), (50, 40), (20, 40)], [(60, 10), (90, 10), (75, 50)]],
    )
    islands = MultiPolygon([box(0, 0, 10, 10), box(30.5, 0, 31, 80), box(60, 60, 90, 61)])
    return [
        holed,
        islands,
        Polygon([(0, 0), (1000, 1), (0, 2)]),
        box(0, 0, 1e-3, 1e-3),
        box(-5e6, 3e6, -4.9e6, 3.1e6),
    ]


@pytest.mark.parametrize("which", range(5))
def test_area_test_fast_path_answers_as_before(which: int) -> None:
    area = _hand_areas()[which]
    minx, miny, maxx, maxy = area.bounds
    rng = np.random.default_rng(which)
    for cells in (16, 4_096, 262_144):
        test = AreaTest(area, cells=cells)
        inside = rng.uniform((minx, miny), (maxx, maxy), (20_000, 2))
        edges = shapely.get_coordinates(shapely.segmentize(area.boundary, (maxx - minx) / 300))
        lines = np.column_stack(  # on the lattice's lines, within the bounds
            [test.origin[0] + test.side * rng.integers(0, test.shape[0] - 1, 500), inside[:500, 1]]
        )
        xy = np.vstack([inside, edges, lines, [[minx, miny], [maxx, maxy]]])
        want = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
        assert np.array_equal(_before_contains(test, xy), want)
        assert np.array_equal(test.contains(xy), want)  # every point in the lattice: fast
        # one point outside the lattice (or missing) sends all through the general path
        for odd in ([minx - 1.0, miny], [np.nan, miny], [maxx + 1e9, maxy]):
            both = np.vstack([xy, [odd]])
            assert np.array_equal(test.contains(both), _before_contains(test, both))
        assert not test.contains(np.zeros((0, 2))).size


@pytest.mark.parametrize("which", range(5))
def test_uniform_points_equal_those_drawn_before(which: int) -> None:
    area = _hand_areas()[which]  # the sliver and the islands take several rounds
    for n, seed in ((0, 1), (1, 2), (7, 3), (3_000, 4)):
        want = _before_uniform_points(area, n, np.random.default_rng(seed))
        for test in (None, AreaTest(area), AreaTest(area, cells=262_144)):
            rng = np.random.default_rng(seed)
            got = uniform_points(area, n, rng, test=test)
            assert got.shape == want.shape and np.array_equal(got, want)
            # the stream goes on where it went on before
            rest = np.random.default_rng(seed)
            _before_uniform_points(area, n, rest)
            assert rng.random() == rest.random()


def test_uniform_box_gives_numpys_uniform_numbers(monkeypatch) -> None:
    from borderwatch import _clustertest

    bounds = [((0.0, 0.0), (1.0, 1.0)), ((-1234.5, 1e6), (0.25, 3e6)), ((5.0, 5.0), (5.0, 9.0))]
    for low, high in bounds:
        for k in (0, 1, 3, 10_001):
            rng, ref = np.random.default_rng(k), np.random.default_rng(k)
            got = _clustertest.uniform_box(rng, low, high, k)
            assert np.array_equal(got, ref.uniform(low, high, (k, 2)))
            assert rng.random() == ref.random()
    assert _clustertest._plain_scaling()  # this numpy: the fast path was the one tested
    # where the probe fails, numpy's own uniform answers
    monkeypatch.setattr(_clustertest, "_plain_scaling", lambda: False)
    got = _clustertest.uniform_box(np.random.default_rng(5), (0.0, 1.0), (3.0, 4.0), 50)
    assert np.array_equal(got, np.random.default_rng(5).uniform((0.0, 1.0), (3.0, 4.0), (50, 2)))
    with pytest.raises(OverflowError), warnings.catch_warnings():  # as numpy refuses a
        warnings.simplefilter("ignore")  # range beyond the floats
        _clustertest.uniform_box(np.random.default_rng(0), (-1.7e308, 0.0), (1.7e308, 1.0), 3)


def test_the_scaling_probe_fails_a_fused_multiply_add() -> None:
    """A numpy that computed ``low + range * u`` with one rounding (a fused multiply-add)
    would give other numbers on the probe, so the fast path would not be taken."""
    from fractions import Fraction

    from borderwatch import _clustertest

    lo, hi = np.array(_clustertest._PROBE_LOW), np.array(_clustertest._PROBE_HIGH)
    u = np.random.default_rng(0).random((_clustertest._PROBE_DRAWS, 2))
    plain = _clustertest._scaled(u.copy(), lo, hi - lo)
    span = hi - lo
    fused = np.array(
        [
            [float(Fraction(span[c]) * Fraction(u[r, c]) + Fraction(lo[c])) for c in (0, 1)]
            for r in range(len(u))
        ]
    )
    assert (fused != plain).sum() > 50


def test_bound_equals_the_bound_computed_before() -> None:
    rng = np.random.default_rng(11)
    cases = [np.zeros((0, 2)), np.array([[3.0, -4.0]]), np.array([[np.nan, 0.0]] * 6)]
    for _ in range(40):
        n = int(rng.integers(1, 3_000))
        xy = rng.normal(rng.uniform(-1e4, 1e4, 2), rng.uniform(0.5, 40), (n, 2))
        cases.append(xy)
    cases.append(np.array([[0.0, 0.0], [1e9, 1e9]] * 5))  # beyond the counted cells
    side = 1.5 / (2.0 * np.sqrt(2.0)) * (1.0 - 1e-9)
    cases.append(np.arange(40.0).reshape(-1, 2) * side)  # on the cells' edges
    for xy in cases:
        stack = rng.integers(1, 5, len(xy))
        for min_samples in (1, 4, 9):
            for w in (None, stack):
                want = _before_bound(xy, eps=1.5, min_samples=min_samples, weights=w)
                got = dense_cluster_bound(xy, eps=1.5, min_samples=min_samples, weights=w)
                assert got == want


def test_simulated_maps_on_the_fine_lattice_equal_the_coarse(monkeypatch) -> None:
    from borderwatch import _clustertest
    from borderwatch._dbscan import dbscan_labels

    location = np.repeat(np.arange(300), 2)
    area = _hand_areas()[0]

    def run():
        return max_cluster_sizes(
            location,
            area,
            lambda pts: dbscan_labels(pts, eps=4.0, min_samples=6)[0],
            replicates=19,
            seed=3,
            give_up=(50, 4),
            bound=lambda pts, stack: dense_cluster_bound(
                pts, eps=4.0, min_samples=6, weights=stack
            ),
        )

    coarse = run()
    monkeypatch.setattr(_clustertest, "_FINE_FROM", 1)
    assert run().tolist() == coarse.tolist()


def _before_squares(xy: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    side = float(eps) / (2.0 * np.sqrt(2.0)) * (1.0 - 1e-9)
    ij = np.floor((xy - xy.min(axis=0)) / side).astype(np.int64) + 3
    width = int(ij[:, 1].max()) + 7
    keys, of_point, counts = np.unique(
        ij[:, 0] * width + ij[:, 1], return_inverse=True, return_counts=True
    )
    return keys, of_point.ravel(), counts, width


def _before_core_components(pts: np.ndarray, eps: float) -> np.ndarray:
    """The components as found before: every far pair sorted, then the joined skipped."""
    from borderwatch import _epsgrid as g

    sq = g.EpsSquares(pts, eps=eps)
    n = len(sq.keys)
    touching = [sq.neighbours(di, dj) for di, dj in g._TOUCH]
    edges_s, edges_t = [s for s, _ in touching], [t for _, t in touching]
    comp = g._components(n, edges_s, edges_t)
    far = [sq.neighbours(di, dj) for di, dj in g._FAR]
    cand_s = np.concatenate([s for s, _ in far])
    cand_t = np.concatenate([t for _, t in far])
    if len(cand_s):
        order = np.argsort(sq.counts[cand_s] * sq.counts[cand_t], kind="stable")
        cand_s, cand_t = cand_s[order], cand_t[order]
        members = g._Members(sq.of_point)
        while True:
            open_ = np.flatnonzero(comp[cand_s] != comp[cand_t])
            if not len(open_):
                break
            take = open_[: g._chunk(sq.counts, cand_s[open_], cand_t[open_])]
            hit = members.within(pts, cand_s[take], cand_t[take], eps * eps)
            edges_s.append(cand_s[take[hit]])
            edges_t.append(cand_t[take[hit]])
            comp = g._components(n, edges_s, edges_t)
            cand_s, cand_t = cand_s[open_[len(take) :]], cand_t[open_[len(take) :]]
    return comp[sq.of_point]


def _grid_cases() -> list[np.ndarray]:
    rng = np.random.default_rng(21)
    side = 1.0 / (2.0 * np.sqrt(2.0)) * (1.0 - 1e-9)
    return [
        np.array([[4.0, -2.0]]),  # one point
        np.zeros((5, 2)),  # one stack
        np.arange(60.0).reshape(-1, 2) * side,  # on the squares' edges
        rng.uniform(-30, 30, (3_000, 2)),  # sparse: many far pairs to test (keys sorted)
        rng.uniform(-10, 10, (1_500, 2)),  # far pairs, the keys counted in a table
        np.vstack([rng.normal(0, 0.3, (2_000, 2)), rng.uniform(-5, 5, (300, 2))]),  # dense
        np.array([[0.0, 0.0], [0.9, 0.0], [1.8, 0.1], [1e7, 0.0], [1e7 + 0.5, 0.5]]),  # wide
        np.column_stack([np.arange(500.0) * 0.95, np.zeros(500)]),  # a chain of far pairs
    ]


@pytest.mark.parametrize("which", range(8))
def test_eps_squares_and_components_equal_those_before(which: int) -> None:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    from borderwatch._epsgrid import EpsSquares, _Members, column_range, core_components

    xy = _grid_cases()[which]
    lo, hi = column_range(xy)
    assert np.array_equal(lo, xy.min(axis=0)) and np.array_equal(hi, xy.max(axis=0))
    sq = EpsSquares(xy, eps=1.0)
    keys, of_point, counts, width = _before_squares(xy, 1.0)
    assert sq.width == width and np.array_equal(sq.keys, keys)
    assert np.array_equal(sq.of_point, of_point) and np.array_equal(sq.counts, counts)
    assert sq.keys.dtype == np.int64 and sq.counts.dtype == counts.dtype
    order = _Members(sq.of_point).order
    assert np.array_equal(order, np.argsort(sq.of_point, kind="stable"))
    got = core_components(xy, 1.0)
    assert np.array_equal(got, _before_core_components(xy, 1.0))
    # and they are the components of the graph 'distance <= eps'
    pairs = np.array(sorted(cKDTree(xy).query_pairs(1.0)), dtype=np.int64).reshape(-1, 2)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), (len(xy), len(xy)))
    want = connected_components(graph, directed=False)[1]
    assert len(np.unique(np.column_stack([got, want]), axis=0)) == len(np.unique(want))
    assert len(np.unique(got)) == len(np.unique(want))


def test_column_range_keeps_missing_values_and_integers() -> None:
    from borderwatch._epsgrid import column_range

    a = np.array([[1.0, np.nan], [-np.inf, 2.0]])
    lo, hi = column_range(a)
    want_lo, want_hi = a.min(axis=0), a.max(axis=0)
    assert np.array_equal(lo, want_lo, equal_nan=True)
    assert np.array_equal(hi, want_hi, equal_nan=True)
    b = np.array([[3, -7], [2, 9]], dtype=np.int64)
    assert column_range(b)[0].tolist() == [2, -7] and column_range(b)[1].dtype == np.int64
    with pytest.raises(ValueError):
        column_range(np.zeros((0, 2)))


def test_members_order_is_the_stable_sort_of_the_squares() -> None:
    from borderwatch._epsgrid import _Members

    rng = np.random.default_rng(2)
    for top in (1, 300, 2**16, 2**16 + 1, 2**20):  # 16-bit numbers radix-sorted, others not
        of_point = rng.integers(0, top, 5_000)
        of_point[:2] = top - 1
        want = np.argsort(of_point, kind="stable")
        assert np.array_equal(_Members(of_point).order, want)

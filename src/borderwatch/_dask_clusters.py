"""DBSCAN point clusters of partitioned input from distinct locations, not a sample.

The DBSCAN clusters of all incidents are those of their distinct locations weighted by
the incidents each holds (:func:`borderwatch._dbscan.weighted_dbscan_labels`). So
``analyze(engine="dask")`` asks each joined partition (on the workers):

1. its distinct locations, keyed by the **exact** projected coordinates (the float
   pair DBSCAN measures), with their incidents and their first row (:func:`_locations`);
   the client merges them (the first row over the files in order: a border location
   reachable from two clusters goes to the first cluster that reaches it, as in the
   default engine) and clusters them;
2. then, per cluster, its incidents' own and unit countries, smallest distance to a
   border, first and last date (:func:`borderwatch._dask_scan.feature_fields`, as for
   the scan clusters), from the locations in clusters sent to the workers.

Counts, core incidents, distinct locations (to the metre), the shape (the hull of the
locations) and the test against chance (the stack sizes to the metre, clustered with
their weights in each simulated map) come from the merged locations on the client. The
layer equals :func:`borderwatch.clusters.find_clusters` of all incidents
(tests/test_dask_clusters.py). When the incidents have more distinct locations than
``dask_sample`` (a partition's checked before it sends them, then all merged), or the method is HDBSCAN or space-time DBSCAN
(they need every incident), the clusters come from the sample (:func:`distinct_clusters`
says why).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .settings import Settings

__all__ = ["distinct_clusters", "found_clusters"]


def _locations(part: gpd.GeoDataFrame, crs: Any) -> pd.DataFrame:
    """The partition's distinct exact locations in ``crs`` (metres): ``x``, ``y``,
    ``first`` (first row in the partition), ``count`` (on a worker)."""
    from ._dask_warn import diverted
    from ._inputs import metric_points

    with diverted():  # rows without a location were said by the reader
        xy, _, ok = metric_points(part, crs)
    rows = np.flatnonzero(ok)
    table = pd.DataFrame({"x": xy[rows, 0], "y": xy[rows, 1], "first": rows})
    return (
        table.groupby(["x", "y"], sort=False)
        .agg(first=("first", "min"), count=("first", "size"))
        .reset_index()
    )


def _point_fields(
    part: gpd.GeoDataFrame, crs: Any, members: pd.DataFrame, border: Any
) -> dict[str, pd.DataFrame]:
    """Per cluster, the partition's incidents' fields (on a worker): each incident's
    cluster is its exact location's (``members``: ``x``, ``y``, ``f``)."""
    from ._dask_scan import feature_fields
    from ._dask_warn import diverted
    from ._inputs import metric_points

    with diverted():
        xy, _, ok = metric_points(part, crs)
    here = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]})
    found = here.merge(members, on=["x", "y"], how="left")["f"].fillna(-1)
    feature = np.where(ok, found.to_numpy(np.int64), -1)  # a new array (pandas' may be read-only)
    return feature_fields(part, feature, crs, border)


def _merged(tables: Sequence[pd.DataFrame], sizes: Sequence[int]) -> pd.DataFrame:
    """The partitions' locations merged, ``first`` counted over all rows in file order."""
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    frames = [t.assign(first=t["first"] + o) for t, o in zip(tables, offsets, strict=True)]
    table = pd.concat(frames, ignore_index=True)
    merged = table.groupby(["x", "y"], sort=False).agg(
        first=("first", "min"), count=("count", "sum")
    )
    return merged.sort_values("first").reset_index()


def _renumbered(labels: np.ndarray, weights: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Clusters as 1..K by decreasing incidents (ties: first row first), as
    :func:`borderwatch.clusters._renumber` numbers them; noise -1."""
    out = np.full(len(labels), -1, dtype=np.int64)
    member = labels >= 0
    if not member.any():
        return out
    k = int(labels.max()) + 1
    size = np.bincount(labels[member], weights=weights[member], minlength=k).astype(np.int64)
    start = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(start, labels[member], first[member])
    order = np.lexsort((start, -size))
    new = np.empty(k, dtype=np.int64)
    new[order] = np.arange(1, k + 1)
    out[member] = new[labels[member]]
    return out


def _test(
    locs: pd.DataFrame, area: Any, crs: Any, eps: float, s: Settings, largest: int, ms: int
) -> np.ndarray:
    """The test against chance's largest cluster per simulated map, as
    :func:`find_clusters` runs it: the stacks to the metre in coordinate order, each
    simulated map clustered as its stacks weighted by their incidents."""
    from ._clustertest import dense_cluster_bound, max_cluster_sizes
    from ._dbscan import weighted_dbscan_labels
    from ._stacks import stacks
    from .clusters import _metric_area

    xy = locs[["x", "y"]].to_numpy(float)
    loc, _, _ = stacks(xy, order="coordinates")
    n_loc = int(loc.max()) + 1
    sizes = np.bincount(loc, weights=locs["count"].to_numpy(), minlength=n_loc).astype(np.int64)
    firsts = np.full(n_loc, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(firsts, loc, locs["first"].to_numpy(np.int64))
    incident_loc = np.repeat(np.arange(n_loc), sizes)  # the incidents, by stack
    starts = np.cumsum(sizes) - sizes

    def label(pts: np.ndarray) -> np.ndarray:
        lab, _ = weighted_dbscan_labels(
            pts[starts] / 1000.0, sizes, eps=eps, min_samples=ms, rows=firsts
        )
        return lab[incident_loc]

    keep_all = bool(s.clusters_all)
    hits = int(s.alpha * (s.cluster_replicates + 1) + 1e-9)
    return max_cluster_sizes(
        incident_loc,
        _metric_area(area, crs),
        label,
        replicates=int(s.cluster_replicates),
        seed=int(s.seed),
        give_up=None if keep_all else (largest, hits),
        bound=lambda pts, stack: dense_cluster_bound(
            pts / 1000.0, eps=eps, min_samples=ms, weights=stack
        ),
    )


def _layer(
    locs: pd.DataFrame, cid: np.ndarray, core: np.ndarray, fields: Any, crs: Any, buf: float
) -> gpd.GeoDataFrame:
    """The clusters layer (EPSG:4326) from the clustered locations and the fields."""
    from ._dask_scan import _fields
    from ._geom import hull_candidates
    from ._stacks import stacks
    from .clusters import CLUSTER_COLUMNS

    member = np.flatnonzero(cid > 0)
    if member.size == 0:  # as find_clusters: an empty layer with the columns' types
        from .clusters import _EMPTY_DTYPES

        empty = {c: pd.Series(dtype=_EMPTY_DTYPES[c]) for c in CLUSTER_COLUMNS}
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=4326), crs=4326)
    member = member[np.argsort(cid[member], kind="stable")]
    ids = cid[member]
    uniq_ids, starts, _ = np.unique(ids, return_index=True, return_counts=True)
    k = len(uniq_ids)
    xy = locs[["x", "y"]].to_numpy(float)
    weights = locs["count"].to_numpy(np.int64)
    hull = hull_candidates(
        xy[member], np.repeat(np.arange(k), np.diff([*starts, len(ids)])), starts
    )
    hulls = shapely.convex_hull(shapely.multipoints(xy[member[hull]], indices=ids[hull] - 1))
    shapes = shapely.buffer(hulls, buf * 1000.0) if buf > 0 else hulls
    found = _fields(fields, k)
    loc, _, _ = stacks(xy[member])
    per = pd.DataFrame({"f": ids - 1, "loc": loc}).drop_duplicates()
    frame = pd.DataFrame(
        {
            "cluster_id": uniq_ids.astype(np.int64),
            "n_incidents": np.add.reduceat(weights[member], starts).astype(np.int64),
            "n_core": np.add.reduceat(np.where(core[member], weights[member], 0), starts),
            "n_locations": np.bincount(per["f"], minlength=k).astype(np.int64),
            "countries": pd.array(found["countries"].tolist(), dtype="str"),
            "cross_border": found["cross_border"].to_numpy(bool),
            "border_km": found["border_km"].to_numpy(float),
            "p_value": np.full(k, np.nan),
            "first_date": found["first_date"].to_numpy("datetime64[ns]"),
            "last_date": found["last_date"].to_numpy("datetime64[ns]"),
            "area_km2": shapely.area(shapes) / 1e6,
        }
    )
    frame["n_core"] = frame["n_core"].astype(np.int64)
    frame["method"] = "dbscan"
    out = gpd.GeoDataFrame(
        frame[CLUSTER_COLUMNS], geometry=gpd.GeoSeries(shapes, crs=crs).to_crs(4326).array
    )
    return out.set_crs(4326, allow_override=True)


def distinct_clusters(
    dask: Any,
    joined: Sequence[Any],
    *,
    crs: Any,
    border: Any,
    units: gpd.GeoDataFrame,
    eps_km: float,
    settings: Settings,
) -> tuple[gpd.GeoDataFrame | None, dict[str, Any]]:
    """The DBSCAN point clusters of every incident from their distinct locations, and
    how they were made (``summary["dask"]["clusters"]``); None (and why) when they are
    to come from the sample."""
    from ._dbscan import weighted_dbscan_labels
    from .clusters import _study_area

    s = settings
    if s.cluster_method != "dbscan":
        why = f"cluster_method={s.cluster_method} needs every incident (no weighted form)"
        return None, {"from": "sample", "why": why}
    delayed = dask.delayed
    tables = dask.persist(*[delayed(_locations)(p, crs) for p in joined])
    counts, sizes = dask.compute(
        [delayed(len)(t) for t in tables], [delayed(len)(p) for p in joined]
    )
    limit = int(s.dask_sample)
    if max(counts, default=0) > limit:  # no task sends more than dask_sample rows
        why = f"a partition holds {max(counts):,} distinct locations (more than dask_sample={limit:,})"
        return None, {"from": "sample", "why": why}
    locs = _merged(list(dask.compute(*tables)), sizes)
    if len(locs) > limit:
        why = f"{len(locs):,} distinct locations (more than dask_sample={limit:,})"
        return None, {"from": "sample", "why": why}
    ms = int(s.min_samples) if s.min_samples is not None else 5
    eps = float(eps_km)
    weights = locs["count"].to_numpy(np.int64)
    first = locs["first"].to_numpy(np.int64)
    labels, core = weighted_dbscan_labels(
        locs[["x", "y"]].to_numpy(float) / 1000.0, weights, eps=eps, min_samples=ms, rows=first
    )
    cid = _renumbered(labels, weights, first)
    members = pd.DataFrame({"x": locs["x"], "y": locs["y"], "f": cid - 1})[cid > 0]
    fields = dask.compute(*[delayed(_point_fields)(p, crs, members, border) for p in joined])
    layer = _layer(locs, cid, core, list(fields), crs, eps / 2)
    record: dict[str, Any] = {"from": "distinct locations", "locations": len(locs)}
    record["n_found"] = len(layer)  # before the test (the summary's, not the record's)
    if s.cluster_replicates and len(layer):
        largest = int(layer["n_incidents"].max())
        null_max = _test(locs, _study_area(units), crs, eps, s, largest, ms)
        from ._clustertest import p_values

        layer["p_value"] = p_values(layer["n_incidents"].to_numpy(), null_max)
        if not s.clusters_all:
            keep = layer["p_value"].to_numpy() <= s.alpha + 1e-12
            layer = layer[keep].reset_index(drop=True)
    return layer, record


def found_clusters(
    extra: dict[str, Any], joined: Any, units: Any, space: Any, hot: Any, s: Settings, say: Any
) -> Any:
    """The pipeline's point clusters: those of the distinct locations when
    :func:`distinct_clusters` made them, else :func:`borderwatch.pipeline._clusters` of
    the sample."""
    from .pipeline import Found, _clusters

    layer, record = extra["points"]
    if layer is None:
        return _clusters(joined, units, space, hot, s, say)
    say("point clusters (from the distinct locations)")
    opts: dict[str, Any] = {
        "eps_km": s.eps_km if s.eps_km is not None else float(hot.params["cell_km"])
    }
    if s.min_samples is not None:
        opts["min_samples"] = int(s.min_samples)
    if s.days is not None:
        opts["days"] = float(s.days)
    test: dict[str, Any] = {"replicates": int(s.cluster_replicates)}
    if s.cluster_replicates:
        test.update(alpha=float(s.alpha), all=bool(s.clusters_all), n_found=record["n_found"])
    return Found(clusters=layer, options=opts, test=test)

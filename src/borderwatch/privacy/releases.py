"""What a reader learns by comparing two public releases: :func:`audit_releases`.

``borderwatch audit OUT_A OUT_B`` runs the differencing attacks of the
adversarial review on two output folders, for facilitators before they hand
anything out:

* **density fit**: a 2-D Gaussian fitted to the difference of the two
  ``density.tif`` files; the report gives where it points and how precisely
  the surface can place anything (its pixel, a coarse lattice cell);
* **table differences**: ``units.csv`` of both releases, unit by unit; a
  change of exactly +1 no longer means one more incident once counts are
  perturbed (cell-key method), and the report says whether they are;
* **linked tables and period differencing**: the linear-programming audit
  (:func:`borderwatch.privacy.audit.lp_audit`) of ``units.csv``, the
  ``counts.csv`` and the summary totals as one system; releases of the same
  data (the same ``units.csv``, e.g. ``--period year`` against ``month``) are
  one system with the counts of *both*;
* **grid intersection**: whether the ``cells`` of both releases lie on the
  fixed lattice (``lattice_id``), and the smallest area a reader can narrow a
  lone incident to by intersecting them;
* **each release's other files**: the scan layer's figures (``expected``,
  ``llr``, ``relative_risk``) at full precision (they give the window's count and
  the total back), a row of the action plan's ``sources`` sheet with a hidden count
  (it says that 1..k-1 incidents exist), and a published ``n_sensitive``;
* **which counts changed**: the published counts of ``units.csv`` that differ
  between the releases. Perturbation hides by how much a count changed, not
  whether: a changed count says that an incident added or removed lies in that
  unit (and category), and the report lists them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import DataError
from .audit import lp_audit

__all__ = ["ReleaseAudit", "audit_releases"]


@dataclass(frozen=True)
class ReleaseAudit:
    """The result of :func:`audit_releases`.

    Attributes
    ----------
    lines : list of str
        The plain-text report, one finding or fact per line.
    risks : list of str
        What an adversary could learn (empty when every attack failed).
    """

    lines: list[str] = field(default_factory=list)
    risks: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The report as printed by ``borderwatch audit``."""
        head = "RISKS FOUND" if self.risks else "no differencing attack succeeded"
        return "\n".join(
            [f"borderwatch audit: {head}", *self.lines, *("RISK: " + r for r in self.risks)]
        )


def _summary(d: Path) -> dict:
    if not d.is_dir() or not (d / "summary.json").is_file():
        msg = (
            f"{d}: not a borderwatch output folder (no summary.json). "
            "Hint: give two --out folders written by borderwatch demo or analyze."
        )
        raise DataError(msg)
    return json.loads((d / "summary.json").read_text(encoding="utf-8"))


def audit_releases(out_a: str | Path, out_b: str | Path) -> ReleaseAudit:
    """Run the differencing attacks on two output folders (see the module docstring).

    Raises
    ------
    DataError
        When a folder is not a borderwatch output.
    """
    a, b = Path(out_a), Path(out_b)
    sa, sb = _summary(a), _summary(b)
    lines: list[str] = []
    risks: list[str] = []
    for name, s in (("A", sa), ("B", sb)):
        if s.get("view") != "public":
            risks.append(f"release {name} is the internal view: never hand it out")
    k = int(sa.get("k") or 5)
    d = int(((sa.get("privacy") or {}).get("perturbation") or {}).get("D", 0))
    lines.append(f"k = {k}; cell-key perturbation D = {d}" + ("" if d else " (none: exact counts)"))
    _density_attack(a, b, lines, risks)
    _table_attack(a, b, k=k, d=d, lines=lines, risks=risks)
    _grid_attack(a, b, lines, risks)
    for name, folder, summary in (("A", a, sa), ("B", b, sb)):
        _files_attack(folder, name, summary, k=k, risks=risks)
    return ReleaseAudit(lines=lines, risks=risks)


def _files_attack(folder: Path, name: str, summary: dict, *, k: int, risks: list[str]) -> None:
    """What one public release's other files give away (see the module docstring)."""
    from ._figures import SCAN_FIGURES, _round

    if summary.get("view") != "public":
        return
    if summary.get("n_sensitive") is not None:
        risks.append(
            f"summary ({name}): n_sensitive is published; its change between two releases "
            "says whether the incident added or removed was of a sensitive category"
        )
    gpkg = folder / "hotspots.gpkg"
    if gpkg.is_file():
        import pyogrio

        layers = {str(row[0]) for row in pyogrio.list_layers(gpkg)}
        if "scan" in layers:
            scan = pyogrio.read_dataframe(gpkg, layer="scan", read_geometry=False)
            for col in SCAN_FIGURES:
                if col not in scan.columns:
                    continue
                values = pd.to_numeric(scan[col], errors="coerce").to_numpy(dtype=float)
                fine = [float(v) for v in values if math.isfinite(v) and _round(float(v)) != v]
                if fine:
                    risks.append(
                        f"scan ({name}): {col} at full precision ({fine[0]!r}); with the "
                        "others it gives the window's true count and the true total"
                    )
    xlsx = folder / "action_plan.xlsx"
    if xlsx.is_file():
        sheets = pd.read_excel(xlsx, sheet_name=None)
        src = sheets.get("sources")
        if src is not None and "count" in src.columns and len(src):
            n = pd.to_numeric(src["count"], errors="coerce")
            small = int((n.isna() | (n < k)).sum())
            if small:
                risks.append(
                    f"action plan ({name}): {small} rows of the sources sheet have a count "
                    f"hidden or below {k}; a listed row says that the unit had at least one "
                    "incident from that source in that quarter"
                )


def _density_attack(a: Path, b: Path, lines: list[str], risks: list[str]) -> None:
    fa, fb = a / "density.tif", b / "density.tif"
    if not (fa.is_file() and fb.is_file()):
        lines.append("density: not in both releases")
        return
    import rasterio

    with rasterio.open(fa) as ra, rasterio.open(fb) as rb:
        va, vb = ra.read(1), rb.read(1)
        same = va.shape == vb.shape and ra.transform == rb.transform
        kinds = {ra.tags().get("units", ""), rb.tags().get("units", "")}
        units = next((u for u in sorted(kinds) if u != "class"), "class")
        px = abs(ra.transform.a) / 1000.0
    if units != "class":
        risks.append(
            f"density: continuous values ({units or 'unknown units'}); a Gaussian fit to the "
            "difference of two releases can locate an added incident to metres"
        )
        return
    if not same:
        lines.append(
            "density: the two surfaces are on different rasters (no pixel-wise difference)"
        )
        return
    diff = np.nan_to_num(vb.astype(float), nan=0.0) - np.nan_to_num(va.astype(float), nan=0.0)
    changed = int(np.count_nonzero(diff))
    lines.append(
        f"density: classed surface, {px:g} km pixels; {changed} pixels differ; a fit to the "
        f"difference can point at best to a {px:g} km cell ({px * px:g} km²)"
    )


def _table_attack(a: Path, b: Path, *, k: int, d: int, lines: list[str], risks: list[str]) -> None:
    ua, ub = a / "units.csv", b / "units.csv"
    if not (ua.is_file() and ub.is_file()):
        lines.append("tables: units.csv not in both releases")
        return
    ta, tb = _read(ua), _read(ub)
    cols = [c for c in ta.columns if c == "incidents" or str(c).startswith("iccs")]
    m = ta.merge(tb, on="unit_id", suffixes=("_a", "_b"))
    plus_one = 0
    changed: list[str] = []
    for c in cols:
        if f"{c}_b" in m.columns:
            va, vb = m[f"{c}_a"], m[f"{c}_b"]
            plus_one += int(((vb - va).abs() == 1).sum())  # one more, or one fewer
            moved = ~((va == vb) | (va.isna() & vb.isna()))
            changed += [f"{u} {c}" for u in m.loc[moved, "unit_id"].astype(str)]
    if plus_one and d == 0:
        risks.append(
            f"tables: {plus_one} published counts rose or fell by exactly 1 between the "
            "releases and counts are exact: each is one incident more or less of that unit "
            "and category"
        )
    else:
        lines.append(
            f"tables: {plus_one} counts rose or fell by exactly 1; with perturbation "
            f"(D = {d}) a change of 1 does not mean one incident"
        )
    if changed:
        shown = ", ".join(changed[:12]) + (
            f" and {len(changed) - 12} more" if len(changed) > 12 else ""
        )
        lines.append(
            f"tables: {len(changed)} published counts of units.csv changed ({shown}); each "
            "says that an incident added or removed lies in that unit (and category)"
        )
    counts = [_read(p) if p.is_file() else None for p in (a / "counts.csv", b / "counts.csv")]
    summaries = [_summary(a), _summary(b)]
    if ta.equals(tb):  # the same data (e.g. --period month and year): one linked system
        systems = [("A and B", ta, [c for c in counts if c is not None], summaries[0])]
    else:
        systems = [
            (name, t, [c] if c is not None else [], s)
            for name, t, c, s in zip(("A", "B"), (ta, tb), counts, summaries, strict=True)
        ]
    n_hidden = 0
    for name, units, tables, summ in systems:
        bounds = lp_audit(units, tables, k=k, d=d, summary=summ)
        n_hidden += len(bounds)
        for x in bounds:
            if not x.protected:
                risks.append(
                    f"linked tables ({name}: units.csv, counts.csv, summary.json): {x.what} "
                    f"is bounded to [{x.lo:g}, {x.hi:g}]"
                )
    if not any(r.startswith("linked tables") for r in risks):
        lines.append(
            f"linked tables: all {n_hidden} hidden counts keep 0..{k - 1} in their feasible "
            "interval (units.csv, counts.csv of "
            + ("both releases" if len(systems) == 1 else "each release")
            + " and the summary totals as one system, linear programming)"
        )


def _read(path: Path) -> pd.DataFrame:
    """A public CSV table, ids as text (``02007`` stays ``02007``)."""
    return pd.read_csv(path, dtype={"unit_id": str})


def _grid_attack(a: Path, b: Path, lines: list[str], risks: list[str]) -> None:
    import pyogrio

    sizes = []
    for name, d in (("A", a), ("B", b)):
        g = d / "hotspots.gpkg"
        if not g.is_file() or "cells" not in [x[0] for x in pyogrio.list_layers(g)]:
            continue
        cells = pyogrio.read_dataframe(g, layer="cells", read_geometry=False)
        if "lattice_id" not in cells.columns:
            risks.append(
                f"grid: release {name}'s cells are not on the fixed lattice; "
                "intersecting cells of several releases can narrow a lone incident"
            )
            continue
        sizes.append(int(pd.to_numeric(cells["lattice_id"]).iloc[0]) // 10**12)
        if "count" in cells.columns and (pd.to_numeric(cells["count"]) == 0).any():
            risks.append(f"grid: release {name} shows zeros next to hidden cells (presence)")
    if sizes:
        km = min(sizes)
        lines.append(
            f"grid: both on the fixed lattice (cells of {sorted(set(sizes))} km nest); "
            f"intersecting them leaves at least {km * km} km² around a lone incident"
        )
    if sizes and min(sizes) * min(sizes) < 25 - math.ulp(25):
        risks.append("grid: cells below 5 km")

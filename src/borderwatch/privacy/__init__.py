"""The public view: suppression, generalisation and masking.

Maps and files shown in a village hall must never let anyone identify a victim.
:func:`public_view` turns an internal :class:`~borderwatch._result.AnalysisResult`
into a public one, and :func:`scan_for_leaks` checks an output directory for
anything of the input incidents that should not be there. The rules, and what
they do and do not guarantee, are set out in ``docs/privacy.md``.

In short, the public view

* drops the incidents;
* suppresses counts from 1 to ``k - 1`` (shown as null, "<k" on the map), with
  secondary suppression so that no suppressed count can be worked out from a
  total, and so that whatever *can* be worked out about suppressed counts is an
  aggregate of at least ``k`` incidents;
* replaces hotspot and cluster shapes by unions of grid cells (or of squares
  of a coarse lattice) whose corners lie at least ``min_vertex_m`` (100 m)
  from every incident, and drops those with fewer than ``k`` incidents;
* masks the density surface wherever fewer than ``k`` incidents contribute;
* coarsens dates to months and removes ids, free text and names.

Modules: :mod:`~borderwatch.privacy.view` (the public view),
:mod:`~borderwatch.privacy.suppress` (small-count suppression),
:mod:`~borderwatch.privacy.shapes` (generalised shapes) and
:mod:`~borderwatch.privacy.scan` (the leak scanner).
"""

from __future__ import annotations

from .._schema import SENSITIVE_CATEGORIES
from .scan import scan_for_leaks
from .shapes import MIN_VERTEX_M, generalise_shapes
from .suppress import public_counts
from .view import public_view

__all__ = [
    "MIN_VERTEX_M",
    "SENSITIVE_CATEGORIES",
    "generalise_shapes",
    "public_counts",
    "public_view",
    "scan_for_leaks",
]

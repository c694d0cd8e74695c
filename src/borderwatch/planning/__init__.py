"""Planning: where the next patrol and outreach visit go, and why.

Modules, one per concern:

* :mod:`~borderwatch.planning.actions`: agreed actions (read, follow up);
* :mod:`~borderwatch.planning.coverage`: meetings near each area, outreach gaps;
* :mod:`~borderwatch.planning.representation`: women, youth and migrants among attendees;
* :mod:`~borderwatch.planning.effectiveness`: incidents before and after meetings and
  done actions, against matched comparison units;
* :mod:`~borderwatch.planning.sources`: who recorded the incidents, where sources diverge;
* :mod:`~borderwatch.planning.priorities`: the ranked areas, with a reason each;
* :mod:`~borderwatch.planning.plan`: all of it for one analysis (:class:`Planning`).

See ``docs/planning.md``.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd

from ..settings import Settings
from ._reasons import reasons
from .actions import actions_from_meetings, overdue_actions, read_actions
from .coverage import coverage
from .effectiveness import effectiveness, rate_ratio_ci
from .plan import Planning, plan
from .priorities import COMPONENTS, priorities
from .representation import representation
from .sources import source_flags, sources

__all__ = [
    "COMPONENTS",
    "Planning",
    "actions_from_meetings",
    "coverage",
    "effectiveness",
    "overdue_actions",
    "plan",
    "priorities",
    "rate_ratio_ci",
    "read_actions",
    "representation",
    "source_flags",
    "sources",
    "with_reasons",
]


def with_reasons(
    frame: gpd.GeoDataFrame | None, settings: Settings, *, lang: str | None = None, k: Any = None
) -> gpd.GeoDataFrame | None:
    """The priorities with ``reason`` written (again) in ``lang`` from their own columns.

    Used after the public view, whose protected counts the sentence must use.
    """
    if frame is None:
        return None
    out = frame.copy()
    out["reason"] = reasons(
        out,
        lang=lang or settings.languages[0],
        radius_km=settings.coverage_km,
        window_days=settings.coverage_days,
        k=int(k if k is not None else settings.k),
    ).to_numpy()
    return out

"""The evaluation and density figures of the public summary, coarsened.

PAI, PEI, RRI, hit rates and the scan's critical value are ratios of incident
counts. At full precision a ratio gives its counts back: ``0.914627794098842``
is ``n / n_star`` for one pair of whole numbers, which continued fractions
find. In the public summary every such figure is rounded to
:data:`SIGNIFICANT` significant digits, so that each published value stands
for a wide interval of count pairs (at two digits, any ratio within ±0.5 % of
it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["FIGURE_KEYS", "SIGNIFICANT", "coarse_columns", "coarse_figures", "figure_findings"]

#: Columns of the public scan layer that are figures of incident counts: the expected
#: count (the total times the window's share), the log-likelihood ratio and the
#: relative risk. At full precision ``expected`` and ``llr`` give the window's true
#: count and the true total back, undoing their perturbation.
SCAN_FIGURES = ("expected", "llr", "relative_risk")

#: Significant digits of a public figure.
SIGNIFICANT = 2
#: Summary keys (at any depth) that hold figures computed from incident counts.
FIGURE_KEYS = frozenset(
    {"pai", "pei", "rri", "hit_rate", "mass_outside", "critical_llr", "relative_risk"}
)


def _round(x: float, digits: int = SIGNIFICANT) -> float:
    """``x`` to ``digits`` significant digits.

    >>> _round(0.914627794098842), _round(278.16102735505353), _round(0.0)
    (0.91, 280.0, 0.0)
    """
    if not math.isfinite(x) or x == 0:
        return x
    return float(round(x, digits - 1 - math.floor(math.log10(abs(x)))))


def coarse_figures(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The summary with every figure of :data:`FIGURE_KEYS` coarsened.

    Examples
    --------
    >>> coarse_figures({"pai": 200.04090854203628, "evaluation": [{"pei": 0.9146, "cell_km": 20.0}]})
    {'pai': 200.0, 'evaluation': [{'pei': 0.91, 'cell_km': 20.0}]}
    """

    def walk(obj: Any, key: str) -> Any:
        if isinstance(obj, Mapping):
            return {kk: walk(v, str(kk).lower()) for kk, v in obj.items()}
        if isinstance(obj, list):
            return [walk(v, key) for v in obj]
        if key in FIGURE_KEYS and isinstance(obj, float):
            return _round(obj)
        return obj

    return walk(dict(summary), "")


def figure_findings(summary: Mapping[str, Any]) -> list[str]:
    """Figures of a public summary given at more than :data:`SIGNIFICANT` significant digits.

    >>> figure_findings({"view": "public", "pai": 200.04090854203628, "rri": 1.1})
    ['figure pai = 200.04090854203628 at full precision (its counts can be worked out)']
    """
    found: list[str] = []

    def walk(obj: Any, path: tuple[str, ...]) -> None:
        if isinstance(obj, Mapping):
            for kk, v in obj.items():
                walk(v, (*path, str(kk).lower()))
        elif isinstance(obj, list):
            for v in obj:
                walk(v, path)
        elif path and path[-1] in FIGURE_KEYS and isinstance(obj, float):
            if math.isfinite(obj) and _round(obj) != obj:
                found.append(
                    f"figure {'.'.join(path)} = {obj!r} at full precision "
                    "(its counts can be worked out)"
                )

    walk(summary, ())
    return found


def coarse_columns(frame: Any, columns: Any = SCAN_FIGURES) -> Any:
    """A copy of ``frame`` with each of ``columns`` it holds rounded to
    :data:`SIGNIFICANT` significant digits (missing values stay missing).

    >>> import pandas as pd
    >>> t = pd.DataFrame({"expected": [344.9195597849253], "llr": [4856.96]})
    >>> coarse_columns(t).to_dict("records")
    [{'expected': 340.0, 'llr': 4900.0}]
    """
    import pandas as pd

    out = frame.copy()
    for col in columns:
        if col in out.columns:
            values = pd.to_numeric(out[col], errors="coerce").astype(float)
            out[col] = [_round(v) if math.isfinite(v) else v for v in values]
    return out

"""The one way the benchmark divides two figures: NaN, never an exception, when it cannot."""

from __future__ import annotations

import math


def ratio(numerator: float, denominator: float) -> float:
    """`numerator / denominator`, NaN when that is not a finite number."""
    if denominator == 0 or not math.isfinite(numerator) or not math.isfinite(denominator):
        return math.nan
    return numerator / denominator

"""Helpers shared by the analysis modules."""

from __future__ import annotations

import math

import numpy as np


def _r2(data: np.ndarray, fit: np.ndarray) -> float:
    """Coefficient of determination of ``fit`` to ``data`` (NaN for constant data)."""
    total = float(np.sum((data - data.mean()) ** 2))
    if total == 0:
        return math.nan
    return 1.0 - float(np.sum((data - fit) ** 2)) / total

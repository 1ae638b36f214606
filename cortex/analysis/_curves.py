"""Peaks and widths of sampled tuning curves (periodic or on a log axis)."""

from __future__ import annotations

import math

import numpy as np


def _peak(x: np.ndarray, r: np.ndarray, period: float | None, log: bool) -> float:
    """Location of the maximum of ``r(x)``, refined by a parabola through its neighbours."""
    k = int(np.argmax(r))
    n = len(x)
    xs = np.log2(x) if log else x.astype(float)
    if period is not None:
        if n < 3:
            return float(x[k])
        i0, i2 = (k - 1) % n, (k + 1) % n
        x0, x1, x2 = xs[i0], xs[k], xs[i2]
        x0 = x0 - period if i0 > k else x0
        x2 = x2 + period if i2 < k else x2
    else:
        if k == 0 or k == n - 1:
            return float(x[k])
        x0, x1, x2 = xs[k - 1], xs[k], xs[k + 1]
        i0, i2 = k - 1, k + 1
    y0, y1, y2 = r[i0], r[k], r[i2]
    denom = (x0 - x1) * (x0 - x2) * (x1 - x2)
    if denom == 0:  # repeated values: no parabola through them
        return float(x[k])
    a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / denom
    b = (x2**2 * (y0 - y1) + x1**2 * (y2 - y0) + x0**2 * (y1 - y2)) / denom
    top = x1 if a >= 0 else -b / (2 * a)
    top = float(np.clip(top, min(x0, x2), max(x0, x2)))
    if log:
        return float(2.0**top)
    if period is None:
        return top
    top = float(np.mod(top, period))
    return 0.0 if top >= period * (1 - 1e-8) else top  # mod of a tiny negative number


def _half_height_crossings(
    x: np.ndarray, r: np.ndarray, period: float | None, log: bool
) -> tuple[float, float]:
    """Distances (in x, or octaves if ``log``) from the peak to half height on each side."""
    xs = np.log2(x) if log else x.astype(float)
    k = int(np.argmax(r))
    half = r.min() + (r.max() - r.min()) / 2
    n = len(r)
    sides = []
    for direction in (-1, 1):
        dist = math.nan
        prev_x, prev_r = xs[k], r[k]
        for step in range(1, n if period is not None else n):
            j = k + direction * step
            if period is None and not 0 <= j < n:
                break
            jj = j % n
            xj = xs[jj] + period * ((j - jj) // n) if period is not None else xs[jj]
            if r[jj] < half:
                frac = (prev_r - half) / (prev_r - r[jj])
                crossing = prev_x + frac * (xj - prev_x)
                dist = abs(crossing - xs[k])
                break
            prev_x, prev_r = xj, r[jj]
        sides.append(dist)
    return sides[0], sides[1]

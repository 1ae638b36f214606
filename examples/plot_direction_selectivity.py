"""
Direction-selective cells in V1
===============================

Many neurons of the primary visual cortex (V1) respond to a grating or bar
moving one way across their receptive field (RF) and hardly at all to the
same pattern moving the other way. A linear RF can do this only if it is
*not separable* in space and time: its spatial profile must shift with the
lag, so that it is oriented in space-time like the trajectory of the motion
it prefers (Adelson & Bergen 1985). The classic construction,
:class:`cortex.temporal.DirectionSelectiveRF`, adds two separable products:
an even Gabor times a fast biphasic kernel, and the odd (quadrature) Gabor
times a slower one.

We look at such cells the way a physiologist does, with
:mod:`cortex.analysis`: their space-time (x-t) kernels, their direction
tuning and direction selectivity index (DSI) with drifting gratings, their
temporal-frequency tuning, and their RFs recovered from spikes fired to
white noise by spike-triggered averaging. A separable cell, with the same
even Gabor and fast kernel alone, serves as the control. Directions are in
degrees, 0 = rightward and 90 = upward; frequencies in cycles/deg and Hz.
"""

import math
import os

import matplotlib.pyplot as plt
import numpy as np

import cortex
from cortex.analysis import (
    direction_tuning,
    map_correlation,
    spatiotemporal_sta,
    temporal_frequency_tuning,
)
from cortex.dynamics import spatiotemporal_responses
from cortex.movies import white_noise_movie
from cortex.plotting import plot_direction_tuning, plot_kernel, plot_xt
from cortex.spikes import poisson_spikes
from cortex.temporal import AdelsonBergen, DirectionSelectiveRF, SeparableRF

# Fewer directions, frequencies and noise frames when the example runs as a quick
# test (CORTEX_EXAMPLE_SMALL=1).
SMALL = os.environ.get("CORTEX_EXAMPLE_SMALL") == "1"
FIGURES_DIR = os.environ.get("CORTEX_FIGURES_DIR")


def save(fig, n):
    """Save a figure as PNG if CORTEX_FIGURES_DIR is set."""
    if FIGURES_DIR:
        os.makedirs(FIGURES_DIR, exist_ok=True)
        fig.savefig(os.path.join(FIGURES_DIR, f"plot_direction_selectivity_{n}.png"), dpi=100)


# %%
# Space-time receptive fields
# ---------------------------
# The direction-selective cell prefers rightward motion (``direction=0``): its
# Gabors have vertical bars (carrier along x) of 2 cycles/deg, and its
# temporal kernels are Adelson & Bergen's fast (``n = 3``) and slow
# (``n = 5``) filters of rate 100/s. Cut through its centre row, the
# space-time kernel is a set of oblique stripes: the lag at which a position
# excites the cell grows steadily from right to left. Since the rows of a
# kernel are lags, time *before* the response, those stripes lean the other
# way to the x-t trace of the preferred motion (a bar moving right traces
# stripes whose x grows with time). The separable cell's stripes are
# vertical: where it is excited does not depend on when, so it cannot tell
# left from right.

ppd, fps = 16.0, 100.0
field = cortex.VisualField(2.0, 2.0, pixels_per_degree=ppd)
sf = 2.0  # cycles/deg
fast, slow = AdelsonBergen(k=100.0, n=3), AdelsonBergen(k=100.0, n=5)
cell = DirectionSelectiveRF.from_gabor(sf, direction=0.0, temporal=(fast, slow))
separable = SeparableRF(cell.spatial_even, fast)

fig, axes = plt.subplots(1, 4, figsize=(16, 3.8), layout="constrained")
plot_kernel(cell.spatial_even, ppd, ax=axes[0], colorbar=False)
axes[0].set_title("even Gabor (x fast kernel)")
plot_kernel(cell.spatial_odd, ppd, ax=axes[1], colorbar=False)
axes[1].set_title("odd Gabor (x slow kernel)")
plot_xt(cell.kernel(ppd, fps), axes[2], pixels_per_degree=ppd, frames_per_second=fps)
axes[2].set_title("direction-selective cell: x-t kernel")
plot_xt(separable.kernel(ppd, fps), axes[3], pixels_per_degree=ppd, frames_per_second=fps)
axes[3].set_title("separable cell: x-t kernel")
for ax in axes[2:]:
    ax.set_ylim(0.2, 0.0)  # the first 200 ms of lag
save(fig, 1)

# The linear gain to a 6 Hz grating drifting right (+x) and left (-x), from the analytic spectra
for name, rf in (("direction-selective", cell), ("separable", separable)):
    right = abs(complex(rf.frequency_response(sf, 0.0, 6.0)))
    left = abs(complex(rf.frequency_response(-sf, 0.0, 6.0)))
    print(f"{name:20s}: gain {right:.3f} rightward, {left:.3f} leftward")

# %%
# Direction tuning
# ----------------
# Full-field gratings of the cells' spatial frequency drift at 6 Hz in each of
# 16 directions (:func:`~cortex.analysis.direction_tuning`). The rates are the
# linear response, scaled so that the preferred direction drives the
# direction-selective cells to 40 spikes/s at the peak of each cycle, and
# rectified (with no spontaneous rate, their mean is ``1 / pi`` of that
# peak). The analysis skips the first ~0.3 s (the kernels' memory) and
# averages whole cycles of the drift. We show three direction-selective
# cells, built to prefer 0, 90 and 225 degrees, and the separable cell. The
# preferred direction is the vector average of the mean rates, the DSI is
# ``(R_pref - R_null) / (R_pref + R_null)`` with ``R_null`` the response to
# the opposite direction, and the circular variance is
# ``1 - |vector sum| / sum``. The separable cell responds the same to both
# directions of motion along its carrier: its DSI is 0, its polar plot has two
# opposite lobes, and the vector average, a sum of two opposite vectors that
# cancel, is meaningless (so it is not drawn).

directions = np.arange(0.0, 360.0, 45.0 if SMALL else 22.5)
gain = 40.0 / abs(complex(cell.frequency_response(sf, 0.0, 6.0)))  # spikes/s per unit drive
cells = {
    "prefers 0 deg": cell,
    "prefers 90 deg": DirectionSelectiveRF.from_gabor(sf, direction=90.0, temporal=(fast, slow)),
    "prefers 225 deg": DirectionSelectiveRF.from_gabor(sf, direction=225.0, temporal=(fast, slow)),
    "separable": separable,
}
tunings = {
    name: direction_tuning(
        rf,
        field,
        directions,
        spatial_frequency=sf,
        temporal_frequency=6.0,
        frames_per_second=fps,
        gain=gain,
    )
    for name, rf in cells.items()
}
fig = plt.figure(figsize=(16, 4.4), layout="constrained")
for k, (name, tuning) in enumerate(tunings.items()):
    ax = fig.add_subplot(1, 4, k + 1, projection="polar")
    plot_direction_tuning(tuning, ax, color=f"C{k}", show_preferred=name != "separable")
    ax.set_title(f"{name}\n{ax.get_title()}", fontsize="medium")
    preferred = round(float(tuning.preferred_direction()[0]), 1) % 360.0
    shown = "none" if tuning.circular_variance()[0] > 0.99 else f"{preferred:.1f} deg"
    print(
        f"{name:16s}: preferred {shown}, "
        f"DSI {tuning.direction_selectivity_index()[0]:.2f}, "
        f"circular variance {tuning.circular_variance()[0]:.2f}, "
        f"largest mean rate {tuning.mean.max():.1f} spikes/s"
    )
save(fig, 2)

# %%
# Temporal-frequency tuning
# -------------------------
# The same grating now drifts at frequencies from 0.5 to 40 Hz, in the
# preferred and the null direction
# (:func:`~cortex.analysis.temporal_frequency_tuning`, linear responses). The
# F1 amplitude of a linear cell is its gain ``|H(fx, fy, ft)|`` (times
# ``sinc(ft / fps)`` for the frames being held): the lines are the analytic
# spectra, the dots the simulation. The separable cell's two curves coincide.
# The direction-selective cell's preferred and null curves part most in the
# middle of the range: its direction index (right) rises from about 0 for slow
# drifts to about 0.6 near 12 Hz and falls again. The two paths of the RF
# cancel in the null direction when they are in quadrature with equal gains;
# the slow kernel lags the fast one by ``2 arctan(2 pi f / k)``, 90 degrees
# at ``k / (2 pi)``, about 16 Hz, but there its gain is already half the fast
# one's, and at high frequencies it vanishes. At the 6 Hz of the direction
# tuning above the index is the DSI measured there.

frequencies = np.geomspace(0.5, 40.0, 8 if SMALL else 16)
dense = np.geomspace(0.5, 40.0, 400)
fig, axes = plt.subplots(1, 2, figsize=(13, 4.4), layout="constrained")
for k, (name, rf) in enumerate((("direction-selective", cell), ("separable", separable))):
    for direction, style, label in (
        (0.0, "-", "preferred (0 deg)"),
        (180.0, "--", "null (180 deg)"),
    ):
        tuning = temporal_frequency_tuning(
            rf,
            field,
            frequencies,
            spatial_frequency=sf,
            direction=direction,
            frames_per_second=fps,
            gain=gain,
        )
        fx = sf * math.cos(math.radians(direction))
        analytic = gain * np.abs(rf.frequency_response(fx, 0.0, dense)) * np.sinc(dense / fps)
        axes[0].plot(
            dense, analytic, style, color=f"C{3 * k}", linewidth=1.0, label=f"{name}, {label}"
        )
        axes[0].plot(frequencies, tuning.f1[:, 0], "o", color=f"C{3 * k}", ms=4)
        if direction == 0.0:
            preferred = tuning.f1[:, 0]
            print(
                f"{name:20s}: preferred temporal frequency "
                f"{tuning.preferred_frequency()[0]:.1f} Hz, "
                f"bandwidth {tuning.bandwidth()[0]:.1f} octaves"
            )
        else:
            index = (preferred - tuning.f1[:, 0]) / (preferred + tuning.f1[:, 0])
            axes[1].plot(frequencies, index, "o-", color=f"C{3 * k}", ms=4, label=name)
axes[0].set(
    xscale="log",
    xlabel="temporal frequency (Hz)",
    ylabel="F1 amplitude (spikes/s)",
    title=f"Gratings of {sf:g} cycles/deg (lines: analytic, dots: simulated)",
)
axes[0].legend(fontsize="small")
axes[1].set(
    xscale="log",
    xlabel="temporal frequency (Hz)",
    ylabel="(F1 pref - F1 null) / (F1 pref + F1 null)",
    title="Direction index of the F1 amplitude",
    ylim=(-0.05, 1.0),
)
axes[1].legend(fontsize="small")
save(fig, 3)

# %%
# The space-time RF from spikes and white noise
# ---------------------------------------------
# Finally the physiologist's view: show the direction-selective cell
# spatiotemporal white noise (a new Gaussian noise frame every 20 ms, on a
# coarser 8 px/deg grid), turn its rectified rates (spontaneous rate 60
# spikes/s) into Poisson spikes, and average the frames that precede each
# spike (:func:`~cortex.analysis.spatiotemporal_sta`; lag 0 is the frame of
# the spike). For a linear-nonlinear-Poisson cell and Gaussian noise the
# spike-triggered average converges to a multiple of its space-time kernel,
# so the STA, cut through the row of the cell's centre, shows the same
# oriented stripes as the true kernel (bottom: a few lags side by side).

noise_ppd, noise_fps = 8.0, 50.0
noise_field = cortex.VisualField(2.0, 2.0, pixels_per_degree=noise_ppd)
site = cortex.Mosaic(noise_field, [[0.0, 0.0]])
kernel = cell.kernel(noise_ppd, noise_fps)  # (lags, h, w), tap k = lag k
n_lags, half = kernel.shape[0], kernel.shape[1] // 2
noise = white_noise_movie(noise_field, noise_fps, 300.0 if SMALL else 1000.0, seed=0)
rate = 60.0
noise_rates = spatiotemporal_responses(
    cell, site, noise, baseline=rate, gain=rate / np.sqrt(np.sum(kernel**2))
)
spikes = poisson_spikes(noise_rates, noise_fps, seed=1)
sta = spatiotemporal_sta(spikes, noise, n_lags)[0]  # (lags, H, W)
(row,), (col,) = site.pixel_centers
local = sta[:, row - half : row + half + 1, col - half : col + half + 1]
correlation = np.corrcoef(local.ravel(), kernel.ravel())[0, 1]
print(
    f"white noise: {noise.n_frames} frames, {spikes.n_spikes} spikes; correlation of the STA "
    f"with the true kernel {correlation:.2f}"
)

fig = plt.figure(figsize=(15, 7.5), layout="constrained")
top, bottom = fig.subfigures(2, 1, height_ratios=[1.2, 1.0])
axes = top.subplots(1, 2)
plot_xt(local, axes[0], pixels_per_degree=noise_ppd, frames_per_second=noise_fps)
axes[0].set_title(f"STA of {spikes.n_spikes} spikes (x-t, centre row)")
plot_xt(kernel, axes[1], pixels_per_degree=noise_ppd, frames_per_second=noise_fps)
axes[1].set_title("true kernel (x-t, centre row)")
lags = [1, 2, 3, 4, 6, 8]
axes = bottom.subplots(2, len(lags))
for j, lag in enumerate(lags):
    per_lag = map_correlation(local[lag], kernel[lag])[0]
    for i, (data, name) in enumerate(((local[lag], "STA"), (kernel[lag], "kernel"))):
        plot_kernel(data, noise_ppd, ax=axes[i, j], colorbar=False)
        axes[i, j].set_title(f"{name}, lag {1000 * lag / noise_fps:.0f} ms", fontsize="small")
        axes[i, j].set(xlabel="", ylabel="")
    axes[0, j].text(
        0.03, 0.03, f"r = {per_lag:.2f}", transform=axes[0, j].transAxes, fontsize="small"
    )
top.suptitle(f"Spike-triggered average vs true kernel: correlation {correlation:.2f}")
save(fig, 4)

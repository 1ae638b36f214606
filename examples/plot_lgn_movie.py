"""
LGN cells watching a natural movie
==================================

Neurons of the lateral geniculate nucleus (LGN) filter the image in space with
a centre-surround receptive field (RF) and in time with a *biphasic* impulse
response: a brief excitation followed by a weaker, longer suppression, so
that they respond to change more than to steady light. A separable
spatiotemporal RF, ``spatial(x, y) * temporal(t)``, models both
(:mod:`cortex.temporal`).

We give an ON and an OFF mosaic of difference-of-Gaussians RFs the same
biphasic temporal kernel, let them watch a natural image through moving eyes
(slow drift and saccades, :func:`cortex.movies.natural_movie`), compute their
firing rates with :func:`cortex.dynamics.movie_responses`, draw Poisson
spikes (:func:`cortex.spikes.poisson_spikes`) and look at them the way an
electrophysiologist would: a raster and a peri-stimulus time histogram (PSTH).
Positions are in degrees, times in seconds, rates in spikes/s.
"""

import math
import os

import matplotlib.pyplot as plt
import numpy as np

import cortex
from cortex.dynamics import movie_responses
from cortex.movies import natural_movie
from cortex.plotting import plot_image, plot_kernel, plot_psth, plot_raster, plot_xt
from cortex.spikes import poisson_spikes
from cortex.temporal import Biphasic, SeparableRF

# A smaller field and a shorter movie when the example runs as a quick test
# (CORTEX_EXAMPLE_SMALL=1).
SMALL = os.environ.get("CORTEX_EXAMPLE_SMALL") == "1"
FIGURES_DIR = os.environ.get("CORTEX_FIGURES_DIR")


def save(fig, n):
    """Save a figure as PNG if CORTEX_FIGURES_DIR is set."""
    if FIGURES_DIR:
        os.makedirs(FIGURES_DIR, exist_ok=True)
        fig.savefig(os.path.join(FIGURES_DIR, f"plot_lgn_movie_{n}.png"), dpi=100)


# %%
# The receptive fields in space and in time
# -----------------------------------------
# Both RF types have a centre Gaussian of sigma 0.15 deg and a surround three
# times wider of equal volume (they ignore uniform light); the OFF RF is the ON
# RF with its sign flipped. The temporal kernel is a difference of two gamma
# densities (:class:`~cortex.temporal.Biphasic`): excitation peaking at 30 ms,
# suppression at 60 ms, with 80 % of the excitation's area, so the cells are
# mostly transient (a DC gain of 0.2). The space-time RF of an ON cell, cut
# through its centre (:func:`~cortex.plotting.plot_xt`), is excitatory at
# the centre and short lags, and turns inhibitory at longer lags: the same
# spot of light excites the cell now and suppresses it 60 ms later.

if SMALL:
    field = cortex.VisualField(width=4.0, height=3.0, pixels_per_degree=12)
    fps, duration = 50.0, 2.0
else:
    field = cortex.VisualField(width=8.0, height=6.0, pixels_per_degree=12)
    fps, duration = 50.0, 6.0

rf_on = cortex.DifferenceOfGaussians(sigma_center=0.15, sigma_surround=0.45, polarity="on")
rf_off = cortex.DifferenceOfGaussians(sigma_center=0.15, sigma_surround=0.45, polarity="off")
temporal = Biphasic(tau1=0.015, tau2=0.03, n1=3, n2=3, weight=0.8)

t = np.linspace(0.0, 0.25, 501)
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
plot_kernel(rf_on, field.pixels_per_degree, ax=axes[0])
axes[0].set_title("ON-centre RF in space")
axes[1].plot(1000 * t, temporal.impulse_response(t), color="k")
axes[1].axhline(0.0, color="0.6", linewidth=0.8)
axes[1].set(
    xlabel="time after a flash (ms)",
    ylabel="impulse response (1/s)",
    title=f"Biphasic kernel, DC gain {temporal.dc_gain:.1f}",
)
space_time = SeparableRF(rf_on, temporal).kernel(field.pixels_per_degree, fps)
plot_xt(space_time, axes[2], pixels_per_degree=field.pixels_per_degree, frames_per_second=fps)
axes[2].set_title("ON RF in space-time (y = 0)")
save(fig, 1)

# %%
# Two mosaics and a natural movie
# -------------------------------
# The ON cells sit on a hexagonal lattice whose half-maximum discs just tile
# the field; the OFF lattice is the same lattice shifted into the holes of
# the ON one (as in the example on ON and OFF mosaics). The movie is the
# "camera" picture of scikit-image seen by an eye that drifts at 1 deg/s and
# makes saccades of 1 deg about twice a second: the retinal image slides
# slowly and jumps now and then. Every frame lasts ``1 / fps`` s.

r_half_max = rf_on.contour("half-max")[0]
spacing = 0.95 * math.sqrt(3.0) * r_half_max
mosaic_on = cortex.Mosaic.from_lattice(field, spacing=spacing, lattice="hexagonal")
bigger = cortex.VisualField(
    field.width + 2 * spacing, field.height + 2 * spacing, field.pixels_per_degree
)
shifted = cortex.Mosaic.from_lattice(bigger, spacing=spacing).centers + [
    spacing / 2,
    spacing / (2 * math.sqrt(3.0)),
]
mosaic_off = cortex.Mosaic(
    field,
    shifted[field.contains(shifted[:, 0], shifted[:, 1])],
    lattice="hexagonal",
    spacing=spacing,
)
pop_on = cortex.Population(rf_on, mosaic_on)
pop_off = cortex.Population(rf_off, mosaic_off)

movie, gaze = natural_movie(
    field,
    fps,
    duration,
    seed=3,
    image="camera",
    drift_speed=1.0,
    saccade_rate=2.0,
    saccade_amplitude=1.0,
    return_gaze=True,
)
jumps = np.flatnonzero(np.hypot(*np.diff(gaze, axis=0).T) > 0.5) + 1  # frames after a saccade
print(f"field {field.width:g} x {field.height:g} deg ({field.shape[1]} x {field.shape[0]} px)")
print(f"{pop_on.n_neurons} ON and {pop_off.n_neurons} OFF cells, lattice spacing {spacing:.3f} deg")
print(f"movie: {movie.n_frames} frames at {fps:g} frames/s, saccades at {movie.times[jumps]} s")

shown = np.linspace(0, movie.n_frames - 1, 4).round().astype(int)
fig, axes = plt.subplots(1, 5, figsize=(17, 3.4), layout="constrained")
for ax, n in zip(axes[:4], shown, strict=True):
    plot_image(movie.frames[n], field, ax=ax, cmap="gray", vmin=-1.0, vmax=1.0)
    ax.set_title(f"frame {n} (t = {movie.times[n]:.2f} s)")
axes[4].plot(gaze[:, 0], gaze[:, 1], color="k", linewidth=1.0)
axes[4].plot(*gaze[jumps].T, "o", color="C3", markersize=4, label="after a saccade")
axes[4].set(xlabel="gaze x (deg)", ylabel="gaze y (deg)", title="Eye position", aspect="equal")
axes[4].legend(fontsize="small")
save(fig, 2)

# %%
# Firing rates
# ------------
# :func:`~cortex.dynamics.movie_responses` filters every frame in space at the
# RF centres and then all neurons at once in time (a causal FIR filter along
# the frames). We first measure the linear drive (``nonlinearity=None``) to
# set the gain so that it swings the rate by about 25 spikes/s (one standard
# deviation), then add a spontaneous rate of 10 spikes/s and rectify: rates
# cannot be negative, and a cell driven below zero falls silent.

linear_on = movie_responses(pop_on, movie, temporal, nonlinearity=None)
linear_off = movie_responses(pop_off, movie, temporal, nonlinearity=None)
gain = 25.0 / np.concatenate([linear_on, linear_off], axis=1).std()
baseline = 10.0
rates_on = movie_responses(pop_on, movie, temporal, baseline=baseline, gain=gain)
rates_off = movie_responses(pop_off, movie, temporal, baseline=baseline, gain=gain)
rates = np.concatenate([rates_on, rates_off], axis=1)  # (T, n_on + n_off)
print(f"gain {gain:.0f} spikes/s per unit drive; mean rate {rates.mean():.1f} spikes/s")
print(f"silent (rate 0) in {np.mean(rates == 0):.0%} of the frames x cells")

# ON and OFF neighbours see nearly the same patch with opposite signs
nearest = np.argmin(
    np.hypot(*(mosaic_off.centers[:, None, :] - mosaic_on.centers[None, :, :]).transpose(2, 0, 1)),
    axis=1,
)
pairs = np.array(
    [np.corrcoef(linear_off[:, j], linear_on[:, i])[0, 1] for j, i in enumerate(nearest)]
)
print(f"linear drives of neighbouring ON and OFF cells: median correlation {np.median(pairs):.2f}")

# %%
# Spikes: a raster and a PSTH
# ---------------------------
# Each cell fires as an inhomogeneous Poisson process whose rate is constant
# over each frame. The raster shows the 15 ON cells (bottom) and the 15 OFF
# cells (top) nearest fixation, each group from left to right: when the
# image under the RFs brightens the ON cells fire and the OFF cells pause,
# and the reverse when it darkens. Saccades (red lines) shift the image across
# all RFs at once and set off a burst of activity in both populations; during
# the slow drift, the transient temporal kernel lets the rates relax back
# towards baseline (the rectification keeps the mean above it). The first
# bins show the onset of the movie itself, after a grey screen (the filters
# start from rest). The PSTHs average all cells of each type in 40 ms bins.

trains = poisson_spikes(rates, fps, seed=1)
n_on = pop_on.n_neurons
near_on = np.argsort(np.hypot(*mosaic_on.centers.T))[:15]  # nearest fixation
near_off = np.argsort(np.hypot(*mosaic_off.centers.T))[:15]
near_on = near_on[np.argsort(mosaic_on.centers[near_on, 0])]  # left to right
near_off = n_on + near_off[np.argsort(mosaic_off.centers[near_off, 0])]
shown_cells = np.concatenate([near_on, near_off])
print(f"{trains.n_spikes} spikes of {trains.n_neurons} cells in {trains.duration:g} s")

fig, axes = plt.subplots(
    3, 1, figsize=(11, 9), sharex=True, layout="constrained", height_ratios=[2.0, 1.0, 1.0]
)
plot_raster(trains, axes[0], neurons=shown_cells, linewidths=0.8)
axes[0].axhline(14.5, color="0.5", linewidth=0.8)
axes[0].set_ylabel("neuron (ON below the line, OFF above)")
bin_width = 0.04
plot_psth(trains, bin_width, axes[1], neurons=np.arange(n_on), color="C0", label="ON")
plot_psth(
    trains, bin_width, axes[2], neurons=np.arange(n_on, trains.n_neurons), color="C3", label="OFF"
)
for ax in axes:
    for time in movie.times[jumps]:
        ax.axvline(time, color="C3", linewidth=0.8, alpha=0.6)
for ax, name in zip(axes[1:], ("ON", "OFF"), strict=True):
    ax.axhline(baseline, color="k", linestyle=":", linewidth=0.8, label="spontaneous rate")
    ax.set_title(f"PSTH of the {name} cells, {bin_width * 1000:g} ms bins", fontsize="medium")
    ax.legend(fontsize="small", loc="upper right")
save(fig, 3)

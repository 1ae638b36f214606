"""
Tuning curves of simulated V1 neurons
=====================================

A physiologist characterises a V1 neuron by showing it drifting gratings and
varying one parameter at a time: orientation, spatial frequency, spatial phase
and contrast. :func:`cortex.analysis.tuning_curve` runs the same experiment on
a simulated neuron. Here we record from two cells with the same RF envelope
and preferred grating:

* a **simple cell**: a rectified linear Gabor RF (:class:`cortex.Gabor`);
* a **complex cell**: the energy model (:class:`cortex.ComplexCell`), the sum of
  the squared outputs of a quadrature pair of Gabors.

Each neuron sits alone at the centre of the field (a one-site
:class:`cortex.Mosaic`). Each grating is shown at 8 spatial phases (the frames
of a drifting grating) and the responses over phase are summarised as
physiologists do: the first harmonic F1 for a simple cell, whose response
follows the grating's phase, and the mean F0 for a complex cell, whose
response does not (``statistic="auto"`` picks by the modulation ratio F1/F0).

Finally, the same orientation experiment runs unchanged on a unit of a
ConvNet whose first layer is a bank of Gabor filters.
"""

import dataclasses
import math
import os

import matplotlib.pyplot as plt
import numpy as np

import cortex
from cortex.analysis import tuning_curve
from cortex.nn import Conv2D, ReLU, Sequential
from cortex.plotting import plot_filter_grid, plot_kernel, plot_tuning_curve

# Coarser sweeps when run as a quick test (CORTEX_EXAMPLE_SMALL=1).
SMALL = os.environ.get("CORTEX_EXAMPLE_SMALL") == "1"
FIGURES_DIR = os.environ.get("CORTEX_FIGURES_DIR")


def save(fig, name):
    """Save a figure as PNG if CORTEX_FIGURES_DIR is set."""
    if FIGURES_DIR:
        os.makedirs(FIGURES_DIR, exist_ok=True)
        fig.savefig(os.path.join(FIGURES_DIR, f"plot_tuning_curves_{name}.png"), dpi=100)


# %%
# Two neurons with the same receptive-field envelope
# --------------------------------------------------
# Both prefer 3 cycles/degree gratings at 30 deg (0 deg = vertical bars,
# angles counter-clockwise). The default envelope gives the Gabor a
# spatial-frequency bandwidth of one octave.

field = cortex.VisualField(width=2.0, height=2.0, pixels_per_degree=24)
mosaic = cortex.Mosaic(field, [[0.0, 0.0]])
sf_pref, ori_pref = 3.0, 30.0
simple = cortex.Gabor(sf_pref, orientation=ori_pref)
complex_cell = cortex.ComplexCell(sf_pref, orientation=ori_pref)
cells = cortex.Population([simple, complex_cell], mosaic)  # neuron 0: simple, 1: complex
names = ("simple (Gabor)", "complex (energy)")


def named(curve):
    """The curve with readable unit labels (for the legends)."""
    return dataclasses.replace(curve, labels=names)


fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), layout="constrained")
plot_kernel(simple, field.pixels_per_degree, ax=axes[0], colorbar=False)
axes[0].set_title("simple cell: Gabor RF")
plot_kernel(complex_cell, field.pixels_per_degree, ax=axes[1], colorbar=False)
axes[1].set_title("complex cell: even Gabor")
plot_kernel(complex_cell, field.pixels_per_degree, ax=axes[2], part="imag", colorbar=False)
axes[2].set_title("complex cell: odd Gabor")
save(fig, "rfs")

# %%
# Orientation tuning
# ------------------
# Gratings at the preferred spatial frequency, every 5 deg. The polar plot
# draws each curve over the full circle: a grating at ``theta`` and one at
# ``theta + 180`` are the same stimulus. The dashed lines mark the preferred
# orientation (the peak, refined by a parabola through its neighbours).
# We pass the grating's ``orientation`` and ``spatial_frequency``; without
# them ``tuning_curve`` would first search for the preferred grating (the
# value of the parameter being varied is ignored).

step = 15.0 if SMALL else 5.0
orientations = np.arange(0.0, 180.0, step)
ori_curve = named(
    tuning_curve(
        cells, "orientation", orientations, orientation=ori_pref, spatial_frequency=sf_pref
    )
)

fig = plt.figure(figsize=(11, 4.2), layout="constrained")
ax_lin = fig.add_subplot(1, 2, 1)
ax_polar = fig.add_subplot(1, 2, 2, projection="polar")
plot_tuning_curve(ori_curve, ax=ax_lin)
ax_lin.set_xticks(np.arange(0, 181, 30))
ax_lin.set_title("orientation tuning at 3 cycles/deg")
plot_tuning_curve(ori_curve, ax=ax_polar, polar=True)
ax_polar.set_rlabel_position(120)
ax_polar.legend(fontsize="small", loc="lower left", bbox_to_anchor=(0.85, -0.05))
ax_polar.set_title("polar plot (a grating at 30 deg is the one at 210 deg)", fontsize="medium")
save(fig, "orientation")

# %%
# The numbers physiologists report: the preferred orientation, the half-width
# at half height (HWHH), the orientation selectivity index
# ``OSI = (R_pref - R_orth) / (R_pref + R_orth)`` and the circular variance
# (0: responds to one orientation only, 1: untuned). The complex cell's energy
# is the *square* of a linear filter's amplitude, so its tuning is narrower.

for k, name in enumerate(names):
    print(
        f"{name:17s}: preferred orientation {ori_curve.preferred()[k]:5.1f} deg, "
        f"HWHH {ori_curve.bandwidth()[k]:4.1f} deg, "
        f"OSI {ori_curve.orientation_selectivity_index()[k]:.3f}, "
        f"circular variance {ori_curve.circular_variance()[k]:.3f}"
    )

# %%
# Spatial-frequency tuning
# ------------------------
# Gratings at the preferred orientation, log-spaced from 0.5 to 10
# cycles/degree (the Nyquist limit is 12). The bandwidth is the full width at
# half height in octaves, ``log2(f_high / f_low)``. A simple cell's F1 is
# proportional to the amplitude of its RF's Fourier transform, so it should
# match the Gabor's analytic half-amplitude bandwidth (``Gabor.bandwidth``).
# The complex cell's energy is that amplitude squared; its half height is the
# half amplitude of a Gabor with a sqrt(2) times wider envelope.

frequencies = np.geomspace(0.5, 10.0, 12 if SMALL else 30)
sf_curve = named(
    tuning_curve(
        cells, "spatial_frequency", frequencies, orientation=ori_pref, spatial_frequency=sf_pref
    )
)
wider = cortex.Gabor(
    sf_pref, orientation=ori_pref, sigma_x=simple.sigma_x * math.sqrt(2.0)
).bandwidth
expected = (simple.bandwidth, wider)

fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
plot_tuning_curve(sf_curve, ax=ax)
ax.set_title("spatial-frequency tuning at 30 deg")
save(fig, "spatial_frequency")

for k, name in enumerate(names):
    print(
        f"{name:17s}: preferred SF {sf_curve.preferred()[k]:.2f} cycles/deg, "
        f"bandwidth {sf_curve.bandwidth()[k]:.2f} octaves "
        f"(analytic {expected[k]:.2f} octaves)"
    )

# %%
# Phase tuning: simple versus complex
# -----------------------------------
# A stationary grating at the preferred orientation and frequency, shifted in
# spatial phase. The simple cell responds when the grating's bright bars fall
# on its ON subregion and is silenced (rectified) half a cycle later; the
# complex cell responds the same at every phase. The modulation ratio F1/F0
# of the responses to a drifting grating (``curve.modulation_ratio``, measured
# here on the orientation curve at the preferred orientation) separates the
# two classes: above 1 for simple cells, below 1 for complex cells (Skottun
# et al., 1991). A half-wave rectified sinusoid has F1/F0 = pi/2 = 1.57.

phases = np.arange(0.0, 360.0, 30.0 if SMALL else 10.0)
phase_curve = named(
    tuning_curve(
        cells, "phase", phases, orientation=ori_pref, spatial_frequency=sf_pref, n_phases=1
    )
)
ratio = ori_curve.modulation_ratio

fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
plot_tuning_curve(phase_curve, ax=ax, show_preferred=False)
ax.set_xticks(np.arange(0, 361, 90))
ax.set_ylabel("response")
ax.set_title(f"phase tuning: F1/F0 = {ratio[0]:.2f} (simple), {ratio[1]:.2f} (complex)")
save(fig, "phase")

for k, name in enumerate(names):
    kind = "simple" if ratio[k] > 1 else "complex"
    print(f"{name:17s}: modulation ratio F1/F0 = {ratio[k]:.2f} -> classified {kind}")

# %%
# Contrast tuning with a saturating output
# ----------------------------------------
# Real neurons saturate at high contrast. We pass both cells' outputs through
# a Naka-Rushton nonlinearity ``x^n / (x^n + c50^n)`` (:class:`cortex.NakaRushton`,
# ``c50 = 0.05``, ``n = 2``) and fit the same function of *contrast* to the
# responses (``curve.contrast_fit()``). The statistic is the peak over phase,
# so each curve is the nonlinearity of the response at the best phase.
#
# The simple cell's linear response is ``gain * contrast``, where ``gain`` is
# the amplitude of its RF's Fourier transform at the preferred grating, so
# its fitted c50 should be ``0.05 / gain`` with exponent 2. The complex cell's
# energy is ``(gain * contrast)^2``: its contrast c50 is ``sqrt(0.05) / gain``
# and its exponent doubles to 4.

saturation = cortex.NakaRushton(c50=0.05, exponent=2.0)
contrasts = np.geomspace(0.01, 1.0, 8 if SMALL else 20)
contrast_curve = named(
    tuning_curve(
        cells,
        "contrast",
        contrasts,
        orientation=ori_pref,
        spatial_frequency=sf_pref,
        nonlinearity=saturation,
        statistic="max",
    )
)
fits = contrast_curve.contrast_fit()
theta = math.radians(ori_pref)
gain = abs(simple.frequency_response(sf_pref * math.cos(theta), sf_pref * math.sin(theta)))
predicted = (saturation.c50 / gain, math.sqrt(saturation.c50) / gain)

fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
plot_tuning_curve(contrast_curve, ax=ax, linestyle="none")
smooth = np.geomspace(contrasts[0], contrasts[-1], 200)
for k, fit in enumerate(fits):
    ax.plot(smooth, fit(smooth), color=f"C{k}", lw=1)
    ax.axvline(fit.c50, color=f"C{k}", lw=0.8, ls="--")
ax.set_title("contrast response (points) and Naka-Rushton fits (lines, c50 dashed)")
ax.title.set_fontsize("medium")
save(fig, "contrast")

for k, (name, fit) in enumerate(zip(names, fits, strict=True)):
    print(
        f"{name:17s}: fitted c50 {fit.c50:.3f} (predicted {predicted[k]:.3f}), "
        f"exponent {fit.exponent:.2f}, R^2 {fit.r2:.4f}"
    )

# %%
# The same experiment on a ConvNet unit
# -------------------------------------
# A ConvNet's first layer is a population of neurons with shared-weight RFs.
# We build one from eight Gabors (every 22.5 deg, 3 cycles/degree) with
# :meth:`cortex.nn.Conv2D.from_receptive_fields`, followed by a ReLU (the
# rectification of the simple cell). A unit is addressed as
# ``(model, layer, channel)``: the centre unit of that feature map, and
# ``field`` says which visual field the network's input pixels cover. Nothing
# else changes: the same call measures its orientation tuning.

bank = [cortex.Gabor(sf_pref, orientation=o) for o in np.arange(0.0, 180.0, 22.5)]
conv = Conv2D.from_receptive_fields(bank, field.pixels_per_degree, trainable=False)
model = Sequential([conv, ReLU()])

fig = plt.figure(figsize=(11, 4.4), layout="constrained")
ax_bank = fig.add_subplot(1, 2, 1)
ax_units = fig.add_subplot(1, 2, 2, projection="polar")
plot_filter_grid(conv.params["weight"], ax=ax_bank, n_columns=4)
ax_bank.set_title("Conv2D filters (0 to 157.5 deg)", fontsize="medium")
for channel, gabor in enumerate(bank):
    curve = tuning_curve(
        (model, 1, channel),
        "orientation",
        orientations,
        field=field,
        orientation=gabor.orientation,
        spatial_frequency=sf_pref,
    )
    curve = dataclasses.replace(curve, labels=(f"{gabor.orientation:g} deg",))
    n_lines = len(ax_units.lines)
    plot_tuning_curve(curve, ax=ax_units, polar=True)
    for line in ax_units.lines[n_lines:]:  # one colour per channel
        line.set_color(f"C{channel}")
    found = curve.preferred()[0]
    error = (found - gabor.orientation + 90.0) % 180.0 - 90.0  # orientation is circular
    print(
        f"ConvNet layer 1 channel {channel} (Gabor {gabor.orientation:5.1f} deg): preferred "
        f"{found:5.1f} deg (error {error:+.2f}), HWHH {curve.bandwidth()[0]:4.1f} deg, "
        f"OSI {curve.orientation_selectivity_index()[0]:.3f}, "
        f"F1/F0 {curve.modulation_ratio[0]:.2f}"
    )
ax_units.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.1, 0.5))
ax_units.set_title("orientation tuning of the 8 ReLU units at the centre", fontsize="medium")
save(fig, "convnet")

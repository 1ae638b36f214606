"""
Mapping receptive fields by reverse correlation
===============================================

How does a physiologist find a neuron's receptive field (RF) without knowing
it? Show the neuron many random noise images and average them, each weighted
by the response it evoked: the spike-triggered average (STA). Pixels where
light excites the neuron add up, the rest averages out. For a linear-nonlinear
neuron driven by Gaussian white noise the STA converges to a multiple of its
linear RF (Bussgang's theorem).

We map a simulated V1 simple cell (a rectified :class:`cortex.Gabor`) and
compare the estimate with its true RF (:func:`cortex.analysis.linear_receptive_field`);
ask how many stimuli the mapping needs; see why correlated (pink, ``1/f``)
noise, like natural images, needs a *whitened* estimate; measure an RF's
centre and size from its map; and map a ConvNet unit the same way.
"""

import os

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, Ellipse

import cortex
from cortex.analysis import (
    fit_gaussian,
    half_max_region,
    linear_receptive_field,
    map_correlation,
    rf_mapping_convergence,
    spike_triggered_average,
)
from cortex.nn import Conv2D, ReLU, Sequential
from cortex.plotting import plot_mapping_convergence, plot_rf_map

# Fewer noise images when run as a quick test (CORTEX_EXAMPLE_SMALL=1).
SMALL = os.environ.get("CORTEX_EXAMPLE_SMALL") == "1"
FIGURES_DIR = os.environ.get("CORTEX_FIGURES_DIR")


def save(fig, name):
    """Save a figure as PNG if CORTEX_FIGURES_DIR is set."""
    if FIGURES_DIR:
        os.makedirs(FIGURES_DIR, exist_ok=True)
        fig.savefig(os.path.join(FIGURES_DIR, f"plot_sta_mapping_{name}.png"), dpi=100)


def first_crossing(counts, correlation, level=0.9):
    """Stimulus count where the correlation first reaches ``level`` (log-interpolated)."""
    above = np.flatnonzero(correlation >= level)
    if above.size == 0:
        return None
    k = above[0]
    if k == 0:
        return float(counts[0])
    c0, c1 = np.log(counts[k - 1]), np.log(counts[k])
    r0, r1 = correlation[k - 1], correlation[k]
    return float(np.exp(c0 + (level - r0) / (r1 - r0) * (c1 - c0)))


# %%
# A simple cell and its white-noise STA
# -------------------------------------
# A small field keeps the mapping fast: 1.2 x 1.2 deg at 20 pixels/degree is
# 24 x 24 = 576 pixels. The neuron is an odd-symmetric Gabor (3.5
# cycles/degree, 30 deg) at the centre, half-wave rectified (a firing rate).
# Each noise image has independent Gaussian pixels of standard deviation 1
# (contrast units). For a half-wave rectified neuron the STA converges to
# half the linear RF (the fraction of images that drive it), so we compare
# shapes, by correlation over the pixels.

field = cortex.VisualField(width=1.2, height=1.2, pixels_per_degree=20)
gabor = cortex.Gabor(3.5, orientation=30.0, phase=90.0)
neuron = cortex.Population(gabor, cortex.Mosaic(field, [[0.0, 0.0]]))
true_rf = linear_receptive_field(neuron)[0]  # (H, W): the kernel placed at the centre

n_stimuli = 2_000 if SMALL else 20_000
sta = spike_triggered_average(neuron, n_stimuli, seed=0)
corr_sta = map_correlation(sta.maps, true_rf)[0]
print(f"field {field.shape[1]} x {field.shape[0]} px; white-noise STA from {n_stimuli} images")
print(f"correlation of the STA with the true RF: {corr_sta:.3f}")

fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.8), layout="constrained")
plot_rf_map(true_rf, field, ax=axes[0])
axes[0].set_title("true RF (Gabor kernel)")
plot_rf_map(sta.maps[0], field, ax=axes[1])
axes[1].set_title(f"white-noise STA, {n_stimuli} images\n(correlation {corr_sta:.2f})")
save(fig, "white_sta")

# %%
# How many stimuli does the mapping need?
# ---------------------------------------
# :func:`~cortex.analysis.rf_mapping_convergence` shows one stream of noise and
# correlates the estimate with the true RF as the images accumulate. Every
# pixel of the STA carries noise that shrinks as ``1/sqrt(N)``, so the number
# of images needed grows with the number of pixels mapped: this count is for
# a 576-pixel field.

top = 3_000 if SMALL else 40_000
counts = np.unique(np.geomspace(20, top, 10 if SMALL else 16).astype(int))
counts, corr_white, _ = rf_mapping_convergence(neuron, counts, seed=1)
n_90 = first_crossing(counts, corr_white[:, 0])

fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
plot_mapping_convergence(counts, corr_white, ax=ax, target=0.9)
if n_90 is not None:
    ax.axvline(n_90, color="0.5", lw=0.8, ls=":")
    ax.set_title(f"white-noise STA: r = 0.9 after about {n_90:,.0f} images")
else:
    ax.set_title(f"white-noise STA: r < 0.9 after {counts[-1]:,} images")
save(fig, "convergence")

for n, r in zip(counts, corr_white[:, 0], strict=True):
    print(f"  {n:6d} images: r = {r:.3f}")
if n_90 is not None:
    print(f"the STA passes r = 0.9 after about {n_90:,.0f} images ({field.shape[0] ** 2} px)")
else:
    print(f"the STA stays below r = 0.9 up to {counts[-1]:,} images")

# %%
# Correlated noise: the STA is blurred, the whitened estimate is not
# -------------------------------------------------------------------
# Natural images have a ``1/f`` amplitude spectrum: neighbouring pixels are
# correlated. With such (pink) noise the STA converges to the true RF
# *blurred by the stimulus correlations*, ``C_ss k`` instead of ``k``: it
# over-weights the low frequencies the noise is rich in, so the fine stripes
# of the Gabor smear out and more images do not help. The whitened estimate
# ``(C_ss + ridge)^-1 cov(s, r)`` divides the stimulus correlations out (a
# linear regression of the responses on the pixels). It is noisier per image,
# because pink noise has little power at high frequencies, so a ridge
# (``alpha``) regularises it. It costs a pixels x pixels covariance per
# image, so we stop at fewer images.

alpha = 0.1
pink_counts = counts[(counts >= 100) & (counts <= (2_000 if SMALL else 25_000))]
_, corr_pink_sta, pink_sta = rf_mapping_convergence(neuron, pink_counts, noise="pink", seed=2)
_, corr_pink_white, pink_whitened = rf_mapping_convergence(
    neuron, pink_counts, noise="pink", method="whitened", alpha=alpha, seed=2
)
corr_white_sta = corr_white[np.isin(counts, pink_counts)]

fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), layout="constrained")
plot_rf_map(true_rf, field, ax=axes[0])
axes[0].set_title("true RF")
r_sta = corr_pink_sta[-1, 0]
r_whitened = corr_pink_white[-1, 0]
plot_rf_map(pink_sta.maps[0], field, ax=axes[1])
axes[1].set_title(f"pink-noise STA, {pink_counts[-1]} images\n(correlation {r_sta:.2f})")
plot_rf_map(pink_whitened.maps[0], field, ax=axes[2])
axes[2].set_title(f"whitened, alpha = {alpha}, same images\n(correlation {r_whitened:.2f})")
save(fig, "pink_maps")

fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
plot_mapping_convergence(
    pink_counts,
    np.column_stack([corr_white_sta[:, 0], corr_pink_sta[:, 0], corr_pink_white[:, 0]]),
    ax=ax,
    labels=["white noise, STA", "pink noise, STA", "pink noise, whitened"],
)
ax.set_title("the pink-noise STA converges to a blurred RF")
save(fig, "pink_convergence")

for n, a, b, c in zip(
    pink_counts, corr_white_sta[:, 0], corr_pink_sta[:, 0], corr_pink_white[:, 0], strict=True
):
    print(f"  {n:6d} images: white STA {a:.3f}, pink STA {b:.3f}, pink whitened {c:.3f}")

# %%
# Centre and size of an RF from its map
# -------------------------------------
# An OFF-centre retinal ganglion cell or LGN neuron has a centre-surround RF
# (a difference of Gaussians, :class:`cortex.DifferenceOfGaussians`). We put
# one off the field's centre, at (0.225, -0.125) deg (a pixel centre), on a
# larger field, map it with white noise and read its centre and size
# off the STA in two ways: the half-maximum region around the peak
# (:func:`~cortex.analysis.half_max_region`, its centroid and the diameter of
# the disc of equal area) and a 2-D Gaussian fit
# (:func:`~cortex.analysis.fit_gaussian`). The same measures on the true map
# are the reference: the surround narrows the central lobe, so its fitted
# sigma is a little smaller than the centre Gaussian's ``sigma_center``.
# Both find the centre to a fraction of a pixel (0.05 deg). The half-maximum
# region of a noisy map also takes in noise pixels that happen to exceed half
# the peak at its edge, so it overestimates the size a little; the fit uses
# every pixel and is barely affected by the noise.

dog_field = cortex.VisualField(width=2.0, height=2.0, pixels_per_degree=20)
dog = cortex.DifferenceOfGaussians(0.1, 0.25, surround_weight=0.9, polarity="off")
true_center = (0.225, -0.125)
lgn = cortex.Population(dog, cortex.Mosaic(dog_field, [true_center]))
dog_true = linear_receptive_field(lgn)[0]
dog_sta = spike_triggered_average(lgn, 3_000 if SMALL else 20_000, seed=3).maps[0]
ppd = dog_field.pixels_per_degree

print(
    f"DoG: true centre ({true_center[0]:+.3f}, {true_center[1]:+.3f}) deg, "
    f"sigma_center {dog.sigma_center:.3f} deg; STA r = {map_correlation(dog_sta, dog_true)[0]:.3f}"
)
measures = {}
for name, rf_map in (("true map", dog_true), ("STA", dog_sta)):
    region = half_max_region(rf_map, ppd)
    fit = fit_gaussian(rf_map, ppd)
    measures[name] = (region, fit)
    print(
        f"  {name:8s}: half-max centre ({region.center[0]:+.3f}, {region.center[1]:+.3f}) deg, "
        f"diameter {region.diameter:.3f} deg, sign {region.sign:+d}; Gaussian fit centre "
        f"({fit.center[0]:+.3f}, {fit.center[1]:+.3f}) deg, sigma {fit.size:.3f} deg, "
        f"R^2 {fit.r2:.2f}"
    )

fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.9), layout="constrained")
for ax, (name, rf_map) in zip(axes, (("true map", dog_true), ("STA", dog_sta)), strict=True):
    region, fit = measures[name]
    plot_rf_map(rf_map, dog_field, ax=ax)
    ax.add_patch(
        Circle(region.center, region.diameter / 2, fill=False, ec="k", ls="--", label="half-max")
    )
    ax.add_patch(
        Ellipse(
            fit.center,
            2 * fit.sigma_major,
            2 * fit.sigma_minor,
            angle=fit.angle,
            fill=False,
            ec="g",
            label="Gaussian fit (1 sigma)",
        )
    )
    ax.plot(*true_center, "k+", ms=10, label="true centre")
    ax.set(xlim=(-0.6, 0.8), ylim=(-0.8, 0.6))  # zoom on the RF
    ax.set_title(f"OFF-centre DoG: {name}")
axes[1].legend(fontsize="small", loc="upper left")
save(fig, "dog_centre_size")

# %%
# Mapping a ConvNet unit
# ----------------------
# The experiment does not care what is inside the neuron. Here it is a unit of
# a ConvNet whose first layer is a bank of four Gabor filters
# (:meth:`cortex.nn.Conv2D.from_receptive_fields`), followed by a ReLU. The
# target ``(model, 1, channel)`` is the centre unit of one feature map after
# the ReLU; ``field`` says which part of the visual field the network's input
# pixels cover. The reference is the unit's filter, the linear RF of the
# convolution layer's unit ``(model, 0, channel)`` (after the ReLU the
# gradient at a blank image is zero: with no bias the unit sits at the
# ReLU's kink).

bank = [cortex.Gabor(3.5, orientation=o, phase=90.0) for o in (0.0, 45.0, 90.0, 135.0)]
model = Sequential([Conv2D.from_receptive_fields(bank, field.pixels_per_degree), ReLU()])
channel = 1  # the 45-deg filter
filter_map = linear_receptive_field((model, 0, channel), field=field)[0]
unit_sta = spike_triggered_average((model, 1, channel), n_stimuli, field=field, seed=4)
corr_unit = map_correlation(unit_sta.maps, filter_map)[0]
print(f"ConvNet unit (layer 1, channel {channel}): STA r = {corr_unit:.3f} with its filter")

fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.8), layout="constrained")
plot_rf_map(filter_map, field, ax=axes[0], label="weight")
axes[0].set_title(f"Conv2D filter, channel {channel}")
plot_rf_map(unit_sta.maps[0], field, ax=axes[1], label="weight (output / contrast)")
axes[1].set_title(f"STA of the ReLU unit, {n_stimuli} images\n(correlation {corr_unit:.2f})")
save(fig, "convnet_unit")

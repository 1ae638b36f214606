"""
How receptive fields grow across ConvNet layers
===============================================

Each unit of a ConvNet layer is a neuron with a local receptive field (RF) on
the input image, and stacking layers makes the RFs grow: a unit of layer 2
sees the RFs of the layer-1 units it pools, and so on. The *theoretical* RF
(every input pixel that can influence the unit) follows from the kernel sizes
and strides alone (:func:`cortex.nn.receptive_field`).

Not every pixel of the theoretical RF matters equally. Luo, Li, Urtasun and
Zemel ("Understanding the effective receptive field in deep convolutional
neural networks", NeurIPS 2016) measured the *effective* RF (ERF): the
gradient of a unit with respect to the input pixels. It is Gaussian-like,
concentrated in the middle of the theoretical RF, and its width grows only as
the square root of the number of layers, so in a deep network it is much
smaller than the theoretical RF.

We build a small ConvNet on 28 x 28 pixel images, print its RF arithmetic,
draw how each layer's units tile the input (:func:`cortex.nn.unit_tiling`),
measure the ERF of each layer's centre unit
(:func:`cortex.nn.effective_receptive_field`), reproduce Luo et al.'s
square-root law on a deeper stack, and look at the ERF before and after a
brief training on an orientation-discrimination task.
"""

import math
import os

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, Rectangle

import cortex
from cortex.datasets import orientation_discrimination
from cortex.nn import (
    Adam,
    Conv2D,
    Dense,
    Flatten,
    MaxPool2D,
    ReLU,
    Sequential,
    effective_receptive_field,
    fit,
    receptive_field,
    unit_tiling,
)
from cortex.plotting import plot_image, plot_mosaic

# Fewer random networks and a shorter training when the example runs as a quick
# test (CORTEX_EXAMPLE_SMALL=1).
SMALL = os.environ.get("CORTEX_EXAMPLE_SMALL") == "1"
FIGURES_DIR = os.environ.get("CORTEX_FIGURES_DIR")


def save(fig, n):
    """Save a figure as PNG if CORTEX_FIGURES_DIR is set."""
    if FIGURES_DIR:
        os.makedirs(FIGURES_DIR, exist_ok=True)
        fig.savefig(os.path.join(FIGURES_DIR, f"plot_convnet_receptive_fields_{n}.png"), dpi=100)


# %%
# The input's visual field and the network
# ----------------------------------------
# The images are 28 x 28 pixels. We say they cover 2 x 2 degrees of visual
# angle, i.e. 14 pixels per degree, so a pixel is 1/14 deg (about 4 arcmin);
# the orientation task below uses gratings of 2 cycles/degree (a period of
# 7 pixels) on that field. The network is three stages of a 3 x 3 convolution
# (padding 1, so the map keeps its size), a ReLU and a 2 x 2 max pooling
# (stride 2), then a dense read-out of two classes.

PPD = 14.0
SIZE = 28
field = cortex.VisualField(SIZE / PPD, SIZE / PPD, PPD)


def build(seed):
    """The ConvNet, with weights drawn from ``seed``."""
    return Sequential(
        [
            Conv2D(1, 8, 3, padding=1, seed=seed),
            ReLU(),
            MaxPool2D(2),
            Conv2D(8, 16, 3, padding=1, seed=seed + 1),
            ReLU(),
            MaxPool2D(2),
            Conv2D(16, 16, 3, padding=1, seed=seed + 2),
            ReLU(),
            MaxPool2D(2),
            Flatten(),
            Dense(16 * 3 * 3, 2, seed=seed + 3),
        ]
    )


model = build(seed=0)
print(model)
print(f"input: {SIZE} x {SIZE} px = {field.width:g} x {field.height:g} deg at {PPD:g} px/deg")

# %%
# Receptive-field arithmetic
# --------------------------
# For each layer, with ``r`` the RF size and ``j`` the *jump* (input pixels
# between neighbouring units), a layer with kernel ``k`` and stride ``s``
# gives ``r <- r + (k - 1) j`` and ``j <- j s``: a 3 x 3 convolution adds
# ``2 j`` pixels to the RF, a 2 x 2 pooling adds ``j`` and doubles the jump.
# ``start`` is the input pixel (row or column) on which unit 0 is centred.
# ReLUs act pixel by pixel and change nothing. The dense layer sees the
# whole image.

geometry = receptive_field(model, SIZE)
print(
    f"{'layer':>5s} {'type':10s} {'output (C, H, W)':>17s} {'RF size':>16s} "
    f"{'jump':>15s} {'start (px)':>10s}"
)
for info in geometry:
    r, j = info.size[0], info.jump[0]
    print(
        f"{info.index:5d} {info.name:10s} {str(info.output_shape):>17s} "
        f"{r:3d} px ({r / PPD:5.3f} deg) {j:2d} px ({j / PPD:5.3f} deg) {info.start[0]:10.1f}"
    )

# The layers we look at: the convolutions and poolings (a ReLU has the
# geometry of the layer before it).
layers = [info for info in geometry if info.name != "ReLU"]


def centre_unit(info):
    """Output (row, col) of the unit in the middle of a layer's map, and its centre (deg)."""
    _, height, width = info.output_shape
    row, col = height // 2, width // 2
    x, y = field.px_to_deg(info.start[0] + row * info.jump[0], info.start[1] + col * info.jump[1])
    return (row, col), (float(x), float(y))


def draw_window(ax, info, **kwargs):
    """Outline the centre unit's theoretical RF (its r x r pixel window)."""
    _, (x, y) = centre_unit(info)
    half = info.size[0] / (2 * PPD)
    ax.add_patch(Rectangle((x - half, y - half), 2 * half, 2 * half, fill=False, **kwargs))


# %%
# How each layer's units tile the input
# -------------------------------------
# :func:`cortex.nn.unit_tiling` turns a layer's units into a
# :class:`cortex.Mosaic` over the input's field: one RF centre per unit,
# ``jump`` pixels apart, each drawn as the circle inscribed in its ``r x r``
# window. The RF of the centre unit (the one at row ``H // 2``, column
# ``W // 2`` of the layer's map) is outlined in red. Deeper units are fewer,
# farther apart and see more: after three poolings, nine units with 22-pixel
# RFs cover the whole image. They sit up and to the left of the image centre,
# because the last pooling of the 7 x 7 map drops its last row and column.

fig, axes = plt.subplots(2, 3, figsize=(14, 9.5), layout="constrained")
for ax, info in zip(axes.flat, layers, strict=True):
    mosaic, disc, _ = unit_tiling(model, info.index, field)
    plot_mosaic(mosaic, disc, level="sigma", ax=ax, linewidth=0.6, show_centers=True)
    draw_window(ax, info, edgecolor="C3", linewidth=2.0)
    _, (x, y) = centre_unit(info)
    ax.add_patch(Circle((x, y), info.size[0] / (2 * PPD), fill=False, color="C3", linewidth=1.2))
    ax.set_title(
        f"layer {info.index} {info.name}: {mosaic.n_neurons} units\n"
        f"RF {info.size[0]} px ({info.size[0] / PPD:.2f} deg), "
        f"spacing {info.jump[0]} px ({info.jump[0] / PPD:.2f} deg)"
    )
save(fig, 1)

# %%
# Effective receptive fields of a random network
# ----------------------------------------------
# The ERF of a unit is its gradient with respect to every input pixel,
# averaged over inputs of Gaussian white noise (the gradient depends on the
# input through the ReLUs and the max poolings). Like Luo et al., we take its
# magnitude and average it over networks with independent random weights. We
# measure its spread by its RMS radius per axis, ``sigma``, and compare that
# with the spread of the theoretical RF taken as uniform over its window,
# ``sqrt((r**2 - 1) / 12)`` pixels. In the maps, the blue square is the
# theoretical RF and the dashed circle has radius ``2 sigma``.
#
# In this shallow network the ERF is only somewhat narrower than the
# theoretical RF (its RMS radius falls from about 0.98 to about 0.8 of the
# uniform window's from the first to the last layer), but it already fades
# towards the window's edges and is nearly zero in its corners.

n_networks = 4 if SMALL else 20
n_noise = 8 if SMALL else 32
input_shape = (1, SIZE, SIZE)


def rms_radius(erf):
    """RMS distance (px, per axis) of |erf| from its centroid."""
    weight = np.abs(erf) / np.abs(erf).sum()
    rows, cols = np.indices(erf.shape)
    centroid_r, centroid_c = (weight * rows).sum(), (weight * cols).sum()
    variance = (weight * ((rows - centroid_r) ** 2 + (cols - centroid_c) ** 2)).sum() / 2
    return math.sqrt(variance)


def uniform_spread(size):
    """RMS spread (px, per axis) of a uniform window of ``size`` pixels."""
    return math.sqrt((size**2 - 1) / 12.0)


erfs = {info.index: np.zeros((SIZE, SIZE)) for info in layers}
for k in range(n_networks):
    network = build(seed=100 * k)
    for info in layers:
        erf = effective_receptive_field(
            network, input_shape, layer=info.index, n_samples=n_noise, seed=k
        )
        erfs[info.index] += np.abs(erf) / n_networks

print(f"ERF of the centre unit, |gradient| averaged over {n_networks} random networks:")
print(
    f"{'layer':>5s} {'type':10s} {'RF (px)':>7s} {'uniform RMS':>11s} {'ERF RMS':>8s} {'ratio':>5s}"
)
spreads = []
for info in layers:
    sigma = rms_radius(erfs[info.index])
    spreads.append((uniform_spread(info.size[0]), sigma))
    print(
        f"{info.index:5d} {info.name:10s} {info.size[0]:7d} {spreads[-1][0]:8.2f} px "
        f"{sigma:5.2f} px {sigma / spreads[-1][0]:5.2f}"
    )

fig, axes = plt.subplots(2, 3, figsize=(14, 9.5), layout="constrained")
for ax, info, (_, sigma) in zip(axes.flat, layers, spreads, strict=True):
    erf = erfs[info.index]
    plot_image(erf / erf.max(), field, ax=ax, cmap="magma", vmin=0.0, vmax=1.0)
    fig.colorbar(ax.images[-1], ax=ax, label="|ERF| (fraction of peak)", shrink=0.8)
    draw_window(ax, info, edgecolor="C0", linewidth=1.5)
    _, (x, y) = centre_unit(info)
    ax.add_patch(Circle((x, y), 2 * sigma / PPD, fill=False, color="w", linestyle="--"))
    ax.set_title(
        f"layer {info.index} {info.name}: centre unit\n"
        f"RF {info.size[0]} px, ERF sigma {sigma:.1f} px"
    )
save(fig, 2)

# %%
# The square-root law on a deeper stack
# -------------------------------------
# Three stages are too few for the ERF to shrink much inside the theoretical
# RF. Luo et al.'s result shows on a stack of ``n`` 3 x 3 convolutions with
# ReLUs (8 channels each, no pooling); we take the ERF of the last
# convolution's centre unit, before its ReLU (which may silence it). The
# theoretical RF is ``2 n + 1`` pixels, so its spread grows linearly in
# ``n``, while the ERF's spread grows like ``sqrt(n)`` (the sum of ``n``
# independent steps, as in a random walk) and its profile approaches a
# Gaussian. At 12 layers the ERF's RMS radius is about half the theoretical
# RF's, so it covers about a quarter of its area.

depths = (1, 2, 4, 8) if SMALL else (1, 2, 3, 4, 6, 8, 10, 12)
n_stacks = 3 if SMALL else 8  # random stacks per depth
deep_sigmas, deep_erfs = [], {}
for n in depths:
    total = np.zeros((SIZE, SIZE))
    for k in range(n_stacks):
        stack = []
        for i in range(n):
            stack += [Conv2D(1 if i == 0 else 8, 8, 3, padding=1, seed=1000 * k + i), ReLU()]
        erf = effective_receptive_field(
            Sequential(stack), input_shape, layer=-2, n_samples=16, seed=k
        )
        total += np.abs(erf) / n_stacks
    deep_erfs[n] = total
    deep_sigmas.append(rms_radius(total))
    print(
        f"{n:2d} conv layers: RF {2 * n + 1:2d} px, "
        f"uniform RMS {uniform_spread(2 * n + 1):5.2f} px, ERF RMS {deep_sigmas[-1]:5.2f} px"
    )
depths_arr = np.array(depths, dtype=float)
scale = np.sum(np.sqrt(depths_arr) * deep_sigmas) / np.sum(depths_arr)  # least squares

fig, axes = plt.subplots(1, 3, figsize=(17, 4.8), layout="constrained")
x_layers = np.arange(len(layers))
theory, measured = np.array(spreads).T
axes[0].plot(x_layers, theory, "s-", label="theoretical RF (uniform window)")
axes[0].plot(x_layers, measured, "o-", label="ERF (measured)")
axes[0].set_xticks(x_layers, [f"{i.index}\n{i.name}" for i in layers])
axes[0].set(
    xlabel="layer", ylabel="RMS radius (px)", title="Our ConvNet: RF and ERF spread per layer"
)
axes[0].legend()

n_fine = np.linspace(1, max(depths), 100)
axes[1].plot(depths, [uniform_spread(2 * n + 1) for n in depths], "s", label="theoretical RF")
axes[1].plot(n_fine, [uniform_spread(2 * n + 1) for n in n_fine], "-", color="C0")
axes[1].plot(depths, deep_sigmas, "o", color="C1", label="ERF (measured)")
axes[1].plot(n_fine, scale * np.sqrt(n_fine), "-", color="C1", label=f"{scale:.2f} sqrt(n)")
axes[1].set(
    xlabel="number of 3 x 3 conv layers n",
    ylabel="RMS radius (px)",
    title="Stack of convolutions: linear vs sqrt(n) growth",
)
axes[1].legend()

deepest = max(depths)
erf = deep_erfs[deepest]
rows, cols = np.indices(erf.shape)
ring = np.rint(np.hypot(rows - SIZE // 2, cols - SIZE // 2)).astype(int)  # 1-px rings
profile = np.bincount(ring.ravel(), erf.ravel()) / np.bincount(ring.ravel())
radius = np.arange(len(profile))
sigma = deep_sigmas[-1]
gaussian = np.exp(-0.5 * (radius / sigma) ** 2)
amplitude = np.sum(profile * gaussian) / np.sum(gaussian**2)  # least squares
axes[2].plot(radius / PPD, profile / amplitude, "o-", ms=3, label="ERF, mean over rings")
axes[2].plot(radius / PPD, gaussian, "--", label=f"Gaussian, sigma {sigma:.1f} px")
axes[2].axvline(
    (2 * deepest + 1) / (2 * PPD), color="k", linewidth=0.8, label="theoretical RF half-width"
)
axes[2].set(
    xlabel="distance from the unit's centre (deg)",
    ylabel="|ERF| (fraction of the Gaussian's peak)",
    title=f"{deepest} conv layers: a Gaussian-like ERF",
)
axes[2].legend(fontsize=8)
save(fig, 3)

# %%
# The ERF before and after training
# ---------------------------------
# Now we train the first network for a few epochs to tell noisy gratings
# tilted 40 deg from ones tilted 50 deg
# (:func:`cortex.datasets.orientation_discrimination`, 2 cycles/degree on
# our 2 x 2 deg field), and take the signed ERF of the centre unit of each
# channel of the last convolution (layer 6), at the task's images. We show
# the four channels with the strongest ERF after training. Before training
# the gradient maps are noise-like; after training they are oriented stripes
# near the task's spatial frequency and orientation: each unit has become a
# grating detector, and its ERF shows what it looks for. The titles give the
# strongest Fourier component of each map (coarse: a map 18 px = 1.3 deg wide
# resolves frequencies only to about 0.8 cyc/deg; and a unit that tells 40
# from 50 deg apart need not prefer 45 deg). The ERF's RMS radius changes
# much less than its structure. The dotted square is the theoretical RF.

n_train = 384 if SMALL else 1024
x_data, y_data = orientation_discrimination(
    n_train + 256, size=SIZE, pixels_per_degree=PPD, spatial_frequency=2.0, noise=0.5, seed=0
)
x_train, y_train = x_data[:n_train], y_data[:n_train]
x_test, y_test = x_data[n_train:], y_data[n_train:]
target = 6  # the last convolution
n_channels = model[target].out_channels
probe = x_test[:64]


def channel_erfs(network):
    """Signed ERF of the centre unit of every channel of the target layer, at the task's images."""
    return np.array(
        [
            effective_receptive_field(network, input_shape, layer=target, channel=c, x=probe)
            for c in range(n_channels)
        ]
    )


before = channel_erfs(model)
history = fit(
    model,
    x_train,
    y_train,
    epochs=3 if SMALL else 4,
    batch_size=32,
    optimizer=Adam(3e-3),
    validation_data=(x_test, y_test),
    seed=0,
    progress=False,
)
after = channel_erfs(model)
print(f"held-out accuracy after each epoch: {np.round(history.val_accuracy, 3).tolist()}")
print(
    f"ERF RMS radius, layer {target} (|ERF| summed over channels): "
    f"before {rms_radius(np.abs(before).sum(axis=0)):.2f} px, "
    f"after {rms_radius(np.abs(after).sum(axis=0)):.2f} px"
)


def spectral_peak(erf):
    """Spatial frequency (cyc/deg) and orientation (deg) of an ERF's strongest Fourier component."""
    n = 4 * SIZE
    power = np.abs(np.fft.fft2(erf, s=(n, n)))
    row, col = np.unravel_index(np.argmax(power), power.shape)
    f_col = np.fft.fftfreq(n, d=1 / PPD)[col]
    f_row = np.fft.fftfreq(n, d=1 / PPD)[row]
    fx, fy = f_col, -f_row  # row 0 is the top of the field: y points up
    return math.hypot(fx, fy), math.degrees(math.atan2(fy, fx)) % 180.0


shown = np.argsort(-np.abs(after).sum(axis=(1, 2)))[:4]  # the channels with the strongest ERF
fig, axes = plt.subplots(2, 4, figsize=(17, 8), layout="constrained")
for col, c in enumerate(shown):
    for row, (erf, when) in enumerate(((before[c], "before"), (after[c], "after"))):
        ax = axes[row, col]
        limit = np.abs(erf).max()
        plot_image(erf, field, ax=ax, cmap="RdBu_r", vmin=-limit, vmax=limit)
        fig.colorbar(ax.images[-1], ax=ax, label="d unit / d pixel", shrink=0.8)
        draw_window(ax, geometry[target], edgecolor="0.3", linewidth=1.0, linestyle=":")
        frequency, orientation = spectral_peak(erf)
        ax.set_title(
            f"channel {c}, {when} training\npeak {frequency:.1f} cyc/deg, {orientation:.0f} deg"
        )
save(fig, 4)

for c in shown:
    frequency, orientation = spectral_peak(after[c])
    print(
        f"channel {c:2d} after training: ERF peaks at {frequency:.2f} cyc/deg, "
        f"orientation {orientation:.0f} deg (task: 2 cyc/deg, 40 vs 50 deg)"
    )

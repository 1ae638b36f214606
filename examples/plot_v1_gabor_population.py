"""
Orientation tuning of a V1-like Gabor population
================================================

Simple cells in primary visual cortex (V1) have receptive fields (RFs) that are
well described by Gabor functions: a Gaussian envelope times a sinusoidal
carrier (:class:`cortex.Gabor`). Each cell prefers gratings of one orientation
and spatial frequency. Complex cells respond to the same gratings whatever
their spatial phase; the energy model (:class:`cortex.ComplexCell`) sums the
squared outputs of a quadrature pair of Gabors.

We put four neuron types (Gabors at 0, 45, 90 and 135 deg) at every site of a
jittered hexagonal mosaic that tiles the visual field, the way a ConvNet layer
has one feature map per filter. Showing the population gratings at many
orientations gives each type's orientation tuning curve, which peaks at the
type's preferred orientation.

Orientation convention: 0 deg is a grating of vertical bars whose luminance
varies along ``x``; angles grow counter-clockwise (90 deg = horizontal bars).
"""

import math
import os

import matplotlib.pyplot as plt
import numpy as np

import cortex
from cortex.plotting import plot_coverage, plot_kernel, plot_mosaic, plot_response_map
from cortex.stimuli import grating

# A small field and few stimuli when run as a quick test (CORTEX_EXAMPLE_SMALL=1).
SMALL = os.environ.get("CORTEX_EXAMPLE_SMALL") == "1"
FIGURES_DIR = os.environ.get("CORTEX_FIGURES_DIR")


def save(fig, n):
    """Save a figure as PNG if CORTEX_FIGURES_DIR is set."""
    if FIGURES_DIR:
        os.makedirs(FIGURES_DIR, exist_ok=True)
        fig.savefig(os.path.join(FIGURES_DIR, f"plot_v1_gabor_population_{n}.png"), dpi=100)


# %%
# Four Gabor receptive fields
# ---------------------------
# All four types prefer 2 cycles/degree. By default the envelope's sigma
# (about 0.28 deg here) gives a spatial-frequency bandwidth of one octave,
# typical of V1 simple cells; the envelope is circular, so only the carrier's
# orientation differs between types. Phase 0 is an even (cosine) RF with an
# ON centre.

if SMALL:
    field = cortex.VisualField(width=3.0, height=3.0, pixels_per_degree=12)
    orientations = np.arange(0.0, 180.0, 15.0)
else:
    field = cortex.VisualField(width=6.0, height=6.0, pixels_per_degree=16)
    orientations = np.arange(0.0, 180.0, 5.0)

spatial_frequency = 2.0  # cycles/degree
preferred = [0.0, 45.0, 90.0, 135.0]  # degrees
gabors = [cortex.Gabor(spatial_frequency, orientation=theta) for theta in preferred]
print(
    f"Gabor envelope sigma {gabors[0].sigma_x:.3f} deg, bandwidth {gabors[0].bandwidth:.2f} octaves"
)

fig, axes = plt.subplots(1, 4, figsize=(14, 3.2), layout="constrained")
for ax, gabor in zip(axes, gabors, strict=True):
    plot_kernel(gabor, field.pixels_per_degree, ax=ax, colorbar=False)
    ax.set_title(f"Gabor, {gabor.orientation:g} deg")
save(fig, 1)

# %%
# A jittered mosaic that tiles the field
# --------------------------------------
# Cortical RF positions are not a perfect lattice, so we displace the sites of
# a hexagonal lattice randomly (seeded, so the example is reproducible) by up
# to ``jitter * spacing``. A point is then at most
# ``spacing * (1 / sqrt(3) + jitter)`` from a site, and the RFs' half-maximum
# contours (radius ``r``) leave no gap if that distance is at most ``r``.

jitter = 0.2
r_half_max = gabors[0].contour("half-max")[0]
spacing = 0.95 * r_half_max / (1 / math.sqrt(3.0) + jitter)
mosaic = cortex.Mosaic.from_lattice(
    field, spacing=spacing, lattice="jittered", jitter=jitter, seed=0
)
simple = cortex.Population(gabors, mosaic)
print(f"half-max radius {r_half_max:.3f} deg, lattice spacing {spacing:.3f} deg")
print(
    f"{simple.n_sites} sites x {simple.n_types} orientations = {simple.n_neurons} simple cells; "
    f"coverage factor {mosaic.coverage_factor(gabors[0]):.2f}"
)

x_grid, y_grid = field.grid()
lim_x, lim_y = field.limits
interior = (np.abs(x_grid) < lim_x - spacing) & (np.abs(y_grid) < lim_y - spacing)
print(f"fewest RFs over an interior point: {mosaic.coverage(gabors[0])[interior].min()}")

fig, axes = plt.subplots(1, 2, figsize=(10, 4.4), layout="constrained")
plot_mosaic(simple, ax=axes[0], show_centers=True)
axes[0].set(xlim=(-1.5, 1.5), ylim=(-1.5, 1.5))
axes[0].set_title("Half-max contours of the RF envelopes\n(central 3 x 3 deg)")
plot_coverage(simple, ax=axes[1])
axes[1].set_title("All types, " + axes[1].get_title())
save(fig, 2)

# %%
# Responses to one grating
# ------------------------
# A grating at 45 deg and the preferred spatial frequency drives the 45-deg
# type strongly wherever the grating's phase matches the RF's; the orthogonal
# (135-deg) type barely responds. Neuron ``j`` of the population is type
# ``j // n_sites`` at site ``j % n_sites``; ``neuron_type`` picks a type.

image = grating(field, spatial_frequency, orientation=45.0)
r = cortex.responses(simple, image, nonlinearity="rectify")
fig, axes = plt.subplots(1, 4, figsize=(15, 4.2), layout="constrained")
for t, ax in enumerate(axes):
    plot_response_map(
        simple, r, neuron_type=t, ax=ax, cmap="viridis", vmin=0.0, vmax=r.max(), colorbar=False
    )
    ax.set_title(f"{preferred[t]:g}-deg cells")
fig.colorbar(axes[0].collections[-1], ax=axes, label="response", shrink=0.8)
fig.suptitle("Rectified responses to a 45-deg grating at 2 cycles/degree")
save(fig, 3)

# %%
# Orientation tuning curves
# -------------------------
# We show gratings at every orientation and four spatial phases. Each simple
# cell's rectified response depends on the grating's phase at its RF; averaging
# over phases and sites gives the tuning curve of each type. The complex cells
# (energy model, same envelopes and frequency) hardly need the phase average:
# their response to a grating barely depends on its phase.

phases = np.array([0.0, 90.0, 180.0, 270.0])
theta, phi = np.meshgrid(orientations, phases, indexing="ij")
gratings = grating(field, spatial_frequency, orientation=theta.ravel(), phase=phi.ravel())
print(f"{len(gratings)} gratings of {field.shape[1]} x {field.shape[0]} px")


def tuning(population, images, nonlinearity=None):
    """Mean response of each type to each orientation, ``(n_orientations, n_types)``."""
    resp = cortex.responses(population, images, nonlinearity=nonlinearity)
    resp = resp.reshape(len(orientations), len(phases), population.n_types, population.n_sites)
    return resp.mean(axis=(1, 3))


complex_cells = cortex.Population(
    [cortex.ComplexCell(spatial_frequency, orientation=theta) for theta in preferred], mosaic
)
tuning_simple = tuning(simple, gratings, nonlinearity="rectify")
tuning_complex = tuning(complex_cells, gratings)


def preferred_orientation(curve):
    """Circular mean of a tuning curve over orientation (period 180 deg), in degrees."""
    vector = np.sum(curve * np.exp(2j * np.deg2rad(orientations)))
    angle = round(float(np.rad2deg(np.angle(vector)) / 2), 1) % 180
    return angle, abs(vector) / np.sum(curve)


fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
panels = (("Simple cells (rectified)", tuning_simple), ("Complex cells (energy)", tuning_complex))
for ax, (name, curves) in zip(axes, panels, strict=True):
    for t, theta_pref in enumerate(preferred):
        # Orientation is periodic: 180 deg is the same grating as 0 deg.
        ax.plot(
            np.append(orientations, 180.0),
            np.append(curves[:, t], curves[0, t]),
            "o-",
            ms=3,
            label=f"{theta_pref:g} deg",
        )
        ax.axvline(theta_pref, color=f"C{t}", linestyle=":", linewidth=1)
    ax.set(xlabel="grating orientation (deg)", ylabel="mean response", title=name)
    ax.set_xticks(np.arange(0, 181, 45))
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right center", title="preferred")
save(fig, 4)

for name, curves in (("simple", tuning_simple), ("complex", tuning_complex)):
    for t, theta_pref in enumerate(preferred):
        found, selectivity = preferred_orientation(curves[:, t])
        peak = orientations[np.argmax(curves[:, t])]
        print(
            f"{name} {theta_pref:5.1f}-deg type: preferred orientation {found:6.1f} deg "
            f"(peak at {peak:g} deg), selectivity 1 - circular variance {selectivity:.2f}"
        )

"""
ON and OFF centre-surround mosaics (LGN-like)
=============================================

Neurons of the lateral geniculate nucleus (LGN) have centre-surround receptive
fields (RFs), modelled here as a difference of Gaussians
(:class:`cortex.DifferenceOfGaussians`). *ON-centre* cells are excited by light
in the RF centre and inhibited by light in the surround; *OFF-centre* cells do
the opposite. Each type forms its own mosaic whose RFs tile the visual field,
so every point is seen by at least one ON and one OFF cell.

We build an ON and an OFF mosaic on two hexagonal lattices, check that the
RFs' half-maximum contours tile the field, and show the two populations a
natural image. After half-wave rectification (firing rates cannot be
negative) the ON cells signal the regions lighter than their surroundings and
the OFF cells the darker ones.
"""

import math
import os

import matplotlib.pyplot as plt
import numpy as np
from scipy.spatial import cKDTree

import cortex
from cortex.plotting import plot_coverage, plot_image, plot_kernel, plot_mosaic, plot_response_map
from cortex.stimuli import natural_image

# A small field when the example runs as a quick test (CORTEX_EXAMPLE_SMALL=1).
SMALL = os.environ.get("CORTEX_EXAMPLE_SMALL") == "1"
FIGURES_DIR = os.environ.get("CORTEX_FIGURES_DIR")


def save(fig, n):
    """Save a figure as PNG if CORTEX_FIGURES_DIR is set."""
    if FIGURES_DIR:
        os.makedirs(FIGURES_DIR, exist_ok=True)
        fig.savefig(os.path.join(FIGURES_DIR, f"plot_lgn_on_off_mosaic_{n}.png"), dpi=100)


# %%
# The visual field and the two receptive fields
# ---------------------------------------------
# The field is a patch of visual angle centred on fixation, sampled at
# ``pixels_per_degree``. Both RFs have a centre Gaussian of sigma 0.15 deg and a
# surround three times wider; the surround has the same volume as the centre
# (``surround_weight=1``), so the cells ignore uniform illumination and respond
# only to local contrast. The OFF RF is the ON RF with its sign flipped.

if SMALL:
    field = cortex.VisualField(width=4.0, height=3.0, pixels_per_degree=16)
else:
    field = cortex.VisualField(width=8.0, height=6.0, pixels_per_degree=20)

rf_on = cortex.DifferenceOfGaussians(sigma_center=0.15, sigma_surround=0.45, polarity="on")
rf_off = cortex.DifferenceOfGaussians(sigma_center=0.15, sigma_surround=0.45, polarity="off")

fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), layout="constrained")
plot_kernel(rf_on, field.pixels_per_degree, ax=axes[0])
axes[0].set_title("ON-centre RF")
plot_kernel(rf_off, field.pixels_per_degree, ax=axes[1])
axes[1].set_title("OFF-centre RF")
# A horizontal cut through the RF centre: the "Mexican hat" profile.
x = np.linspace(-1.5, 1.5, 601)
axes[2].plot(x, rf_on.profile(x, 0.0), label="ON")
axes[2].plot(x, rf_off.profile(x, 0.0), label="OFF")
axes[2].axhline(0.0, color="0.6", linewidth=0.8)
axes[2].set(xlabel="x (deg)", ylabel="RF weight (1/deg$^2$)", title="Profile at y = 0")
axes[2].legend()
save(fig, 1)

# %%
# Two hexagonal lattices that tile the field
# ------------------------------------------
# Discs of radius ``r`` centred on a hexagonal lattice of spacing ``d`` cover
# the plane without gaps if and only if ``r >= d / sqrt(3)``. With ``r`` the
# half-maximum radius of the RF centre, the lattice spacing must therefore be
# at most ``sqrt(3) * r``; we take 95 % of that. ON and OFF mosaics are
# independent in the retina, so we shift the OFF lattice by half a spacing to
# put each OFF cell in a hole of the ON lattice (the centroid of a triangle of
# ON sites).

r_half_max = rf_on.contour("half-max")[0]
spacing = 0.95 * math.sqrt(3.0) * r_half_max
mosaic_on = cortex.Mosaic.from_lattice(field, spacing=spacing, lattice="hexagonal")

# The OFF lattice: the same lattice built on a larger field, shifted, and
# clipped to our field (so that it reaches every edge).
bigger = cortex.VisualField(
    field.width + 2 * spacing, field.height + 2 * spacing, field.pixels_per_degree
)
shifted = cortex.Mosaic.from_lattice(bigger, spacing=spacing).centers + [
    spacing / 2,
    spacing / (2 * math.sqrt(3.0)),
]
inside = field.contains(shifted[:, 0], shifted[:, 1])
mosaic_off = cortex.Mosaic(field, shifted[inside], lattice="hexagonal", spacing=spacing)

pop_on = cortex.Population(rf_on, mosaic_on)
pop_off = cortex.Population(rf_off, mosaic_off)

# Coverage away from the edges, where lattice sites outside the field are missing.
x_grid, y_grid = field.grid()
lim_x, lim_y = field.limits
interior = (np.abs(x_grid) < lim_x - spacing) & (np.abs(y_grid) < lim_y - spacing)
coverage_on = mosaic_on.coverage(rf_on)
coverage_off = mosaic_off.coverage(rf_off)
print(f"field: {field.width:g} x {field.height:g} deg, {field.shape[1]} x {field.shape[0]} px")
print(f"half-max radius {r_half_max:.3f} deg, lattice spacing {spacing:.3f} deg")
print(f"neurons: {pop_on.n_neurons} ON, {pop_off.n_neurons} OFF")
print(f"coverage factor (mean RFs over a point): {mosaic_on.coverage_factor(rf_on):.2f}")
print(
    "RFs over each interior point: ON "
    f"{coverage_on[interior].min()}-{coverage_on[interior].max()}, OFF "
    f"{coverage_off[interior].min()}-{coverage_off[interior].max()}"
)

fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
plot_mosaic(mosaic_on, rf_on, ax=axes[0], edgecolor="C0", show_centers=True)
plot_mosaic(mosaic_off, rf_off, ax=axes[0], edgecolor="C3", show_centers=True)
zoom = 0.8
axes[0].set(xlim=(-zoom, zoom), ylim=(-zoom, zoom))
axes[0].set_title("Half-max contours near fixation\n(blue: ON, red: OFF)")
plot_coverage(mosaic_on, rf_on, ax=axes[1])
axes[1].set_title("ON mosaic, " + axes[1].get_title())
save(fig, 2)

# %%
# Responses to a natural image
# ----------------------------
# The image is converted to contrast (0 = mean luminance). Each cell's linear
# response is its RF weighting summed over the image (a cross-correlation
# sampled at the RF centres), then half-wave rectified. Beyond the field's
# border the image is taken as mean luminance (contrast 0), so cells whose RFs
# hang over the edge next to the bright sky respond as if to a light edge.

image = natural_image(field, "camera")
r_on = cortex.responses(pop_on, image, nonlinearity="rectify")
r_off = cortex.responses(pop_off, image, nonlinearity="rectify")

fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), layout="constrained")
plot_image(image, field, ax=axes[0], colorbar=True)
axes[0].set_title("Image (contrast)")
plot_response_map(pop_on, r_on, ax=axes[1], cmap="Reds")
axes[1].set_title("ON responses (rectified)")
plot_response_map(pop_off, r_off, ax=axes[2], cmap="Blues")
axes[2].set_title("OFF responses (rectified)")
save(fig, 3)

# %%
# ON and OFF cells are anti-correlated
# ------------------------------------
# A region lighter than its surround drives the ON cells over it and silences
# the OFF cells, and vice versa. Pairing each ON cell with its nearest OFF
# neighbour (``spacing / sqrt(3)`` away) shows a negative correlation between
# their rectified responses.

_, nearest = cKDTree(mosaic_off.centers).query(mosaic_on.centers)
correlation = np.corrcoef(r_on, r_off[nearest])[0, 1]
print(f"mean rectified response: ON {r_on.mean():.4f}, OFF {r_off.mean():.4f}")
print(f"fraction of cells responding: ON {np.mean(r_on > 0):.2f}, OFF {np.mean(r_off > 0):.2f}")
print(f"correlation of ON responses with the nearest OFF cell's: {correlation:.2f}")

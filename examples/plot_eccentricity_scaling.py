"""
Receptive fields that grow with eccentricity
============================================

Receptive fields (RFs) are small at the centre of gaze (the fovea) and grow
roughly linearly with eccentricity, the distance from fixation in degrees:
``size = intercept + slope * eccentricity``. This holds for retinal ganglion
cells, the LGN and V1 alike.

:meth:`cortex.Mosaic.with_eccentricity_scaling` gives every neuron of a
mosaic its own RF scale following that law. On a lattice of uniform spacing
the growing RFs overlap more and more away from fixation. In the retina and
cortex, the spacing between neighbouring RFs grows in step with their size, so
the overlap (coverage) stays about constant and the periphery is covered by
far fewer neurons. We build both mosaics, compare their coverage, and show
them a natural image.
"""

import math
import os

import matplotlib.pyplot as plt
import numpy as np

import cortex
from cortex.plotting import plot_coverage, plot_image, plot_mosaic, plot_response_map
from cortex.stimuli import natural_image

# A small field when the example runs as a quick test (CORTEX_EXAMPLE_SMALL=1).
SMALL = os.environ.get("CORTEX_EXAMPLE_SMALL") == "1"
FIGURES_DIR = os.environ.get("CORTEX_FIGURES_DIR")


def save(fig, n):
    """Save a figure as PNG if CORTEX_FIGURES_DIR is set."""
    if FIGURES_DIR:
        os.makedirs(FIGURES_DIR, exist_ok=True)
        fig.savefig(os.path.join(FIGURES_DIR, f"plot_eccentricity_scaling_{n}.png"), dpi=100)


# %%
# The RF model and the scaling law
# --------------------------------
# The neurons are ON-centre cells with a difference-of-Gaussians RF. The model
# at scale 1 is the foveal RF; its :attr:`~cortex.ReceptiveField.size` (the
# centre's sigma, 0.2 deg) is the intercept of the scaling law. The slope is
# illustrative: RFs are 0.05 deg larger per degree of eccentricity.

if SMALL:
    field = cortex.VisualField(width=10.0, height=10.0, pixels_per_degree=6)
else:
    field = cortex.VisualField(width=16.0, height=12.0, pixels_per_degree=10)

rf = cortex.DifferenceOfGaussians(sigma_center=0.2, sigma_surround=0.6)
intercept, slope = rf.size, 0.05  # deg, deg per deg of eccentricity
n_levels = 6 if SMALL else 10  # RF sizes are quantised to this many levels


def rf_size(eccentricity):
    """RF size (centre sigma, deg) at an eccentricity in degrees."""
    return intercept + slope * eccentricity


# The half-maximum radius of the RF centre, per degree of RF size.
half_max_per_size = rf.contour("half-max")[0] / rf.size

# %%
# A uniform lattice with growing RFs
# ----------------------------------
# The lattice spacing is chosen so that the smallest (foveal) RFs tile the
# field at their half-maximum contour: on a hexagonal lattice of spacing ``d``
# discs of radius ``r`` leave no gap if ``d <= sqrt(3) * r``. The scaling only
# changes each neuron's RF scale, so the sites stay where they are.

spacing = 0.95 * math.sqrt(3.0) * half_max_per_size * intercept
uniform = cortex.Mosaic.from_lattice(field, spacing=spacing).with_eccentricity_scaling(
    intercept, slope, reference_size=rf.size, n_levels=n_levels
)

# %%
# A lattice whose spacing grows with RF size
# ------------------------------------------
# Here the sites lie on rings around fixation. Both the distance between rings
# and the distance between neighbours on a ring are proportional to the local
# RF size, so the lattice is locally (nearly) hexagonal and the number of RFs
# covering a point does not depend on eccentricity. The ring-to-ring offsets
# do not line up as in a true hexagonal lattice, so a point can be up to
# ``sqrt(7) / 4`` spacings from the nearest site (instead of
# ``1 / sqrt(3)``); the spacing is chosen for that.

spacing_per_size = 0.9 * half_max_per_size / (math.sqrt(7.0) / 4.0)
lim_x, lim_y = field.limits
max_eccentricity = math.hypot(lim_x, lim_y)
points = [(0.0, 0.0)]
eccentricity, ring = 0.0, 0
while eccentricity <= max_eccentricity:
    eccentricity += math.sqrt(3.0) / 2.0 * spacing_per_size * rf_size(eccentricity)
    ring += 1
    n_sites = max(
        6, math.ceil(2 * math.pi * eccentricity / (spacing_per_size * rf_size(eccentricity)))
    )
    angles = 2 * math.pi * (np.arange(n_sites) + 0.5 * (ring % 2)) / n_sites
    points.extend(zip(eccentricity * np.cos(angles), eccentricity * np.sin(angles), strict=True))
points = np.array(points)
points = points[field.contains(points[:, 0], points[:, 1])]
magnified = cortex.Mosaic(field, points).with_eccentricity_scaling(
    intercept, slope, reference_size=rf.size, n_levels=n_levels
)

# %%
# Tiling, RF size and coverage
# ----------------------------
# Top row: the uniform lattice; bottom row: the magnified one. Left: the
# half-maximum contours (RF centres) grow outward. Middle: each neuron's RF
# size against its eccentricity follows the scaling law, in steps because the
# sizes are quantised to ``n_levels`` values (one correlation per size).
# Right: the number of RFs covering each point.

fig, axes = plt.subplots(2, 3, figsize=(15, 8.5), layout="constrained")
for row, (mosaic, name) in enumerate(((uniform, "Uniform lattice"), (magnified, "Magnified"))):
    plot_mosaic(mosaic, rf, ax=axes[row, 0], linewidth=0.5)
    axes[row, 0].set_title(f"{name}: {mosaic.n_neurons} RFs (half-max contours)")
    ecc = np.linspace(0.0, mosaic.eccentricity.max(), 100)
    axes[row, 1].plot(mosaic.eccentricity, mosaic.scales * rf.size, ".", ms=3, label="neurons")
    axes[row, 1].plot(ecc, rf_size(ecc), "k-", label=f"{intercept:g} + {slope:g} x eccentricity")
    axes[row, 1].set(
        xlabel="eccentricity (deg)", ylabel="RF size: centre sigma (deg)", title=f"{name}: RF size"
    )
    axes[row, 1].legend()
    plot_coverage(mosaic, rf, ax=axes[row, 2])
    axes[row, 2].set_title(f"{name}: coverage factor {mosaic.coverage_factor(rf):.2f}")
save(fig, 1)

# Coverage near fixation and in the periphery (away from the field's edges,
# where sites beyond the edge are missing).
x_grid, y_grid = field.grid()
ecc_grid = np.hypot(x_grid, y_grid)
margin = 2 * spacing_per_size * rf_size(max_eccentricity)
interior = (np.abs(x_grid) < lim_x - margin) & (np.abs(y_grid) < lim_y - margin)
fovea = ecc_grid < 1.0
periphery = interior & (ecc_grid > ecc_grid[interior].max() - 1.0)
for mosaic, name in ((uniform, "uniform"), (magnified, "magnified")):
    counts = mosaic.coverage(rf)
    sizes = mosaic.scales * rf.size
    fitted_slope, fitted_intercept = np.polyfit(mosaic.eccentricity, sizes, 1)
    print(
        f"{name:9s}: {mosaic.n_neurons:5d} neurons, RF size {sizes.min():.3f}-{sizes.max():.3f} "
        f"deg (fit {fitted_intercept:.3f} + {fitted_slope:.3f} x ecc); RFs over a point: "
        f"fovea {counts[fovea].mean():.1f}, periphery {counts[periphery].mean():.1f}, "
        f"interior minimum {counts[interior].min()}"
    )

# %%
# Responses to a natural image
# ----------------------------
# The linear responses (before any rectification) of both populations to the
# same image. Small foveal RFs pick out fine detail; large peripheral RFs
# respond to coarse structure only, and the magnified mosaic samples the
# periphery with far fewer neurons. (Beyond the field's border the image is
# taken as mean luminance, so RFs hanging over a bright or dark edge of the
# image respond to that artificial border.)

image = natural_image(field, "camera")
pop_uniform = cortex.Population(rf, uniform)
pop_magnified = cortex.Population(rf, magnified)
r_uniform = cortex.responses(pop_uniform, image)
r_magnified = cortex.responses(pop_magnified, image)
limit = max(np.abs(r_uniform).max(), np.abs(r_magnified).max())

fig, axes = plt.subplots(1, 3, figsize=(16, 4.3), layout="constrained")
plot_image(image, field, ax=axes[0])
axes[0].set_title("Image (contrast)")
plot_response_map(pop_uniform, r_uniform, ax=axes[1], vmin=-limit, vmax=limit)
axes[1].set_title("Uniform lattice: linear responses")
# Small markers (area in points^2), so that the dense foveal sites stay apart.
plot_response_map(pop_magnified, r_magnified, ax=axes[2], vmin=-limit, vmax=limit, size=12.0)
axes[2].set_title("Magnified: linear responses")
save(fig, 2)

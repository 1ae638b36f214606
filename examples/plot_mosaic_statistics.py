"""
Mosaic statistics: how regular is a mosaic?
===========================================

The RF centres of a retinal cell type are neither random nor a perfect
lattice: each cell keeps its neighbours at a distance, so the mosaic is
*regular*, to a degree that differs from one type to the next. Anatomists
measure that degree with three statistics, all in :mod:`cortex.mosaic_stats`:

* the **regularity index** (Wassle & Riemann 1978), the mean distance from a
  centre to its nearest neighbour over the standard deviation of that
  distance: about 1.91 for a Poisson (random) process, 2-4 for ganglion-cell
  mosaics, 5-10 or more for cones, infinite for a lattice;
* the **coefficient of variation (CV) of the Voronoi cell areas**, the
  territory of each centre: about 0.53 for a Poisson process, 0 for a
  lattice;
* the **density recovery profile** (DRP, Rodieck 1991), the density of
  centres at each distance from a centre. It is flat for a Poisson process;
  a regular mosaic has a *dead zone* around each centre, summarised by
  Rodieck's *effective radius*.

We build five mosaics of about the same density on one field, from random to
perfectly regular, and measure them. We then give the irregular ones RFs that
cover every point about three times, as parasol ganglion cells do
(Dacey 1993), with :meth:`cortex.Mosaic.with_coverage`. All distances are in
degrees of visual angle.
"""

import math
import os

import matplotlib.pyplot as plt
import numpy as np

import cortex
from cortex.lattices import exclusion_mosaic, poisson_disk
from cortex.mosaic_stats import (
    POISSON_REGULARITY_INDEX,
    POISSON_VORONOI_CV,
    density_recovery_profile,
    nearest_neighbor_distances,
    regularity_index,
    voronoi_areas,
)
from cortex.plotting import (
    plot_coverage,
    plot_density_recovery_profile,
    plot_nn_histogram,
    plot_voronoi,
)

# A smaller field when the example runs as a quick test (CORTEX_EXAMPLE_SMALL=1).
SMALL = os.environ.get("CORTEX_EXAMPLE_SMALL") == "1"
FIGURES_DIR = os.environ.get("CORTEX_FIGURES_DIR")


def save(fig, n):
    """Save a figure as PNG if CORTEX_FIGURES_DIR is set."""
    if FIGURES_DIR:
        os.makedirs(FIGURES_DIR, exist_ok=True)
        fig.savefig(os.path.join(FIGURES_DIR, f"plot_mosaic_statistics_{n}.png"), dpi=100)


# %%
# Five mosaics of the same density
# --------------------------------
# The density is that of a hexagonal lattice of spacing 0.3 deg (about 12.8
# centres per square degree). From random to regular:
#
# * a **Poisson process**: centres drawn uniformly and independently over the
#   field (seeded, so the numbers below are reproducible);
# * two **exclusion mosaics** (:func:`cortex.lattices.exclusion_mosaic`,
#   Galli-Resta's *dmin* model): random centres, each of which refuses
#   neighbours closer than its own exclusion distance; the mean distance is
#   tuned until the regularity index reaches the target, here 3 (like a
#   ganglion-cell mosaic) and 6 (like a cone mosaic);
# * a **Poisson-disk** mosaic (:func:`cortex.lattices.poisson_disk`): random
#   centres, none closer than ``min_distance`` and packed until no more fit
#   (about ``0.62 / min_distance**2`` centres per square degree, so we choose
#   ``min_distance`` from the density);
# * a **hexagonal lattice** (:meth:`cortex.Mosaic.from_lattice`).

if SMALL:
    field = cortex.VisualField(width=5.0, height=5.0, pixels_per_degree=16)
else:
    field = cortex.VisualField(width=8.0, height=8.0, pixels_per_degree=20)

spacing = 0.3  # deg, of the hexagonal lattice
density = 2.0 / (math.sqrt(3.0) * spacing**2)  # centres per deg^2
left, right, bottom, top = field.extent
n_random = round(density * (right - left) * (top - bottom))

rng = np.random.default_rng(0)
mosaics = {
    "Poisson": cortex.Mosaic(field, rng.uniform((left, bottom), (right, top), (n_random, 2))),
    "exclusion, RI 3": exclusion_mosaic(field, density, 3.0, seed=1),
    "exclusion, RI 6": exclusion_mosaic(field, density, 6.0, seed=2),
    "Poisson-disk": poisson_disk(field, math.sqrt(0.62 / density), seed=3),
    "hexagonal": cortex.Mosaic.from_lattice(field, spacing, "hexagonal"),
}
print(f"field {field.width:g} x {field.height:g} deg, target density {density:.2f} /deg2")

# %%
# Regularity index, Voronoi CV and effective radius
# -------------------------------------------------
# Every statistic is *edge-corrected*: a centre near the border of the field
# may have its true nearest neighbour, or part of its Voronoi cell, beyond
# it, so such centres are left out (and the DRP divides by the part of each
# annulus inside the field). The DRP is measured in annuli 0.03 deg wide out to
# 1.2 deg, the same for every mosaic.
#
# The regularity index rises and the Voronoi CV falls as the mosaic gets more
# regular, and the dead zone of the DRP grows from nothing (Poisson) to the
# lattice spacing (hexagonal lattice: no centre closer than 0.3 deg). The
# statistics of one finite random mosaic fluctuate about their expected
# values: with a few hundred centres the regularity index of a Poisson process
# varies by about 0.06 (full size) to 0.1 (small run) from one seed to the
# next, its Voronoi CV by about 0.02 to 0.03. The Poisson-disk mosaic is
# slightly denser than the others (its density is set by the packing, not
# chosen) and more regular than the exclusion mosaics: every centre's nearest
# neighbour lies between ``min_distance`` and about ``1.5 * min_distance``.

print(
    f"Poisson process: regularity index {POISSON_REGULARITY_INDEX:.2f} (Wassle & Riemann 1978), "
    f"Voronoi CV {POISSON_VORONOI_CV:.2f}, mean NN distance {1 / (2 * math.sqrt(density)):.3f} deg"
)
print(
    f"{'mosaic':16s} {'centres':>7s} {'density':>12s} {'NN mean':>9s} {'RI':>6s} "
    f"{'Voronoi CV':>10s} {'eff. radius':>11s}"
)
profiles = {}
for name, mosaic in mosaics.items():
    nn = nearest_neighbor_distances(mosaic)
    profiles[name] = density_recovery_profile(mosaic, bin_width=0.03, max_radius=1.2)
    print(
        f"{name:16s} {mosaic.n_neurons:7d} {profiles[name].mean_density:6.2f} /deg2 "
        f"{nn.mean:5.3f} deg {regularity_index(mosaic):6.2f} {voronoi_areas(mosaic).cv:10.3f} "
        f"{profiles[name].effective_radius:7.3f} deg"
    )

# %%
# Voronoi cells, nearest neighbours and density recovery profiles
# ---------------------------------------------------------------
# One row per mosaic, from random (top) to regular (bottom). Left: the
# Voronoi cells that the edge correction keeps, coloured by area on one scale
# for all mosaics (:func:`~cortex.plotting.plot_voronoi`; cells larger than
# 2.5 times the mean area take the top colour). The lower-left quarter of the
# field is shown, so that the cells are visible, and the border cells that are
# left out too. The random mosaic has tiny and huge
# cells side by side, the lattice identical hexagons. Middle: the histogram of
# nearest-neighbour distances (:func:`~cortex.plotting.plot_nn_histogram`),
# which narrows as the mosaic gets more regular (a single bar for the
# lattice). Right: the DRP
# (:func:`~cortex.plotting.plot_density_recovery_profile`) with the mean
# density (dashed) and the effective radius (dotted): the dead zone at short
# distances widens, and the lattice's profile turns into peaks at the
# distances of its neighbours.

fig = plt.figure(figsize=(14, 4.0 * len(mosaics)), layout="constrained")
rows = fig.subfigures(len(mosaics), 1)
area_norm = plt.Normalize(0.0, 2.5 / density)  # cell areas, deg^2
max_nn = max(nearest_neighbor_distances(m).distances.max() for m in mosaics.values())
for row, (name, mosaic) in zip(rows, mosaics.items(), strict=True):
    axes = row.subplots(1, 3, width_ratios=[1.0, 1.3, 1.3])
    plot_voronoi(mosaic, ax=axes[0], norm=area_norm)
    axes[0].set(xlim=(left, 0.0), ylim=(bottom, 0.0))
    plot_nn_histogram(mosaic, ax=axes[1], bins=20)
    axes[1].set_xlim(0.0, 1.05 * max_nn)
    plot_density_recovery_profile(profiles[name], ax=axes[2])
    row.suptitle(
        f"{name}: regularity index {regularity_index(mosaic):.2f}, "
        f"Voronoi CV {voronoi_areas(mosaic).cv:.2f}, "
        f"effective radius {profiles[name].effective_radius:.3f} deg",
        fontweight="bold",
    )
save(fig, 1)

# %%
# The same coverage on every mosaic
# ---------------------------------
# :meth:`cortex.Mosaic.with_coverage` gives each centre a circular Gaussian RF
# whose half-maximum disc is three times the area of the centre's Voronoi
# cell (clipped to the field). The cells tile the field, so the RFs cover it
# three times over on average whatever the mosaic, as parasol ganglion cells
# do (Dacey 1993): the measured mean number of RFs over a pixel, away from the
# border where RFs centred beyond the field are missing, is 3. How evenly
# they cover it depends on the regularity: on the random mosaic, big RFs of
# isolated cells overlap small RFs of crowded ones, and some points are
# covered by one RF or none, others by six or more; on the regular mosaics
# almost every point is covered 2-4 times.

rf = cortex.Gaussian(sigma=0.1)  # the model at scale 1; with_coverage sets the scales
target = cortex.presets.COVERAGE["parasol"]  # 3.0
irregular = {name: m for name, m in mosaics.items() if name != "hexagonal"}
covered = {name: m.with_coverage(rf, target) for name, m in irregular.items()}

margin = round(1.0 * field.pixels_per_degree)  # 1 deg in from every edge
interior = {}
for name, mosaic in covered.items():
    counts = mosaic.coverage(rf)  # RFs over each pixel, shape (H, W)
    interior[name] = counts[margin:-margin, margin:-margin]
    sizes = mosaic.scales * rf.sigma
    print(
        f"{name:16s}: RF sigma {sizes.min():.3f}-{sizes.max():.3f} deg; away from the border "
        f"mean {interior[name].mean():.2f} RFs per pixel (target {target:g}), "
        f"{np.mean(interior[name] == 0):.1%} uncovered, "
        f"{np.mean(np.abs(interior[name] - target) <= 1):.0%} within 3 +- 1"
    )

# %%
# Coverage maps
# -------------
# Top: how many half-maximum contours cover each pixel
# (:func:`~cortex.plotting.plot_coverage`); the dashed square is the interior
# over which the means above are taken. Bottom: the fraction of the
# interior pixels covered by 0, 1, 2, ... RFs. All four distributions have a
# mean of 3; the more regular the mosaic, the narrower the distribution.

n_cols = len(covered)
fig = plt.figure(figsize=(4.6 * n_cols, 9), layout="constrained")
grid = fig.add_gridspec(2, n_cols)
half = margin / field.pixels_per_degree
for col, (name, mosaic) in enumerate(covered.items()):
    ax = fig.add_subplot(grid[0, col])
    plot_coverage(mosaic, rf, ax=ax)
    ax.set_title(f"{name}\n{ax.get_title()}", fontsize="medium")
    ax.add_patch(
        plt.Rectangle(
            (left + half, bottom + half),
            right - left - 2 * half,
            top - bottom - 2 * half,
            fill=False,
            edgecolor="w",
            linestyle="--",
            linewidth=1.0,
        )
    )
ax = fig.add_subplot(grid[1, 1:3])
k_max = max(int(values.max()) for values in interior.values())
for k, (name, values) in enumerate(interior.items()):
    fraction = np.bincount(values.ravel(), minlength=k_max + 1) / values.size
    ax.plot(np.arange(k_max + 1), fraction, "o-", color=f"C{k}", label=f"{name}")
ax.axvline(target, color="k", linestyle=":", linewidth=1.0, label=f"target coverage {target:g}")
ax.set(
    xlabel="RFs covering a point (half-max contours)",
    ylabel="fraction of the interior pixels",
    title=f"Coverage distribution, {margin / field.pixels_per_degree:g} deg from the border",
    xticks=np.arange(k_max + 1),
)
ax.legend()
save(fig, 2)

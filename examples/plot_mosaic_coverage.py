"""
Mosaics and coverage
====================

The RF centres of one neuron type form a *mosaic*. For the type to see the
whole visual field, the RFs must *tile* it: every point must lie inside at
least one RF, here taken as the RF centre's half-maximum contour. How many
neurons that takes depends on the lattice the centres sit on.

We put the same RF on a square, a hexagonal and a jittered hexagonal lattice
(:meth:`cortex.Mosaic.from_lattice`) of the same density, draw their RFs
(:func:`~cortex.plotting.plot_mosaic`) and coverage maps
(:func:`~cortex.plotting.plot_coverage`), then sweep the lattice spacing to
find where gaps appear. Discs of radius ``r`` on a lattice of spacing ``d``
leave no gap if and only if ``r`` reaches the lattice's *covering radius*:
``d / sqrt(3)`` for a hexagonal lattice, ``d / sqrt(2)`` for a square one.
"""

import math
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from scipy.spatial import cKDTree

import cortex
from cortex.plotting import plot_coverage, plot_mosaic

# A smaller field and a coarser sweep when the example runs as a quick test
# (CORTEX_EXAMPLE_SMALL=1).
SMALL = os.environ.get("CORTEX_EXAMPLE_SMALL") == "1"
FIGURES_DIR = os.environ.get("CORTEX_FIGURES_DIR")


def save(fig, n):
    """Save a figure as PNG if CORTEX_FIGURES_DIR is set."""
    if FIGURES_DIR:
        os.makedirs(FIGURES_DIR, exist_ok=True)
        fig.savefig(os.path.join(FIGURES_DIR, f"plot_mosaic_coverage_{n}.png"), dpi=100)


# %%
# The RF and its half-maximum radius
# ----------------------------------
# ON-centre cells with a difference-of-Gaussians RF (centre sigma 0.2 deg,
# surround 0.6 deg). A point counts as *covered* by a neuron when it lies
# inside the half-maximum contour of the neuron's RF centre, a circle of
# radius ``r = sqrt(2 ln 2) * sigma`` (about 0.235 deg).

if SMALL:
    field = cortex.VisualField(width=4.0, height=4.0, pixels_per_degree=12)
else:
    field = cortex.VisualField(width=6.0, height=6.0, pixels_per_degree=20)

rf = cortex.DifferenceOfGaussians(sigma_center=0.2, sigma_surround=0.6)
r_half = rf.contour("half-max")[0]
print(f"field {field.width:g} x {field.height:g} deg at {field.pixels_per_degree:g} px/deg")
print(f"RF half-max radius r = {r_half:.4f} deg")

# %%
# Three lattices of the same density
# ----------------------------------
# A hexagonal lattice of spacing ``d`` has ``2 / (sqrt(3) d**2)`` sites per
# square degree, a square one ``1 / d**2``; we shrink the square lattice's
# spacing by ``sqrt(sqrt(3) / 2)`` so that both have the same density, hence
# the same *coverage factor* (density times RF area: the mean number of RFs
# over a point). The hexagonal spacing is 0.38 deg, so its covering radius
# (0.219 deg) is below ``r``: no gaps. The square lattice's covering radius
# (0.250 deg) exceeds ``r``: the same number of neurons leaves gaps in the
# corners of each square. The jittered lattice moves each hexagonal site by up
# to a quarter of a spacing in a random direction, which opens gaps where
# neighbours have moved apart (its covering radius is only bounded:
# ``d / sqrt(3) + jitter * d``).

d_hex = 0.38
d_square = d_hex * math.sqrt(math.sqrt(3.0) / 2.0)
mosaics = {
    "square": cortex.Mosaic.from_lattice(field, d_square, "square"),
    "hexagonal": cortex.Mosaic.from_lattice(field, d_hex, "hexagonal"),
    "jittered": cortex.Mosaic.from_lattice(field, d_hex, "jittered", jitter=0.25, seed=0),
}

# Count coverage away from the field's edges, where the lattice sites beyond
# the edge are missing (one spacing in from every edge).
lim_x, lim_y = field.limits
x_grid, y_grid = field.grid()
interior = (np.abs(x_grid) < lim_x - d_hex) & (np.abs(y_grid) < lim_y - d_hex)

print(f"{'lattice':10s} {'neurons':>7s} {'density':>8s} {'cov. radius':>11s} {'factor':>6s}")
for name, mosaic in mosaics.items():
    counts = mosaic.coverage(rf)
    print(
        f"{name:10s} {mosaic.n_neurons:7d} {mosaic.density:6.2f}/deg2 "
        f"{mosaic.covering_radius:7.3f} deg {mosaic.coverage_factor(rf):6.2f}   "
        f"interior: {np.mean(counts[interior] >= 1):6.1%} covered, "
        f"{counts[interior].min()}-{counts[interior].max()} RFs per point"
    )

# A Population on a lattice that leaves gaps warns ("coverage below 1"); the
# check is Mosaic.check_gaps. Here we catch its warnings to print them.
for name, mosaic in mosaics.items():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mosaic.check_gaps(rf)
    print(f"{name}: " + (str(caught[0].message) if caught else "no gap"))

# %%
# RF contours and coverage maps
# -----------------------------
# Top: the half-maximum contours near fixation; the gaps of the square and
# jittered lattices are the white holes between circles. Bottom: the number of
# RFs covering each pixel of the whole field (0 = a gap). Near the field's
# border the lattice sites beyond the edge are missing, so every lattice has
# gaps there.

fig, axes = plt.subplots(2, 3, figsize=(15, 9.5), layout="constrained")
zoom = 1.0
for col, (name, mosaic) in enumerate(mosaics.items()):
    plot_mosaic(mosaic, rf, ax=axes[0, col], show_centers=True, facecolor="C0", alpha=0.35)
    axes[0, col].set(xlim=(-zoom, zoom), ylim=(-zoom, zoom))
    axes[0, col].set_title(
        f"{name} (spacing {mosaic.spacing:.3f} deg): half-max contours\n"
        f"covering radius {mosaic.covering_radius:.3f} deg, RF radius {r_half:.3f} deg"
    )
    plot_coverage(mosaic, rf, ax=axes[1, col])
    axes[1, col].set_title(f"{name}: coverage factor {mosaic.coverage_factor(rf):.2f}")
save(fig, 1)

# %%
# Sweeping the spacing: where do gaps appear?
# -------------------------------------------
# For spacings from ``0.6 r`` to ``2.4 r`` we measure, on a fine grid of
# points in the middle of the field, (left) the fraction covered by at least
# one RF (:meth:`cortex.Mosaic.coverage` at those points) and (right) the
# largest distance from a point to its nearest RF centre: the lattice's
# covering radius, measured. Gaps appear exactly where that distance exceeds
# ``r``: at ``d = sqrt(3) r`` for the hexagonal lattice and ``d = sqrt(2) r``
# for the square one. The jittered lattice (one random draw per spacing)
# starts leaving gaps earlier; the bound on its covering radius guarantees no
# gap only up to ``d = r / (1 / sqrt(3) + 0.25)``. (The test points are a
# grid, so the first, tiny gaps past the onset can fall between them.)

n_spacings = 16 if SMALL else 50
step = 0.02 if SMALL else 0.015  # deg between the test points
ratios = np.linspace(0.6, 2.4, n_spacings)  # spacing / r
half_window = min(lim_x, lim_y) - ratios.max() * r_half - 0.05
axis = np.arange(-half_window, half_window + step / 2, step)
points = np.column_stack([c.ravel() for c in np.meshgrid(axis, axis)])

sweep = {"square": [], "hexagonal": [], "jittered": []}
for ratio in ratios:
    spacing = ratio * r_half
    for name in sweep:
        extra = {"jitter": 0.25, "seed": 1} if name == "jittered" else {}
        mosaic = cortex.Mosaic.from_lattice(field, spacing, name, **extra)
        covered = np.mean(mosaic.coverage(rf, points=points) >= 1)
        farthest = cKDTree(mosaic.centers).query(points)[0].max()
        sweep[name].append((covered, farthest))
print(f"sweep: {n_spacings} spacings x 3 lattices, {len(points)} test points each")

onsets = {
    "square": math.sqrt(2.0),
    "hexagonal": math.sqrt(3.0),
    "jittered": 1.0 / (1.0 / math.sqrt(3.0) + 0.25),
}
fig, axes = plt.subplots(1, 2, figsize=(14, 5), layout="constrained")
for k, (name, values) in enumerate(sweep.items()):
    covered, farthest = np.array(values).T
    color = f"C{k}"
    axes[0].plot(ratios, covered, "o-", ms=3, color=color, label=name)
    axes[1].plot(ratios, farthest / r_half, "o", ms=3, color=color, label=f"{name}: measured")
    label = "bound" if name == "jittered" else "analytic"
    axes[0].axvline(onsets[name], color=color, linestyle=":", label=f"{name}: gap onset ({label})")
radius_per_spacing = {"square": 1 / math.sqrt(2.0), "hexagonal": 1 / math.sqrt(3.0)}
for k, (name, factor) in enumerate(radius_per_spacing.items()):
    axes[1].plot(ratios, factor * ratios, "-", color=f"C{k}", label=f"{name}: d / sqrt({k + 2})")
axes[1].plot(ratios, (1 / math.sqrt(3.0) + 0.25) * ratios, ":", color="C2", label="jittered: bound")
axes[1].axhline(1.0, color="k", linewidth=0.8, label="RF half-max radius r")
axes[0].set(
    xlabel="lattice spacing d / r",
    ylabel="fraction of the field covered at least once",
    title="Coverage against spacing",
    ylim=(min(min(v[0] for v in values) for values in sweep.values()) - 0.05, 1.02),
)
axes[1].set(
    xlabel="lattice spacing d / r",
    ylabel="largest distance to the nearest RF centre / r",
    title="Covering radius against spacing",
)
axes[0].legend(fontsize=8, loc="lower left")
axes[1].legend(fontsize=8, loc="upper left")
save(fig, 2)

# %%
# The cost of tiling
# ------------------
# At the gap onset the coverage factor (mean number of RFs over a point) is
# ``2 pi / (3 sqrt(3))``, about 1.21, for the hexagonal lattice and
# ``pi / 2``, about 1.57, for the square one: the hexagonal lattice tiles the
# plane with about 23 % fewer neurons, which is one reason retinal mosaics are
# close to hexagonal.

for name in ("hexagonal", "square"):
    onset = cortex.Mosaic.from_lattice(field, onsets[name] * r_half, name)
    values = np.array(sweep[name])
    first = ratios[values[:, 0] < 1.0].min()
    print(
        f"{name:9s}: gap onset at d = {onsets[name]:.3f} r (sweep: first gap found at "
        f"{first:.3f} r), coverage factor there {onset.coverage_factor(rf):.3f}"
    )

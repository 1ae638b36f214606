"""
Population receptive fields, in silico
======================================

An fMRI voxel sees no single neuron: its signal sums the activity of the many
thousands of neurons it holds. Dumoulin & Wandell (2008) measured the
*population receptive field* (pRF) of each voxel by sweeping a bar across the
visual field in 8 directions and fitting the voxel's time course with the
response of a 2-D Gaussian. In every visual area pRF size grows linearly with
eccentricity; for human V1, ``sigma = 0.169 * E + 0.022`` deg (Wandell &
Winawer 2015).

Here we run that experiment on a simulated V1 (:mod:`cortex.analysis.prf`).
The neurons sit on a foveated mosaic whose density follows cortical
magnification (:func:`cortex.lattices.foveated`), and their RFs follow the
published size law (:func:`cortex.presets.population`). A voxel is a disc of
the visual field; its time course is the summed linear response of the
neurons whose RF centres lie in it. We fit pRFs to voxels at several
eccentricities and check that the fitted size law is the one we put in. All
positions and sizes are in degrees of visual angle.
"""

import math
import os

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle

import cortex
from cortex.analysis import bar_sweep, fit_prf, prf_experiment, prf_size_law, voxel_response
from cortex.lattices import foveated
from cortex.plotting import plot_image, plot_mosaic
from cortex.presets import PRF_SIZE, cortical_magnification, prf_size

# A smaller field and fewer voxels when the example runs as a quick test
# (CORTEX_EXAMPLE_SMALL=1).
SMALL = os.environ.get("CORTEX_EXAMPLE_SMALL") == "1"
FIGURES_DIR = os.environ.get("CORTEX_FIGURES_DIR")


def save(fig, n):
    """Save a figure as PNG if CORTEX_FIGURES_DIR is set."""
    if FIGURES_DIR:
        os.makedirs(FIGURES_DIR, exist_ok=True)
        fig.savefig(os.path.join(FIGURES_DIR, f"plot_prf_experiment_{n}.png"), dpi=100)


# %%
# A foveated V1 with the published pRF size law
# ---------------------------------------------
# Voxels are placed from 1 deg to ``e_max`` (5 deg; 3 in the quick run). The
# field reaches 3 pRF sizes beyond the outermost voxel, so the bars and the
# fitted Gaussians of every voxel lie inside it, at 12 pixels per degree (10
# in the quick run): about 2.3 pixels per RF s.d. at 1 deg of eccentricity.
#
# :func:`cortex.lattices.foveated` puts the RF centres on a lattice that is
# regular *on the cortex*: sites 0.5 mm apart on the cortical sheet of human
# V1, whose magnification is ``M(E) = 17.3 / (E + 0.75)`` mm/deg (Horton & Hoyt
# 1991). Back in the visual field, neighbours are about ``0.5 / M(E)`` deg
# apart and the density is about ``(M(E) / 0.5 mm)**2`` per square degree:
# over 1500 neurons per square degree near fixation, under 40 at 5 deg.
# :func:`cortex.presets.population` then gives every neuron a circular
# Gaussian RF whose s.d. is V1's pRF size at its eccentricity,
# ``0.169 * E + 0.022`` deg (sizes quantised in 5% steps). Only the neurons
# a voxel can hold are kept (``max_eccentricity``): the voxel radius is half
# the pRF size, so none lies beyond ``e_max + 0.5 * sigma(e_max)``.

slope, intercept = PRF_SIZE["V1"]  # 0.169 deg/deg, 0.022 deg (Wandell & Winawer 2015)
e_min = 1.0
if SMALL:
    e_max, n_voxels, ppd = 3.0, 4, 10
else:
    e_max, n_voxels, ppd = 5.0, 6, 12
sigma_max = float(prf_size("V1", e_max))
side = 2 * (e_max + 3 * sigma_max) + 0.5
field = cortex.VisualField(width=side, height=side, pixels_per_degree=ppd)

spacing_mm = 0.5  # distance between neighbouring sites on the cortex
mosaic = foveated(field, spacing_mm=spacing_mm)
population = cortex.presets.population(
    "V1", field, mosaic=mosaic, max_eccentricity=e_max + 0.6 * sigma_max
)
rf_sigma = population.mosaic.scales * intercept  # each neuron's RF s.d., deg
print(
    f"field {field.width:.2f} x {field.height:.2f} deg at {ppd} px/deg {field.shape}; "
    f"{population.n_neurons} V1 neurons within {e_max + 0.6 * sigma_max:.2f} deg, "
    f"RF s.d. {rf_sigma.min():.3f}-{rf_sigma.max():.3f} deg "
    f"({np.unique(rf_sigma).size} sizes)"
)

# %%
# One voxel per eccentricity
# --------------------------
# ``n_voxels`` voxels, evenly spaced in eccentricity from 1 deg to ``e_max``,
# at polar angles spread around fixation. Each voxel's radius is half the
# pRF size at its eccentricity, so the scatter of its neurons' positions (for
# neurons spread evenly over a disc of radius ``rho``, ``rho / 2`` per axis)
# widens the pRF by only 3%; every fit also reports the size with that scatter
# removed (:attr:`~cortex.analysis.PRFFit.neuron_sigma`).

eccentricities = np.linspace(e_min, e_max, n_voxels)
angles = np.pi / 8 + 2 * np.pi * np.arange(n_voxels) / n_voxels
voxels = np.column_stack([eccentricities * np.cos(angles), eccentricities * np.sin(angles)])
radii = 0.5 * prf_size("V1", eccentricities)

# %%
# The mosaic
# ----------
# Top left: every RF centre, coloured by RF size, with the voxels (white
# circles). Top right: one voxel (dashed circle) and the 1-s.d. contours of
# the RFs of the neurons it holds (:func:`~cortex.plotting.plot_mosaic`):
# each RF is about twice as wide as the voxel. Bottom left: the sites lie on
# rings around fixation, and the density of each ring follows
# ``(M(E) / 0.5 mm)**2``. Bottom right: RF size grows linearly with
# eccentricity, as the law says, in 5% steps.

demo = n_voxels // 2  # the voxel shown in detail
cx, cy = voxels[demo]
fig, axes = plt.subplots(2, 2, figsize=(12, 10.5), layout="constrained")
ax = axes[0, 0]
dots = ax.scatter(*population.mosaic.centers.T, c=rf_sigma, s=0.5, cmap="viridis")
for (x, y), rho in zip(voxels, radii, strict=True):
    ax.add_patch(Circle((x, y), rho, fill=False, edgecolor="w", linewidth=1.2))
ax.set(xlim=field.extent[:2], ylim=field.extent[2:], aspect="equal")
ax.set(
    xlabel="x (deg)", ylabel="y (deg)", title=f"{population.n_neurons} RF centres and the voxels"
)
ax.set_facecolor("0.15")
fig.colorbar(dots, ax=ax, label="RF s.d. (deg)")

ax = axes[0, 1]
centers, scales = population.mosaic.centers, population.mosaic.scales
inside = np.hypot(centers[:, 0] - cx, centers[:, 1] - cy) <= radii[demo]
in_voxel = cortex.Mosaic(field, centers[inside], scales[inside])
plot_mosaic(in_voxel, population.types[0], ax=ax, level="sigma", linewidth=0.8)
ax.scatter(*centers.T, s=4, color="0.5", label="RF centres")
ax.scatter(*centers[inside].T, s=12, color="C0", label="RF centres in the voxel")
ax.add_patch(Circle((cx, cy), radii[demo], fill=False, edgecolor="C3", linestyle="--", lw=2))
zoom = 2.5 * radii[demo]
ax.set(xlim=(cx - zoom, cx + zoom), ylim=(cy - zoom, cy + zoom))
ax.set_title(f"Voxel at {eccentricities[demo]:.2f} deg (dashed): its {inside.sum()} RFs (1 s.d.)")
ax.legend(loc="upper right", fontsize="small")

ax = axes[1, 0]
# The sites lie on rings around fixation: the density of each ring is its number
# of sites over the area of the annulus halfway to its neighbouring rings.
ring_ecc, per_ring = np.unique(np.round(population.mosaic.eccentricity, 9), return_counts=True)
bounds = 0.5 * (ring_ecc[1:] + ring_ecc[:-1])
ring_density = per_ring[1:-1] / (np.pi * np.diff(bounds**2))
ax.semilogy(ring_ecc[1:-1], ring_density, "o", ms=3, label="rings of RF centres of the mosaic")
e = np.linspace(0.0, ring_ecc[-1], 200)
ax.semilogy(e, (cortical_magnification(e) / spacing_mm) ** 2, "k-", label="(M(E) / 0.5 mm)$^2$")
ax.set(
    xlabel="eccentricity (deg)",
    ylabel="density (RF centres / deg$^2$)",
    title="Density follows cortical magnification (Horton & Hoyt 1991)",
)
ax.legend()

ax = axes[1, 1]
ax.plot(population.mosaic.eccentricity, rf_sigma, ".", ms=1, label="neurons")
ax.plot(e, prf_size("V1", e), "k-", lw=1, label=f"{slope:g} E + {intercept:g}")
ax.set(
    xlabel="eccentricity (deg)",
    ylabel="RF s.d. (deg)",
    title="RF size law of the neurons (Wandell & Winawer 2015)",
)
ax.legend()
save(fig, 1)

# %%
# The bar apertures
# -----------------
# :func:`cortex.analysis.bar_sweep` makes the stimulus: a bar sweeps across
# the field in 8 directions, 45 deg apart. Its width is half the smallest pRF
# size plus 0.1 deg (as :func:`cortex.validate` uses), rounded up to whole
# pixels: 0.25 deg (3 pixels; 0.2 deg in the quick run), so that a vertical or
# horizontal bar covers the same number of pixel columns or rows wherever it
# falls. It moves by its own width per frame, so successive bars tile the
# field without gaps or overlap (the default step, half a width, gives the
# same fits from twice the frames). Shown: in each direction, the frame in
# which the bar covers the centre of the voxel above (dashed circle); the
# voxel responds once per sweep.

bar_width = math.ceil((0.5 * float(prf_size("V1", e_min)) + 0.1) * ppd) / ppd  # whole pixels
step = bar_width
images = bar_sweep(field, width=bar_width, step=step)
n_directions = 8
n_positions = len(images) // n_directions
print(
    f"bars {bar_width:.3f} deg wide, {step:.3f} deg per frame: {len(images)} frames "
    f"({n_directions} directions x {n_positions} positions) of {field.shape[1]}x{field.shape[0]} px"
)

reach = math.hypot(*field.limits)  # each sweep runs across the field's circumscribed circle
positions = -reach + step * np.arange(n_positions)
shown = []
for k in range(n_directions):
    theta = 2 * np.pi * k / n_directions
    along = cx * np.cos(theta) + cy * np.sin(theta)
    shown.append(k * n_positions + int(np.argmin(np.abs(positions - along))))

fig, axes = plt.subplots(2, 4, figsize=(14, 7.5), layout="constrained")
for k, (ax, frame) in enumerate(zip(axes.flat, shown, strict=True)):
    plot_image(images[frame], field, ax=ax, vmin=0.0, vmax=1.0)
    ax.add_patch(Circle((cx, cy), radii[demo], fill=False, edgecolor="C3", linestyle="--", lw=1.5))
    ax.set_title(f"direction {360 * k // n_directions} deg, frame {frame}")
save(fig, 2)

# %%
# One voxel's time course and its pRF
# -----------------------------------
# :func:`cortex.analysis.voxel_response` sums the linear responses of the
# neurons inside the voxel to every frame; :func:`cortex.analysis.fit_prf`
# fits the model of Dumoulin & Wandell: the stimulus weighted by a 2-D
# Gaussian of centre ``(x, y)`` and size ``sigma``, times a gain. Left: the
# time course (dots; 8 sweeps, one per direction, separated by grey lines;
# the frames shown above are circled) and the fitted model (line). Middle:
# one sweep, close up. No noise is added to the time course, so the fit is
# almost exact. Right: the fitted pRF, its 1-sigma circle (solid), the voxel
# (dashed) and the RF centres inside it. The pRF is slightly wider than the
# neurons' own RFs at that eccentricity, by the scatter of their positions in
# the voxel.

radius = float(radii[demo])
response, n_inside = voxel_response(population, images, (cx, cy), radius)
fit = fit_prf(field, images, response, scatter=radius / 2)
x_grid, y_grid = field.grid()
prf = np.exp(-((x_grid - fit.x) ** 2 + (y_grid - fit.y) ** 2) / (2 * fit.sigma**2))
prf /= 2 * np.pi * fit.sigma**2 * ppd**2  # unit volume, per pixel
predicted = fit.gain * (images.reshape(len(images), -1) @ prf.ravel())
law = float(prf_size("V1", eccentricities[demo]))
print(
    f"voxel at ({cx:.2f}, {cy:.2f}) deg, radius {radius:.3f} deg, {n_inside} neurons: "
    f"pRF at ({fit.x:.2f}, {fit.y:.2f}) deg, sigma {fit.sigma:.3f} deg "
    f"(scatter removed {fit.neuron_sigma:.3f}; law {law:.3f}), R^2 = {fit.r2:.5f}"
)

fig, axes = plt.subplots(
    1, 3, figsize=(17, 4.8), layout="constrained", gridspec_kw={"width_ratios": [2.2, 1, 1.15]}
)
ax = axes[0]
frames = np.arange(len(images))
ax.plot(frames, response, ".", ms=3, color="0.3", label="voxel time course")
ax.plot(frames, predicted, "-", color="C3", lw=1, label=f"fitted pRF model (R$^2$ = {fit.r2:.4f})")
ax.plot(shown, response[shown], "o", mfc="none", mec="C0", ms=9, label="frames shown above")
for k in range(1, n_directions):
    ax.axvline(k * n_positions - 0.5, color="0.8", lw=0.8, zorder=0)
ax.set(
    xlabel="frame",
    ylabel="summed linear response (a.u.)",
    title=f"Voxel at {eccentricities[demo]:.2f} deg: {n_inside} neurons, 8 sweeps",
)
ax.legend(loc="upper right", fontsize="small")

ax = axes[1]
near = np.arange(shown[0] - 12, shown[0] + 13)
ax.plot(near, response[near], "o", ms=4, color="0.3", label="voxel")
ax.plot(near, predicted[near], "-", color="C3", lw=1, label="fitted pRF model")
ax.set(
    xlabel="frame",
    ylabel="summed linear response (a.u.)",
    title="The first sweep (rightward), close up",
)
ax.legend(loc="upper right", fontsize="small")

ax = axes[2]
plot_image(prf, field, ax=ax, cmap="magma", colorbar=True)
ax.images[0].colorbar.set_label("pRF weight (per pixel)")
ax.scatter(*centers[inside].T, s=8, color="c", label="RF centres in the voxel")
ax.add_patch(
    Circle((fit.x, fit.y), fit.sigma, fill=False, edgecolor="w", lw=1.5, label="pRF, 1 sigma")
)
ax.add_patch(
    Circle((cx, cy), radius, fill=False, edgecolor="c", linestyle="--", lw=1.5, label="voxel")
)
zoom = 3 * fit.sigma
ax.set(xlim=(cx - zoom, cx + zoom), ylim=(cy - zoom, cy + zoom))
ax.set_title(f"Fitted pRF: sigma {fit.sigma:.3f} deg (RFs: {law:.3f})")
ax.legend(loc="lower left", fontsize="small")
save(fig, 3)

del images, prf, predicted  # prf_experiment draws its own bars: free these frames

# %%
# pRF size against eccentricity
# -----------------------------
# :func:`cortex.analysis.prf_experiment` runs the same experiment for every
# voxel, and :func:`cortex.analysis.prf_size_law` fits ``sigma = slope * E +
# intercept`` to the results, as Wandell & Winawer (2015) did across visual
# areas. The fitted law, with the scatter of positions removed, recovers the
# one the neurons were given, to about 2% in slope and 0.005 deg in
# intercept: the simulated voxels measure the size of the neurons' RFs,
# slightly widened by where the neurons sit. What is left comes from the
# neurons' sizes, quantised in 5% steps (a voxel's neurons can all sit a
# little below the law), from the few dozen discrete positions in each voxel
# and from the pixels (about 2 per RF s.d. at 1 deg).

fits = prf_experiment(population, voxels, radii, bar_width=bar_width, step=step)
fitted_slope, fitted_intercept = prf_size_law(fits)
raw_slope, raw_intercept = prf_size_law(fits, corrected=False)
print(
    f"{'E (deg)':>7s} {'pRF x, y (deg)':>16s} {'sigma':>7s} {'scatter removed':>15s} "
    f"{'law':>6s} {'R^2':>8s}"
)
for fit, e_voxel in zip(fits, eccentricities, strict=True):
    print(
        f"{e_voxel:7.2f} {fit.x:7.2f}, {fit.y:6.2f} {fit.sigma:7.3f} {fit.neuron_sigma:15.3f} "
        f"{float(prf_size('V1', e_voxel)):6.3f} {fit.r2:8.5f}"
    )
print(
    f"pRF size law, scatter removed: slope {fitted_slope:.3f} deg/deg, intercept "
    f"{fitted_intercept:.3f} deg (Wandell & Winawer 2015: {slope} / {intercept})"
)
print(f"pRF size law, voxel pRFs as fitted: slope {raw_slope:.3f}, intercept {raw_intercept:.3f}")

fig, ax = plt.subplots(figsize=(7.5, 5.5), layout="constrained")
e = np.linspace(0.0, e_max + 0.5, 100)
fitted_e = np.array([f.eccentricity for f in fits])
ax.plot(e, prf_size("V1", e), "k-", lw=2, label=f"published: {slope} E + {intercept}")
ax.plot(
    e,
    fitted_slope * e + fitted_intercept,
    "C3--",
    label=f"fitted: {fitted_slope:.3f} E + {fitted_intercept:.3f}",
)
ax.plot(
    fitted_e, [f.sigma for f in fits], "o", mfc="none", mec="C0", ms=9, label="voxel pRF, sigma"
)
ax.plot(fitted_e, [f.neuron_sigma for f in fits], "o", color="C3", ms=5, label="scatter removed")
ax.set(
    xlabel="eccentricity of the pRF centre (deg)",
    ylabel="pRF size, sigma (deg)",
    title="V1 pRF size, simulated voxels vs Wandell & Winawer 2015",
    xlim=(0.0, e[-1]),
    ylim=(0.0, None),
)
ax.legend(loc="upper left")
save(fig, 4)

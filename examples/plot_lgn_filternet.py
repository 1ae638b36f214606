"""
400 LGN cells of bmtk's FilterNet watching a natural movie
==========================================================

The Allen Institute's Brain Modeling Toolkit (bmtk) models the lateral
geniculate nucleus (LGN) with *FilterNet*: every cell is a spatial Gaussian
times a cosine-bump temporal filter, and its firing rate is
``max(0, linear + spontaneous rate)``. Its LGN setting is a 240 x 120 deg
field at 1 px/deg, movies at 1000 frames/s, and cells such as ``tON_TF8``
(a transient ON cell tuned to about 8 Hz).

Here we bring such cells to :mod:`cortex` from a per-cell table, as an LGN
modeller would bring them from bmtk (:func:`cortex.filternet.population_from_table`):
400 cells, an ON and an OFF cell at each of 200 positions. They watch a
natural image through moving eyes (:func:`cortex.movies.natural_movie`),
:func:`cortex.dynamics.movie_responses` gives their rates, and we time it
against a plain numpy/scipy reference, as the benchmark
``benchmarks/bench_movies.py`` does. Finally, Poisson spikes go to
`Neo <https://neo.readthedocs.io>`_ (:func:`cortex.neo_bridge.to_neo`), and
the raster and the peri-stimulus time histogram (PSTH) are drawn from the
Neo trains with matplotlib and `Elephant <https://elephant.readthedocs.io>`_,
the way an electrophysiologist would analyse a recording. Positions are in
degrees, times in seconds (the kernels in ms), rates in spikes/s.
"""

import contextlib
import math
import os
import statistics
import time

import matplotlib.pyplot as plt
import neo
import numpy as np
import quantities as pq
import scipy.signal
from elephant.statistics import time_histogram

import cortex
from cortex.dynamics import movie_responses
from cortex.filternet import population_from_table
from cortex.movies import Movie, natural_movie
from cortex.neo_bridge import from_neo, to_neo
from cortex.plotting import plot_image, plot_kernel, plot_mosaic, plot_psth
from cortex.spikes import poisson_spikes

try:  # one BLAS thread while timing, as the benchmark (threadpoolctl comes with scikit-learn)
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - the timings then use numpy's default threads
    threadpool_limits = None

# A shorter movie, fewer cells to time, one timing round and fewer trials when
# the example runs as a quick test (CORTEX_EXAMPLE_SMALL=1).
SMALL = os.environ.get("CORTEX_EXAMPLE_SMALL") == "1"
FIGURES_DIR = os.environ.get("CORTEX_FIGURES_DIR")


def save(fig, n):
    """Save a figure as PNG if CORTEX_FIGURES_DIR is set."""
    if FIGURES_DIR:
        os.makedirs(FIGURES_DIR, exist_ok=True)
        fig.savefig(os.path.join(FIGURES_DIR, f"plot_lgn_filternet_{n}.png"), dpi=100)


# %%
# A bmtk cell table: 400 cells
# ----------------------------
# bmtk describes its LGN cells by per-cell parameters: a position, a spatial
# size and the cosine-bump temporal filter of the cell's model. ``tON_TF8``
# has bump weights 4.2185 and -2.4050 and bump peaks 8.5246 and 23.2468 ms,
# no delays, and a spontaneous rate of 2.6 spikes/s; its spatial Gaussian has
# sigma 2 deg (bmtk's ``spatial_size`` of 6 deg is three sigmas). Our OFF
# cells use the same temporal filter with the sign of the spatial RF flipped
# (bmtk's OFF unit, amplitude -1): a cell that is excited by light at its
# centre becomes one excited by darkness.
#
# The cells sit at 200 positions, every 12 px on a 20 x 10 grid of pixel
# centres, each with an ON and an OFF cell: :func:`~cortex.filternet.population_from_table`
# needs every cell type at every position, and makes one RF type per distinct
# set of (polarity, temporal) parameters. bmtk places a cell at ``(x, y)``
# degrees from the movie's first pixel with ``y`` down; cortex measures from
# fixation with ``y`` up, so the table holds
# :meth:`~cortex.VisualField.px_to_deg` of the pixel each cell sits on (see
# :mod:`cortex.filternet` for bmtk's conventions). The table is a dict of
# columns, one entry per cell; a pandas DataFrame would do as well.

FPS = 1000.0  # frames/s: bmtk's temporal filters are sampled every millisecond
DURATION = 0.25 if SMALL else 1.0  # s
SIGMA = 2.0  # deg
TON_TF8 = {"weights": (4.2185, -2.4050), "kpeaks": (8.5246, 23.2468), "delays": (0, 0)}
SPONTANEOUS = 2.6  # spikes/s

field = cortex.VisualField(width=240.0, height=120.0, pixels_per_degree=1.0)
site_rows, site_cols = np.meshgrid(6 + 12 * np.arange(10), 6 + 12 * np.arange(20), indexing="ij")
x, y = field.px_to_deg(site_rows.ravel(), site_cols.ravel())
n_sites = x.size
table = {
    "x": np.concatenate([x, x]),
    "y": np.concatenate([y, y]),
    "sigma": np.full(2 * n_sites, SIGMA),
    "weights": [TON_TF8["weights"]] * (2 * n_sites),
    "kpeaks": [TON_TF8["kpeaks"]] * (2 * n_sites),  # ms, bmtk's unit (time_unit="ms")
    "delays": [TON_TF8["delays"]] * (2 * n_sites),
    "polarity": ["ON"] * n_sites + ["OFF"] * n_sites,
}
population, temporal = population_from_table(table, field)
n_cells = population.n_neurons
is_on = population.neuron_type == 0  # type 0 is ON (first in the table), type 1 OFF
print(
    f"{n_cells} cells: {population.n_types} types ({', '.join(map(str, population.types))}) "
    f"at {population.n_sites} sites"
)
print(f"temporal kernels: {temporal}")

# The temporal filter: bmtk's samples, one a millisecond, and what they add up to
taps = temporal[0].kernel(FPS)  # at 1000 frames/s, cortex's taps are bmtk's samples
step = np.cumsum(taps)
peak_ms = float(np.argmax(taps))
print(
    f"tON_TF8: {taps.size} taps of 1 ms, peak at a lag of {peak_ms:g} ms, DC gain "
    f"{temporal[0].dc_gain:.2f}; step response peaks at {step.max():.1f} "
    f"({step.max() / temporal[0].dc_gain:.0f}x its final value) after {np.argmax(step) + 1} ms"
)

fig, axes = plt.subplots(
    1, 3, figsize=(15, 3.9), layout="constrained", width_ratios=[2.0, 1.0, 1.25]
)
plot_mosaic(population, level="sigma", ax=axes[0], show_centers=True)
axes[0].set_title(
    f"{population.n_sites} sites x (ON, OFF) = {n_cells} cells; circles: 1 sigma",
    fontsize="medium",
)
kernel_on = population.kernels(0)[0]
plot_kernel(kernel_on, field.pixels_per_degree, ax=axes[1])
axes[1].set_title(
    f"ON RF: Gaussian, sigma {SIGMA:g} deg ({kernel_on.shape[0]} x {kernel_on.shape[1]} px)"
    "\nthe OFF RF is its negative",
    fontsize="medium",
)
t = np.arange(0.0, 0.12, 0.0002)  # s
for kernel, name, style in zip(temporal, ("ON", "OFF"), ("-", "--"), strict=True):
    axes[2].plot(1000 * t, kernel.impulse_response(t), style, label=f"{name} cells")
axes[2].axhline(0.0, color="0.6", linewidth=0.8)
axes[2].set(
    xlabel="lag (ms)",
    ylabel="impulse response (1/s)",
    title=f"tON_TF8 cosine bumps: peak {peak_ms:g} ms, DC gain {temporal[0].dc_gain:.2f}",
)
axes[2].title.set_fontsize("medium")
axes[2].legend(fontsize="small", title="same filter for", title_fontsize="small")
save(fig, 1)

# %%
# A natural movie and the 400 cells' rates
# ----------------------------------------
# The movie is the "coffee" picture of scikit-image seen by an eye that
# drifts at 10 deg/s and makes saccades of 10 deg about three times a second
# (larger than :func:`~cortex.movies.natural_movie`'s defaults: bmtk's field
# is coarse, 1 px per deg, and its cells span several pixels). It lasts
# 1 s at 1000 frames/s, bmtk's setting (0.25 s in the quick run).
#
# :func:`~cortex.dynamics.movie_responses` filters every frame at the cells'
# positions, then each cell along time with its type's kernel, adds the
# spontaneous rate and rectifies: bmtk's ``max(0, linear + 2.6)``. (cortex's
# :class:`~cortex.Gaussian` samples the density at the pixel centres, while
# bmtk blurs a point and warps it: their kernels differ by a few percent.
# ``benchmarks/bench_movies.py`` exports bmtk's own kernels with
# :func:`~cortex.filternet.export_bmtk_kernel` and checks that cortex's rates
# then equal bmtk's.)
#
# ``tON_TF8`` is very transient: its step response overshoots its final value
# many times over (the factor is printed above), so a steady image barely
# moves the rates away from 2.6 spikes/s, while a saccade, which swaps the
# image under all receptive fields at once, sets off a brief burst in the
# cells whose centre got brighter (ON) or darker (OFF): the change across the
# last saccade is drawn below, red where the image brightened. The movie
# starts after a grey screen (the filters start from rest), so its first
# frames are such a change too.

movie, gaze = natural_movie(
    field,
    FPS,
    DURATION,
    seed=117,  # a saccade in the quick run's 0.25 s too
    image="coffee",
    drift_speed=10.0,
    saccade_rate=3.0,
    saccade_amplitude=10.0,
    return_gaze=True,
)
saccades = movie.times[np.flatnonzero(np.hypot(*np.diff(gaze, axis=0).T) > 1.0) + 1]
rates = movie_responses(population, movie, temporal, baseline=SPONTANEOUS)  # (T, 400)
print(
    f"movie: {movie.n_frames} frames of {field.shape[1]} x {field.shape[0]} px at "
    f"{FPS:g} frames/s ({movie.frames.nbytes / 2**20:.0f} MiB), saccades at "
    f"{np.round(saccades, 3).tolist()} s"
)
print(
    f"rates: mean {rates.mean():.2f} spikes/s, largest {rates.max():.1f} spikes/s, "
    f"0 (rectified) in {np.mean(rates == 0):.1%} of the frames x cells"
)

SITE_COLORS = ("C0", "C3", "C4")
# three active sites far apart: the site of the largest rate, then the next ones at
# least 40 deg from those chosen
peak_rate = np.maximum(rates[:, is_on].max(axis=0), rates[:, ~is_on].max(axis=0))
active = []
for site in np.argsort(peak_rate)[::-1]:
    if all(np.hypot(x[site] - x[a], y[site] - y[a]) >= 40.0 for a in active):
        active.append(site)
    if len(active) == 3:
        break

fig = plt.figure(figsize=(15, 9.5), layout="constrained")
top, bottom = fig.subfigures(2, 1, height_ratios=[1.0, 1.25])
ax_frames = top.subplots(1, 2)
plot_image(movie.frames[0], field, ax=ax_frames[0], cmap="gray", vmin=-1.0, vmax=1.0)
ax_frames[0].set_title("frame 0: the image, and the cells' sites", fontsize="medium")
if saccades.size:  # what changes under the RFs at the last saccade: ON cells see the gains
    n = int(round(saccades[-1] * FPS))
    change = movie.frames[n] - movie.frames[n - 1]
    plot_image(change, field, ax=ax_frames[1], cmap="RdBu_r", vmin=-1.5, vmax=1.5, colorbar=True)
    ax_frames[1].images[0].colorbar.set_label("contrast change")
    ax_frames[1].set_title(
        f"change at the saccade at {saccades[-1]:.3f} s (frame {n} - frame {n - 1})",
        fontsize="medium",
    )
else:  # no saccade in this (short) movie: its last frame
    n = movie.n_frames - 1
    plot_image(movie.frames[n], field, ax=ax_frames[1], cmap="gray", vmin=-1.0, vmax=1.0)
    ax_frames[1].set_title(f"frame {n} (t = {movie.times[n]:.3f} s)", fontsize="medium")
for ax in ax_frames:
    ax.plot(x, y, ".", color="C1", markersize=3)
    for site, color in zip(active, SITE_COLORS, strict=True):
        ax.plot(x[site], y[site], "o", mfc="none", color=color, markersize=10, mew=2)
ax_rates, ax_all = bottom.subplots(2, 1, sharex=True)
for site, color in zip(active, SITE_COLORS, strict=True):
    for offset, name, style in ((0, "ON", "-"), (n_sites, "OFF", "--")):
        ax_rates.plot(
            movie.times,
            rates[:, offset + site],
            style,
            color=color,
            linewidth=1.0,
            label=f"{name} at ({x[site]:g}, {y[site]:g}) deg",
        )
ax_rates.axhline(SPONTANEOUS, color="k", linestyle=":", linewidth=0.8)
ax_rates.set(ylabel="rate (spikes/s)", title="The ON and OFF cells at three active sites (circled)")
ax_rates.title.set_fontsize("medium")
ax_rates.legend(fontsize="x-small", ncols=3, loc="upper left", bbox_to_anchor=(0.07, 1.0))
image = ax_all.imshow(
    rates.T,
    aspect="auto",
    origin="lower",
    cmap="magma",
    interpolation="nearest",
    extent=(0.0, movie.duration, -0.5, n_cells - 0.5),
)
ax_all.axhline(n_sites - 0.5, color="w", linewidth=0.8)
ax_all.set(xlabel="time (s)", ylabel="cell (ON below, OFF above)")
ax_all.set_title(f"All {n_cells} cells' rates (spikes/s)", fontsize="medium")
cax = ax_all.inset_axes([1.01, 0.0, 0.012, 1.0])
bottom.colorbar(image, cax=cax)
for ax in (ax_rates, ax_all):
    for when in saccades:
        ax.axvline(when, color="C2", linewidth=1.0, alpha=0.8)
ax_rates.set_xlim(0.0, movie.duration)
save(fig, 2)

# %%
# The bench's figure: cortex against a plain numpy/scipy reference
# ----------------------------------------------------------------
# How fast is it? ``benchmarks/bench_movies.py`` times bmtk's FilterNet, a
# plain numpy/scipy reference and cortex on bmtk's LGN setting, N ON
# ``tON_TF8`` cells on a square grid (sqrt(N) x sqrt(N) pixel centres, at
# least 9 px from the edges), and checks that cortex's rates equal bmtk's.
# bmtk is not needed here: we measure the same comparison live against the
# reference, on this movie (the bench uses bmtk's drifting grating; neither
# computation depends on what the frames show). The reference is what one would write by hand:
# all cells' spatial kernels as one sparse matrix
# (:func:`cortex.connectivity_matrix`), times the frames reshaped to
# (frames, pixels); one causal :func:`scipy.signal.lfilter` along time with
# the kernel's taps; the rectifier. cortex's rates are checked equal to it
# first (float64 to 1e-8 of the peak rate, float32 to 1e-5), then each is
# timed in interleaved rounds (median; with one BLAS thread, as the
# benchmark: on a busy machine a second thread can slow everything down).
# Run ``python benchmarks/bench_movies.py`` (with ``pip install 'cortex[bench]'``)
# for bmtk's own times.

CELLS = (100, 400) if SMALL else (100, 400, 1600)
REPEATS = 1 if SMALL else 5
TOLERANCE = {"float64": 1e-8, "float32": 1e-5}  # of the peak rate
movie32 = Movie(movie.frames.astype(np.float32), FPS, field)  # half the memory
flat = movie.frames.reshape(movie.n_frames, -1)


def square_grid_population(n):
    """N ON tON_TF8 cells on a sqrt(N) x sqrt(N) grid of pixels, 9 px or more from the edges."""
    side = math.isqrt(n)
    rows = np.linspace(9, field.shape[0] - 1 - 9, side).round()
    cols = np.linspace(9, field.shape[1] - 1 - 9, side).round()
    gx, gy = field.px_to_deg(*np.meshgrid(rows, cols, indexing="ij"))
    cells = {"x": gx.ravel(), "y": gy.ravel(), "sigma": np.full(n, SIGMA)}
    cells.update({key: [value] * n for key, value in TON_TF8.items()})
    return population_from_table(cells, field)  # all ON: the polarity column is optional


timings = {}  # (cells, candidate) -> median seconds
limit_threads = threadpool_limits(limits=1, user_api="blas") if threadpool_limits else None
with limit_threads or contextlib.nullcontext():
    for n in CELLS:
        pop_n, (kernel_n,) = square_grid_population(n)
        matrix = cortex.connectivity_matrix(pop_n).T.tocsr()  # (pixels, cells), sparse
        taps_n = kernel_n.kernel(FPS)

        def reference(matrix=matrix, taps_n=taps_n):
            drive = flat @ matrix  # (frames, cells)
            linear = scipy.signal.lfilter(taps_n, [1.0], drive, axis=0)  # causal, along time
            return np.maximum(linear + SPONTANEOUS, 0.0)

        candidates = {
            "numpy/scipy reference": reference,
            "cortex, float64 movie": lambda p=pop_n, k=kernel_n: movie_responses(
                p, movie, k, baseline=SPONTANEOUS
            ),
            "cortex, float32 movie": lambda p=pop_n, k=kernel_n: movie_responses(
                p, movie32, k, baseline=SPONTANEOUS
            ),
        }
        expected = reference()
        peak = np.abs(expected).max()
        for name, fn in candidates.items():  # equal first (and each one warmed up)
            result = fn()
            tolerance = TOLERANCE[str(result.dtype)] * peak
            assert np.allclose(result, expected, rtol=0.0, atol=tolerance), name
        samples = {name: [] for name in candidates}
        for _ in range(REPEATS):
            for name, fn in candidates.items():
                start = time.perf_counter()
                fn()
                samples[name].append(time.perf_counter() - start)
        for name, values in samples.items():
            timings[n, name] = statistics.median(values)

names = list(candidates)
print(f"ms per second of movie ({movie.n_frames} frames; median of {REPEATS} round(s)):")
print(f"{'cells':>6}  " + "  ".join(f"{name:>22}" for name in names))
for n in CELLS:
    row = "  ".join(
        f"{1000 * timings[n, name] / movie.duration:13.1f} "
        f"({timings[n, names[0]] / timings[n, name]:4.1f}x)"
        for name in names
    )
    print(f"{n:>6,}  {row}")

fig, ax = plt.subplots(figsize=(9, 4.8), layout="constrained")
width = 0.27
positions = np.arange(len(CELLS))
colors = ("0.6", "C0", "C1")
for k, (name, color) in enumerate(zip(names, colors, strict=True)):
    ms = [1000 * timings[n, name] / movie.duration for n in CELLS]
    bars = ax.bar(positions + (k - 1) * width, ms, width, color=color, label=name)
    speedups = [timings[n, names[0]] / timings[n, name] for n in CELLS]
    ax.bar_label(bars, [f"{s:.1f}x" for s in speedups], fontsize="small", padding=2)
ax.set_xticks(positions, [f"{n:,} ON cells" for n in CELLS])
ax.set_ylabel("time per second of movie (ms)")
ax.margins(y=0.12)
at = 400 if 400 in CELLS else CELLS[-1]
ax.set_title(
    f"Rates of LGN cells, {movie.n_frames} frames of {field.shape[1]} x {field.shape[0]} px "
    f"(labels: speed-up over the reference)\ncortex at {at} cells: "
    f"{timings[at, names[0]] / timings[at, names[1]]:.1f}x (float64), "
    f"{timings[at, names[0]] / timings[at, names[2]]:.1f}x (float32); median of {REPEATS} round(s)",
    fontsize="medium",
)
ax.legend(loc="upper left", fontsize="small")
save(fig, 3)

# %%
# Spikes in repeated trials, exported to Neo
# ------------------------------------------
# An electrophysiologist shows the movie many times and aligns the spikes of
# every trial on its start. We do the same: each cell fires in each trial as
# an inhomogeneous Poisson process with the rate of each frame
# (:func:`~cortex.spikes.poisson_spikes`, all trials in one call: the rates
# tiled, so that neuron ``k * 400 + j`` is cell ``j`` in trial ``k``).
#
# :func:`~cortex.neo_bridge.to_neo` turns each trial's spikes into one
# :class:`neo.SpikeTrain` per cell, in seconds, annotated with the cell's index
# and its RF position in degrees (``population.centers``: the mosaic's
# centres once per type, in the neurons' order); Neo annotations carry
# anything else the analysis needs, here the trial and each cell's polarity.
# In Neo's data model a trial is a :class:`neo.Segment` of a
# :class:`neo.Block`: what Neo's IO modules write (NWB, NIX, ...), and what
# :func:`~cortex.neo_bridge.from_neo` reads back, exactly.

N_TRIALS = 10 if SMALL else 30
all_trains = poisson_spikes(np.tile(rates, (1, N_TRIALS)), FPS, seed=1)
block = neo.Block(name="LGN cells of bmtk's FilterNet watching a natural movie")
for trial in range(N_TRIALS):
    trial_trains = all_trains.select(np.arange(trial * n_cells, (trial + 1) * n_cells))
    segment = neo.Segment(name=f"trial {trial}", index=trial)
    segment.spiketrains = to_neo(
        trial_trains, positions=population.centers, annotations={"trial": trial}
    )
    for train, on in zip(segment.spiketrains, is_on, strict=True):
        train.annotate(polarity="ON" if on else "OFF")
    block.segments.append(segment)
    assert from_neo(segment) == trial_trains  # the same spikes, bit for bit
print(
    f"{all_trains.n_spikes} spikes of {n_cells} cells in {N_TRIALS} trials of "
    f"{all_trains.duration:g} s: {len(block.segments)} Neo segments of "
    f"{len(block.segments[0].spiketrains)} trains"
)
print(f"a Neo train's annotations: {block.segments[0].spiketrains[0].annotations}")

# %%
# A raster and PSTHs from the Neo trains
# --------------------------------------
# The raster is matplotlib's :meth:`~matplotlib.axes.Axes.eventplot` of the
# Neo trains of the ON and the OFF cell at the most active site, one row per
# trial: their spikes line up across trials after the movie's onset and the
# saccades (green lines), when the rate rises far above the spontaneous rate,
# and scatter at random in between. The PSTHs are Elephant's
# ``time_histogram(..., output="rate")`` of the chosen trains: spikes per
# bin, averaged over the trains, in spikes/s. For the two cells they follow
# the model's rates; for the population (all ON trains, chosen by their
# ``polarity`` annotation, of all trials; then all OFF trains) they follow the
# model's mean rate. It hardly moves during the drift (the filter is
# transient) and rises after the saccades, in the ON and the OFF cells alike:
# with a spontaneous rate of only 2.6 spikes/s, the rectifier lets the excited
# cells' bursts through but cuts most of the other cells' suppression.
# cortex's own :meth:`SpikeTrains.psth
# <cortex.spikes.SpikeTrains.psth>` gives Elephant's numbers (the steps,
# drawn with :func:`~cortex.plotting.plot_psth`; the dots are Elephant's).

BIN = 0.01  # s
n_bins = round(all_trains.duration / BIN)
per_bin = round(BIN * FPS)  # frames


def elephant_psth(neo_trains):
    """Elephant's PSTH (spikes/s) of Neo trains and its bins' centres (s)."""
    histogram = time_histogram(neo_trains, bin_size=BIN * pq.s, output="rate")
    centres = histogram.times.rescale("s").magnitude + BIN / 2
    return histogram.rescale(1 / pq.s).magnitude.ravel(), centres


def binned(rate):
    """A model rate (frames,) averaged in the PSTH's bins."""
    return rate[: n_bins * per_bin].reshape(n_bins, per_bin).mean(axis=1)


fig, axes = plt.subplots(
    4, 1, figsize=(12, 13), sharex=True, layout="constrained", height_ratios=[1.6, 1, 1, 1]
)
site = active[0]
cells = {"ON": site, "OFF": n_sites + site}  # the two cells at the most active site
rows, colors = [], []
for polarity, color in (("ON", "C0"), ("OFF", "C3")):
    rows += [segment.spiketrains[cells[polarity]] for segment in block.segments]
    colors += [color] * N_TRIALS
axes[0].eventplot(
    [train.rescale("s").magnitude for train in rows],
    colors=colors,
    linelengths=0.85,
    linewidths=1.0,
)
axes[0].axhline(N_TRIALS - 0.5, color="0.5", linewidth=0.8)
axes[0].set(
    ylim=(-0.5, 2 * N_TRIALS - 0.5),
    ylabel="trial (ON cell below, OFF above)",
)
axes[0].set_title(
    f"Raster of the ON and the OFF cell at ({x[site]:g}, {y[site]:g}) deg, "
    f"{N_TRIALS} trials: {sum(train.size for train in rows)} spikes",
    fontsize="medium",
)

for polarity, color in (("ON", "C0"), ("OFF", "C3")):
    j = cells[polarity]
    theirs, centres = elephant_psth([segment.spiketrains[j] for segment in block.segments])
    ours, edges = all_trains.psth(BIN, neurons=j + n_cells * np.arange(N_TRIALS))
    assert np.allclose(theirs, ours, rtol=1e-12, atol=0.0), polarity
    axes[1].stairs(ours, edges, color=color, label=f"{polarity} cell, {N_TRIALS} trials")
    axes[1].plot(centres, theirs, "o", color="k", markersize=2.5)
    axes[1].plot(movie.times, rates[:, j], color=color, linewidth=0.8, alpha=0.6)
axes[1].set(ylabel="rate (spikes/s)")
axes[1].set_title(
    f"PSTHs of these two cells, {1000 * BIN:g} ms bins (thin lines: the model's rates)",
    fontsize="medium",
)
axes[1].legend(fontsize="small", loc="upper right")

for ax, polarity, color in ((axes[2], "ON", "C0"), (axes[3], "OFF", "C3")):
    chosen = [
        train
        for segment in block.segments
        for train in segment.spiketrains
        if train.annotations["polarity"] == polarity
    ]
    theirs, centres = elephant_psth(chosen)
    # the same neurons in cortex's trains: cell j of trial k is neuron k * n_cells + j
    neurons = [
        train.annotations["trial"] * n_cells + train.annotations["neuron"] for train in chosen
    ]
    ours, edges = all_trains.psth(BIN, neurons=neurons)
    assert np.allclose(theirs, ours, rtol=1e-12, atol=0.0), polarity
    plot_psth(all_trains, BIN, ax, neurons=neurons, color=color, label="cortex SpikeTrains.psth")
    ax.plot(centres, theirs, "o", color="k", markersize=2.5, label="Elephant time_histogram")
    model = binned(rates[:, (is_on if polarity == "ON" else ~is_on)].mean(axis=1))
    ax.stairs(model, edges, color="0.4", linewidth=1.2, label="model's mean rate")
    ax.axhline(SPONTANEOUS, color="k", linestyle=":", linewidth=0.8, label="spontaneous rate")
    ax.set_ylim(0.0, 1.2 * max(ours.max(), model.max()))
    ax.set_xlabel("")
    ax.set_title(
        f"PSTH of the {n_sites} {polarity} cells x {N_TRIALS} trials ({len(chosen)} Neo "
        f"trains), {1000 * BIN:g} ms bins; Elephant - cortex: at most "
        f"{np.abs(theirs - ours).max():.1g} spikes/s",
        fontsize="medium",
    )
    ax.legend(fontsize="x-small", loc="upper right", ncols=2)
for ax in axes:
    for when in saccades:
        ax.axvline(when, color="C2", linewidth=1.0, alpha=0.8)
axes[0].set_xlim(0.0, all_trains.duration)
axes[3].set_xlabel("time (s)")
save(fig, 4)

"""Plots of RF kernels, mosaics and their statistics, coverage and population responses.

This is the only module of :mod:`cortex` that imports matplotlib; nothing in
the core imports it.  Every function follows one pattern: it takes the data,
an optional ``ax`` (default :func:`matplotlib.pyplot.gca`), keyword options and
``**kwargs`` passed to the main matplotlib artist, draws, and returns the
Axes.  None calls :func:`matplotlib.pyplot.show`.

Spike trains (:class:`cortex.spikes.SpikeTrains`) are plotted against time
in seconds: a raster (all spikes as one collection of ticks) and a PSTH.
Movies and space-time kernels are shown as x-t slices (degrees along x,
seconds down y), direction tuning on polar axes.

Spatial plots are in degrees of visual angle (``x`` right, ``y`` up) with an
equal aspect ratio.  A population's RFs are drawn as one
:class:`~matplotlib.collections.EllipseCollection` and its responses as one
scatter, never one artist per neuron.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.collections import EllipseCollection, PolyCollection
from matplotlib.colors import BoundaryNorm, Colormap, to_rgba_array
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter, ScalarFormatter
from scipy.spatial import cKDTree

from ._validation import (
    _describe,
    as_float_array,
    check_bool,
    check_choice,
    check_finite,
    check_integer,
    check_memory,
    check_positive,
    check_ppd,
    check_range,
)
from .analysis import GaborFit, TuningCurve
from .mosaic import Mosaic
from .mosaic_stats import (
    DensityRecoveryProfile,
    NearestNeighbors,
    _voronoi,
    density_recovery_profile,
    nearest_neighbor_distances,
)
from .population import Population
from .receptive_fields import ReceptiveField, _check_n_sigma
from .spikes import SpikeTrains, _check_trains, _neuron_indices
from .visual_field import VisualField

__all__ = [
    "plot_coverage",
    "plot_density_recovery_profile",
    "plot_direction_tuning",
    "plot_filter_grid",
    "plot_image",
    "plot_kernel",
    "plot_layer_tiling",
    "plot_mapping_convergence",
    "plot_mosaic",
    "plot_nn_histogram",
    "plot_psth",
    "plot_raster",
    "plot_response_map",
    "plot_rf_map",
    "plot_tuning_curve",
    "plot_voronoi",
    "plot_xt",
]

_PARTS = ("real", "imag", "abs")
#: largest line width (points) and marker area (points**2) the plots accept.
_MAX_LINEWIDTH = 1e3
_MAX_MARKER_SIZE = 1e8


# -- helpers -----------------------------------------------------------------
def _check_ax(ax: object) -> None:
    """Refuse an ``ax`` that is neither None nor an Axes (before anything is drawn)."""
    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"`ax` must be a matplotlib Axes or None, got {type(ax).__name__}")


def _get_ax(ax: object) -> Axes:
    """Return ``ax``, or the current Axes if it is None."""
    _check_ax(ax)
    return plt.gca() if ax is None else ax


def _check_cmap(cmap: object) -> None:
    """``cmap`` must be a Colormap or the name of a registered one."""
    if isinstance(cmap, Colormap):
        return
    if not isinstance(cmap, str):
        raise TypeError(
            f"`cmap` must be a colormap name or a matplotlib Colormap, got {_describe(cmap)}"
        )
    if cmap not in colormaps:
        raise ValueError(
            f"`cmap` must be the name of a registered colormap (matplotlib.colormaps), got {cmap!r}"
        )


def _check_color(value: object, name: str) -> None:
    """``value`` must be a matplotlib colour (or a sequence of them, or "none")."""
    if isinstance(value, bool | np.bool_) or value is None:
        raise TypeError(f"`{name}` must be a matplotlib color, got {_describe(value)}")
    try:
        to_rgba_array(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"`{name}` must be a matplotlib color, got {_describe(value)}") from exc


def _check_field(field: object) -> VisualField:
    if not isinstance(field, VisualField):
        raise TypeError(f"`field` must be a VisualField, got {type(field).__name__}")
    return field


def _label_degrees(ax: Axes) -> None:
    ax.set_xlabel("x (deg)")
    ax.set_ylabel("y (deg)")
    ax.set_aspect("equal")


def _as_correlation(value: object) -> np.ndarray:
    """Correlations as a float array: numeric, NaN allowed (silent units), no inf, in [-1, 1]."""
    if value is None or isinstance(value, str | bytes | bool | np.bool_):
        raise TypeError(f"`correlation` must be array-like of numbers, got {_describe(value)}")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"`correlation` must be array-like of numbers, got {_describe(value)}"
        ) from exc
    if array.dtype.kind not in "iuf":
        raise TypeError(f"`correlation` must hold real numbers, got dtype {array.dtype}")
    array = array.astype(float, copy=False)
    if array.size == 0:
        raise ValueError(f"`correlation` must not be empty, got shape {array.shape}")
    if np.any(np.isinf(array)):
        raise ValueError("`correlation` must be finite or NaN, got infinite values")
    finite = array[np.isfinite(array)]
    if finite.size and (finite.min() < -1 - 1e-9 or finite.max() > 1 + 1e-9):
        raise ValueError(
            f"`correlation` must be in [-1, 1], got values from {finite.min():g} to "
            f"{finite.max():g}"
        )
    return array


def _mosaic_and_rf(mosaic: object, rf: object) -> tuple[Mosaic, ReceptiveField]:
    """Resolve ``(mosaic, rf)`` from a Mosaic and an RF, or from a Population."""
    if isinstance(mosaic, Population):
        if rf is None:
            rf = mosaic.types[0]
        mosaic = mosaic.mosaic
    elif not isinstance(mosaic, Mosaic):
        raise TypeError(f"`mosaic` must be a Mosaic or a Population, got {type(mosaic).__name__}")
    elif rf is None:
        raise TypeError("`rf` is required when `mosaic` is a Mosaic (a ReceptiveField)")
    if not isinstance(rf, ReceptiveField):
        raise TypeError(f"`rf` must be a ReceptiveField, got {type(rf).__name__}")
    return mosaic, rf


def _set_field_limits(ax: Axes, field: VisualField) -> None:
    left, right, bottom, top = field.extent
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)


# -- kernels and images ------------------------------------------------------
def plot_kernel(
    rf: ReceptiveField | np.ndarray,
    pixels_per_degree: float | None = None,
    *,
    ax: Axes | None = None,
    n_sigma: float = 3.0,
    part: str = "real",
    cmap: str = "RdBu_r",
    colorbar: bool = True,
    **kwargs: object,
) -> Axes:
    """Show an RF kernel as an image in degrees, centred on the RF centre.

    Parameters
    ----------
    rf : ReceptiveField or array_like, shape (kh, kw)
        An RF model (sampled with :meth:`~cortex.ReceptiveField.kernel`) or a kernel
        array (real or complex) whose pixel ``(kh // 2, kw // 2)`` is the RF
        centre, row 0 at the top.
    pixels_per_degree : float
        Sampling density in pixels per degree; required in both cases (it sets
        the kernel of an RF model and the degree extent of either).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current Axes.
    n_sigma : float, optional
        Kernel half-width in the RF's largest sigma (RF models only).
    part : {"real", "imag", "abs"}, optional
        Which part of a complex kernel (:class:`~cortex.ComplexCell`) to show.
    cmap : str or matplotlib.colors.Colormap, optional
        Colormap; a diverging one suits the symmetric colour limits.
    colorbar : bool, optional
        Add a colorbar labelled "weight (1/px)".
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.imshow` (e.g. ``vmin``,
        ``vmax``, ``interpolation``).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.  The image spans the kernel's pixels in degrees
        (half-width ``(k // 2 + 0.5) / pixels_per_degree`` for an odd side
        ``k``); colour limits are ``+/- max |kernel part|``.

    Raises
    ------
    TypeError
        If ``rf`` is neither a ReceptiveField nor numeric, ``pixels_per_degree``
        is missing or not a number, ``part`` is not a string, ``cmap`` is
        neither a name nor a Colormap, ``colorbar`` is not a bool, or ``ax``
        is not an Axes.
    ValueError
        If the kernel is not 2-D, is empty or not finite,
        ``pixels_per_degree`` is not in ``[1e-6, 1e6]`` px/deg, ``n_sigma``
        not in ``(0, 100]``, ``part`` is unknown or ``cmap`` not a registered
        colormap.
    cortex.MemoryBudgetError
        If sampling an RF model's kernel would exceed
        :func:`cortex.memory_budget`.
    """
    check_choice(part, "part", _PARTS)
    if pixels_per_degree is None:
        raise TypeError(
            "`pixels_per_degree` is required (it sets the kernel's extent in degrees), got None"
        )
    ppd = check_ppd(pixels_per_degree)
    _check_cmap(cmap)
    colorbar = check_bool(colorbar, "colorbar")
    n_sigma = _check_n_sigma(n_sigma)  # checked for kernel arrays too, where it is unused
    _check_ax(ax)
    if isinstance(rf, ReceptiveField):
        kernel = rf.kernel(ppd, n_sigma=n_sigma)
    else:
        kernel = as_float_array(rf, "rf", ndims=(2,), allow_complex=True, keep_float32=False)
    ax = _get_ax(ax)
    if part == "real":
        shown = kernel.real
    elif part == "imag":
        shown = kernel.imag if np.iscomplexobj(kernel) else np.zeros_like(kernel)
    else:
        shown = np.abs(kernel)
    kh, kw = shown.shape
    # Pixel i sits at offset (i - k // 2) / ppd from the centre; the extent spans pixel edges.
    left, right = -(kw // 2 + 0.5) / ppd, (kw - 1 - kw // 2 + 0.5) / ppd
    bottom, top = -(kh - 1 - kh // 2 + 0.5) / ppd, (kh // 2 + 0.5) / ppd
    vmax = float(np.max(np.abs(shown)))
    vmax = vmax if vmax > 0 else 1.0
    if "norm" not in kwargs:
        kwargs.setdefault("vmin", -vmax)
        kwargs.setdefault("vmax", vmax)
    kwargs.setdefault("interpolation", "nearest")
    image = ax.imshow(shown, extent=(left, right, bottom, top), origin="upper", cmap=cmap, **kwargs)
    _label_degrees(ax)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="weight (1/px)")
    return ax


def plot_image(
    image: np.ndarray,
    field: VisualField,
    *,
    ax: Axes | None = None,
    cmap: str = "gray",
    colorbar: bool = False,
    **kwargs: object,
) -> Axes:
    """Show an image on the visual field, in degree coordinates.

    Parameters
    ----------
    image : array_like, shape (H, W)
        The image, row 0 at the top of the field; ``(H, W) == field.shape``.
    field : VisualField
        The field the image covers; its :attr:`~cortex.VisualField.extent`
        places the image.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current Axes.
    cmap : str or matplotlib.colors.Colormap, optional
        Colormap.
    colorbar : bool, optional
        Add a colorbar labelled "image value".
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.imshow`.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    TypeError
        If ``image`` is not numeric, ``field`` is not a VisualField, ``cmap``
        is neither a name nor a Colormap, ``colorbar`` is not a bool, or
        ``ax`` is not an Axes.
    ValueError
        If ``image`` is not 2-D, is empty or not finite, its shape differs
        from ``field.shape``, or ``cmap`` is not a registered colormap.
    """
    image = as_float_array(image, "image", ndims=(2,))
    field = _check_field(field)
    if image.shape != field.shape:
        raise ValueError(
            f"`image` must have the field's shape {field.shape}, got shape {image.shape}"
        )
    _check_cmap(cmap)
    colorbar = check_bool(colorbar, "colorbar")
    ax = _get_ax(ax)
    artist = ax.imshow(image, extent=field.extent, origin="upper", cmap=cmap, **kwargs)
    _label_degrees(ax)
    if colorbar:
        ax.figure.colorbar(artist, ax=ax, label="image value")
    return ax


# -- mosaics -----------------------------------------------------------------
def plot_mosaic(
    mosaic: Mosaic | Population,
    rf: ReceptiveField | None = None,
    *,
    level: str | float = "half-max",
    ax: Axes | None = None,
    facecolor: object = "none",
    edgecolor: object = "C0",
    linewidth: float = 0.8,
    show_centers: bool = False,
    **kwargs: object,
) -> Axes:
    """Draw every neuron's RF contour: how the RFs tile the field.

    Parameters
    ----------
    mosaic : Mosaic or Population
        The RF centres and scales.  A :class:`~cortex.Population` stands for
        its mosaic and (when ``rf`` is None) its first neuron type.
    rf : ReceptiveField, optional
        The RF model at scale 1; required with a Mosaic.
    level : {"sigma", "half-max"} or float, optional
        Which contour to draw (see :func:`~cortex.contour_radius`); neuron
        ``i``'s ellipse has semi-axes ``(a, b) * mosaic.scales[i]`` from
        ``a, b, angle = rf.contour(level)``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current Axes.
    facecolor, edgecolor : color, optional
        Fill and outline of the ellipses.
    linewidth : float, optional
        Outline width in points, in ``[0, 1000]``.
    show_centers : bool, optional
        Also mark the RF centres (one scatter).
    **kwargs
        Passed to :class:`matplotlib.collections.EllipseCollection` (e.g.
        ``alpha``).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on, limited to the field's extent, with the field's
        border drawn as a thin rectangle.

    Raises
    ------
    TypeError
        If ``mosaic`` is neither a Mosaic nor a Population, ``rf`` is missing
        or not a ReceptiveField, ``linewidth`` is not a number,
        ``show_centers`` is not a bool, a colour is None or a bool, or ``ax``
        is not an Axes.
    ValueError
        If ``level`` is invalid, a colour is not a matplotlib colour, or
        ``linewidth`` is not in ``[0, 1000]``.
    """
    mosaic, rf = _mosaic_and_rf(mosaic, rf)
    a, b, angle = rf.contour(level)
    _check_color(facecolor, "facecolor")
    _check_color(edgecolor, "edgecolor")
    linewidth = check_range(
        check_positive(linewidth, "linewidth", allow_zero=True), "linewidth", 0.0, _MAX_LINEWIDTH
    )
    show_centers = check_bool(show_centers, "show_centers")
    ax = _get_ax(ax)
    scales = np.asarray(mosaic.scales, dtype=float)
    ellipses = EllipseCollection(
        widths=2.0 * a * scales,
        heights=2.0 * b * scales,
        angles=np.full(mosaic.n_neurons, angle),
        units="xy",
        offsets=mosaic.centers,
        offset_transform=ax.transData,
        facecolors=facecolor,
        edgecolors=edgecolor,
        linewidths=linewidth,
        **kwargs,
    )
    ax.add_collection(ellipses, autolim=False)
    left, right, bottom, top = mosaic.field.extent
    ax.add_patch(
        Rectangle(
            (left, bottom), right - left, top - bottom, fill=False, edgecolor="0.3", linewidth=0.6
        )
    )
    if show_centers:
        ax.scatter(mosaic.centers[:, 0], mosaic.centers[:, 1], s=4, color=edgecolor, linewidths=0)
    _set_field_limits(ax, mosaic.field)
    _label_degrees(ax)
    return ax


def plot_coverage(
    mosaic: Mosaic | Population,
    rf: ReceptiveField | None = None,
    *,
    level: str | float = "half-max",
    ax: Axes | None = None,
    cmap: str = "viridis",
    colorbar: bool = True,
    **kwargs: object,
) -> Axes:
    """Map how many RF contours cover each pixel of the field.

    Parameters
    ----------
    mosaic : Mosaic or Population
        The RF centres and scales (a Population stands for its mosaic and,
        when ``rf`` is None, its first neuron type).
    rf : ReceptiveField, optional
        The RF model at scale 1; required with a Mosaic.
    level : {"sigma", "half-max"} or float, optional
        The contour that counts as covering (see :meth:`~cortex.Mosaic.coverage`).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current Axes.
    cmap : str or matplotlib.colors.Colormap, optional
        Colormap, resampled to one colour per count.
    colorbar : bool, optional
        Add a colorbar with integer ticks labelled "RFs covering each point".
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.imshow`.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; the image holds ``mosaic.coverage(rf, level)``
        (shape ``(H, W)``) and the title gives the coverage factor
        :meth:`~cortex.Mosaic.coverage_factor`.

    Raises
    ------
    TypeError
        If ``mosaic`` is neither a Mosaic nor a Population, ``rf`` is missing
        or not a ReceptiveField, ``cmap`` is neither a name nor a Colormap,
        ``colorbar`` is not a bool, or ``ax`` is not an Axes.
    ValueError
        If ``level`` is invalid or ``cmap`` unknown.
    cortex.MemoryBudgetError
        If counting the coverage would exceed :func:`cortex.memory_budget`.
    """
    mosaic, rf = _mosaic_and_rf(mosaic, rf)
    _check_cmap(cmap)
    colorbar = check_bool(colorbar, "colorbar")
    _check_ax(ax)
    counts = mosaic.coverage(rf, level)
    factor = mosaic.coverage_factor(rf, level)
    ax = _get_ax(ax)
    lo, hi = int(counts.min()), int(counts.max())
    n_colors = hi - lo + 1
    colors = colormaps.get_cmap(cmap).resampled(n_colors)
    kwargs.setdefault("norm", BoundaryNorm(np.arange(lo - 0.5, hi + 1.0), n_colors))
    kwargs.setdefault("interpolation", "nearest")
    image = ax.imshow(counts, extent=mosaic.field.extent, origin="upper", cmap=colors, **kwargs)
    _label_degrees(ax)
    ax.set_title(f"coverage factor {factor:.2f} ({level} contours)")
    if colorbar:
        bar = ax.figure.colorbar(image, ax=ax, label="RFs covering each point")
        if n_colors <= 12:
            bar.set_ticks(np.arange(lo, hi + 1))
        else:
            bar.locator = MaxNLocator(integer=True)
            bar.update_ticks()
        bar.minorticks_off()
    return ax


# -- mosaic statistics -------------------------------------------------------
_HIST_BIN_RULES = ("auto", "fd", "doane", "scott", "stone", "rice", "sturges", "sqrt")


def _check_bins(bins: object) -> int | str:
    """``bins`` of a histogram: an int >= 1 or the name of a numpy rule."""
    if isinstance(bins, str):
        return check_choice(bins, "bins", _HIST_BIN_RULES)
    if isinstance(bins, bool | np.bool_) or not isinstance(bins, int | np.integer):
        raise TypeError(
            f"`bins` must be an integer >= 1 or one of {_HIST_BIN_RULES}, got {_describe(bins)}"
        )
    return check_integer(bins, "bins", minimum=1)


def plot_nn_histogram(
    data: Mosaic | NearestNeighbors,
    ax: Axes | None = None,
    *,
    bins: int | str = "auto",
    edge_correction: bool = True,
    show_mean: bool = True,
    **kwargs: object,
) -> Axes:
    """Histogram of the nearest-neighbour distances of a mosaic (Wassle & Riemann 1978).

    Parameters
    ----------
    data : Mosaic or cortex.mosaic_stats.NearestNeighbors
        A mosaic (measured with
        :func:`~cortex.mosaic_stats.nearest_neighbor_distances`) or the
        distances already measured.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current Axes.
    bins : int or str, optional
        Number of bins (>= 1) or a :func:`numpy.histogram_bin_edges` rule
        (``"auto"``, ``"fd"``, ``"doane"``, ``"scott"``, ``"stone"``,
        ``"rice"``, ``"sturges"``, ``"sqrt"``).
    edge_correction : bool, optional
        Passed to :func:`~cortex.mosaic_stats.nearest_neighbor_distances`
        when ``data`` is a Mosaic (checked, unused otherwise).
    show_mean : bool, optional
        Mark the mean distance with a dashed vertical line.
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.stairs` (the histogram, one
        artist), e.g. ``color``, ``alpha``.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: distances (deg) along x, counts of centres along
        y; the title gives the mean distance, the regularity index and how
        many centres were kept.

    Raises
    ------
    TypeError
        If ``data`` is neither a Mosaic nor a NearestNeighbors, ``bins`` is
        neither an int nor a string, a flag is not a bool, or ``ax`` is not
        an Axes.
    ValueError
        If ``bins`` is < 1 or an unknown rule.
    cortex.MemoryBudgetError
        As :func:`~cortex.mosaic_stats.nearest_neighbor_distances`.
    """
    bins = _check_bins(bins)
    edge_correction = check_bool(edge_correction, "edge_correction")
    show_mean = check_bool(show_mean, "show_mean")
    _check_ax(ax)
    if isinstance(data, Mosaic):
        data = nearest_neighbor_distances(data, edge_correction=edge_correction)
    elif not isinstance(data, NearestNeighbors):
        raise TypeError(f"`data` must be a Mosaic or a NearestNeighbors, got {type(data).__name__}")
    ax = _get_ax(ax)
    distances = data.distances
    if distances.size and np.ptp(distances) <= 1e-12 * float(distances.max()):
        # a lattice: every distance equal, one bin around it (a rule would find no width)
        value = float(distances[0])
        counts, edges = np.array([distances.size]), np.array([0.95 * value, 1.05 * value])
    elif distances.size:
        counts, edges = np.histogram(distances, bins=bins)
    else:
        counts, edges = np.zeros(1, dtype=np.intp), np.array([0.0, 1.0])
    kwargs.setdefault("fill", True)
    ax.stairs(counts, edges, **kwargs)
    if show_mean and distances.size:
        ax.axvline(data.mean, color="k", linestyle="--", linewidth=1.0, label="mean")
    ax.set_xlabel("nearest-neighbour distance (deg)")
    ax.set_ylabel("centres")
    if distances.size:
        ax.set_title(
            f"mean {data.mean:.3g} deg, regularity index {data.regularity_index:.3g} "
            f"(n = {distances.size})",
            fontsize="medium",
        )
    else:
        ax.set_title("no centre kept", fontsize="medium")
    return ax


def plot_density_recovery_profile(
    data: Mosaic | DensityRecoveryProfile,
    ax: Axes | None = None,
    *,
    bin_width: float | None = None,
    max_radius: float | None = None,
    edge_correction: bool = True,
    show_mean: bool = True,
    show_effective_radius: bool = True,
    **kwargs: object,
) -> Axes:
    """Draw the density recovery profile of a mosaic (Rodieck 1991).

    Parameters
    ----------
    data : Mosaic or cortex.mosaic_stats.DensityRecoveryProfile
        A mosaic (measured with
        :func:`~cortex.mosaic_stats.density_recovery_profile`) or the
        profile already measured.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current Axes.
    bin_width, max_radius, edge_correction : optional
        Passed to :func:`~cortex.mosaic_stats.density_recovery_profile` when
        ``data`` is a Mosaic (checked, unused otherwise).
    show_mean : bool, optional
        Draw the mean density as a dashed horizontal line.
    show_effective_radius : bool, optional
        Mark Rodieck's effective radius with a dotted vertical line.
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.stairs` (the profile, one
        artist), e.g. ``color``, ``alpha``.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: distance from a centre (deg) along x, density
        (centres per deg**2) along y; the title gives the effective radius.

    Raises
    ------
    TypeError
        If ``data`` is neither a Mosaic nor a DensityRecoveryProfile, a flag
        is not a bool, or ``ax`` is not an Axes; or as
        :func:`~cortex.mosaic_stats.density_recovery_profile`.
    ValueError
        As :func:`~cortex.mosaic_stats.density_recovery_profile`.
    cortex.MemoryBudgetError
        As :func:`~cortex.mosaic_stats.density_recovery_profile`.
    """
    show_mean = check_bool(show_mean, "show_mean")
    show_effective_radius = check_bool(show_effective_radius, "show_effective_radius")
    _check_ax(ax)
    if isinstance(data, Mosaic):
        data = density_recovery_profile(
            data, bin_width=bin_width, max_radius=max_radius, edge_correction=edge_correction
        )
    elif isinstance(data, DensityRecoveryProfile):
        if bin_width is not None:
            check_positive(bin_width, "bin_width")
        if max_radius is not None:
            check_positive(max_radius, "max_radius")
        check_bool(edge_correction, "edge_correction")
    else:
        raise TypeError(
            f"`data` must be a Mosaic or a DensityRecoveryProfile, got {type(data).__name__}"
        )
    ax = _get_ax(ax)
    kwargs.setdefault("fill", True)
    ax.stairs(data.density, data.radii, **kwargs)
    if show_mean:
        ax.axhline(
            data.mean_density, color="k", linestyle="--", linewidth=1.0, label="mean density"
        )
    if show_effective_radius:
        ax.axvline(
            data.effective_radius,
            color="C3",
            linestyle=":",
            linewidth=1.2,
            label="effective radius",
        )
    if show_mean or show_effective_radius:
        ax.legend(loc="lower right", fontsize="small")
    ax.set_xlim(data.radii[0], data.radii[-1])
    ax.set_xlabel("distance from a centre (deg)")
    ax.set_ylabel("density (centres / deg$^2$)")
    ax.set_title(f"effective radius {data.effective_radius:.3g} deg", fontsize="medium")
    return ax


def plot_voronoi(
    mosaic: Mosaic,
    ax: Axes | None = None,
    *,
    edge_correction: bool = True,
    cmap: str | Colormap = "viridis",
    colorbar: bool = True,
    show_centers: bool = True,
    edgecolor: object = "0.3",
    linewidth: float = 0.5,
    **kwargs: object,
) -> Axes:
    """Draw a mosaic's Voronoi cells, coloured by area, with the centres dotted.

    Parameters
    ----------
    mosaic : Mosaic
        The RF centres.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current Axes.
    edge_correction : bool, optional
        Draw only the cells :func:`~cortex.mosaic_stats.voronoi_areas` keeps
        (no centre outside the field could change them); False draws every
        bounded cell.  Unbounded cells are never drawn.
    cmap : str or matplotlib.colors.Colormap, optional
        Colormap of the cell areas.
    colorbar : bool, optional
        Add a colorbar labelled "cell area (deg^2)" (when a cell is drawn).
    show_centers : bool, optional
        Mark every centre with a small black dot (one scatter).
    edgecolor : color, optional
        Outline of the cells.
    linewidth : float, optional
        Outline width in points, in ``[0, 1000]``.
    **kwargs
        Passed to :class:`matplotlib.collections.PolyCollection` (all cells
        are one collection), e.g. ``alpha``.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on, in degrees with an equal aspect, limited to the
        field's extent with its border drawn; the title gives the areas'
        coefficient of variation and how many cells were kept.

    Raises
    ------
    TypeError
        If ``mosaic`` is not a Mosaic, a flag is not a bool, ``cmap`` is
        neither a name nor a Colormap, ``linewidth`` not a number, a colour is
        None or a bool, or ``ax`` is not an Axes.
    ValueError
        If ``cmap`` is not a registered colormap, ``edgecolor`` is not a
        colour, or ``linewidth`` is not in ``[0, 1000]``.
    cortex.MemoryBudgetError
        As :func:`~cortex.mosaic_stats.voronoi_areas`.
    """
    if not isinstance(mosaic, Mosaic):
        raise TypeError(f"`mosaic` must be a Mosaic, got {type(mosaic).__name__}")
    edge_correction = check_bool(edge_correction, "edge_correction")
    _check_cmap(cmap)
    colorbar = check_bool(colorbar, "colorbar")
    show_centers = check_bool(show_centers, "show_centers")
    _check_color(edgecolor, "edgecolor")
    linewidth = check_range(
        check_positive(linewidth, "linewidth", allow_zero=True), "linewidth", 0.0, _MAX_LINEWIDTH
    )
    _check_ax(ax)
    areas, index, vertices, starts = _voronoi(mosaic, edge_correction)
    ax = _get_ax(ax)
    cells = PolyCollection(
        np.split(vertices, starts[1:]) if index.size else [],
        array=areas,
        cmap=cmap,
        edgecolors=edgecolor,
        linewidths=linewidth,
        **kwargs,
    )
    ax.add_collection(cells, autolim=False)
    left, right, bottom, top = mosaic.field.extent
    ax.add_patch(
        Rectangle(
            (left, bottom), right - left, top - bottom, fill=False, edgecolor="0.3", linewidth=0.6
        )
    )
    if show_centers:
        ax.scatter(mosaic.centers[:, 0], mosaic.centers[:, 1], s=3, color="k", linewidths=0)
    _set_field_limits(ax, mosaic.field)
    _label_degrees(ax)
    if index.size > 1:
        cv = float(np.std(areas, ddof=1) / np.mean(areas))
        title = f"area CV {cv:.3f} ({index.size} of {mosaic.n_neurons} cells)"
    else:
        title = f"{index.size} of {mosaic.n_neurons} cells kept"
    ax.set_title(title, fontsize="medium")
    if colorbar and index.size:
        ax.figure.colorbar(cells, ax=ax, label="cell area (deg$^2$)")
    return ax


# -- responses ---------------------------------------------------------------
def _marker_and_size(ax: Axes, mosaic: Mosaic, marker: str) -> float:
    """Scatter size (points**2) so that markers of ``marker`` roughly tile the sites."""
    centers = mosaic.centers
    if len(centers) > 1:
        distance, _ = cKDTree(centers).query(centers, k=2)
        spacing = float(np.mean(distance[:, 1]))
    else:
        left, right, bottom, top = mosaic.field.extent
        spacing = min(right - left, top - bottom)
    ax.apply_aspect()  # so transData reflects the final box of an equal-aspect Axes
    origin, step = ax.transData.transform([(0.0, 0.0), (spacing, 0.0)])
    points = abs(step[0] - origin[0]) * 72.0 / ax.figure.dpi
    # Marker "size" is the side of 's', the diameter of 'o', twice the circumradius
    # of 'h'; a hexagon tiles its lattice when its flat-to-flat width is the spacing.
    factor = {"h": 2.0 / math.sqrt(3.0), "H": 2.0 / math.sqrt(3.0)}.get(marker, 1.0)
    return (points * factor) ** 2


def plot_response_map(
    population: Population,
    responses: np.ndarray,
    *,
    neuron_type: int = 0,
    ax: Axes | None = None,
    cmap: str = "RdBu_r",
    colorbar: bool = True,
    size: float | None = None,
    **kwargs: object,
) -> Axes:
    """Show one neuron type's responses to one image at its RF centres.

    Parameters
    ----------
    population : Population
        The neurons.
    responses : array_like, shape (n_neurons,)
        Responses of the whole population to one image, as returned by
        :func:`cortex.responses`: neuron ``j`` is type ``j // n_sites`` at
        site ``j % n_sites``.
    neuron_type : int, optional
        Which type to show, ``0 <= neuron_type < population.n_types``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current Axes.
    cmap : str or matplotlib.colors.Colormap, optional
        Colormap.  Colour limits are ``+/- max |r|`` when the responses have
        both signs, else ``[min, max]``; pass ``vmin``/``vmax`` to override.
    colorbar : bool, optional
        Add a colorbar labelled "response".
    size : float, optional
        Marker area in points**2, in ``(0, 1e8]``.  Default: markers that roughly tile the
        field, from the mean nearest-neighbour spacing of the sites and the
        Axes' current size (call after the figure's layout is set).
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.scatter` (e.g. ``marker``;
        default a hexagon for hexagonal and jittered lattices, a square for
        square ones, a circle otherwise).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: one scatter (a
        :class:`~matplotlib.collections.PathCollection`) of ``n_sites``
        points whose colour array holds the responses, limited to the field.

    Raises
    ------
    TypeError
        If ``population`` is not a Population, ``responses`` is not real
        numbers, ``neuron_type`` is not an integer, ``size`` is not a number,
        ``cmap`` is neither a name nor a Colormap, ``colorbar`` is not a bool,
        or ``ax`` is not an Axes.
    ValueError
        If ``responses`` is not 1-D of length ``population.n_neurons``, is
        not finite, ``neuron_type`` or ``size`` is out of range, or ``cmap``
        is not a registered colormap.
    """
    if not isinstance(population, Population):
        raise TypeError(f"`population` must be a Population, got {type(population).__name__}")
    values = as_float_array(responses, "responses", ndims=(1,), keep_float32=False)
    if values.shape != (population.n_neurons,):
        raise ValueError(
            f"`responses` must have length population.n_neurons = {population.n_neurons} "
            f"({population.n_types} type(s) x {population.n_sites} sites), "
            f"got shape {values.shape}"
        )
    neuron_type = check_integer(neuron_type, "neuron_type")
    if not 0 <= neuron_type < population.n_types:
        raise ValueError(
            f"`neuron_type` must be in [0, {population.n_types}) for a population of "
            f"{population.n_types} type(s), got {neuron_type}"
        )
    if size is not None:
        size = check_range(check_positive(size, "size"), "size", 0.0, _MAX_MARKER_SIZE)
    _check_cmap(cmap)
    colorbar = check_bool(colorbar, "colorbar")
    ax = _get_ax(ax)
    n_sites = population.n_sites
    values = values[neuron_type * n_sites : (neuron_type + 1) * n_sites]
    lo, hi = float(values.min()), float(values.max())
    if lo < 0 < hi:
        lo, hi = -max(-lo, hi), max(-lo, hi)
    if "norm" not in kwargs:
        kwargs.setdefault("vmin", lo)
        kwargs.setdefault("vmax", hi)
    lattice = population.mosaic.lattice
    default_marker = {"hexagonal": "h", "jittered": "h", "square": "s"}.get(lattice, "o")
    marker = kwargs.setdefault("marker", default_marker)
    kwargs.setdefault("linewidths", 0)
    centers = population.mosaic.centers
    dots = ax.scatter(centers[:, 0], centers[:, 1], c=values, cmap=cmap, **kwargs)
    _set_field_limits(ax, population.field)
    _label_degrees(ax)
    if colorbar:
        ax.figure.colorbar(dots, ax=ax, label="response")
    if size is None:
        size = _marker_and_size(ax, population.mosaic, marker if isinstance(marker, str) else "o")
    dots.set_sizes([size])
    return ax


# -- experiments (cortex.analysis) -------------------------------------------
_AXIS_LABELS = {
    "orientation": "orientation (deg)",
    "spatial_frequency": "spatial frequency (cycles/deg)",
    "phase": "phase (deg)",
    "contrast": "contrast",
}


def plot_tuning_curve(
    curve: TuningCurve,
    *,
    units: object = None,
    polar: bool = False,
    ax: Axes | None = None,
    show_preferred: bool = True,
    **kwargs: object,
) -> Axes:
    """Draw tuning curves: response against the grating parameter.

    Parameters
    ----------
    curve : TuningCurve
        From :func:`cortex.analysis.tuning_curve`.
    units : int or sequence of int, optional
        Which units (columns of ``curve.responses``); default all, up to 10.
    polar : bool, optional
        Polar plot (orientation and phase curves only): orientation curves are
        drawn over the full circle (a grating at ``theta`` and ``theta + 180``
        is the same stimulus).  ``ax`` must then be a polar Axes; with
        ``ax=None`` a polar Axes replaces the current one.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current Axes.
    show_preferred : bool, optional
        Mark each unit's preferred value (not for contrast).
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot`.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; spatial frequency on a log axis, contrast too.

    Raises
    ------
    TypeError
        If ``curve`` is not a TuningCurve, ``units`` is not an int or a
        sequence of ints, ``polar`` or ``show_preferred`` is not a bool, or
        ``ax`` is not an Axes.
    ValueError
        If ``polar`` is asked for a frequency or contrast curve, a polar plot
        for a Cartesian ``ax`` (or the reverse), ``units`` is empty or not
        1-D, or a unit is out of range.
    """
    if not isinstance(curve, TuningCurve):
        raise TypeError(f"`curve` must be a TuningCurve, got {type(curve).__name__}")
    polar = check_bool(polar, "polar")
    show_preferred = check_bool(show_preferred, "show_preferred")
    _check_ax(ax)
    n_units = curve.responses.shape[1]
    try:
        index = np.arange(min(n_units, 10)) if units is None else np.atleast_1d(units)
    except (TypeError, ValueError):  # ragged
        index = np.array([None])
    if index.dtype.kind not in "iu":
        raise TypeError(f"`units` must be an int or a sequence of ints, got {_describe(units)}")
    if index.ndim != 1 or index.size == 0:
        raise ValueError(
            f"`units` must be an int or a non-empty 1-D sequence of ints, got shape {index.shape}"
        )
    if index.min() < 0 or index.max() >= n_units:
        raise ValueError(f"`units` must be in [0, {n_units}), got {index.tolist()}")
    if polar and curve.parameter not in ("orientation", "phase"):
        raise ValueError(f"a polar plot needs an orientation or phase curve, got {curve.parameter}")
    if ax is None and polar:
        fig = plt.gcf()
        current = fig.axes[-1] if fig.axes else None
        if current is not None and current.name == "polar":
            ax = current
        else:
            if current is not None:
                current.remove()
            ax = fig.add_subplot(projection="polar")
    ax = _get_ax(ax)
    if polar != (ax.name == "polar"):
        raise ValueError(
            f"`polar={polar}` but `ax` is a {'polar' if ax.name == 'polar' else 'Cartesian'} Axes"
        )
    order = np.argsort(curve.values)
    x = curve.values[order]
    preferred = curve.preferred() if show_preferred and curve.parameter != "contrast" else None
    user_color = kwargs.pop("color", None)
    user_label = kwargs.pop("label", None)
    for k, u in enumerate(index):
        r = curve.responses[order, u]
        color = user_color if user_color is not None else f"C{k % 10}"
        label = curve.labels[u]
        if user_label is not None:  # the caller's name for the curve (e.g. "before training")
            label = str(user_label) if len(index) == 1 else f"{user_label}: {label}"
        if polar:
            theta = np.deg2rad(x)
            r_plot = r
            if curve.parameter == "orientation":
                theta = np.concatenate([theta, theta + np.pi])
                r_plot = np.concatenate([r, r])
            theta = np.append(theta, theta[0])
            r_plot = np.append(r_plot, r_plot[0])
            ax.plot(theta, np.clip(r_plot, 0, None), color=color, label=label, **kwargs)
            if preferred is not None and np.isfinite(preferred[u]):
                ax.plot([np.deg2rad(preferred[u])] * 2, [0, r.max()], color=color, lw=0.8, ls="--")
        else:
            ax.plot(x, r, marker="o", ms=3, color=color, label=label, **kwargs)
            if preferred is not None and np.isfinite(preferred[u]):
                ax.axvline(preferred[u], color=color, lw=0.8, ls="--")
    if not polar:
        ax.set_xlabel(_AXIS_LABELS[curve.parameter])
        ax.set_ylabel(f"response ({curve.statistic})")
        if curve.parameter == "spatial_frequency" or (
            curve.parameter == "contrast" and np.all(curve.values > 0)
        ):
            ax.set_xscale("log")
    else:
        ax.set_title(_AXIS_LABELS[curve.parameter], fontsize="medium")
    if len(index) > 1:
        ax.legend(fontsize="small")
    return ax


def plot_rf_map(
    rf_map: np.ndarray,
    field: VisualField,
    *,
    ax: Axes | None = None,
    cmap: str = "RdBu_r",
    colorbar: bool = True,
    label: str = "weight (response / contrast)",
    **kwargs: object,
) -> Axes:
    """Show an RF map over the field (an STA, a linear RF) with a symmetric colour scale.

    Parameters
    ----------
    rf_map : array_like, shape (H, W)
        The map, ``(H, W) == field.shape`` (e.g. ``RFEstimate.maps[i]`` or
        :func:`cortex.analysis.linear_receptive_field`).
    field : VisualField
        The field it covers (degree axes).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current Axes.
    cmap : str or matplotlib.colors.Colormap, optional
        A diverging colormap: 0 is its centre (``vmin = -vmax = max |map|``).
    colorbar : bool, optional
        Add a colorbar labelled ``label``.
    label : str, optional
        Colorbar label (with units).
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.imshow`.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError, ValueError
        As :func:`plot_image` (NaN maps, from units that never responded, are
        refused); TypeError if ``label`` is not a string.
    """
    rf_map = as_float_array(rf_map, "rf_map", ndims=(2,))
    field = _check_field(field)
    if rf_map.shape != field.shape:
        raise ValueError(
            f"`rf_map` must have the field's shape {field.shape}, got shape {rf_map.shape}"
        )
    if not isinstance(label, str):
        raise TypeError(f"`label` must be a string, got {_describe(label)}")
    colorbar = check_bool(colorbar, "colorbar")
    limit = float(np.abs(rf_map).max()) or 1.0
    kwargs.setdefault("vmin", -limit)
    kwargs.setdefault("vmax", limit)
    ax = plot_image(rf_map, field, ax=ax, cmap=cmap, colorbar=False, **kwargs)
    if colorbar:
        ax.figure.colorbar(ax.images[-1], ax=ax, label=label)
    return ax


def plot_mapping_convergence(
    counts: np.ndarray,
    correlation: np.ndarray,
    *,
    ax: Axes | None = None,
    labels: object = None,
    target: float | None = 0.9,
    **kwargs: object,
) -> Axes:
    """Correlation of an RF estimate with the true RF against the number of stimuli.

    Parameters
    ----------
    counts : array_like of int, shape (n_counts,)
        Stimulus counts (log axis), > 0.
    correlation : array_like, shape (n_counts,) or (n_counts, n_units)
        As returned by :func:`cortex.analysis.rf_mapping_convergence`,
        in ``[-1, 1]``; NaN (a unit that never responded) is drawn as a gap.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current Axes.
    labels : sequence of str, optional
        Legend label per unit (column).
    target : float or None, optional
        Draw a horizontal reference line at this correlation, in ``[-1, 1]``.
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot`.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If ``counts`` or ``correlation`` is not numeric, ``labels`` is not a
        sequence of strings, ``target`` is not a number, or ``ax`` is not an
        Axes.
    ValueError
        If ``counts`` is not 1-D, empty, not finite or not > 0,
        ``correlation`` has the wrong shape, infinite values or values
        outside ``[-1, 1]``, ``labels`` has the wrong length, or ``target``
        is not in ``[-1, 1]``.
    """
    counts = as_float_array(counts, "counts", ndims=(1,))
    if np.any(counts <= 0):
        raise ValueError(f"`counts` must be > 0 (a log axis), got minimum {float(counts.min()):g}")
    corr = _as_correlation(correlation)
    if corr.ndim == 1:
        corr = corr[:, np.newaxis]
    if corr.ndim != 2 or corr.shape[0] != counts.size:
        raise ValueError(
            f"`correlation` must have shape ({counts.size},) or ({counts.size}, n_units), "
            f"got shape {np.shape(correlation)}"
        )
    if labels is not None:
        if isinstance(labels, str) or not isinstance(labels, list | tuple | np.ndarray):
            raise TypeError(f"`labels` must be a sequence of strings, got {_describe(labels)}")
        if len(labels) != corr.shape[1] or not all(isinstance(n, str) for n in labels):
            raise ValueError(
                f"`labels` must hold one string per unit ({corr.shape[1]}), got {list(labels)!r}"
            )
    if target is not None:
        target = check_range(check_finite(target, "target"), "target", -1.0, 1.0)
    ax = _get_ax(ax)
    names = [None] * corr.shape[1] if labels is None else list(labels)
    for k in range(corr.shape[1]):
        ax.plot(counts, corr[:, k], marker="o", ms=3, label=names[k], **kwargs)
    if target is not None:
        ax.axhline(target, color="0.5", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("number of noise stimuli")
    ax.set_ylabel("correlation with the true RF")
    lowest = float(np.nanmin(corr)) if np.any(np.isfinite(corr)) else 0.0
    ax.set_ylim(min(0.0, lowest - 0.05), 1.02)
    if labels is not None:
        ax.legend(fontsize="small")
    return ax


def plot_filter_grid(
    weights: np.ndarray,
    fits: object = None,
    *,
    ax: Axes | None = None,
    n_columns: int | None = None,
    pixels_per_degree: float = 1.0,
    cmap: str = "RdBu_r",
    gap: int = 1,
    **kwargs: object,
) -> Axes:
    """A bank of filters as one image grid, each with its Gabor fit underneath.

    Each filter is scaled to its own largest magnitude (``+/- 1``: red
    positive, blue negative) and drawn in one ``imshow``; with ``fits``, each
    tile shows the filter above its fitted Gabor, and the fit's ``R^2`` is
    written under it.

    Parameters
    ----------
    weights : array_like, shape (n, kh, kw) or (out, in, kh, kw)
        Filters (e.g. ``Conv2D.params["weight"]``; every ``(out, in)`` pair is
        one filter).
    fits : sequence of GaborFit or None, optional
        One per filter (:func:`cortex.analysis.gabor_likeness` returns them).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current Axes.
    n_columns : int, optional
        Tiles per row (>= 1); default about ``sqrt(n)`` (twice that with fits).
    pixels_per_degree : float, optional
        The sampling the fits were made with (as given to
        :func:`~cortex.analysis.fit_gabor`; 1 = pixel units), in
        ``[1e-6, 1e6]``.
    cmap : str or matplotlib.colors.Colormap, optional
        Diverging colormap.
    gap : int, optional
        Pixels between tiles (>= 0).
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.imshow`.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError, ValueError
        If ``weights`` is not 3-D or 4-D numeric, ``fits`` is not a sequence,
        has the wrong length or holds something else than GaborFit / None,
        ``n_columns`` or ``gap`` is not an integer in range,
        ``pixels_per_degree`` is out of range, ``cmap`` is not a colormap, or
        ``ax`` is not an Axes.
    cortex.MemoryBudgetError
        If the tiled image (``n_columns`` and ``gap`` set its size) would
        exceed :func:`cortex.memory_budget`.
    """
    w = as_float_array(weights, "weights", ndims=(3, 4))
    filters = w.reshape(-1, *w.shape[-2:]).astype(float)
    n, kh, kw = filters.shape
    gap = check_integer(gap, "gap", minimum=0)
    ppd = check_ppd(pixels_per_degree)
    _check_cmap(cmap)
    _check_ax(ax)
    if fits is not None:
        if isinstance(fits, str | bytes) or not isinstance(fits, Iterable):
            raise TypeError(
                f"`fits` must be a sequence of GaborFit (or None), got {_describe(fits)}"
            )
        fits = list(fits)
        if len(fits) != n:
            raise ValueError(f"`fits` must hold one fit per filter ({n}), got {len(fits)}")
        for i, f in enumerate(fits):
            if f is not None and not isinstance(f, GaborFit):
                raise TypeError(f"`fits[{i}]` must be a GaborFit or None, got {type(f).__name__}")
    if n_columns is None:
        n_columns = max(1, math.ceil(math.sqrt(n * (2 if fits is not None else 1))))
    n_columns = check_integer(n_columns, "n_columns", minimum=1)
    n_rows = math.ceil(n / n_columns)
    tile_h = kh * (2 if fits is not None else 1) + (gap if fits is not None else 0)
    grid_shape = (float(n_rows) * (tile_h + gap) - gap, float(n_columns) * (kw + gap) - gap)
    check_memory(
        8.0 * grid_shape[0] * grid_shape[1],
        f"the filter grid ({grid_shape[0]:.0f}x{grid_shape[1]:.0f} px)",
    )
    grid = np.full((n_rows * (tile_h + gap) - gap, n_columns * (kw + gap) - gap), np.nan)
    for i, k in enumerate(filters):
        scale = np.abs(k).max() or 1.0
        r, c = divmod(i, n_columns)
        top, left = r * (tile_h + gap), c * (kw + gap)
        grid[top : top + kh, left : left + kw] = k / scale
        if fits is not None and fits[i] is not None:
            model = fits[i].evaluate((kh, kw), ppd)
            grid[top + kh + gap : top + 2 * kh + gap, left : left + kw] = model / scale
    ax = _get_ax(ax)
    kwargs.setdefault("interpolation", "nearest")
    ax.imshow(grid, cmap=cmap, vmin=-1, vmax=1, **kwargs)
    if fits is not None:
        for i, f in enumerate(fits):
            r, c = divmod(i, n_columns)
            text = "no fit" if f is None else f"{f.r2:.2f}" + ("" if f.converged else "!")
            ax.text(
                c * (kw + gap) + (kw - 1) / 2,
                r * (tile_h + gap) + tile_h - 0.5,
                text,
                ha="center",
                va="top",
                fontsize="x-small",
            )
    ax.set_xticks([])
    ax.set_yticks([])
    title = f"{n} filters" + (" (top) and Gabor fits (bottom, R^2)" if fits is not None else "")
    ax.set_title(title, fontsize="medium")
    return ax


def plot_layer_tiling(
    model: object,
    layer: int,
    field: VisualField,
    *,
    ax: Axes | None = None,
    every: int = 1,
    **kwargs: object,
) -> Axes:
    """How one ConvNet layer's units tile the input: their RF windows over the visual field.

    Uses the RF arithmetic of :func:`cortex.nn.unit_tiling` (each unit's
    square RF window drawn as its inscribed circle, one collection).

    Parameters
    ----------
    model : cortex.nn.Sequential
        The network.
    layer : int
        Index into ``model.layers`` (negative counts from the end) of a layer
        with a spatial RF (before the first Flatten/Dense); the title names it.
    field : VisualField
        The input's field (its ``shape`` is the input size).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current Axes.
    every : int, optional
        Draw every ``every``-th unit along each axis (for dense layers).
    **kwargs
        Passed to :func:`plot_mosaic`.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If ``field`` is not a VisualField, ``every`` is not an integer or
        ``model`` / ``layer`` has the wrong type.
    ValueError
        If ``layer`` is out of range or has no spatial RF (the message names
        the layer's index and class), or ``every`` < 1.
    """
    from .nn.receptive_field import _resolve_layer, receptive_field, unit_tiling

    field = _check_field(field)
    _check_ax(ax)
    every = check_integer(every, "every", minimum=1)
    layer = _resolve_layer(model, layer, spatial=True)
    mosaic, rf, units = unit_tiling(model, layer, field)
    keep = (units[:, 0] % every == 0) & (units[:, 1] % every == 0)
    if not keep.all():
        mosaic = Mosaic(field, mosaic.centers[keep], lattice="custom")
    kwargs.setdefault("show_centers", True)
    ax = plot_mosaic(mosaic, rf, level="sigma", ax=ax, **kwargs)
    info = receptive_field(model, field.shape)[layer]
    ax.set_title(
        f"layer {layer} ({info.name}): RF {info.size[0]} px, jump {info.jump[0]} px",
        fontsize="medium",
    )
    return ax


# -- spike trains ------------------------------------------------------------
#: bytes matplotlib holds per tick of a raster (segment arrays and their paths).
_BYTES_PER_TICK = 400.0


def plot_raster(
    trains: SpikeTrains,
    ax: Axes | None = None,
    *,
    neurons: object = None,
    **kwargs: object,
) -> Axes:
    """Spike raster: one row per neuron, a vertical tick at each spike time.

    All ticks are one :class:`~matplotlib.collections.LineCollection`
    (:meth:`~matplotlib.axes.Axes.vlines`), never one artist per neuron.

    Parameters
    ----------
    trains : cortex.spikes.SpikeTrains
        The spikes.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current Axes.
    neurons : int or array_like of int, optional
        Distinct indices of the neurons to draw, bottom row first (default
        all, neuron 0 at the bottom); the y tick labels give the indices.
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.vlines`, e.g. ``color``,
        ``linewidth`` (default black, 1 point).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: time (s) from ``t_start`` to ``t_stop`` along x,
        row ``j`` (neuron ``neurons[j]``) at ``y = j``, ticks from ``j - 0.4``
        to ``j + 0.4``.

    Raises
    ------
    TypeError
        If ``trains`` is not a SpikeTrains, ``neurons`` is not integer or
        ``ax`` is not an Axes.
    ValueError
        If ``neurons`` is empty, not 1-D, out of range or repeats a neuron.
    cortex.MemoryBudgetError
        If the ticks would exceed :func:`cortex.memory_budget`.

    Examples
    --------
    >>> import numpy as np
    >>> from cortex.plotting import plot_raster
    >>> from cortex.spikes import poisson_spikes
    >>> trains = poisson_spikes(np.full((50, 8), 30.0), frames_per_second=50, seed=0)
    >>> ax = plot_raster(trains, neurons=[0, 2, 4])
    >>> ax.get_xlabel(), [float(y) for y in ax.get_ylim()]
    ('time (s)', [-0.5, 2.5])
    """
    trains = _check_trains(trains)
    _check_ax(ax)
    chosen = _neuron_indices(neurons, trains.n_neurons)
    if neurons is not None:
        trains = trains.select(chosen)
    check_memory(_BYTES_PER_TICK * trains.n_spikes, f"a raster of {trains.n_spikes} spikes")
    ax = _get_ax(ax)
    if "color" not in kwargs and "colors" not in kwargs:
        kwargs["colors"] = "k"
    if "linewidth" not in kwargs and "linewidths" not in kwargs and "lw" not in kwargs:
        kwargs["linewidths"] = 1.0
    row = trains.neuron.astype(float)
    ax.vlines(trains.time, row - 0.4, row + 0.4, **kwargs)
    labels = [str(int(i)) for i in chosen]

    def label(y: float, _: object) -> str:
        j = int(round(y))
        return labels[j] if abs(y - j) < 1e-9 and 0 <= j < len(labels) else ""

    ax.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    ax.yaxis.set_major_formatter(FuncFormatter(label))
    ax.set_xlim(trains.t_start, trains.t_stop)
    ax.set_ylim(-0.5, chosen.size - 0.5)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("neuron")
    ax.set_title(f"{trains.n_spikes} spikes of {chosen.size} neuron(s)", fontsize="medium")
    return ax


def plot_psth(
    trains: SpikeTrains,
    bin_width: float,
    ax: Axes | None = None,
    *,
    neurons: object = None,
    **kwargs: object,
) -> Axes:
    """Peri-stimulus time histogram: the firing rate (spikes/s) in bins, as steps.

    The values of :meth:`cortex.spikes.SpikeTrains.psth`, drawn as one
    :meth:`~matplotlib.axes.Axes.stairs` artist.

    Parameters
    ----------
    trains : cortex.spikes.SpikeTrains
        The spikes.
    bin_width : float
        Bin width, seconds (> 0, at most the duration).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current Axes.
    neurons : int or array_like of int, optional
        Distinct indices of the neurons to average over (default all).
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.stairs`, e.g. ``color``,
        ``fill``.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: time (s) along x, spikes/s along y (from 0).

    Raises
    ------
    TypeError
        If ``trains`` is not a SpikeTrains, ``bin_width`` is not a real
        number, ``neurons`` is not integer or ``ax`` is not an Axes.
    ValueError
        As :meth:`cortex.spikes.SpikeTrains.psth`.
    cortex.MemoryBudgetError
        If the bins would exceed :func:`cortex.memory_budget`.

    Examples
    --------
    >>> import numpy as np
    >>> from cortex.plotting import plot_psth
    >>> from cortex.spikes import poisson_spikes
    >>> trains = poisson_spikes(np.full((50, 8), 30.0), frames_per_second=50, seed=0)
    >>> ax = plot_psth(trains, 0.1)
    >>> len(ax.patches), ax.get_ylabel()
    (1, 'rate (spikes/s)')
    """
    trains = _check_trains(trains)
    _check_ax(ax)
    rates, edges = trains.psth(bin_width, neurons=neurons)
    ax = _get_ax(ax)
    ax.stairs(rates, edges, **kwargs)
    ax.set_xlim(edges[0], edges[-1])
    top = float(rates.max())
    ax.set_ylim(0.0, 1.05 * top if top > 0 else 1.0)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("rate (spikes/s)")
    n = trains.n_neurons if neurons is None else np.size(neurons)
    ax.set_title(f"PSTH of {n} neuron(s), {float(bin_width):g} s bins", fontsize="medium")
    return ax


# -- analysis in time (cortex.analysis.motion and .spacetime) ----------------
def _check_units(units: object, n_units: int, default: int = 10) -> np.ndarray:
    """``units`` as a non-empty 1-D array of indices in ``[0, n_units)`` (None: the first few)."""
    try:
        index = np.arange(min(n_units, default)) if units is None else np.atleast_1d(units)
    except (TypeError, ValueError):  # ragged
        index = np.array([None])
    if index.dtype.kind not in "iu":
        raise TypeError(f"`units` must be an int or a sequence of ints, got {_describe(units)}")
    if index.ndim != 1 or index.size == 0:
        raise ValueError(
            f"`units` must be an int or a non-empty 1-D sequence of ints, got shape {index.shape}"
        )
    if index.min() < 0 or index.max() >= n_units:
        raise ValueError(f"`units` must be in [0, {n_units}), got {index.tolist()}")
    return index


def plot_xt(
    data: object,
    ax: Axes | None = None,
    *,
    pixels_per_degree: float | None = None,
    frames_per_second: float | None = None,
    row: int | None = None,
    cmap: str = "RdBu_r",
    colorbar: bool = True,
    **kwargs: object,
) -> Axes:
    """Space-time (x-t) plot of a movie or a space-time kernel: ``x`` in degrees, time in seconds.

    The slice through one row (:func:`cortex.analysis.xt_slice`) is shown as
    an image with ``x`` along the horizontal axis and time running down the
    vertical one, from 0 at the top: frame ``n`` (a movie) or lag ``n`` (a
    kernel's tap) spans ``[n / fps, (n + 1) / fps)`` s.  Motion is a slant:
    a pattern moving right at ``v`` deg/s traces stripes of slope ``v`` in a
    movie; a kernel's rows are lags, so the kernel preferring that motion
    slants the other way.

    Parameters
    ----------
    data : cortex.movies.Movie or array_like, shape (T, H, W) or (T, W)
        A movie (its field and frame rate give the axes), a space-time kernel
        such as :meth:`cortex.temporal.SeparableRF.kernel` (tap ``k`` = lag
        ``k``; the centre column ``W // 2`` is ``x = 0``), or an x-t slice
        already taken.  Real, finite.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default the current Axes.
    pixels_per_degree, frames_per_second : float, optional
        Sampling of an array, px/deg and Hz, in ``[1e-6, 1e6]``: required for
        arrays; for a Movie, optional and then equal to its own.
    row : int, optional
        Row of a ``(T, H, W)`` movie or kernel to slice (default the centre
        row, ``H // 2``); not for a ``(T, W)`` slice.
    cmap : str or matplotlib.colors.Colormap, optional
        Colormap; a diverging one suits the symmetric colour limits
        (``+/- max |slice|``).
    colorbar : bool, optional
        Add a colorbar ("contrast" for a movie, "weight" for a kernel).
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.imshow` (e.g. ``vmin``,
        ``interpolation``).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: "x (deg)" along x and "time (s)" (a movie) or
        "lag (s)" (an array) along y, increasing downwards.

    Raises
    ------
    TypeError
        If ``data`` is neither a Movie nor real numbers, a sampling rate is
        missing for an array or not a real number, ``row`` is not an
        integer, ``cmap`` is neither a name nor a Colormap, ``colorbar`` is
        not a bool, or ``ax`` is not an Axes.
    ValueError
        If the array is not 2-D or 3-D, is empty or not finite, a sampling
        rate is out of range or differs from the Movie's, ``row`` is out of
        range or given with a 2-D slice, or ``cmap`` is not registered.

    Examples
    --------
    >>> from cortex.plotting import plot_xt
    >>> from cortex.temporal import DirectionSelectiveRF
    >>> kernel = DirectionSelectiveRF.from_gabor(2.0).kernel(16, 100)  # (T, H, W)
    >>> ax = plot_xt(kernel, pixels_per_degree=16, frames_per_second=100)
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('x (deg)', 'lag (s)')
    """
    from .analysis import xt_slice
    from .movies import Movie

    _check_ax(ax)
    _check_cmap(cmap)
    colorbar = check_bool(colorbar, "colorbar")
    rates = {}
    for name, value in (
        ("pixels_per_degree", pixels_per_degree),
        ("frames_per_second", frames_per_second),
    ):
        if value is not None:
            rates[name] = check_range(check_positive(value, name), name, 1e-6, 1e6)
    if isinstance(data, Movie):
        own = {
            "pixels_per_degree": data.field.pixels_per_degree,
            "frames_per_second": data.frames_per_second,
        }
        for name, value in rates.items():
            if not math.isclose(value, own[name], rel_tol=1e-12):
                raise ValueError(f"`{name}` is {value:g}, but the movie's is {own[name]:g}")
        ppd, fps = own["pixels_per_degree"], own["frames_per_second"]
        shown = xt_slice(data, row=row)
        left, right = data.field.extent[:2]
        time_label, value_label = "time (s)", "contrast"
    else:
        for name in ("pixels_per_degree", "frames_per_second"):
            if name not in rates:
                raise TypeError(
                    f"`{name}` is required for an array (it sets the {name.split('_')[0]} "
                    "axis), got None"
                )
        ppd, fps = rates["pixels_per_degree"], rates["frames_per_second"]
        array = as_float_array(data, "data", ndims=(2, 3), keep_float32=False)
        if array.ndim == 3:
            shown = xt_slice(array, row=row)
        elif row is not None:
            raise ValueError("`row` selects a row of a (T, H, W) array; `data` is a (T, W) slice")
        else:
            shown = array
        width = shown.shape[1]
        left, right = -(width // 2 + 0.5) / ppd, (width - 1 - width // 2 + 0.5) / ppd
        time_label, value_label = "lag (s)", "weight"
    if np.iscomplexobj(shown):
        raise TypeError("`data` must be real, got complex values (plot .real, .imag or abs)")
    ax = _get_ax(ax)
    vmax = float(np.max(np.abs(shown)))
    vmax = vmax if vmax > 0 else 1.0
    if "norm" not in kwargs:
        kwargs.setdefault("vmin", -vmax)
        kwargs.setdefault("vmax", vmax)
    kwargs.setdefault("interpolation", "nearest")
    kwargs.setdefault("aspect", "auto")
    duration = shown.shape[0] / fps
    image = ax.imshow(
        shown, extent=(left, right, duration, 0.0), origin="upper", cmap=cmap, **kwargs
    )
    ax.set_xlabel("x (deg)")
    ax.set_ylabel(time_label)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label=value_label)
    return ax


def plot_direction_tuning(
    result: object,
    ax: Axes | None = None,
    *,
    units: object = None,
    statistic: str = "mean",
    show_preferred: bool = True,
    **kwargs: object,
) -> Axes:
    """Polar plot of direction tuning: the response against the direction of motion.

    Each unit's curve is drawn closed around the circle (directions sorted
    modulo 360 degrees; 0 = rightward at the right, 90 = upward at the top),
    negative responses at 0; its preferred direction (the vector average,
    :meth:`~cortex.analysis.DirectionTuning.preferred_direction`) as a
    dashed radius, and its direction selectivity index in the legend (the
    title for one unit).

    Parameters
    ----------
    result : cortex.analysis.DirectionTuning
        From :func:`cortex.analysis.direction_tuning`.
    ax : matplotlib.axes.Axes, optional
        A polar Axes (``projection="polar"``) to draw on; default: the
        current figure's last Axes if it is polar, else a new polar Axes
        that replaces it.
    units : int or sequence of int, optional
        Which units (columns of the responses); default all, up to 10.
    statistic : {"mean", "f1"}, optional
        Which response: the mean rate or the F1 amplitude.
    show_preferred : bool, optional
        Draw each unit's preferred direction.
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot` (e.g. ``color``,
        ``linewidth``).

    Returns
    -------
    matplotlib.axes.Axes
        The polar Axes drawn on.

    Raises
    ------
    TypeError
        If ``result`` is not a DirectionTuning, ``units`` is not an int or a
        sequence of ints, ``statistic`` is not a string, ``show_preferred``
        is not a bool, or ``ax`` is not an Axes.
    ValueError
        If ``ax`` is not polar, ``units`` is empty, not 1-D or out of range,
        or ``statistic`` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> from cortex.analysis import DirectionTuning
    >>> from cortex.plotting import plot_direction_tuning
    >>> angles = np.arange(0, 360, 45.0)
    >>> rates = 10 + 8 * np.cos(np.deg2rad(angles - 90))[:, None]  # prefers upward
    >>> tuning = DirectionTuning(angles, rates, np.zeros_like(rates), 2.0, 4.0)
    >>> ax = plot_direction_tuning(tuning)
    >>> ax.name, ax.get_title()
    ('polar', 'DSI 0.80')
    """
    from .analysis import DirectionTuning

    if not isinstance(result, DirectionTuning):
        raise TypeError(f"`result` must be a DirectionTuning, got {_describe(result)}")
    show_preferred = check_bool(show_preferred, "show_preferred")
    responses = result.responses(statistic)
    index = _check_units(units, result.n_units)
    _check_ax(ax)
    if ax is None:
        fig = plt.gcf()
        current = fig.axes[-1] if fig.axes else None
        if current is not None and current.name == "polar":
            ax = current
        else:
            if current is not None:
                current.remove()
            ax = fig.add_subplot(projection="polar")
    elif ax.name != "polar":
        raise ValueError(
            "`ax` must be a polar Axes (e.g. fig.add_subplot(projection='polar')), got a "
            f"{ax.name} Axes"
        )
    theta = np.mod(result.directions, 360.0)
    order = np.argsort(theta)
    angles = np.deg2rad(np.append(theta[order], theta[order][0]))
    preferred = result.preferred_direction(statistic)
    dsi = result.direction_selectivity_index(statistic)
    user_color = kwargs.pop("color", None)
    user_label = kwargs.pop("label", None)
    for k, u in enumerate(index):
        r = np.clip(responses[order, u], 0.0, None)
        color = user_color if user_color is not None else f"C{k % 10}"
        label = f"unit {u}" if user_label is None else str(user_label)
        if np.isfinite(dsi[u]):
            label = f"{label} (DSI {dsi[u]:.2f})"
        ax.plot(angles, np.append(r, r[0]), marker="o", ms=3, color=color, label=label, **kwargs)
        if show_preferred and np.isfinite(preferred[u]):
            top = float(r.max())
            ax.plot([np.deg2rad(preferred[u])] * 2, [0.0, top], color=color, lw=1.0, ls="--")
    unit = "mean rate" if statistic == "mean" else "F1 amplitude"
    ax.set_xlabel(f"direction of motion (deg); radius: {unit} (spikes/s)", fontsize="small")
    if len(index) == 1:
        u = int(index[0])
        ax.set_title(f"DSI {dsi[u]:.2f}" if np.isfinite(dsi[u]) else "DSI undefined")
    else:
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.05, 1.0))
    return ax

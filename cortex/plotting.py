"""Plots of RF kernels, mosaics, coverage and population responses.

This is the only module of :mod:`cortex` that imports matplotlib; nothing in
the core imports it.  Every function follows one pattern: it takes the data,
an optional ``ax`` (default :func:`matplotlib.pyplot.gca`), keyword options and
``**kwargs`` passed to the main matplotlib artist, draws, and returns the
Axes.  None calls :func:`matplotlib.pyplot.show`.

Spatial plots are in degrees of visual angle (``x`` right, ``y`` up) with an
equal aspect ratio.  A population's RFs are drawn as one
:class:`~matplotlib.collections.EllipseCollection` and its responses as one
scatter, never one artist per neuron.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.collections import EllipseCollection
from matplotlib.colors import BoundaryNorm
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator
from scipy.spatial import cKDTree

from ._validation import as_float_array, check_choice, check_integer, check_positive
from .mosaic import Mosaic
from .receptive_fields import ReceptiveField
from .responses import Population
from .visual_field import VisualField

__all__ = [
    "plot_coverage",
    "plot_image",
    "plot_kernel",
    "plot_mosaic",
    "plot_response_map",
]

_PARTS = ("real", "imag", "abs")


# -- helpers -----------------------------------------------------------------
def _get_ax(ax: object) -> Axes:
    """Return ``ax``, or the current Axes if it is None."""
    if ax is None:
        return plt.gca()
    if not isinstance(ax, Axes):
        raise TypeError(f"`ax` must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def _label_degrees(ax: Axes) -> None:
    ax.set_xlabel("x (deg)")
    ax.set_ylabel("y (deg)")
    ax.set_aspect("equal")


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
        An RF model (sampled with :meth:`ReceptiveField.kernel`) or a kernel
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
        is missing or not a number, ``part`` is not a string, or ``ax`` is not
        an Axes.
    ValueError
        If the kernel is not 2-D, is empty or not finite,
        ``pixels_per_degree`` or ``n_sigma`` is not > 0, or ``part`` is unknown.
    """
    check_choice(part, "part", _PARTS)
    if pixels_per_degree is None:
        raise TypeError(
            "`pixels_per_degree` is required (it sets the kernel's extent in degrees), got None"
        )
    ppd = check_positive(pixels_per_degree, "pixels_per_degree")
    if isinstance(rf, ReceptiveField):
        kernel = rf.kernel(ppd, n_sigma=check_positive(n_sigma, "n_sigma"))
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
        If ``image`` is not numeric, ``field`` is not a VisualField or ``ax``
        is not an Axes.
    ValueError
        If ``image`` is not 2-D, is empty or not finite, or its shape differs
        from ``field.shape``.
    """
    image = as_float_array(image, "image", ndims=(2,))
    if not isinstance(field, VisualField):
        raise TypeError(f"`field` must be a VisualField, got {type(field).__name__}")
    if image.shape != field.shape:
        raise ValueError(
            f"`image` must have the field's shape {field.shape}, got shape {image.shape}"
        )
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
        Outline width in points.
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
        or not a ReceptiveField, or ``ax`` is not an Axes.
    ValueError
        If ``level`` is invalid.
    """
    mosaic, rf = _mosaic_and_rf(mosaic, rf)
    a, b, angle = rf.contour(level)
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
        The contour that counts as covering (see :meth:`Mosaic.coverage`).
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
        :meth:`Mosaic.coverage_factor`.

    Raises
    ------
    TypeError
        If ``mosaic`` is neither a Mosaic nor a Population, ``rf`` is missing
        or not a ReceptiveField, or ``ax`` is not an Axes.
    ValueError
        If ``level`` is invalid or ``cmap`` unknown.
    """
    mosaic, rf = _mosaic_and_rf(mosaic, rf)
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
        Marker area in points**2.  Default: markers that roughly tile the
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
        or ``ax`` is not an Axes.
    ValueError
        If ``responses`` is not 1-D of length ``population.n_neurons``, is
        not finite, or ``neuron_type`` is out of range.
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
        size = check_positive(size, "size")
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

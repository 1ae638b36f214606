"""LGN cells from bmtk's FilterNet: per-cell parameters to a cortex population.

The Allen Institute's Brain Modeling Toolkit (bmtk, ``bmtk.simulator.filternet``)
models each LGN cell as a separable linear filter, a spatial Gaussian times
a cosine-bump temporal filter, followed by ``max(0, linear + spontaneous
rate)``.  This module brings such cells to :mod:`cortex`:

* :func:`population_from_table` builds a :class:`~cortex.Population` and
  its temporal kernels (:class:`~cortex.temporal.CosineBump`) from a table
  of per-cell parameters, ready for :func:`cortex.dynamics.movie_responses`;
* :class:`SampledRF` is an RF given by an explicit kernel array, and
  :func:`export_bmtk_kernel` exports one from a bmtk spatial filter, so that
  cortex's responses can be compared with bmtk's like for like.

bmtk's conventions, and cortex's
--------------------------------
Time
    bmtk's temporal filters are sampled every millisecond and its ``kpeaks``
    and ``delays`` are in milliseconds (samples); cortex works in seconds
    (:meth:`CosineBump.from_bmtk <cortex.temporal.CosineBump.from_bmtk>`
    converts).  At 1000 frames/s, cortex's taps are bmtk's samples.
Space
    bmtk places a cell at ``(x, y)`` degrees from the movie's first pixel
    (``origin=(0, 0)``): ``x`` along the columns, ``y`` down the rows, on its
    movie's grid ``row_range = linspace(0, row_size, H)`` (so one pixel is
    ``row_size / (H - 1)`` degrees, not ``row_size / H``).  cortex measures
    from fixation with ``y`` up (:class:`~cortex.VisualField`).  The pixel a
    bmtk cell sits on is ``(row, col) = (y / drow, x / dcol)`` with
    ``drow = row_range[1] - row_range[0]``; :meth:`cortex.VisualField.px_to_deg`
    gives its cortex position.
Spatial kernels
    bmtk's ``GaussianSpatialFilter(sigma)`` is not a sampled Gaussian: it is
    :func:`scipy.ndimage.gaussian_filter` (truncated at 4 sigma, normalised)
    of a point at the centre of the movie, moved to the cell by a bilinear
    warp (:func:`skimage.transform.warp`), then normalised to sum 1.  For a
    cell on a pixel centre of an even-sized movie, sigma 2 deg at 1 px/deg
    gives a 19 x 19 px kernel, a little wider than the Gaussian (the bilinear
    half-pixel shift adds a variance of about 0.5 px**2 per axis).  cortex's
    :class:`~cortex.Gaussian` samples the density at pixel centres out to
    ``n_sigma``: close (a few percent of the peak), not equal.  To compare
    like with like, export bmtk's kernel (:func:`export_bmtk_kernel`) and
    use it through :class:`SampledRF`.  (bmtk's default cell loader reads the
    node's ``spatial_size`` as three sigmas: ``sigma = spatial_size / 3``.)
Spikes/s
    bmtk's ON cell of spontaneous rate ``r0`` fires ``max(0, linear + r0)``:
    :func:`~cortex.dynamics.movie_responses` with ``baseline=r0`` (the
    default ``nonlinearity="rectify"``).  An OFF cell is the same with the
    spatial kernel's sign flipped (bmtk's amplitude -1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import (
    _describe,
    as_coordinates,
    as_float_array,
    check_choice,
    check_ppd,
)
from .mosaic import Mosaic
from .population import Population
from .receptive_fields import Gaussian, ReceptiveField, _frequencies, _positions
from .temporal import CosineBump, TemporalKernel
from .visual_field import VisualField

__all__ = ["SampledRF", "export_bmtk_kernel", "population_from_table"]

#: Columns of :func:`population_from_table`'s table: required and optional.
TABLE_COLUMNS = ("x", "y", "sigma", "weights", "kpeaks", "delays", "polarity")
_POLARITIES = {"ON": 1.0, "OFF": -1.0}


# --------------------------------------------------------------------------- SampledRF
@dataclass(frozen=True, eq=False)
class SampledRF(ReceptiveField):
    """An RF given by its kernel: explicit weights on the pixels around the centre.

    The weights are those a population correlates with the image (a cortex
    kernel already includes the pixel area: a unit-area RF's weights sum to
    1), on an odd-sided array whose middle pixel is the RF centre (row 0 the
    top).  For kernels computed elsewhere, e.g. bmtk's
    (:func:`export_bmtk_kernel`): a population of it responds exactly as
    that code's dot products of kernel and image.

    Parameters
    ----------
    weights : array_like, shape (2h + 1, 2w + 1)
        The kernel: real weights, finite; copied and made read-only.
    pixels_per_degree : float
        The sampling density the weights belong to, in ``[1e-6, 1e6]``
        px/deg: :meth:`kernel` refuses any other.

    Raises
    ------
    TypeError
        If ``weights`` is not numeric or is complex, or
        ``pixels_per_degree`` not a real number.
    ValueError
        If ``weights`` is not 2-D with odd sides, is all zero or not finite,
        or ``pixels_per_degree`` is out of its range.

    Notes
    -----
    :meth:`profile` reads the kernel as a density, constant over each pixel
    (``weight * pixels_per_degree**2``, 0 outside); :meth:`frequency_response`
    is the discrete-time Fourier transform of the weights at their pixel
    centres, which is exactly the response to a sampled grating (the
    convention of cortex's models: their spectra match their kernels'
    DFTs).  The kernel has one size: :meth:`scaled` accepts only 1, so every
    site of a mosaic using it must have scale 1.  Its :attr:`envelope` is
    from the second moments of ``|weights|``.  A SampledRF compares by
    identity and is not written by :meth:`~cortex.ReceptiveField.to_dict`.

    Examples
    --------
    >>> import numpy as np
    >>> from cortex.filternet import SampledRF
    >>> rf = SampledRF(np.full((3, 3), 0.125), pixels_per_degree=10)
    >>> rf.kernel(10).shape, complex(rf.frequency_response(0.0, 0.0))  # the sum of the weights
    ((3, 3), (1.125+0j))
    """

    weights: np.ndarray
    pixels_per_degree: float

    def __post_init__(self) -> None:
        weights = as_float_array(self.weights, "weights", ndims=(2,), keep_float32=False)
        if weights.shape[0] % 2 == 0 or weights.shape[1] % 2 == 0:
            raise ValueError(
                f"`weights` must have odd sides (its middle pixel is the RF centre), got shape "
                f"{weights.shape}"
            )
        if not np.any(weights):
            raise ValueError("`weights` must not be all zero")
        weights = weights.copy()
        weights.flags.writeable = False
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "pixels_per_degree", check_ppd(self.pixels_per_degree))

    def __repr__(self) -> str:
        rows, cols = self.weights.shape
        return (
            f"SampledRF({rows}x{cols} px at {self.pixels_per_degree:g} px/deg, "
            f"sum {float(self.weights.sum()):.6g})"
        )

    def _offsets(self) -> tuple[np.ndarray, np.ndarray]:
        """Pixel-centre offsets in degrees: ``x`` of the columns, ``y`` of the rows."""
        rows, cols = self.weights.shape
        ppd = self.pixels_per_degree
        x = (np.arange(cols) - cols // 2) / ppd
        y = (rows // 2 - np.arange(rows)) / ppd
        return x, y

    def profile(self, x: object, y: object) -> np.ndarray:
        """The weights as a density (1/deg^2), constant over each pixel, 0 outside the kernel.

        Parameters
        ----------
        x, y : array_like
            Offsets from the RF centre in degrees, ``|.| <= 1e9`` (broadcast
            together); a point on a pixel edge belongs to the pixel on its
            right (below).

        Returns
        -------
        numpy.ndarray
            float64.

        Raises
        ------
        TypeError, ValueError
            If ``x`` or ``y`` is not numeric, holds NaN, infinite or too
            large values, or they do not broadcast together.
        """
        x, y = _positions(x, y)
        rows, cols = self.weights.shape
        ppd = self.pixels_per_degree
        col = np.floor(x * ppd + 0.5) + cols // 2
        row = rows // 2 - np.ceil(y * ppd - 0.5)
        inside = (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
        r = np.where(inside, row, 0).astype(np.intp)
        c = np.where(inside, col, 0).astype(np.intp)
        return np.where(inside, self.weights[r, c] * ppd**2, 0.0)

    def frequency_response(self, fx: object, fy: object) -> np.ndarray:
        """``sum w(p) exp(-2 pi i (fx x_p + fy y_p))`` over the pixel centres ``p`` (complex).

        Raises
        ------
        TypeError, ValueError
            As :meth:`profile`, for ``fx`` and ``fy`` (cycles/deg,
            ``|.| <= 1e9``).
        """
        fx, fy = _frequencies(fx, fy)
        fx, fy = np.broadcast_arrays(fx, fy)
        x, y = self._offsets()
        # separable in x and y: the phases of the columns and rows, then one sum
        ex = np.exp(-2j * math.pi * fx[..., np.newaxis] * x)  # (..., cols)
        ey = np.exp(-2j * math.pi * fy[..., np.newaxis] * y)  # (..., rows)
        return np.asarray(np.einsum("...r,rc,...c->...", ey, self.weights, ex), np.complex128)

    def scaled(self, factor: float) -> SampledRF:
        """The RF itself for ``factor == 1`` (a sampled kernel has one size).

        Raises
        ------
        ValueError
            If ``factor`` is not 1.
        """
        if factor != 1:
            raise ValueError(
                f"a SampledRF has one size: `factor` must be 1, got {factor!r} (give the "
                "mosaic scales of 1)"
            )
        return self

    @property
    def envelope(self) -> tuple[float, float, float]:
        """``(sigma_u, sigma_v, angle)`` in degrees, from the second moments of ``|weights|``."""
        x, y = self._offsets()
        w = np.abs(self.weights)
        w = w / w.sum()
        xx, yy = np.meshgrid(x, y)
        mx, my = float((w * xx).sum()), float((w * yy).sum())
        cov = np.array(
            [
                [(w * (xx - mx) ** 2).sum(), (w * (xx - mx) * (yy - my)).sum()],
                [(w * (xx - mx) * (yy - my)).sum(), (w * (yy - my) ** 2).sum()],
            ]
        )
        values, vectors = np.linalg.eigh(cov)  # ascending
        floor = 1e-6  # a single pixel has no spread: the smallest sigma of cortex's models
        sigma_u = max(math.sqrt(max(values[1], 0.0)), floor)
        sigma_v = max(math.sqrt(max(values[0], 0.0)), floor)
        angle = math.degrees(math.atan2(vectors[1, 1], vectors[0, 1])) % 180.0
        return sigma_u, sigma_v, angle

    @property
    def support_sigma(self) -> float:
        """The larger envelope sigma (deg); the kernel's own side sets its size."""
        return self.envelope[0]

    def kernel_radius(self, pixels_per_degree: float, n_sigma: float = 3.0) -> int:
        """Half the kernel's larger side (pixels), whatever ``n_sigma``.

        Raises
        ------
        ValueError
            If ``pixels_per_degree`` is not the kernel's own.
        """
        self._check_density(pixels_per_degree)
        return max(self.weights.shape) // 2

    def kernel(self, pixels_per_degree: float, *, n_sigma: float = 3.0) -> np.ndarray:
        """The weights (a writable float64 copy), at their own sampling density only.

        Parameters
        ----------
        pixels_per_degree : float
            Must be the kernel's own :attr:`pixels_per_degree`.
        n_sigma : float, optional
            Ignored: the kernel's support is its array.

        Returns
        -------
        numpy.ndarray
            The kernel, shape as given (both sides odd).

        Raises
        ------
        TypeError
            If ``pixels_per_degree`` is not a real number.
        ValueError
            If it is not the kernel's own sampling density.
        """
        self._check_density(pixels_per_degree)
        return self.weights.copy()

    def _check_density(self, pixels_per_degree: float) -> None:
        ppd = check_ppd(pixels_per_degree)
        if not math.isclose(ppd, self.pixels_per_degree, rel_tol=1e-9):
            raise ValueError(
                f"`pixels_per_degree` must be the kernel's own {self.pixels_per_degree:g} "
                f"px/deg (a sampled kernel cannot be resampled), got {ppd:g}"
            )


def export_bmtk_kernel(
    spatial_filter: Any, row_range: object, col_range: object
) -> tuple[np.ndarray, tuple[int, int]]:
    """A bmtk spatial filter's kernel on a movie's grid, as an odd-sided array and its centre pixel.

    Parameters
    ----------
    spatial_filter : object
        A bmtk spatial filter (e.g.
        ``bmtk.simulator.filternet.lgnmodel.spatialfilter.GaussianSpatialFilter``):
        anything whose ``get_kernel(row_range, col_range, threshold=...)``
        returns an object with ``full()`` (bmtk's ``Kernel2D``), the dense
        kernel over the movie.  bmtk is not imported here.
    row_range, col_range : array_like
        The movie's grids (bmtk's ``movie.row_range`` and ``movie.col_range``).

    Returns
    -------
    kernel : numpy.ndarray
        The smallest window with odd sides centred on ``center`` that holds
        every non-zero weight (zero where it reaches past them or past the
        movie): ``SampledRF(kernel, ppd)`` centred on that pixel gives the
        weights bmtk multiplies each frame by, exactly.
    center : tuple of int
        ``(row, col)``: the pixel of the largest ``|weight|`` in the movie's
        array (the cell's pixel, for a cell on a pixel centre; one of its
        nearest pixels otherwise).

    Raises
    ------
    TypeError
        If ``spatial_filter`` has no ``get_kernel`` or its kernel is not
        numeric.
    ValueError
        If the kernel is all zero.
    """
    if not callable(getattr(spatial_filter, "get_kernel", None)):
        raise TypeError(
            f"`spatial_filter` must be a bmtk spatial filter (with get_kernel), got "
            f"{_describe(spatial_filter)}"
        )
    rows = as_coordinates(row_range, "row_range", 1e9, "deg")
    cols = as_coordinates(col_range, "col_range", 1e9, "deg")
    # bmtk's separable evaluation asks for threshold=-1 (every weight of the window)
    dense = as_float_array(
        spatial_filter.get_kernel(rows, cols, threshold=-1).full(), "kernel", ndims=(2,)
    )
    r, c = np.nonzero(dense)
    if r.size == 0:
        raise ValueError("the spatial filter's kernel is all zero on this grid")
    # centred on the largest weight (the cell's pixel, also for a kernel cut by the movie's
    # edge), the window reaching the farthest non-zero weight on each axis
    peak = np.unravel_index(int(np.argmax(np.abs(dense))), dense.shape)
    center = (int(peak[0]), int(peak[1]))
    half_r = int(max(center[0] - r.min(), r.max() - center[0]))
    half_c = int(max(center[1] - c.min(), c.max() - center[1]))
    out = np.zeros((2 * half_r + 1, 2 * half_c + 1))
    rows_in = slice(max(center[0] - half_r, 0), min(center[0] + half_r + 1, dense.shape[0]))
    cols_in = slice(max(center[1] - half_c, 0), min(center[1] + half_c + 1, dense.shape[1]))
    out[
        rows_in.start - (center[0] - half_r) : rows_in.stop - (center[0] - half_r),
        cols_in.start - (center[1] - half_c) : cols_in.stop - (center[1] - half_c),
    ] = dense[rows_in, cols_in]
    return out, center


# --------------------------------------------------------------------------- tables
def _column(table: Any, name: str, n: int | None, pairs: bool) -> np.ndarray:
    """``table[name]`` as float64, shape (n,) or (n, 2) for pairs."""
    try:
        values = table[name]
    except (KeyError, IndexError, TypeError, ValueError):
        raise ValueError(f"`table` must have a column {name!r}") from None
    if hasattr(values, "tolist"):  # pandas Series of lists, numpy arrays
        values = values.tolist()
    where = f"table[{name!r}]"
    array = as_float_array(values, where, ndims=(2,) if pairs else (1,), keep_float32=False)
    if pairs and array.shape[1] != 2:
        raise ValueError(f"`{where}` must hold a pair per cell, got shape {array.shape}")
    if n is not None and array.shape[0] != n:
        raise ValueError(f"`{where}` must have one entry per cell ({n}), got {array.shape[0]}")
    return array


def _polarities(table: Any, n: int) -> np.ndarray:
    """``table["polarity"]`` as signs +1 (ON) / -1 (OFF); all ON without the column."""
    try:
        values = table["polarity"]
    except (KeyError, IndexError, TypeError, ValueError):
        return np.ones(n)
    values = list(values.tolist() if hasattr(values, "tolist") else values)
    if len(values) != n:
        raise ValueError(
            f"`table['polarity']` must have one entry per cell ({n}), got {len(values)}"
        )
    signs = np.empty(n)
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise TypeError(
                f"`table['polarity'][{i}]` must be 'ON' or 'OFF', got {_describe(value)}"
            )
        signs[i] = _POLARITIES[check_choice(value.upper(), f"table['polarity'][{i}]", _POLARITIES)]
    return signs


def _first_appearance(keys: list) -> tuple[list, np.ndarray]:
    """Distinct keys in order of first appearance, and each item's index among them."""
    index: dict = {}
    positions = np.array([index.setdefault(key, len(index)) for key in keys], dtype=np.intp)
    return list(index), positions


def population_from_table(
    table: Any,
    field: VisualField,
    *,
    time_unit: str = "ms",
    spatial: Any = None,
    n_sigma: float = 4.0,
) -> tuple[Population, list[TemporalKernel]]:
    """A cortex population and its temporal kernels from bmtk-style per-cell parameters.

    Parameters
    ----------
    table : mapping of columns or pandas.DataFrame
        One row per cell; ``table[name]`` gives a column (a dict of lists, a
        DataFrame, a numpy structured array):

        * ``"x"``, ``"y"``: the RF centre in degrees, cortex's convention
          (from fixation, ``y`` up; see the module docstring to convert
          bmtk's positions);
        * ``"sigma"``: the spatial Gaussian's sigma in degrees;
        * ``"weights"``, ``"kpeaks"``, ``"delays"``: the cosine-bump
          parameters, a pair per cell (see
          :class:`~cortex.temporal.CosineBump`), ``kpeaks`` and ``delays`` in
          ``time_unit``;
        * ``"polarity"`` (optional): ``"ON"`` or ``"OFF"`` (default all ON).
    field : VisualField
        The field the cells see.
    time_unit : {"ms", "s"}, optional
        Unit of ``kpeaks`` and ``delays``: bmtk's milliseconds (default; its
        delays are truncated to whole ms, as bmtk does) or seconds.
    spatial : callable, optional
        ``spatial(sigma, sign) -> ReceptiveField``, the RF model of a cell of
        that sigma and sign (+1 ON, -1 OFF).  Default
        ``Gaussian(sigma, amplitude=sign)``.  E.g. ``lambda sigma, sign:
        SampledRF(sign * bmtk_kernel, ppd)`` for bmtk's own kernel.
    n_sigma : float, optional
        Kernel support of the population, in sigmas (bmtk's Gaussians reach
        about 4).

    Returns
    -------
    population : Population
        One RF type per distinct (polarity, weights, kpeaks, delays), in order
        of first appearance, at the distinct positions (sites, in order of
        first appearance); the cells' sigmas are the mosaic's scales times
        the first cell's sigma.  Neuron ``t * n_sites + i`` is the cell of
        type ``t`` at site ``i``: for a table of one cell type at distinct
        positions, neuron ``j`` is row ``j``.
    temporal : list of CosineBump
        One kernel per type, for :func:`~cortex.dynamics.movie_responses`.

    Raises
    ------
    TypeError
        If ``field`` is not a VisualField, ``spatial`` not callable or
        returns no ReceptiveField, or a column holds non-numbers (a polarity
        not a string).
    ValueError
        If a column is missing or has the wrong shape or length, a value is
        out of range (as :class:`~cortex.temporal.CosineBump`), a polarity is
        not ON or OFF, ``time_unit`` is unknown, two cells of one type share
        a position, the types do not share their positions (a population
        puts every type at every site: build one population per type), or
        cells at one position differ in sigma.

    Examples
    --------
    Two bmtk ``tON_TF8`` cells:

    >>> import cortex
    >>> from cortex.filternet import population_from_table
    >>> table = {"x": [-1.0, 1.0], "y": [0.0, 0.0], "sigma": [0.25, 0.25],
    ...          "weights": [(4.2185, -2.4050)] * 2, "kpeaks": [(8.5246, 23.2468)] * 2,
    ...          "delays": [(0, 0)] * 2}
    >>> field = cortex.VisualField(4.0, 3.0, pixels_per_degree=10)
    >>> population, temporal = population_from_table(table, field)
    >>> population.n_neurons, temporal[0].kpeaks
    (2, (0.0085246, 0.0232468))
    """
    if not isinstance(field, VisualField):
        raise TypeError(f"`field` must be a VisualField, got {_describe(field)}")
    unit = check_choice(time_unit, "time_unit", ("ms", "s"))
    if spatial is None:

        def spatial(sigma: float, sign: float) -> ReceptiveField:
            return Gaussian(sigma, amplitude=sign)

    elif not callable(spatial):
        raise TypeError(f"`spatial` must be callable (sigma, sign) -> RF, got {_describe(spatial)}")
    x = _column(table, "x", None, pairs=False)
    n = len(x)
    y = _column(table, "y", n, pairs=False)
    sigma = _column(table, "sigma", n, pairs=False)
    weights = _column(table, "weights", n, pairs=True)
    kpeaks = _column(table, "kpeaks", n, pairs=True)
    delays = _column(table, "delays", n, pairs=True)
    signs = _polarities(table, n)

    type_keys = [
        (signs[i], *weights[i].tolist(), *kpeaks[i].tolist(), *delays[i].tolist()) for i in range(n)
    ]
    types, type_of = _first_appearance(type_keys)
    sites, site_of = _first_appearance(list(zip(x.tolist(), y.tolist(), strict=True)))
    cells = np.full((len(types), len(sites)), -1, dtype=np.intp)
    for row in range(n):
        t, s = type_of[row], site_of[row]
        if cells[t, s] >= 0:
            raise ValueError(
                f"rows {cells[t, s]} and {row} of `table` are cells of one type at one "
                f"position ({x[row]:g}, {y[row]:g}) deg"
            )
        cells[t, s] = row
    if np.any(cells < 0):
        t, s = map(int, np.argwhere(cells < 0)[0])
        raise ValueError(
            f"the cell types of `table` do not share their positions (type {t}, first at row "
            f"{int(np.flatnonzero(type_of == t)[0])}, has no cell at ({sites[s][0]:g}, "
            f"{sites[s][1]:g}) deg): a population puts every type at every site; build one "
            "population per type"
        )
    site_sigma = sigma[cells[0]]
    for t in range(1, len(types)):
        differs = np.flatnonzero(sigma[cells[t]] != site_sigma)
        if differs.size:
            s = int(differs[0])
            raise ValueError(
                f"rows {cells[0, s]} and {cells[t, s]} of `table` sit at one position with "
                f"different `sigma` ({site_sigma[s]:g} and {sigma[cells[t, s]]:g} deg): a "
                "population's types share each site's RF scale"
            )
    reference = float(site_sigma[0])
    rfs, kernels = [], []
    for t in range(len(types)):
        row = int(cells[t, 0])
        rf = spatial(reference, float(signs[row]))
        if not isinstance(rf, ReceptiveField):
            raise TypeError(f"`spatial` must return a ReceptiveField, got {_describe(rf)}")
        rfs.append(rf)
        if unit == "ms":
            kernels.append(CosineBump.from_bmtk(weights[row], kpeaks[row], delays[row]))
        else:
            kernels.append(CosineBump(weights[row], kpeaks[row], delays[row]))
    centers = np.array(sites, dtype=np.float64)
    mosaic = Mosaic(field, centers, scales=site_sigma / reference)
    return Population(rfs, mosaic, n_sigma=n_sigma), kernels

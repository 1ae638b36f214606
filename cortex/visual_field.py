"""The visual field: a patch of visual angle sampled by pixels.

Coordinates follow one convention everywhere in :mod:`cortex`: positions are in
degrees of visual angle, centred on fixation ``(0, 0)``; ``x`` grows to the
right and ``y`` grows **up**.  Images are arrays ``(H, W)`` whose row 0 is the
**top** of the field and column 0 its left edge.  Pixel ``(row, col)`` has its
centre at::

    x = (col - (W - 1) / 2) / pixels_per_degree
    y = ((H - 1) / 2 - row) / pixels_per_degree
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._schema import build, check_scalars, scalars_to_dict
from ._validation import (
    EXTENT_RANGE,
    MAX_INDEX,
    MAX_POSITION,
    PPD_RANGE,
    as_coordinates,
    check_broadcast,
    check_memory,
    check_positive,
    check_range,
)

__all__ = ["VisualField"]

@dataclass(frozen=True)
class VisualField:
    """A rectangular patch of the visual field, centred on fixation.

    Parameters
    ----------
    width : float
        Horizontal extent in degrees of visual angle.
    height : float
        Vertical extent in degrees of visual angle.
    pixels_per_degree : float
        Sampling density (pixels per degree).  The pixel grid has
        ``round(height * pixels_per_degree)`` rows and
        ``round(width * pixels_per_degree)`` columns; the field covered by the
        pixels (:attr:`extent`) is exactly ``shape / pixels_per_degree``.

    Raises
    ------
    TypeError
        If a parameter is not a real number (booleans and strings are refused).
    ValueError
        If ``width`` or ``height`` is not in ``(0, 1e6]`` degrees,
        ``pixels_per_degree`` is not in ``[1e-6, 1e6]`` px/deg (far beyond
        any display; the bounds keep every pixel count and coordinate finite),
        or the field is less than one pixel wide or high.
    cortex.MemoryBudgetError
        If one float64 image of the field (``8 * H * W`` bytes) exceeds
        :func:`cortex.memory_budget`: nothing could be drawn or computed on it.

    Examples
    --------
    >>> from cortex import VisualField
    >>> field = VisualField(width=8.0, height=6.0, pixels_per_degree=10)
    >>> field.shape
    (60, 80)
    >>> field.px_to_deg(0, 0)  # centre of the top-left pixel
    (-3.95, 2.95)
    >>> field.to_dict()
    {'type': 'VisualField', 'width': 8.0, 'height': 6.0, 'pixels_per_degree': 10.0}
    """

    width: float
    height: float
    pixels_per_degree: float

    def __post_init__(self) -> None:
        for name in ("width", "height"):
            value = getattr(self, name)
            value = check_range(
                check_positive(value, name), name, *EXTENT_RANGE, low_open=True, unit="deg"
            )
            object.__setattr__(self, name, value)
        ppd = check_positive(self.pixels_per_degree, "pixels_per_degree")
        ppd = check_range(ppd, "pixels_per_degree", *PPD_RANGE, unit="px/deg")
        object.__setattr__(self, "pixels_per_degree", ppd)
        rows, cols = self.shape
        if rows < 1 or cols < 1:
            raise ValueError(
                f"the field must be at least one pixel wide and high, got {rows}x{cols} pixels "
                f"(width={self.width}, height={self.height} deg at "
                f"pixels_per_degree={self.pixels_per_degree})"
            )
        check_memory(8.0 * rows * cols, f"one float64 image of the field ({rows}x{cols} px)")

    def to_dict(self) -> dict[str, Any]:
        """The field as plain data: ``{"type": "VisualField", "width": ..., ...}``.

        Returns
        -------
        dict
            JSON-compatible (str keys, float values); :meth:`from_dict` rebuilds
            an equal field, every float bit for bit (also through
            :func:`json.dumps` / :func:`json.loads`, which write floats exactly).
        """
        return scalars_to_dict(self, "VisualField")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> VisualField:
        """Rebuild a field from :meth:`to_dict`'s plain data.

        Parameters
        ----------
        d : dict
            ``{"type": "VisualField", "width": w, "height": h,
            "pixels_per_degree": ppd}`` with numbers (ints or floats).

        Returns
        -------
        VisualField
            The field.

        Raises
        ------
        TypeError
            If ``d`` is not a dict or a value has the wrong type (booleans and
            strings are not numbers); the message names the key, e.g.
            ``field.width``.
        ValueError
            If ``"type"`` is not ``"VisualField"``, a key is missing or
            unknown, a number is NaN or infinite, or the constructor refuses
            a value (the message names the key).
        cortex.MemoryBudgetError
            As the constructor.
        """
        kwargs = check_scalars(d, "field", cls, ("VisualField",))[1]
        return build(cls, kwargs, "field")

    @property
    def shape(self) -> tuple[int, int]:
        """Pixel grid shape ``(H, W)``."""
        ppd = self.pixels_per_degree
        return int(round(self.height * ppd)), int(round(self.width * ppd))

    @property
    def pixel_size(self) -> float:
        """Side of one pixel in degrees."""
        return 1.0 / self.pixels_per_degree

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """``(left, right, bottom, top)`` of the pixel grid in degrees.

        This is the ``extent`` argument of :func:`matplotlib.pyplot.imshow`
        (with ``origin="upper"``) that puts an image in degree coordinates.
        """
        rows, cols = self.shape
        half_w = cols / (2 * self.pixels_per_degree)
        half_h = rows / (2 * self.pixels_per_degree)
        return (-half_w, half_w, -half_h, half_h)

    @property
    def limits(self) -> tuple[float, float]:
        """Largest ``|x|`` and ``|y|`` of a pixel centre, in degrees."""
        rows, cols = self.shape
        ppd = self.pixels_per_degree
        return (cols - 1) / (2 * ppd), (rows - 1) / (2 * ppd)

    def coordinates(self) -> tuple[np.ndarray, np.ndarray]:
        """Pixel-centre coordinates along each axis.

        Returns
        -------
        x : numpy.ndarray, shape (W,)
            Horizontal position of each column in degrees, increasing.
        y : numpy.ndarray, shape (H,)
            Vertical position of each row in degrees, decreasing (row 0 is
            the top).
        """
        rows, cols = self.shape
        ppd = self.pixels_per_degree
        x = (np.arange(cols) - (cols - 1) / 2) / ppd
        y = ((rows - 1) / 2 - np.arange(rows)) / ppd
        return x, y

    def grid(self) -> tuple[np.ndarray, np.ndarray]:
        """Degree coordinates of every pixel centre.

        Returns
        -------
        x, y : numpy.ndarray, shape (H, W)
            Horizontal and vertical positions in degrees.

        Raises
        ------
        cortex.MemoryBudgetError
            If the two grids (``16 * H * W`` bytes) exceed
            :func:`cortex.memory_budget`.
        """
        rows, cols = self.shape
        check_memory(16.0 * rows * cols, f"the coordinate grids of the field ({rows}x{cols} px)")
        x, y = self.coordinates()
        return np.meshgrid(x, y, indexing="xy")

    def eccentricity(self) -> np.ndarray:
        """Distance of every pixel centre from fixation, in degrees, ``(H, W)``.

        Raises
        ------
        cortex.MemoryBudgetError
            If the grids and the result (``24 * H * W`` bytes) exceed
            :func:`cortex.memory_budget`.
        """
        rows, cols = self.shape
        check_memory(24.0 * rows * cols, f"the eccentricity map of the field ({rows}x{cols} px)")
        x, y = self.grid()
        return np.hypot(x, y)

    def deg_to_px(self, x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
        """Convert degree positions to fractional pixel indices.

        Parameters
        ----------
        x, y : array_like
            Positions in degrees (broadcast together; empty arrays give
            empty results).

        Returns
        -------
        row, col : numpy.ndarray
            Fractional row and column indices; round them to get the pixel
            that contains each position.

        Raises
        ------
        TypeError
            If ``x`` or ``y`` is not numeric (None, strings, booleans).
        ValueError
            If they hold NaN or infinite values, magnitudes above ``1e9`` deg
            (no visual position; the bound keeps pixel indices inside int64),
            or do not broadcast together.
        """
        rows, cols = self.shape
        ppd = self.pixels_per_degree
        x = as_coordinates(x, "x", MAX_POSITION, "deg")
        y = as_coordinates(y, "y", MAX_POSITION, "deg")
        check_broadcast(x, y, "x", "y")
        return (rows - 1) / 2 - y * ppd, x * ppd + (cols - 1) / 2

    def px_to_deg(self, row: object, col: object) -> tuple[np.ndarray, np.ndarray]:
        """Convert (fractional) pixel indices to degree positions.

        Parameters
        ----------
        row, col : array_like
            Row and column indices (broadcast together; empty arrays give
            empty results).

        Returns
        -------
        x, y : numpy.ndarray or float
            Positions in degrees.

        Raises
        ------
        TypeError
            If ``row`` or ``col`` is not numeric (None, strings, booleans).
        ValueError
            If they hold NaN or infinite values, magnitudes above ``1e15``
            pixels, or do not broadcast together.
        """
        rows, cols = self.shape
        ppd = self.pixels_per_degree
        row = as_coordinates(row, "row", MAX_INDEX, "px")
        col = as_coordinates(col, "col", MAX_INDEX, "px")
        check_broadcast(row, col, "row", "col")
        x = (col - (cols - 1) / 2) / ppd
        y = ((rows - 1) / 2 - row) / ppd
        if x.ndim == 0 and y.ndim == 0:
            return float(x), float(y)
        return x, y

    def nearest_pixel(self, x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the pixel whose centre is nearest to each position.

        Ties (a position exactly between two pixel centres, as fixation is in
        a field with an even number of pixels) always go to the larger index,
        so a regular lattice stays regular in pixels.

        Parameters
        ----------
        x, y : array_like
            Positions in degrees.

        Returns
        -------
        row, col : numpy.ndarray of int
            Pixel indices (possibly outside the grid; see :meth:`contains`).

        Raises
        ------
        TypeError, ValueError
            As :meth:`deg_to_px` (NaN, infinite or larger than ``1e9`` deg
            positions are refused: they have no pixel).
        """
        row, col = self.deg_to_px(x, y)
        return (
            np.floor(row + 0.5 + 1e-9).astype(np.intp),
            np.floor(col + 0.5 + 1e-9).astype(np.intp),
        )

    def contains(self, x: object, y: object) -> np.ndarray:
        """Whether positions fall on a pixel of the field.

        Parameters
        ----------
        x, y : array_like
            Positions in degrees.

        Returns
        -------
        numpy.ndarray of bool
            True where the nearest pixel centre lies inside the grid.

        Raises
        ------
        TypeError, ValueError
            As :meth:`deg_to_px`.
        """
        r, c = self.nearest_pixel(x, y)
        rows, cols = self.shape
        return (r >= 0) & (r <= rows - 1) & (c >= 0) & (c <= cols - 1)

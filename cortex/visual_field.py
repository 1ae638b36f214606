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

from dataclasses import dataclass

import numpy as np

from ._validation import check_positive

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
        If a parameter is not a real number.
    ValueError
        If a parameter is not finite and > 0, or the field is less than one
        pixel wide or high.

    Examples
    --------
    >>> from cortex import VisualField
    >>> field = VisualField(width=8.0, height=6.0, pixels_per_degree=10)
    >>> field.shape
    (60, 80)
    >>> field.px_to_deg(0, 0)  # centre of the top-left pixel
    (-3.95, 2.95)
    """

    width: float
    height: float
    pixels_per_degree: float

    def __post_init__(self) -> None:
        for name in ("width", "height", "pixels_per_degree"):
            object.__setattr__(self, name, check_positive(getattr(self, name), name))
        rows, cols = self.shape
        if rows < 1 or cols < 1:
            raise ValueError(
                f"the field must be at least one pixel wide and high, got {rows}x{cols} pixels "
                f"(width={self.width}, height={self.height} deg at "
                f"pixels_per_degree={self.pixels_per_degree})"
            )

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
        """
        x, y = self.coordinates()
        return np.meshgrid(x, y, indexing="xy")

    def eccentricity(self) -> np.ndarray:
        """Distance of every pixel centre from fixation, in degrees, ``(H, W)``."""
        x, y = self.grid()
        return np.hypot(x, y)

    def deg_to_px(self, x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
        """Convert degree positions to fractional pixel indices.

        Parameters
        ----------
        x, y : array_like
            Positions in degrees (broadcast together).

        Returns
        -------
        row, col : numpy.ndarray
            Fractional row and column indices; round them to get the pixel
            that contains each position.
        """
        rows, cols = self.shape
        ppd = self.pixels_per_degree
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        return (rows - 1) / 2 - y * ppd, x * ppd + (cols - 1) / 2

    def px_to_deg(self, row: object, col: object) -> tuple[np.ndarray, np.ndarray]:
        """Convert (fractional) pixel indices to degree positions.

        Parameters
        ----------
        row, col : array_like
            Row and column indices (broadcast together).

        Returns
        -------
        x, y : numpy.ndarray or float
            Positions in degrees.
        """
        rows, cols = self.shape
        ppd = self.pixels_per_degree
        row = np.asarray(row, dtype=float)
        col = np.asarray(col, dtype=float)
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
        """
        r, c = self.nearest_pixel(x, y)
        rows, cols = self.shape
        return (r >= 0) & (r <= rows - 1) & (c >= 0) & (c <= cols - 1)

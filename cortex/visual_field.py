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

import dataclasses
import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import _describe, as_float_array, check_memory, check_positive, check_range

__all__ = ["VisualField"]

# Numeric ranges (private; documented in the docstrings).  They are far beyond any real
# visual field and display, and keep every product of them well inside float64 and int64:
#: widths and heights of a field, degrees (a pixel-unit field with ppd = 1 may be 1e6 px).
_EXTENT_RANGE = (0.0, 1e6)
#: sampling density, pixels per degree.
_PPD_RANGE = (1e-6, 1e6)
#: positions given to the coordinate conversions, degrees from fixation.
_MAX_POSITION = 1e9
#: (fractional) pixel indices given to :meth:`VisualField.px_to_deg`.
_MAX_INDEX = 1e15


def _as_coordinates(value: object, name: str, limit: float, unit: str) -> np.ndarray:
    """``value`` as a float64 array (any shape, empty allowed) of finite numbers within ``limit``.

    Booleans and strings are refused (TypeError), as are NaN, infinities and
    magnitudes above ``limit`` (ValueError naming ``name`` and the range).
    """
    if value is None or isinstance(value, bool | np.bool_ | str | bytes):
        raise TypeError(f"`{name}` must be a real number or an array of them, got {value!r}")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        array = None  # ragged: let as_float_array phrase it
    if array is not None and array.dtype.kind == "b":
        raise TypeError(f"`{name}` must hold numbers, got dtype {array.dtype}")
    array = as_float_array(value, name, allow_empty=True, keep_float32=False)
    if array.size:
        worst = float(np.max(np.abs(array)))
        if worst > limit:
            raise ValueError(
                f"`{name}` must be in [-{limit:g}, {limit:g}]{' ' + unit if unit else ''}, "
                f"got {worst:g}"
            )
    return array


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
                check_positive(value, name), name, *_EXTENT_RANGE, low_open=True, unit="deg"
            )
            object.__setattr__(self, name, value)
        ppd = check_positive(self.pixels_per_degree, "pixels_per_degree")
        ppd = check_range(ppd, "pixels_per_degree", *_PPD_RANGE, unit="px/deg")
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
        return _scalars_to_dict(self, "VisualField")

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
        kwargs = _check_scalars(d, "field", cls, ("VisualField",))[1]
        return _build(cls, kwargs, "field")

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
        x = _as_coordinates(x, "x", _MAX_POSITION, "deg")
        y = _as_coordinates(y, "y", _MAX_POSITION, "deg")
        _check_broadcast(x, y, "x", "y")
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
        row = _as_coordinates(row, "row", _MAX_INDEX, "px")
        col = _as_coordinates(col, "col", _MAX_INDEX, "px")
        _check_broadcast(row, col, "row", "col")
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


def _check_broadcast(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Refuse two coordinate arrays that do not broadcast together (ValueError naming both)."""
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"`{name_a}` and `{name_b}` must broadcast together, got shapes {a.shape} and {b.shape}"
        ) from None


# -- plain data (JSON) --------------------------------------------------------------------
# Helpers of the ``to_dict`` / ``from_dict`` methods of this module and of the RF models,
# mosaics, nonlinearities and populations built on it.  ``from_dict`` checks a whole dict
# against its schema (known "type", required and known keys, value types) before
# building anything; every message names the key path, e.g. ``population.mosaic.centers``.
def _json_object(value: object, where: str, names: Iterable[str], what: str) -> str:
    """Check that ``value`` is a dict whose ``"type"`` is one of ``names``; return the type."""
    names = tuple(names)
    if not isinstance(value, Mapping):
        raise TypeError(
            f"`{where}` must be a dict (a JSON object) describing {what}, got {_describe(value)}"
        )
    if "type" not in value:
        raise ValueError(f"`{where}.type` is missing: it must be one of {names}")
    name = value["type"]
    if not isinstance(name, str):
        raise TypeError(f"`{where}.type` must be a string, one of {names}, got {_describe(name)}")
    if name not in names:
        raise ValueError(f"`{where}.type` must be one of {names} ({what}), got {name!r}")
    return name


def _json_keys(
    value: Mapping[str, Any],
    where: str,
    type_name: str,
    required: Iterable[str],
    optional: Iterable[str] = (),
    *,
    header: Iterable[str] = ("type",),
) -> None:
    """Refuse unknown and missing keys (one ValueError naming each by its key path)."""
    required, optional, header = tuple(required), tuple(optional), tuple(header)
    known = (*header, *required, *optional)
    problems = [
        f"`{where}.{key}` is not a key of a {type_name}"
        if isinstance(key, str)
        else f"`{where}` has the key {key!r}, which is not a string"
        for key in value
        if key not in known
    ]
    problems += [f"`{where}.{key}` is missing" for key in required if key not in value]
    if problems:
        listed = ", ".join(known)
        raise ValueError(f"{'; '.join(problems)} (the keys of a {type_name}: {listed})")


def _json_number(value: object, path: str, *, nullable: bool = False) -> float | None:
    """A finite number (int or float, not bool) as a float; None passes when ``nullable``."""
    if value is None and nullable:
        return None
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        wanted = "a number or null" if nullable else "a number"
        raise TypeError(f"`{path}` must be {wanted}, got {_describe(value)}")
    try:
        out = float(value)
    except OverflowError:  # an int past the float range
        digits = int(int(value).bit_length() * math.log10(2.0))
        raise ValueError(
            f"`{path}` must be a finite number, got an integer of about {digits} digits"
        ) from None
    if not math.isfinite(out):
        hint = " (JSON has no NaN: write null where a value may be missing)" if nullable else ""
        raise ValueError(f"`{path}` must be finite, got {out}{hint}")
    return out


def _json_string(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"`{path}` must be a string, got {_describe(value)}")
    return value


def _json_list(value: object, path: str, what: str) -> list | tuple:
    if not isinstance(value, list | tuple):
        raise TypeError(f"`{path}` must be {what} (a JSON array), got {_describe(value)}")
    return value


def _json_numbers(items: list, path: Callable[[int], str]) -> np.ndarray:
    """A flat list of finite numbers as a float64 array (the caller checked the memory).

    ``path(i)`` names item ``i`` in messages.
    """
    kinds = set(map(type, items))
    if kinds <= {float, int}:  # the usual case, checked in bulk
        try:
            array = np.array(items, dtype=np.float64)
        except OverflowError:  # a huge int: found and phrased below
            array = None
        if array is not None and array.ndim == 1:
            bad = np.flatnonzero(~np.isfinite(array))
            if bad.size == 0:
                return array
    for i, item in enumerate(items):  # find and phrase the first bad item
        _json_number(item, path(i))
    return np.array([float(item) for item in items], dtype=np.float64)


def _scalar_fields(cls: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(required, optional)`` field names of a dataclass (fields with defaults are optional)."""
    required, optional = [], []
    for f in dataclasses.fields(cls):
        missing = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        (required if missing else optional).append(f.name)
    return tuple(required), tuple(optional)


def _check_scalars(
    d: object,
    where: str,
    cls: type,
    names: Mapping[str, type] | Iterable[str],
    *,
    what: str = "",
    strings: Iterable[str] = (),
    nullable: Iterable[str] = (),
) -> tuple[str, dict[str, Any]]:
    """Check a dict describing a dataclass of numbers (and strings): ``(type, kwargs)``.

    ``names`` are the accepted ``"type"`` values; when a mapping, it maps each to
    its class (whose fields are then read), else every name means ``cls``.
    """
    name = _json_object(d, where, names, what or f"a {cls.__name__}")
    if isinstance(names, Mapping):
        cls = names[name]
    required, optional = _scalar_fields(cls)
    _json_keys(d, where, name, required, optional)
    strings, nullable = set(strings), set(nullable)
    kwargs: dict[str, Any] = {}
    for key in (*required, *optional):
        if key not in d:
            continue
        path = f"{where}.{key}"
        if key in strings:
            kwargs[key] = _json_string(d[key], path)
        else:
            kwargs[key] = _json_number(d[key], path, nullable=key in nullable)
    return name, kwargs


def _scalars_to_dict(obj: object, type_name: str) -> dict[str, Any]:
    """``{"type": type_name, field: value, ...}`` of a dataclass of numbers and strings."""
    out: dict[str, Any] = {"type": type_name}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        out[f.name] = value if value is None or isinstance(value, str) else float(value)
    return out


_LEADING_NAME = re.compile(r"`([A-Za-z_]\w*)((?:\.\w+|\[\d+\])*)`")


def _rephrase(exc: Exception, where: str, keys: Iterable[str]) -> Exception:
    """``exc`` (of the same type) with its message naming the key path under ``where``.

    A message that starts with a backquoted argument which is one of ``keys``
    (```sigma` must be > 0``) gets the path (```rf.sigma` must be > 0``);
    any other is prefixed with ```where`: ``.
    """
    message = str(exc)
    match = _LEADING_NAME.match(message)
    if match and match.group(1) in set(keys):
        message = f"`{where}.{match.group(1)}{match.group(2)}`{message[match.end() :]}"
    else:
        message = f"`{where}`: {message}"
    try:
        return type(exc)(message)
    except Exception:  # pragma: no cover - an exception type with another signature
        return ValueError(message)


def _build(cls: Callable[..., Any], kwargs: Mapping[str, Any], where: str) -> Any:
    """``cls(**kwargs)``, a TypeError / ValueError rephrased to name the key path."""
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise _rephrase(exc, where, kwargs) from None

"""Input validation: the one place where input errors are phrased.

Every public function of :mod:`cortex` validates its arguments through these
helpers, so that a wrong type raises :class:`TypeError`, a wrong shape or value
raises :class:`ValueError`, and every message names the argument and what was
seen.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = [
    "MemoryBudgetError",
    "as_float_array",
    "as_rng",
    "check_bool",
    "check_choice",
    "check_finite",
    "check_integer",
    "check_memory",
    "check_ndim",
    "check_positive",
    "check_range",
    "format_bytes",
    "memory_budget",
    "set_memory_budget",
    "parse_name_list",
    "parse_number",
]


def _describe(value: object) -> str:
    """Return a short description of ``value`` for error messages."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} (type {type(value).__name__})"


def check_finite(value: object, name: str) -> float:
    """Return ``value`` as a finite float.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        Argument name used in error messages.

    Returns
    -------
    float
        The value as a Python float.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (booleans are rejected).
    ValueError
        If ``value`` is NaN or infinite.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number, got {_describe(value)}")
    out = float(value)
    if not np.isfinite(out):
        raise ValueError(f"`{name}` must be finite, got {out}")
    return out


def check_positive(value: object, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a finite float that is > 0 (or >= 0).

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        Argument name used in error messages.
    allow_zero : bool, optional
        Accept 0 as well.

    Returns
    -------
    float
        The validated value.

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If ``value`` is NaN, infinite, negative, or zero when not allowed.
    """
    out = check_finite(value, name)
    if allow_zero and out < 0:
        raise ValueError(f"`{name}` must be >= 0, got {out}")
    if not allow_zero and out <= 0:
        raise ValueError(f"`{name}` must be > 0, got {out}")
    return out


def check_integer(value: object, name: str, *, minimum: int | None = None) -> int:
    """Return ``value`` as an int, optionally at least ``minimum``.

    Parameters
    ----------
    value : object
        The value to check; any integral type (not bool, not float).
    name : str
        Argument name used in error messages.
    minimum : int, optional
        Smallest accepted value.

    Returns
    -------
    int
        The validated value.

    Raises
    ------
    TypeError
        If ``value`` is not an integer.
    ValueError
        If ``value`` is below ``minimum``.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer, got {_describe(value)}")
    out = int(value)
    if minimum is not None and out < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {out}")
    return out


def check_choice(value: object, name: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``.

    Parameters
    ----------
    value : object
        The option string to check.
    name : str
        Argument name used in error messages.
    choices : iterable of str
        The accepted values.

    Returns
    -------
    str
        ``value``.

    Raises
    ------
    TypeError
        If ``value`` is not a string.
    ValueError
        If ``value`` is not one of ``choices``; the message lists them.
    """
    choices = tuple(choices)
    if not isinstance(value, str):
        raise TypeError(f"`{name}` must be a string, one of {choices}, got {_describe(value)}")
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {choices}, got {value!r}")
    return value


def check_ndim(array: np.ndarray, name: str, ndims: Iterable[int]) -> np.ndarray:
    """Check that ``array`` has one of the accepted numbers of dimensions.

    Parameters
    ----------
    array : numpy.ndarray
        The array to check.
    name : str
        Argument name used in error messages.
    ndims : iterable of int
        Accepted numbers of dimensions.

    Returns
    -------
    numpy.ndarray
        ``array``, unchanged.

    Raises
    ------
    ValueError
        If ``array.ndim`` is not in ``ndims``.
    """
    ndims = tuple(ndims)
    if array.ndim not in ndims:
        wanted = " or ".join(f"{n}-D" for n in ndims)
        raise ValueError(f"`{name}` must be {wanted}, got shape {array.shape}")
    return array


def as_float_array(
    value: object,
    name: str,
    *,
    ndims: Iterable[int] | None = None,
    allow_empty: bool = False,
    allow_complex: bool = False,
    keep_float32: bool = True,
) -> np.ndarray:
    """Convert ``value`` to a finite floating-point array.

    Integer and boolean arrays become float64; float32 is kept when
    ``keep_float32`` (for speed), every other float becomes float64.

    Parameters
    ----------
    value : array_like
        The data.
    name : str
        Argument name used in error messages.
    ndims : iterable of int, optional
        Accepted numbers of dimensions.
    allow_empty : bool, optional
        Accept arrays with no elements.
    allow_complex : bool, optional
        Accept complex data (kept complex).
    keep_float32 : bool, optional
        Keep float32 input as float32.

    Returns
    -------
    numpy.ndarray
        A float32, float64 (or complex128) array.

    Raises
    ------
    TypeError
        If the data are not numeric (strings, objects) or complex when not
        allowed.
    ValueError
        If the number of dimensions is wrong, the array is empty, or it holds
        NaN or infinite values.
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested sequences
        raise TypeError(f"`{name}` must be array-like of numbers, got {_describe(value)}") from exc
    kind = array.dtype.kind
    if kind == "c" and allow_complex:
        array = array.astype(np.complex128, copy=False)
    elif kind == "c":
        raise TypeError(f"`{name}` must be real, got dtype {array.dtype}")
    elif kind == "f" and array.dtype == np.float32 and keep_float32:
        pass
    elif kind in "biuf":
        array = array.astype(np.float64, copy=False)
    else:
        raise TypeError(f"`{name}` must hold numbers, got dtype {array.dtype}")
    if ndims is not None:
        check_ndim(array, name, ndims)
    if array.size == 0 and not allow_empty:
        raise ValueError(f"`{name}` must not be empty, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        n_bad = int(np.count_nonzero(~np.isfinite(array)))
        raise ValueError(f"`{name}` must be finite, got {n_bad} NaN or infinite value(s)")
    return array


def as_rng(seed: object, name: str = "seed") -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` from a seed or a generator.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        ``None`` gives fresh OS entropy (not reproducible); an int gives a
        reproducible generator; a generator is returned as it is.
    name : str, optional
        Argument name used in error messages.

    Returns
    -------
    numpy.random.Generator
        The generator.

    Raises
    ------
    TypeError
        If ``seed`` is of another type.
    ValueError
        If ``seed`` is a negative integer.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    seed = check_integer(seed, name, minimum=0)
    return np.random.default_rng(seed)


def _number_requirement(
    integer: bool, minimum: float | None, maximum: float | None, strict: bool
) -> str:
    """Return what :func:`parse_number` accepts, e.g. ``"a finite number > 0 and <= 1"``."""
    wanted = "an integer" if integer else "a finite number"
    bounds = []
    if minimum is not None:
        bounds.append(f"{'>' if strict else '>='} {minimum:g}")
    if maximum is not None:
        bounds.append(f"<= {maximum:g}")
    return wanted + (" " + " and ".join(bounds) if bounds else "")


def parse_number(
    text: str,
    name: str,
    *,
    integer: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    strict: bool = False,
) -> int | float:
    """Parse a string (a command-line value) into a finite number within bounds.

    Parameters
    ----------
    text : str
        The string to parse, e.g. ``"2.5"``.
    name : str
        Argument name used in error messages.
    integer : bool, optional
        Parse an integer (``int(text)``: ``"1e3"`` and ``"2.5"`` are refused)
        instead of a float.
    minimum : float, optional
        Smallest accepted value.
    maximum : float, optional
        Largest accepted value.
    strict : bool, optional
        Exclude ``minimum`` itself (``> minimum`` instead of ``>= minimum``).

    Returns
    -------
    int or float
        The parsed value.

    Raises
    ------
    TypeError
        If ``text`` is not a string.
    ValueError
        If ``text`` is not a number (an integer when ``integer``), is NaN or
        infinite, or is out of bounds; the message states what is accepted and
        quotes ``text``: ``"`lr` must be a finite number > 0, got 'nan'"``.
    """
    if not isinstance(text, str):
        raise TypeError(f"`{name}` must be a string, got {_describe(text)}")
    wanted = _number_requirement(integer, minimum, maximum, strict)
    message = f"`{name}` must be {wanted}, got {text!r}"
    try:
        value: int | float = int(text) if integer else float(text)
    except ValueError:
        raise ValueError(message) from None
    ok = math.isfinite(value)
    if ok and minimum is not None:
        ok = value > minimum if strict else value >= minimum
    if ok and maximum is not None:
        ok = value <= maximum
    if not ok:
        raise ValueError(message)
    return value


def parse_name_list(
    text: str, name: str, choices: Iterable[str], *, item: str = "name"
) -> tuple[str, ...]:
    """Parse a comma-separated list of names, each one of ``choices``.

    Parameters
    ----------
    text : str
        The string to parse, e.g. ``"orientation, contrast"``; blanks around
        the names are ignored.
    name : str
        Argument name used in error messages.
    choices : iterable of str
        The accepted names.
    item : str, optional
        What one name is called in error messages (``"parameter"``).

    Returns
    -------
    tuple of str
        The names in the order given, repeats dropped.

    Raises
    ------
    TypeError
        If ``text`` is not a string.
    ValueError
        If ``text`` names nothing, or names something not in ``choices``; the
        message lists ``choices`` and quotes ``text``.
    """
    if not isinstance(text, str):
        raise TypeError(f"`{name}` must be a string, got {_describe(text)}")
    choices = tuple(choices)
    listed = ", ".join(choices)
    names = [part.strip() for part in text.split(",")]
    if not any(names):
        raise ValueError(f"`{name}` must name at least one of {listed}, got {text!r}")
    out: list[str] = []
    for part in names:
        if part not in choices:
            raise ValueError(
                f"`{name}`: unknown {item} {part!r} in {text!r}; choose from {listed} "
                "(comma-separated)"
            )
        if part not in out:
            out.append(part)
    return tuple(out)


# -- ranges and flags -------------------------------------------------------------------
def check_range(
    value: object,
    name: str,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    unit: str = "",
) -> float:
    """Return ``value`` as a finite float inside ``[low, high]`` (ends open if asked).

    For parameters whose extreme values would overflow or underflow the
    computation: the message names the parameter, the valid range and its unit.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        Argument name used in error messages.
    low, high : float, optional
        Bounds (None: unbounded on that side).
    low_open, high_open : bool, optional
        Exclude the bound itself.
    unit : str, optional
        Unit shown after the range (e.g. ``"deg"``).

    Returns
    -------
    float
        The validated value.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (booleans are rejected).
    ValueError
        If ``value`` is NaN, infinite or outside the range.

    Examples
    --------
    >>> check_range(0.5, "sigma", 0.0, 1e4, low_open=True, unit="deg")
    0.5
    """
    out = check_finite(value, name)
    below = low is not None and (out < low or (low_open and out == low))
    above = high is not None and (out > high or (high_open and out == high))
    if below or above:
        left = "-inf" if low is None else f"{low:g}"
        right = "inf" if high is None else f"{high:g}"
        bracket = ("(" if low_open or low is None else "[") + f"{left}, {right}"
        bracket += ")" if high_open or high is None else "]"
        suffix = f" {unit}" if unit else ""
        raise ValueError(f"`{name}` must be in {bracket}{suffix}, got {out:g}")
    return out


def check_bool(value: object, name: str) -> bool:
    """Return ``value`` if it is a bool (``numpy.bool_`` too); strings and numbers are refused.

    Parameters
    ----------
    value : object
        The flag.
    name : str
        Argument name used in error messages.

    Returns
    -------
    bool
        ``value`` as a Python bool.

    Raises
    ------
    TypeError
        If ``value`` is not a bool (``"no"``, ``0`` and ``None`` are not flags).
    """
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"`{name}` must be True or False, got {_describe(value)}")
    return bool(value)


# -- memory budget ------------------------------------------------------------------------
#: Environment variable that sets the memory budget (bytes, or a number with K/M/G/T).
MEMORY_BUDGET_ENV = "CORTEX_MEMORY_BUDGET"
#: Fraction of the available memory that the default budget allows.
DEFAULT_BUDGET_FRACTION = 0.5
_budget: int | None = None  # set by set_memory_budget


class MemoryBudgetError(ValueError, MemoryError):
    """A request whose estimated memory exceeds the budget (refused before allocating).

    Both a :class:`ValueError` (the requested size is the problem) and a
    :class:`MemoryError` (what it would have become).
    """


def _parse_bytes(text: str, name: str) -> int:
    units = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    raw = text.strip().upper().removesuffix("B").removesuffix("I")
    number, suffix = (raw[:-1], raw[-1]) if raw and raw[-1] in units else (raw, "")
    try:
        value = float(number) * units[suffix]
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 1:
        raise ValueError(
            f"`{name}` must be a number of bytes >= 1, optionally with K, M, G or T, "
            f"got {text!r}"
        )
    return int(value)


def _available_memory() -> int:
    """Bytes the machine can still allocate (``MemAvailable``), or total RAM, or 4 GiB."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import os

        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        return 4 * 2**30


def memory_budget() -> int:
    """The largest allocation, in bytes, that one cortex operation may make.

    Operations whose memory grows with a user-chosen size (kernels, mosaics,
    stimulus sets, layers, sparse matrices, sweeps) estimate their bytes first
    and either stream in chunks or refuse requests over this budget with a
    :class:`MemoryBudgetError` that states the estimate and the budget.

    Returns
    -------
    int
        The budget: the value given to :func:`set_memory_budget`, else the
        environment variable ``CORTEX_MEMORY_BUDGET`` (bytes, or e.g.
        ``"2G"``), else half the memory available now.

    Raises
    ------
    ValueError
        If ``CORTEX_MEMORY_BUDGET`` is set to something that is not a size.

    Examples
    --------
    >>> import cortex
    >>> cortex.set_memory_budget("512M")
    >>> cortex.memory_budget()
    536870912
    >>> cortex.set_memory_budget(None)  # back to the default
    """
    if _budget is not None:
        return _budget
    import os

    text = os.environ.get(MEMORY_BUDGET_ENV)
    if text:
        return _parse_bytes(text, MEMORY_BUDGET_ENV)
    return max(1, int(DEFAULT_BUDGET_FRACTION * _available_memory()))


def set_memory_budget(n_bytes: int | str | None) -> None:
    """Set the memory budget of :func:`memory_budget` for this process.

    Parameters
    ----------
    n_bytes : int, str or None
        Bytes (an int >= 1, or a string such as ``"2G"``, ``"512M"``); None
        returns to the default (the environment variable, else half the
        available memory).

    Raises
    ------
    TypeError
        If ``n_bytes`` is neither an int, a string nor None.
    ValueError
        If it is not a size >= 1 byte.
    """
    global _budget
    if n_bytes is None:
        _budget = None
    elif isinstance(n_bytes, str):
        _budget = _parse_bytes(n_bytes, "n_bytes")
    else:
        _budget = check_integer(n_bytes, "n_bytes", minimum=1)


def format_bytes(n_bytes: float) -> str:
    """``1536`` -> ``"1.5 KiB"``: a size for messages."""
    value = float(n_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(value) < 1024 or unit == "PiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.3g} {unit}"
        value /= 1024
    return f"{value:.3g} PiB"  # pragma: no cover


def check_memory(n_bytes: float, what: str) -> int:
    """Refuse an allocation estimated at ``n_bytes`` if it exceeds the budget.

    Call it *before* allocating, with the estimate of what the operation
    would hold at once.

    Parameters
    ----------
    n_bytes : float
        The estimate (may be a float: huge requests overflow no integer).
    what : str
        What would be allocated, for the message (e.g. ``"the kernel of
        Gaussian(sigma=1e6) at 16 px/deg (12000000x12000000 px)"``).

    Returns
    -------
    int
        ``n_bytes`` as an int, when within the budget.

    Raises
    ------
    MemoryBudgetError
        If ``n_bytes`` exceeds :func:`memory_budget`; the message gives the
        estimate, the budget and how to change it.
    """
    budget = memory_budget()
    if not n_bytes <= budget:  # NaN estimates are refused too
        raise MemoryBudgetError(
            f"{what} would need {format_bytes(n_bytes)}, over the memory budget of "
            f"{format_bytes(budget)}; ask for less, or raise the budget with "
            f"cortex.set_memory_budget(...) or the environment variable {MEMORY_BUDGET_ENV}"
        )
    return int(n_bytes)


# -- physical ranges ---------------------------------------------------------------------
# Shared numeric ranges, stated in the docstrings of the functions that apply them.  They are
# far beyond any real visual field, RF and display, and keep every product of them well
# inside float64 and int64:
#: widths and heights of a field, degrees (a pixel-unit field with ppd = 1 may be 1e6 px).
EXTENT_RANGE = (0.0, 1e6)
#: sampling density, pixels per degree.
PPD_RANGE = (1e-6, 1e6)
#: positions given to the coordinate conversions, degrees from fixation.
MAX_POSITION = 1e9
#: (fractional) pixel indices given to :meth:`VisualField.px_to_deg`.
MAX_INDEX = 1e15

#: envelope sigmas (and the DoG's centre and surround), degrees: with sigmas >= 1e-6 deg
#: and offsets <= 1e9 deg, (x / sigma)**2 <= 1e30.
SIGMA_RANGE = (1e-6, 1e6)
#: spatial (carrier) frequencies, cycles/degree (1,700 times the human acuity limit).
MAX_FREQUENCY = 1e5
#: |contrast| (1 is the largest physical Michelson contrast; larger values act as a gain).
MAX_CONTRAST = 1e6


def as_coordinates(value: object, name: str, limit: float, unit: str) -> np.ndarray:
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


def check_broadcast(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Refuse two coordinate arrays that do not broadcast together (ValueError naming both)."""
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"`{name_a}` and `{name_b}` must broadcast together, got shapes {a.shape} and {b.shape}"
        ) from None


def check_ppd(value: object) -> float:
    """``pixels_per_degree``: > 0 and in ``PPD_RANGE`` (TypeError / ValueError naming it)."""
    ppd = check_positive(value, "pixels_per_degree")
    return check_range(ppd, "pixels_per_degree", *PPD_RANGE, unit="px/deg")


# -- arrays and ranges of the experiments (cortex.analysis) -------------------------------
def float_array(
    value: object,
    name: str,
    *,
    ndims: Sequence[int] | None = None,
    allow_nan: bool = False,
    allow_inf: bool = False,
    allow_empty: bool = False,
) -> np.ndarray:
    """``value`` as a float64 array: booleans and strings refused, NaN/inf unless allowed.

    Raises
    ------
    TypeError
        If ``value`` holds no numbers (strings, objects, ragged sequences) or
        booleans (``True`` is not a number here), or is complex.
    ValueError
        If its number of dimensions is wrong, it is empty (unless
        ``allow_empty``), or it holds NaN or infinite values that are not allowed.
    """
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested sequences
        raise TypeError(f"`{name}` must be array-like of numbers, got {_describe(value)}") from exc
    if raw.dtype.kind == "b":
        raise TypeError(f"`{name}` must hold numbers, got booleans (dtype {raw.dtype})")
    if not (allow_nan or allow_inf):
        return as_float_array(raw, name, ndims=ndims, allow_empty=allow_empty, keep_float32=False)
    bad = np.zeros(raw.shape, dtype=bool)
    if raw.dtype.kind in "fc":
        if allow_nan:
            bad |= np.isnan(raw)
        if allow_inf:
            bad |= np.isinf(raw)
    checked = np.where(bad, 0, raw) if bad.any() else raw
    as_float_array(checked, name, ndims=ndims, allow_empty=allow_empty, keep_float32=False)
    return raw.astype(np.float64, copy=False)


def check_values_range(
    values: np.ndarray,
    name: str,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    unit: str = "",
    why: str = "",
) -> np.ndarray:
    """Check that every element of ``values`` is in the range (phrased as :func:`check_range`).

    ``why`` is appended to the message (e.g. what the upper bound is).
    """
    if values.size == 0:
        return values
    bad = np.zeros(values.shape, dtype=bool)
    if low is not None:
        bad |= (values <= low) if low_open else (values < low)
    if high is not None:
        bad |= values > high
    if bad.any():
        worst = float(values[bad].flat[0])
        try:
            check_range(worst, name, low, high, low_open=low_open, unit=unit)
        except ValueError as exc:
            raise ValueError(f"{exc}{why}") from None
    return values


def check_scalar_range(
    value: object,
    name: str,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    unit: str = "",
    why: str = "",
) -> float:
    """:func:`check_range` with ``why`` appended to its message."""
    value = check_finite(value, name)
    try:
        return check_range(value, name, low, high, low_open=low_open, unit=unit)
    except ValueError as exc:
        raise ValueError(f"{exc}{why}") from None


def budget_chunk(step: int, per_item: float, fixed: float) -> int:
    """The largest chunk, at most ``step`` items of ``per_item`` bytes, that fits the budget.

    ``fixed`` bytes are held whatever the chunk; the result is at least 1 (the
    caller's ``check_memory`` then refuses if even one item does not fit).
    """
    room = memory_budget() - fixed
    if room >= step * per_item:
        return step
    return max(1, min(step, int(room // per_item))) if room > 0 else 1

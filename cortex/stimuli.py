"""Visual stimuli on a :class:`~cortex.visual_field.VisualField`.

Every generator returns a float64 array on the field's pixel grid: ``(H, W)``
for one image, ``(N, H, W)`` for a batch, row 0 at the top of the field.

Conventions
-----------
Units
    Positions and sizes are in degrees of visual angle, centred on fixation
    ``(0, 0)`` with ``x`` to the right and ``y`` **up**.  Spatial frequencies
    are in cycles/degree; orientations and phases are in degrees.
Values
    Stimuli are in *contrast units*: 0 is the mean (background) luminance,
    ``+1`` twice the mean, ``-1`` black.  :func:`to_contrast` converts a
    luminance image to (Weber) contrast, ``(L - mean) / mean``.
Orientation
    ``orientation`` is the angle, counter-clockwise from the ``+x`` axis, of
    the direction ``(cos(theta), sin(theta))`` along which a grating varies
    (and along which a bar's *width* is measured).  So 0 gives **vertical**
    bars varying along ``x``, 90 gives **horizontal** bars varying along ``y``.
Phase
    A grating's phase 0 puts a bright bar (the cosine peak) at fixation.
Pixels
    A pixel belongs to a bar, a spot or a check when its *centre* does (closed
    shapes: a centre on the boundary is inside, up to rounding).
"""

from __future__ import annotations

import warnings

import numpy as np

from ._validation import (
    MAX_CONTRAST,
    MAX_FREQUENCY,
    MAX_POSITION,
    _describe,
    as_float_array,
    as_rng,
    check_bool,
    check_choice,
    check_finite,
    check_integer,
    check_memory,
    check_positive,
    check_range,
)
from .visual_field import VisualField

__all__ = [
    "NATURAL_IMAGES",
    "bar",
    "checkerboard",
    "grating",
    "natural_image",
    "spot",
    "to_contrast",
    "white_noise",
]

#: Names of the images of :mod:`skimage.data` shipped inside scikit-image
#: (no download needed) that :func:`natural_image` accepts.
NATURAL_IMAGES: tuple[str, ...] = (
    "camera",
    "astronaut",
    "coffee",
    "chelsea",
    "coins",
    "moon",
    "grass",
    "brick",
    "gravel",
    "rocket",
    "clock",
    "page",
    "text",
)

DISTRIBUTIONS: tuple[str, ...] = ("gaussian", "binary", "uniform")

# Boundary tolerance, relative to a pixel, so that a pixel centre lying exactly
# on a shape's edge is inside whatever the floating-point rounding.
_EDGE_TOL = 1e-9

# Numeric ranges (private; stated in the docstrings).  Far beyond any display, and small
# enough that no stimulus value or intermediate overflows float64.
#: sizes of bars and spots (degrees): anything larger than the field draws the same.
_MAX_SIZE = 1e9
#: side of a checkerboard's checks, degrees.
_CHECK_SIZE_RANGE = (1e-6, 1e9)
#: bytes per stimulus pixel that the generators hold at once (the result and the
#: temporaries of the formula), measured with tracemalloc: gratings hold the two
#: coordinate grids plus about 18 bytes per pixel of every grating; natural images also
#: hold the source image (at most 16 MiB for the images of skimage.data).
_GRATING_BYTES = (16, 24)  # per field pixel, per pixel of each grating
_NOISE_BYTES_PER_PIXEL = {"gaussian": 8, "binary": 24, "uniform": 8}
_SHAPE_BYTES_PER_PIXEL = 64
_NATURAL_BYTES = (64, 2**24)  # per field pixel, for the source image


# --------------------------------------------------------------------------- helpers
def _check_field(field: object) -> VisualField:
    """Return ``field`` if it is a :class:`VisualField`, else raise TypeError."""
    if not isinstance(field, VisualField):
        raise TypeError(f"`field` must be a VisualField, got {_describe(field)}")
    return field


def _refuse_bool_array(value: object, name: str) -> None:
    """Booleans are not numbers: refuse boolean arrays and sequences of booleans."""
    if isinstance(value, np.ndarray | list | tuple):
        try:
            kind = np.asarray(value).dtype.kind
        except (TypeError, ValueError):
            return  # ragged: as_float_array phrases it
        if kind == "b":
            raise TypeError(f"`{name}` must hold numbers, got booleans")


def _check_center(center: object) -> tuple[float, float]:
    """Return ``center`` as a pair of finite floats ``(x, y)`` in degrees."""
    _refuse_bool_array(center, "center")
    array = as_float_array(center, "center", ndims=(1,), keep_float32=False)
    if array.shape != (2,):
        raise ValueError(
            f"`center` must be a pair (x, y) of numbers in degrees, got shape {array.shape}"
        )
    worst = float(np.max(np.abs(array)))
    if worst > MAX_POSITION:
        raise ValueError(
            f"`center` must be in [-{MAX_POSITION:g}, {MAX_POSITION:g}] deg, got {worst:g}"
        )
    return float(array[0]), float(array[1])


def _check_parameter(
    value: object, name: str, *, nonnegative: bool, high: float | None = None, unit: str = ""
) -> np.ndarray:
    """Return a scalar (0-D) or 1-D float64 array of finite values (``<= high`` if given).

    Scalars go through :func:`check_finite` (which rejects booleans and
    strings), sequences and arrays through :func:`as_float_array` (boolean
    arrays are refused).
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.ndarray | list | tuple):
        _refuse_bool_array(value, name)
        array = as_float_array(value, name, ndims=(1,), keep_float32=False)
    else:
        array = np.asarray(check_finite(value, name), dtype=np.float64)
    if nonnegative and np.any(array < 0):
        # Let the shared helper phrase the error about the first bad value.
        check_positive(float(array[array < 0].flat[0]), name, allow_zero=True)
    if high is not None and np.any(array > high):
        check_range(float(array[array > high].flat[0]), name, 0.0, high, unit=unit)
    return array


def _check_size(value: object, name: str, low: float = 0.0, high: float = _MAX_SIZE) -> float:
    """A size in degrees: > 0 (or >= ``low``) and <= ``high``."""
    size = check_positive(value, name)
    return check_range(size, name, low, high, low_open=low == 0.0, unit="deg")


def _check_contrast(value: object, *, signed: bool) -> float:
    """A contrast: finite, ``|contrast| <= 1e6`` (and >= 0 unless ``signed``)."""
    contrast = check_finite(value, "contrast")
    if not signed:
        contrast = check_positive(contrast, "contrast", allow_zero=True)
    return check_range(contrast, "contrast", -MAX_CONTRAST if signed else 0.0, MAX_CONTRAST)


def _check_stimulus_memory(
    field: VisualField,
    n_images: float,
    per_pixel: float,
    what: str,
    *,
    shared_per_pixel: float = 0.0,
    extra: float = 0.0,
) -> None:
    """Refuse a stimulus set whose working memory exceeds the budget (before allocating).

    The estimate is ``(per_pixel * n_images + shared_per_pixel) * H * W + extra`` bytes.
    """
    rows, cols = field.shape
    size = f"{rows}x{cols} px" if n_images == 1 else f"{n_images:.0f} x {rows}x{cols} px"
    n_bytes = (float(per_pixel) * n_images + shared_per_pixel) * rows * cols + extra
    check_memory(n_bytes, f"{what} ({size})")


# --------------------------------------------------------------------------- gratings
def grating(
    field: VisualField,
    spatial_frequency: float | np.ndarray,
    orientation: float | np.ndarray = 0.0,
    phase: float | np.ndarray = 0.0,
    contrast: float | np.ndarray = 1.0,
) -> np.ndarray:
    """Draw a sinusoidal grating, or a batch of gratings.

    The value at a pixel centre ``(x, y)`` (degrees) is::

        contrast * cos(2 * pi * f * (x * cos(theta) + y * sin(theta)) + phi)

    with ``f = spatial_frequency``, ``theta = radians(orientation)`` and
    ``phi = radians(phase)``.

    Parameters
    ----------
    field : VisualField
        The field to draw on.
    spatial_frequency : float or array_like, shape (N,)
        Spatial frequency in cycles/degree, in ``[0, 1e5]`` (1,700 times the
        human acuity limit; larger values overflow the phase).
    orientation : float or array_like, shape (N,), optional
        Direction of modulation in degrees, counter-clockwise from ``+x``:
        0 gives vertical bars (varying along ``x``), 90 horizontal bars
        (varying along ``y``, which points up).
    phase : float or array_like, shape (N,), optional
        Spatial phase in degrees; 0 puts a bright bar (the cosine peak) at
        fixation.
    contrast : float or array_like, shape (N,), optional
        Michelson contrast (amplitude in contrast units), in ``[0, 1e6]``.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``field.shape == (H, W)`` if every parameter is
        a scalar, otherwise ``(N, H, W)`` where ``N`` is the length to which
        the 1-D parameters broadcast (``numpy.broadcast_arrays``).

    Raises
    ------
    TypeError
        If ``field`` is not a :class:`~cortex.VisualField` or a parameter is not
        numeric (booleans and strings are refused).
    ValueError
        If a parameter is NaN or infinite, ``spatial_frequency`` or
        ``contrast`` is negative or above its range, a parameter array is
        empty or not 1-D, or the parameter arrays do not broadcast together.
    cortex.MemoryBudgetError
        If the gratings and their working arrays (about 24 bytes a pixel of
        each grating) would exceed :func:`cortex.memory_budget`.

    Warns
    -----
    UserWarning
        If a spatial frequency exceeds the Nyquist frequency
        ``field.pixels_per_degree / 2`` (the grating is aliased).

    Examples
    --------
    >>> from cortex.visual_field import VisualField
    >>> from cortex.stimuli import grating
    >>> field = VisualField(width=4.0, height=3.0, pixels_per_degree=10)
    >>> grating(field, spatial_frequency=2.0, orientation=45.0).shape
    (30, 40)
    >>> grating(field, 2.0, orientation=[0.0, 45.0, 90.0]).shape
    (3, 30, 40)
    """
    field = _check_field(field)
    params = {
        "spatial_frequency": _check_parameter(
            spatial_frequency,
            "spatial_frequency",
            nonnegative=True,
            high=MAX_FREQUENCY,
            unit="cycles/deg",
        ),
        "orientation": _check_parameter(orientation, "orientation", nonnegative=False),
        "phase": _check_parameter(phase, "phase", nonnegative=False),
        "contrast": _check_parameter(contrast, "contrast", nonnegative=True, high=MAX_CONTRAST),
    }
    try:
        freq, theta_deg, phase_deg, amp = np.broadcast_arrays(*params.values())
    except ValueError:
        shapes = ", ".join(f"`{name}` {value.shape}" for name, value in params.items())
        raise ValueError(
            f"the parameter arrays must have broadcastable lengths, got shapes {shapes}"
        ) from None
    n_images = freq.size  # 1 for scalars
    _check_stimulus_memory(
        field, n_images, _GRATING_BYTES[1], "the gratings", shared_per_pixel=_GRATING_BYTES[0]
    )

    nyquist = field.pixels_per_degree / 2
    highest = float(np.max(freq))
    if highest > nyquist:
        warnings.warn(
            f"`spatial_frequency` {highest} cycles/degree exceeds the Nyquist frequency "
            f"{nyquist} cycles/degree (pixels_per_degree / 2); the grating is aliased",
            UserWarning,
            stacklevel=2,
        )

    x, y = field.grid()
    theta = np.deg2rad(theta_deg)[..., None, None]
    freq = freq[..., None, None]
    phi = np.deg2rad(phase_deg)[..., None, None]
    amp = amp[..., None, None]
    return amp * np.cos(2 * np.pi * freq * (x * np.cos(theta) + y * np.sin(theta)) + phi)


# --------------------------------------------------------------------------- shapes
def bar(
    field: VisualField,
    center: tuple[float, float] = (0.0, 0.0),
    length: float = 1.0,
    width: float = 0.2,
    orientation: float = 0.0,
    contrast: float = 1.0,
) -> np.ndarray:
    """Draw a rectangular bar of uniform contrast on a zero background.

    Parameters
    ----------
    field : VisualField
        The field to draw on.
    center : tuple of float, optional
        Centre ``(x, y)`` of the bar in degrees.
    length : float, optional
        Length of the long axis in degrees, in ``(0, 1e9]``.
    width : float, optional
        Width in degrees, in ``(0, 1e9]``, measured along
        ``(cos(theta), sin(theta))``.
    orientation : float, optional
        Orientation in degrees, same convention as :func:`grating`: 0 is a
        vertical bar (long axis along ``y``), 90 a horizontal one.
    contrast : float, optional
        Value inside the bar; negative for a dark bar.  In ``[-1e6, 1e6]``.

    Returns
    -------
    numpy.ndarray, shape (H, W)
        float64 image: ``contrast`` at pixels whose centre lies in the
        rectangle, 0 elsewhere.

    Raises
    ------
    TypeError
        If ``field`` is not a :class:`~cortex.VisualField` or a parameter is not a
        real number (booleans and strings are refused).
    ValueError
        If ``center`` is not a pair of finite numbers within ``1e9`` deg,
        ``length`` or ``width`` is not in ``(0, 1e9]``, ``orientation`` is
        not finite or ``contrast`` not in ``[-1e6, 1e6]``.
    cortex.MemoryBudgetError
        If the image and its working arrays would exceed
        :func:`cortex.memory_budget`.

    Examples
    --------
    >>> from cortex.visual_field import VisualField
    >>> from cortex.stimuli import bar
    >>> field = VisualField(width=4.0, height=4.0, pixels_per_degree=10)
    >>> image = bar(field, length=2.0, width=0.2, contrast=-1.0)
    >>> int((image == -1.0).sum())  # 20 rows x 2 columns
    40
    """
    field = _check_field(field)
    cx, cy = _check_center(center)
    length = _check_size(length, "length")
    width = _check_size(width, "width")
    theta = np.deg2rad(check_finite(orientation, "orientation"))
    contrast = _check_contrast(contrast, signed=True)
    _check_stimulus_memory(field, 1, _SHAPE_BYTES_PER_PIXEL, "the bar")

    x, y = field.grid()
    dx, dy = x - cx, y - cy
    across = dx * np.cos(theta) + dy * np.sin(theta)
    along = -dx * np.sin(theta) + dy * np.cos(theta)
    tol = _EDGE_TOL / field.pixels_per_degree
    inside = (np.abs(across) <= width / 2 + tol) & (np.abs(along) <= length / 2 + tol)
    return np.where(inside, contrast, 0.0)


def spot(
    field: VisualField,
    center: tuple[float, float] = (0.0, 0.0),
    radius: float = 0.5,
    contrast: float = 1.0,
) -> np.ndarray:
    """Draw a uniform disc (spot) on a zero background.

    Parameters
    ----------
    field : VisualField
        The field to draw on.
    center : tuple of float, optional
        Centre ``(x, y)`` of the disc in degrees.
    radius : float, optional
        Radius in degrees, in ``(0, 1e9]``.
    contrast : float, optional
        Value inside the disc; negative for a dark spot.  In ``[-1e6, 1e6]``.

    Returns
    -------
    numpy.ndarray, shape (H, W)
        float64 image: ``contrast`` at pixels whose centre is within
        ``radius`` of ``center``, 0 elsewhere.

    Raises
    ------
    TypeError
        If ``field`` is not a :class:`~cortex.VisualField` or a parameter is not a
        real number (booleans and strings are refused).
    ValueError
        If ``center`` is not a pair of finite numbers within ``1e9`` deg,
        ``radius`` is not in ``(0, 1e9]`` or ``contrast`` not in
        ``[-1e6, 1e6]``.
    cortex.MemoryBudgetError
        If the image and its working arrays would exceed
        :func:`cortex.memory_budget`.

    Examples
    --------
    >>> from cortex.visual_field import VisualField
    >>> from cortex.stimuli import spot
    >>> field = VisualField(width=2.0, height=2.0, pixels_per_degree=20)
    >>> image = spot(field, center=(0.25, -0.25), radius=0.5)
    >>> image.shape, float(image.max())
    ((40, 40), 1.0)
    """
    field = _check_field(field)
    cx, cy = _check_center(center)
    radius = _check_size(radius, "radius")
    contrast = _check_contrast(contrast, signed=True)
    _check_stimulus_memory(field, 1, _SHAPE_BYTES_PER_PIXEL, "the spot")

    x, y = field.grid()
    tol = _EDGE_TOL / field.pixels_per_degree
    inside = (x - cx) ** 2 + (y - cy) ** 2 <= (radius + tol) ** 2
    return np.where(inside, contrast, 0.0)


def checkerboard(
    field: VisualField,
    check_size: float,
    contrast: float = 1.0,
    phase: int = 0,
) -> np.ndarray:
    """Draw a checkerboard of ``+contrast`` and ``-contrast`` squares.

    Check edges lie on the lines ``x = k * check_size`` and
    ``y = l * check_size`` (integers ``k``, ``l``); with ``phase=0`` the check
    just up and to the right of fixation (``0 < x, y < check_size``) is
    ``+contrast``.  A pixel centre exactly on an edge belongs to the check
    above / to the right of it.

    Parameters
    ----------
    field : VisualField
        The field to draw on.
    check_size : float
        Side of a check in degrees, in ``[1e-6, 1e9]`` (smaller checks would
        overflow the check index).
    contrast : float, optional
        Amplitude in contrast units, in ``[0, 1e6]``.
    phase : {0, 1}, optional
        1 swaps the polarity of every check (counterphase).

    Returns
    -------
    numpy.ndarray, shape (H, W)
        float64 image with values ``+contrast`` and ``-contrast``.

    Raises
    ------
    TypeError
        If ``field`` is not a :class:`~cortex.VisualField`, ``check_size`` or
        ``contrast`` is not a real number, or ``phase`` is not an integer.
    ValueError
        If ``check_size`` or ``contrast`` is out of its range, or ``phase``
        is not 0 or 1.
    cortex.MemoryBudgetError
        If the image and its working arrays would exceed
        :func:`cortex.memory_budget`.

    Examples
    --------
    >>> from cortex.visual_field import VisualField
    >>> from cortex.stimuli import checkerboard
    >>> field = VisualField(width=2.0, height=2.0, pixels_per_degree=2)
    >>> checkerboard(field, check_size=0.5)
    array([[-1.,  1., -1.,  1.],
           [ 1., -1.,  1., -1.],
           [-1.,  1., -1.,  1.],
           [ 1., -1.,  1., -1.]])
    """
    field = _check_field(field)
    check_size = _check_size(check_size, "check_size", *_CHECK_SIZE_RANGE)
    contrast = _check_contrast(contrast, signed=False)
    phase = check_integer(phase, "phase", minimum=0)
    if phase > 1:
        raise ValueError(f"`phase` must be 0 or 1, got {phase}")
    _check_stimulus_memory(field, 1, _SHAPE_BYTES_PER_PIXEL, "the checkerboard")

    x, y = field.grid()
    col = np.floor(x / check_size + _EDGE_TOL)
    row = np.floor(y / check_size + _EDGE_TOL)
    parity = (col + row + phase) % 2  # 0 -> +contrast, 1 -> -contrast
    return contrast * (1.0 - 2.0 * parity)


# --------------------------------------------------------------------------- noise
def white_noise(
    field: VisualField,
    n_images: int | None = None,
    *,
    contrast: float = 1.0,
    distribution: str = "gaussian",
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Draw spatially white noise: independent zero-mean pixels of std ``contrast``.

    Parameters
    ----------
    field : VisualField
        The field to draw on.
    n_images : int, optional
        Number of images (>= 1).  ``None`` returns a single ``(H, W)`` image.
    contrast : float, optional
        Standard deviation of every pixel in contrast units, in ``[0, 1e6]``.
    distribution : {"gaussian", "binary", "uniform"}, optional
        ``"gaussian"``: normal with std ``contrast``; ``"binary"``:
        ``+contrast`` or ``-contrast`` with probability 1/2 each;
        ``"uniform"``: uniform on ``[-a, a)`` with ``a = contrast * sqrt(3)``
        (so that the std is ``contrast``).
    seed : None, int or numpy.random.Generator, optional
        Source of randomness; the same int gives the same images.

    Returns
    -------
    numpy.ndarray
        float64 array of shape ``(H, W)``, or ``(n_images, H, W)``.

    Raises
    ------
    TypeError
        If ``field`` is not a :class:`~cortex.VisualField`, ``n_images`` is not an
        integer, ``contrast`` is not a real number, ``distribution`` is not a
        string, or ``seed`` has another type.
    ValueError
        If ``n_images`` < 1, ``contrast`` is not in ``[0, 1e6]``,
        ``distribution`` is not one of the accepted values, or ``seed`` is a
        negative integer.
    cortex.MemoryBudgetError
        If the images (8 bytes a pixel, 24 while drawing binary noise) would
        exceed :func:`cortex.memory_budget`; draw them in batches instead.

    Examples
    --------
    >>> from cortex.visual_field import VisualField
    >>> from cortex.stimuli import white_noise
    >>> field = VisualField(width=3.0, height=2.0, pixels_per_degree=10)
    >>> white_noise(field, 5, distribution="binary", seed=0).shape
    (5, 20, 30)
    """
    field = _check_field(field)
    if n_images is not None:
        n_images = check_integer(n_images, "n_images", minimum=1)
    contrast = _check_contrast(contrast, signed=False)
    distribution = check_choice(distribution, "distribution", DISTRIBUTIONS)
    rng = as_rng(seed, "seed")
    _check_stimulus_memory(
        field,
        1 if n_images is None else n_images,
        _NOISE_BYTES_PER_PIXEL[distribution],
        f"{distribution} white noise",
    )

    size = field.shape if n_images is None else (n_images, *field.shape)
    if distribution == "gaussian":
        return contrast * rng.standard_normal(size)
    if distribution == "binary":
        return contrast * (2.0 * rng.integers(0, 2, size=size) - 1.0)
    if distribution == "uniform":
        half = contrast * np.sqrt(3.0)
        return rng.uniform(-half, half, size=size)
    raise AssertionError(f"unhandled distribution {distribution!r}")  # pragma: no cover


# --------------------------------------------------------------------------- images
def to_contrast(image: object) -> np.ndarray:
    """Convert luminance to Weber contrast ``(L - mean) / mean``, per image.

    Parameters
    ----------
    image : array_like, shape (H, W) or (N, H, W)
        Luminance (any units, e.g. [0, 1]); the mean is taken per image over
        the last two axes.

    Returns
    -------
    numpy.ndarray
        float64 array of the same shape, each image with mean 0.

    Raises
    ------
    TypeError
        If ``image`` is not numeric.
    ValueError
        If ``image`` is not 2-D or 3-D, is empty, holds NaN or infinite
        values, an image's mean luminance is <= 0, or the contrast would
        overflow float64 (a mean luminance too close to 0 for the values, or
        values near the float64 limit).
    cortex.MemoryBudgetError
        If the result and its temporary (16 bytes a pixel) would exceed
        :func:`cortex.memory_budget`.

    Examples
    --------
    >>> from cortex.stimuli import to_contrast
    >>> to_contrast([[1.0, 3.0], [2.0, 2.0]])
    array([[-0.5,  0.5],
           [ 0. ,  0. ]])
    """
    image = as_float_array(image, "image", ndims=(2, 3), keep_float32=False)
    check_memory(16.0 * image.size, f"the contrast of images of shape {image.shape}")
    with np.errstate(over="ignore"):  # an overflowing mean is refused below
        mean = image.mean(axis=(-2, -1), keepdims=True)
    if np.any(mean <= 0):
        flat = mean.ravel()
        index = int(np.flatnonzero(flat <= 0)[0])
        where = "" if image.ndim == 2 else f" (image {index})"
        raise ValueError(
            f"`image` must have a positive mean luminance, got mean {float(flat[index])}{where}"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        out = (image - mean) / mean
    if not np.all(np.isfinite(out)):
        raise ValueError(
            "`image`: its Weber contrast overflows float64 (largest |value| "
            f"{float(np.max(np.abs(image))):g}, smallest mean luminance {float(mean.min()):g}); "
            "rescale the luminance"
        )
    return out


def _load_gray(name: str) -> np.ndarray:
    """Load a shipped :mod:`skimage.data` image as grayscale float in [0, 1]."""
    from skimage import color, data, util

    image = getattr(data, name)()
    if image.ndim == 3:
        if image.shape[-1] == 4:
            image = color.rgba2rgb(image)
        image = color.rgb2gray(image)
    return util.img_as_float(image).astype(np.float64, copy=False)


def _crop_to_aspect(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Crop the centre of ``image`` to the aspect ratio of ``shape``."""
    rows, cols = image.shape
    target = shape[1] / shape[0]  # width / height
    if cols / rows > target:  # too wide: crop columns
        new_cols = min(cols, max(1, int(round(rows * target))))
        start = (cols - new_cols) // 2
        return image[:, start : start + new_cols]
    new_rows = min(rows, max(1, int(round(cols / target))))
    start = (rows - new_rows) // 2
    return image[start : start + new_rows, :]


def natural_image(
    field: VisualField,
    name: str = "camera",
    *,
    contrast: bool = True,
) -> np.ndarray:
    """Load a natural image from :mod:`skimage.data`, fitted to the field.

    The image is converted to grayscale luminance in [0, 1], its centre is
    cropped to the aspect ratio of ``field.shape`` (nothing is stretched),
    and it is resized to ``field.shape`` with anti-aliasing.  Only images that
    ship inside scikit-image are used; nothing is downloaded.

    Parameters
    ----------
    field : VisualField
        The field to cover.
    name : str, optional
        One of :data:`NATURAL_IMAGES`.
    contrast : bool, optional
        Return Weber contrast ``(L - mean) / mean`` (mean 0) if True,
        luminance in [0, 1] if False.

    Returns
    -------
    numpy.ndarray, shape (H, W)
        float64 image.

    Raises
    ------
    TypeError
        If ``field`` is not a :class:`~cortex.VisualField`, ``name`` is not a
        string or ``contrast`` is not a bool.
    ValueError
        If ``name`` is not one of :data:`NATURAL_IMAGES`.
    cortex.MemoryBudgetError
        If resizing to the field (about 64 bytes a pixel, plus the source
        image) would exceed :func:`cortex.memory_budget`.

    Examples
    --------
    >>> from cortex.visual_field import VisualField
    >>> from cortex.stimuli import natural_image
    >>> field = VisualField(width=8.0, height=6.0, pixels_per_degree=8)
    >>> image = natural_image(field, "coins")
    >>> image.shape, bool(abs(image.mean()) < 1e-12)
    ((48, 64), True)
    """
    from skimage.transform import resize

    field = _check_field(field)
    name = check_choice(name, "name", NATURAL_IMAGES)
    contrast = check_bool(contrast, "contrast")
    _check_stimulus_memory(
        field,
        1,
        _NATURAL_BYTES[0],
        f"the natural image {name!r} resized to the field",
        extra=_NATURAL_BYTES[1],
    )
    luminance = _crop_to_aspect(_load_gray(name), field.shape)
    luminance = resize(luminance, field.shape, anti_aliasing=True)
    luminance = np.clip(luminance, 0.0, 1.0)
    return to_contrast(luminance) if contrast else luminance

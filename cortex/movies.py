"""Movies: stimuli in time on a :class:`~cortex.visual_field.VisualField`.

A :class:`Movie` holds frames ``(T, H, W)`` in contrast units (0 is the mean
luminance, as :mod:`cortex.stimuli`), a frame rate and the field.  Every
generator takes the field, ``frames_per_second`` (Hz) and ``duration``
(seconds) and returns a :class:`Movie` of ``round(duration *
frames_per_second)`` frames.

Conventions
-----------
Time
    Frame ``n`` is shown during ``[n / fps, (n + 1) / fps)`` and drawn at the
    time its display starts, ``Movie.times[n] = n / fps``.  This is the
    convention of :meth:`cortex.temporal.TemporalKernel.kernel`: convolving
    the frames with a kernel's taps gives the response at the end of each
    frame.
Direction of motion
    Degrees counter-clockwise from ``+x``: **0 = rightward, 90 = upward**
    (``y`` points up, row 0 is the top of the field).  A grating drifting in
    direction ``theta`` has bars at orientation ``theta`` (the
    :func:`cortex.stimuli.grating` and :class:`cortex.Gabor` angle), and
    :meth:`cortex.temporal.DirectionSelectiveRF.from_gabor` with
    ``direction=theta`` prefers it.
Space
    As :mod:`cortex.stimuli`: degrees, ``x`` right and ``y`` up, a pixel
    belongs to a bar or spot when its centre does.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from ._validation import (
    MAX_FREQUENCY,
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
from .stimuli import (
    _EDGE_TOL,
    _NOISE_BYTES_PER_PIXEL,
    DISTRIBUTIONS,
    NATURAL_IMAGES,
    _check_center,
    _check_contrast,
    _check_field,
    _check_size,
    natural_image,
    spot,
    white_noise,
)
from .temporal import MAX_DURATION, _check_duration, _check_fps
from .visual_field import VisualField

__all__ = [
    "Movie",
    "drifting_grating",
    "flashed_spot",
    "moving_bar",
    "natural_movie",
    "white_noise_movie",
]

# Numeric ranges (stated in the docstrings).
#: speeds of bars and of the eye's drift, deg/s.
MAX_SPEED = 1e6
#: temporal frequencies of gratings and saccade rates, Hz.
MAX_RATE = 1e6
#: saccade amplitudes and the natural movie's margin, degrees.
MAX_AMPLITUDE = 1e6
#: bytes per movie pixel that the generators hold at once (the frames and the
#: temporaries of their formula), and per field pixel (coordinate grids, masks).
_GRATING_BYTES = (8, 80)
_BAR_BYTES = (9, 112)
_SPOT_BYTES = (8, 64)
_NATURAL_BYTES = (48, 64, 2**24)  # per movie pixel, per scene pixel, the source image
#: bytes per saccade of the natural movie's gaze path.
_SACCADE_BYTES = 64


# --------------------------------------------------------------------------- Movie
@dataclass(frozen=True, eq=False)
class Movie:
    """A movie: frames in contrast units on a visual field, at a frame rate.

    Parameters
    ----------
    frames : array_like, shape (T, H, W)
        The frames (``T >= 1``), finite numbers; stored as a read-only
        float64 array, or float32 if given float32 (a read-only *view*, no
        copy, when ``frames`` already is such an array).
    frames_per_second : float
        Frame rate in Hz, in ``[1e-6, 1e6]``.
    field : VisualField
        The field the frames cover: ``frames.shape[1:] == field.shape``.

    Raises
    ------
    TypeError
        If ``field`` is not a :class:`~cortex.VisualField`, ``frames`` is not
        numeric (booleans are refused) or ``frames_per_second`` not a real
        number.
    ValueError
        If ``frames`` is not 3-D, is empty, holds NaN or infinite values or
        does not match ``field.shape``, or ``frames_per_second`` is out of
        its range.

    Notes
    -----
    Movies compare by identity (``==`` is ``is``): frames are arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from cortex import VisualField
    >>> from cortex.movies import Movie
    >>> field = VisualField(width=2.0, height=1.0, pixels_per_degree=4)
    >>> movie = Movie(np.zeros((5, 4, 8)), frames_per_second=50, field=field)
    >>> movie.n_frames, movie.duration, movie.times[-1]
    (5, 0.1, np.float64(0.08))
    >>> movie.frames.flags.writeable
    False
    """

    frames: np.ndarray
    frames_per_second: float
    field: VisualField

    def __post_init__(self) -> None:
        field = _check_field(self.field)
        fps = _check_fps(self.frames_per_second)
        frames = self.frames
        if isinstance(frames, np.ndarray | list | tuple):
            try:
                kind = np.asarray(frames).dtype.kind
            except (TypeError, ValueError):
                kind = ""  # ragged: as_float_array phrases it
            if kind == "b":
                raise TypeError("`frames` must hold numbers, got booleans")
        frames = as_float_array(frames, "frames", ndims=(3,), keep_float32=True)
        if frames.shape[1:] != field.shape:
            raise ValueError(
                f"`frames` must have shape (T, {field.shape[0]}, {field.shape[1]}) to match "
                f"`field.shape`, got {frames.shape}"
            )
        frames = frames.view()
        frames.flags.writeable = False
        object.__setattr__(self, "frames", frames)
        object.__setattr__(self, "frames_per_second", fps)

    @property
    def n_frames(self) -> int:
        """Number of frames ``T``."""
        return int(self.frames.shape[0])

    @property
    def duration(self) -> float:
        """Duration in seconds: ``n_frames / frames_per_second``."""
        return self.n_frames / self.frames_per_second

    @property
    def times(self) -> np.ndarray:
        """Start time of every frame in seconds, ``arange(T) / frames_per_second``, shape (T,)."""
        return np.arange(self.n_frames) / self.frames_per_second


# --------------------------------------------------------------------------- helpers
def _n_frames(fps: float, duration: float) -> int:
    n = int(round(duration * fps))
    if n < 1:
        raise ValueError(
            f"the movie must have at least one frame, got duration * frames_per_second = "
            f"{duration:g} s * {fps:g} Hz = {duration * fps:.3g}"
        )
    return n


def _setup(field: object, frames_per_second: object, duration: object):
    """Validate the arguments every generator takes: ``(field, fps, duration)``."""
    field = _check_field(field)
    fps = _check_fps(frames_per_second)
    duration = _check_duration(duration)
    return field, fps, duration


def _check_movie_memory(
    field: VisualField,
    n_frames: float,
    per_pixel: float,
    what: str,
    *,
    shared_per_pixel: float = 0.0,
    extra: float = 0.0,
) -> None:
    """Refuse a movie whose working memory exceeds the budget (before allocating)."""
    rows, cols = field.shape
    n_bytes = (float(per_pixel) * n_frames + shared_per_pixel) * rows * cols + extra
    check_memory(n_bytes, f"{what} ({n_frames:.0f} frames of {rows}x{cols} px)")


def _check_onset(value: object, name: str = "onset") -> float:
    onset = check_positive(value, name, allow_zero=True)
    return check_range(onset, name, 0.0, MAX_DURATION, unit="s")


def _check_bounded(value: object, name: str, high: float, unit: str) -> float:
    """A finite value in ``[0, high]``."""
    out = check_positive(value, name, allow_zero=True)
    return check_range(out, name, 0.0, high, unit=unit)


def _from_onset(times: np.ndarray, onset: float, fps: float) -> np.ndarray:
    """Frames that start at or after ``onset`` (to rounding of the frame times)."""
    return times >= onset - 1e-9 / fps


# --------------------------------------------------------------------------- gratings
def drifting_grating(
    field: VisualField,
    frames_per_second: float,
    duration: float,
    *,
    spatial_frequency: float,
    temporal_frequency: float,
    direction: float = 0.0,
    contrast: float = 1.0,
    phase: float = 0.0,
    onset: float = 0.0,
) -> Movie:
    """A sinusoidal grating drifting in ``direction``, off (zero) before ``onset``.

    Frame ``n`` (time ``t = n / fps``) is, at pixel centre ``(x, y)`` deg::

        contrast * cos(2 pi (f u - ft t) + phi),  u = x cos(theta) + y sin(theta)

    for ``t >= onset``, and 0 before.  With ``ft > 0`` the phase at a fixed
    point decreases in time and the bars move along ``+u``: in ``direction``,
    at ``ft / f`` deg/s.  The drift is not restarted at the onset (the movie
    equals the one with ``onset=0`` from the onset on).

    Parameters
    ----------
    field : VisualField
        The field to draw on.
    frames_per_second : float
        Frame rate in Hz, in ``[1e-6, 1e6]``.
    duration : float
        Seconds, in ``(0, 1e9]``; the movie has ``round(duration * fps)``
        frames (at least 1).
    spatial_frequency : float
        ``f`` in cycles/degree, in ``[0, 1e5]``.
    temporal_frequency : float
        ``ft`` in Hz, in ``[0, 1e6]`` (use ``direction + 180`` for the other
        way).
    direction : float, optional
        ``theta``: direction of motion in degrees, 0 = rightward (vertical
        bars), 90 = upward (horizontal bars).
    contrast : float, optional
        Michelson contrast (amplitude), in ``[0, 1e6]``.
    phase : float, optional
        ``phi`` in degrees: 0 puts a bright bar at fixation at ``t = 0``.
    onset : float, optional
        Seconds, in ``[0, 1e9]``: frames starting before it are 0 (for
        testing causality).

    Returns
    -------
    Movie
        The frames ``(T, H, W)``.

    Raises
    ------
    TypeError
        If ``field`` is not a :class:`~cortex.VisualField` or a parameter is
        not a real number (booleans and strings are refused).
    ValueError
        If a parameter is NaN, infinite or out of its range, or the movie
        would have no frame.
    cortex.MemoryBudgetError
        If the frames (8 bytes a pixel, plus 80 bytes a field pixel) would
        exceed :func:`cortex.memory_budget` (checked before allocating).

    Warns
    -----
    UserWarning
        If ``spatial_frequency`` exceeds the field's Nyquist frequency
        ``pixels_per_degree / 2``, or ``temporal_frequency`` the frame rate's
        ``frames_per_second / 2`` (the movie aliases).

    Examples
    --------
    >>> from cortex import VisualField
    >>> from cortex.movies import drifting_grating
    >>> field = VisualField(width=2.0, height=2.0, pixels_per_degree=8)
    >>> movie = drifting_grating(field, 60, 0.5, spatial_frequency=1.0,
    ...                          temporal_frequency=4.0, direction=90.0, onset=0.1)
    >>> movie.frames.shape
    (30, 16, 16)
    >>> float(abs(movie.frames[:6]).max())  # frames before 0.1 s
    0.0
    """
    field, fps, duration = _setup(field, frames_per_second, duration)
    f = check_range(
        check_positive(spatial_frequency, "spatial_frequency", allow_zero=True),
        "spatial_frequency",
        0.0,
        MAX_FREQUENCY,
        unit="cycles/deg",
    )
    ft = _check_bounded(temporal_frequency, "temporal_frequency", MAX_RATE, "Hz")
    theta = math.radians(check_finite(direction, "direction"))
    contrast = _check_contrast(contrast, signed=False)
    phi = math.radians(check_finite(phase, "phase"))
    onset = _check_onset(onset)
    n = _n_frames(fps, duration)
    _check_movie_memory(
        field, n, _GRATING_BYTES[0], "the drifting grating", shared_per_pixel=_GRATING_BYTES[1]
    )
    if f > field.pixels_per_degree / 2:
        warnings.warn(
            f"`spatial_frequency` {f:g} cycles/deg exceeds the Nyquist frequency "
            f"{field.pixels_per_degree / 2:g} cycles/deg (pixels_per_degree / 2); the grating "
            "is aliased",
            UserWarning,
            stacklevel=2,
        )
    if ft > fps / 2:
        warnings.warn(
            f"`temporal_frequency` {ft:g} Hz exceeds the Nyquist frequency {fps / 2:g} Hz "
            "(frames_per_second / 2); the drift is aliased",
            UserWarning,
            stacklevel=2,
        )
    x, y = field.grid()
    spatial = 2.0 * math.pi * f * (x * math.cos(theta) + y * math.sin(theta)) + phi
    times = np.arange(n) / fps
    frames = np.subtract(spatial[np.newaxis], (2.0 * math.pi * ft * times)[:, None, None])
    np.cos(frames, out=frames)
    frames *= contrast
    frames[~_from_onset(times, onset, fps)] = 0.0
    return Movie(frames, fps, field)


# --------------------------------------------------------------------------- shapes
def moving_bar(
    field: VisualField,
    frames_per_second: float,
    duration: float,
    *,
    speed: float,
    direction: float = 0.0,
    width: float = 0.2,
    length: float = 1.0,
    contrast: float = 1.0,
    center: tuple[float, float] = (0.0, 0.0),
) -> Movie:
    """A bar moving at constant speed across its long axis, crossing ``center`` at mid-movie.

    The bar is a rectangle ``width`` deg along the direction of motion
    ``(cos(theta), sin(theta))`` and ``length`` deg across it (so it moves
    broadside on, like :func:`cortex.stimuli.bar` with
    ``orientation=direction``).  Its centre at time ``t`` is
    ``center + speed * (t - D / 2) * (cos(theta), sin(theta))``, with ``D``
    the movie's duration (``T / fps``): it passes ``center`` at ``D / 2``.

    Parameters
    ----------
    field : VisualField
        The field to draw on.
    frames_per_second : float
        Frame rate in Hz, in ``[1e-6, 1e6]``.
    duration : float
        Seconds, in ``(0, 1e9]`` (``round(duration * fps)`` frames).
    speed : float
        Deg/s, in ``[0, 1e6]``.
    direction : float, optional
        ``theta``, degrees: 0 = rightward, 90 = upward.
    width : float, optional
        Extent along the motion, degrees, in ``(0, 1e9]``.
    length : float, optional
        Extent across the motion, degrees, in ``(0, 1e9]``.
    contrast : float, optional
        Value inside the bar (negative: dark), in ``[-1e6, 1e6]``.
    center : tuple of float, optional
        ``(x, y)`` degrees that the bar's centre crosses at mid-movie.

    Returns
    -------
    Movie
        ``contrast`` at the pixels whose centres lie in the bar, 0 elsewhere.

    Raises
    ------
    TypeError
        If ``field`` is not a :class:`~cortex.VisualField` or a parameter is
        not a real number (booleans and strings are refused).
    ValueError
        If a parameter is NaN, infinite or out of its range, or the movie
        would have no frame.
    cortex.MemoryBudgetError
        If the frames and their mask (9 bytes a pixel) would exceed
        :func:`cortex.memory_budget` (checked before allocating).

    Examples
    --------
    >>> from cortex import VisualField
    >>> from cortex.movies import moving_bar
    >>> field = VisualField(width=4.0, height=2.0, pixels_per_degree=10)
    >>> movie = moving_bar(field, 10, 1.0, speed=2.0, width=0.2, length=1.0)
    >>> [int(movie.frames[n].sum(axis=0).argmax()) for n in (0, 5, 9)]  # left to right
    [9, 19, 27]
    """
    field, fps, duration = _setup(field, frames_per_second, duration)
    speed = _check_bounded(speed, "speed", MAX_SPEED, "deg/s")
    theta = math.radians(check_finite(direction, "direction"))
    width = _check_size(width, "width")
    length = _check_size(length, "length")
    contrast = _check_contrast(contrast, signed=True)
    cx, cy = _check_center(center)
    n = _n_frames(fps, duration)
    _check_movie_memory(field, n, _BAR_BYTES[0], "the moving bar", shared_per_pixel=_BAR_BYTES[1])

    x, y = field.grid()
    dx, dy = x - cx, y - cy
    across = dx * math.cos(theta) + dy * math.sin(theta)  # along the motion
    along = -dx * math.sin(theta) + dy * math.cos(theta)
    tol = _EDGE_TOL / field.pixels_per_degree
    in_length = np.abs(along) <= length / 2 + tol
    times = np.arange(n) / fps
    shift = speed * (times - n / fps / 2)
    frames = np.subtract(across[np.newaxis], shift[:, None, None])
    np.abs(frames, out=frames)
    inside = frames <= width / 2 + tol
    inside &= in_length
    np.multiply(inside, contrast, out=frames)
    return Movie(frames, fps, field)


def flashed_spot(
    field: VisualField,
    frames_per_second: float,
    duration: float,
    *,
    center: tuple[float, float] = (0.0, 0.0),
    radius: float = 0.5,
    onset: float = 0.0,
    flash_duration: float | None = None,
    contrast: float = 1.0,
) -> Movie:
    """A spot (disc) shown from ``onset`` for ``flash_duration`` seconds, 0 otherwise.

    A frame shows the spot (as :func:`cortex.stimuli.spot`) when its start
    time ``t`` satisfies ``onset <= t < onset + flash_duration`` (to rounding
    of the frame times).

    Parameters
    ----------
    field : VisualField
        The field to draw on.
    frames_per_second : float
        Frame rate in Hz, in ``[1e-6, 1e6]``.
    duration : float
        Seconds, in ``(0, 1e9]`` (``round(duration * fps)`` frames).
    center : tuple of float, optional
        Centre ``(x, y)`` of the disc in degrees.
    radius : float, optional
        Degrees, in ``(0, 1e9]``.
    onset : float, optional
        Seconds, in ``[0, 1e9]``.
    flash_duration : float, optional
        Seconds, in ``(0, 1e9]``; None keeps the spot on to the end (a step).
    contrast : float, optional
        Value inside the disc (negative: dark), in ``[-1e6, 1e6]``.

    Returns
    -------
    Movie
        The frames ``(T, H, W)``.

    Raises
    ------
    TypeError
        If ``field`` is not a :class:`~cortex.VisualField` or a parameter is
        not a real number (booleans and strings are refused).
    ValueError
        If a parameter is NaN, infinite or out of its range, or the movie
        would have no frame.
    cortex.MemoryBudgetError
        If the frames would exceed :func:`cortex.memory_budget` (checked
        before allocating).

    Examples
    --------
    >>> from cortex import VisualField
    >>> from cortex.movies import flashed_spot
    >>> field = VisualField(width=2.0, height=2.0, pixels_per_degree=10)
    >>> movie = flashed_spot(field, 100, 0.1, onset=0.02, flash_duration=0.05)
    >>> movie.frames.max(axis=(1, 2)).tolist()
    [0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    """
    field, fps, duration = _setup(field, frames_per_second, duration)
    _check_center(center)
    _check_size(radius, "radius")
    _check_contrast(contrast, signed=True)
    onset = _check_onset(onset)
    if flash_duration is not None:
        flash_duration = _check_duration(flash_duration, "flash_duration")
    n = _n_frames(fps, duration)
    _check_movie_memory(
        field, n, _SPOT_BYTES[0], "the flashed spot", shared_per_pixel=_SPOT_BYTES[1]
    )

    image = spot(field, center, radius, contrast)
    times = np.arange(n) / fps
    on = _from_onset(times, onset, fps)
    if flash_duration is not None:
        on &= ~_from_onset(times, onset + flash_duration, fps)
    frames = np.zeros((n, *field.shape))
    frames[on] = image
    return Movie(frames, fps, field)


# --------------------------------------------------------------------------- noise
def white_noise_movie(
    field: VisualField,
    frames_per_second: float,
    duration: float,
    *,
    seed: int | np.random.Generator | None = None,
    contrast: float = 1.0,
    frame_hold: int = 1,
    distribution: str = "gaussian",
) -> Movie:
    """Spatiotemporal white noise: a new independent noise image every ``frame_hold`` frames.

    The images are :func:`cortex.stimuli.white_noise`'s (zero mean, std
    ``contrast``, independent pixels), drawn as one batch from ``seed``;
    each is held for ``frame_hold`` frames (the last one possibly fewer).

    Parameters
    ----------
    field : VisualField
        The field to draw on.
    frames_per_second : float
        Frame rate in Hz, in ``[1e-6, 1e6]``.
    duration : float
        Seconds, in ``(0, 1e9]`` (``round(duration * fps)`` frames).
    seed : None, int or numpy.random.Generator, optional
        Source of randomness; the same int gives the same movie.
    contrast : float, optional
        Standard deviation of every pixel, in ``[0, 1e6]``.
    frame_hold : int, optional
        Frames per noise image, >= 1 (the noise is white up to
        ``fps / frame_hold`` Hz).
    distribution : {"gaussian", "binary", "uniform"}, optional
        As :func:`cortex.stimuli.white_noise`.

    Returns
    -------
    Movie
        The frames ``(T, H, W)``.

    Raises
    ------
    TypeError
        If ``field`` is not a :class:`~cortex.VisualField`, a parameter has
        the wrong type (``frame_hold`` must be an integer; booleans are
        refused), or ``seed`` is neither None, an int nor a Generator.
    ValueError
        If a parameter is out of its range, ``distribution`` unknown, ``seed``
        negative, or the movie would have no frame.
    cortex.MemoryBudgetError
        If the frames and the noise images would exceed
        :func:`cortex.memory_budget` (checked before allocating).

    Examples
    --------
    >>> from cortex import VisualField
    >>> from cortex.movies import white_noise_movie
    >>> field = VisualField(width=1.0, height=1.0, pixels_per_degree=8)
    >>> movie = white_noise_movie(field, 60, 0.1, seed=0, frame_hold=2)
    >>> movie.frames.shape
    (6, 8, 8)
    >>> bool((movie.frames[0] == movie.frames[1]).all())
    True
    """
    field, fps, duration = _setup(field, frames_per_second, duration)
    contrast = _check_contrast(contrast, signed=False)
    hold = check_integer(frame_hold, "frame_hold", minimum=1)
    distribution = check_choice(distribution, "distribution", DISTRIBUTIONS)
    rng = as_rng(seed, "seed")
    n = _n_frames(fps, duration)
    n_images = -(-n // hold)
    per_image = _NOISE_BYTES_PER_PIXEL[distribution] + 8.0
    _check_movie_memory(
        field,
        n,
        8.0 if hold > 1 else 0.0,
        "the white-noise movie",
        extra=per_image * n_images * field.shape[0] * field.shape[1],
    )
    images = white_noise(field, n_images, contrast=contrast, distribution=distribution, seed=rng)
    frames = images if hold == 1 else np.repeat(images, hold, axis=0)[:n]
    return Movie(frames, fps, field)


# --------------------------------------------------------------------------- natural
def _fold(path: np.ndarray, limit: float) -> np.ndarray:
    """Reflect positions into ``[-limit, limit]`` (a ball bouncing off the walls)."""
    span = 2.0 * limit
    q = np.mod(path + limit, 2.0 * span)
    return np.where(q > span, 2.0 * span - q, q) - limit


def _gaze_path(
    rng: np.random.Generator,
    times: np.ndarray,
    total: float,
    drift_speed: float,
    saccade_rate: float,
    saccade_amplitude: float,
) -> np.ndarray:
    """Unfolded gaze positions ``(T, 2)`` deg: piecewise-linear drift plus saccadic jumps."""
    n_saccades = int(rng.poisson(saccade_rate * total)) if saccade_rate > 0 else 0
    saccade_times = np.sort(rng.uniform(0.0, total, n_saccades))
    saccade_angles = rng.uniform(0.0, 2.0 * math.pi, n_saccades)
    drift_angles = rng.uniform(0.0, 2.0 * math.pi, n_saccades + 1)

    starts = np.concatenate([[0.0], saccade_times])  # of the drift segments
    lengths = np.diff(np.concatenate([starts, [total]]))
    velocity = drift_speed * np.stack([np.cos(drift_angles), np.sin(drift_angles)], axis=-1)
    drift_at_start = np.concatenate(
        [np.zeros((1, 2)), np.cumsum(velocity[:-1] * lengths[:-1, None], axis=0)]
    )
    jumps = saccade_amplitude * np.stack([np.cos(saccade_angles), np.sin(saccade_angles)], -1)
    jumps_before = np.concatenate([np.zeros((1, 2)), np.cumsum(jumps, axis=0)])

    segment = np.searchsorted(saccade_times, times, side="right")
    drift = drift_at_start[segment] + velocity[segment] * (times - starts[segment])[:, None]
    return drift + jumps_before[segment]


def natural_movie(
    field: VisualField,
    frames_per_second: float,
    duration: float,
    *,
    seed: int | np.random.Generator | None = None,
    image: str = "camera",
    drift_speed: float = 1.0,
    saccade_rate: float = 2.0,
    saccade_amplitude: float = 1.0,
    margin: float | None = None,
    contrast: bool = True,
    return_gaze: bool = False,
) -> Movie | tuple[Movie, np.ndarray]:
    """A natural image seen through moving eyes: slow drift plus saccades.

    A *scene* larger than the field by ``margin`` degrees on every side is
    made from a picture of :mod:`skimage.data` with
    :func:`cortex.stimuli.natural_image` (centre-cropped and resized at the
    field's pixels per degree).  The field is a window on the scene centred
    on the gaze position ``g(t)`` (degrees, from the scene's centre), so the
    image moves on the retina opposite to the eye.  The gaze starts at
    ``(0, 0)`` and

    * drifts at ``drift_speed`` deg/s in a random direction, drawn anew after
      every saccade (fixational drift, piecewise linear);
    * jumps by ``saccade_amplitude`` deg in a random direction at the times
      of a Poisson process of rate ``saccade_rate`` Hz (saccades);
    * is reflected at the scene's edges (each coordinate stays within
      ``margin``).

    Frame ``n`` samples the scene bilinearly at the field's pixel centres
    shifted by ``g(n / fps)``: the frames are exact crops of the scene when
    the gaze falls on whole pixels.  All random draws come from ``seed``, so
    the same int gives the same movie.  See Martinez-Conde, Macknik & Hubel
    (2004), The role of fixational eye movements in visual perception,
    *Nat. Rev. Neurosci.* 5, 229-240.

    Parameters
    ----------
    field : VisualField
        The field (the window).
    frames_per_second : float
        Frame rate in Hz, in ``[1e-6, 1e6]``.
    duration : float
        Seconds, in ``(0, 1e9]`` (``round(duration * fps)`` frames).
    seed : None, int or numpy.random.Generator, optional
        Source of randomness.
    image : str, optional
        One of :data:`cortex.stimuli.NATURAL_IMAGES`.
    drift_speed : float, optional
        Deg/s, in ``[0, 1e6]``.
    saccade_rate : float, optional
        Mean saccades per second, in ``[0, 1e6]`` Hz.
    saccade_amplitude : float, optional
        Degrees, in ``[0, 1e6]``.
    margin : float, optional
        Degrees of scene beyond each edge of the field, in ``(0, 1e6]``
        (rounded to whole pixels, at least one).  Default: half the field's
        larger side (a scene twice the field's size).
    contrast : bool, optional
        Weber contrast of the scene (its mean is 0) if True, luminance in
        ``[0, 1]`` if False (as :func:`cortex.stimuli.natural_image`).
    return_gaze : bool, optional
        Also return the gaze path.

    Returns
    -------
    movie : Movie
        The frames ``(T, H, W)``.
    gaze : numpy.ndarray, shape (T, 2)
        Only if ``return_gaze``: ``(x, y)`` gaze position in degrees for
        every frame (the window's centre in the scene, relative to the
        scene's centre; ``+y`` up).

    Raises
    ------
    TypeError
        If ``field`` is not a :class:`~cortex.VisualField`, ``image`` is not
        a string, a number is not a real number, a flag not a bool, or
        ``seed`` has another type (booleans are refused).
    ValueError
        If ``image`` is unknown, a parameter is out of its range, the margin
        is less than a pixel, or the movie would have no frame.
    cortex.MemoryBudgetError
        If the frames (about 48 bytes a pixel while sampling) or the scene
        (64 bytes a pixel, plus the source image) would exceed
        :func:`cortex.memory_budget` (checked before allocating).

    Examples
    --------
    >>> from cortex import VisualField
    >>> from cortex.movies import natural_movie
    >>> field = VisualField(width=4.0, height=3.0, pixels_per_degree=8)
    >>> movie, gaze = natural_movie(field, 30, 0.5, seed=1, image="coins", return_gaze=True)
    >>> movie.frames.shape, gaze.shape
    ((15, 24, 32), (15, 2))
    >>> gaze[0].tolist()
    [0.0, 0.0]
    """
    field, fps, duration = _setup(field, frames_per_second, duration)
    name = check_choice(image, "image", NATURAL_IMAGES)
    drift_speed = _check_bounded(drift_speed, "drift_speed", MAX_SPEED, "deg/s")
    saccade_rate = _check_bounded(saccade_rate, "saccade_rate", MAX_RATE, "Hz")
    saccade_amplitude = _check_bounded(saccade_amplitude, "saccade_amplitude", MAX_AMPLITUDE, "deg")
    if margin is None:
        margin = max(field.width, field.height) / 2
    else:
        margin = check_range(
            check_positive(margin, "margin"),
            "margin",
            0.0,
            MAX_AMPLITUDE,
            low_open=True,
            unit="deg",
        )
    contrast = check_bool(contrast, "contrast")
    return_gaze = check_bool(return_gaze, "return_gaze")
    rng = as_rng(seed, "seed")
    n = _n_frames(fps, duration)
    ppd = field.pixels_per_degree
    pad = int(round(margin * ppd))
    if pad < 1:
        raise ValueError(
            f"`margin` must be at least one pixel ({1 / ppd:g} deg at {ppd:g} px/deg), "
            f"got {margin:g} deg"
        )
    rows, cols = field.shape
    scene_shape = (rows + 2 * pad, cols + 2 * pad)
    total = n / fps
    expected_saccades = saccade_rate * total
    _check_movie_memory(
        field,
        n,
        _NATURAL_BYTES[0],
        f"the natural movie of {name!r} (scene {scene_shape[0]}x{scene_shape[1]} px)",
        extra=_NATURAL_BYTES[1] * scene_shape[0] * scene_shape[1]
        + _NATURAL_BYTES[2]
        + _SACCADE_BYTES * (expected_saccades + 10 * math.sqrt(expected_saccades) + 1),
    )

    times = np.arange(n) / fps
    gaze = _fold(
        _gaze_path(rng, times, total, drift_speed, saccade_rate, saccade_amplitude), pad / ppd
    )
    scene_field = VisualField(scene_shape[1] / ppd, scene_shape[0] / ppd, ppd)
    if scene_field.shape != scene_shape:  # pragma: no cover - rounding guard
        raise AssertionError(f"scene shape {scene_field.shape} != {scene_shape}")
    scene = natural_image(scene_field, name, contrast=contrast)

    # Scene indices of the field's pixel (0, 0) in every frame: y up, rows down.
    row0 = pad - gaze[:, 1] * ppd
    col0 = pad + gaze[:, 0] * ppd
    r = np.clip(np.floor(row0).astype(np.intp), 0, 2 * pad - 1)
    c = np.clip(np.floor(col0).astype(np.intp), 0, 2 * pad - 1)
    fr = (row0 - r)[:, None, None]
    fc = (col0 - c)[:, None, None]
    window_rows = r[:, None] + np.arange(rows + 1)  # (T, H + 1)
    window_cols = c[:, None] + np.arange(cols + 1)  # (T, W + 1)
    window = scene[window_rows[:, :, None], window_cols[:, None, :]]
    across = window[:, :, :-1] * (1.0 - fc) + window[:, :, 1:] * fc  # (T, H + 1, W)
    del window
    frames = across[:, :-1] * (1.0 - fr) + across[:, 1:] * fr
    del across
    movie = Movie(frames, fps, field)
    return (movie, gaze) if return_gaze else movie

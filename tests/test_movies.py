"""Tests for cortex.movies: the Movie container, generators, conventions and bad input."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage
from strategies import NON_FINITE, budget, refused_cheaply

import cortex
from cortex.movies import (
    Movie,
    drifting_grating,
    flashed_spot,
    moving_bar,
    natural_movie,
    white_noise_movie,
)
from cortex.stimuli import bar, natural_image, spot, white_noise
from cortex.visual_field import VisualField

FAST = settings(max_examples=20, deadline=None)
FEW = settings(max_examples=6, deadline=None)

fields = st.builds(
    VisualField,
    width=st.floats(0.5, 3.0),
    height=st.floats(0.5, 3.0),
    pixels_per_degree=st.floats(4.0, 16.0),
)


def pixel_position(field, row, col):
    """Degree position of a pixel centre, written out by hand (y up, row 0 at the top)."""
    n_rows, n_cols = field.shape
    ppd = field.pixels_per_degree
    return (col - (n_cols - 1) / 2) / ppd, ((n_rows - 1) / 2 - row) / ppd


# --------------------------------------------------------------------------- Movie
def test_movie_container():
    field = VisualField(2.0, 1.0, 4)
    frames = np.arange(5 * 4 * 8, dtype=float).reshape(5, 4, 8)
    movie = Movie(frames, 50, field)
    assert movie.n_frames == 5
    assert movie.duration == pytest.approx(0.1)
    np.testing.assert_allclose(movie.times, [0.0, 0.02, 0.04, 0.06, 0.08])
    assert movie.frames_per_second == 50.0 and isinstance(movie.frames_per_second, float)
    # read-only view of the caller's float64 array: no copy, and the caller's stays writable
    assert not movie.frames.flags.writeable
    assert np.shares_memory(movie.frames, frames) and frames.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        movie.frames[0, 0, 0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        movie.frames_per_second = 10.0
    # integers become float64; float32 stays float32 (responses are then float32 too)
    assert Movie(np.zeros((2, 4, 8), dtype=np.int32), 10, field).frames.dtype == np.float64
    assert Movie(np.zeros((2, 4, 8), dtype=np.float32), 10, field).frames.dtype == np.float32
    assert Movie([[[0.0] * 8] * 4], 10, field).n_frames == 1
    assert movie == movie and movie != Movie(frames, 50, field)  # identity


@pytest.mark.parametrize(
    ("frames", "fps", "field", "error", "match"),
    [
        (np.zeros((3, 4, 7)), 10, None, ValueError, r"`frames` must have shape \(T, 4, 8\)"),
        (np.zeros((4, 8)), 10, None, ValueError, "`frames` must be 3-D"),
        (np.zeros((0, 4, 8)), 10, None, ValueError, "`frames` must not be empty"),
        (np.full((2, 4, 8), np.nan), 10, None, ValueError, "`frames` must be finite"),
        (np.full((2, 4, 8), np.inf), 10, None, ValueError, "`frames` must be finite"),
        (np.zeros((2, 4, 8), dtype=bool), 10, None, TypeError, "`frames` must hold numbers"),
        (np.zeros((2, 4, 8), dtype=complex), 10, None, TypeError, "`frames` must be real"),
        ("frames", 10, None, TypeError, "`frames` must hold numbers"),
        (np.zeros((2, 4, 8)), -10, None, ValueError, "`frames_per_second` must be > 0"),
        (np.zeros((2, 4, 8)), 0, None, ValueError, "`frames_per_second` must be > 0"),
        (np.zeros((2, 4, 8)), math.nan, None, ValueError, "`frames_per_second` must be finite"),
        (np.zeros((2, 4, 8)), True, None, TypeError, "`frames_per_second` must be a real"),
        (np.zeros((2, 4, 8)), 10, (4, 8), TypeError, "`field` must be a VisualField"),
    ],
)
def test_movie_refuses_bad_input(frames, fps, field, error, match):
    field = VisualField(2.0, 1.0, 4) if field is None else field
    with pytest.raises(error, match=match):
        Movie(frames, fps, field)


# --------------------------------------------------------------------------- gratings
@FAST
@given(
    field=fields,
    data=st.data(),
    fps=st.floats(10.0, 200.0),
    sf=st.floats(0.0, 2.0),
    ft=st.floats(0.0, 5.0),
    direction=st.floats(-360, 360),
    phase=st.floats(-360, 360),
    contrast=st.floats(0.0, 1.0),
)
def test_drifting_grating_matches_formula(field, data, fps, sf, ft, direction, phase, contrast):
    movie = drifting_grating(
        field,
        fps,
        0.2,
        spatial_frequency=sf,
        temporal_frequency=ft,
        direction=direction,
        phase=phase,
        contrast=contrast,
    )
    n = max(1, round(0.2 * fps))
    assert movie.frames.shape == (n, *field.shape)
    assert movie.field is field and movie.frames_per_second == fps
    frame = data.draw(st.integers(0, n - 1))
    row = data.draw(st.integers(0, field.shape[0] - 1))
    col = data.draw(st.integers(0, field.shape[1] - 1))
    x, y = pixel_position(field, row, col)
    t = frame / fps
    theta = math.radians(direction)
    u = x * math.cos(theta) + y * math.sin(theta)
    expected = contrast * math.cos(2 * math.pi * (sf * u - ft * t) + math.radians(phase))
    assert movie.frames[frame, row, col] == pytest.approx(expected, abs=1e-9)


def test_drifting_grating_moves_in_its_direction():
    # 1 cycle/deg at 5 Hz drifts 5 deg/s: one pixel a frame at 10 px/deg and 50 frames/s
    field = VisualField(3.0, 2.0, 10)
    kwargs = {"spatial_frequency": 1.0, "temporal_frequency": 5.0}
    right = drifting_grating(field, 50, 0.2, direction=0.0, **kwargs).frames
    np.testing.assert_allclose(right[1:, :, 1:], right[:-1, :, :-1], atol=1e-12)
    up = drifting_grating(field, 50, 0.2, direction=90.0, **kwargs).frames
    np.testing.assert_allclose(up[1:, :-1, :], up[:-1, 1:, :], atol=1e-12)  # row 0 is the top
    left = drifting_grating(field, 50, 0.2, direction=180.0, **kwargs).frames
    np.testing.assert_allclose(left[1:, :, :-1], left[:-1, :, 1:], atol=1e-12)
    down = drifting_grating(field, 50, 0.2, direction=270.0, **kwargs).frames
    np.testing.assert_allclose(down[1:, 1:, :], down[:-1, :-1, :], atol=1e-12)
    # bars of a grating drifting rightward are vertical (orientation 0 = the direction)
    np.testing.assert_allclose(np.ptp(right, axis=1), 0.0, atol=1e-12)


@FAST
@given(direction=st.floats(0, 360), ft=st.floats(0.5, 10.0))
def test_phase_at_fixation_decreases_in_time(direction, ft):
    field = VisualField(1.1, 1.1, 10)  # 11 x 11: pixel (5, 5) is fixation
    fps = 100.0
    frames = drifting_grating(
        field,
        fps,
        0.3,
        spatial_frequency=1.0,
        temporal_frequency=ft,
        direction=direction,
        phase=-90.0,
    ).frames
    # cos(-2 pi ft t - pi/2) = -sin(2 pi ft t): the phase at a point runs backwards
    t = np.arange(len(frames)) / fps
    np.testing.assert_allclose(frames[:, 5, 5], -np.sin(2 * np.pi * ft * t), atol=1e-12)
    # a pixel 0.3 deg to the right sees the same values later by the time the bars take to
    # travel there: (0.3 cos(theta)) / (ft / f) s (earlier if the drift is leftward)
    delay = 0.3 * math.cos(math.radians(direction)) / ft
    np.testing.assert_allclose(frames[:, 5, 8], -np.sin(2 * np.pi * ft * (t - delay)), atol=1e-12)


@FAST
@given(onset=st.floats(0.0, 0.5), fps=st.floats(20.0, 120.0))
def test_drifting_grating_is_zero_before_onset_and_unchanged_after(onset, fps):
    field = VisualField(1.0, 1.0, 8)
    kwargs = {"spatial_frequency": 1.0, "temporal_frequency": 3.0, "direction": 30.0}
    late = drifting_grating(field, fps, 0.5, onset=onset, **kwargs)
    always = drifting_grating(field, fps, 0.5, **kwargs)
    before = late.times < onset - 1e-9 / fps
    assert np.all(late.frames[before] == 0.0)
    np.testing.assert_array_equal(late.frames[~before], always.frames[~before])


def test_drifting_grating_warns_when_aliased():
    field = VisualField(1.0, 1.0, 8)
    with pytest.warns(UserWarning, match="`temporal_frequency` 30 Hz exceeds the Nyquist"):
        drifting_grating(field, 50, 0.1, spatial_frequency=1.0, temporal_frequency=30.0)
    with pytest.warns(UserWarning, match="`spatial_frequency` 5 cycles/deg exceeds the Nyquist"):
        drifting_grating(field, 50, 0.1, spatial_frequency=5.0, temporal_frequency=1.0)


# --------------------------------------------------------------------------- bars and spots
@FAST
@given(
    direction=st.floats(0, 360),
    speed=st.floats(0.0, 4.0),
    frame=st.integers(0, 9),
    contrast=st.sampled_from([1.0, -0.5]),
)
def test_moving_bar_centre_follows_its_path(direction, speed, frame, contrast):
    field = VisualField(6.0, 6.0, 10)
    fps, duration = 10.0, 1.0
    movie = moving_bar(
        field,
        fps,
        duration,
        speed=speed,
        direction=direction,
        width=0.4,
        length=1.0,
        contrast=contrast,
    )
    assert movie.frames.shape == (10, 60, 60)
    theta = math.radians(direction)
    offset = speed * (frame / fps - duration / 2)
    center = (offset * math.cos(theta), offset * math.sin(theta))
    expected = bar(field, center, length=1.0, width=0.4, orientation=direction, contrast=contrast)
    mismatch = movie.frames[frame] != expected
    # the same pixels, up to pixel centres lying on the boundary (rounding)
    rows, cols = np.nonzero(mismatch)
    for row, col in zip(rows, cols, strict=True):
        x, y = pixel_position(field, row, col)
        across = (x - center[0]) * math.cos(theta) + (y - center[1]) * math.sin(theta)
        along = -(x - center[0]) * math.sin(theta) + (y - center[1]) * math.cos(theta)
        assert min(abs(abs(across) - 0.2), abs(abs(along) - 0.5)) < 1e-9
    assert set(np.unique(movie.frames[frame])) <= {0.0, contrast}


def test_moving_bar_directions_and_midpoint():
    field = VisualField(4.0, 4.0, 10)
    kwargs = {"speed": 2.0, "width": 0.2, "length": 1.0}
    right = moving_bar(field, 10, 1.0, direction=0.0, **kwargs).frames
    cols = [np.flatnonzero(right[n].any(axis=0)).mean() for n in range(10)]
    assert np.all(np.diff(cols) > 0)  # left to right
    up = moving_bar(field, 10, 1.0, direction=90.0, **kwargs).frames
    rows = [np.flatnonzero(up[n].any(axis=1)).mean() for n in range(10)]
    assert np.all(np.diff(rows) < 0)  # rows decrease: upward
    # at mid-movie (frame 5 of 10) the bar is centred on `center`
    moved = moving_bar(field, 10, 1.0, direction=0.0, center=(0.5, -0.3), **kwargs).frames
    np.testing.assert_array_equal(
        moved[5], bar(field, (0.5, -0.3), length=1.0, width=0.2, orientation=0.0)
    )
    static = moving_bar(field, 10, 1.0, speed=0.0, width=0.2, length=1.0).frames
    assert np.all(static == static[0])


@FAST
@given(
    onset=st.floats(0.0, 0.3),
    flash=st.one_of(st.none(), st.floats(0.005, 0.3)),
    fps=st.floats(20.0, 200.0),
)
def test_flashed_spot_is_on_exactly_during_the_flash(onset, flash, fps):
    field = VisualField(2.0, 2.0, 8)
    movie = flashed_spot(
        field,
        fps,
        0.4,
        center=(0.3, -0.2),
        radius=0.4,
        onset=onset,
        flash_duration=flash,
        contrast=-0.7,
    )
    image = spot(field, (0.3, -0.2), 0.4, -0.7)
    t = movie.times
    tol = 1e-9 / fps
    on = t >= onset - tol
    if flash is not None:
        on &= t < onset + flash - tol
    for n in range(movie.n_frames):
        np.testing.assert_array_equal(movie.frames[n], image if on[n] else 0.0)


# --------------------------------------------------------------------------- noise
def test_white_noise_movie_determinism_hold_and_statistics():
    field = VisualField(2.0, 1.5, 8)
    a = white_noise_movie(field, 60, 0.5, seed=7)
    b = white_noise_movie(field, 60, 0.5, seed=7)
    c = white_noise_movie(field, 60, 0.5, seed=8)
    assert a.frames.shape == (30, 12, 16)
    np.testing.assert_array_equal(a.frames, b.frames)
    assert not np.array_equal(a.frames, c.frames)
    np.testing.assert_array_equal(a.frames, white_noise(field, 30, seed=7))
    assert abs(a.frames.mean()) < 0.05 and a.frames.std() == pytest.approx(1.0, abs=0.05)
    held = white_noise_movie(
        field, 60, 0.5, seed=7, frame_hold=4, contrast=0.3, distribution="binary"
    )
    assert held.frames.shape == (30, 12, 16)
    for n in range(30):
        np.testing.assert_array_equal(held.frames[n], held.frames[4 * (n // 4)])
    assert not np.array_equal(held.frames[0], held.frames[4])
    assert set(np.unique(held.frames)) == {-0.3, 0.3}
    rng = np.random.default_rng(3)
    assert white_noise_movie(field, 10, 0.3, seed=rng).n_frames == 3


@FEW
@given(seed=st.integers(0, 2**32), hold=st.integers(1, 5))
def test_white_noise_movie_same_seed_same_movie(seed, hold):
    field = VisualField(1.0, 1.0, 6)
    a = white_noise_movie(field, 30, 0.3, seed=seed, frame_hold=hold)
    b = white_noise_movie(field, 30, 0.3, seed=seed, frame_hold=hold)
    np.testing.assert_array_equal(a.frames, b.frames)
    assert len({a.frames[n].tobytes() for n in range(9)}) == math.ceil(9 / hold)


# --------------------------------------------------------------------------- natural
def scene_of(field, margin, image="camera"):
    ppd = field.pixels_per_degree
    pad = round(margin * ppd)
    rows, cols = field.shape
    return natural_image(
        VisualField((cols + 2 * pad) / ppd, (rows + 2 * pad) / ppd, ppd), image
    ), pad


def test_natural_movie_samples_the_scene_along_the_gaze():
    field = VisualField(3.0, 2.0, 8)
    movie, gaze = natural_movie(
        field,
        30,
        1.0,
        seed=4,
        image="coins",
        drift_speed=2.0,
        saccade_rate=3.0,
        saccade_amplitude=0.8,
        margin=1.0,
        return_gaze=True,
    )
    assert movie.frames.shape == (30, 16, 24) and gaze.shape == (30, 2)
    scene, pad = scene_of(field, 1.0, "coins")
    assert scene.shape == (16 + 2 * pad, 24 + 2 * pad)
    np.testing.assert_array_equal(gaze[0], [0.0, 0.0])
    np.testing.assert_array_equal(movie.frames[0], scene[pad:-pad, pad:-pad])  # exact crop
    assert np.all(np.abs(gaze) <= 1.0 + 1e-12)
    # oracle: scipy's bilinear interpolation at the shifted pixel centres
    rows, cols = np.mgrid[0:16, 0:24].astype(float)
    for n in range(30):
        r = pad + rows - gaze[n, 1] * 8
        c = pad + cols + gaze[n, 0] * 8
        expected = ndimage.map_coordinates(scene, [r, c], order=1, mode="nearest")
        np.testing.assert_allclose(movie.frames[n], expected, atol=1e-12)


def test_natural_movie_drift_has_the_given_speed():
    field = VisualField(2.0, 2.0, 10)
    fps = 50.0
    movie, gaze = natural_movie(
        field, fps, 2.0, seed=1, drift_speed=1.5, saccade_rate=0.0, margin=0.6, return_gaze=True
    )
    speed_x, speed_y = np.abs(np.diff(gaze, axis=0)).T * fps
    # constant direction, reflected at the scene's edges: each |velocity| component is constant
    # except in the frames where a reflection happens
    assert np.median(np.hypot(speed_x, speed_y)) == pytest.approx(1.5, rel=1e-9)
    assert np.mean(np.isclose(np.hypot(speed_x, speed_y), 1.5, rtol=1e-9)) > 0.8
    assert np.all(np.abs(gaze) <= 0.6 + 1e-12)
    assert np.abs(gaze).max() > 0.5  # it did reach the edges


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_natural_movie_image_moves_opposite_to_the_eye(seed):
    field = VisualField(4.0, 4.0, 10)
    # drift at 5 deg/s and 50 frames/s: 1 px a frame, in a random (seeded) direction
    movie, gaze = natural_movie(
        field,
        50,
        0.2,
        seed=seed,
        drift_speed=5.0,
        saccade_rate=0.0,
        margin=1.0,
        return_gaze=True,
    )
    np.testing.assert_allclose(np.hypot(*np.diff(gaze, axis=0).T) * 50, 5.0)
    first, last = movie.frames[0], movie.frames[4]
    # find the shift (rows down, columns right) of the content by brute force
    errors = {}
    for dr in range(-7, 8):
        for dc in range(-7, 8):
            a = first[max(0, -dr) : 40 - max(0, dr), max(0, -dc) : 40 - max(0, dc)]
            b = last[max(0, dr) : 40 - max(0, -dr), max(0, dc) : 40 - max(0, -dc)]
            errors[dr, dc] = np.mean((a - b) ** 2)
    dr, dc = min(errors, key=errors.get)
    gx, gy = gaze[4] * 10  # pixels
    # gaze right -> content moves left; gaze up (y up) -> content moves down (rows increase)
    assert abs(dc - (-gx)) <= 1.0 and abs(dr - gy) <= 1.0
    assert math.hypot(gx, gy) == pytest.approx(4.0)


def test_natural_movie_saccades_jump_by_their_amplitude():
    field = VisualField(1.0, 1.0, 8)
    _, gaze = natural_movie(
        field,
        100,
        5.0,
        seed=2,
        drift_speed=0.0,
        saccade_rate=4.0,
        saccade_amplitude=0.5,
        margin=40.0,
        return_gaze=True,
    )
    steps = np.hypot(*np.diff(gaze, axis=0).T)
    jumps = steps[steps > 1e-12]
    assert 5 <= len(jumps) <= 40  # about 4 Hz x 5 s (two saccades in a frame add up)
    single = jumps[np.isclose(jumps, 0.5)]
    assert len(single) >= 0.8 * len(jumps)
    assert np.all(jumps <= 1.0 + 1e-9)


@FEW
@given(seed=st.integers(0, 2**32), image=st.sampled_from(["camera", "coins", "moon"]))
def test_natural_movie_same_seed_same_movie(seed, image):
    field = VisualField(1.0, 1.0, 8)
    a = natural_movie(field, 20, 0.5, seed=seed, image=image)
    b = natural_movie(field, 20, 0.5, seed=seed, image=image)
    np.testing.assert_array_equal(a.frames, b.frames)
    assert a.frames.shape == (10, 8, 8)
    lum = natural_movie(field, 20, 0.5, seed=seed, image=image, contrast=False)
    assert lum.frames.min() >= 0.0 and lum.frames.max() <= 1.0


# --------------------------------------------------------------------------- bad inputs
GENERATORS = {
    "drifting_grating": lambda f, fps, d, **kw: drifting_grating(
        f, fps, d, spatial_frequency=1.0, temporal_frequency=2.0, **kw
    ),
    "moving_bar": lambda f, fps, d, **kw: moving_bar(f, fps, d, speed=1.0, **kw),
    "flashed_spot": flashed_spot,
    "white_noise_movie": lambda f, fps, d, **kw: white_noise_movie(f, fps, d, seed=0, **kw),
    "natural_movie": lambda f, fps, d, **kw: natural_movie(f, fps, d, seed=0, **kw),
}
FIELD = VisualField(1.0, 1.0, 8)


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize(
    ("fps", "duration", "error", "match"),
    [
        (-10.0, 1.0, ValueError, "`frames_per_second` must be > 0, got -10.0"),
        (0.0, 1.0, ValueError, "`frames_per_second` must be > 0"),
        (math.nan, 1.0, ValueError, "`frames_per_second` must be finite"),
        (math.inf, 1.0, ValueError, "`frames_per_second` must be finite"),
        (True, 1.0, TypeError, "`frames_per_second` must be a real number"),
        ("30", 1.0, TypeError, "`frames_per_second` must be a real number"),
        (30.0, -1.0, ValueError, "`duration` must be > 0, got -1.0"),
        (30.0, 0.0, ValueError, "`duration` must be > 0"),
        (30.0, math.nan, ValueError, "`duration` must be finite"),
        (30.0, math.inf, ValueError, "`duration` must be finite"),
        (30.0, 1e10, ValueError, r"`duration` must be in \(0, 1e\+09\] s"),
        (30.0, False, TypeError, "`duration` must be a real number"),
        (30.0, 0.01, ValueError, "at least one frame"),
    ],
)
def test_generators_refuse_bad_fps_and_durations(name, fps, duration, error, match):
    with pytest.raises(error, match=match):
        GENERATORS[name](FIELD, fps, duration)


@pytest.mark.parametrize("name", GENERATORS)
def test_generators_refuse_a_field_that_is_not_a_field(name):
    with pytest.raises(TypeError, match="`field` must be a VisualField"):
        GENERATORS[name]((8, 8), 30, 1.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"spatial_frequency": -1.0}, ValueError, "`spatial_frequency` must be >= 0"),
        ({"spatial_frequency": math.nan}, ValueError, "`spatial_frequency` must be finite"),
        ({"spatial_frequency": True}, TypeError, "`spatial_frequency` must be a real"),
        ({"temporal_frequency": -2.0}, ValueError, "`temporal_frequency` must be >= 0"),
        ({"temporal_frequency": math.inf}, ValueError, "`temporal_frequency` must be finite"),
        ({"temporal_frequency": 1e7}, ValueError, r"`temporal_frequency` must be in .* Hz"),
        ({"direction": math.nan}, ValueError, "`direction` must be finite"),
        ({"direction": "up"}, TypeError, "`direction` must be a real number"),
        ({"contrast": -0.5}, ValueError, "`contrast` must be >= 0"),
        ({"phase": math.inf}, ValueError, "`phase` must be finite"),
        ({"onset": -0.1}, ValueError, "`onset` must be >= 0"),
        ({"onset": math.nan}, ValueError, "`onset` must be finite"),
        ({"onset": True}, TypeError, "`onset` must be a real number"),
    ],
)
def test_drifting_grating_bad_parameters(kwargs, error, match):
    params = {"spatial_frequency": 1.0, "temporal_frequency": 2.0, **kwargs}
    with pytest.raises(error, match=match):
        drifting_grating(FIELD, 30, 1.0, **params)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"speed": -1.0}, ValueError, "`speed` must be >= 0, got -1.0"),
        ({"speed": math.nan}, ValueError, "`speed` must be finite"),
        ({"speed": math.inf}, ValueError, "`speed` must be finite"),
        ({"speed": 1e7}, ValueError, r"`speed` must be in \[0, 1e\+06\] deg/s"),
        ({"speed": True}, TypeError, "`speed` must be a real number"),
        ({"speed": 1.0, "width": 0.0}, ValueError, "`width` must be > 0"),
        ({"speed": 1.0, "length": -1.0}, ValueError, "`length` must be > 0"),
        ({"speed": 1.0, "direction": math.inf}, ValueError, "`direction` must be finite"),
        ({"speed": 1.0, "contrast": math.nan}, ValueError, "`contrast` must be finite"),
        ({"speed": 1.0, "center": (0.0,)}, ValueError, "`center` must be a pair"),
        ({"speed": 1.0, "center": (True, False)}, TypeError, "`center` must hold numbers"),
    ],
)
def test_moving_bar_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        moving_bar(FIELD, 30, 1.0, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"radius": 0.0}, ValueError, "`radius` must be > 0"),
        ({"radius": math.nan}, ValueError, "`radius` must be finite"),
        ({"onset": -1.0}, ValueError, "`onset` must be >= 0"),
        ({"flash_duration": 0.0}, ValueError, "`flash_duration` must be > 0"),
        ({"flash_duration": -0.1}, ValueError, "`flash_duration` must be > 0"),
        ({"flash_duration": math.inf}, ValueError, "`flash_duration` must be finite"),
        ({"flash_duration": True}, TypeError, "`flash_duration` must be a real number"),
        ({"contrast": math.inf}, ValueError, "`contrast` must be finite"),
        ({"center": [0.0, math.nan]}, ValueError, "`center` must be finite"),
    ],
)
def test_flashed_spot_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        flashed_spot(FIELD, 30, 1.0, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"frame_hold": 0}, ValueError, "`frame_hold` must be >= 1"),
        ({"frame_hold": 2.0}, TypeError, "`frame_hold` must be an integer"),
        ({"frame_hold": True}, TypeError, "`frame_hold` must be an integer"),
        ({"contrast": -1.0}, ValueError, "`contrast` must be >= 0"),
        ({"distribution": "pink"}, ValueError, "`distribution` must be one of"),
        ({"seed": -1}, ValueError, "`seed` must be >= 0"),
        ({"seed": 1.5}, TypeError, "`seed` must be an integer"),
        ({"seed": True}, TypeError, "`seed` must be an integer"),
    ],
)
def test_white_noise_movie_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        white_noise_movie(FIELD, 30, 1.0, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"image": "mona_lisa"}, ValueError, "`image` must be one of"),
        ({"image": 3}, TypeError, "`image` must be a string"),
        ({"drift_speed": -1.0}, ValueError, "`drift_speed` must be >= 0"),
        ({"drift_speed": math.nan}, ValueError, "`drift_speed` must be finite"),
        ({"drift_speed": True}, TypeError, "`drift_speed` must be a real number"),
        ({"saccade_rate": -2.0}, ValueError, "`saccade_rate` must be >= 0"),
        ({"saccade_rate": math.inf}, ValueError, "`saccade_rate` must be finite"),
        ({"saccade_amplitude": -1.0}, ValueError, "`saccade_amplitude` must be >= 0"),
        ({"margin": 0.0}, ValueError, "`margin` must be > 0"),
        ({"margin": 0.01}, ValueError, "`margin` must be at least one pixel"),
        ({"margin": math.nan}, ValueError, "`margin` must be finite"),
        ({"contrast": 1}, TypeError, "`contrast` must be True or False"),
        ({"return_gaze": "yes"}, TypeError, "`return_gaze` must be True or False"),
        ({"seed": -3}, ValueError, "`seed` must be >= 0"),
    ],
)
def test_natural_movie_bad_parameters(kwargs, error, match):
    params = {"seed": 0, **kwargs}
    with pytest.raises(error, match=match):
        natural_movie(FIELD, 30, 1.0, **params)


@given(value=NON_FINITE)
def test_non_finite_speeds_are_refused(value):
    with pytest.raises(ValueError, match="`speed` must be finite"):
        moving_bar(FIELD, 30, 1.0, speed=value)
    with pytest.raises(ValueError, match="`drift_speed` must be finite"):
        natural_movie(FIELD, 30, 1.0, drift_speed=value)


# --------------------------------------------------------------------------- memory
@pytest.mark.parametrize("name", GENERATORS)
def test_generators_refuse_huge_movies_before_allocating(name, small_budget):
    field = VisualField(10.0, 10.0, 20)  # 200 x 200 px: 320 KB a frame
    refused_cheaply(lambda: GENERATORS[name](field, 1000, 60.0), match="over the memory budget")
    refused_cheaply(lambda: GENERATORS[name](field, 1e6, 1e9), match="frames of 200x200 px")


def test_budget_is_enough_for_small_movies():
    with budget("64M"):
        assert (
            drifting_grating(FIELD, 30, 1.0, spatial_frequency=1.0, temporal_frequency=1.0).n_frames
            == 30
        )
    with budget(1024), pytest.raises(cortex.MemoryBudgetError):
        moving_bar(FIELD, 30, 1.0, speed=1.0)

"""Tests for cortex.stimuli: analytic references, invariants and bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import NON_FINITE, budget, log_uniform, outside, refused_cheaply

import cortex
from cortex.datasets import orientation_discrimination, train_test_split
from cortex.stimuli import (
    NATURAL_IMAGES,
    bar,
    checkerboard,
    grating,
    natural_image,
    spot,
    to_contrast,
    white_noise,
)
from cortex.visual_field import VisualField

FAST = settings(max_examples=40, deadline=None)


def pixel_position(field: VisualField, row: int, col: int) -> tuple[float, float]:
    """Degree position of a pixel centre, written out by hand (y up, row 0 at the top)."""
    n_rows, n_cols = field.shape
    ppd = field.pixels_per_degree
    return (col - (n_cols - 1) / 2) / ppd, ((n_rows - 1) / 2 - row) / ppd


def pixel_at(field: VisualField, x: float, y: float) -> tuple[int, int]:
    """Row and column of the pixel containing the degree position (x, y)."""
    n_rows, n_cols = field.shape
    ppd = field.pixels_per_degree
    return int(round((n_rows - 1) / 2 - y * ppd)), int(round(x * ppd + (n_cols - 1) / 2))


fields = st.builds(
    VisualField,
    width=st.floats(0.5, 4.0),
    height=st.floats(0.5, 4.0),
    pixels_per_degree=st.floats(4.0, 24.0),
)


# --------------------------------------------------------------------------- grating
@FAST
@given(
    field=fields,
    data=st.data(),
    freq=st.floats(0.0, 2.0),
    orientation=st.floats(-360, 360),
    phase=st.floats(-360, 360),
    contrast=st.floats(0.0, 1.0),
)
def test_grating_matches_formula_at_pixels(field, data, freq, orientation, phase, contrast):
    image = grating(field, freq, orientation, phase, contrast)
    assert image.shape == field.shape
    assert image.dtype == np.float64
    n_rows, n_cols = field.shape
    row = data.draw(st.integers(0, n_rows - 1))
    col = data.draw(st.integers(0, n_cols - 1))
    x, y = pixel_position(field, row, col)
    theta = math.radians(orientation)
    expected = contrast * math.cos(
        2 * math.pi * freq * (x * math.cos(theta) + y * math.sin(theta)) + math.radians(phase)
    )
    assert image[row, col] == pytest.approx(expected, abs=1e-9)


def test_grating_orientation_convention():
    field = VisualField(4.0, 3.0, 10)
    vertical = grating(field, 1.0, orientation=0.0)
    horizontal = grating(field, 1.0, orientation=90.0)
    # 0 deg: vertical bars, constant down every column, varying along x.
    np.testing.assert_allclose(np.ptp(vertical, axis=0), 0.0, atol=1e-12)
    assert np.ptp(vertical[0]) > 1.0
    # 90 deg: horizontal bars, constant along every row, varying along y.
    np.testing.assert_allclose(np.ptp(horizontal, axis=1), 0.0, atol=1e-12)
    assert np.ptp(horizontal[:, 0]) > 1.0


def test_grating_phase_zero_is_bright_at_fixation_and_y_points_up():
    field = VisualField(3.1, 3.1, 10)  # 31 x 31 pixels: a pixel sits on fixation
    centre = (15, 15)
    assert pixel_position(field, *centre) == (0.0, 0.0)
    for orientation in (0.0, 37.0, 90.0):
        assert grating(field, 0.7, orientation, contrast=0.8)[centre] == pytest.approx(0.8)
        assert grating(field, 0.7, orientation, phase=180.0)[centre] == pytest.approx(-1.0)
    # phase -90 gives sin(2 pi f u): positive just along +u of fixation.
    up = grating(field, 0.5, orientation=90.0, phase=-90.0)
    assert up[centre[0] - 3, centre[1]] > 0 > up[centre[0] + 3, centre[1]]  # row 12 is above
    right = grating(field, 0.5, orientation=0.0, phase=-90.0)
    assert right[centre[0], centre[1] + 3] > 0 > right[centre[0], centre[1] - 3]


@pytest.mark.parametrize(("kx", "ky"), [(3, 0), (0, 4), (3, 3), (-3, 3), (2, -5)])
def test_grating_fft_peak_at_expected_frequency_and_orientation(kx, ky):
    field = VisualField(4.0, 3.0, 16)  # 48 x 64 pixels
    n_rows, n_cols = field.shape
    fx, fy = kx / field.width, ky / field.height  # whole cycles across the field
    freq = math.hypot(fx, fy)
    orientation = math.degrees(math.atan2(fy, fx))
    spectrum = np.abs(np.fft.fft2(grating(field, freq, orientation)))
    row, col = np.unravel_index(np.argmax(spectrum), spectrum.shape)
    nu_rows = np.fft.fftfreq(n_rows, d=1 / field.pixels_per_degree)[row]
    nu_cols = np.fft.fftfreq(n_cols, d=1 / field.pixels_per_degree)[col]
    # Rows count downward while y points up, so the row frequency is -fy.
    peak = np.array([nu_cols, -nu_rows])
    assert np.allclose(peak, [fx, fy]) or np.allclose(peak, [-fx, -fy])
    # All the power sits in the two conjugate peaks.
    assert spectrum[row, col] == pytest.approx(n_rows * n_cols / 2)
    assert np.sum(spectrum > 1e-6 * spectrum.max()) == 2


def test_grating_batch_equals_stacked_single_calls():
    field = VisualField(2.0, 1.5, 12)
    freqs = np.array([0.5, 1.0, 2.0, 3.0])
    phases = [0.0, 90.0, 180.0, 270.0]
    batch = grating(field, freqs, orientation=30.0, phase=phases, contrast=[0.5])
    assert batch.shape == (4, *field.shape)
    expected = np.stack(
        [grating(field, f, 30.0, p, 0.5) for f, p in zip(freqs, phases, strict=True)]
    )
    np.testing.assert_allclose(batch, expected, rtol=0, atol=1e-12)


@FAST
@given(
    n=st.integers(1, 5),
    orientation=st.floats(0, 180),
    contrast=st.floats(0, 1),
)
def test_grating_broadcasts_orientation_batch(n, orientation, contrast):
    field = VisualField(1.0, 1.0, 8)
    orientations = orientation + 30.0 * np.arange(n)
    batch = grating(field, 1.5, orientations, contrast=contrast)
    assert batch.shape == (n, 8, 8)
    for i, ori in enumerate(orientations):
        np.testing.assert_allclose(batch[i], grating(field, 1.5, ori, contrast=contrast))


def test_grating_zero_frequency_is_uniform():
    field = VisualField(1.0, 1.0, 10)
    np.testing.assert_allclose(grating(field, 0.0, phase=60.0, contrast=0.4), 0.2)


def test_grating_accepts_zero_d_arrays_as_scalars():
    field = VisualField(1.0, 1.0, 10)
    assert grating(field, np.float64(1.0), np.array(45.0)).shape == (10, 10)


def test_grating_nyquist_warning():
    field = VisualField(1.0, 1.0, 10)
    with pytest.warns(UserWarning, match="Nyquist"):
        grating(field, 6.0)
    with pytest.warns(UserWarning, match="Nyquist"):
        grating(field, [1.0, 5.5])
    grating(field, 5.0)  # exactly Nyquist: no warning (warnings are errors here)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"spatial_frequency": -1.0}, ValueError, r"`spatial_frequency` must be >= 0, got -1\.0"),
        ({"spatial_frequency": np.nan}, ValueError, r"`spatial_frequency` must be finite, got nan"),
        ({"spatial_frequency": np.inf}, ValueError, r"`spatial_frequency` must be finite, got inf"),
        ({"spatial_frequency": [1.0, -2.0]}, ValueError, r"`spatial_frequency` must be >= 0"),
        ({"spatial_frequency": [1.0, np.nan]}, ValueError, r"`spatial_frequency` must be finite"),
        ({"spatial_frequency": "1"}, TypeError, r"`spatial_frequency` must be a real number"),
        ({"spatial_frequency": True}, TypeError, r"`spatial_frequency` must be a real number"),
        ({"spatial_frequency": []}, ValueError, r"`spatial_frequency` must not be empty"),
        ({"orientation": np.inf}, ValueError, r"`orientation` must be finite"),
        ({"phase": np.nan}, ValueError, r"`phase` must be finite"),
        ({"contrast": -0.5}, ValueError, r"`contrast` must be >= 0, got -0\.5"),
        ({"orientation": np.zeros((2, 2))}, ValueError, r"`orientation` must be 1-D.*\(2, 2\)"),
        ({"contrast": [[1.0]]}, ValueError, r"`contrast` must be 1-D.*\(1, 1\)"),
        ({"phase": [0.0, 1.0], "orientation": [0.0, 1.0, 2.0]}, ValueError, r"broadcastable"),
    ],
)
def test_grating_bad_parameters(kwargs, error, match):
    field = VisualField(1.0, 1.0, 10)
    kwargs = {"spatial_frequency": 1.0, **kwargs}
    with pytest.raises(error, match=match):
        grating(field, **kwargs)


# --------------------------------------------------------------------------- bar
def test_bar_orientation_convention():
    field = VisualField(4.0, 4.0, 10)
    vertical = bar(field, length=2.0, width=0.4)
    rows, cols = np.nonzero(vertical)
    assert np.ptp(rows) + 1 == 20 and np.ptp(cols) + 1 == 4  # long axis along y
    horizontal = bar(field, length=2.0, width=0.4, orientation=90.0)
    rows, cols = np.nonzero(horizontal)
    assert np.ptp(rows) + 1 == 4 and np.ptp(cols) + 1 == 20
    np.testing.assert_array_equal(horizontal, vertical.T)


def test_bar_oblique_long_axis_direction():
    field = VisualField(4.0, 4.0, 20)
    theta = math.radians(30.0)
    image = bar(field, center=(0.3, -0.2), length=2.0, width=0.3, orientation=30.0)
    along = (0.3 - 0.8 * math.sin(theta), -0.2 + 0.8 * math.cos(theta))
    across = (0.3 + 0.8 * math.cos(theta), -0.2 + 0.8 * math.sin(theta))
    assert image[pixel_at(field, *along)] == 1.0
    assert image[pixel_at(field, *across)] == 0.0


@FAST
@given(
    cx=st.floats(-0.5, 0.5),
    cy=st.floats(-0.5, 0.5),
    length=st.floats(0.3, 2.0),
    width=st.floats(0.25, 1.0),
    orientation=st.floats(0, 360),
    contrast=st.floats(-1, 1).filter(lambda c: abs(c) > 1e-3),
)
def test_bar_area_centroid_and_values(cx, cy, length, width, orientation, contrast):
    field = VisualField(5.0, 5.0, 16)
    ppd = field.pixels_per_degree
    image = bar(field, (cx, cy), length, width, orientation, contrast)
    assert set(np.unique(image)) <= {0.0, contrast}
    inside = image == contrast
    perimeter_px = 2 * (length + width) * ppd
    assert abs(inside.sum() - length * width * ppd**2) <= perimeter_px + 4
    rows, cols = np.nonzero(inside)
    x, y = pixel_position(field, rows, cols)
    assert abs(x.mean() - cx) <= 1.5 / ppd and abs(y.mean() - cy) <= 1.5 / ppd
    # Every pixel is inside iff its centre is inside the rectangle (away from the edges).
    theta = math.radians(orientation)
    xs, ys = pixel_position(field, *np.indices(field.shape))
    u = (xs - cx) * math.cos(theta) + (ys - cy) * math.sin(theta)
    v = -(xs - cx) * math.sin(theta) + (ys - cy) * math.cos(theta)
    clearly_in = (np.abs(u) < width / 2 - 1e-6) & (np.abs(v) < length / 2 - 1e-6)
    clearly_out = (np.abs(u) > width / 2 + 1e-6) | (np.abs(v) > length / 2 + 1e-6)
    assert inside[clearly_in].all() and not inside[clearly_out].any()


# --------------------------------------------------------------------------- spot
@FAST
@given(
    cx=st.floats(-0.5, 0.5),
    cy=st.floats(-0.5, 0.5),
    radius=st.floats(0.1, 1.5),
    contrast=st.floats(-1, 1).filter(lambda c: abs(c) > 1e-3),
)
def test_spot_area_centroid_and_values(cx, cy, radius, contrast):
    field = VisualField(4.0, 4.0, 16)
    ppd = field.pixels_per_degree
    image = spot(field, (cx, cy), radius, contrast)
    assert image.shape == field.shape and image.dtype == np.float64
    assert set(np.unique(image)) <= {0.0, contrast}
    inside = image == contrast
    assert abs(inside.sum() - math.pi * (radius * ppd) ** 2) <= 2 * math.pi * radius * ppd + 4
    rows, cols = np.nonzero(inside)
    x, y = pixel_position(field, rows, cols)
    assert abs(x.mean() - cx) <= 1 / ppd and abs(y.mean() - cy) <= 1 / ppd
    xs, ys = pixel_position(field, *np.indices(field.shape))
    distance = np.hypot(xs - cx, ys - cy)
    assert inside[distance < radius - 1e-6].all()
    assert not inside[distance > radius + 1e-6].any()


def test_spot_off_centre_position():
    field = VisualField(4.0, 4.0, 10)
    image = spot(field, center=(1.0, 1.0), radius=0.3)
    assert image[pixel_at(field, 1.0, 1.0)] == 1.0  # up-right quadrant ...
    assert image[:20, 20:].sum() == image.sum()  # ... entirely: top rows, right columns
    assert image[pixel_at(field, -1.0, -1.0)] == 0.0


# --------------------------------------------------------------------------- checkerboard
@FAST
@given(
    check_size=st.floats(0.2, 1.0),
    contrast=st.floats(0.01, 1.0),
    k=st.integers(-2, 2),
    m=st.integers(-2, 2),
)
def test_checkerboard_polarity(check_size, contrast, k, m):
    field = VisualField(6.0, 6.0, 12)
    image = checkerboard(field, check_size, contrast)
    # Centre of check (k, m): +contrast where k + m is even ((0, 0) is up-right of fixation).
    x, y = (k + 0.5) * check_size, (m + 0.5) * check_size
    expected = contrast if (k + m) % 2 == 0 else -contrast
    assert image[pixel_at(field, x, y)] == pytest.approx(expected)
    np.testing.assert_allclose(np.abs(image), contrast)
    counter = checkerboard(field, check_size, contrast, phase=1)
    np.testing.assert_allclose(image + counter, 0.0, atol=1e-15)


def test_checkerboard_quadrants_and_edges():
    field = VisualField(2.0, 2.0, 10)  # pixel centres at +-0.05, +-0.15, ...
    image = checkerboard(field, 1.0, 0.5)
    assert image[:10, 10:].min() == 0.5  # up-right quadrant
    assert image[10:, :10].min() == 0.5  # down-left
    assert image[:10, :10].max() == -0.5  # up-left
    assert image[10:, 10:].max() == -0.5  # down-right


# --------------------------------------------------------------------------- white noise
@pytest.mark.parametrize("distribution", ["gaussian", "binary", "uniform"])
def test_white_noise_statistics(distribution):
    field = VisualField(25.6, 25.6, 10)  # 256 x 256
    contrast = 0.3
    noise = white_noise(field, contrast=contrast, distribution=distribution, seed=1)
    assert noise.shape == (256, 256) and noise.dtype == np.float64
    n = noise.size
    assert abs(noise.mean()) < 5 * contrast / math.sqrt(n)
    assert noise.std() == pytest.approx(contrast, rel=0.02)
    if distribution == "binary":
        assert set(np.unique(noise)) == {-contrast, contrast}
        assert abs(np.mean(noise > 0) - 0.5) < 5 * 0.5 / math.sqrt(n)
    if distribution == "uniform":
        half = contrast * math.sqrt(3)
        assert noise.min() >= -half and noise.max() <= half
        assert noise.min() < -0.99 * half and noise.max() > 0.99 * half
    # Neighbouring pixels are uncorrelated.
    r = np.corrcoef(noise[:, :-1].ravel(), noise[:, 1:].ravel())[0, 1]
    assert abs(r) < 5 / math.sqrt(n)


def test_white_noise_seeds_and_batches():
    field = VisualField(2.0, 1.0, 10)
    a = white_noise(field, 3, seed=42)
    assert a.shape == (3, 10, 20)
    np.testing.assert_array_equal(a, white_noise(field, 3, seed=42))
    assert not np.array_equal(a, white_noise(field, 3, seed=43))
    assert not np.array_equal(a[0], a[1])
    np.testing.assert_array_equal(
        white_noise(field, seed=np.random.default_rng(7)),
        white_noise(field, seed=np.random.default_rng(7)),
    )
    assert white_noise(field, np.int64(1)).shape == (1, 10, 20)
    np.testing.assert_array_equal(white_noise(field, contrast=0.0, seed=0), 0.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_images": 0}, ValueError, r"`n_images` must be >= 1, got 0"),
        ({"n_images": -1}, ValueError, r"`n_images` must be >= 1, got -1"),
        ({"n_images": 2.5}, TypeError, r"`n_images` must be an integer, got 2\.5"),
        ({"distribution": "poisson"}, ValueError, r"`distribution` must be one of .*'poisson'"),
        ({"distribution": None}, TypeError, r"`distribution` must be a string"),
        ({"contrast": -1.0}, ValueError, r"`contrast` must be >= 0, got -1\.0"),
        ({"contrast": np.nan}, ValueError, r"`contrast` must be finite"),
        ({"seed": -3}, ValueError, r"`seed` must be >= 0, got -3"),
        ({"seed": "abc"}, TypeError, r"`seed` must be an integer"),
    ],
)
def test_white_noise_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        white_noise(VisualField(1.0, 1.0, 10), **kwargs)


# --------------------------------------------------------------------------- natural images
@pytest.mark.parametrize("name", NATURAL_IMAGES)
def test_natural_image(name):
    field = VisualField(6.0, 4.0, 8)  # 32 x 48: wider than most images -> cropped
    image = natural_image(field, name)
    assert image.shape == field.shape and image.dtype == np.float64
    assert np.all(np.isfinite(image))
    assert abs(image.mean()) < 1e-12
    assert image.std() > 0.01
    luminance = natural_image(field, name, contrast=False)
    assert luminance.shape == field.shape
    assert luminance.min() >= 0.0 and luminance.max() <= 1.0
    np.testing.assert_allclose(to_contrast(luminance), image, atol=1e-12)


def test_natural_image_crops_instead_of_stretching():
    from skimage import data, img_as_float
    from skimage.transform import resize

    # A 2:1 (128 x 256 pixel) field of the 512 x 512 camera keeps its central half of the
    # rows, then halves its size.
    field = VisualField(4.0, 2.0, 64)
    expected = resize(img_as_float(data.camera())[128:384, :], (128, 256), anti_aliasing=True)
    got = natural_image(field, "camera", contrast=False)
    np.testing.assert_allclose(got, np.clip(expected, 0, 1), atol=1e-12)
    # Up-sampling works too (field larger than the image).
    assert natural_image(VisualField(10.0, 10.0, 60), "text").shape == (600, 600)


@pytest.mark.parametrize(
    ("name", "error", "match"),
    [
        ("lena", ValueError, r"`name` must be one of \('camera'.*got 'lena'"),
        ("data_dir", ValueError, r"`name` must be one of"),
        (3, TypeError, r"`name` must be a string"),
    ],
)
def test_natural_image_bad_name(name, error, match):
    with pytest.raises(error, match=match):
        natural_image(VisualField(1.0, 1.0, 10), name)


# --------------------------------------------------------------------------- to_contrast
def test_to_contrast_per_image():
    batch = np.stack([np.full((3, 4), 2.0), np.arange(12.0).reshape(3, 4) + 1])
    out = to_contrast(batch)
    assert out.shape == batch.shape and out.dtype == np.float64
    np.testing.assert_allclose(out[0], 0.0)
    np.testing.assert_allclose(out[1], (batch[1] - 6.5) / 6.5)
    np.testing.assert_allclose(out.mean(axis=(-2, -1)), 0.0, atol=1e-15)
    np.testing.assert_allclose(to_contrast(np.ones((2, 2), dtype=np.float32) * 3), 0.0)


@pytest.mark.parametrize(
    ("image", "error", "match"),
    [
        (np.zeros((3, 3)), ValueError, r"`image` must have a positive mean luminance, got mean 0"),
        (-np.ones((3, 3)), ValueError, r"got mean -1\.0"),
        (np.stack([np.ones((2, 2)), -np.ones((2, 2))]), ValueError, r"mean -1\.0 \(image 1\)"),
        (np.ones(4), ValueError, r"`image` must be 2-D or 3-D, got shape \(4,\)"),
        (np.full((2, 2), np.nan), ValueError, r"`image` must be finite"),
        ([["a", "b"]], TypeError, r"`image` must hold numbers"),
    ],
)
def test_to_contrast_bad_input(image, error, match):
    with pytest.raises(error, match=match):
        to_contrast(image)


# --------------------------------------------------------------------------- common bad input
FIELD = VisualField(1.0, 1.0, 10)
ALL_CALLS = [
    lambda f: grating(f, 1.0),
    lambda f: bar(f),
    lambda f: spot(f),
    lambda f: checkerboard(f, 0.25),
    lambda f: white_noise(f),
    lambda f: natural_image(f),
]


@pytest.mark.parametrize("call", ALL_CALLS)
@pytest.mark.parametrize("field", [None, (10, 10), np.zeros((10, 10))])
def test_field_must_be_visual_field(call, field):
    with pytest.raises(TypeError, match=r"`field` must be a VisualField, got"):
        call(field)


@pytest.mark.parametrize("func", [bar, spot])
@pytest.mark.parametrize(
    ("center", "error", "match"),
    [
        ((1.0,), ValueError, r"`center` must be a pair \(x, y\).*shape \(1,\)"),
        ((1.0, 2.0, 3.0), ValueError, r"`center` must be a pair.*shape \(3,\)"),
        (1.0, ValueError, r"`center` must be 1-D, got shape \(\)"),
        ([[0.0, 0.0]], ValueError, r"`center` must be 1-D, got shape \(1, 2\)"),
        ((0.0, np.nan), ValueError, r"`center` must be finite"),
        ((np.inf, 0.0), ValueError, r"`center` must be finite"),
        (("a", "b"), TypeError, r"`center` must hold numbers"),
    ],
)
def test_bad_center(func, center, error, match):
    with pytest.raises(error, match=match):
        func(FIELD, center=center)


@pytest.mark.parametrize("value", [0.0, -1.0, np.nan, np.inf, -np.inf])
@pytest.mark.parametrize(
    ("func", "name"),
    [(bar, "length"), (bar, "width"), (spot, "radius"), (checkerboard, "check_size")],
)
def test_sizes_must_be_positive_and_finite(func, name, value):
    kwargs = {"check_size": 0.25} if func is checkerboard else {}
    kwargs[name] = value
    if np.isfinite(value):
        match = rf"`{name}` must be > 0, got {value}"
    else:
        match = rf"`{name}` must be finite, got {value}"
    with pytest.raises(ValueError, match=match):
        func(FIELD, **kwargs)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: bar(FIELD, orientation=np.nan), ValueError, r"`orientation` must be finite"),
        (lambda: bar(FIELD, contrast=np.inf), ValueError, r"`contrast` must be finite"),
        (lambda: spot(FIELD, contrast="1"), TypeError, r"`contrast` must be a real number"),
        (lambda: spot(FIELD, radius="1"), TypeError, r"`radius` must be a real number"),
        (lambda: checkerboard(FIELD, 0.2, phase=2), ValueError, r"`phase` must be 0 or 1, got 2"),
        (lambda: checkerboard(FIELD, 0.2, phase=-1), ValueError, r"`phase` must be >= 0"),
        (lambda: checkerboard(FIELD, 0.2, phase=0.5), TypeError, r"`phase` must be an integer"),
        (lambda: checkerboard(FIELD, 0.2, contrast=-1), ValueError, r"`contrast` must be >= 0"),
    ],
)
def test_other_bad_parameters(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_dark_bar_and_spot():
    assert bar(FIELD, contrast=-0.5).min() == -0.5
    assert spot(FIELD, contrast=-0.5).min() == -0.5


# --------------------------------------------------------------------------- issue 11
# Bad input drawn by hypothesis, numeric ranges and the memory budget.
NOT_NUMBERS = st.sampled_from([None, "1", b"1", True, False, np.bool_(True), 1 + 2j, {}])
EXTREMES = [5e-324, 1e-300, 1e300, 1.7e308, -5e-324, -1e-300, -1e300, -1.7e308]
ANY_FINITE = st.floats(allow_nan=False, allow_infinity=False)


#: (function, valid arguments, argument, values giving ValueError)
RANGE_CASES = [
    (grating, {"spatial_frequency": 1.0}, "spatial_frequency", outside(0.0, 1e5)),
    (grating, {"spatial_frequency": 1.0}, "orientation", NON_FINITE),
    (grating, {"spatial_frequency": 1.0}, "phase", NON_FINITE),
    (grating, {"spatial_frequency": 1.0}, "contrast", outside(0.0, 1e6)),
    (bar, {}, "length", outside(0.0, 1e9, low_open=True)),
    (bar, {}, "width", outside(0.0, 1e9, low_open=True)),
    (bar, {}, "orientation", NON_FINITE),
    (bar, {}, "contrast", outside(-1e6, 1e6)),
    (spot, {}, "radius", outside(0.0, 1e9, low_open=True)),
    (spot, {}, "contrast", outside(-1e6, 1e6)),
    (checkerboard, {"check_size": 0.25}, "check_size", outside(1e-6, 1e9)),
    (checkerboard, {"check_size": 0.25}, "contrast", outside(0.0, 1e6)),
    (white_noise, {}, "contrast", outside(0.0, 1e6)),
]
RANGE_IDS = [f"{f.__name__}-{name}" for f, _, name, _ in RANGE_CASES]


@pytest.mark.parametrize(("func", "valid", "name", "bad_values"), RANGE_CASES, ids=RANGE_IDS)
@given(data=st.data())
def test_parameters_out_of_range_are_refused_naming_them(func, valid, name, bad_values, data):
    bad = data.draw(bad_values)
    with pytest.raises(ValueError, match=f"`{name}`"):
        func(FIELD, **{**valid, name: bad})


@pytest.mark.parametrize(("func", "valid", "name", "bad_values"), RANGE_CASES, ids=RANGE_IDS)
@given(bad=NOT_NUMBERS)
def test_parameters_that_are_not_numbers_are_refused_naming_them(
    func, valid, name, bad_values, bad
):
    with pytest.raises(TypeError, match=f"`{name}`"):
        func(FIELD, **{**valid, name: bad})


GRATING_ARRAYS = [
    (np.array([True, False]), TypeError),
    (["1", "2"], TypeError),
    ([1.0, None], TypeError),
    ([[1.0, 2.0], [1.0]], TypeError),
    (np.zeros(2, complex), TypeError),
    ([], ValueError),
    (np.zeros((2, 2)), ValueError),
    ([1.0, np.nan], ValueError),
    ([0.5, np.inf], ValueError),
]


@given(
    name=st.sampled_from(["spatial_frequency", "orientation", "phase", "contrast"]),
    case=st.sampled_from(GRATING_ARRAYS),
)
def test_grating_refuses_bad_parameter_arrays(name, case):
    bad, error = case
    with pytest.raises(error, match=f"`{name}`"):
        grating(FIELD, **{"spatial_frequency": 1.0, name: bad})


@given(
    func=st.sampled_from([bar, spot]),
    bad=st.one_of(
        st.sampled_from([None, "ab", (True, False), [[1.0, 2.0], [1.0]], (1j, 0.0)]),
        st.sampled_from([(x, 0.0) for x in EXTREMES if abs(x) > 1e9]),
    ),
)
def test_centers_are_validated(func, bad):
    error = ValueError if isinstance(bad, tuple) and isinstance(bad[0], float) else TypeError
    with pytest.raises(error, match="`center`"):
        func(FIELD, center=bad)


@FAST
@given(
    freq=st.one_of(st.just(0.0), log_uniform(5e-324, 1e5)),
    orientation=ANY_FINITE,
    phase=ANY_FINITE,
    contrast=st.one_of(st.just(0.0), log_uniform(5e-324, 1e6)),
    ppd=log_uniform(1e-6, 1e6),
)
def test_accepted_gratings_are_finite(freq, orientation, phase, contrast, ppd):
    with budget("8M"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # aliased: allowed
        try:
            field = VisualField(2.0, 1.0, ppd)
        except (ValueError, cortex.MemoryBudgetError):
            return  # less than one pixel, or too many
        try:
            image = grating(field, [freq, 1.0], orientation, [phase, 0.0], contrast)
        except cortex.MemoryBudgetError:
            return
    assert np.all(np.isfinite(image)) and np.abs(image).max() <= contrast


@FAST
@given(
    cx=st.floats(-1e9, 1e9),
    cy=st.floats(-1e9, 1e9),
    size=st.one_of(log_uniform(5e-324, 1e9)),
    orientation=ANY_FINITE,
    contrast=st.floats(-1e6, 1e6),
    check_size=log_uniform(1e-6, 1e9),
)
def test_accepted_shapes_are_finite(cx, cy, size, orientation, contrast, check_size):
    for image in (
        bar(FIELD, (cx, cy), size, size, orientation, contrast),
        spot(FIELD, (cx, cy), size, contrast),
        checkerboard(FIELD, check_size, abs(contrast)),
    ):
        assert np.all(np.isfinite(image)) and np.abs(image).max() <= abs(contrast)


@FAST
@given(
    contrast=st.one_of(st.just(0.0), log_uniform(5e-324, 1e6)),
    distribution=st.sampled_from(["gaussian", "binary", "uniform"]),
    seed=st.integers(0, 2**128),
)
def test_accepted_noise_is_finite(contrast, distribution, seed):
    images = white_noise(FIELD, 2, contrast=contrast, distribution=distribution, seed=seed)
    assert np.all(np.isfinite(images))


@FAST
@given(scale=st.sampled_from(EXTREMES + [1.0]), offset=st.floats(0.0, 1.0))
def test_to_contrast_is_finite_or_refused_naming_the_image(scale, offset):
    image = np.array([[scale, scale * offset], [scale / 2, scale / 4]])
    try:
        out = to_contrast(image)
    except ValueError as exc:
        assert "`image`" in str(exc)
        return
    assert np.all(np.isfinite(out))


@given(
    image=st.sampled_from(
        [
            None,
            "abc",
            [[1.0], [1.0, 2.0]],
            np.zeros((2, 2), complex),
            np.zeros((0, 2)),
            np.ones(3),
            np.ones((1, 1, 1, 1)),
            np.full((2, 2), np.nan),
        ]
    )
)
def test_to_contrast_refuses_bad_images(image):
    with pytest.raises((TypeError, ValueError), match="`image`"):
        to_contrast(image)


@given(contrast=st.sampled_from(["no", 0, 1, None, 1.0]))
def test_natural_image_contrast_must_be_a_bool(contrast):
    with pytest.raises(TypeError, match="`contrast` must be True or False"):
        natural_image(FIELD, "camera", contrast=contrast)


def test_issue_11_cases(small_budget):
    with pytest.raises(ValueError, match=r"`spatial_frequency` must be in \[0, 100000\]"):
        grating(FIELD, 1e308)  # was NaN
    refused_cheaply(lambda: white_noise(FIELD, 10**9, seed=0), match="gaussian white noise")
    with pytest.raises(ValueError, match=r"`contrast` must be in \[0, 1e\+06\]"):
        white_noise(FIELD, contrast=1e308, distribution="uniform")  # was NaN (inf range)
    with pytest.raises(ValueError, match="`check_size`"):
        checkerboard(FIELD, 5e-324)  # was NaN


def test_big_stimuli_are_refused_before_allocating(small_budget):
    big = VisualField(300.0, 200.0, 10.0)  # 6 Mpx: one image fits in 64 MiB
    refused_cheaply(lambda: grating(big, 1.0), match="the gratings")
    refused_cheaply(lambda: grating(big, 1.0, orientation=[0.0, 90.0]), match=r"2 x 2000x3000")
    refused_cheaply(lambda: bar(big), match="the bar")
    refused_cheaply(lambda: spot(big), match="the spot")
    refused_cheaply(lambda: checkerboard(big, 1.0), match="the checkerboard")
    refused_cheaply(lambda: white_noise(big, 2, distribution="binary"), match="binary")
    refused_cheaply(lambda: natural_image(big, "camera"), match="natural image")
    small = VisualField(20.0, 20.0, 10.0)
    refused_cheaply(lambda: white_noise(small, 10**5, seed=0), match=r"100000 x 200x200 px")
    luminance = np.ones((3, 300, 400))
    with budget("4M"):
        refused_cheaply(lambda: to_contrast(luminance), match=r"shape \(3, 300, 400\)")


# --------------------------------------------------------------------------- cortex.datasets
# The synthetic task draws gratings; its bad input is tested here (no tests/test_datasets.py).
TASK_CASES = {
    "n_samples": (st.sampled_from([0, -1]), st.sampled_from([1.5, "3", True, None])),
    "size": (st.sampled_from([1, 0, -5]), st.sampled_from([2.5, "8", False])),
    "pixels_per_degree": (outside(1e-6, 1e6), NOT_NUMBERS),
    "reference": (NON_FINITE, NOT_NUMBERS),
    "delta": (outside(0.0, 90.0, low_open=True), NOT_NUMBERS),
    "spatial_frequency": (outside(0.0, 1e5, low_open=True), NOT_NUMBERS),
    "contrast": (outside(0.0, 1e6), NOT_NUMBERS),
    "noise": (outside(0.0, 1e6), NOT_NUMBERS),
    "seed": (st.sampled_from([-1]), st.sampled_from([1.5, "a", True])),
}


@given(name=st.sampled_from(sorted(TASK_CASES)), data=st.data())
def test_orientation_discrimination_refuses_bad_values_naming_them(name, data):
    values, types = TASK_CASES[name]
    if data.draw(st.booleans()):
        bad, error = data.draw(values), ValueError
    else:
        bad, error = data.draw(types), TypeError
    if name == "n_samples":
        args, kwargs = (bad,), {"size": 8}
    else:
        args, kwargs = (4,), {"size": 8, name: bad}
    with pytest.raises(error, match=f"`{name}`"):
        orientation_discrimination(*args, **kwargs)


@FAST
@given(
    ppd=log_uniform(8e-6, 1e6),  # the field, 8 px / ppd, at most 1e6 deg
    reference=st.floats(-1e9, 1e9),
    delta=st.floats(0.0, 90.0, exclude_min=True),
    frequency=log_uniform(5e-324, 1e5),
    contrast=st.floats(0.0, 1e6),
    noise=st.floats(0.0, 1e6),
)
def test_accepted_tasks_are_finite(ppd, reference, delta, frequency, contrast, noise):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # aliased gratings: allowed
        x, y = orientation_discrimination(
            4,
            size=8,
            pixels_per_degree=ppd,
            reference=reference,
            delta=delta,
            spatial_frequency=frequency,
            contrast=contrast,
            noise=noise,
            seed=0,
        )
    assert np.all(np.isfinite(x)) and x.shape == (4, 1, 8, 8) and set(y) <= {0, 1}


def test_orientation_discrimination_budget(small_budget):
    refused_cheaply(lambda: orientation_discrimination(10**7, size=32, seed=0), match="10000000")
    with pytest.raises(ValueError, match="`pixels_per_degree` must be >= size / 1e"):
        orientation_discrimination(4, size=8, pixels_per_degree=1e-6)


SPLIT_IMAGES = np.arange(20.0).reshape(10, 2)
SPLIT_LABELS = np.arange(10) % 2


@given(
    case=st.sampled_from(
        [
            ({"images": None}, TypeError, "`images`"),
            ({"images": "abc"}, TypeError, "`images`"),
            ({"images": np.zeros(10, complex)}, TypeError, "`images`"),
            ({"images": np.zeros((0, 2))}, ValueError, "`images`"),
            ({"images": np.float64(3.0)}, ValueError, "`images`"),
            ({"images": np.full((10, 2), np.nan)}, ValueError, "`images`"),
            ({"labels": np.arange(10) * 0.5}, TypeError, "`labels`"),
            ({"labels": np.ones(10, bool)}, TypeError, "`labels`"),
            ({"labels": None}, TypeError, "`labels`"),
            ({"labels": np.arange(9)}, ValueError, "`labels`"),
            ({"test_fraction": 1.0}, ValueError, "`test_fraction`"),
            ({"test_fraction": 0.0}, ValueError, "`test_fraction`"),
            ({"test_fraction": math.nan}, ValueError, "`test_fraction`"),
            ({"test_fraction": "0.2"}, TypeError, "`test_fraction`"),
            ({"stratify": "yes"}, TypeError, "`stratify`"),
            ({"stratify": 1}, TypeError, "`stratify`"),
            ({"seed": -1}, ValueError, "`seed`"),
            ({"seed": 0.5}, TypeError, "`seed`"),
        ]
    )
)
def test_train_test_split_refuses_bad_input_naming_it(case):
    kwargs, error, match = case
    arguments = {"images": SPLIT_IMAGES, "labels": SPLIT_LABELS, "seed": 0, **kwargs}
    images, labels = arguments.pop("images"), arguments.pop("labels")
    with pytest.raises(error, match=match):
        train_test_split(images, labels, **arguments)


def test_train_test_split_results_are_unchanged():
    x_train, y_train, x_test, y_test = train_test_split(SPLIT_IMAGES, SPLIT_LABELS, seed=0)
    assert len(x_test) == 2 and sorted(y_test) == [0, 1]
    np.testing.assert_array_equal(x_train[:, 0] // 2 % 2, y_train)

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import NON_FINITE, budget, log_uniform, refused_cheaply

import cortex
from cortex import VisualField


def test_shape_and_extent():
    field = VisualField(width=8.0, height=6.0, pixels_per_degree=10)
    assert field.shape == (60, 80)
    assert field.extent == (-4.0, 4.0, -3.0, 3.0)
    assert field.pixel_size == pytest.approx(0.1)


def test_coordinates_follow_the_convention():
    field = VisualField(width=0.4, height=0.3, pixels_per_degree=10)  # 3 rows x 4 cols
    x, y = field.coordinates()
    np.testing.assert_allclose(x, [-0.15, -0.05, 0.05, 0.15])
    np.testing.assert_allclose(y, [0.1, 0.0, -0.1])  # row 0 is the top: y decreases down
    gx, gy = field.grid()
    assert gx.shape == gy.shape == (3, 4)
    np.testing.assert_allclose(field.eccentricity(), np.hypot(gx, gy))


@given(
    width=st.floats(0.1, 20),
    height=st.floats(0.1, 20),
    ppd=st.floats(1, 50),
    u=st.floats(0, 1),
    v=st.floats(0, 1),
)
def test_deg_px_round_trip(width, height, ppd, u, v):
    assume(round(width * ppd) >= 1 and round(height * ppd) >= 1)
    field = VisualField(width, height, ppd)
    rows, cols = field.shape
    row, col = u * (rows - 1), v * (cols - 1)
    x, y = field.px_to_deg(row, col)
    r2, c2 = field.deg_to_px(x, y)
    assert r2 == pytest.approx(row, abs=1e-9)
    assert c2 == pytest.approx(col, abs=1e-9)
    assert field.contains(x, y)


def test_contains_edges():
    field = VisualField(1.0, 1.0, 10)
    lim_x, lim_y = field.limits
    assert field.contains(lim_x, lim_y)
    assert not field.contains(lim_x + 0.1, 0.0)
    assert not field.contains(0.0, -lim_y - 0.1)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"width": -1.0, "height": 1.0, "pixels_per_degree": 10},
            ValueError,
            "`width` must be > 0",
        ),
        (
            {"width": 1.0, "height": 0.0, "pixels_per_degree": 10},
            ValueError,
            "`height` must be > 0",
        ),
        ({"width": 1.0, "height": 1.0, "pixels_per_degree": -5}, ValueError, "pixels_per_degree"),
        ({"width": np.nan, "height": 1.0, "pixels_per_degree": 5}, ValueError, "finite"),
        ({"width": np.inf, "height": 1.0, "pixels_per_degree": 5}, ValueError, "finite"),
        (
            {"width": "1", "height": 1.0, "pixels_per_degree": 5},
            TypeError,
            "`width` must be a real",
        ),
        ({"width": True, "height": 1.0, "pixels_per_degree": 5}, TypeError, "`width`"),
        ({"width": 0.01, "height": 1.0, "pixels_per_degree": 10}, ValueError, "one pixel"),
    ],
)
def test_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        VisualField(**kwargs)


def test_frozen():
    field = VisualField(1.0, 1.0, 10)
    with pytest.raises(AttributeError):
        field.width = 2.0


# -- bad input, numeric ranges and the memory budget (issue 11) ------------------------
#: values that are not real numbers: each must give a TypeError naming the argument.
NOT_NUMBERS = st.sampled_from([None, "1", "abc", b"1", True, False, np.bool_(True), 1 + 2j, {}])
#: finite magnitudes at the edges of float64.
EXTREMES = [5e-324, 1e-300, 1e300, 1.7e308, -5e-324, -1e-300, -1e300, -1.7e308]


@given(name=st.sampled_from(["width", "height", "pixels_per_degree"]), bad=NOT_NUMBERS)
def test_constructor_refuses_non_numbers(name, bad):
    kwargs = {"width": 2.0, "height": 2.0, "pixels_per_degree": 10.0, name: bad}
    with pytest.raises(TypeError, match=f"`{name}`"):
        VisualField(**kwargs)


@given(
    name=st.sampled_from(["width", "height", "pixels_per_degree"]),
    bad=st.one_of(
        NON_FINITE,
        st.floats(max_value=0.0, allow_infinity=False, allow_nan=False),
        st.floats(min_value=1e6, exclude_min=True, allow_infinity=False),
        st.sampled_from(EXTREMES),
    ),
)
def test_constructor_refuses_bad_values_naming_them(name, bad):
    kwargs = {"width": 2.0, "height": 2.0, "pixels_per_degree": 10.0, name: bad}
    with pytest.raises(ValueError, match=name):  # also "less than one pixel" (names it)
        VisualField(**kwargs)


@given(width=log_uniform(1e-6, 1e6), height=log_uniform(1e-6, 1e6), ppd=log_uniform(1e-6, 1e6))
def test_accepted_fields_have_finite_geometry(width, height, ppd):
    with budget("8M"):
        try:
            field = VisualField(width, height, ppd)
        except cortex.MemoryBudgetError:
            return  # refused before allocating anything
        except ValueError as exc:
            assert "at least one pixel" in str(exc)
            return
        rows, cols = field.shape
        assert rows >= 1 and cols >= 1
        assert np.all(np.isfinite(field.extent)) and np.all(np.isfinite(field.limits))
        assert math.isfinite(field.pixel_size)
        x, y = field.coordinates()
        assert np.all(np.isfinite(x)) and np.all(np.isfinite(y))
        corners = field.px_to_deg([0, rows - 1, 1e15, -1e15], [0, cols - 1, -1e15, 1e15])
        assert np.all(np.isfinite(corners))
        r, c = field.nearest_pixel([1e9, -1e9, 0.0], [-1e9, 1e9, 0.0])
        # the extreme positions are far outside and land on the correct side (no wrap-around)
        assert r[0] > rows and c[0] > cols and r[1] < 0 and c[1] < 0
        assert not field.contains(1e9, 1e9)


COORDINATE_METHODS = {
    "deg_to_px": ("x", "y"),
    "px_to_deg": ("row", "col"),
    "nearest_pixel": ("x", "y"),
    "contains": ("x", "y"),
}
BAD_COORDINATES = [
    (None, TypeError),
    ("1", TypeError),
    (True, TypeError),
    (np.array([True, False]), TypeError),
    (1 + 2j, TypeError),
    ([[1.0], [1.0, 2.0]], TypeError),
    (math.nan, ValueError),
    (math.inf, ValueError),
    (-math.inf, ValueError),
    (np.array([0.0, np.nan]), ValueError),
    (1e300, ValueError),
    (-1.7e308, ValueError),
]


@given(
    method=st.sampled_from(sorted(COORDINATE_METHODS)),
    position=st.sampled_from([0, 1]),
    case=st.sampled_from(BAD_COORDINATES),
)
def test_coordinate_conversions_refuse_bad_values_naming_them(method, position, case):
    bad, error = case
    field = VisualField(2.0, 2.0, 10.0)
    args = [0.0, 0.0]
    args[position] = bad
    name = COORDINATE_METHODS[method][position]
    with pytest.raises(error, match=f"`{name}`"):
        getattr(field, method)(*args)


def test_coordinate_conversions_refuse_shapes_that_do_not_broadcast():
    field = VisualField(2.0, 2.0, 10.0)
    with pytest.raises(ValueError, match="`x` and `y` must broadcast together"):
        field.deg_to_px(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="`row` and `col` must broadcast together"):
        field.px_to_deg(np.zeros(3), np.zeros(2))


def test_empty_positions_give_empty_results():
    field = VisualField(2.0, 2.0, 10.0)
    rows, cols = field.nearest_pixel([], [])
    assert rows.shape == cols.shape == (0,) and rows.dtype == np.intp
    assert field.contains([], []).shape == (0,)


def test_issue_11_cases():
    with pytest.raises(ValueError, match=r"`width` must be in \(0, 1e\+06\] deg, got 1e\+200"):
        VisualField(1e200, 1e200, 1e200)  # was an OverflowError
    field = VisualField(2.0, 2.0, 10.0)
    with pytest.raises(TypeError, match="`row` must be a real number"):
        field.px_to_deg(None, 0)  # was (nan, ...)
    with pytest.raises(ValueError, match="`x` must be finite"):
        field.nearest_pixel(math.inf, 0)  # was INT_MIN
    with pytest.raises(ValueError, match=r"`pixels_per_degree` must be in \[1e-06, 1e\+06\]"):
        VisualField(1.0, 1.0, 1e7)


def test_valid_results_are_unchanged():
    field = VisualField(width=8.0, height=6.0, pixels_per_degree=10)
    assert field.px_to_deg(0, 0) == (-3.95, 2.95)
    np.testing.assert_array_equal(
        field.nearest_pixel([-3.95, 0.0], [2.95, 0.0]), [[0, 30], [0, 40]]
    )
    assert field.deg_to_px(np.int64(1), 2.0) == (29.5 - 20.0, 10.0 + 39.5)


def test_absurd_fields_and_grids_are_refused_before_allocating(small_budget):
    refused_cheaply(lambda: VisualField(1e5, 1e5, 100.0), match="one float64 image of the field")
    refused_cheaply(lambda: VisualField(1e6, 1e6, 1e6))
    field = VisualField(250.0, 250.0, 10.0)  # 2500 x 2500: one image fits in 64 MiB, grids do not
    refused_cheaply(field.grid, match="coordinate grids")
    refused_cheaply(field.eccentricity, match="eccentricity map")

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

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

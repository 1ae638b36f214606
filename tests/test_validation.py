import numpy as np
import pytest

from cortex._validation import (
    as_float_array,
    as_rng,
    check_choice,
    check_integer,
    check_ndim,
    check_positive,
)


def test_as_float_array_dtypes():
    assert as_float_array([1, 2], "x").dtype == np.float64
    assert as_float_array(np.ones(2, np.float32), "x").dtype == np.float32
    assert as_float_array(np.ones(2, np.float32), "x", keep_float32=False).dtype == np.float64
    assert as_float_array(np.array([True, False]), "x").dtype == np.float64
    assert as_float_array([1j], "x", allow_complex=True).dtype == np.complex128


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (["a", "b"], TypeError, "`x` must hold numbers"),
        ([1j], TypeError, "`x` must be real"),
        ([np.nan], ValueError, "`x` must be finite, got 1 NaN"),
        ([1.0, np.inf, -np.inf], ValueError, "2 NaN or infinite"),
        (np.zeros((0, 3)), ValueError, r"must not be empty, got shape \(0, 3\)"),
        ([[1], [2, 3]], TypeError, "array-like"),
    ],
)
def test_as_float_array_errors(value, error, match):
    with pytest.raises(error, match=match):
        as_float_array(value, "x")


def test_check_ndim_message():
    with pytest.raises(ValueError, match=r"`image` must be 2-D or 3-D, got shape \(2, 3, 4, 5\)"):
        check_ndim(np.zeros((2, 3, 4, 5)), "image", (2, 3))


def test_scalars():
    assert check_positive(2, "a") == 2.0
    assert check_positive(0, "a", allow_zero=True) == 0.0
    with pytest.raises(ValueError, match="`a` must be >= 0, got -1.0"):
        check_positive(-1, "a", allow_zero=True)
    with pytest.raises(TypeError, match="`a` must be a real number"):
        check_positive(None, "a")
    assert check_integer(np.int64(3), "n", minimum=1) == 3
    with pytest.raises(TypeError, match="`n` must be an integer"):
        check_integer(2.5, "n")
    with pytest.raises(ValueError, match="`n` must be >= 1, got 0"):
        check_integer(0, "n", minimum=1)
    with pytest.raises(ValueError, match=r"`m` must be one of \('a', 'b'\), got 'c'"):
        check_choice("c", "m", ("a", "b"))
    with pytest.raises(TypeError, match="`m` must be a string"):
        check_choice(1, "m", ("a", "b"))


def test_as_rng():
    a = as_rng(3).standard_normal(4)
    b = as_rng(3).standard_normal(4)
    np.testing.assert_array_equal(a, b)
    g = np.random.default_rng(0)
    assert as_rng(g) is g
    assert isinstance(as_rng(None), np.random.Generator)
    with pytest.raises(ValueError, match="`seed` must be >= 0"):
        as_rng(-1)
    with pytest.raises(TypeError, match="`seed` must be an integer"):
        as_rng("x")

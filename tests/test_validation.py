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


def test_parse_number():
    from cortex._validation import parse_number

    assert parse_number("2.5", "x") == 2.5
    assert parse_number(" -3 ", "x") == -3.0
    value = parse_number("7", "n", integer=True, minimum=1)
    assert value == 7 and isinstance(value, int)
    assert parse_number("1", "c", minimum=0, strict=True, maximum=1) == 1.0
    assert parse_number("0", "a", minimum=0) == 0.0


@pytest.mark.parametrize(
    ("text", "options", "match"),
    [
        ("nan", {}, "`x` must be a finite number, got 'nan'"),
        ("-inf", {}, "`x` must be a finite number, got '-inf'"),
        ("abc", {"minimum": 0}, "`x` must be a finite number >= 0, got 'abc'"),
        ("0", {"minimum": 0, "strict": True}, "`x` must be a finite number > 0, got '0'"),
        (
            "1.5",
            {"minimum": 0, "strict": True, "maximum": 1},
            "`x` must be a finite number > 0 and <= 1, got '1.5'",
        ),
        ("2.5", {"integer": True}, "`x` must be an integer, got '2.5'"),
        ("1e3", {"integer": True, "minimum": 2}, "`x` must be an integer >= 2, got '1e3'"),
        ("1", {"integer": True, "minimum": 2}, "`x` must be an integer >= 2, got '1'"),
        ("", {"maximum": 10}, "`x` must be a finite number <= 10, got ''"),
    ],
)
def test_parse_number_errors_name_the_argument(text, options, match):
    from cortex._validation import parse_number

    with pytest.raises(ValueError, match=match):
        parse_number(text, "x", **options)


def test_parse_number_needs_a_string():
    from cortex._validation import parse_number

    with pytest.raises(TypeError, match="`x` must be a string, got 2.0"):
        parse_number(2.0, "x")


def test_parse_name_list():
    from cortex._validation import parse_name_list

    choices = ("a", "b", "c")
    assert parse_name_list("c, a,c", "p", choices) == ("c", "a")
    with pytest.raises(ValueError, match="`p` must name at least one of a, b, c, got ' , '"):
        parse_name_list(" , ", "p", choices)
    with pytest.raises(
        ValueError,
        match=r"`p`: unknown parameter 'd' in 'a,d'; choose from a, b, c \(comma-separated\)",
    ):
        parse_name_list("a,d", "p", choices, item="parameter")
    with pytest.raises(ValueError, match="`p`: unknown name '' in 'a,,b'"):
        parse_name_list("a,,b", "p", choices)
    with pytest.raises(TypeError, match="`p` must be a string"):
        parse_name_list(["a"], "p", choices)


# -- ranges, flags and the memory budget ------------------------------------------------
from cortex._validation import (  # noqa: E402
    MemoryBudgetError,
    check_bool,
    check_memory,
    check_range,
    format_bytes,
    memory_budget,
    set_memory_budget,
)


@pytest.fixture
def budget():
    """Restore the process's budget after a test that sets it."""
    yield
    set_memory_budget(None)


def test_check_range_names_the_parameter_range_and_unit():
    assert check_range(2.0, "sigma", 0.0, 10.0, low_open=True) == 2.0
    with pytest.raises(ValueError, match=r"`sigma` must be in \(0, 1e\+06\] deg, got 1e\+200"):
        check_range(1e200, "sigma", 0.0, 1e6, low_open=True, unit="deg")
    with pytest.raises(ValueError, match=r"`sigma` must be in \(0, 1e\+06\] deg, got 0"):
        check_range(0.0, "sigma", 0.0, 1e6, low_open=True, unit="deg")
    with pytest.raises(ValueError, match=r"`x` must be in \(-inf, 3\), got 3"):
        check_range(3, "x", None, 3, high_open=True)
    with pytest.raises(TypeError, match="`x` must be a real number"):
        check_range(True, "x", 0, 1)
    with pytest.raises(ValueError, match="`x` must be finite"):
        check_range(float("nan"), "x", 0, 1)


@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
def test_check_bool_accepts_bools(value):
    assert check_bool(value, "bias") is bool(value)


@pytest.mark.parametrize("value", ["no", 0, 1, None, 1.0, "True"])
def test_check_bool_refuses_everything_else(value):
    with pytest.raises(TypeError, match="`bias` must be True or False"):
        check_bool(value, "bias")


def test_memory_budget_from_setter_environment_and_default(budget, monkeypatch):
    monkeypatch.delenv("CORTEX_MEMORY_BUDGET", raising=False)
    default = memory_budget()
    assert default >= 1
    monkeypatch.setenv("CORTEX_MEMORY_BUDGET", "3M")
    assert memory_budget() == 3 * 2**20
    monkeypatch.setenv("CORTEX_MEMORY_BUDGET", "1.5GiB")
    assert memory_budget() == int(1.5 * 2**30)
    set_memory_budget(1000)  # the setter wins over the environment
    assert memory_budget() == 1000
    set_memory_budget("2k")
    assert memory_budget() == 2048
    set_memory_budget(None)
    assert memory_budget() == int(1.5 * 2**30)
    monkeypatch.setenv("CORTEX_MEMORY_BUDGET", "lots")
    with pytest.raises(ValueError, match="`CORTEX_MEMORY_BUDGET` must be a number of bytes"):
        memory_budget()


@pytest.mark.parametrize(
    ("value", "error"),
    [(0, ValueError), (-5, ValueError), ("0.1", ValueError), ("x", ValueError), (1.5, TypeError)],
)
def test_set_memory_budget_refuses_non_sizes(budget, value, error):
    with pytest.raises(error, match="`n_bytes`"):
        set_memory_budget(value)


def test_check_memory_refuses_over_the_budget_before_allocating(budget):
    set_memory_budget("1M")
    assert check_memory(2**20, "a small array") == 2**20
    with pytest.raises(MemoryBudgetError, match=r"the thing would need 1.5 GiB, over the memory "
                       r"budget of 1 MiB; .*cortex.set_memory_budget"):
        check_memory(1.5 * 2**30, "the thing")
    with pytest.raises(MemoryError):  # a MemoryBudgetError is a MemoryError and a ValueError
        check_memory(float("inf"), "an infinite thing")
    with pytest.raises(ValueError):
        check_memory(float("nan"), "a NaN estimate")
    assert format_bytes(1536) == "1.5 KiB" and format_bytes(12) == "12 B"

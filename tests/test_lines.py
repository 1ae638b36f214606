"""The ``"separable"`` method on sites along evenly spaced lines (``cortex._lines``)."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import naive_sites as naive

import cortex
from cortex import _lines, correlation
from cortex._lines import line_plan
from cortex.correlation import _correlate


@st.composite
def lattices(draw):
    """Sites on lines of one stride (any order, duplicates, borders) and a problem around them."""
    kh, kw = draw(st.sampled_from([1, 3, 5, 7, 9])), draw(st.sampled_from([1, 3, 5, 7, 9, 11]))
    h, w = draw(st.integers(kh, 24)), draw(st.integers(kw, 24))
    padding = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    free_rows, free_cols = h + 2 * padding[0] - kh + 1, w + 2 * padding[1] - kw + 1
    stride = draw(st.integers(1, 13))
    line_rows = draw(st.lists(st.integers(0, free_rows - 1), min_size=1, max_size=6, unique=True))
    rows, cols = [], []
    for r in line_rows:
        first = draw(st.integers(0, free_cols - 1))
        count = draw(st.integers(1, max(1, (free_cols - 1 - first) // stride + 1)))
        rows += [r] * count
        cols += [first + stride * i for i in range(count)]
    rows, cols = np.array(rows), np.array(cols)
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    if draw(st.booleans()):  # some sites twice
        twice = rng.integers(0, len(rows), draw(st.integers(1, 3)))
        rows, cols = np.append(rows, rows[twice]), np.append(cols, cols[twice])
    arrange = draw(st.sampled_from(["as drawn", "any", "lattice"]))
    if arrange == "any":
        order = rng.permutation(len(rows))
    elif arrange == "lattice":  # line by line, left to right: the plan's cheap case
        order = np.lexsort((cols, rows))
    if arrange != "as drawn":
        rows, cols = rows[order], cols[order]
    n, c, o = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 4))
    x = rng.standard_normal((n, c, h, w))
    weight = rng.standard_normal((o, c, kh, kw))
    if draw(st.booleans()):  # lines along columns: the same problem transposed
        x, weight = x.swapaxes(-1, -2), weight.swapaxes(-1, -2)
        rows, cols, padding = cols, rows, padding[::-1]
    return x, weight, rows, cols, padding


@settings(max_examples=150, deadline=None)
@given(
    problem=lattices(),
    dtype=st.sampled_from([np.float64, np.float32]),
    line_bytes=st.sampled_from([1, 2**10, _lines.LINE_BYTES]),
)
def test_lines_equal_a_naive_loop(problem, dtype, line_bytes):
    x, weight, rows, cols, padding = problem
    kernel_shape = weight.shape[-2:]
    plan = line_plan(rows, cols, kernel_shape)
    assert plan is not None  # evenly spaced lines, one way or the other
    expected = naive(x, weight, rows, cols, padding)
    saved = _lines.LINE_BYTES, correlation._line_cost
    _lines.LINE_BYTES = line_bytes  # 1 byte: one line of one image at a time
    correlation._line_cost = lambda *args: -1.0  # the line path, whatever the cost model says
    try:
        got = _correlate(x.astype(dtype), weight.astype(dtype), rows, cols, padding, "separable")
    finally:
        _lines.LINE_BYTES, correlation._line_cost = saved
    assert got.shape == expected.shape and got.dtype == dtype
    tol = 1e-12 if dtype == np.float64 else 1e-5
    scale = 1 + np.abs(expected).max(initial=0)
    np.testing.assert_allclose(got, expected, rtol=0, atol=tol * scale)


def spy_lines(monkeypatch) -> list:
    """Count the calls of the line path."""
    calls = []
    real = _lines.correlate_lines
    monkeypatch.setattr(_lines, "correlate_lines", lambda *a: calls.append(1) or real(*a))
    return calls


def test_the_line_path_is_taken_and_equals_the_column_groups(rng, monkeypatch):
    # the same sites through both separable paths (and the naive loop)
    x = rng.standard_normal((2, 1, 40, 50))
    weight = rng.standard_normal((3, 1, 9, 7))
    rows = np.repeat(np.arange(4, 36, 5), 8)
    cols = np.tile(np.arange(3, 43, 5), 7)
    assert line_plan(rows, cols, (9, 7)) is not None
    calls = spy_lines(monkeypatch)
    monkeypatch.setattr(correlation, "_line_cost", lambda *args: -1.0)  # lines always cheaper
    lines = _correlate(x, weight, rows, cols, (4, 3), "separable")
    assert calls == [1]
    monkeypatch.setattr(correlation, "_line_cost", lambda *args: np.inf)  # never
    groups = _correlate(x, weight, rows, cols, (4, 3), "separable")
    assert calls == [1]
    monkeypatch.setattr(correlation, "_line_cost", lambda *args: -1.0)
    monkeypatch.setattr(correlation, "_USE_LINES", False)  # switched off
    assert np.array_equal(_correlate(x, weight, rows, cols, (4, 3), "separable"), groups)
    assert calls == [1]
    np.testing.assert_allclose(lines, groups, rtol=0, atol=1e-12 * np.abs(groups).max())
    np.testing.assert_allclose(lines, naive(x, weight, rows, cols, (4, 3)), atol=1e-11)


def test_plans_need_one_stride():
    rows = np.array([0, 0, 0, 5, 5, 5])
    plan = line_plan(rows, np.array([0, 4, 8, 2, 6, 10]), (3, 3))
    assert plan.stride == 4 and plan.ordered and plan.line is None  # a lattice's order
    shuffled = line_plan(rows[::-1], np.array([0, 4, 8, 2, 6, 10])[::-1], (3, 3))
    assert not shuffled.ordered and shuffled.line.tolist() == [1, 1, 1, 0, 0, 0]
    assert shuffled.index.tolist() == [2, 1, 0, 2, 1, 0]
    # uneven along the rows, and columns of one site each: lines along columns
    plan = line_plan(rows, np.array([0, 4, 9, 2, 6, 11]), (3, 3))
    assert plan.transposed and plan.phases == 1
    # two strides along rows and along columns: no plan
    rows = np.array([0, 0, 0, 5, 5, 5, 7])
    assert line_plan(rows, np.array([0, 4, 8, 2, 5, 8, 0]), (3, 3)) is None
    assert line_plan(np.array([], dtype=int), np.array([], dtype=int), (3, 3)) is None


def test_plan_counts_the_multiply_adds_of_a_hexagonal_lattice():
    # rows 7 px apart, columns 8 px apart, every other row shifted by 4
    rows = np.repeat(np.arange(0, 70, 7), 12)
    cols = np.tile(np.arange(0, 96, 8), 10) + 4 * (rows // 7 % 2)
    plan = line_plan(rows, cols, (31, 31))
    assert not plan.transposed and plan.stride == 8 and plan.phases == 4 and plan.block == 32
    # a line spans 8 * 11 + 31 = 119 columns: 4 blocks of 32
    assert plan.blocks == 4
    stage_one, stage_two = plan.multiply_adds(31, 31, 9, 16)
    assert stage_one == 10 * 128 * 31 * 9
    assert stage_two == 10 * 4 * 4 * 31 * 9 * 16


@pytest.mark.parametrize("lattice", ["hexagonal", "square"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lattice_populations_take_the_line_path(lattice, dtype, monkeypatch):
    # a Gabor bank on a lattice at a whole number of pixels: sites on lines, where the
    # cost model takes the line path (the benchmark's bank on a quarter of its image:
    # measured 1.6-2x faster than the column groups); results equal to the FFT's (1e-10
    # relative in float64, 1e-5 in float32)
    field = cortex.VisualField(width=16.0, height=16.0, pixels_per_degree=32.0)
    mosaic = cortex.Mosaic.from_lattice(field, spacing=8 / 32, lattice=lattice)
    bank = [
        cortex.Gabor(2.8, orientation=22.5 * i, phase=p, sigma_x=0.2)
        for i in range(8)
        for p in (0.0, 90.0)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # coverage warnings
        population = cortex.Population(bank, mosaic, n_sigma=2.4)
    (group,) = population.groups
    assert line_plan(np.asarray(group.rows), np.asarray(group.cols), group.kernels[0].shape)
    calls = spy_lines(monkeypatch)  # the cost model prefers the lines here
    image = np.random.default_rng(3).standard_normal(field.shape)
    got = cortex.linear_responses(population, image.astype(dtype), method="separable")
    assert calls == [1]
    expected = cortex.linear_responses(population, image, method="fft")
    tol = 1e-10 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(got, expected, rtol=0, atol=tol * np.abs(expected).max())


def gabor_bank(n_px: int) -> np.ndarray:
    """16 Gabor kernels (8 orientations x 2 phases) of ``n_px`` px: rank 9 either way."""
    bank = [
        cortex.Gabor(2.8, orientation=22.5 * i, phase=p, sigma_x=0.2).kernel(32.0, n_sigma=2.4)
        for i in range(8)
        for p in (0.0, 90.0)
    ]
    assert bank[0].shape == (n_px, n_px)
    return np.stack(bank)[:, np.newaxis]


def test_auto_plans_the_lines_only_when_they_may_win(rng, monkeypatch):
    # planning costs passes over every site: a dense lattice, where the FFT is predicted
    # cheapest, is not planned (the DoG at 1 px of bench_responses.py once paid 20 ms for
    # it); a sparse one, where the lines are, is (and taken)
    planned, taken = [], []
    for name, box in (("line_plan", planned), ("correlate_lines", taken)):
        real = getattr(_lines, name)
        monkeypatch.setattr(_lines, name, lambda *a, r=real, b=box: b.append(1) or r(*a))
    x = rng.standard_normal((1, 1, 256, 256))
    dense_bank = rng.standard_normal((4, 1, 25, 25))  # full rank: 25 factors
    dense = [v.ravel() for v in np.meshgrid(np.arange(256), np.arange(256), indexing="ij")]
    costs = correlation._costs((280, 280), (25, 25), 4, 256 * 256, 1, 1, np.float64, 25, 256)
    assert min(costs, key=costs.__getitem__) == "fft"
    got = _correlate(x, dense_bank, *dense, (12, 12), "auto")
    assert planned == [] and taken == []
    subset = slice(0, None, 97)
    expected = naive(x, dense_bank, dense[0][subset], dense[1][subset], (12, 12))
    np.testing.assert_allclose(got[..., subset], expected, atol=1e-10 * np.abs(expected).max())
    bank = gabor_bank(33)
    sparse = [
        v.ravel() for v in np.meshgrid(np.arange(0, 256, 8), np.arange(4, 256, 8), indexing="ij")
    ]
    got = _correlate(x, bank, *sparse, (16, 16), "auto")
    assert planned == [1] and taken == [1]
    expected = naive(x, bank, *sparse, (16, 16))
    np.testing.assert_allclose(got, expected, atol=1e-10 * np.abs(expected).max())

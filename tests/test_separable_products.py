"""``"separable"`` reading its sites off products of columns and rows (``_row_bands``).

When the sites lie on few rows and columns (a lattice at any spacing, a grid of
cells), the column groups' filtered columns are filtered down at every distinct
row, one GEMM per band of rows, and the sites are read off the result instead of
each site's window being gathered.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import naive_sites

import cortex
from cortex import _groups, correlation
from cortex.correlation import CHUNK_BYTES, _correlate, choose_method


def spy_products(monkeypatch) -> list:
    """Record the calls of the product read-out."""
    calls = []
    real = _groups.filtered_products
    monkeypatch.setattr(_groups, "filtered_products", lambda *a: calls.append(1) or real(*a))
    return calls


def force_products(monkeypatch, on: bool) -> None:
    """Products whenever they are allowed (``on``), or never; column groups only."""
    monkeypatch.setattr(correlation, "_USE_LINES", False)
    monkeypatch.setattr(correlation, "_USE_PRODUCTS", on)
    if on:
        monkeypatch.setattr(correlation, "_PRODUCT_FILL", math.inf)
        for name in ("float64", "float32"):
            monkeypatch.setitem(correlation._NS_PRODUCTS, name, (0.0,) * 4)
        monkeypatch.setattr(correlation, "_PRODUCT_CACHE", 2**62)


@st.composite
def site_sets(draw):
    """A problem whose sites are a grid of rows and columns, or scattered; any order."""
    kh, kw = draw(st.sampled_from([1, 3, 5, 7])), draw(st.sampled_from([1, 3, 5, 9]))
    h, w = draw(st.integers(kh, 22)), draw(st.integers(kw, 22))
    padding = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    free_rows, free_cols = h + 2 * padding[0] - kh + 1, w + 2 * padding[1] - kw + 1
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if draw(st.booleans()):  # a grid: every row with every column, unevenly spaced
        grid_rows = rng.choice(free_rows, draw(st.integers(1, min(free_rows, 6))), replace=False)
        grid_cols = rng.choice(free_cols, draw(st.integers(1, min(free_cols, 6))), replace=False)
        rows, cols = (a.ravel() for a in np.meshgrid(grid_rows, grid_cols, indexing="ij"))
    else:  # scattered, duplicates possible
        n_sites = draw(st.integers(1, 25))
        rows, cols = rng.integers(0, free_rows, n_sites), rng.integers(0, free_cols, n_sites)
    order = rng.permutation(len(rows))
    rows, cols = rows[order], cols[order]
    n, c, o = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 4))
    x = rng.standard_normal((n, c, h, w))
    if draw(st.booleans()):  # a bank of rank 1 or 2 (Gaussians, DoGs), or full rank
        rank = draw(st.integers(1, 2))
        weight = np.einsum(
            "ocam,bm->ocab", rng.standard_normal((o, c, kh, rank)), rng.standard_normal((kw, rank))
        )
    else:
        weight = rng.standard_normal((o, c, kh, kw))
    return x, weight, rows, cols, padding


@settings(max_examples=120, deadline=None)
@given(
    problem=site_sets(),
    dtype=st.sampled_from([np.float64, np.float32]),
    one_image=st.booleans(),
)
def test_products_equal_a_naive_loop(problem, dtype, one_image):
    x, weight, rows, cols, padding = problem
    expected = naive_sites(x, weight, rows, cols, padding)
    with pytest.MonkeyPatch.context() as mp:
        force_products(mp, True)
        calls = spy_products(mp)
        if one_image:  # the images in chunks of one
            mp.setitem(CHUNK_BYTES, "separable", 1)
        got = _correlate(x.astype(dtype), weight.astype(dtype), rows, cols, padding, "separable")
    assert calls  # read off products, whatever the cost model says
    assert got.shape == expected.shape and got.dtype == dtype
    tol = 1e-12 if dtype == np.float64 else 1e-5
    scale = 1 + np.abs(expected).max(initial=0)
    np.testing.assert_allclose(got, expected, rtol=0, atol=tol * scale)


def movie_grid(rng, n_frames=40):
    """A grid of Gaussian cells (unevenly spaced: not on lines) over movie frames."""
    frames = rng.standard_normal((n_frames, 1, 60, 120))
    g = np.exp(-0.5 * (np.arange(-9, 10) / 2.0) ** 2)
    weight = np.outer(g, g)[np.newaxis, np.newaxis]
    grid_rows = np.linspace(9, 50, 8).round().astype(int)  # window corners, padding 9
    grid_cols = np.linspace(9, 110, 12).round().astype(int)
    rows, cols = (a.ravel() for a in np.meshgrid(grid_rows, grid_cols, indexing="ij"))
    return frames, weight, rows, cols


def test_a_grid_of_cells_over_many_frames_is_read_off_products(rng, monkeypatch):
    # the case of bench_movies.py: cells on a grid, a movie's frames; auto and an explicit
    # "separable" both read the sites off products, equal to the gathered windows
    frames, weight, rows, cols = movie_grid(rng)
    assert cortex._lines.line_plan(rows, cols, (19, 19)) is None  # not on evenly spaced lines
    calls = spy_products(monkeypatch)
    auto = _correlate(frames, weight, rows, cols, (9, 9), "auto")
    assert calls == [1]
    separable = _correlate(frames, weight, rows, cols, (9, 9), "separable")
    assert calls == [1, 1]
    monkeypatch.setattr(correlation, "_USE_PRODUCTS", False)  # switched off: gathered
    gathered = _correlate(frames, weight, rows, cols, (9, 9), "separable")
    assert calls == [1, 1]
    scale = np.abs(gathered).max()
    np.testing.assert_allclose(auto, gathered, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(separable, gathered, rtol=0, atol=1e-12 * scale)
    expected = naive_sites(frames[:3], weight, rows, cols, (9, 9))
    np.testing.assert_allclose(auto[:3], expected, rtol=0, atol=1e-12 * scale)


def test_scattered_sites_are_gathered(rng, monkeypatch):
    # sites on as many rows and columns as there are sites: products would hold up to
    # n_sites times the values; each site's window is gathered
    frames, weight, _, _ = movie_grid(rng)
    rows, cols = rng.permutation(42)[:40], rng.permutation(102)[:40]
    monkeypatch.setattr(correlation, "_USE_LINES", False)  # one site a row: "lines"
    calls = spy_products(monkeypatch)
    expected = naive_sites(frames[:2], weight, rows, cols, (9, 9))
    for method in ("separable", "auto"):
        got = _correlate(frames, weight, rows, cols, (9, 9), method)
        assert calls == []
        np.testing.assert_allclose(got[:2], expected, rtol=0, atol=1e-12 * np.abs(expected).max())


def test_rows_are_counted_only_when_products_may_win():
    # the fewest rows the sites allow (sites / columns) prices the products first
    name = "float64"
    assert correlation._may_read_products(400, 20, 120, 19, 1, 1, 256, name)  # a grid of cells
    # four sites of one image: a GEMM call costs more than gathering them, even on one row
    assert not correlation._may_read_products(4, 4, 120, 19, 1, 1, 1, name)
    rows = np.repeat(np.arange(0, 100, 5), 20)
    assert correlation._product_rows(rows, 20, 120, 19, 1, 1, 256, name) == 20
    assert correlation._product_rows(rows[:4], 4, 120, 19, 1, 1, 1, name) is None


def test_the_product_rule_follows_the_cost_of_each_read(monkeypatch):
    # the same grid: products when their GEMMs are cheap, gathered when they are dear;
    # more than _PRODUCT_FILL times the sites' values never
    urows = np.arange(0, 80, 5)  # 16 rows, 20 columns: 320 sites, a full grid
    args = (20, 320, 19, 1, 1, 64, np.float64)
    assert correlation._row_bands(urows, *args)  # the movie grid: cheaper read off products
    monkeypatch.setitem(correlation._NS_PRODUCTS, "float64", (0.0, 1e3, 0.0, 0.0))
    assert correlation._row_bands(urows, *args) == []  # a multiply-add dearer than a site
    monkeypatch.setitem(correlation._NS_PRODUCTS, "float64", (0.0,) * 4)
    assert correlation._row_bands(urows, *args)
    sparse = (20, 320 // 5, 19, 1, 1, 64, np.float64)  # 64 sites on 16 x 20: fill 5 > 4
    assert correlation._row_bands(urows, *sparse) == []
    # bands span at most _groups.SPAN kernel heights and hold every row once
    bands = correlation._row_bands(urows, *args)
    assert [b[0] for b in bands] == sorted(b[0] for b in bands) and bands[-1][1] == len(urows)
    for k0, k1, first, span, offsets in bands:
        assert first == urows[k0] and np.array_equal(offsets, urows[k0:k1] - first)
        assert span == offsets[-1] + 19 <= _groups.SPAN * 19


def test_choose_method_weighs_products_with_n_rows():
    # 400 Gaussian cells on a 20 x 20 grid of a 120 x 240 px movie, 256 frames: given
    # its rows, separable reads them off products, predicted cheaper than gathering
    problem = ((138, 258), (19, 19), 1, 400, 256)
    without = correlation._costs(*problem, 1, np.float64, 1, 20)
    with_rows = correlation._costs(*problem, 1, np.float64, 1, 20, n_rows=20)
    assert with_rows["separable"] < without["separable"]
    assert {k: v for k, v in with_rows.items() if k != "separable"} == {
        k: v for k, v in without.items() if k != "separable"
    }
    assert choose_method(*problem, rank=1, n_columns=20, n_rows=20) == "separable"
    # scattered sites (a row and a column each): no products, the same cost as without
    scattered = correlation._costs(*problem, 1, np.float64, 1, 400, n_rows=400)
    assert (
        scattered["separable"] == correlation._costs(*problem, 1, np.float64, 1, 400)["separable"]
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_population_on_a_grid_of_cells_reads_products(dtype, monkeypatch):
    # through the public API: a population of Gaussian cells on an uneven grid, a stack of
    # frames; equal to the FFT (1e-10 relative in float64, 1e-5 in float32)
    field = cortex.VisualField(width=12.0, height=6.0, pixels_per_degree=10.0)
    ys, xs = np.meshgrid(np.linspace(-2.3, 2.2, 7), np.linspace(-5.1, 5.3, 13), indexing="ij")
    mosaic = cortex.Mosaic(field, np.c_[xs.ravel(), ys.ravel()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # coverage is not the point here
        population = cortex.Population(cortex.Gaussian(0.3), mosaic)
    frames = np.random.default_rng(3).standard_normal((48, *field.shape)).astype(dtype)
    calls = spy_products(monkeypatch)
    got = cortex.linear_responses(population, frames, method="separable")
    assert calls  # products (they are cheaper here)
    expected = cortex.linear_responses(population, frames.astype(np.float64), method="fft")
    tol = 1e-10 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(got, expected, rtol=0, atol=tol * np.abs(expected).max())


def test_products_are_chunked_to_fit_the_cache(rng, monkeypatch):
    # the products of a chunk of images fit in _PRODUCT_CACHE bytes: one GEMM per band per
    # chunk; one image's beyond it: gathered (a dense lattice on a large image)
    call, mac, site, value = correlation._NS_PRODUCTS["float64"]
    args = (400, 20, 20, (3, 500), 19, 1, 4, 64, "float64")  # 20 x 20 x 4 x 8 B an image
    per_image = 20 * 20 * 4 * 8
    monkeypatch.setattr(correlation, "_PRODUCT_CACHE", 16 * per_image)  # 16 images a chunk
    _, products = correlation._site_costs(*args)
    assert products == pytest.approx(
        3 * call * 4 + 64 * (20 * 4 * 500 * mac + 400 * (site + 4 * value))
    )
    monkeypatch.setattr(correlation, "_PRODUCT_CACHE", per_image - 1)
    assert correlation._site_costs(*args)[1] == math.inf
    # and the computation follows: 3 images a chunk, equal to the gathered windows
    frames, weight, rows, cols = movie_grid(rng, n_frames=10)
    monkeypatch.setattr(correlation, "_USE_LINES", False)
    gathered = _correlate(frames, weight, rows, cols, (9, 9), "separable")
    calls = spy_products(monkeypatch)
    monkeypatch.setitem(correlation._NS_PRODUCTS, "float64", (0.0,) * 4)  # products, always
    monkeypatch.setattr(correlation, "_PRODUCT_CACHE", 3 * 12 * 8 * 8)  # 12 columns x 8 rows
    chunked = _correlate(frames, weight, rows, cols, (9, 9), "separable")
    assert len(calls) == 4  # ceil(10 / 3) chunks
    np.testing.assert_allclose(chunked, gathered, rtol=0, atol=1e-12 * np.abs(gathered).max())

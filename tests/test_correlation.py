"""The correlation module: every method against naive loops, the gatherer, the gradients."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cortex.correlation as correlation
from cortex import _groups
from cortex.correlation import (
    CHUNK_BYTES,
    METHODS,
    correlate,
    correlate_backward,
    correlate_sampled,
    gather_patches,
    im2col,
    separable_factors,
)


def naive_grid(x, w, stride, padding):
    """out[n, o, i, j] = sum_{c, a, b} w[o, c, a, b] xp[n, c, i s + a, j s + b], by loops."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho = (h + 2 * padding - kh) // stride + 1
    wo = (wd + 2 * padding - kw) // stride + 1
    out = np.zeros((n, o, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[:, :, i, j] = np.einsum("ncab,ocab->no", patch, w)
    return out


@st.composite
def grid_problems(draw):
    n, c, o = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    kh, kw = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    stride = draw(st.integers(1, 3))
    padding = draw(st.integers(0, 7))  # larger than kernel - 1 too: windows of pure padding
    h = draw(st.integers(max(1, kh - 2 * padding), 12))
    w = draw(st.integers(max(1, kw - 2 * padding), 12))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, c, h, w)), rng.standard_normal((o, c, kh, kw)), stride, padding


@settings(deadline=None, max_examples=60)
@given(problem=grid_problems(), dtype=st.sampled_from([np.float64, np.float32]))
def test_every_method_equals_a_naive_loop_on_grids(problem, dtype):
    x, w, stride, padding = problem
    expected = naive_grid(x, w, stride, padding)
    tol = 1e-10 if dtype == np.float64 else 1e-4
    for method in METHODS:
        got = correlate(x.astype(dtype), w, stride=stride, padding=padding, method=method)
        assert got.shape == expected.shape and got.dtype == dtype
        np.testing.assert_allclose(
        got, expected, rtol=0, atol=tol * (1 + np.abs(expected).max(initial=0))
    )


@settings(deadline=None, max_examples=40)
@given(problem=grid_problems())
def test_gradients_equal_the_adjoint_loops(problem):
    x, w, stride, padding = problem
    out = naive_grid(x, w, stride, padding)
    g = np.random.default_rng(1).standard_normal(out.shape)
    dx, dw = correlate_backward(x, w, g, stride=stride, padding=padding)
    # oracle: the adjoint by loops over output units (each scatters its patch back)
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    dxp = np.zeros((n, c, h + 2 * padding, wd + 2 * padding))
    dw_ref = np.zeros_like(w)
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            rs, cs = slice(i * stride, i * stride + kh), slice(j * stride, j * stride + kw)
            dxp[:, :, rs, cs] += np.einsum("no,ocab->ncab", g[:, :, i, j], w)
            dw_ref += np.einsum("no,ncab->ocab", g[:, :, i, j], xp[:, :, rs, cs])
    dx_ref = dxp[:, :, padding : padding + h, padding : padding + wd]
    np.testing.assert_allclose(dx, dx_ref, rtol=0, atol=1e-10 * (1 + np.abs(dx_ref).max()))
    np.testing.assert_allclose(dw, dw_ref, rtol=0, atol=1e-10 * (1 + np.abs(dw_ref).max()))
    only_w = correlate_backward(x, w, g, stride=stride, padding=padding, input_grad=False)
    assert only_w[0] is None
    np.testing.assert_allclose(only_w[1], dw)
    only_x = correlate_backward(x, w, g, stride=stride, padding=padding, weight_grad=False)
    assert only_x[1] is None
    np.testing.assert_allclose(only_x[0], dx)


def test_gradients_from_kept_patches_equal_rebuilt_ones(rng, monkeypatch):
    x = rng.standard_normal((4, 2, 7, 6))
    w = rng.standard_normal((3, 2, 3, 2))
    g = rng.standard_normal((4, 3, 4, 4))
    patches, _, _ = im2col(x, 3, 2, 2, 1)
    kept = correlate_backward(x, w, g, stride=2, padding=1, patches=patches)
    monkeypatch.setitem(CHUNK_BYTES, "grid", 1)  # one sample per chunk
    rebuilt = correlate_backward(x, w, g, stride=2, padding=1)
    for a, b in zip(kept, rebuilt, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@settings(deadline=None, max_examples=40)
@given(
    n=st.integers(1, 3),
    c=st.integers(1, 3),
    kh=st.integers(1, 5),
    kw=st.integers(1, 5),
    pad=st.integers(0, 3),
    n_sites=st.integers(0, 12),
    seed=st.integers(0, 2**16),
)
def test_gather_patches_at_sites_and_on_grids_equals_slicing(n, c, kh, kw, pad, n_sites, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, 8, 9))
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=-7.0)
    rows = rng.integers(0, xp.shape[2] - kh + 1, n_sites)
    cols = rng.integers(0, xp.shape[3] - kw + 1, n_sites)
    got = gather_patches(x, (kh, kw), rows, cols, (pad, pad), pad_value=-7.0)
    assert got.shape == (c * kh * kw, n_sites * n)
    for s in range(n_sites):
        for i in range(n):
            patch = xp[i, :, rows[s] : rows[s] + kh, cols[s] : cols[s] + kw]
            np.testing.assert_array_equal(got[:, s * n + i], patch.ravel())
    # a grid is the outer product of its row and column corners, in raster order
    r, q = range(0, xp.shape[2] - kh + 1, 2), range(1, xp.shape[3] - kw + 1, 3)
    grid = gather_patches(x, (kh, kw), r, q, (pad, pad), pad_value=-7.0)
    rr, qq = (a.ravel() for a in np.meshgrid(np.array(r), np.array(q), indexing="ij"))
    sites = gather_patches(x, (kh, kw), rr, qq, (pad, pad), pad_value=-7.0)
    np.testing.assert_array_equal(grid, sites)


@pytest.mark.parametrize("n", [5, 40])
def test_sampled_centers_one_image_at_a_time_or_in_chunks_equal_a_naive_loop(rng, n):
    # fewer than _SITE_SINGLE images are gathered one at a time, more in chunks
    assert (n < correlation._SITE_SINGLE) == (n == 5)
    images = rng.standard_normal((n, 16, 13))
    kernels = rng.standard_normal((3, 5, 7))
    rows, cols = rng.integers(0, 16, 30), rng.integers(0, 13, 30)
    got = correlate_sampled(images, kernels, rows, cols, method="centers")
    expected = naive_sampled(images, kernels, rows, cols)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * np.abs(expected).max())


def test_sampled_centers_in_small_chunks_equal_one_chunk(rng, monkeypatch):
    images = rng.standard_normal((3, 20, 17))
    kernels = rng.standard_normal((4, 5, 3))
    rows, cols = rng.integers(0, 20, 50), rng.integers(0, 17, 50)
    whole = correlate_sampled(images, kernels, rows, cols, method="centers")
    monkeypatch.setitem(CHUNK_BYTES, "sites", 1)  # one site per chunk
    chunked = correlate_sampled(images, kernels, rows, cols, method="centers")
    np.testing.assert_allclose(chunked, whole, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        correlate_sampled(images, kernels, rows, cols, method="fft"), whole, atol=1e-12
    )


def naive_sampled(images, kernels, rows, cols):
    """out[n, k, s] = sum_{a, b} kernels[k, a, b] * image_n[rows_s + a - kh//2, cols_s + b - kw//2]."""
    n = images.shape[0]
    k, kh, kw = kernels.shape
    padded = np.pad(images, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2)))
    out = np.zeros((n, k, len(rows)))
    for s, (r, c) in enumerate(zip(rows, cols, strict=True)):
        patch = padded[:, r : r + kh, c : c + kw]
        out[:, :, s] = np.einsum("nab,kab->nk", patch, kernels)
    return out


@pytest.mark.parametrize("n_images", [1, 31, 129, 300])
def test_sampled_centers_over_chunks_of_images_equal_a_naive_loop(rng, n_images):
    # more images than one chunk (at most 128): chunks of images, the last one partial
    images = rng.standard_normal((n_images, 14, 11))
    kernels = rng.standard_normal((3, 5, 3))
    rows, cols = rng.integers(0, 14, 40), rng.integers(0, 11, 40)
    result = correlate_sampled(images, kernels, rows, cols, method="centers")
    np.testing.assert_allclose(
        result, naive_sampled(images, kernels, rows, cols), rtol=1e-12, atol=1e-12
    )


def test_fft_chunks_over_kernels_and_images_agree(rng, monkeypatch):
    x = rng.standard_normal((5, 2, 12, 10))
    w = rng.standard_normal((6, 2, 3, 4))
    whole = correlate(x, w, padding=2, method="fft")
    monkeypatch.setitem(CHUNK_BYTES, "fft", 1)  # one (image, kernel) pair at a time
    np.testing.assert_allclose(correlate(x, w, padding=2, method="fft"), whole, atol=1e-12)
    np.testing.assert_allclose(whole, naive_grid(x, w, 1, 2), atol=1e-10)


def test_backward_rejects_a_gradient_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"`grad` must have the output's shape \(1, 3, 2, 2\)"):
        correlate_backward(np.zeros((1, 2, 4, 4)), np.zeros((3, 2, 3, 3)), np.zeros((1, 3, 3, 3)))


def test_one_tuple_of_methods():
    assert correlation.METHODS == ("auto", "fft", "direct", "centers", "separable")
    assert correlation.GRID_METHODS is correlation.METHODS  # the former name still works


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "gpu"}, ValueError, r"`method` must be one of \('auto'"),
        ({"stride": 0}, ValueError, "`stride` must be >= 1"),
        ({"padding": -1}, ValueError, "`padding` must be >= 0"),
        ({"stride": 1.5}, TypeError, "`stride` must be an integer"),
        ({"chunk_bytes": 0}, ValueError, "`chunk_bytes` must be >= 1"),
    ],
)
def test_correlate_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        correlate(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3)), **kwargs)


def test_correlate_rejects_bad_arrays():
    x, w = np.zeros((1, 2, 4, 4)), np.zeros((3, 2, 3, 3))
    with pytest.raises(ValueError, match="`x` has 2 channels but `weight` expects 1"):
        correlate(x, np.zeros((3, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"kernel \(5x5\) is larger than the padded input \(4x4\)"):
        correlate(x, np.zeros((3, 2, 5, 5)))
    with pytest.raises(ValueError, match="`x` must be 4-D"):
        correlate(x[0], w)
    with pytest.raises(ValueError, match="`x`"):
        correlate(x * np.nan, w)
    with pytest.raises(TypeError, match="`weight`"):
        correlate(x, w.astype(complex))


# -- the separable method and its factors -----------------------------------------------------
@settings(deadline=None, max_examples=50)
@given(
    n=st.integers(1, 3),
    k=st.integers(1, 4),
    half=st.tuples(st.integers(0, 4), st.integers(0, 4)),
    shape=st.tuples(st.integers(1, 14), st.integers(1, 14)),
    n_sites=st.integers(0, 30),
    dtype=st.sampled_from([np.float64, np.float32]),
    seed=st.integers(0, 2**16),
)
def test_separable_at_sites_equals_a_naive_loop(n, k, half, shape, n_sites, dtype, seed):
    # random kernels are full rank: every factor is kept; sites anywhere, borders included
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((n, *shape))
    kernels = rng.standard_normal((k, 2 * half[0] + 1, 2 * half[1] + 1))
    rows, cols = rng.integers(0, shape[0], n_sites), rng.integers(0, shape[1], n_sites)
    got = correlate_sampled(images.astype(dtype), kernels, rows, cols, method="separable")
    expected = naive_sampled(images, kernels, rows, cols)
    assert got.shape == expected.shape and got.dtype == dtype
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(
        got, expected, rtol=0, atol=tol * (1 + np.abs(expected).max(initial=0))
    )


@pytest.mark.parametrize("whole_rank", [0, 64])
def test_separable_stores_filtered_rows_either_way(rng, monkeypatch, whole_rank):
    # up to _groups.WHOLE_RANK factors the filtered rows are stored column by column,
    # beyond it row by row: both layouts give the naive result (borders included)
    monkeypatch.setattr(_groups, "WHOLE_RANK", whole_rank)
    images = rng.standard_normal((3, 20, 30))
    kernels = rng.standard_normal((4, 7, 9))  # full rank: 9 factors
    rows, cols = rng.integers(0, 20, 40), rng.integers(0, 30, 40)
    got = correlate_sampled(images, kernels, rows, cols, method="separable")
    expected = naive_sampled(images, kernels, rows, cols)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * np.abs(expected).max())


def _rf_kernels(ppd=10.0):
    import cortex

    gabor = cortex.Gabor(1.5, orientation=30.0, phase=45.0, sigma_x=0.3)
    return {
        "gaussian": (cortex.Gaussian(0.3).kernel(ppd), 1),
        "dog": (cortex.DifferenceOfGaussians(0.15, 0.45).kernel(ppd), 2),
        "gabor (round envelope)": (gabor.kernel(ppd), 2),
    }


@pytest.mark.parametrize("name", ["gaussian", "dog", "gabor (round envelope)"])
def test_rf_kernels_have_their_analytic_rank(name):
    kernel, rank = _rf_kernels()[name]
    vertical, horizontal = separable_factors(kernel[np.newaxis])
    assert horizontal.shape == (kernel.shape[1], rank)
    np.testing.assert_allclose(horizontal.T @ horizontal, np.eye(rank), atol=1e-12)
    rebuilt = vertical[0] @ horizontal.T
    assert np.linalg.norm(rebuilt - kernel) <= 1e-13 * np.linalg.norm(kernel) + 1e-15


def test_a_gabor_bank_shares_its_horizontal_factors():
    import cortex

    # 8 orientations x 2 phases: cos and sin of 5 distinct horizontal frequencies (|cos theta|),
    # minus sin(0): 9 horizontal factors for 16 kernels
    bank = np.stack(
        [
            cortex.Gabor(1.5, orientation=22.5 * i, phase=p, sigma_x=0.3).kernel(10.0, n_sigma=3)
            for i in range(8)
            for p in (0.0, 90.0)
        ]
    )
    vertical, horizontal = separable_factors(bank)
    assert horizontal.shape[1] == 9
    assert np.abs(np.einsum("kam,bm->kab", vertical, horizontal) - bank).max() < 1e-13


def test_truncation_is_bounded_by_tol(rng):
    kernels = rng.standard_normal((3, 7, 9))
    _, full = separable_factors(kernels)
    assert full.shape == (9, 9)  # random kernels stacked (21 x 9): full rank
    ranks = []
    for tol in (0.1, 0.5, 0.9):
        vertical, horizontal = separable_factors(kernels, tol=tol)
        error = np.linalg.norm(np.einsum("kam,bm->kab", vertical, horizontal) - kernels)
        assert error <= tol * np.linalg.norm(kernels) + 1e-12
        ranks.append(horizontal.shape[1])
    assert ranks == sorted(ranks, reverse=True) and ranks[-1] < 9


def test_float32_separable_rf_responses_match_float64_direct(rng):
    images = rng.standard_normal((2, 60, 50))
    rows, cols = rng.integers(0, 60, 80), rng.integers(0, 50, 80)
    for kernel, _ in _rf_kernels().values():
        expected = correlate_sampled(images, kernel[np.newaxis], rows, cols, method="direct")
        got = correlate_sampled(
            images.astype(np.float32), kernel[np.newaxis], rows, cols, method="separable"
        )
        assert got.dtype == np.float32
        assert np.abs(got - expected).max() <= 1e-5 * np.abs(expected).max()
        exact = correlate_sampled(images, kernel[np.newaxis], rows, cols, method="separable")
        assert np.abs(exact - expected).max() <= 1e-10 * np.abs(expected).max()


def test_separable_in_chunks_of_sites_and_images(rng, monkeypatch):
    images = rng.standard_normal((5, 20, 17))
    kernels = rng.standard_normal((3, 5, 3))
    rows, cols = rng.integers(0, 20, 40), rng.integers(0, 17, 40)
    whole = correlate_sampled(images, kernels, rows, cols, method="separable")
    monkeypatch.setitem(CHUNK_BYTES, "sites", 1)  # one site at a time
    monkeypatch.setitem(CHUNK_BYTES, "separable", 1)  # one image at a time
    chunked = correlate_sampled(images, kernels, rows, cols, method="separable")
    np.testing.assert_allclose(chunked, whole, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(whole, naive_sampled(images, kernels, rows, cols), atol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"tol": 1.0}, ValueError, r"`tol` must be in \[0, 1\)"),
        ({"tol": -0.1}, ValueError, r"`tol` must be in \[0, 1\)"),
        ({"tol": float("nan")}, ValueError, "`tol`"),
        ({"tol": "small"}, TypeError, "`tol`"),
    ],
)
def test_separable_factors_rejects_bad_tol(kwargs, error, match):
    with pytest.raises(error, match=match):
        separable_factors(np.ones((1, 3, 3)), **kwargs)


def test_separable_factors_rejects_bad_kernels():
    with pytest.raises(ValueError, match="`kernels` must be 3-D or 4-D"):
        separable_factors(np.ones((3, 3)))
    with pytest.raises(ValueError, match="`kernels`"):
        separable_factors(np.full((1, 3, 3), np.inf))
    with pytest.raises(TypeError, match="`kernels`"):
        separable_factors(np.ones((1, 3, 3), dtype=complex))


# -- the cost model -------------------------------------------------------------------------
def test_choose_method_weighs_separable_only_with_a_rank():
    from cortex import choose_method

    # a DoG (rank 2) on a sparse mosaic: centers without the rank, separable with it
    assert choose_method((1024, 1024), (37, 37), 1, n_sites=16_000) == "centers"
    assert choose_method((1024, 1024), (37, 37), 1, n_sites=16_000, rank=2) == "separable"
    # a dense map of one big kernel: the FFT, whatever the rank
    assert choose_method((1024, 1024), (37, 37), 1, n_sites=1024**2, rank=2) == "fft"
    # float32 makes the FFT cheaper relative to the patch GEMM (measured constants)
    costs64 = correlation._costs((256, 256), (9, 9), 1, 4096, 1, 1, np.float64, None, None)
    costs32 = correlation._costs((256, 256), (9, 9), 1, 4096, 1, 1, np.float32, None, None)
    assert costs32["fft"] / costs32["centers"] < costs64["fft"] / costs64["centers"]


def test_choose_method_measures_once_per_problem(monkeypatch):
    calls = []
    real = correlation._measure

    def spy(key, candidates):
        calls.append((key, tuple(candidates)))
        return real(key, candidates)

    monkeypatch.setattr(correlation, "_measure", spy)
    monkeypatch.setattr(correlation, "_MEASURED", {})
    problem = ((48, 40), (7, 7), 2, 60)
    first = correlation.choose_method(*problem, rank=2, measure=True)
    again = correlation.choose_method(*problem, rank=2, measure=True)
    assert first == again and first in correlation.METHODS[1:]
    assert len(calls) == 1  # cached
    key, candidates = calls[0]
    # a candidate predicted 10x slower than the best is not run
    costs = correlation._costs(*problem, 1, 1, np.float64, 2, None)
    assert set(candidates) == {m for m, c in costs.items() if c <= 10 * min(costs.values())}


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"dtype": np.int32}, TypeError, "`dtype` must be float32 or float64"),
        ({"dtype": "complex"}, TypeError, "`dtype`"),
        ({"rank": 0}, ValueError, "`rank` must be >= 1"),
        ({"rank": 8}, ValueError, "`rank` must be at most kw = 7"),
        ({"rank": 2, "n_columns": -1}, ValueError, "`n_columns` must be >= 0"),
        ({"measure": "yes"}, TypeError, "`measure`"),
        ({"n_images": 0}, ValueError, "`n_images` must be >= 1"),
        ({"lines": (4, 2)}, ValueError, "`lines` needs `rank`"),
        ({"rank": 2, "lines": 4}, ValueError, r"`lines` must be \(n_lines, line_rank\)"),
        ({"rank": 2, "lines": (0, 2)}, ValueError, "`lines` must be >= 1"),
        ({"rank": 2, "lines": (4, 8)}, ValueError, "`lines`' rank must be at most kh = 7"),
        ({"rank": 2, "lines": (4, 2.5)}, TypeError, "`lines`"),
    ],
)
def test_choose_method_rejects_bad_arguments(kwargs, error, match):
    from cortex import choose_method

    with pytest.raises(error, match=match):
        choose_method((48, 40), (7, 7), 2, 60, **kwargs)


def test_choose_method_rejects_bad_shapes():
    from cortex import choose_method

    with pytest.raises(ValueError, match="`image_shape` must be"):
        choose_method((48,), (7, 7), 2, 60)
    with pytest.raises(ValueError, match="`kernel_shape` must be"):
        choose_method((48, 40), 7, 2, 60)
    with pytest.raises(ValueError, match="`image_shape` must be >= 1"):
        choose_method((0, 40), (7, 7), 2, 60)


def test_auto_picks_separable_for_sparse_low_rank_populations(rng, monkeypatch):
    picked = []
    real = correlation._separable

    def spy(*args, **kwargs):
        picked.append("separable")
        return real(*args, **kwargs)

    monkeypatch.setattr(correlation, "_separable", spy)
    g = np.exp(-np.linspace(-3, 3, 31) ** 2)
    kernels = np.stack([np.outer(g, g), np.outer(g, g[::-1] * 0.5)])
    images = rng.standard_normal((1, 512, 512))
    rows, cols = (a.ravel() for a in np.meshgrid(np.arange(0, 512, 16), np.arange(0, 512, 16)))
    auto = correlate_sampled(images, kernels, rows, cols)
    assert picked == ["separable"]
    np.testing.assert_allclose(
        auto, correlate_sampled(images, kernels, rows, cols, method="fft"), atol=1e-10
    )


def test_measuring_a_problem_beyond_the_budget_is_refused(small_budget):
    import cortex

    with pytest.raises(cortex.MemoryBudgetError, match="n_sites=1000000000"):
        correlation.choose_method((512, 512), (5, 5), 1, 10**9, measure=True)


def test_choose_method_weighs_the_line_path():
    from cortex import choose_method

    # the benchmark's 16 Gabors (rank 9 both ways) on a hexagonal lattice 4 px apart on
    # 1024 x 1024 px: 296 lines; the line path is predicted cheaper than the column
    # groups (measured 2.3x faster), so "separable" only wins with it
    problem = ((1054, 1054), (31, 31), 16, 75_000)
    groups = correlation._costs(*problem, 1, 1, np.float64, 9, 511)
    work = correlation._estimated_lines((296, 9), *problem, 1, 1, np.float64)
    assert correlation._line_cost(work, "float64") < groups["separable"]
    with_lines = correlation._costs(*problem, 1, 1, np.float64, 9, 511, False, work)
    assert with_lines["separable"] == correlation._line_cost(work, "float64")
    assert choose_method(*problem, rank=9, n_columns=511, lines=(296, 9)) == "separable"
    # the estimate from counts: 254 sites a line, 4 px apart: 8 phases, blocks of 32
    # columns, 33 of them (4 x 253 + 31 = 1043 columns)
    assert work.phases == 8 and work.line_reads == 296 * (33 * 32) * 31
    # a higher rank across the lines makes them dearer
    high = correlation._estimated_lines((296, 31), *problem, 1, 1, np.float64)
    assert correlation._line_cost(high, "float64") > correlation._line_cost(work, "float64")
    assert high.site_macs == work.site_macs * 31 // 9


def test_auto_follows_the_cost_of_the_line_path(rng, monkeypatch):
    # sites on lines: auto weighs the line path, and separable takes it only if cheaper
    x = rng.standard_normal((1, 1, 64, 64))
    weight = np.einsum("a,ob->oab", rng.standard_normal(9), rng.standard_normal((2, 9)))[:, None]
    rows, cols = np.repeat(np.arange(0, 60, 6), 10), np.tile(np.arange(2, 62, 6), 10)
    taken = []
    real = _lines_module().correlate_lines
    monkeypatch.setattr(_lines_module(), "correlate_lines", lambda *a: taken.append(1) or real(*a))
    for cost, expected in ((-1.0, [1]), (np.inf, [])):
        taken.clear()
        monkeypatch.setattr(correlation, "_line_cost", lambda *args, c=cost: c)
        got = correlation._correlate(x, weight, rows, cols, (4, 4), "auto")
        assert taken == expected
        np.testing.assert_allclose(
            got, naive_sampled(x[:, 0], weight[:, 0], rows, cols), rtol=0, atol=1e-12
        )


def _lines_module():
    from cortex import _lines

    return _lines


@pytest.mark.parametrize("method", ["fft", "direct", "centers", "separable"])
def test_sampled_correlation_written_into_a_given_array(rng, method):
    # `out` receives the result (in place for separable) and is returned; garbage in it
    # beforehand does not leak (the column groups add to a zeroed array)
    x = rng.standard_normal((2, 1, 30, 40))
    weight = rng.standard_normal((3, 1, 7, 5))
    rows, cols = rng.integers(0, 30, 25), rng.integers(0, 40, 25)  # not on lines
    lattice = np.repeat(np.arange(0, 30, 4), 6), np.tile(np.arange(1, 37, 6), 8)
    for r, c in ((rows, cols), lattice):
        # the naive loop centres the kernels: corners (r, c) with padding (3, 2)
        expected = naive_sampled(x[:, 0], weight[:, 0], r, c)
        out = np.full((2, 3, len(r)), np.nan)
        got = correlation._correlate(x, weight, r, c, (3, 2), method, out=out)
        assert got is out
        np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)

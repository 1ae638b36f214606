"""Tests of cortex.analysis.mapping: reverse correlation converges to the true RFs."""

import warnings

import numpy as np
import pytest

from cortex import (
    DifferenceOfGaussians,
    Gabor,
    Mosaic,
    VisualField,
)
from cortex import analysis as A
from cortex.nn import Conv2D, Flatten, MaxPool2D, ReLU, Sequential

# an odd number of pixels: (0, 0) deg is a pixel centre, so the RF sits exactly there
FIELD = VisualField(2.05, 2.05, pixels_per_degree=20)  # 41 x 41 px
SMALL = VisualField(1.2, 1.2, pixels_per_degree=20)  # 24 x 24 px = 576 pixels


def one_neuron(rf, field=FIELD):
    return (rf, Mosaic(field, [[0.0, 0.0]]))


def gabor_convnet(rfs, ppd=20):
    conv = Conv2D.from_receptive_fields(
        rfs, pixels_per_degree=ppd, dtype="float64", normalize=False
    )
    return Sequential([conv, ReLU(), MaxPool2D(2), Flatten()])


def test_sta_of_a_linear_neuron_converges_to_its_kernel_and_a_rectified_one_to_half():
    target = one_neuron(Gabor(3.5, orientation=45.0), SMALL)
    ref = A.linear_receptive_field(target)[0]
    linear = A.spike_triggered_average(target, 20000, nonlinearity=None, seed=1).maps[0]
    rectified = A.spike_triggered_average(target, 20000, seed=1).maps[0]
    # least-squares scale of the estimate onto the true kernel
    assert np.sum(linear * ref) / np.sum(ref * ref) == pytest.approx(1.0, abs=0.03)
    assert np.sum(rectified * ref) / np.sum(ref * ref) == pytest.approx(0.5, abs=0.02)  # Bussgang


def test_sta_correlation_reaches_0_9_at_6000_stimuli_on_576_pixels():
    target = one_neuron(Gabor(3.5, orientation=45.0), SMALL)
    counts, corr, est = A.rf_mapping_convergence(target, [250, 1000, 6000], seed=0)
    assert corr.shape == (3, 1)
    assert corr[-1, 0] >= 0.9
    assert corr[0, 0] < corr[1, 0] < corr[2, 0]
    assert est.n_stimuli == 6000 and est.maps.shape == (1, *SMALL.shape)


def test_convergence_estimates_equal_separate_runs_and_do_not_depend_on_batch_size():
    target = one_neuron(DifferenceOfGaussians(0.08, 0.18), SMALL)
    _, _, est = A.rf_mapping_convergence(target, [100, 700], seed=3, batch_size=64)
    alone = A.spike_triggered_average(target, 700, seed=3, batch_size=500)
    np.testing.assert_allclose(est.maps, alone.maps, rtol=1e-9, atol=1e-12)
    again = A.spike_triggered_average(target, 700, seed=3, batch_size=500)
    np.testing.assert_array_equal(alone.maps, again.maps)


def test_whitening_undoes_pink_noise_correlations():
    # a linear neuron: the STA converges to C k (k blurred by the stimulus correlations C),
    # the whitened estimate to k itself
    target = one_neuron(Gabor(3.5, orientation=0.0), SMALL)
    ref = A.linear_receptive_field(target)
    kw = dict(noise="pink", nonlinearity=None, seed=0)
    sta = A.spike_triggered_average(target, 3000, **kw)
    white = A.spike_triggered_average(target, 3000, method="whitened", **kw)
    assert A.map_correlation(sta.maps, ref)[0] < 0.95
    assert A.map_correlation(white.maps, ref)[0] > 0.999
    ridge = A.spike_triggered_average(target, 3000, method="whitened", alpha=0.1, **kw)
    assert 0.95 < A.map_correlation(ridge.maps, ref)[0] < 0.9999  # shrunk, still close


def test_sta_of_a_convnet_unit_recovers_its_filter():
    model = gabor_convnet([Gabor(3.0, orientation=60.0)])
    field = VisualField(1.6, 1.6, pixels_per_degree=20)
    reference = A.linear_receptive_field((model, 0, 0), field=field)  # the filter in place
    counts, corr, _ = A.rf_mapping_convergence(
        (model, 1, 0), [8000], field=field, seed=0, reference=reference
    )
    assert corr[0, 0] > 0.9


def test_silent_neuron_gives_a_nan_map_with_a_warning():
    def silence(r):
        return np.zeros_like(r)

    with pytest.warns(RuntimeWarning, match="never responded"):
        est = A.spike_triggered_average(one_neuron(Gabor(2.0)), 50, nonlinearity=silence, seed=0)
    assert np.isnan(est.maps).all()


def test_bad_mapping_arguments_get_clear_errors():
    target = one_neuron(Gabor(2.0))
    with pytest.raises(ValueError, match="`n_stimuli` must be >= 2"):
        A.spike_triggered_average(target, 0)
    with pytest.raises(ValueError, match="`method` must be one of"):
        A.spike_triggered_average(target, 10, method="glm")
    with pytest.raises(ValueError, match="`noise` must be one of"):
        A.spike_triggered_average(target, 10, noise="brown")
    with pytest.raises(ValueError, match="4096"):
        big = VisualField(4.0, 4.0, pixels_per_degree=20)
        A.spike_triggered_average(one_neuron(Gabor(2.0), big), 10, method="whitened")
    with pytest.raises(ValueError, match="increasing"):
        A.rf_mapping_convergence(target, [100, 50])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        A.map_correlation(np.ones((3, 3)), np.ones((3, 3)))  # constant maps: NaN, silently


# -- numeric honesty ------------------------------------------------------------------------------
def test_one_stimulus_is_refused_as_too_few_not_blamed_on_the_unit():
    target = one_neuron(Gabor(3.5), SMALL)
    with pytest.raises(ValueError, match=r"`n_stimuli` must be >= 2 \(.*covariance.*\), got 1"):
        A.spike_triggered_average(target, 1)
    with pytest.raises(ValueError, match="`sample_counts` must be >= 2"):
        A.rf_mapping_convergence(target, [1, 10])
    est = A.spike_triggered_average(target, 2, seed=0)  # the fewest accepted: finite, no warning
    assert np.isfinite(est.maps).all()


def test_a_tiny_ridge_on_a_rank_deficient_covariance_stays_finite_and_quiet():
    target = one_neuron(Gabor(3.5), SMALL)  # 576 px, 50 stimuli: C_ss has rank 49
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for alpha in (0.0, 1e-300, 1e-12):
            est = A.spike_triggered_average(target, 50, method="whitened", alpha=alpha, seed=0)
            assert np.isfinite(est.maps).all()


def test_noise_contrast_and_ridge_ranges_are_named():
    target = one_neuron(Gabor(2.0))
    with pytest.raises(ValueError, match=r"`contrast` must be in \[1e-06, 1e\+06\], got 1e-300"):
        A.spike_triggered_average(target, 10, contrast=1e-300)
    with pytest.raises(ValueError, match=r"`alpha` must be in \[0, 1e\+06\], got 1e\+300"):
        A.spike_triggered_average(target, 10, alpha=1e300)
    with pytest.raises(TypeError, match="`seed` must be an integer, got True"):
        A.spike_triggered_average(target, 10, seed=True)
    with pytest.raises(TypeError, match="`sample_counts` must be a 1-D sequence of ints"):
        A.rf_mapping_convergence(target, [True, False])


def test_a_reference_of_the_wrong_shape_is_refused_before_the_noise_is_shown():
    target = one_neuron(Gabor(3.5), SMALL)
    with pytest.raises(ValueError, match=r"`reference` must be \(n_units, H, W\) = \(1, 24, 24\)"):
        A.rf_mapping_convergence(target, [10], reference=np.ones((5, 5)))


def test_responses_that_overflow_are_refused_not_returned():
    with pytest.raises(ValueError, match="responses of neuron 0 to the noise are not finite"):
        A.spike_triggered_average(
            one_neuron(Gabor(3.5), SMALL), 10, nonlinearity=lambda r: r + np.inf
        )


def test_map_correlation_is_finite_at_extreme_magnitudes():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 6, 6))
    for scale in (1e-300, 1e300):
        corr = A.map_correlation(a * scale, a)
        np.testing.assert_allclose(corr, 1.0, rtol=1e-12)
    mixed = a.copy()
    mixed[0, 0, 0] = 1.7e308
    assert np.isfinite(A.map_correlation(mixed, a)).all()
    assert np.isnan(A.map_correlation(np.full((6, 6), np.nan), a[0]))[0]

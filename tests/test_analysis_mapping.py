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
    with pytest.raises(ValueError, match="`n_stimuli` must be >= 1"):
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

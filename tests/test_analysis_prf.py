"""cortex.analysis.prf: bar sweeps, voxel responses and pRF fits (Dumoulin & Wandell 2008)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cortex
from cortex.analysis.prf import (
    PRFFit,
    bar_sweep,
    fit_prf,
    prf_experiment,
    prf_size_law,
    voxel_response,
)

FIELD = cortex.VisualField(4.0, 4.0, pixels_per_degree=10)


def test_bar_sweep_moves_a_bar_across_the_field_in_each_direction():
    frames = bar_sweep(FIELD, width=0.5, step=0.25, directions=4)
    assert frames.dtype == np.float32 and set(np.unique(frames)) <= {0.0, 1.0}
    per_direction = len(frames) // 4
    x, y = FIELD.grid()
    # rightward: the bar's mean x increases frame by frame while it is in the field
    right = frames[:per_direction]
    shown = right.sum(axis=(1, 2)) > 0
    centre_x = (right * x).sum(axis=(1, 2))[shown] / right.sum(axis=(1, 2))[shown]
    assert np.all(np.diff(centre_x) > 0)
    # every pixel is inside the bar in some frame of every direction
    for k in range(4):
        assert np.all(frames[k * per_direction : (k + 1) * per_direction].max(axis=0) == 1)
    # a bar is width / pixel size pixels wide (vertical bar moving right)
    widest = right[np.argmax(right.sum(axis=(1, 2)))]
    assert widest[20].sum() == pytest.approx(0.5 * FIELD.pixels_per_degree, abs=1)


@settings(deadline=None, max_examples=15)
@given(
    x0=st.floats(-1.0, 1.0),
    y0=st.floats(-1.0, 1.0),
    sigma=st.floats(0.2, 0.6),
    gain=st.floats(0.1, 100.0),
)
def test_fit_prf_recovers_a_gaussian_pRF(x0, y0, sigma, gain):
    images = bar_sweep(FIELD, width=0.4, step=0.2)
    x, y = FIELD.grid()
    g = np.exp(-((x - x0) ** 2 + (y - y0) ** 2) / (2 * sigma**2))
    g *= 1 / (2 * math.pi * sigma**2 * FIELD.pixels_per_degree**2)
    response = gain * (images.reshape(len(images), -1) @ g.ravel())
    fit = fit_prf(FIELD, images, response)
    assert fit.x == pytest.approx(x0, abs=1e-4)
    assert fit.y == pytest.approx(y0, abs=1e-4)
    assert fit.sigma == pytest.approx(sigma, rel=1e-4)
    assert fit.gain == pytest.approx(gain, rel=1e-3)
    assert fit.r2 > 1 - 1e-8


def test_voxel_response_sums_the_neurons_in_the_disc(rng):
    mosaic = cortex.Mosaic(FIELD, rng.uniform(-1.8, 1.8, (80, 2)))
    population = cortex.Population(cortex.Gaussian(0.15), mosaic)
    images = bar_sweep(FIELD, width=0.5, step=0.5)
    response, n = voxel_response(population, images, (0.3, -0.2), 0.6)
    inside = np.hypot(mosaic.centers[:, 0] - 0.3, mosaic.centers[:, 1] + 0.2) <= 0.6
    every = cortex.linear_responses(population, images)  # the oracle: all neurons, then pick
    assert n == inside.sum()
    np.testing.assert_allclose(response, every[:, inside].sum(axis=1), rtol=1e-5, atol=1e-6)


def test_experiment_recovers_a_size_law():
    # neurons whose RF size is 0.2 E + 0.1: voxel pRFs, scatter removed, give the law back
    field = cortex.VisualField(8.0, 8.0, pixels_per_degree=12)
    mosaic = cortex.Mosaic.from_lattice(field, 0.15, "hexagonal").with_eccentricity_scaling(
        0.1, 0.2, reference_size=0.1
    )
    population = cortex.Population(cortex.Gaussian(0.1), mosaic)
    ecc = np.array([0.8, 1.4, 2.0])
    voxels = np.column_stack([ecc, np.zeros(3)])
    fits = prf_experiment(population, voxels, 0.5 * (0.2 * ecc + 0.1), bar_width=0.3)
    slope, intercept = prf_size_law(fits)
    assert slope == pytest.approx(0.2, rel=0.1)
    assert intercept == pytest.approx(0.1, abs=0.03)
    assert all(f.r2 > 0.99 for f in fits)
    # the raw pRF is wider than the neurons: scatter adds in quadrature
    assert all(f.sigma > f.neuron_sigma for f in fits)


def test_size_law_of_exact_fits():
    fits = [PRFFit(e, 0.0, 0.3 * e + 0.2, 1.0, 1.0) for e in (1.0, 2.0, 4.0)]
    assert prf_size_law(fits) == pytest.approx((0.3, 0.2))
    corrected = [PRFFit(e, 0.0, math.hypot(0.3 * e + 0.2, 0.1), 1.0, 1.0, 0.1) for e in (1, 2, 4)]
    assert prf_size_law(corrected) == pytest.approx((0.3, 0.2))


def test_bad_inputs():
    images = bar_sweep(FIELD, width=0.5, step=0.5)
    with pytest.raises(TypeError, match="`field` must be a VisualField"):
        bar_sweep("field", width=0.5, step=0.5)
    with pytest.raises(ValueError, match="`width` must be > 0"):
        bar_sweep(FIELD, width=-1.0, step=0.5)
    with pytest.raises(ValueError, match="`step` must be in"):
        bar_sweep(FIELD, width=0.5, step=1.0)
    with pytest.raises(ValueError, match="`directions` must be >= 1"):
        bar_sweep(FIELD, width=0.5, step=0.5, directions=0)
    with pytest.raises(ValueError, match="`response` is constant"):
        fit_prf(FIELD, images, np.ones(len(images)))
    with pytest.raises(ValueError, match="`response` must have one value per frame"):
        fit_prf(FIELD, images, np.ones(3))
    with pytest.raises(ValueError, match="`response` must be finite"):
        fit_prf(FIELD, images, np.full(len(images), np.nan))
    population = cortex.Population(cortex.Gaussian(0.3), cortex.Mosaic.from_lattice(FIELD, 0.5))
    with pytest.raises(ValueError, match="no RF centre lies in the voxel"):
        voxel_response(population, images, (0.25, 0.25), 0.01)
    with pytest.raises(ValueError, match="`radius` must be > 0"):
        voxel_response(population, images, (0.0, 0.0), 0.0)
    with pytest.raises(ValueError, match="`fits` must hold at least 2"):
        prf_size_law([])


def test_bar_sweep_refuses_what_the_budget_cannot_hold(small_budget):
    big = cortex.VisualField(40.0, 40.0, pixels_per_degree=40)
    with pytest.raises(cortex.MemoryBudgetError, match="bar apertures"):
        bar_sweep(big, width=0.05, step=0.05)

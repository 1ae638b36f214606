"""Analysis in time: temporal-frequency and direction tuning, the spatiotemporal STA, x-t slices.

Oracles: the analytic spectra of the RFs (``frequency_response``), exact symmetries
of the pixel grid (rotations by 90 and 180 degrees), closed-form tuning curves, and
a plain loop over spikes for the STA.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import refused_cheaply

from cortex import Gabor, Mosaic, VisualField
from cortex.analysis import (
    DirectionTuning,
    TemporalFrequencyTuning,
    direction_tuning,
    spatiotemporal_sta,
    temporal_frequency_tuning,
    xt_slice,
)
from cortex.dynamics import spatiotemporal_responses
from cortex.movies import Movie, drifting_grating, moving_bar, white_noise_movie
from cortex.spikes import SpikeTrains, poisson_spikes
from cortex.temporal import (
    AdelsonBergen,
    Biphasic,
    DirectionSelectiveRF,
    Monophasic,
    SeparableRF,
)

FIELD = VisualField(2.0, 2.0, pixels_per_degree=16)  # 32 x 32 px, Nyquist 8 cycles/deg
DIRECTIONS = np.arange(0.0, 360.0, 22.5)  # 16 directions
SF, TF = 2.0, 6.0


def angle_error(a, b):
    """Signed difference a - b of two directions, degrees in [-180, 180)."""
    return (np.asarray(a) - b + 180.0) % 360.0 - 180.0


def ds_curve(direction, **kwargs):
    cell = DirectionSelectiveRF.from_gabor(SF, direction=direction)
    return direction_tuning(
        cell, FIELD, DIRECTIONS, spatial_frequency=SF, temporal_frequency=TF, **kwargs
    )


# -- temporal-frequency tuning ----------------------------------------------------------------
# smooth kernels (n >= 2 stages): their spectra fall fast enough that the frames alias little
TEMPORAL = st.one_of(
    st.builds(Monophasic, tau=st.floats(0.003, 0.03), n=st.integers(2, 6)),
    st.builds(
        lambda tau1, ratio, n: Biphasic(tau1, tau1 * ratio, n1=n, n2=n),
        st.floats(0.003, 0.015),
        st.floats(1.5, 3.0),
        st.integers(2, 5),
    ),
)


@settings(max_examples=8, deadline=None)
@given(
    temporal=TEMPORAL,
    orientation=st.floats(0.0, 360.0),
    spatial_frequency=st.floats(1.0, 3.0),
    baseline=st.floats(-5.0, 5.0),
)
def test_f1_of_a_separable_rf_is_the_product_of_its_analytic_gains(
    temporal, orientation, spatial_frequency, baseline
):
    # oracle: |W(fx, fy)| |T(ft)| from the closed-form spectra, times sinc(ft / fps) for the
    # held frames; the RF's orientation and the drift differ, so W is not at its peak
    fps = 200.0
    rf = SeparableRF(Gabor(2.0, orientation=orientation), temporal)
    frequencies = np.array([0.7, 3.0, 11.0, 19.0])  # up to fps / 10
    direction = 20.0
    tuning = temporal_frequency_tuning(
        rf,
        FIELD,
        frequencies,
        spatial_frequency=spatial_frequency,
        direction=direction,
        frames_per_second=fps,
        baseline=baseline,
    )
    theta = math.radians(direction)
    fx, fy = spatial_frequency * math.cos(theta), spatial_frequency * math.sin(theta)
    space = abs(rf.spatial.frequency_response(fx, fy))
    time = np.abs(temporal.frequency_response(frequencies)) * np.sinc(frequencies / fps)
    expected = space * time
    assert tuning.f1.shape == (4, 1) and tuning.mean.shape == (4, 1)
    # 1.5%, or 0.5% of the RF's peak gain where its gain is small (off the Gabor's peak, where
    # truncating its kernel at 3 sigma matters, or at low frequencies for a band-pass kernel)
    peak_space = abs(
        rf.spatial.frequency_response(
            2.0 * math.cos(math.radians(orientation)), 2.0 * math.sin(math.radians(orientation))
        )
    )
    peak = peak_space * np.abs(temporal.frequency_response(np.geomspace(0.1, 100.0, 400))).max()
    np.testing.assert_allclose(tuning.f1[:, 0], expected, rtol=0.015, atol=0.005 * peak)
    # the same with the full space-time spectrum of the RF
    np.testing.assert_allclose(
        expected, np.abs(rf.frequency_response(fx, fy, frequencies)) * np.sinc(frequencies / fps)
    )
    # a linear neuron's mean rate over whole cycles (to a frame) is its spontaneous rate
    np.testing.assert_allclose(tuning.mean[:, 0], baseline, atol=0.02 * tuning.f1.max() + 1e-9)


def test_a_band_pass_kernel_gives_a_band_pass_curve_peaking_where_its_gain_does():
    fps = 200.0
    temporal = Biphasic(0.004, 0.008)
    rf = SeparableRF(Gabor(SF), temporal)
    frequencies = np.geomspace(0.5, 64.0, 15)
    tuning = temporal_frequency_tuning(
        rf, FIELD, frequencies, spatial_frequency=SF, frames_per_second=fps
    )
    dense = np.geomspace(0.5, 64.0, 4001)
    gain = np.abs(temporal.frequency_response(dense)) * np.sinc(dense / fps)
    peak = dense[np.argmax(gain)]
    preferred = tuning.preferred_frequency()[0]
    assert abs(math.log2(preferred / peak)) < 0.15  # within 0.15 octave (samples 0.5 octave apart)
    # full width at half height, from the dense analytic curve
    above = dense[gain >= gain.min() + (gain.max() - gain.min()) / 2]
    width = math.log2(above.max() / above.min())
    assert tuning.bandwidth()[0] == pytest.approx(width, abs=0.2)
    # interior peak: both ends well below it
    assert tuning.f1[0, 0] < 0.5 * tuning.f1.max() and tuning.f1[-1, 0] < 0.5 * tuning.f1.max()


def test_a_low_pass_kernel_gives_a_falling_curve_without_a_lower_half_height():
    rf = SeparableRF(Gabor(SF), Monophasic(0.01, 3))
    tuning = temporal_frequency_tuning(
        rf, FIELD, [0.5, 2.0, 8.0, 32.0], spatial_frequency=SF, frames_per_second=100.0
    )
    assert np.all(np.diff(tuning.f1[:, 0]) < 0)
    assert tuning.preferred_frequency()[0] == 0.5  # the sampled end: no parabola beyond it
    assert np.isnan(tuning.bandwidth()[0])  # never falls to half height on the low side


def test_gain_contrast_and_baseline_act_as_documented():
    rf = SeparableRF(Gabor(SF), Biphasic(0.005, 0.01))
    kwargs = dict(spatial_frequency=SF, frames_per_second=100.0)
    base = temporal_frequency_tuning(rf, FIELD, [2.0, 8.0], **kwargs)
    scaled = temporal_frequency_tuning(
        rf, FIELD, [2.0, 8.0], gain=3.0, contrast=0.5, baseline=7.0, **kwargs
    )
    np.testing.assert_allclose(scaled.f1, 1.5 * base.f1, rtol=1e-9)
    np.testing.assert_allclose(scaled.mean, 7.0 + 1.5 * base.mean, atol=1e-9)
    # rectified: the mean rises above the baseline, the F1 falls below the linear one
    rectified = temporal_frequency_tuning(rf, FIELD, [2.0, 8.0], nonlinearity="rectify", **kwargs)
    assert np.all(rectified.mean > 0)
    assert np.all(rectified.f1 < base.f1)
    np.testing.assert_allclose(rectified.f1, base.f1 / 2, rtol=1e-3)  # F1 of a half-wave: A / 2
    np.testing.assert_allclose(rectified.mean, base.f1 / np.pi, rtol=1e-3)  # F0: A / pi


def test_every_type_and_site_is_a_unit_and_full_field_gratings_drive_all_sites_alike():
    field = VisualField(4.0, 4.0, pixels_per_degree=16)
    sites = np.stack(np.meshgrid([-1.0, -0.3, 0.5, 1.0], [-0.8, 0.0, 1.0]), -1).reshape(-1, 2)
    mosaic = Mosaic(field, sites)  # every RF (0.9 deg in radius) inside the field
    rfs = [
        SeparableRF(Gabor(SF), Biphasic(0.005, 0.01)),
        DirectionSelectiveRF.from_gabor(SF, direction=0.0),
    ]
    tuning = temporal_frequency_tuning(
        rfs, field, [4.0, 8.0], spatial_frequency=SF, mosaic=mosaic, frames_per_second=100.0
    )
    n = mosaic.n_neurons
    assert tuning.f1.shape == (2, 2 * n)
    for t in range(2):
        block = tuning.f1[:, t * n : (t + 1) * n]
        np.testing.assert_allclose(block, block[:, :1].repeat(n, axis=1), rtol=1e-9)
    alone = temporal_frequency_tuning(
        rfs[1], field, [4.0, 8.0], spatial_frequency=SF, frames_per_second=100.0
    )
    np.testing.assert_allclose(alone.f1[:, 0], tuning.f1[:, n], rtol=1e-9)


def test_units_that_never_respond_are_reported_and_have_no_preferred_frequency():
    rf = SeparableRF(Gabor(SF), Monophasic(0.01, 3))
    with pytest.warns(RuntimeWarning, match="1 unit.* never respond"):
        tuning = temporal_frequency_tuning(
            rf,
            FIELD,
            [2.0, 4.0],
            spatial_frequency=SF,
            baseline=-1e3,
            nonlinearity="rectify",
        )
    assert np.all(tuning.f1 == 0) and np.all(tuning.mean == 0)
    assert np.isnan(tuning.preferred_frequency()[0]) and np.isnan(tuning.bandwidth("mean")[0])


def test_temporal_frequency_errors_name_the_argument():
    rf = SeparableRF(Gabor(SF), Monophasic(0.01, 3))
    kw = dict(spatial_frequency=SF, frames_per_second=100.0)
    with pytest.raises(ValueError, match=r"`duration` must cover at least one cycle.*0.5 Hz"):
        temporal_frequency_tuning(rf, FIELD, [0.5, 4.0], duration=1.0, **kw)
    with pytest.raises(ValueError, match=r"`frequencies` must be in \(0, 50\) Hz"):
        temporal_frequency_tuning(rf, FIELD, [4.0, 50.0], **kw)
    with pytest.raises(ValueError, match="`spatial_frequency` must be in"):
        temporal_frequency_tuning(rf, FIELD, [4.0], spatial_frequency=9.0)
    with pytest.raises(ValueError, match="`mosaic` is on"):
        other = Mosaic(VisualField(3.0, 3.0, pixels_per_degree=16), [[0.0, 0.0]])
        temporal_frequency_tuning(rf, FIELD, [4.0], mosaic=other, **kw)
    with pytest.raises(TypeError, match="`rf` must hold SeparableRF"):
        temporal_frequency_tuning(Gabor(SF), FIELD, [4.0], **kw)
    with pytest.raises(ValueError, match="larger than the field"):  # before any movie is made
        big = SeparableRF(Gabor(0.5), Monophasic(0.01, 3))
        temporal_frequency_tuning(big, FIELD, [4.0], **kw)


# -- direction tuning -----------------------------------------------------------------------------
@settings(max_examples=6, deadline=None)
@given(direction=st.floats(0.0, 360.0, exclude_max=True))
def test_a_direction_selective_rf_prefers_its_direction(direction):
    tuning = ds_curve(direction)
    error = angle_error(tuning.preferred_direction()[0], direction)
    assert abs(error) < 1.0, error
    assert tuning.direction_selectivity_index()[0] > 0.3
    assert tuning.direction_selectivity_index("f1")[0] > 0.3
    assert 0.0 < tuning.circular_variance()[0] < 1.0


# Rotating the RF and the gratings by 90 or 180 degrees permutes the pixels of the square
# field, so a linear neuron's F1 (its gain |H|) is the same to rounding.  Its site moves by a
# pixel relative to the grating, which shifts the phase of its response: the sampled phases,
# and so a rectified response's mean, change slightly (by about 0.1%).
def test_rotating_the_rf_rotates_the_curve():
    base, base_linear = ds_curve(0.0), ds_curve(0.0, nonlinearity=None)
    top = base.mean.max()
    for quarter in (1, 2, 3):
        turned = ds_curve(90.0 * quarter)
        linear = ds_curve(90.0 * quarter, nonlinearity=None)
        shift = 4 * quarter  # 90 degrees = 4 steps of 22.5
        np.testing.assert_allclose(linear.f1, np.roll(base_linear.f1, shift, axis=0), rtol=1e-9)
        np.testing.assert_allclose(turned.mean, np.roll(base.mean, shift, axis=0), atol=0.01 * top)
        np.testing.assert_allclose(turned.f1, np.roll(base.f1, shift, axis=0), atol=0.01 * top)
    oblique = ds_curve(45.0)  # on the grid of directions, up to the sampling of the RF in pixels
    np.testing.assert_allclose(oblique.mean, np.roll(base.mean, 2, axis=0), atol=0.03 * top)
    assert angle_error(oblique.preferred_direction()[0], 45.0) == pytest.approx(0.0, abs=0.5)


def test_the_tuning_flips_with_direction_plus_180():
    for direction in (0.0, 30.0, 112.5):
        a, b = ds_curve(direction), ds_curve(direction + 180.0)
        # the RF for d + 180 is the RF for d rotated by 180 degrees (a pixel permutation)
        linear_a = ds_curve(direction, nonlinearity=None)
        linear_b = ds_curve(direction + 180.0, nonlinearity=None)
        np.testing.assert_allclose(linear_b.f1, np.roll(linear_a.f1, 8, axis=0), rtol=1e-9)
        np.testing.assert_allclose(b.mean, np.roll(a.mean, 8, axis=0), atol=0.01 * a.mean.max())
        flipped = angle_error(b.preferred_direction()[0], a.preferred_direction()[0])
        assert abs(abs(flipped) - 180.0) < 0.5
        assert b.direction_selectivity_index()[0] == pytest.approx(
            a.direction_selectivity_index()[0], abs=0.01
        )


@settings(max_examples=5, deadline=None)
@given(orientation=st.floats(0.0, 180.0), tau=st.floats(0.005, 0.02))
def test_a_separable_rf_is_not_direction_selective(orientation, tau):
    rf = SeparableRF(Gabor(SF, orientation=orientation), Biphasic(tau, 2 * tau))
    kw = dict(spatial_frequency=SF, temporal_frequency=TF)
    linear = direction_tuning(rf, FIELD, DIRECTIONS, nonlinearity=None, **kw)
    # |W(-f)| = |W(f)| for a real kernel: the same gain for d and d + 180, to rounding
    np.testing.assert_allclose(linear.f1, np.roll(linear.f1, 8, axis=0), rtol=1e-9, atol=1e-15)
    assert linear.direction_selectivity_index("f1")[0] < 1e-9
    rectified = direction_tuning(rf, FIELD, DIRECTIONS, **kw)
    assert rectified.direction_selectivity_index()[0] < 0.01
    assert rectified.direction_selectivity_index("f1")[0] < 0.01


def test_linear_direction_tuning_puts_the_selectivity_in_f1():
    tuning = ds_curve(60.0, nonlinearity=None, baseline=3.0, gain=10.0)
    np.testing.assert_allclose(tuning.mean, 3.0, atol=1e-6)
    assert tuning.direction_selectivity_index()[0] < 1e-6  # the mean rate does not move
    assert tuning.direction_selectivity_index("f1")[0] > 0.3
    assert abs(angle_error(tuning.preferred_direction("f1")[0], 60.0)) < 1.0
    # the F1 in the preferred direction is the analytic gain (times the frames' sinc)
    cell = DirectionSelectiveRF.from_gabor(SF, direction=60.0)
    fx, fy = SF * math.cos(math.radians(60.0)), SF * math.sin(math.radians(60.0))
    gain = abs(complex(cell.frequency_response(fx, fy, TF))) * np.sinc(TF / 100.0)
    k = int(np.argmin(np.abs(angle_error(DIRECTIONS, 60.0))))
    assert DIRECTIONS[k] == 67.5  # the nearest measured direction; compute its gain exactly
    theta = math.radians(67.5)
    gain = abs(complex(cell.frequency_response(SF * math.cos(theta), SF * math.sin(theta), TF)))
    gain *= 10.0 * np.sinc(TF / 100.0)
    assert tuning.f1[k, 0] == pytest.approx(gain, rel=0.01)


# -- the summaries of a DirectionTuning, against closed forms -------------------------------
@settings(max_examples=30, deadline=None)
@given(
    mu=st.floats(0.0, 360.0, exclude_max=True),
    n=st.sampled_from([8, 12, 16, 36]),
    depth=st.floats(0.0, 1.0),
    scale=st.floats(1e-3, 1e3),
)
def test_cosine_tuning_has_closed_form_summaries(mu, n, depth, scale):
    theta = np.arange(n) * 360.0 / n
    rates = scale * (1.0 + depth * np.cos(np.deg2rad(theta - mu)))[:, None]
    tuning = DirectionTuning(theta, rates, np.zeros_like(rates), SF, TF)
    # sum_d (1 + m cos(theta_d - mu)) e^{i theta_d} = n m / 2 e^{i mu} over evenly spaced angles
    assert tuning.circular_variance()[0] == pytest.approx(1.0 - depth / 2.0, abs=1e-9)
    if depth > 1e-6:
        assert abs(angle_error(tuning.preferred_direction()[0], mu)) < 1e-6
    elif depth == 0:
        assert np.isnan(tuning.preferred_direction()[0])  # flat: no preferred direction
    dsi = tuning.direction_selectivity_index()[0]
    assert 0.0 <= dsi <= depth + 1e-9
    if depth > 0 and np.any(np.isclose(theta, mu % 360.0)):  # peak measured: exact DSI
        assert dsi == pytest.approx(depth, rel=1e-9, abs=1e-12)


def test_summaries_of_curves_with_negative_silent_and_one_sided_units():
    theta = np.array([0.0, 90.0, 180.0, 270.0])
    mean = np.array(
        [
            [4.0, 0.0, -1.0, 5.0],
            [1.0, 0.0, -1.0, 5.0],
            [0.0, 0.0, -2.0, 5.0],
            [1.0, 0.0, -1.0, 5.0],
        ]
    )
    tuning = DirectionTuning(theta, mean, np.abs(mean), SF, TF)
    dsi = tuning.direction_selectivity_index()
    assert dsi[0] == 1.0  # silent in the null direction
    assert np.isnan(dsi[1]) and np.isnan(dsi[2])  # never responds (negative counts as 0)
    assert dsi[3] == 0.0  # the same in every direction
    pref = tuning.preferred_direction()
    assert pref[0] == 0.0 and np.isnan(pref[1:]).all()
    cv = tuning.circular_variance()
    assert cv[0] == pytest.approx(1 - 4 / 6) and np.isnan(cv[1:3]).all()
    assert cv[3] == pytest.approx(1.0)
    # directions need not be sorted nor within [0, 360)
    shuffled = DirectionTuning(theta[::-1] - 720.0, mean[::-1], np.abs(mean[::-1]), SF, TF)
    np.testing.assert_allclose(shuffled.direction_selectivity_index(), dsi)
    np.testing.assert_allclose(shuffled.preferred_direction(), pref, atol=1e-12)
    with pytest.raises(ValueError, match="`statistic` must be one of"):
        tuning.preferred_direction("max")


def test_direction_tuning_errors_name_the_argument():
    cell = DirectionSelectiveRF.from_gabor(SF)
    kw = dict(spatial_frequency=SF)
    with pytest.raises(ValueError, match=r"`temporal_frequency` must be in \(0, 50\) Hz"):
        direction_tuning(cell, FIELD, [0.0], temporal_frequency=60.0, **kw)
    with pytest.raises(ValueError, match="`duration` must cover at least one cycle"):
        direction_tuning(cell, FIELD, [0.0], temporal_frequency=4.0, duration=0.2, **kw)
    with pytest.raises(ValueError, match="`nonlinearity` must be one of"):
        direction_tuning(cell, FIELD, [0.0], temporal_frequency=4.0, nonlinearity="relu", **kw)
    with pytest.raises(TypeError, match="`field` must be a VisualField"):
        direction_tuning(cell, (2.0, 2.0), [0.0], temporal_frequency=4.0, **kw)


# -- the spatiotemporal STA ---------------------------------------------------------------
def test_the_sta_of_poisson_spikes_recovers_the_space_time_kernel():
    ppd, fps = 4.0, 25.0
    field = VisualField(3.0, 3.0, pixels_per_degree=ppd)  # 12 x 12 px
    rf = SeparableRF(Gabor(1.0, orientation=30.0, sigma_x=0.3, sigma_y=0.3), Biphasic(0.01, 0.02))
    kernel = rf.kernel(ppd, fps)  # (T, h, w), tap k = lag k
    n_lags, half = kernel.shape[0], kernel.shape[1] // 2
    mosaic = Mosaic(field, [[0.0, 0.0]])
    movie = white_noise_movie(field, fps, 600.0, seed=1)  # 15000 frames
    gain = 30.0 / np.sqrt(np.sum(kernel**2))  # the drive's standard deviation: 30 spikes/s
    rates = spatiotemporal_responses(rf, mosaic, movie, baseline=30.0, gain=gain)
    assert 0.05 < np.mean(rates == 0) < 0.3  # rectified, not linear
    trains = poisson_spikes(rates, fps, seed=2)
    (row,), (col,) = mosaic.pixel_centers
    inside = np.zeros(field.shape, dtype=bool)
    inside[row - half : row + half + 1, col - half : col + half + 1] = True
    for estimate in (trains, rates):  # spikes, and the rate-weighted average
        sta = spatiotemporal_sta(estimate, movie, n_lags)
        assert sta.shape == (1, n_lags, *field.shape)
        local = sta[0][:, inside].reshape(kernel.shape)  # the kernel's support at the site
        correlation = np.corrcoef(local.ravel(), kernel.ravel())[0, 1]
        assert correlation > 0.8, correlation
        # outside the RF, the STA is noise around 0
        assert np.abs(sta[0][:, ~inside]).mean() < 0.2 * np.abs(local).max()


def test_lag_k_is_k_frames_before_the_spike():
    field = VisualField(1.0, 1.0, pixels_per_degree=4)  # 4 x 4 px
    movie = white_noise_movie(field, 50.0, 40.0, seed=3)  # 2000 frames
    frames = movie.frames.reshape(movie.n_frames, -1)
    lagged = np.zeros(movie.n_frames)
    lagged[3:] = frames[:-3, 5]  # pixel 5, three frames earlier
    rates = np.stack([20.0 * np.maximum(lagged, 0.0), np.full(movie.n_frames, 10.0)], axis=1)
    sta = spatiotemporal_sta(rates, movie, 6)
    peak = np.unravel_index(np.argmax(sta[0]), sta[0].shape)
    assert peak == (3, 5 // 4, 5 % 4)
    assert np.abs(sta[1]).max() < 0.1  # a constant rate averages the noise to ~0


@settings(max_examples=25, deadline=None)
@given(
    n_frames=st.integers(1, 12),
    n_neurons=st.integers(1, 3),
    lags=st.integers(1, 12),
    seed=st.integers(0, 2**16),
)
def test_the_sta_equals_a_plain_loop_over_spikes(n_frames, n_neurons, lags, seed):
    rng = np.random.default_rng(seed)
    n_lags = min(lags, n_frames)
    field = VisualField(0.75, 0.5, pixels_per_degree=4)  # 2 x 3 px
    movie = Movie(rng.standard_normal((n_frames, 2, 3)), frames_per_second=20.0, field=field)
    n_spikes = int(rng.integers(0, 30))
    trains = SpikeTrains(
        rng.integers(0, n_neurons, n_spikes),
        rng.uniform(0.0, movie.duration, n_spikes),
        n_neurons,
        0.0,
        movie.duration,
    )
    expected = np.full((n_neurons, n_lags, 2, 3), np.nan)
    for i in range(n_neurons):  # the oracle: one spike at a time
        frames = [int(t * 20.0) for t, j in zip(trains.time, trains.neuron, strict=True) if j == i]
        frames = [f for f in frames if f >= n_lags - 1]
        if frames:
            for k in range(n_lags):
                expected[i, k] = np.mean([movie.frames[f - k] for f in frames], axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # neurons without spikes: NaN
        got = spatiotemporal_sta(trains, movie, n_lags)
        counts = np.zeros((n_frames, n_neurons))
        np.add.at(counts, (np.floor(trains.time * 20.0).astype(int), trains.neuron), 1.0)
        weighted = spatiotemporal_sta(counts, movie, n_lags)  # counts as weights: the same
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(weighted, expected, rtol=1e-12, atol=1e-12)


def test_neurons_without_spikes_get_nan_with_a_warning():
    field = VisualField(0.5, 0.5, pixels_per_degree=4)
    movie = white_noise_movie(field, 10.0, 1.0, seed=0)
    trains = SpikeTrains([0, 0], [0.05, 0.85], n_neurons=2, t_start=0.0, t_stop=1.0)
    with pytest.warns(RuntimeWarning, match=r"1 neuron\(s\) have no spikes from frame 2"):
        sta = spatiotemporal_sta(trains, movie, 3)  # the spike in frame 0 is before lag 2
    assert np.isnan(sta[1]).all() and np.isfinite(sta[0]).all()
    np.testing.assert_allclose(sta[0, 2], movie.frames[6])


def test_sta_errors_name_the_argument():
    field = VisualField(0.5, 0.5, pixels_per_degree=4)
    movie = white_noise_movie(field, 10.0, 1.0, seed=0)
    with pytest.raises(ValueError, match="`spikes_or_rates` must span the movie"):
        spatiotemporal_sta(SpikeTrains([0], [0.1], 1, 0.0, 2.0), movie, 2)
    with pytest.raises(ValueError, match=r"`spikes_or_rates` must have one row per frame"):
        spatiotemporal_sta(np.ones((9, 1)), movie, 2)
    with pytest.raises(ValueError, match="`spikes_or_rates` must be in"):
        spatiotemporal_sta(-np.ones((10, 1)), movie, 2)
    with pytest.raises(ValueError, match="`n_lags` must be <= the movie's 10 frames"):
        spatiotemporal_sta(np.ones((10, 1)), movie, 11)
    with pytest.raises(TypeError, match="`movie` must be a cortex.movies.Movie"):
        spatiotemporal_sta(np.ones((10, 1)), movie.frames, 2)


def test_a_huge_sta_is_refused_before_it_is_allocated(small_budget):
    field = VisualField(4.0, 4.0, pixels_per_degree=16)  # 64 x 64 px
    movie = white_noise_movie(field, 10.0, 2.0, seed=0)
    trains = SpikeTrains([], [], n_neurons=2000, t_start=0.0, t_stop=2.0)
    refused_cheaply(lambda: spatiotemporal_sta(trains, movie, 20), match="spatiotemporal STA")


# -- x-t slices -----------------------------------------------------------------------------
def test_xt_slices_of_kernels_and_movies():
    cell = DirectionSelectiveRF.from_gabor(SF, temporal=(AdelsonBergen(), AdelsonBergen(n=5)))
    kernel = cell.kernel(16, 100)
    xt = xt_slice(kernel)
    np.testing.assert_array_equal(xt, kernel[:, kernel.shape[1] // 2, :])
    assert xt.flags.writeable and not np.shares_memory(xt, kernel)
    movie = drifting_grating(FIELD, 50.0, 0.2, spatial_frequency=SF, temporal_frequency=4.0)
    np.testing.assert_array_equal(xt_slice(movie, row=3), movie.frames[:, 3])
    np.testing.assert_array_equal(xt_slice(movie, y=0.0), movie.frames[:, 16])  # y up, row 16
    np.testing.assert_array_equal(xt_slice(movie, y=FIELD.height / 2), movie.frames[:, 0])
    complex_kernel = kernel + 1j * kernel
    assert xt_slice(complex_kernel, row=0).dtype == np.complex128


def test_a_bar_moving_right_traces_a_slope_equal_to_its_speed():
    field = VisualField(4.0, 1.0, pixels_per_degree=10)
    speed = 2.0
    movie = moving_bar(field, 20.0, 1.5, speed=speed, width=0.1, direction=0.0)
    xt = xt_slice(movie)
    x = (np.arange(field.shape[1]) - (field.shape[1] - 1) / 2) / field.pixels_per_degree
    on = xt.max(axis=1) > 0
    centre = (xt[on] * x).sum(axis=1) / xt[on].sum(axis=1)
    slope = np.polyfit(movie.times[on], centre, 1)[0]
    assert slope == pytest.approx(speed, rel=0.02)


def test_xt_slice_errors():
    with pytest.raises(ValueError, match=r"`row` must be in \[0, 3\), got 3"):
        xt_slice(np.zeros((2, 3, 4)), row=3)
    with pytest.raises(TypeError, match="`row` must be an integer"):
        xt_slice(np.zeros((2, 3, 4)), row=1.0)
    with pytest.raises(TypeError, match="`y` .*needs a Movie"):
        xt_slice(np.zeros((2, 3, 4)), y=0.0)
    movie = drifting_grating(FIELD, 10.0, 0.2, spatial_frequency=SF, temporal_frequency=1.0)
    with pytest.raises(ValueError, match="give `row` or `y`"):
        xt_slice(movie, row=1, y=0.0)
    with pytest.raises(ValueError, match=r"`y` must be in \[-1, 1\] deg"):
        xt_slice(movie, y=1.5)
    with pytest.raises(ValueError, match="`data` must be 3-D"):
        xt_slice(np.zeros((3, 4)))


# -- the result containers ----------------------------------------------------------------------
def test_results_validate_their_fields():
    tuning = TemporalFrequencyTuning([1.0, 2.0], [[0.0], [0.0]], [[1.0], [2.0]], 2.0, 0.0, 100.0)
    assert tuning.n_units == 1 and tuning.preferred_frequency()[0] == 2.0
    np.testing.assert_array_equal(tuning.responses("mean"), [[0.0], [0.0]])
    with pytest.raises(ValueError, match=r"`f1` must be in \[0, inf\), got -1 \(an amplitude\)"):
        TemporalFrequencyTuning([1.0], [[0.0]], [[-1.0]], 2.0, 0.0, 100.0)
    with pytest.raises(ValueError, match=r"`frequencies` must be in \(0, 5\) Hz"):
        TemporalFrequencyTuning([6.0], [[0.0]], [[1.0]], 2.0, 0.0, 10.0)
    with pytest.raises(ValueError, match="`mean` must have one row per value of `directions`"):
        DirectionTuning([0.0, 180.0], [[1.0]], [[1.0]], 2.0, 4.0)
    with pytest.raises(ValueError, match="`mean` and `f1` must have the same shape"):
        DirectionTuning([0.0], [[1.0]], [[1.0, 2.0]], 2.0, 4.0)

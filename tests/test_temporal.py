"""Tests for cortex.temporal: formulas, FFT oracles, causality, sampled kernels, space-time RFs."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, signal
from strategies import NON_FINITE, budget, refused_cheaply

import cortex
from cortex import ComplexCell, DifferenceOfGaussians, Gabor, Gaussian, VisualField
from cortex.movies import drifting_grating
from cortex.temporal import (
    AdelsonBergen,
    Biphasic,
    DirectionSelectiveRF,
    Exponential,
    Monophasic,
    SeparableRF,
    TemporalKernel,
)

FAST = settings(max_examples=20, deadline=None)
FEW = settings(max_examples=6, deadline=None)

taus = st.floats(0.002, 0.05)
stages = st.integers(1, 7)

kernels = st.one_of(
    st.builds(Exponential, tau=taus),
    st.builds(Monophasic, tau=taus, n=stages),
    st.builds(
        Biphasic,
        tau1=taus,
        tau2=taus,
        n1=stages,
        n2=stages,
        weight=st.floats(0.0, 1.5),
    ),
    st.builds(AdelsonBergen, k=st.floats(30.0, 300.0), n=st.integers(0, 6)),
)


# --------------------------------------------------------------------------- formulas
def gamma_formula(t, n, tau):
    """t**(n-1) exp(-t/tau) / (tau**n (n-1)!), written out (0 for t < 0)."""
    t = np.asarray(t, dtype=float)
    tp = np.maximum(t, 0.0)
    value = tp ** (n - 1) * np.exp(-tp / tau) / (tau**n * math.factorial(n - 1))
    return np.where(t < 0, 0.0, value)


def formula(kernel, t):
    """Each model's impulse response written out from its definition."""
    if isinstance(kernel, Exponential):
        return np.where(t < 0, 0.0, np.exp(-np.maximum(t, 0) / kernel.tau) / kernel.tau)
    if isinstance(kernel, Monophasic):
        return gamma_formula(t, kernel.n, kernel.tau)
    if isinstance(kernel, Biphasic):
        return gamma_formula(t, kernel.n1, kernel.tau1) - kernel.weight * gamma_formula(
            t, kernel.n2, kernel.tau2
        )
    if isinstance(kernel, AdelsonBergen):  # Adelson & Bergen (1985), times k (units 1/s)
        k, n = kernel.k, kernel.n
        kt = k * np.maximum(t, 0.0)
        paper = kt**n * np.exp(-kt) * (1 / math.factorial(n) - kt**2 / math.factorial(n + 2))
        return np.where(t < 0, 0.0, k * paper)
    raise AssertionError(kernel)


def longest_time(kernel):
    return max(tau * n for _, n, tau in kernel.components)


@FAST
@given(kernel=kernels, data=st.data())
def test_impulse_response_matches_the_written_out_formula(kernel, data):
    scale = longest_time(kernel)
    t = np.array(data.draw(st.lists(st.floats(-2 * scale, 10 * scale), min_size=1, max_size=8)))
    t = np.concatenate([t, [0.0, -1e-9, scale]])
    expected = formula(kernel, t)
    peak = np.abs(formula(kernel, np.linspace(0, 10 * scale, 2001))).max()
    np.testing.assert_allclose(kernel.impulse_response(t), expected, rtol=1e-10, atol=1e-12 * peak)


def test_reference_values():
    assert Exponential(0.02).impulse_response(0.0) == pytest.approx(50.0)
    assert Exponential(0.02).impulse_response(0.02) == pytest.approx(50.0 / math.e)
    # gamma with 3 stages peaks at 2 tau with value 4 e^-2 / (2 tau)
    m = Monophasic(0.01, 3)
    assert m.impulse_response(0.02) == pytest.approx(4 * math.exp(-2) / (2 * 0.01))
    t = np.linspace(0, 0.1, 10001)
    assert t[np.argmax(m.impulse_response(t))] == pytest.approx(0.02, abs=1e-5)
    # Monophasic(n=1) is the exponential
    t = np.linspace(-0.01, 0.2, 101)
    np.testing.assert_allclose(
        Monophasic(0.03, 1).impulse_response(t), Exponential(0.03).impulse_response(t)
    )
    # Adelson-Bergen is a difference of gammas of rate k
    ab = AdelsonBergen(80.0, 4)
    twin = Biphasic(1 / 80.0, 1 / 80.0, 5, 7, 1.0)
    np.testing.assert_allclose(ab.impulse_response(t), twin.impulse_response(t), atol=1e-12)
    np.testing.assert_allclose(
        ab.frequency_response([0.0, 3.0, 40.0]),
        twin.frequency_response([0.0, 3.0, 40.0]),
        atol=1e-15,
    )


def test_analytic_spectra_written_out():
    f = np.array([-20.0, 0.0, 1.0, 7.5, 100.0])
    w = 2j * math.pi * f
    np.testing.assert_allclose(Exponential(0.01).frequency_response(f), 1 / (1 + w * 0.01))
    np.testing.assert_allclose(Monophasic(0.01, 4).frequency_response(f), (1 + w * 0.01) ** -4)
    b = Biphasic(0.004, 0.012, 2, 5, 0.7)
    np.testing.assert_allclose(
        b.frequency_response(f), (1 + w * 0.004) ** -2 - 0.7 * (1 + w * 0.012) ** -5
    )
    z = 1 + w / 100.0
    np.testing.assert_allclose(AdelsonBergen(100.0, 3).frequency_response(f), z**-4 - z**-6)


# --------------------------------------------------------------------------- FFT oracle
@FAST
@given(kernel=kernels)
def test_frequency_response_matches_fft_of_finely_sampled_impulse_response(kernel):
    shortest = min(tau for _, _, tau in kernel.components)
    dt = shortest / 200
    n = int(math.ceil(1.5 * kernel.support / dt))
    t = np.arange(n) * dt
    h = kernel.impulse_response(t)
    # trapezoid rule on [0, n dt): the jump at t = 0 counts half (h vanishes at the far end)
    numerical = dt * (np.fft.fft(h) - 0.5 * h[0])
    freqs = np.fft.fftfreq(n, d=dt)
    keep = np.abs(freqs) <= 5 / shortest
    scale = sum(abs(w) for w, _, _ in kernel.components)
    np.testing.assert_allclose(
        kernel.frequency_response(freqs[keep]), numerical[keep], rtol=0, atol=1e-4 * scale
    )


@FAST
@given(kernel=kernels, f=st.floats(-1e3, 1e3))
def test_spectrum_is_hermitian_and_dc_gain_is_h_of_zero(kernel, f):
    h = kernel.frequency_response(np.array([f, -f]))
    assert h[1] == pytest.approx(np.conj(h[0]), abs=1e-15)
    assert complex(kernel.frequency_response(0.0)) == pytest.approx(kernel.dc_gain, abs=1e-15)
    assert kernel.dc_gain == pytest.approx(
        float(
            integrate.quad(
                lambda s: float(kernel.impulse_response(s)), 0, kernel.support, limit=200
            )[0]
        ),
        abs=1e-5,
    )


def test_band_pass_kernels_have_zero_dc_gain():
    assert Biphasic(0.005, 0.01).dc_gain == 0.0
    assert Biphasic(0.005, 0.01, weight=0.6).dc_gain == pytest.approx(0.4)
    assert AdelsonBergen(100, 3).dc_gain == 0.0
    assert abs(AdelsonBergen(100, 5).kernel(1000).sum()) < 1e-6
    # band-pass: the gain peaks at a positive frequency
    f = np.linspace(0, 50, 501)
    gain = np.abs(Biphasic(0.005, 0.01).frequency_response(f))
    assert gain[0] == 0.0 and gain.argmax() > 0


# --------------------------------------------------------------------------- sampled kernels
@FAST
@given(kernel=kernels, fps=st.floats(50.0, 2000.0))
def test_kernel_sums_to_dc_gain_and_covers_the_support(kernel, fps):
    taps = kernel.kernel(fps)
    assert taps.dtype == np.float64 and taps.ndim == 1
    assert len(taps) == max(1, math.ceil(kernel.support * fps - 1e-9)) == kernel.n_taps(fps)
    scale = sum(abs(w) for w, _, _ in kernel.components)
    assert abs(taps.sum() - kernel.dc_gain) <= 1e-6 * scale + 1e-12


@FEW
@given(kernel=kernels, fps=st.floats(50.0, 500.0))
def test_taps_are_exact_integrals_over_each_frame(kernel, fps):
    taps = kernel.kernel(fps, duration=12 / fps)
    assert len(taps) == 12
    for k in range(12):
        exact = integrate.quad(
            lambda s: float(kernel.impulse_response(s)), k / fps, (k + 1) / fps, epsabs=1e-13
        )[0]
        assert taps[k] == pytest.approx(exact, rel=1e-7, abs=1e-12)
    # and the step response is their running sum
    np.testing.assert_allclose(
        np.cumsum(taps), kernel.step_response(np.arange(1, 13) / fps), atol=1e-12
    )


def test_support_leaves_less_than_a_millionth_of_the_area():
    for kernel in (Exponential(0.01), Monophasic(0.01, 5), Biphasic(0.004, 0.02, 2, 4, 0.8)):
        tail = integrate.quad(
            lambda s, k=kernel: abs(float(k.impulse_response(s))), kernel.support, np.inf
        )[0]
        assert tail <= 1.000001e-6 * sum(abs(w) for w, _, _ in kernel.components)
    assert Exponential(0.01).support == pytest.approx(0.01 * math.log(1e6))


def test_kernel_duration_and_reference_taps():
    e = Exponential(0.01)
    taps = e.kernel(100.0, duration=0.05)
    np.testing.assert_allclose(taps, np.exp(-np.arange(5)) * (1 - math.exp(-1)), rtol=1e-12)
    assert len(e.kernel(100.0, duration=0.0501)) == 6
    assert len(e.kernel(1.0, duration=1e-3)) == 1  # at least one tap


# --------------------------------------------------------------------------- causality
@FAST
@given(kernel=kernels, n0=st.integers(0, 60), fps=st.floats(100.0, 1000.0))
def test_kernel_is_causal_an_impulse_acts_only_from_its_frame_on(kernel, n0, fps):
    assert np.all(kernel.impulse_response(-np.logspace(-9, 2, 30)) == 0.0)
    taps = kernel.kernel(fps)
    signal_ = np.zeros(100)
    signal_[n0] = 1.0
    response = np.convolve(signal_, taps)[:100]
    assert np.all(response[:n0] == 0.0)
    expected = np.zeros(100)
    expected[n0 : n0 + len(taps)] = taps[: 100 - n0]
    np.testing.assert_array_equal(response, expected)
    # scipy.signal.lfilter with the taps as FIR coefficients agrees
    np.testing.assert_allclose(signal.lfilter(taps, [1.0], signal_), response, atol=1e-15)


def test_response_to_a_grating_is_zero_before_its_onset():
    field = VisualField(2.1, 2.1, 10)
    rf = SeparableRF(Gabor(1.0, sigma_x=0.3), Monophasic(0.01, 3))
    movie = drifting_grating(
        field, 100, 0.5, spatial_frequency=1.0, temporal_frequency=4.0, onset=0.2
    )
    space = rf.spatial.kernel(10)
    h = space.shape[0]
    r0 = (field.shape[0] - h) // 2
    drive = np.tensordot(movie.frames[:, r0 : r0 + h, r0 : r0 + h], space, axes=([1, 2], [0, 1]))
    response = np.convolve(drive, rf.temporal.kernel(100))[: movie.n_frames]
    assert np.all(response[:20] == 0.0)
    assert np.abs(response[20:]).max() > 0.1


# --------------------------------------------------------------------------- space-time
def spatial_drive(frames, space):
    """Inner product of every frame's central patch with the spatial kernel."""
    _, rows, cols = frames.shape
    h, w = space.shape
    r0, c0 = (rows - h) // 2, (cols - w) // 2
    return np.tensordot(frames[:, r0 : r0 + h, c0 : c0 + w], space, axes=([1, 2], [0, 1]))


def space_time_response(frames, kernel3d):
    """r[n] = sum_k sum_xy kernel[k] * frame[n - k] at the field's centre, written out."""
    n = len(frames)
    out = np.zeros(n)
    for k in range(min(n, len(kernel3d))):
        out[k:] += spatial_drive(frames, kernel3d[k])[: n - k]
    return out


def steady_amplitude(response, times, ft, start):
    """Amplitude of the ft-Hz sinusoid fitted by least squares to response[start:]."""
    t = times[start:]
    basis = np.stack([np.cos(2 * np.pi * ft * t), np.sin(2 * np.pi * ft * t), np.ones_like(t)], 1)
    coef = np.linalg.lstsq(basis, response[start:], rcond=None)[0]
    return math.hypot(coef[0], coef[1]), abs(coef[2])


spatial_rfs = st.one_of(
    st.builds(Gaussian, sigma=st.floats(0.15, 0.3)),
    st.builds(
        Gabor,
        spatial_frequency=st.floats(0.8, 2.0),
        orientation=st.floats(0, 360),
        phase=st.floats(0, 360),
        sigma_x=st.floats(0.2, 0.3),
    ),
    st.builds(DifferenceOfGaussians, sigma_center=st.just(0.1), sigma_surround=st.just(0.25)),
)
# (single-stage kernels jump at t = 0: their aliases beyond the frame rate reach ~0.5%)
temporal_kernels = st.one_of(
    st.builds(Monophasic, tau=st.floats(0.005, 0.02), n=st.integers(2, 5)),
    st.builds(Biphasic, tau1=st.floats(0.004, 0.01), tau2=st.floats(0.01, 0.03)),
)


@FEW
@given(
    spatial=spatial_rfs,
    temporal=temporal_kernels,
    sf=st.floats(0.3, 2.0),
    ft=st.sampled_from([2.0, 4.0, 8.0, 16.0]),
    direction=st.floats(0, 360),
)
def test_separable_steady_state_amplitude_is_product_of_gains(spatial, temporal, sf, ft, direction):
    ppd, fps = 12.0, 400.0
    field = VisualField(4.5, 4.5, ppd)  # 54 x 54 px: the 5-sigma kernels fit
    movie = drifting_grating(
        field, fps, 1.0, spatial_frequency=sf, temporal_frequency=ft, direction=direction
    )
    space = spatial.kernel(ppd, n_sigma=5.0)
    assert space.shape[0] <= field.shape[0]
    drive = spatial_drive(movie.frames, space)
    response = np.convolve(drive, temporal.kernel(fps))[: movie.n_frames]
    settle = temporal.n_taps(fps)
    amplitude, offset = steady_amplitude(response, movie.times, ft, settle)
    theta = math.radians(direction)
    fx, fy = sf * math.cos(theta), sf * math.sin(theta)
    gain_space = abs(complex(spatial.frequency_response(fx, fy)))
    gain_time = abs(complex(temporal.frequency_response(ft)))
    rf = SeparableRF(spatial, temporal)
    # the hold of every frame multiplies the gain by sinc(ft / fps)
    expected = gain_space * gain_time * np.sinc(ft / fps)
    assert amplitude == pytest.approx(expected, rel=2e-3, abs=1e-6)
    # exactly: the gain of the taps as a filter of the frame sequence
    taps = temporal.kernel(fps)
    discrete = abs(np.sum(taps * np.exp(-2j * np.pi * ft * np.arange(len(taps)) / fps)))
    assert amplitude == pytest.approx(gain_space * discrete, rel=1e-4, abs=1e-7)
    assert abs(complex(rf.frequency_response(fx, fy, ft))) == pytest.approx(
        gain_space * gain_time, rel=1e-12
    )
    assert offset < 1e-6


@FAST
@given(spatial=spatial_rfs, temporal=temporal_kernels, data=st.data())
def test_separable_spectrum_is_the_product_and_ignores_direction(spatial, temporal, data):
    rf = SeparableRF(spatial, temporal)
    fx = np.array(data.draw(st.lists(st.floats(-3, 3), min_size=1, max_size=5)))
    fy = np.array(data.draw(st.lists(st.floats(-3, 3), min_size=len(fx), max_size=len(fx))))
    ft = data.draw(st.floats(0.5, 40))
    h = rf.frequency_response(fx, fy, ft)
    np.testing.assert_allclose(
        h, spatial.frequency_response(fx, fy) * temporal.frequency_response(ft), rtol=1e-14
    )
    # opposite drift: (f, -ft) -- same amplitude for a separable RF
    np.testing.assert_allclose(np.abs(rf.frequency_response(fx, fy, -ft)), np.abs(h), rtol=1e-12)
    # a column of temporal frequencies broadcasts against a row of spatial ones
    assert rf.frequency_response(fx, fy, np.array([[1.0], [2.0]])).shape == (2, len(fx))


def test_separable_kernel_is_the_outer_product():
    rf = SeparableRF(Gabor(1.5, orientation=30.0), Biphasic(0.005, 0.015))
    k = rf.kernel(10, 200, duration=0.05)
    taps = rf.temporal.kernel(200, duration=0.05)
    space = rf.spatial.kernel(10)
    assert k.shape == (10, *space.shape)
    np.testing.assert_array_equal(k, taps[:, None, None] * space[None])
    np.testing.assert_array_equal(rf.kernel(10, 200)[0], taps[0] * space)  # tap 0 = lag 0
    assert rf.kernel(10, 200).shape[0] == rf.temporal.n_taps(200)
    assert SeparableRF(ComplexCell(1.0), Exponential(0.01)).kernel(8, 100).dtype == complex
    x, y, t = 0.2, -0.1, np.array([-0.01, 0.0, 0.01])
    np.testing.assert_allclose(
        rf.profile(x, y, t), rf.spatial.profile(x, y) * rf.temporal.impulse_response(t)
    )


# --------------------------------------------------------------------------- direction
def grating_gain(rf, sf, direction, ft):
    theta = math.radians(direction)
    return abs(complex(rf.frequency_response(sf * math.cos(theta), sf * math.sin(theta), ft)))


@FAST
@given(
    sf0=st.floats(0.5, 4.0),
    direction=st.floats(-360, 360),
    ratio=st.floats(0.5, 2.0),
    ft=st.floats(0.5, 40.0),
    bandwidth_sigma=st.floats(0.5, 1.5),
)
def test_direction_selectivity_prefers_direction_and_flips_with_it(
    sf0, direction, ratio, ft, bandwidth_sigma
):
    rf = DirectionSelectiveRF.from_gabor(sf0, direction, sigma_x=bandwidth_sigma / sf0)
    sf = ratio * sf0
    preferred = grating_gain(rf, sf, direction, ft)
    opposite = grating_gain(rf, sf, direction + 180.0, ft)
    assert preferred > opposite
    flipped = DirectionSelectiveRF.from_gabor(sf0, direction + 180.0, sigma_x=bandwidth_sigma / sf0)
    assert grating_gain(flipped, sf, direction + 180.0, ft) == pytest.approx(preferred, rel=1e-9)
    assert grating_gain(flipped, sf, direction, ft) == pytest.approx(opposite, rel=1e-9, abs=1e-300)
    assert flipped.direction == pytest.approx((direction + 180.0) % 360.0)


@FAST
@given(
    sf0=st.floats(0.5, 4.0),
    direction=st.floats(0, 360),
    ratio=st.floats(0.3, 2.0),
    ft=st.floats(0.5, 40.0),
    k=st.floats(50.0, 200.0),
)
def test_direction_selectivity_identity(sf0, direction, ratio, ft, k):
    """|H(f, ft)|^2 - |H(-f, ft)|^2 = (E(|f|-f0)^2 - E(|f|+f0)^2) * 4 Im(fast conj(slow)) / 4."""
    sigma = 0.8 / sf0
    fast, slow = AdelsonBergen(k, 3), AdelsonBergen(k, 5)
    rf = DirectionSelectiveRF.from_gabor(sf0, direction, temporal=(fast, slow), sigma_x=sigma)
    sf = ratio * sf0
    pref, null = grating_gain(rf, sf, direction, ft), grating_gain(rf, sf, direction + 180, ft)

    def envelope(d):  # the Gabor's unit-volume Gaussian envelope, in the frequency domain
        return math.exp(-2 * math.pi**2 * sigma**2 * d**2)

    tf, ts = complex(fast.frequency_response(ft)), complex(slow.frequency_response(ft))
    expected = (envelope(sf - sf0) ** 2 - envelope(sf + sf0) ** 2) * (tf * ts.conjugate()).imag
    assert pref**2 - null**2 == pytest.approx(expected, rel=1e-7, abs=1e-15)
    # Adelson-Bergen pairs of equal k: the slow filter lags by 2 arctan(2 pi ft / k)
    lag = np.angle(tf) - np.angle(ts)
    assert math.remainder(lag - 2 * math.atan(2 * math.pi * ft / k), 2 * math.pi) == (
        pytest.approx(0.0, abs=1e-9)
    )


def test_direction_index_of_the_default_pair_near_its_optimum():
    rf = DirectionSelectiveRF.from_gabor(2.0, 0.0)
    preferred = grating_gain(rf, 2.0, 0.0, 8.0)
    opposite = grating_gain(rf, 2.0, 180.0, 8.0)
    assert preferred > 2.5 * opposite
    # swapping the temporal kernels reverses the preference
    swapped = dataclasses.replace(
        rf, temporal_fast=rf.temporal_slow, temporal_slow=rf.temporal_fast
    )
    assert grating_gain(swapped, 2.0, 180.0, 8.0) > 2.5 * grating_gain(swapped, 2.0, 0.0, 8.0)


@pytest.mark.parametrize("direction", [0.0, 90.0, 225.0])
def test_direction_selectivity_in_simulated_responses(direction):
    """Convolving the sampled kernel with drifting-grating movies (an independent computation)."""
    ppd, fps, sf, ft = 10.0, 200.0, 1.0, 6.0
    field = VisualField(4.1, 4.1, ppd)
    rf = DirectionSelectiveRF.from_gabor(sf, direction, sigma_x=0.4)
    kernel = rf.kernel(ppd, fps, n_sigma=4.0)
    assert kernel.shape[1] <= field.shape[0]
    amplitudes = {}
    for drift in (direction, direction + 180.0, direction + 90.0):
        movie = drifting_grating(
            field, fps, 1.0, spatial_frequency=sf, temporal_frequency=ft, direction=drift
        )
        response = space_time_response(movie.frames, kernel)
        amplitudes[drift] = steady_amplitude(response, movie.times, ft, len(kernel))[0]
        expected = grating_gain(rf, sf, drift, ft) * np.sinc(ft / fps)
        assert amplitudes[drift] == pytest.approx(expected, rel=5e-3, abs=1e-4)
    assert amplitudes[direction] > 2 * amplitudes[direction + 180.0]
    assert amplitudes[direction] > 2 * amplitudes[direction + 90.0]  # orientation tuned too


def test_direction_selective_kernel_is_a_sum_of_separable_products():
    rf = DirectionSelectiveRF.from_gabor(1.5, 60.0)
    k = rf.kernel(10, 100)
    even = SeparableRF(rf.spatial_even, rf.temporal_fast).kernel(10, 100, duration=k.shape[0] / 100)
    odd = SeparableRF(rf.spatial_odd, rf.temporal_slow).kernel(10, 100, duration=k.shape[0] / 100)
    np.testing.assert_allclose(k, even + odd, atol=1e-15)
    assert k.shape[0] == max(rf.temporal_fast.n_taps(100), rf.temporal_slow.n_taps(100))
    # spatial parts of different sizes: the smaller is zero-padded about the centre
    mixed = DirectionSelectiveRF(Gaussian(0.1), Gaussian(0.3), Exponential(0.01), Exponential(0.02))
    km = mixed.kernel(10, 100)
    assert km.shape[1:] == Gaussian(0.3).kernel(10).shape
    assert km[:, 0, 0].tolist() == pytest.approx(
        (
            Exponential(0.02).kernel(100, duration=km.shape[0] / 100)
            * Gaussian(0.3).kernel(10)[0, 0]
        ).tolist()
    )
    assert mixed.direction is None
    assert rf.direction == 60.0
    assert dataclasses.replace(rf, spatial_odd=rf.spatial_even).direction is None


def test_from_gabor_parts():
    rf = DirectionSelectiveRF.from_gabor(
        2.0,
        45.0,
        temporal=(Monophasic(0.01, 3), Monophasic(0.015, 3)),
        sigma_x=0.3,
        sigma_y=0.5,
        amplitude=2.0,
    )
    assert rf.spatial_even == Gabor(2.0, 45.0, 0.0, 0.3, 0.5, 2.0)
    assert rf.spatial_odd == Gabor(2.0, 45.0, 90.0, 0.3, 0.5, 2.0)
    assert rf.temporal_slow == Monophasic(0.015, 3)
    default = DirectionSelectiveRF.from_gabor(2.0)
    assert (default.temporal_fast, default.temporal_slow) == (
        AdelsonBergen(100, 3),
        AdelsonBergen(100, 5),
    )


# --------------------------------------------------------------------------- bad inputs
BAD_NUMBERS = [
    (-1.0, ValueError, "> 0"),
    (0.0, ValueError, "> 0"),
    (math.nan, ValueError, "finite"),
    (math.inf, ValueError, "finite"),
    (True, TypeError, "real number"),
    ("0.01", TypeError, "real number"),
    (None, TypeError, "real number"),
]


@pytest.mark.parametrize(("value", "error", "message"), BAD_NUMBERS)
def test_bad_time_constants(value, error, message):
    with pytest.raises(error, match=rf"`tau`.*{message}"):
        Exponential(value)
    with pytest.raises(error, match=rf"`tau`.*{message}"):
        Monophasic(value)
    with pytest.raises(error, match=rf"`tau2`.*{message}"):
        Biphasic(0.01, value)
    with pytest.raises(error, match=rf"`k`.*{message}"):
        AdelsonBergen(value)


@given(
    value=st.one_of(
        NON_FINITE, st.floats(max_value=0.0), st.floats(min_value=1e4, exclude_min=True)
    )
)
def test_tau_out_of_range_is_refused(value):
    with pytest.raises(ValueError, match="`tau`"):
        Exponential(value)


@pytest.mark.parametrize(
    ("n", "error", "message"),
    [
        (0, ValueError, ">= 1"),
        (101, ValueError, "<= 100"),
        (2.0, TypeError, "integer"),
        (True, TypeError, "integer"),
        ("3", TypeError, "integer"),
    ],
)
def test_bad_stage_counts(n, error, message):
    with pytest.raises(error, match=f"`n` must .*{message}"):
        Monophasic(0.01, n)
    with pytest.raises(error, match=f"`n1` must .*{message}"):
        Biphasic(0.01, 0.02, n1=n)


def test_bad_weights_and_orders():
    with pytest.raises(ValueError, match="`weight` must be >= 0, got -0.5"):
        Biphasic(0.01, 0.02, weight=-0.5)
    with pytest.raises(ValueError, match=r"`weight` must be in \[0, 100\]"):
        Biphasic(0.01, 0.02, weight=1e3)
    with pytest.raises(TypeError, match="`weight` must be a real number"):
        Biphasic(0.01, 0.02, weight=False)
    with pytest.raises(ValueError, match="`n` must be >= 0, got -1"):
        AdelsonBergen(100, -1)
    with pytest.raises(ValueError, match=r"`k` must be in \[0.0001, 1e\+06\] 1/s"):
        AdelsonBergen(1e7)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"frames_per_second": -30.0}, ValueError, "`frames_per_second` must be > 0, got -30.0"),
        ({"frames_per_second": math.nan}, ValueError, "`frames_per_second` must be finite"),
        ({"frames_per_second": math.inf}, ValueError, "`frames_per_second` must be finite"),
        ({"frames_per_second": True}, TypeError, "`frames_per_second` must be a real number"),
        ({"frames_per_second": 1e7}, ValueError, r"`frames_per_second` must be in .* Hz"),
        ({"frames_per_second": 100, "duration": -1.0}, ValueError, "`duration` must be > 0"),
        ({"frames_per_second": 100, "duration": 0.0}, ValueError, "`duration` must be > 0"),
        ({"frames_per_second": 100, "duration": math.nan}, ValueError, "`duration` must be fin"),
        ({"frames_per_second": 100, "duration": math.inf}, ValueError, "`duration` must be fin"),
        ({"frames_per_second": 100, "duration": True}, TypeError, "`duration` must be a real"),
        ({"frames_per_second": 100, "duration": "1s"}, TypeError, "`duration` must be a real"),
    ],
)
def test_bad_kernel_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        Exponential(0.01).kernel(**kwargs)
    rf = SeparableRF(Gaussian(0.2), Exponential(0.01))
    with pytest.raises(error, match=match):
        rf.kernel(10, **kwargs)


def test_bad_times_and_frequencies():
    k = Monophasic(0.01)
    with pytest.raises(ValueError, match="`t` must be finite"):
        k.impulse_response([0.0, math.nan])
    with pytest.raises(ValueError, match="`t` must be finite"):
        k.step_response(math.inf)
    with pytest.raises(TypeError, match="`t` must be a real number"):
        k.impulse_response(True)
    with pytest.raises(TypeError, match="`t` must be a real number"):
        k.impulse_response("0.1")
    with pytest.raises(ValueError, match="`f` must be finite"):
        k.frequency_response(math.nan)
    with pytest.raises(ValueError, match=r"`f` must be in \[-1e\+09, 1e\+09\] Hz"):
        k.frequency_response(1e10)
    with pytest.raises(TypeError, match="`f` must hold numbers"):
        k.frequency_response(np.array([True, False]))
    rf = SeparableRF(Gaussian(0.2), k)
    with pytest.raises(ValueError, match="`ft` must be finite"):
        rf.frequency_response(0.0, 0.0, math.inf)
    with pytest.raises(ValueError, match="`fx`, `fy`, `ft` must broadcast together"):
        rf.frequency_response([1.0, 2.0], [1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="must broadcast together"):
        rf.profile([0.0, 0.1], 0.0, [0.0, 0.1, 0.2])
    # huge arguments are fine where they are allowed: the spectrum underflows to 0
    assert k.frequency_response(1e9) == pytest.approx(0.0, abs=1e-15)
    assert k.impulse_response(1e12) == 0.0


def test_space_time_models_check_their_parts():
    with pytest.raises(TypeError, match="`spatial` must be a ReceptiveField"):
        SeparableRF(Exponential(0.01), Exponential(0.01))
    with pytest.raises(TypeError, match="`temporal` must be a TemporalKernel"):
        SeparableRF(Gaussian(0.2), Gaussian(0.2))
    with pytest.raises(TypeError, match="`spatial_odd` must be a linear RF"):
        DirectionSelectiveRF(Gabor(1.0), ComplexCell(1.0), Exponential(0.01), Exponential(0.02))
    with pytest.raises(TypeError, match="`temporal_slow` must be a TemporalKernel"):
        DirectionSelectiveRF(Gabor(1.0), Gabor(1.0), Exponential(0.01), 0.02)
    with pytest.raises(TypeError, match="`direction` must be a real number"):
        DirectionSelectiveRF.from_gabor(1.0, True)
    with pytest.raises(ValueError, match="`direction` must be finite"):
        DirectionSelectiveRF.from_gabor(1.0, math.nan)
    with pytest.raises(ValueError, match="`temporal` must be a pair"):
        DirectionSelectiveRF.from_gabor(1.0, temporal=(Exponential(0.01),))
    with pytest.raises(TypeError, match="`temporal` must be a pair"):
        DirectionSelectiveRF.from_gabor(1.0, temporal=Exponential(0.01))
    with pytest.raises(TypeError, match=r"`temporal\[1\]` must be a TemporalKernel"):
        DirectionSelectiveRF.from_gabor(1.0, temporal=(Exponential(0.01), "slow"))
    with pytest.raises(ValueError, match="`spatial_frequency` must be > 0"):
        DirectionSelectiveRF.from_gabor(-1.0)


def test_models_are_frozen():
    k = Monophasic(0.01)
    with pytest.raises(dataclasses.FrozenInstanceError):
        k.tau = 0.02
    assert dataclasses.replace(k, n=4) == Monophasic(0.01, 4)
    with pytest.raises(ValueError, match="`n` must be <= 100"):
        dataclasses.replace(k, n=1000)
    assert isinstance(k, TemporalKernel)
    assert Monophasic(1, 2).tau == 1.0 and isinstance(Monophasic(1, 2).tau, float)


# --------------------------------------------------------------------------- memory
def test_huge_kernels_are_refused_before_allocating(small_budget):
    slow = Monophasic(1e4, 100)  # support ~1.5e6 s
    refused_cheaply(lambda: slow.kernel(1e6), match="taps of Monophasic")
    refused_cheaply(lambda: Exponential(0.01).kernel(1e6, duration=1e9), match="over the memory")
    rf = SeparableRF(Gaussian(0.5), Monophasic(0.05, 5))
    refused_cheaply(lambda: rf.kernel(100, 1000), match="space-time kernel of SeparableRF")
    ds = DirectionSelectiveRF.from_gabor(0.5, 0.0)
    refused_cheaply(lambda: ds.kernel(100, 1e4), match="space-time kernel of DirectionSelectiveRF")
    with budget("1G"):
        assert ds.kernel(10, 100).ndim == 3


def test_memory_error_is_a_cortex_budget_error():
    with budget(1024), pytest.raises(cortex.MemoryBudgetError):
        Exponential(0.01).kernel(1e5)

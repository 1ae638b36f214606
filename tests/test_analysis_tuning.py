"""Tests of cortex.analysis.tuning against analytic spectra and closed forms."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortex import (
    Gabor,
    Mosaic,
    NakaRushton,
    VisualField,
)
from cortex import analysis as A
from cortex.analysis import tuning

# an odd number of pixels: (0, 0) deg is a pixel centre, so the RF sits exactly there
FIELD = VisualField(2.05, 2.05, pixels_per_degree=20)  # 41 x 41 px
SMALL = VisualField(1.2, 1.2, pixels_per_degree=20)  # 24 x 24 px = 576 pixels


def one_neuron(rf, field=FIELD):
    return (rf, Mosaic(field, [[0.0, 0.0]]))


def spectrum_amplitude(rf, f, orientation_deg):
    """|H| of the RF's analytic Fourier transform at frequency f along the given directions."""
    t = np.deg2rad(orientation_deg)
    return np.abs(rf.frequency_response(f * np.cos(t), f * np.sin(t)))


def hwhh_of(x, r):
    """Half width at half height of a finely sampled single-peaked curve (brute force)."""
    half = r.min() + (r.max() - r.min()) / 2
    above = x[r >= half]
    return (above.max() - above.min()) / 2


@settings(deadline=None, max_examples=10)
@given(orientation=st.floats(0, 179), sf=st.floats(2.0, 4.0))
def test_orientation_tuning_matches_the_analytic_spectrum(orientation, sf):
    g = Gabor(sf, orientation=orientation)
    values = np.arange(0, 180, 2.5)
    curve = A.tuning_curve(
        one_neuron(g),
        "orientation",
        values,
        spatial_frequency=sf,
        orientation=0.0,
        nonlinearity=None,
        statistic="f1",
    )
    # linear neuron: the F1 over phase is the spectrum's amplitude at (sf, theta)
    expected = spectrum_amplitude(g, sf, values)
    np.testing.assert_allclose(curve.responses[:, 0], expected, atol=0.02 * expected.max())
    pref = curve.preferred()[0]
    assert abs((pref - orientation + 90) % 180 - 90) < 1.0
    fine = np.arange(orientation - 90, orientation + 90, 0.01)
    analytic = hwhh_of(fine, spectrum_amplitude(g, sf, fine))
    assert curve.bandwidth()[0] == pytest.approx(analytic, abs=0.6)
    assert curve.orientation_selectivity_index()[0] > 0.95


def test_spatial_frequency_tuning_peak_and_octave_bandwidth():
    g = Gabor(2.5, orientation=20.0)
    values = np.geomspace(0.4, 9.0, 60)
    curve = A.tuning_curve(
        one_neuron(g),
        "spatial_frequency",
        values,
        orientation=20.0,
        nonlinearity=None,
        statistic="f1",
    )
    assert curve.preferred()[0] == pytest.approx(2.5, rel=0.02)
    # analytic: octaves between the half-height frequencies of |H| along the orientation
    f = np.geomspace(0.4, 9.0, 20000)
    amp = spectrum_amplitude(g, f, np.full(f.size, 20.0))
    half = amp.min() + (amp.max() - amp.min()) / 2
    inside = f[amp >= half]
    assert curve.bandwidth()[0] == pytest.approx(math.log2(inside.max() / inside.min()), abs=0.05)
    assert curve.summary()["bandwidth_octaves"][0] == pytest.approx(curve.bandwidth()[0])


def test_osi_circular_variance_and_hwhh_closed_forms():
    theta = np.arange(0, 180, 5.0)
    r = 1 + np.cos(np.deg2rad(2 * (theta - 60)))  # 0 at the orthogonal orientation
    curve = A.TuningCurve("orientation", theta, r[:, None], {}, "mean", ("u",))
    assert curve.preferred()[0] == pytest.approx(60, abs=0.2)
    assert curve.orientation_selectivity_index()[0] == pytest.approx(1.0)
    assert curve.circular_variance()[0] == pytest.approx(0.5)  # 1 - (n/2) / n
    assert curve.bandwidth()[0] == pytest.approx(45.0, abs=0.5)  # cos(2 d) = 0
    flat = A.TuningCurve("orientation", theta, np.ones((theta.size, 1)), {}, "mean", ("u",))
    assert flat.silent[0]
    assert np.isnan(flat.circular_variance()[0])


def test_preferred_grating_search_finds_the_gabor():
    best = A.preferred_grating(one_neuron(Gabor(3.0, orientation=110.0)))
    assert best["orientation"] == pytest.approx(110.0, abs=1.5)
    assert best["spatial_frequency"] == pytest.approx(3.0, rel=0.06)


def test_phase_tuning_and_modulation_ratio_separate_simple_and_complex_cells():
    from cortex import ComplexCell

    phases = np.arange(0, 360, 15.0)
    simple = A.tuning_curve(
        one_neuron(Gabor(2.0)), "phase", phases, spatial_frequency=2.0, orientation=0.0
    )
    assert simple.preferred()[0] == pytest.approx(0.0, abs=2.0)  # even Gabor: bright bar at 0
    assert simple.bandwidth()[0] > 0
    ori = np.arange(0, 180, 10.0)
    s = A.tuning_curve(one_neuron(Gabor(2.0)), "orientation", ori, spatial_frequency=2.0)
    c = A.tuning_curve(one_neuron(ComplexCell(2.0)), "orientation", ori, spatial_frequency=2.0)
    assert s.modulation_ratio[0] > 1 > c.modulation_ratio[0]
    assert c.preferred()[0] == pytest.approx(0.0, abs=1.0)


def test_contrast_tuning_recovers_the_naka_rushton_c50():
    g = Gabor(2.0)
    gain = float(g.frequency_response(2.0, 0.0).real)  # response to a contrast-1 grating
    curve = A.tuning_curve(
        one_neuron(g),
        "contrast",
        np.geomspace(0.01, 1.0, 15),
        orientation=0.0,
        spatial_frequency=2.0,
        n_phases=1,
        phase=0.0,
        nonlinearity=["rectify", NakaRushton(c50=0.15, exponent=2.0)],
    )
    (fit,) = curve.contrast_fit()
    assert fit.converged
    # the neuron saturates at linear drive 0.15, i.e. at contrast 0.15 / gain
    assert fit.c50 == pytest.approx(0.15 / gain, rel=0.02)
    assert fit.exponent == pytest.approx(2.0, rel=0.02)
    summary = curve.summary()
    assert summary["c50"][0] == pytest.approx(fit.c50)
    assert "preferred" not in summary


@settings(deadline=None, max_examples=20)
@given(c50=st.floats(0.05, 0.6), n=st.floats(1.0, 4.0), r_max=st.floats(0.5, 50))
def test_naka_rushton_fit_recovers_its_parameters(c50, n, r_max):
    c = np.geomspace(0.01, 1.0, 16)
    r = r_max * c**n / (c**n + c50**n) + 0.3
    fit = A.fit_naka_rushton(c, r)
    assert fit.converged
    assert fit.c50 == pytest.approx(c50, rel=1e-3)
    assert fit.exponent == pytest.approx(n, rel=1e-3)
    assert fit.r2 > 0.999999


def test_naka_rushton_fit_that_cannot_converge_says_so():
    c = np.linspace(0.0, 1.0, 10)
    with pytest.warns(RuntimeWarning, match="did not converge"):
        fit = A.fit_naka_rushton(c, 3 * c)  # never saturates: c50 runs to its bound
    assert not fit.converged


def test_silent_neuron_gives_nan_with_a_warning():
    def silence(r):
        return np.zeros_like(r)

    with pytest.warns(RuntimeWarning, match="never respond"):
        curve = A.tuning_curve(
            one_neuron(Gabor(2.0)),
            "orientation",
            np.arange(0, 180, 30.0),
            spatial_frequency=2.0,
            orientation=0.0,
            nonlinearity=silence,
        )
    assert np.isnan(curve.preferred()[0])
    assert np.isnan(curve.bandwidth()[0])
    assert np.isnan(curve.orientation_selectivity_index()[0])
    summary = curve.summary()
    assert summary["preferred"] == [None] and summary["hwhh_deg"] == [None]


def test_bandwidth_is_nan_when_the_curve_does_not_fall_to_half_height():
    sf = np.geomspace(1.0, 1.5, 8)  # a sliver around the peak
    curve = A.tuning_curve(
        one_neuron(Gabor(2.0)),
        "spatial_frequency",
        sf,
        orientation=0.0,
        nonlinearity=None,
        statistic="f1",
    )
    assert np.isnan(curve.bandwidth()[0])


def test_varied_parameter_needs_no_fixed_value(monkeypatch):
    def no_search(*args, **kwargs):
        raise AssertionError("the preferred-grating search ran")

    monkeypatch.setattr(tuning, "preferred_grating_search", no_search)
    curve = A.tuning_curve(
        one_neuron(Gabor(2.0)), "spatial_frequency", [1.0, 2.0, 4.0], orientation=0.0
    )
    assert curve.grating == {"orientation": 0.0, "contrast": 1.0}
    assert curve.responses[1, 0] == curve.responses.max()


def test_bad_tuning_arguments_get_clear_errors():
    target = one_neuron(Gabor(2.0))
    values = np.arange(0, 180, 30.0)
    with pytest.raises(ValueError, match="`parameter` must be one of"):
        A.tuning_curve(target, "colour", values)
    with pytest.raises(ValueError, match="`statistic` must be one of"):
        A.tuning_curve(target, "orientation", values, statistic="median")
    with pytest.raises(ValueError, match="must not be empty"):
        A.tuning_curve(target, "orientation", [])
    with pytest.raises(ValueError, match="must be finite"):
        A.tuning_curve(target, "orientation", [0.0, np.nan])
    with pytest.raises(ValueError, match=r"`values` must be in \(0, 10\] cycles/deg, got 0"):
        A.tuning_curve(target, "spatial_frequency", [0.0, 1.0])
    with pytest.raises(ValueError, match=r"`values` must be in \[0, 1e\+06\], got -0.1"):
        A.tuning_curve(target, "contrast", [-0.1, 1.0])
    with pytest.raises(ValueError, match="needs a orientation tuning curve|needs an"):
        A.tuning_curve(
            target, "phase", values, spatial_frequency=2.0, orientation=0.0
        ).orientation_selectivity_index()


# -- numeric honesty: silent units, degenerate fits, the argument to blame ----------------------
def silence(r):
    return np.zeros_like(r)


def test_preferred_grating_of_a_silent_unit_is_nan_with_a_warning():
    with pytest.warns(RuntimeWarning, match="never respond to gratings .*no preferred grating"):
        best = A.preferred_grating(one_neuron(Gabor(2.0)), nonlinearity=silence)
    assert math.isnan(best["orientation"]) and math.isnan(best["spatial_frequency"])


def test_preferred_grating_names_the_silent_units_of_a_population():
    mosaic = Mosaic(FIELD, [[0.0, 0.0], [0.2, 0.0]])
    with pytest.warns(RuntimeWarning, match=r"1 of 2 unit\(s\) never respond .*\(neuron 1\)"):
        best = A.preferred_grating(
            (Gabor(3.0, orientation=110.0), mosaic), nonlinearity=lambda r: r * np.array([1.0, 0.0])
        )
    assert best["orientation"] == pytest.approx(110.0, abs=1.5)


def test_tuning_a_silent_unit_without_a_fixed_grating_is_nan_and_says_so():
    with pytest.warns(RuntimeWarning) as record:
        curve = A.tuning_curve(
            one_neuron(Gabor(2.0)), "orientation", [0.0, 60.0, 120.0], nonlinearity=silence
        )
    messages = " | ".join(str(w.message) for w in record)
    assert (
        "no preferred grating" in messages and "preferred value and bandwidth are NaN" in messages
    )
    assert np.isnan(curve.preferred()[0])
    assert np.isfinite(curve.grating["spatial_frequency"])  # what was held fixed, stated


def test_a_list_where_a_number_is_expected_names_the_argument():
    target = one_neuron(Gabor(2.0))
    with pytest.raises(TypeError, match="`orientation` must be a real number, got \\[30\\]"):
        A.tuning_curve(target, "spatial_frequency", [1.0, 2.0], orientation=[30])
    with pytest.raises(TypeError, match="`spatial_frequency` must be a real number"):
        A.tuning_curve(target, "orientation", [0.0], spatial_frequency=True)
    with pytest.raises(TypeError, match="`contrast` must be a real number"):
        A.tuning_curve(target, "orientation", [0.0], spatial_frequency=2.0, contrast="1")


def test_an_extreme_spatial_frequency_is_blamed_with_its_nyquist_range():
    target = one_neuron(Gabor(2.0))  # 20 px/deg: Nyquist 10 cycles/deg
    nyquist = r"must be in \(0, 10\] cycles/deg, got 1e\+308 .*Nyquist"
    with pytest.raises(ValueError, match="`spatial_frequency` " + nyquist):
        A.tuning_curve(target, "orientation", [0.0, 90.0], spatial_frequency=1e308)
    with pytest.raises(ValueError, match="`values` " + nyquist):
        A.tuning_curve(target, "spatial_frequency", [1.0, 1e308], orientation=0.0)
    with pytest.raises(ValueError, match=r"`spatial_frequency` must be in \(0, 10\]"):
        A.tuning_curve(target, "orientation", [0.0], spatial_frequency=10.5)
    with pytest.raises(ValueError, match=r"`contrast` must be in \[0, 1e\+06\], got 1e\+300"):
        A.tuning_curve(target, "orientation", [0.0], spatial_frequency=2.0, contrast=1e300)
    with pytest.raises(ValueError, match=r"`values` must be in \[-1e\+06, 1e\+06\] deg"):
        A.tuning_curve(target, "orientation", [0.0, 1e300], spatial_frequency=2.0)


def test_responses_that_overflow_are_refused_not_returned():
    with pytest.raises(ValueError, match="responses of neuron 0 to the gratings are not finite"):
        A.tuning_curve(
            one_neuron(Gabor(2.0)),
            "orientation",
            [0.0, 90.0],
            spatial_frequency=2.0,
            nonlinearity=lambda r: r + np.inf,
        )


def test_degenerate_naka_rushton_data_get_a_clear_error():
    c = np.geomspace(0.01, 1.0, 8)
    with pytest.raises(ValueError, match="`response` is constant"):
        A.fit_naka_rushton(c, np.full(8, 2.0))
    with pytest.raises(ValueError, match="`response` is constant"):
        A.fit_naka_rushton(c, np.zeros(8))
    with pytest.raises(ValueError, match="`contrast` must hold >= 4 distinct values"):
        A.fit_naka_rushton([0.1, 0.1, 0.2, 0.2, 0.3], [1, 1, 2, 2, 3])
    with pytest.raises(ValueError, match=r"`contrast` must be in \[0, 1e\+20\]"):
        A.fit_naka_rushton(np.geomspace(1, 1e300, 6), np.arange(6.0))


def test_naka_rushton_fit_at_extreme_but_accepted_magnitudes_is_finite_and_scales():
    c = np.geomspace(0.01, 1.0, 12)
    r = 10 * c**2 / (c**2 + 0.2**2) + 1.0
    base = A.fit_naka_rushton(c, r)
    for gain in (1e-300, 1e150):  # responses scaled: the same fit, scaled
        fit = A.fit_naka_rushton(c, r * gain)
        assert fit.c50 == pytest.approx(base.c50, rel=1e-9)
        assert fit.r_max == pytest.approx(base.r_max * gain, rel=1e-9)
        assert fit.r2 == pytest.approx(base.r2, rel=1e-9)
    fit = A.fit_naka_rushton(c * 1e19, r)  # contrasts at the top of the range
    assert fit.c50 == pytest.approx(0.2e19, rel=1e-6) and np.isfinite(fit(c * 1e19)).all()


def test_repeated_values_give_a_finite_preference():
    curve = A.TuningCurve(
        "orientation",
        np.array([30.0, 30.0, 30.0]),
        np.array([[1.0], [2.0], [1.5]]),
        {},
        "mean",
        ("u",),
    )
    assert curve.preferred()[0] == 30.0

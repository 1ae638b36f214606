"""Bad input to cortex.analysis is refused clearly; accepted input gives finite output.

Hypothesis draws bad values (wrong types, booleans, strings, wrong shapes, NaN and
infinities, empty arrays, magnitudes out of range) for every argument of every
public function, method and constructor of :mod:`cortex.analysis`, and checks
that each is refused with a TypeError or ValueError whose message names the
argument.  Then it draws accepted values and checks that the outputs are
finite (NaN only where documented: silent units, with a RuntimeWarning).
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cortex import Gabor, Mosaic, Population, VisualField
from cortex import analysis as A
from cortex.movies import Movie
from cortex.nn import Conv2D, ReLU, Sequential
from cortex.spikes import SpikeTrains
from cortex.temporal import DirectionSelectiveRF, Monophasic, SeparableRF

FIELD = VisualField(0.6, 0.6, pixels_per_degree=20)  # 12 x 12 px, Nyquist 10 cycles/deg
TARGET = (Gabor(8.0), Mosaic(FIELD, [[0.0, 0.0]]))
MODEL = Sequential([Conv2D(1, 2, 3, seed=0, dtype="float64"), ReLU()])

NAN, INF = math.nan, math.inf
# -- bad values -------------------------------------------------------------------------------
NOT_A_NUMBER = st.sampled_from(
    [None, True, False, np.True_, "1", "abc", b"1", [1.0], (1.0,), {}, 1j, np.ones(1), object()]
)
NOT_AN_INT = NOT_A_NUMBER | st.sampled_from([2.0, 2.5, np.float64(3.0), NAN])
NOT_A_BOOL = st.sampled_from([None, 0, 1, 1.0, "yes", "no", "True", [True], np.ones(1)])
NOT_A_STRING = st.sampled_from([None, 1, 1.0, True, ["sta"], b"sta", object()])
NOT_A_FIELD = st.sampled_from(["field", 1.0, True, (0.6, 0.6, 20), [12, 12], object()])
NON_FINITE = st.sampled_from([NAN, INF, -INF, np.float64(NAN)])


def reals(low=None, high=None, *, low_open=False, nan_ok=False, none_ok=False):
    """Bad values for a real argument accepted in [low, high] ((low, high] if low_open)."""
    types = NOT_A_NUMBER.filter(lambda v: v is not None) if none_ok else NOT_A_NUMBER
    bad = [types, st.sampled_from([INF, -INF]) if nan_ok else NON_FINITE]
    if low is not None:
        top = low if low_open else math.nextafter(low, -INF)
        bad.append(st.floats(max_value=top, allow_nan=False, allow_infinity=False))
    if high is not None:
        bottom = math.nextafter(high, INF)
        bad.append(st.floats(min_value=bottom, allow_nan=False, allow_infinity=False))
    return st.one_of(bad)


def ints(minimum):
    return NOT_AN_INT | st.integers(max_value=minimum - 1)


def choices(accepted):
    return NOT_A_STRING | st.text(max_size=12).filter(lambda s: s not in accepted)


def arrays(good, ndims, *, nan_ok=False, inf_ok=False, none_ok=False, also=()):
    """Bad values for an array argument of which ``good`` is an accepted example."""
    good = np.asarray(good, dtype=float)
    junk = [] if none_ok else [None]
    junk += [
        "abc",
        object(),
        [[1.0], [1.0, 2.0]],
        {"a": 1.0},
        good.astype(bool),
        good.astype(str),
        good * 1j,
        np.full(good.shape, "x", dtype=object),
    ]
    wrong_ndim = [np.ones((2,) * k) for k in range(6) if k not in ndims]
    empty = [np.zeros((0,) + good.shape[1:])] if good.ndim else []
    special = [v for v, ok in ((NAN, nan_ok), (INF, inf_ok), (-INF, inf_ok)) if not ok]

    def spoil(index, value):
        out = good.copy().ravel()
        out[index % out.size] = value
        return out.reshape(good.shape)

    options = [st.sampled_from(junk + wrong_ndim + empty + list(also))]
    if special:
        options.append(st.builds(spoil, st.integers(0, 10**6), st.sampled_from(special)))
    return st.one_of(options)


PAIRS = st.sampled_from(
    [
        None,
        "ab",
        1.0,
        True,
        (1.0,),
        (1.0, 2.0, 3.0),
        ("a", 1.0),
        (True, 1.0),
        (NAN, 0.0),
        (0.0, INF),
        object(),
    ]
)
SHAPES = st.sampled_from(
    [None, "ab", 5, (5,), (5, 5, 5), (0, 5), (-1, 3), (2.5, 3), (True, 3), ("a", 3)]
)
ANY_LABELS = [None, "u", 1, [1], (), ("u", 2), {"u": 1}]
LABELS = st.sampled_from([*ANY_LABELS, ["u", "v"]])  # one label per unit
TARGETS = st.sampled_from([None, "V1", 3, 2.5, True, [1], object(), (1, 2, 3)])
NEURONS = st.sampled_from([True, 1.5, "0", [0.5], [[0]], [], [True], [5], [-1], object()])
SEEDS = st.sampled_from([True, 1.5, "1", [1], -1, object()])
GRATINGS = st.sampled_from(
    [None, "a", [1.0], {"colour": 1.0}, {"orientation": "x"}, {"orientation": NAN}, {1: 2.0}]
)


def respond(images):
    return np.zeros((len(images), 1))


def linear_map():
    return np.zeros((1, 12, 12))


# -- the valid call of each entry point, and each argument's bad values --------------------------
NR = dict(r_max=1.0, c50=0.2, exponent=2.0, baseline=0.0, r2=0.99, converged=True)
REGION = dict(center=(0.0, 0.0), area=1.0, diameter=1.1, sign=1)
GAUSS = dict(
    center=(0.0, 0.0),
    sigma_major=0.3,
    sigma_minor=0.2,
    angle=10.0,
    amplitude=1.0,
    offset=0.0,
    r2=0.9,
    converged=True,
)
GABOR = dict(
    center=(0.0, 0.0),
    orientation=30.0,
    spatial_frequency=2.0,
    phase=0.0,
    sigma_x=0.2,
    sigma_y=0.3,
    amplitude=1.0,
    offset=0.0,
    r2=0.9,
    converged=True,
)
CURVE = dict(
    parameter="orientation",
    values=[0.0, 90.0],
    responses=[[1.0], [2.0]],
    grating={"spatial_frequency": 2.0},
    statistic="mean",
    labels=("u",),
    modulation_ratio=None,
)
ESTIMATE = dict(
    maps=np.zeros((1, 12, 12)),
    field=FIELD,
    method="sta",
    n_stimuli=10,
    noise="white",
    labels=("u",),
)
UNIT = dict(field=FIELD, labels=("u",), respond=respond, linear_map=linear_map)
KERNEL = Gabor(2.0).kernel(16)
HUGE = KERNEL / np.abs(KERNEL).max() * 1e301  # beyond the 1e300 a fit accepts
TUNE = dict(
    target=TARGET,
    parameter="orientation",
    values=[0.0, 90.0],
    orientation=0.0,
    spatial_frequency=8.0,
    n_phases=2,
)
STA = dict(target=TARGET, n_stimuli=3)
CONVERGE = dict(target=TARGET, sample_counts=[2, 3])
NR_DATA = dict(contrast=np.geomspace(0.01, 1, 6), response=np.arange(6.0))
PRF_FIT = dict(x=0.1, y=-0.1, sigma=0.2, gain=1.0, r2=0.9, scatter=0.05)
PRF_FIT_OBJ = A.PRFFit(**PRF_FIT)
SWEEP = dict(field=FIELD, width=0.2, step=0.1)
_FRAMES = A.bar_sweep(FIELD, width=0.2, step=0.1)
PRF_DATA = dict(
    field=FIELD, images=_FRAMES, response=_FRAMES.sum(axis=(1, 2)) + np.arange(len(_FRAMES))
)
VOXEL = dict(
    population=Population(Gabor(8.0), Mosaic(FIELD, [[0.0, 0.0]])),
    images=_FRAMES,
    center=(0.0, 0.0),
    radius=0.1,
)
EXPERIMENT = dict(population=VOXEL["population"], voxels=[[0.0, 0.0]], radius=0.1, bar_width=0.2)

# the analysis in time: gratings drifting on a 16 x 16 px field (Nyquist 4 cycles/deg) at 50
# frames/s (Nyquist 25 Hz), one cycle of 10 Hz analysed
MFIELD = VisualField(2.0, 2.0, pixels_per_degree=8)
SEPARABLE = SeparableRF(Gabor(2.0), Monophasic(0.01, 3))
TF_TUNE = dict(
    rf=SEPARABLE,
    field=MFIELD,
    frequencies=[10.0],
    spatial_frequency=2.0,
    frames_per_second=50.0,
    duration=0.1,
)
DIR_TUNE = dict(
    rf=DirectionSelectiveRF.from_gabor(2.0),
    field=MFIELD,
    directions=[0.0, 180.0],
    spatial_frequency=2.0,
    temporal_frequency=10.0,
    frames_per_second=50.0,
    duration=0.1,
)
MOVIE = Movie(np.zeros((6, 2, 2)), frames_per_second=10.0, field=VisualField(0.5, 0.5, 4))
STA_IN = dict(spikes_or_rates=np.ones((6, 1)), movie=MOVIE, n_lags=2)
TF_RESULT = dict(
    frequencies=[1.0, 2.0],
    mean=[[0.0], [0.0]],
    f1=[[1.0], [2.0]],
    spatial_frequency=2.0,
    direction=0.0,
    frames_per_second=10.0,
)
DIR_RESULT = dict(
    directions=[0.0, 180.0],
    mean=[[1.0], [2.0]],
    f1=[[1.0], [2.0]],
    spatial_frequency=2.0,
    temporal_frequency=4.0,
)
SPACE_TIME_RFS = st.sampled_from(
    [None, "rf", 3, [], [None], Gabor(2.0), (SEPARABLE, "x"), Monophasic(0.01)]
)
MOSAICS = st.sampled_from(["m", 3, [[0.0, 0.0]], MFIELD, Mosaic(FIELD, [[0.0, 0.0]])])
NONLINEARITIES = st.sampled_from(["bogus", 3, True, Monophasic])


def real_arrays_only(strategy):
    """Drop the complex arrays of ``strategy``: x-t slices of complex kernels are accepted."""
    return strategy.filter(lambda v: not (isinstance(v, np.ndarray) and v.dtype.kind == "c"))


def case(fn, valid, name, strategy):
    return pytest.param(fn, valid, name, strategy, id=f"{getattr(fn, '__name__', fn)}-{name}")


def method(obj, name):
    def call(**kwargs):
        return getattr(obj, name)(**kwargs)

    call.__name__ = f"{type(obj).__name__}.{name}"
    return call


CASES = [
    # constructors of the results
    *[case(A.NakaRushtonFit, NR, n, reals()) for n in ("r_max", "baseline")],
    *[case(A.NakaRushtonFit, NR, n, reals(0.0, low_open=True)) for n in ("c50", "exponent")],
    case(A.NakaRushtonFit, NR, "r2", reals(nan_ok=True)),
    case(A.NakaRushtonFit, NR, "converged", NOT_A_BOOL),
    case(A.HalfMaxRegion, REGION, "center", PAIRS),
    *[case(A.HalfMaxRegion, REGION, n, reals(0.0)) for n in ("area", "diameter")],
    case(A.HalfMaxRegion, REGION, "sign", NOT_AN_INT | st.integers().filter(lambda v: v**2 != 1)),
    case(A.GaussianFit, GAUSS, "center", PAIRS),
    *[
        case(A.GaussianFit, GAUSS, n, reals(0.0, low_open=True))
        for n in ("sigma_major", "sigma_minor")
    ],
    *[case(A.GaussianFit, GAUSS, n, reals()) for n in ("angle", "amplitude", "offset")],
    case(A.GaussianFit, GAUSS, "r2", reals(nan_ok=True)),
    case(A.GaussianFit, GAUSS, "converged", NOT_A_BOOL),
    case(A.GaborFit, GABOR, "center", PAIRS),
    *[case(A.GaborFit, GABOR, n, reals()) for n in ("orientation", "phase", "offset")],
    *[case(A.GaborFit, GABOR, n, reals(0.0)) for n in ("spatial_frequency", "amplitude")],
    *[case(A.GaborFit, GABOR, n, reals(0.0, low_open=True)) for n in ("sigma_x", "sigma_y")],
    case(A.GaborFit, GABOR, "r2", reals(nan_ok=True)),
    case(A.GaborFit, GABOR, "converged", NOT_A_BOOL),
    case(A.TuningCurve, CURVE, "parameter", choices(A.PARAMETERS)),
    case(A.TuningCurve, CURVE, "statistic", choices(A.STATISTICS)),
    case(A.TuningCurve, CURVE, "values", arrays([0.0, 90.0], (1,), also=[[0.0, 1e300]])),
    case(A.TuningCurve, CURVE, "responses", arrays([[1.0], [2.0]], (2,), also=[np.ones((3, 1))])),
    case(A.TuningCurve, CURVE, "grating", GRATINGS),
    case(A.TuningCurve, CURVE, "labels", LABELS),
    case(
        A.TuningCurve,
        CURVE,
        "modulation_ratio",
        arrays([1.0], (1,), nan_ok=True, inf_ok=True, none_ok=True, also=[np.ones(3)]),
    ),
    case(
        A.RFEstimate,
        ESTIMATE,
        "maps",
        arrays(np.zeros((1, 12, 12)), (3,), nan_ok=True, also=[np.zeros((1, 5, 5))]),
    ),
    case(A.RFEstimate, ESTIMATE, "field", NOT_A_FIELD | st.just(None)),
    case(A.RFEstimate, ESTIMATE, "method", choices(A.RF_METHODS)),
    case(A.RFEstimate, ESTIMATE, "noise", choices(A.NOISES)),
    case(A.RFEstimate, ESTIMATE, "n_stimuli", ints(2)),
    case(A.RFEstimate, ESTIMATE, "labels", LABELS),
    case(A.Unit, UNIT, "field", NOT_A_FIELD | st.just(None)),
    case(A.Unit, UNIT, "labels", st.sampled_from(ANY_LABELS)),
    *[
        case(A.Unit, UNIT, n, st.sampled_from([None, 1, "f", [respond]]))
        for n in ("respond", "linear_map")
    ],
    # methods
    case(
        method(A.NakaRushtonFit(**NR), "__call__"),
        {},
        "contrast",
        arrays([0.1, 0.5], (0, 1, 2, 3, 4, 5), also=[[-1.0, 0.5]]),
    ),
    case(method(A.GaborFit(**GABOR), "evaluate"), {"shape": (5, 5)}, "shape", SHAPES),
    case(
        method(A.GaborFit(**GABOR), "evaluate"),
        {"shape": (5, 5)},
        "pixels_per_degree",
        reals(1e-6, 1e6),
    ),
    case(
        method(A.GaborFit(**GABOR), "to_receptive_field"), {}, "pixels_per_degree", reals(1e-6, 1e6)
    ),
    case(
        method(A.as_unit(TARGET), "__call__"),
        {},
        "images",
        arrays(np.zeros((2, 12, 12)), (2, 3), also=[np.zeros((2, 5, 5))]),
    ),
    # targets
    *[
        case(fn, {"target": TARGET}, "target", TARGETS)
        for fn in (A.as_unit, A.linear_receptive_field)
    ],
    *[
        case(fn, {"target": TARGET}, "field", NOT_A_FIELD)
        for fn in (A.as_unit, A.linear_receptive_field)
    ],
    *[
        case(fn, {"target": TARGET}, "neurons", NEURONS)
        for fn in (A.as_unit, A.linear_receptive_field)
    ],
    case(A.as_unit, {"target": TARGET}, "nonlinearity", st.sampled_from(["bogus", 3, True])),
    case(
        lambda layer: A.as_unit((MODEL, layer, 0), field=FIELD),
        {},
        "layer",
        NOT_AN_INT | st.sampled_from([2, -3, 10**9]),
    ),
    case(
        lambda channel: A.as_unit((MODEL, 0, channel), field=FIELD),
        {},
        "channel",
        NOT_AN_INT | st.sampled_from([2, -1]),
    ),
    case(
        lambda position: A.as_unit((MODEL, 0, 0, position), field=FIELD),
        {},
        "position",
        st.sampled_from([(True, 0), (0.5, 0), ("a", 0), (99, 0), (-1, 0), 5, "ab", (1, 2, 3)]),
    ),
    # tuning
    case(A.tuning_curve, TUNE, "target", TARGETS),
    case(A.tuning_curve, TUNE, "parameter", choices(A.PARAMETERS)),
    case(A.tuning_curve, TUNE, "values", arrays([0.0, 90.0], (1,), also=[[0.0, -1e7]])),
    case(
        A.tuning_curve,
        {**TUNE, "parameter": "spatial_frequency"},
        "values",
        arrays([1.0, 2.0], (1,), also=[[0.0, 1.0], [1.0, 10.5], [-1.0], [1e308]]),
    ),
    case(
        A.tuning_curve,
        {**TUNE, "parameter": "contrast"},
        "values",
        arrays([0.0, 1.0], (1,), also=[[-0.1], [1e7]]),
    ),
    case(A.tuning_curve, TUNE, "field", NOT_A_FIELD),
    case(A.tuning_curve, TUNE, "neurons", NEURONS),
    case(A.tuning_curve, TUNE, "orientation", reals(-1e6, 1e6, none_ok=True)),
    case(
        A.tuning_curve,
        TUNE,
        "spatial_frequency",
        reals(0.0, 10.0, low_open=True, none_ok=True),
    ),
    case(A.tuning_curve, TUNE, "phase", reals(-1e6, 1e6)),
    case(A.tuning_curve, TUNE, "contrast", reals(0.0, 1e6)),
    case(A.tuning_curve, TUNE, "n_phases", ints(1)),
    case(A.tuning_curve, TUNE, "statistic", choices(A.STATISTICS)),
    case(A.preferred_grating, {"target": TARGET}, "target", TARGETS),
    case(A.preferred_grating, {"target": TARGET}, "neurons", NEURONS),
    case(A.preferred_grating, {"target": TARGET}, "field", NOT_A_FIELD),
    case(A.preferred_grating, {"target": TARGET}, "n_phases", ints(1)),
    case(
        A.fit_naka_rushton,
        NR_DATA,
        "contrast",
        arrays(
            NR_DATA["contrast"],
            (1,),
            also=[[-1.0, 0.1, 0.2, 0.3, 0.4, 0.5], np.geomspace(1, 1e21, 6), [0.1] * 6],
        ),
    ),
    case(
        A.fit_naka_rushton,
        NR_DATA,
        "response",
        arrays(NR_DATA["response"], (1,), also=[np.ones(6), np.arange(6.0) * 1e201]),
    ),
    # mapping
    case(A.spike_triggered_average, STA, "target", TARGETS),
    case(A.spike_triggered_average, STA, "n_stimuli", ints(2)),
    case(A.spike_triggered_average, STA, "method", choices(A.RF_METHODS)),
    case(A.spike_triggered_average, STA, "noise", choices(A.NOISES)),
    case(A.spike_triggered_average, STA, "contrast", reals(1e-6, 1e6)),
    case(A.spike_triggered_average, STA, "alpha", reals(0.0, 1e6)),
    case(A.spike_triggered_average, STA, "batch_size", ints(1)),
    case(A.spike_triggered_average, STA, "seed", SEEDS),
    case(A.spike_triggered_average, STA, "neurons", NEURONS),
    case(
        A.rf_mapping_convergence,
        CONVERGE,
        "sample_counts",
        st.sampled_from(
            [
                None,
                "ab",
                5,
                [],
                [1, 2],
                [3, 2],
                [2.0, 3.0],
                [True, False],
                [[2, 3]],
                [2, 2],
                [-5, 3],
            ]
        ),
    ),
    case(
        A.rf_mapping_convergence,
        CONVERGE,
        "reference",
        arrays(
            np.ones((1, 12, 12)),
            (2, 3),
            none_ok=True,
            also=[np.ones((2, 12, 12)), np.ones((5, 5))],
        ),
    ),
    case(A.rf_mapping_convergence, CONVERGE, "contrast", reals(1e-6, 1e6)),
    case(A.rf_mapping_convergence, CONVERGE, "seed", SEEDS),
    *[
        case(
            A.map_correlation,
            {"estimate": np.ones((2, 3)), "reference": np.ones((2, 3))},
            n,
            arrays(np.ones((2, 3)), (2, 3), nan_ok=True, also=[np.ones((4, 4))]),
        )
        for n in ("estimate", "reference")
    ],
    # fits
    *[
        case(fn, {"rf_map": KERNEL}, "rf_map", arrays(KERNEL, (2,)))
        for fn in (A.half_max_region, A.fit_gaussian)
    ],
    *[
        case(fn, {"rf_map": KERNEL}, "pixels_per_degree", reals(1e-6, 1e6))
        for fn in (A.half_max_region, A.fit_gaussian)
    ],
    case(
        A.fit_gaussian,
        {"rf_map": KERNEL},
        "rf_map",
        st.sampled_from([np.ones((5, 5)), HUGE]),
    ),
    case(
        A.fit_gabor,
        {"kernel": KERNEL},
        "kernel",
        arrays(KERNEL, (2,), also=[np.ones((5, 5)), np.zeros((5, 5)), np.ones((2, 5)), HUGE]),
    ),
    case(A.fit_gabor, {"kernel": KERNEL}, "pixels_per_degree", reals(1e-6, 1e6)),
    case(A.fit_gabor, {"kernel": KERNEL}, "n_starts", ints(1)),
    case(
        A.gabor_likeness,
        {"weights": KERNEL[None]},
        "weights",
        arrays(KERNEL[None], (3, 4), also=[np.ones((2, 2, 2)), HUGE[None]]),
    ),
    case(A.gabor_likeness, {"weights": KERNEL[None]}, "threshold", reals(0.0, 1.0, low_open=True)),
    case(A.gabor_likeness, {"weights": KERNEL[None]}, "pixels_per_degree", reals(1e-6, 1e6)),
    # the pRF experiment
    *[case(A.PRFFit, PRF_FIT, n, reals()) for n in ("x", "y", "gain")],
    case(A.PRFFit, PRF_FIT, "sigma", reals(0.0, low_open=True)),
    case(A.PRFFit, PRF_FIT, "r2", reals(nan_ok=True)),
    case(A.PRFFit, PRF_FIT, "scatter", reals(0.0)),
    case(A.bar_sweep, SWEEP, "field", NOT_A_FIELD),
    case(A.bar_sweep, SWEEP, "width", reals(0.0, 1e6, low_open=True)),
    case(A.bar_sweep, SWEEP, "step", reals(0.0, 0.2, low_open=True)),
    case(A.bar_sweep, SWEEP, "directions", ints(1)),
    case(A.fit_prf, PRF_DATA, "images", arrays(PRF_DATA["images"], (3,))),
    case(A.fit_prf, PRF_DATA, "response", arrays(PRF_DATA["response"], (1,))),
    case(A.fit_prf, PRF_DATA, "scatter", reals(0.0, 1e6)),
    case(A.voxel_response, VOXEL, "center", PAIRS),
    case(A.voxel_response, VOXEL, "radius", reals(0.0, 1e6, low_open=True)),
    case(A.prf_experiment, EXPERIMENT, "voxels", arrays([[0.0, 0.0]], (2,))),
    case(
        A.prf_experiment,
        EXPERIMENT,
        "radius",  # one radius per voxel: a list of one positive number is valid here
        reals(0.0, low_open=True).filter(
            lambda v: not isinstance(v, list | tuple | np.ndarray) or np.shape(v) != (1,)
        ),
    ),
    case(A.prf_experiment, EXPERIMENT, "bar_width", reals(0.0, 1e6, low_open=True)),
    case(A.prf_size_law, {"fits": [PRF_FIT_OBJ, PRF_FIT_OBJ]}, "corrected", NOT_A_BOOL),
    case(
        A.prf_size_law,
        {"fits": [PRF_FIT_OBJ, PRF_FIT_OBJ]},
        "fits",
        st.sampled_from([None, [], [PRF_FIT_OBJ], "fits", [1, 2], (PRF_FIT_OBJ, 3)]),
    ),
    # the analysis in time
    case(
        A.TemporalFrequencyTuning,
        TF_RESULT,
        "frequencies",
        arrays([1.0, 2.0], (1,), also=[[0.0, 1.0], [1.0, 5.0], [1.0, 2.0, 3.0]]),
    ),
    *[
        case(
            cls,
            valid,
            "mean",
            arrays([[0.0], [0.0]], (2,), also=[np.ones((3, 1)), np.ones((2, 2))]),
        )
        for cls, valid in ((A.TemporalFrequencyTuning, TF_RESULT), (A.DirectionTuning, DIR_RESULT))
    ],
    *[
        case(
            cls, valid, "f1", arrays([[1.0], [2.0]], (2,), also=[[[-1.0], [1.0]], np.ones((3, 1))])
        )
        for cls, valid in ((A.TemporalFrequencyTuning, TF_RESULT), (A.DirectionTuning, DIR_RESULT))
    ],
    case(A.TemporalFrequencyTuning, TF_RESULT, "spatial_frequency", reals(0.0, low_open=True)),
    case(A.TemporalFrequencyTuning, TF_RESULT, "direction", reals()),
    case(A.TemporalFrequencyTuning, TF_RESULT, "frames_per_second", reals(1e-6, 1e6)),
    case(
        A.DirectionTuning,
        DIR_RESULT,
        "directions",
        arrays([0.0, 180.0], (1,), also=[[1e7, 0.0], [0.0]]),
    ),
    *[
        case(A.DirectionTuning, DIR_RESULT, n, reals(0.0, low_open=True))
        for n in ("spatial_frequency", "temporal_frequency")
    ],
    *[
        case(method(A.DirectionTuning(**DIR_RESULT), m), {}, "statistic", choices(("mean", "f1")))
        for m in ("preferred_direction", "direction_selectivity_index", "circular_variance")
    ],
    *[
        case(
            method(A.TemporalFrequencyTuning(**TF_RESULT), m),
            {},
            "statistic",
            choices(("mean", "f1")),
        )
        for m in ("preferred_frequency", "bandwidth")
    ],
    *[
        case(fn, valid, "rf", SPACE_TIME_RFS)
        for fn, valid in ((A.temporal_frequency_tuning, TF_TUNE), (A.direction_tuning, DIR_TUNE))
    ],
    *[
        case(fn, valid, "field", NOT_A_FIELD | st.just(None))
        for fn, valid in ((A.temporal_frequency_tuning, TF_TUNE), (A.direction_tuning, DIR_TUNE))
    ],
    *[
        case(fn, valid, "mosaic", MOSAICS)
        for fn, valid in ((A.temporal_frequency_tuning, TF_TUNE), (A.direction_tuning, DIR_TUNE))
    ],
    *[
        case(fn, valid, "spatial_frequency", reals(0.0, 4.0, low_open=True))
        for fn, valid in ((A.temporal_frequency_tuning, TF_TUNE), (A.direction_tuning, DIR_TUNE))
    ],
    *[
        case(fn, valid, "frames_per_second", reals(1e-6, 1e6))
        for fn, valid in ((A.temporal_frequency_tuning, TF_TUNE), (A.direction_tuning, DIR_TUNE))
    ],
    *[
        case(fn, valid, "duration", reals(0.0, 1e9, low_open=True, none_ok=True) | st.just(0.05))
        for fn, valid in ((A.temporal_frequency_tuning, TF_TUNE), (A.direction_tuning, DIR_TUNE))
    ],
    *[
        case(fn, valid, n, reals())
        for fn, valid in ((A.temporal_frequency_tuning, TF_TUNE), (A.direction_tuning, DIR_TUNE))
        for n in ("baseline", "gain")
    ],
    *[
        case(fn, valid, "contrast", reals(0.0, 1e6))
        for fn, valid in ((A.temporal_frequency_tuning, TF_TUNE), (A.direction_tuning, DIR_TUNE))
    ],
    *[
        case(fn, valid, "nonlinearity", NONLINEARITIES)
        for fn, valid in ((A.temporal_frequency_tuning, TF_TUNE), (A.direction_tuning, DIR_TUNE))
    ],
    case(
        A.temporal_frequency_tuning,
        TF_TUNE,
        "frequencies",
        arrays([10.0], (1,), also=[[0.0], [-1.0], [25.0], [1e300]]),
    ),
    case(A.temporal_frequency_tuning, TF_TUNE, "direction", reals(-1e6, 1e6)),
    case(A.direction_tuning, DIR_TUNE, "directions", arrays([0.0, 180.0], (1,), also=[[1e7]])),
    case(
        A.direction_tuning,
        DIR_TUNE,
        "temporal_frequency",
        reals(0.0, 25.0, low_open=True) | st.just(25.0),
    ),
    case(
        A.spatiotemporal_sta,
        STA_IN,
        "spikes_or_rates",
        arrays(
            np.ones((6, 1)),
            (2,),
            also=[-np.ones((6, 1)), np.ones((5, 1)), SpikeTrains([0], [0.1], 1, 0.0, 2.0)],
        ),
    ),
    case(
        A.spatiotemporal_sta,
        STA_IN,
        "movie",
        st.sampled_from([None, "movie", np.zeros((6, 2, 2)), MFIELD, 3]),
    ),
    case(A.spatiotemporal_sta, STA_IN, "n_lags", ints(1) | st.integers(min_value=7)),
    case(
        A.xt_slice,
        {"data": np.zeros((2, 3, 4))},
        "data",
        real_arrays_only(arrays(np.zeros((2, 3, 4)), (3,))),
    ),
    case(
        A.xt_slice,
        {"data": np.zeros((2, 3, 4))},
        "row",
        NOT_AN_INT.filter(lambda v: v is not None) | st.sampled_from([3, -1, 10**9]),
    ),
    case(A.xt_slice, {"data": MOVIE}, "y", reals(-0.25, 0.25, none_ok=True)),
    case(A.xt_slice, {"data": np.zeros((2, 3, 4))}, "y", st.sampled_from([0.0, 1.0, -2])),
]


def test_every_public_name_has_bad_value_cases():
    covered = {p.values[0] for p in CASES}
    for name in A.__all__:
        obj = getattr(A, name)
        if callable(obj):
            assert obj in covered or name in {"NakaRushtonFit", "GaborFit", "Unit"}, name


@pytest.mark.parametrize(("fn", "valid", "name", "bad"), CASES)
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_bad_values_are_refused_naming_the_argument(fn, valid, name, bad, data):
    value = data.draw(bad, label=name)
    with pytest.raises((TypeError, ValueError)) as info:
        fn(**{**valid, name: value})
    assert f"`{name}`" in str(info.value), str(info.value)


# -- finite outputs for accepted input ----------------------------------------------------------
def warned(record, text):
    return any(issubclass(w.category, RuntimeWarning) and text in str(w.message) for w in record)


@settings(max_examples=20, deadline=None)
@given(
    parameter=st.sampled_from(A.PARAMETERS),
    orientation=st.floats(-1e6, 1e6),
    spatial_frequency=st.floats(1e-300, 10.0),
    phase=st.floats(-1e6, 1e6),
    contrast=st.floats(0.0, 1e6),
    n_phases=st.integers(1, 6),
    statistic=st.sampled_from(A.STATISTICS),
    seed=st.integers(0, 2**16),
)
def test_tuning_outputs_are_finite_or_honestly_nan(
    parameter, orientation, spatial_frequency, phase, contrast, n_phases, statistic, seed
):
    rng = np.random.default_rng(seed)
    ranges = {
        "orientation": (-1e6, 1e6),
        "phase": (-1e6, 1e6),
        "contrast": (0.0, 1e6),
        "spatial_frequency": (1e-3, 10.0),
    }
    lo, hi = ranges[parameter]
    values = rng.uniform(lo, hi, 5) if parameter != "spatial_frequency" else np.geomspace(lo, hi, 5)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        curve = A.tuning_curve(
            TARGET,
            parameter,
            values,
            orientation=orientation,
            spatial_frequency=spatial_frequency,
            phase=phase,
            contrast=contrast,
            n_phases=n_phases,
            statistic=statistic,
        )
        summary = curve.summary()
    assert np.isfinite(curve.responses).all()
    silent = curve.silent
    if silent.any():
        assert warned(record, "never respond")
    if curve.modulation_ratio is not None:  # inf only where F0 is exactly 0 (documented)
        ratio = curve.modulation_ratio
        assert (np.isfinite(ratio) | silent | (ratio == INF)).all()
    for key in ("preferred", "hwhh_deg", "bandwidth_octaves", "osi", "c50"):
        for v in summary.get(key, []):
            assert v is None or math.isfinite(v)
    if not silent.any() and parameter != "contrast":
        assert np.isfinite(curve.preferred()).all()


@settings(max_examples=25, deadline=None)
@given(
    contrast=hnp.arrays(float, st.integers(4, 10), elements=st.floats(0.0, 1e20), unique=True),
    response=hnp.arrays(float, 10, elements=st.floats(-1e200, 1e200)),
)
def test_naka_rushton_fits_of_accepted_data_are_finite(contrast, response):
    response = response[: contrast.size]
    if np.ptp(response) == 0:  # constant responses are refused (tested above)
        response[0] = 1.0 if response[0] == 0 else -response[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # non-convergence is flagged in the fit
        fit = A.fit_naka_rushton(contrast, response)
    for value in (fit.r_max, fit.c50, fit.exponent, fit.baseline, fit.r2):
        assert math.isfinite(value)
    assert np.isfinite(fit(contrast)).all()


def nonconstant_maps(min_side=3, max_side=7):
    shapes = st.tuples(st.integers(min_side, max_side), st.integers(min_side, max_side))
    elements = st.floats(-1e300, 1e300, allow_subnormal=True)
    return hnp.arrays(float, shapes, elements=elements).filter(
        lambda m: np.ptp(m) > 1e-12 * np.abs(m).max()
    )


@settings(max_examples=15, deadline=None)
@given(m=nonconstant_maps(), ppd=st.floats(1e-6, 1e6))
def test_fits_of_accepted_maps_are_finite(m, ppd):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # non-convergence is flagged in the fit
        region = A.half_max_region(m, ppd)
        gauss = A.fit_gaussian(m, ppd)
        gabor = A.fit_gabor(m, ppd, n_starts=1)
    assert np.isfinite([*region.center, region.area, region.diameter]).all()
    for fit in (gauss, gabor):
        numbers = [v for k, v in vars(fit).items() if k not in ("center", "converged")]
        assert np.isfinite([*fit.center, *numbers]).all(), fit
    assert np.isfinite(gabor.evaluate(m.shape, ppd)).all()


@settings(max_examples=25, deadline=None)
@given(
    a=hnp.arrays(float, (2, 4, 4), elements=st.floats(-1e308, 1e308)),
    b=hnp.arrays(float, (2, 4, 4), elements=st.floats(-1e308, 1e308)),
)
def test_map_correlations_are_in_range_or_nan_for_constant_maps(a, b):
    corr = A.map_correlation(a, b)
    constant = np.array(
        [(x == x.flat[0]).all() or (y == y.flat[0]).all() for x, y in zip(a, b, strict=True)]
    )
    assert (np.abs(corr[~constant]) <= 1).all()
    assert np.isnan(corr[constant]).all()


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(2, 40),
    method=st.sampled_from(A.RF_METHODS),
    noise=st.sampled_from(A.NOISES),
    contrast=st.floats(1e-6, 1e6),
    alpha=st.floats(0.0, 1e6),
    batch_size=st.integers(1, 50),
    seed=st.integers(0, 2**16),
)
def test_reverse_correlation_of_accepted_input_is_finite(
    n, method, noise, contrast, alpha, batch_size, seed
):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est = A.spike_triggered_average(
            TARGET,
            n,
            method=method,
            noise=noise,
            contrast=contrast,
            alpha=alpha,
            batch_size=batch_size,
            seed=seed,
            nonlinearity=None,
        )
    assert np.isfinite(est.maps).all()
    assert not record


@settings(max_examples=25, deadline=None)
@given(
    r_max=st.floats(-1e300, 1e300),
    c50=st.floats(1e-300, 1e300),
    exponent=st.floats(1e-3, 1e3),
    contrast=hnp.arrays(float, 5, elements=st.floats(0.0, 1e308)),
)
def test_a_naka_rushton_curve_is_finite_wherever_it_is_evaluated(r_max, c50, exponent, contrast):
    fit = A.NakaRushtonFit(r_max, c50, exponent, 0.0, 0.9, True)
    assert np.isfinite(fit(contrast)).all()

"""A population is data: to_dict / from_dict, exact JSON round trips, a checked schema, files."""

import copy
import json
import math
import os
import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import cortex
from cortex import (
    ComplexCell,
    DifferenceOfGaussians,
    DivisiveNormalization,
    Gabor,
    Gaussian,
    HalfSquare,
    MemoryBudgetError,
    Mosaic,
    NakaRushton,
    Population,
    ReceptiveField,
    Rectify,
    VisualField,
    linear_responses,
    load_population,
    responses,
    save_population,
)

PLAIN_SCALARS = (str, float, int, bool, type(None))


def assert_plain(value, path="d"):
    """Only dict (str keys) / list / str / float / int / bool / None; floats finite."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str, f"{path}: key {key!r}"
            assert_plain(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            assert_plain(item, f"{path}[{i}]")
    else:
        assert type(value) in PLAIN_SCALARS, f"{path}: {type(value).__name__}"
        if type(value) is float:
            assert math.isfinite(value), path


def through_json(d):
    return json.loads(json.dumps(d, allow_nan=False))


def bits(value):
    """A float's exact bits (tells -0.0 from 0.0)."""
    return float(value).hex()


@pytest.fixture
def budget():
    yield cortex.set_memory_budget
    cortex.set_memory_budget(None)


# -- strategies ----------------------------------------------------------------------------
def _sizes(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


_amplitude = st.one_of(_sizes(0.1, 3.0), _sizes(-3.0, -0.1))
_angle = st.one_of(_sizes(-360.0, 360.0), st.just(-0.0))

RFS = st.one_of(
    st.builds(Gaussian, sigma=_sizes(0.05, 0.12), amplitude=_amplitude),
    st.builds(
        lambda c, ratio, w, pol, a: DifferenceOfGaussians(c, c * ratio, w, pol, a),
        _sizes(0.04, 0.07),
        _sizes(1.2, 1.7),
        _sizes(0.0, 1.5),
        st.sampled_from(["on", "off"]),
        _sizes(0.1, 3.0),
    ),
    st.builds(
        Gabor,
        spatial_frequency=_sizes(1.0, 3.0),
        orientation=_angle,
        phase=_angle,
        sigma_x=_sizes(0.05, 0.12),
        sigma_y=st.none() | _sizes(0.05, 0.12),
        amplitude=_amplitude,
    ),
    st.builds(Gabor, spatial_frequency=_sizes(4.7, 6.0), orientation=_angle),  # default sigma
    st.builds(
        ComplexCell,
        spatial_frequency=_sizes(1.0, 3.0),
        orientation=_angle,
        sigma_x=_sizes(0.05, 0.12),
        sigma_y=st.none() | _sizes(0.05, 0.12),
        amplitude=_amplitude,
    ),
)

NONLINEARITIES = st.one_of(
    st.builds(Rectify, threshold=_sizes(-1.0, 1.0)),
    st.builds(HalfSquare, threshold=_sizes(-1.0, 1.0)),
    st.builds(NakaRushton, c50=_sizes(0.01, 2.0), exponent=_sizes(0.5, 5.0), r_max=_sizes(0.5, 3)),
    st.builds(
        DivisiveNormalization,
        sigma=_sizes(0.01, 2.0),
        exponent=_sizes(0.5, 5.0),
        r_max=_sizes(0.5, 3.0),
    ),
)

FIELDS = st.builds(
    VisualField,
    width=_sizes(4.0, 6.0),
    height=_sizes(4.0, 6.0),
    pixels_per_degree=_sizes(6.0, 10.0),
)


@st.composite
def mosaics(draw):
    field = draw(FIELDS)
    kind = draw(st.sampled_from(["square", "hexagonal", "jittered", "custom"]))
    if kind == "custom":
        lim_x, lim_y = field.limits
        n = draw(st.integers(1, 25))
        unit = st.floats(-1.0, 1.0, allow_nan=False)
        centers = [[draw(unit) * lim_x, draw(unit) * lim_y] for _ in range(n)]
        scales = draw(st.none() | st.lists(_sizes(0.5, 2.0), min_size=n, max_size=n))
        spacing = draw(st.just(math.nan) | _sizes(0.1, 1.0))
        jitter = draw(st.just(0.0) | _sizes(0.0, 0.5))
        mosaic = Mosaic(field, centers, scales, spacing=spacing, jitter=jitter)
    else:
        jitter = draw(_sizes(0.0, 0.5)) if kind == "jittered" else None
        spacing = draw(_sizes(0.4, 1.0))
        mosaic = Mosaic.from_lattice(
            field, spacing, kind, jitter=jitter, seed=draw(st.integers(0, 9))
        )
    if draw(st.booleans()):  # eccentricity-scaled RF sizes
        intercept = draw(_sizes(0.2, 0.3))
        levels = draw(st.sampled_from([{"n_levels": 3}, {"rtol": 0.05}, {"rtol": None}]))
        mosaic = mosaic.with_eccentricity_scaling(intercept, draw(_sizes(0.0, 0.1)), **levels)
    return mosaic


@st.composite
def populations(draw):
    mosaic = draw(mosaics())
    types = draw(st.lists(RFS, min_size=1, max_size=3))
    rf = types[0] if len(types) == 1 and draw(st.booleans()) else types
    kwargs = {}
    if draw(st.booleans()):
        kwargs["n_sigma"] = draw(_sizes(1.5, 3.0))
    if draw(st.booleans()):
        kwargs["level"] = draw(st.sampled_from(["sigma", "half-max"]) | _sizes(0.5, 2.0))
    try:
        pop = Population(rf, mosaic, **kwargs)
    except ValueError as exc:  # a kernel larger than the field: draw another
        assume("larger than the field" not in str(exc))
        raise
    return pop


# -- exact round trips ---------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::UserWarning")  # gaps, coarse sampling: not the point here
@given(pop=populations(), steps=st.lists(NONLINEARITIES, max_size=2), seed=st.integers(0, 99))
def test_population_round_trips_exactly_through_json(pop, steps, seed):
    d = pop.to_dict()
    assert_plain(d)
    assert d["format"] == "cortex.population/1" and d["type"] == "Population"
    text = json.dumps(d, allow_nan=False)
    back = Population.from_dict(json.loads(text))
    # every float bit for bit: repr tells every float apart (also -0.0 from 0.0)
    assert json.dumps(back.to_dict(), allow_nan=False) == text
    assert back.field == pop.field
    assert back.types == pop.types
    assert isinstance(back.rf, ReceptiveField) == isinstance(pop.rf, ReceptiveField)
    for mine, theirs in zip(back.types, pop.types, strict=True):
        assert type(mine) is type(theirs)
        for key, value in theirs.to_dict().items():
            if key == "type":
                continue
            got = getattr(mine, key)
            assert got == value and (isinstance(value, str) or bits(got) == bits(value))
    for name in ("centers", "scales"):
        mine, theirs = getattr(back.mosaic, name), getattr(pop.mosaic, name)
        assert mine.dtype == theirs.dtype and mine.shape == theirs.shape
        assert mine.tobytes() == theirs.tobytes()
        assert np.array_equal(mine, theirs)
    assert back.mosaic.lattice == pop.mosaic.lattice
    assert bits(back.mosaic.jitter) == bits(pop.mosaic.jitter)
    if math.isnan(pop.mosaic.spacing):
        assert d["mosaic"]["spacing"] is None and math.isnan(back.mosaic.spacing)
    else:
        assert bits(back.mosaic.spacing) == bits(pop.mosaic.spacing)
    assert bits(back.n_sigma) == bits(pop.n_sigma) and back.level == pop.level
    # the nonlinearities travel as data too
    steps_back = [type(s).from_dict(through_json(s.to_dict())) for s in steps]
    assert steps_back == steps
    image = np.random.default_rng(seed).standard_normal(pop.field.shape)
    for method in ("auto", "centers"):
        ours = linear_responses(back, image, method=method)
        assert ours.tobytes() == linear_responses(pop, image, method=method).tobytes()
    ours = responses(back, image, nonlinearity=steps_back)
    theirs = responses(pop, image, nonlinearity=steps)
    assert ours.dtype == theirs.dtype and ours.tobytes() == theirs.tobytes()


@pytest.mark.filterwarnings("ignore::UserWarning")
@given(rf=RFS)
def test_rf_models_round_trip_and_dispatch_on_type(rf):
    d = rf.to_dict()
    assert_plain(d)
    assert d["type"] == type(rf).__name__
    assert type(rf).from_dict(through_json(d)) == rf
    back = ReceptiveField.from_dict(through_json(d))  # the base class builds any model
    assert type(back) is type(rf) and back == rf
    assert json.dumps(back.to_dict()) == json.dumps(d)


@given(step=NONLINEARITIES)
def test_nonlinearities_round_trip(step):
    d = step.to_dict()
    assert_plain(d)
    back = type(step).from_dict(through_json(d))
    assert back == step and json.dumps(back.to_dict()) == json.dumps(d)


@given(field=FIELDS)
def test_visual_field_round_trips(field):
    d = field.to_dict()
    assert_plain(d)
    assert VisualField.from_dict(through_json(d)) == field
    assert json.dumps(VisualField.from_dict(through_json(d)).to_dict()) == json.dumps(d)


@given(mosaic=mosaics())
def test_mosaics_round_trip(mosaic):
    d = mosaic.to_dict()
    assert_plain(d)
    back = Mosaic.from_dict(through_json(d))
    assert back.field == mosaic.field
    assert back.centers.tobytes() == mosaic.centers.tobytes()
    assert back.scales.tobytes() == mosaic.scales.tobytes()
    assert json.dumps(back.to_dict()) == json.dumps(d)
    assert not back.centers.flags.writeable and not back.scales.flags.writeable


def test_nan_spacing_of_custom_centres_is_written_as_null():
    mosaic = Mosaic(VisualField(2.0, 2.0, 8), [[0.0, 0.0], [-0.5, 0.25]], [1.0, 2.0])
    assert math.isnan(mosaic.spacing)
    text = json.dumps(mosaic.to_dict(), allow_nan=False)  # strict JSON: no NaN token
    assert '"spacing": null' in text and "NaN" not in text
    back = Mosaic.from_dict(json.loads(text))
    assert math.isnan(back.spacing) and back.lattice == "custom"
    assert np.array_equal(back.scales, [1.0, 2.0])


def test_signed_zero_and_awkward_floats_survive():
    field = VisualField(2.0, 2.0, 10)
    centers = [[-0.0, 0.1 + 0.2], [1 / 3, -0.0]]
    mosaic = Mosaic(field, centers)
    back = Mosaic.from_dict(through_json(mosaic.to_dict()))
    assert back.centers.tobytes() == mosaic.centers.tobytes()
    assert math.copysign(1.0, back.centers[0, 0]) == -1.0
    g = Gabor(2.0, orientation=-0.0, phase=1e-300, sigma_x=0.1 + 0.2)
    back = Gabor.from_dict(through_json(g.to_dict()))
    assert bits(back.orientation) == bits(-0.0) and back.phase == 1e-300
    assert back.sigma_x == 0.1 + 0.2


def test_gabor_default_sigma_is_written_as_a_number_and_null_means_default():
    g = Gabor(2.0)
    d = g.to_dict()
    assert isinstance(d["sigma_x"], float) and d["sigma_y"] == d["sigma_x"]
    assert Gabor.from_dict({**d, "sigma_x": None, "sigma_y": None}) == g
    assert ComplexCell.from_dict({"type": "ComplexCell", "spatial_frequency": 2.0}) == ComplexCell(
        2.0
    )


def test_a_single_rf_stays_single_and_a_bank_stays_a_sequence():
    field = VisualField(3.0, 3.0, 10)
    mosaic = Mosaic.from_lattice(field, 0.3, "hexagonal")
    single = Population(Gaussian(0.2), mosaic)
    assert isinstance(single.to_dict()["rf"], dict)
    assert isinstance(Population.from_dict(single.to_dict()).rf, Gaussian)
    bank = Population([Gaussian(0.2)], mosaic)
    assert isinstance(bank.to_dict()["rf"], list)
    assert Population.from_dict(bank.to_dict()).rf == (Gaussian(0.2),)


def test_keys_with_defaults_may_be_left_out():
    d = {
        "format": "cortex.population/1",
        "type": "Population",
        "rf": {"type": "Gaussian", "sigma": 0.25},
        "mosaic": {
            "type": "Mosaic",
            "field": {"type": "VisualField", "width": 2, "height": 2, "pixels_per_degree": 10},
            "centers": [[0, 0], [0.5, -0.5]],
        },
    }
    pop = Population.from_dict(d)
    assert pop.n_sigma == 3.0 and pop.level == "half-max"
    assert pop.mosaic.lattice == "custom" and math.isnan(pop.mosaic.spacing)
    assert np.array_equal(pop.mosaic.scales, [1.0, 1.0])
    assert pop.mosaic.centers.dtype == np.float64  # ints become floats
    assert Population.from_dict({**d, "mosaic": {**d["mosaic"], "scales": None}}).n_sites == 2


def test_models_outside_cortex_are_refused_by_to_dict():
    class Wider(Gaussian):
        pass

    class Softer(Rectify):
        pass

    with pytest.raises(TypeError, match="Wider cannot be written as plain data"):
        Wider(0.2).to_dict()
    with pytest.raises(TypeError, match="Softer cannot be written as plain data"):
        Softer().to_dict()
    field = VisualField(3.0, 3.0, 10)
    pop = Population([Gaussian(0.2), Wider(0.2)], Mosaic.from_lattice(field, 0.3))
    with pytest.raises(TypeError, match=r"`population.rf\[1\]`: Wider cannot"):
        pop.to_dict()


def test_a_class_reads_only_its_own_type():
    d = Gaussian(0.2).to_dict()
    with pytest.raises(ValueError, match=r"`rf.type` must be one of \('Gabor',\).*'Gaussian'"):
        Gabor.from_dict(d)
    with pytest.raises(ValueError, match=r"`nonlinearity.type` must be one of \('Rectify',\)"):
        Rectify.from_dict(HalfSquare().to_dict())
    with pytest.raises(ValueError, match=r"`field.type` must be one of \('VisualField',\)"):
        VisualField.from_dict({**d, "type": "Field"})
    with pytest.raises(ValueError, match=r"`mosaic.type` must be one of \('Mosaic',\)"):
        Mosaic.from_dict(d)


# -- malformed dicts -------------------------------------------------------------------------
def _base_population():
    field = VisualField(4.0, 4.0, pixels_per_degree=8)
    mosaic = Mosaic.from_lattice(field, 0.3, "hexagonal")
    rfs = [Gaussian(0.25), DifferenceOfGaussians(0.15, 0.4), Gabor(2.0, 45.0, sigma_x=0.2)]
    return Population(rfs, mosaic)


BASE = _base_population().to_dict()


def _set(path, value):
    def mutate(d):
        *head, last = path
        target = d
        for key in head:
            target = target[key]
        target[last] = value

    return mutate


def _delete(path):
    def mutate(d):
        *head, last = path
        target = d
        for key in head:
            target = target[key]
        del target[last]

    return mutate


def _pop_last(path):
    def mutate(d):
        target = d
        for key in path:
            target = target[key]
        target.pop()

    return mutate


# fmt: off
MALFORMED = [
    # (label, mutation, error type, message)
    ("not a dict", lambda d: ["a list"], TypeError, r"`population` must be a dict"),
    ("no format", _delete(["format"]), ValueError, r"`population.format` is missing"),
    ("format version", _set(["format"], "cortex.population/9"), ValueError, r"`population.format` must be 'cortex.population/1'.*population/9"),
    ("format type", _set(["format"], 1), TypeError, r"`population.format` must be a string"),
    ("unknown type", _set(["type"], "Populace"), ValueError, r"`population.type` must be one of \('Population',\)"),
    ("type not str", _set(["type"], None), TypeError, r"`population.type` must be a string"),
    ("no type", _delete(["type"]), ValueError, r"`population.type` is missing"),
    ("extra key", _set(["nonlinearity"], "rectify"), ValueError, r"`population.nonlinearity` is not a key of a Population"),
    ("missing mosaic", _delete(["mosaic"]), ValueError, r"`population.mosaic` is missing"),
    ("missing rf", _delete(["rf"]), ValueError, r"`population.rf` is missing"),
    ("rf empty", _set(["rf"], []), ValueError, r"`population.rf` must hold at least one RF model"),
    ("rf a string", _set(["rf"], "Gaussian"), TypeError, r"`population.rf` must be an RF model \(a dict\) or a list"),
    ("rf item a number", _set(["rf", 1], 3.0), TypeError, r"`population.rf\[1\]` must be a dict"),
    ("unknown rf type", _set(["rf", 2, "type"], "Gabbor"), ValueError, r"`population.rf\[2\].type` must be one of \('Gaussian', 'DifferenceOfGaussians', 'Gabor', 'ComplexCell'\).*'Gabbor'"),
    ("rf missing key", _delete(["rf", 0, "sigma"]), ValueError, r"`population.rf\[0\].sigma` is missing"),
    ("rf extra key", _set(["rf", 0, "sigma_x"], 0.2), ValueError, r"`population.rf\[0\].sigma_x` is not a key of a Gaussian"),
    ("bool for a number", _set(["rf", 0, "sigma"], True), TypeError, r"`population.rf\[0\].sigma` must be a number, got True"),
    ("string for a number", _set(["rf", 0, "amplitude"], "1.0"), TypeError, r"`population.rf\[0\].amplitude` must be a number, got '1.0'"),
    ("null for a number", _set(["rf", 0, "amplitude"], None), TypeError, r"`population.rf\[0\].amplitude` must be a number, got None"),
    ("list for a number", _set(["n_sigma"], [3.0]), TypeError, r"`population.n_sigma` must be a number"),
    ("NaN number", _set(["rf", 0, "sigma"], math.nan), ValueError, r"`population.rf\[0\].sigma` must be finite, got nan"),
    ("infinite number", _set(["mosaic", "field", "width"], math.inf), ValueError, r"`population.mosaic.field.width` must be finite, got inf"),
    ("huge integer", _set(["rf", 0, "sigma"], 10**400), ValueError, r"`population.rf\[0\].sigma` must be a finite number, got an integer of about 400 digits"),
    ("out of range", _set(["rf", 0, "sigma"], -0.25), ValueError, r"`population.rf\[0\].sigma` must be > 0, got -0.25"),
    ("surround inside centre", _set(["rf", 1, "sigma_surround"], 0.1), ValueError, r"`population.rf\[1\].sigma_surround` must be > `sigma_center`"),
    ("polarity a number", _set(["rf", 1, "polarity"], 1), TypeError, r"`population.rf\[1\].polarity` must be a string"),
    ("polarity unknown", _set(["rf", 1, "polarity"], "up"), ValueError, r"`population.rf\[1\].polarity` must be one of \('on', 'off'\)"),
    ("gabor sigma a bool", _set(["rf", 2, "sigma_y"], False), TypeError, r"`population.rf\[2\].sigma_y` must be a number or null, got False"),
    ("level a list", _set(["level"], [1]), TypeError, r"`population.level` must be a string or a number"),
    ("level unknown", _set(["level"], "full"), ValueError, r"`population.level` must be one of \('sigma', 'half-max'\)"),
    ("level a bool", _set(["level"], True), TypeError, r"`population.level` must be a string or a number, got True"),
    ("n_sigma out of range", _set(["n_sigma"], 1000), ValueError, r"`population.n_sigma` must be in \(0, 100\]"),
    ("mosaic not a dict", _set(["mosaic"], [[0, 0]]), TypeError, r"`population.mosaic` must be a dict"),
    ("mosaic unknown key", _set(["mosaic", "center"], []), ValueError, r"`population.mosaic.center` is not a key of a Mosaic"),
    ("field missing", _delete(["mosaic", "field"]), ValueError, r"`population.mosaic.field` is missing"),
    ("field not a dict", _set(["mosaic", "field"], 4.0), TypeError, r"`population.mosaic.field` must be a dict"),
    ("field missing key", _delete(["mosaic", "field", "pixels_per_degree"]), ValueError, r"`population.mosaic.field.pixels_per_degree` is missing"),
    ("field bool", _set(["mosaic", "field", "height"], True), TypeError, r"`population.mosaic.field.height` must be a number, got True"),
    ("centres not a list", _set(["mosaic", "centers"], "0,0"), TypeError, r"`population.mosaic.centers` must be a list of \[x, y\] pairs"),
    ("centres empty", _set(["mosaic", "centers"], []), ValueError, r"`population.mosaic.centers` must hold at least one \[x, y\] pair"),
    ("centres flat", _set(["mosaic", "centers"], [0.0, 0.0, 0.5, 0.5]), ValueError, r"`population.mosaic.centers` must be a list of \[x, y\] pairs, got 0.0 \(type float\) at `population.mosaic.centers\[0\]`"),
    ("centres of three", _set(["mosaic", "centers", 5], [0.0, 0.0, 0.0]), ValueError, r"`population.mosaic.centers` must be a list of \[x, y\] pairs, got a list of 3 item\(s\) at `population.mosaic.centers\[5\]`"),
    ("centre a string", _set(["mosaic", "centers", 2], "here"), TypeError, r"`population.mosaic.centers` must be a list of \[x, y\] pairs, got 'here'"),
    ("centre a dict", _set(["mosaic", "centers", 2], {"x": 0, "y": 0}), TypeError, r"`population.mosaic.centers` must be a list of \[x, y\] pairs"),
    ("centre coordinate a bool", _set(["mosaic", "centers", 4, 1], True), TypeError, r"`population.mosaic.centers\[4\]\[1\]` must be a number, got True"),
    ("centre coordinate a string", _set(["mosaic", "centers", 4, 0], "0.5"), TypeError, r"`population.mosaic.centers\[4\]\[0\]` must be a number, got '0.5'"),
    ("centre coordinate NaN", _set(["mosaic", "centers", 7, 0], math.nan), ValueError, r"`population.mosaic.centers\[7\]\[0\]` must be finite, got nan"),
    ("centre coordinate huge int", _set(["mosaic", "centers", 7, 0], -(10**400)), ValueError, r"`population.mosaic.centers\[7\]\[0\]` must be a finite number"),
    ("centre outside the field", _set(["mosaic", "centers", 0], [50.0, 0.0]), ValueError, r"`population.mosaic.centers` must lie inside the field"),
    ("scales a number", _set(["mosaic", "scales"], 1.0), TypeError, r"`population.mosaic.scales` must be a list of numbers \(one per centre\) or null"),
    ("scales too short", _pop_last(["mosaic", "scales"]), ValueError, r"`population.mosaic.scales` must hold one number per centre \(\d+\), got \d+"),
    ("scale a bool", _set(["mosaic", "scales", 3], True), TypeError, r"`population.mosaic.scales\[3\]` must be a number, got True"),
    ("scale NaN", _set(["mosaic", "scales", 3], math.nan), ValueError, r"`population.mosaic.scales\[3\]` must be finite"),
    ("scale nested", _set(["mosaic", "scales", 3], [1.0]), TypeError, r"`population.mosaic.scales\[3\]` must be a number, got \[1.0\]"),
    ("scale zero", _set(["mosaic", "scales", 3], 0), ValueError, r"`population.mosaic.scales` must be > 0"),
    ("lattice unknown", _set(["mosaic", "lattice"], "triangular"), ValueError, r"`population.mosaic.lattice` must be one of"),
    ("lattice a number", _set(["mosaic", "lattice"], 6), TypeError, r"`population.mosaic.lattice` must be a string"),
    ("spacing NaN", _set(["mosaic", "spacing"], math.nan), ValueError, r"`population.mosaic.spacing` must be finite, got nan \(JSON has no NaN: write null"),
    ("spacing null on a lattice", _set(["mosaic", "spacing"], None), ValueError, r"`population.mosaic.spacing` must be a number for a 'hexagonal' lattice, got null"),
    ("spacing a string", _set(["mosaic", "spacing"], "0.3"), TypeError, r"`population.mosaic.spacing` must be a number or null"),
    ("jitter too large", _set(["mosaic", "jitter"], 0.9), ValueError, r"`population.mosaic.jitter` must be <= 0.5"),
    ("jitter null", _set(["mosaic", "jitter"], None), TypeError, r"`population.mosaic.jitter` must be a number, got None"),
    ("kernel larger than field", _set(["n_sigma"], 40.0), ValueError, r"`population`: the largest RF kernel is"),
]
# fmt: on


@pytest.mark.parametrize(
    ("mutate", "error", "message"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_dicts_are_refused_naming_the_key_path(mutate, error, message):
    d = copy.deepcopy(BASE)
    replaced = mutate(d)
    d = d if replaced is None else replaced
    with pytest.raises(error, match=message) as info:
        Population.from_dict(d)
    assert type(info.value) is error  # not a subclass standing in


def test_the_base_dict_is_valid():
    assert json.dumps(Population.from_dict(copy.deepcopy(BASE)).to_dict()) == json.dumps(BASE)


def test_every_problem_of_one_object_is_listed():
    d = copy.deepcopy(BASE)
    d["rf"][0] = {"type": "Gaussian", "sigam": 0.2, "amp": 1.0}
    with pytest.raises(ValueError) as info:
        Population.from_dict(d)
    message = str(info.value)
    for part in (
        "`population.rf[0].sigam` is not",
        "`population.rf[0].amp` is not",
        "`population.rf[0].sigma` is missing",
        "keys of a Gaussian: type, sigma, amplitude",
    ):
        assert part in message


def test_the_schema_is_checked_before_anything_is_built(monkeypatch):
    # a bad value late in the dict is found before the (valid) field or RFs are built
    built = []
    original = VisualField.__post_init__
    monkeypatch.setattr(
        VisualField, "__post_init__", lambda self: built.append(1) or original(self)
    )
    d = copy.deepcopy(BASE)
    d["level"] = [0.5]
    with pytest.raises(TypeError, match="`population.level`"):
        Population.from_dict(d)
    d = copy.deepcopy(BASE)
    d["mosaic"]["scales"][-1] = "1"
    with pytest.raises(TypeError, match=r"`population.mosaic.scales\[\d+\]`"):
        Population.from_dict(d)
    assert built == []


def test_huge_declared_arrays_are_refused_before_they_are_built(budget):
    budget("256K")
    d = copy.deepcopy(BASE)
    n = 100_000
    d["mosaic"]["centers"] = [None] * n  # not even pairs: the size is refused first
    d["mosaic"]["scales"] = None
    with pytest.raises(MemoryBudgetError, match=r"`population.mosaic` \(100000 sites\) would need"):
        Population.from_dict(d)
    d["mosaic"]["centers"] = [[0.0, 0.0]] * n
    with pytest.raises(MemoryBudgetError, match=r"`population.mosaic` \(100000 sites\)"):
        Population.from_dict(d)
    with pytest.raises(MemoryBudgetError, match=r"`mosaic` \(100000 sites\)"):
        Mosaic.from_dict(d["mosaic"])
    # a field whose one image exceeds the budget: named by its key path
    d = copy.deepcopy(BASE)
    d["mosaic"]["field"]["pixels_per_degree"] = 1e5
    with pytest.raises(MemoryBudgetError, match=r"`population.mosaic.field`: one float64 image"):
        Population.from_dict(d)


def test_population_kernels_over_the_budget_are_refused(budget):
    d = copy.deepcopy(BASE)
    d["mosaic"]["scales"] = np.geomspace(0.5, 1.0, len(d["mosaic"]["centers"])).tolist()
    budget("64K")
    with pytest.raises(MemoryBudgetError, match=r"`population`: the RF kernels of the population"):
        Population.from_dict(d)


def _paths(value, prefix=()):
    """Every key path into ``value`` (only the first rows of the long arrays)."""
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value[:2]):
            out += _paths(item, (*prefix, i))
    return out


PATHS = _paths(BASE)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats()
    | st.text(max_size=6)
    | st.sampled_from(["Gaussian", "Mosaic", "custom", "on", "half-max", "cortex.population/1"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


@given(path=st.sampled_from(PATHS), value=JSON_VALUES, delete=st.booleans())
def test_any_corruption_builds_or_raises_a_clear_error(path, value, delete):
    d = copy.deepcopy(BASE)
    (_delete(list(path)) if delete else _set(list(path), value))(d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a valid but gappy population is fine here
        try:
            Population.from_dict(d)
        except (TypeError, ValueError) as exc:
            assert "`population" in str(exc), str(exc)


# -- files ---------------------------------------------------------------------------------
@pytest.fixture
def pop():
    return _base_population()


def test_save_and_load_round_trip_through_a_plain_json_file(tmp_path, pop):
    path = save_population(pop, tmp_path / "pop.json")
    assert path == tmp_path / "pop.json"
    with open(path, encoding="utf-8") as f:
        plain = json.load(f)  # an ordinary JSON file
    assert plain == through_json(pop.to_dict())
    back = load_population(str(path))
    assert json.dumps(back.to_dict()) == json.dumps(pop.to_dict())
    image = np.random.default_rng(3).standard_normal(pop.field.shape)
    assert responses(back, image).tobytes() == responses(pop, image).tobytes()
    text = path.read_text(encoding="utf-8")
    assert "NaN" not in text and text.endswith("}\n")
    assert [
        list(map(float, row)) for row in plain["mosaic"]["centers"]
    ] == pop.mosaic.centers.tolist()


def test_a_failed_write_leaves_the_old_file(tmp_path, pop, monkeypatch):
    path = save_population(pop, tmp_path / "pop.json")
    before = path.read_bytes()
    field = VisualField(3.0, 3.0, 10)
    other = Population(Gaussian(0.2), Mosaic.from_lattice(field, 0.3))

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="could not write .*pop.json.*No space left"):
        save_population(other, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pop.json"]  # no temporary left

    class Wider(Gaussian):
        pass

    with pytest.raises(TypeError, match=r"`population.rf`: Wider cannot be written"):
        save_population(Population(Wider(0.2), other.mosaic), path)
    assert path.read_bytes() == before
    assert json.dumps(load_population(path).to_dict()) == json.dumps(pop.to_dict())


def test_save_refuses_bad_arguments(tmp_path, pop):
    with pytest.raises(TypeError, match="`population` must be a Population"):
        save_population(pop.to_dict(), tmp_path / "p.json")
    with pytest.raises(TypeError, match="`path` must be a str or path-like"):
        save_population(pop, 3)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        save_population(pop, tmp_path / "nowhere" / "p.json")


def test_load_refuses_bad_files(tmp_path, pop, budget):
    with pytest.raises(TypeError, match="`path` must be a str or path-like"):
        load_population(None)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_population(tmp_path / "missing.json")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        load_population(tmp_path)
    good = json.dumps(pop.to_dict())
    cases = {
        "garbage": (b"\x89PNG\r\n", "not plain UTF-8 JSON"),
        "truncated": (good[: len(good) // 2].encode(), "not plain UTF-8 JSON"),
        "nan": (good.replace('"jitter": 0.0', '"jitter": NaN').encode(), "NaN is not plain JSON"),
        "infinity": (
            good.replace('"n_sigma": 3.0', '"n_sigma": -Infinity').encode(),
            "-Infinity is not plain JSON",
        ),
        "twice": (
            good.replace('"n_sigma": 3.0', '"n_sigma": 3.0, "n_sigma": 2.0').encode(),
            "the key 'n_sigma' appears twice",
        ),
        "schema": (
            good.replace('"sigma": 0.25', '"sigma": "wide"').encode(),
            r"is not a valid cortex population file: `population.rf\[0\].sigma` must be a number",
        ),
        "not an object": (
            b"[1, 2]",
            r"not a valid cortex population file: `population` must be a dict",
        ),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / f"{name}.json"
        path.write_bytes(content)
        with pytest.raises(ValueError, match=message) as info:
            load_population(path)
        assert f"{name}.json" in str(info.value)
        assert type(info.value) is ValueError  # a file's content is a value problem
    path = save_population(pop, tmp_path / "big.json")
    budget(path.stat().st_size)  # the parsed JSON needs several times the file
    with pytest.raises(MemoryBudgetError, match=r"reading the population file .*big.json"):
        load_population(path)
    budget(None)
    huge = tmp_path / "huge.json"  # a small file declaring a field too large to hold
    huge.write_text(good.replace('"pixels_per_degree": 8.0', '"pixels_per_degree": 100000.0'))
    with pytest.raises(
        MemoryBudgetError, match=r"huge.json.*`population.mosaic.field`: one float64"
    ):
        load_population(huge)


def test_the_file_helpers_are_public():
    assert {"save_population", "load_population"} <= set(cortex.__all__)
    assert cortex.save_population is save_population and cortex.load_population is load_population

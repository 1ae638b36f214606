"""A hostile user's inputs against cortex's public entry points, classified.

Each case calls one public function or constructor with one bad argument (or
in a bad state) and says which argument a clear error must name.  Every case
runs in its own forked child process under an address-space limit and a time
limit, so a case that allocates before checking, or hangs, cannot take the
machine down, and is classified as

``clear``
    TypeError / ValueError (or a subclass such as ``MemoryBudgetError``; a
    FileNotFoundError for a missing file,
    ``FloatingPointError`` for a diverging fit, ``RuntimeError`` for a call
    out of order) whose message names the argument; for ``warn`` cases, a
    RuntimeWarning and NaN where no answer exists.  For CLI cases: exit code 1,
    2 or 130 with the option named on stderr and no traceback.
``obscure``
    Any other exception (or a message that does not name the argument, or a
    CLI traceback).
``silent``
    Returned NaN or inf for finite input, without a warning.
``accepted``
    Returned normally: the bad input went through.
``memory``
    MemoryError from trying to allocate (not a budget refusal), or killed by
    the address-space limit.
``hang``
    Still running after the time limit.

Run ``python tests/bad_inputs.py`` for the table of counts per group and
category (``--verbose`` lists every case that is not clear); the test suite
(``tests/test_bad_inputs.py``) runs it and requires every case to be clear.
It only uses the public API, so it runs against older versions of cortex too
(``PYTHONPATH=/path/to/old/checkout python tests/bad_inputs.py``).
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import io
import json
import math
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import cortex
import cortex.analysis
import cortex.nn
import cortex.stimuli

CATEGORIES = ("clear", "obscure", "silent", "accepted", "memory", "hang")
ADDRESS_SPACE = 6 * 2**30  # per case
TIMEOUT = 60.0  # seconds per case
BUDGET = "1G"  # the memory budget the cases run under (where cortex has one)


@dataclass(frozen=True)
class Case:
    """One bad call: ``call()`` must fail clearly, naming ``argument``."""

    group: str
    label: str
    argument: str
    call: Callable[[], object]
    expect: str = "error"  # "error", or "warn" (RuntimeWarning and NaN: no answer exists)


CASES: list[Case] = []


def case(group: str, label: str, argument: str, expect: str = "error"):
    """Register the decorated zero-argument function as a case."""

    def register(fn: Callable[[], object]) -> Callable[[], object]:
        CASES.append(Case(group, label, argument, fn, expect))
        return fn

    return register


def add(group: str, label: str, argument: str, fn: Callable[[], object], expect="error") -> None:
    CASES.append(Case(group, label, argument, fn, expect))


# -- shared small objects -------------------------------------------------------------
def field(size: float = 2.0, ppd: float = 10.0):
    return cortex.VisualField(size, size, ppd)


def one_neuron(rf=None):
    rf = cortex.Gabor(2.0, sigma_x=0.25) if rf is None else rf
    return cortex.Population(rf, cortex.Mosaic(field(), [[0.0, 0.0]]))


def small_net(dropout: bool = False):
    nn = cortex.nn
    layers = [nn.Conv2D(1, 2, 3, padding=1, seed=0, dtype="float64"), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(0.5, seed=0))
    layers += [nn.Flatten(), nn.Dense(2 * 6 * 6, 3, seed=1, dtype="float64")]
    return nn.Sequential(layers)


# Bad values for an argument of a given kind.  Each is a bad input for every argument
# of that kind (a value that is valid for one argument is not listed for its kind).
NOT_NUMBERS = {"None": None, "str '1'": "1", "bool True": True, "list [1.0]": [1.0]}
NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
POSITIVE_BAD = {**NOT_NUMBERS, **NON_FINITE, "0.0": 0.0, "-1.0": -1.0}
REAL_BAD = {**NOT_NUMBERS, **NON_FINITE}
COUNT_BAD = {**NOT_NUMBERS, "1.5": 1.5, "-1": -1, "nan": math.nan}
CHOICE_BAD = {"unknown 'nope'": "nope", "None": None, "int 3": 3}


def systematic(group: str, entry: str, fn: Callable[..., object], arguments: dict) -> None:
    """Cases: ``fn(**{name: bad})`` for every bad value of every argument's kind."""
    for name, (kind, valid) in arguments.items():
        for label, bad in kind.items():
            kwargs = dict(valid)
            kwargs[name] = bad
            add(group, f"{entry}({name}={label})", name, lambda fn=fn, kw=kwargs: fn(**kw))


# -- core: fields, RF models, mosaics, stimuli, populations --------------------------
systematic(
    "core",
    "VisualField",
    lambda **kw: cortex.VisualField(kw["width"], kw["height"], kw["pixels_per_degree"]),
    {
        "width": (POSITIVE_BAD, {"height": 2.0, "pixels_per_degree": 10.0}),
        "height": (POSITIVE_BAD, {"width": 2.0, "pixels_per_degree": 10.0}),
        "pixels_per_degree": (POSITIVE_BAD, {"width": 2.0, "height": 2.0}),
    },
)
add("core", "VisualField(1e200, 1e200, 1e200)", "width",
    lambda: cortex.VisualField(1e200, 1e200, 1e200))
add("core", "VisualField.px_to_deg(None, 0)", "row", lambda: field().px_to_deg(None, 0))
add("core", "VisualField.nearest_pixel(inf, 0)", "x", lambda: field().nearest_pixel(math.inf, 0))

for cls, valid in (
    (cortex.Gaussian, {"sigma": 0.2}),
    (cortex.DifferenceOfGaussians, {"sigma_center": 0.1, "sigma_surround": 0.3}),
    (cortex.Gabor, {"spatial_frequency": 2.0}),
    (cortex.ComplexCell, {"spatial_frequency": 2.0}),
):
    for name in valid:
        systematic("core", cls.__name__, lambda cls=cls, **kw: cls(**kw),
                   {name: (POSITIVE_BAD, {k: v for k, v in valid.items() if k != name})})
    systematic("core", cls.__name__, lambda cls=cls, **kw: cls(**kw),
               {"amplitude": ({**REAL_BAD, "0.0": 0.0}, valid)})
systematic("core", "Gabor", lambda **kw: cortex.Gabor(2.0, **kw),
           {"orientation": (REAL_BAD, {}), "phase": (REAL_BAD, {})})
add("core", "DifferenceOfGaussians(polarity='up')", "polarity",
    lambda: cortex.DifferenceOfGaussians(0.1, 0.3, polarity="up"))
add("core", "Gaussian(1e-200).kernel(16)", "sigma", lambda: cortex.Gaussian(1e-200).kernel(16))
add("core", "Gaussian(1e6).kernel(16)", "sigma", lambda: cortex.Gaussian(1e6).kernel(16))
add("core", "Gabor(1e300).kernel(16)", "spatial_frequency",
    lambda: cortex.Gabor(1e300, sigma_x=0.2).kernel(16))
add("core", "Gabor(amplitude=1e308).kernel(16)", "amplitude",
    lambda: cortex.Gabor(2.0, sigma_x=0.2, amplitude=1e308).kernel(16))
add("core", "Gaussian.profile(None, 0)", "x", lambda: cortex.Gaussian(0.2).profile(None, 0))
systematic("core", "Gaussian.kernel", lambda **kw: cortex.Gaussian(0.2).kernel(**kw), {
    "pixels_per_degree": (POSITIVE_BAD, {}),
    "n_sigma": (POSITIVE_BAD, {"pixels_per_degree": 10.0}),
})
add("core", "contour_radius('middle')", "level", lambda: cortex.contour_radius("middle"))

systematic("core", "Mosaic.from_lattice",
           lambda **kw: cortex.Mosaic.from_lattice(field(), **kw), {
               "spacing": (POSITIVE_BAD, {}),
               "lattice": (CHOICE_BAD, {"spacing": 0.5}),
           })
add("core", "Mosaic.from_lattice(spacing=1e-4)", "spacing",
    lambda: cortex.Mosaic.from_lattice(field(), 1e-4))
add("core", "Mosaic.from_lattice(spacing=5e-324)", "spacing",
    lambda: cortex.Mosaic.from_lattice(field(), 5e-324))
add("core", "Mosaic(centers=[[nan, 0]])", "centers",
    lambda: cortex.Mosaic(field(), [[math.nan, 0.0]]))
add("core", "Mosaic(centers=[])", "centers", lambda: cortex.Mosaic(field(), np.zeros((0, 2))))
add("core", "Mosaic(field=None)", "field", lambda: cortex.Mosaic(None, [[0.0, 0.0]]))

S = cortex.stimuli
# grating parameters may be arrays (a stack of gratings) and 0 cycles/deg is a uniform field
SCALAR_BAD = {k: v for k, v in REAL_BAD.items() if k != "list [1.0]"}
systematic("core", "grating", lambda **kw: S.grating(field(), **kw), {
    "spatial_frequency": ({**SCALAR_BAD, "-1.0": -1.0}, {}),
    "orientation": (SCALAR_BAD, {"spatial_frequency": 2.0}),
    "contrast": (SCALAR_BAD, {"spatial_frequency": 2.0}),
})
add("core", "grating(spatial_frequency=1e308)", "spatial_frequency",
    lambda: S.grating(field(), 1e308))
add("core", "white_noise(n_images=10**9)", "n_images",
    lambda: S.white_noise(field(), 10**9, seed=0))
systematic("core", "white_noise", lambda **kw: S.white_noise(field(), **kw), {
    "n_images": ({k: v for k, v in COUNT_BAD.items() if k != "None"} | {"0": 0}, {"seed": 0}),
    "contrast": (REAL_BAD, {"n_images": 2, "seed": 0}),
    "distribution": (CHOICE_BAD, {"n_images": 2, "seed": 0}),
    "seed": ({"-1": -1, "str 'a'": "a", "1.5": 1.5}, {"n_images": 2}),
})
systematic("core", "spot", lambda **kw: S.spot(field(), **kw), {"radius": (POSITIVE_BAD, {})})
systematic("core", "bar", lambda **kw: S.bar(field(), **kw), {
    "length": (POSITIVE_BAD, {}), "width": (POSITIVE_BAD, {})})
systematic("core", "checkerboard", lambda **kw: S.checkerboard(field(), **kw),
           {"check_size": (POSITIVE_BAD, {})})
add("core", "to_contrast('abc')", "image", lambda: S.to_contrast("abc"))
add("core", "natural_image(name='nope')", "name", lambda: S.natural_image(field(), "nope"))

add("core", "Population(rf=None)", "rf",
    lambda: cortex.Population(None, cortex.Mosaic(field(), [[0.0, 0.0]])))
add("core", "Population(rf=[])", "rf",
    lambda: cortex.Population([], cortex.Mosaic(field(), [[0.0, 0.0]])))
add("core", "Population(mosaic=None)", "mosaic", lambda: cortex.Population(cortex.Gaussian(0.2), None))
systematic("core", "Population", lambda **kw: cortex.Population(
    cortex.Gaussian(0.2), cortex.Mosaic(field(), [[0.0, 0.0]]), **kw), {
        "n_sigma": (POSITIVE_BAD, {}),
        "level": ({"unknown 'nope'": "nope", "None": None, "-1.0": -1.0}, {})})
add("core", "responses(images=nan)", "images",
    lambda: cortex.responses(one_neuron(), np.full((20, 20), np.nan)))
add("core", "responses(images=(2, 3, 4, 5))", "images",
    lambda: cortex.responses(one_neuron(), np.zeros((2, 3, 4, 5))))
add("core", "responses(images=str)", "images", lambda: cortex.responses(one_neuron(), "abc"))
add("core", "responses(method='gpu')", "method",
    lambda: cortex.responses(one_neuron(), np.zeros((20, 20)), method="gpu"))
add("core", "responses(nonlinearity='square')", "nonlinearity",
    lambda: cortex.responses(one_neuron(), np.zeros((20, 20)), nonlinearity="square"))
add("core", "responses(population=None)", "population", lambda: cortex.responses(None, np.zeros(3)))
add("core", "NakaRushton(exponent=2000)(x)", "exponent",
    lambda: cortex.NakaRushton(0.5, exponent=2000)(np.array([0.1, 1.0, 10.0])))
for cls in (cortex.NakaRushton, cortex.DivisiveNormalization):
    first = "c50" if cls is cortex.NakaRushton else "sigma"
    systematic("core", cls.__name__, lambda cls=cls, **kw: cls(**kw), {
        first: (POSITIVE_BAD, {}), "exponent": (POSITIVE_BAD, {first: 0.5})})
systematic("core", "Rectify", lambda **kw: cortex.Rectify(**kw), {"threshold": (REAL_BAD, {})})


@case("core", "connectivity_matrix(48 deg at 16 px/deg, spacing 1/16)", "population")
def _big_connectivity():
    big = cortex.VisualField(48.0, 48.0, 16.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pop = cortex.Population(cortex.Gaussian(0.1), cortex.Mosaic.from_lattice(big, 1 / 16))
    return cortex.connectivity_matrix(pop)


systematic("core", "correlate_sampled",
           lambda **kw: cortex.correlate_sampled(**kw), {
               "images": ({"nan": np.full((1, 5, 5), np.nan), "2-D": np.zeros((5, 5)),
                           "str": "abc"}, {"kernels": np.ones((1, 3, 3)),
                                           "rows": np.array([1]), "cols": np.array([1])}),
               "rows": ({"float": np.array([1.0]), "outside": np.array([9])},
                        {"images": np.zeros((1, 5, 5)), "kernels": np.ones((1, 3, 3)),
                         "cols": np.array([1])}),
           })

# -- nn: layers, networks, training, files ----------------------------------------------
nn = cortex.nn
systematic("nn", "Conv2D", lambda **kw: nn.Conv2D(**kw), {
    "in_channels": ({**COUNT_BAD, "0": 0}, {"out_channels": 2, "kernel_size": 3}),
    "out_channels": ({**COUNT_BAD, "0": 0}, {"in_channels": 1, "kernel_size": 3}),
    "kernel_size": ({**COUNT_BAD, "0": 0}, {"in_channels": 1, "out_channels": 2}),
    "stride": ({**COUNT_BAD, "0": 0}, {"in_channels": 1, "out_channels": 2, "kernel_size": 3}),
    "bias": ({"str 'no'": "no", "None": None, "int 0": 0},
             {"in_channels": 1, "out_channels": 2, "kernel_size": 3}),
    "dtype": ({"None": None, "'int8'": "int8"},
              {"in_channels": 1, "out_channels": 2, "kernel_size": 3}),
    "method": (CHOICE_BAD, {"in_channels": 1, "out_channels": 2, "kernel_size": 3}),
})
add("nn", "Conv2D(1, 1, 10**5)", "kernel_size", lambda: nn.Conv2D(1, 1, 10**5))
add("nn", "Dense(10**6, 10**6)", "in_features", lambda: nn.Dense(10**6, 10**6))
systematic("nn", "Dense", lambda **kw: nn.Dense(**kw), {
    "in_features": ({**COUNT_BAD, "0": 0}, {"out_features": 2}),
    "bias": ({"str 'no'": "no", "None": None}, {"in_features": 2, "out_features": 2}),
    "dtype": ({"None": None, "'complex64'": "complex64"}, {"in_features": 2, "out_features": 2}),
})
systematic("nn", "Dropout", lambda **kw: nn.Dropout(**kw),
           {"p": ({**REAL_BAD, "1.0": 1.0, "-0.1": -0.1}, {})})
systematic("nn", "SGD", lambda **kw: nn.SGD(**kw), {"lr": (POSITIVE_BAD, {}),
                                                     "momentum": (REAL_BAD, {})})
systematic("nn", "Adam", lambda **kw: nn.Adam(**kw), {"lr": (POSITIVE_BAD, {})})
add("nn", "Sequential(None)", "layers", lambda: nn.Sequential(None))
add("nn", "Sequential(['relu'])", "layers", lambda: nn.Sequential(["relu"]))
add("nn", "ReLU().forward('abc')", "x", lambda: nn.ReLU().forward("abc"))
add("nn", "Conv2D.forward(nan)", "x",
    lambda: nn.Conv2D(1, 2, 3, seed=0).forward(np.full((1, 1, 5, 5), np.nan)))
add("nn", "Conv2D.forward(inf)", "x",
    lambda: nn.Conv2D(1, 2, 3, seed=0).forward(np.full((1, 1, 5, 5), np.inf)))
add("nn", "Dense.forward(nan)", "x", lambda: nn.Dense(3, 2, seed=0).forward(np.full((1, 3), np.nan)))
add("nn", "softmax_cross_entropy(inf logits)", "logits",
    lambda: nn.softmax_cross_entropy(np.array([[np.inf, 0.0]]), np.array([0])))
add("nn", "softmax_cross_entropy(labels out of range)", "labels",
    lambda: nn.softmax_cross_entropy(np.zeros((1, 2)), np.array([5])))
for layer_name, make, shape in (
    ("Conv2D", lambda: nn.Conv2D(1, 2, 3, seed=0), (1, 2, 3, 3)),
    ("Dense", lambda: nn.Dense(3, 2, seed=0), (1, 2)),
    ("ReLU", nn.ReLU, (1, 2)),
    ("MaxPool2D", lambda: nn.MaxPool2D(2), (1, 1, 2, 2)),
    ("Flatten", nn.Flatten, (1, 4)),
    ("Sequential", lambda: small_net(), (1, 3)),
):
    add("nn", f"{layer_name}.backward before forward", "forward",
        lambda make=make, shape=shape: make().backward(np.zeros(shape)))


@case("nn", "Adam reused on a model of other shapes", "weight")
def _adam_reuse():
    x, y = np.zeros((2, 1, 6, 6)), np.array([0, 1])
    opt = nn.Adam(1e-3)
    nn.train_step(small_net(), x, y, opt)
    other = nn.Sequential([nn.Conv2D(1, 3, 3, padding=1, seed=0, dtype="float64"), nn.Flatten(),
                           nn.Dense(3 * 36, 3, seed=1, dtype="float64")])
    return nn.train_step(other, x, y, opt)


@case("nn", "fit(Adam lr=1e6)", "lr")
def _diverge():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 1, 6, 6)), rng.integers(0, 3, 64)
    history = nn.fit(small_net(), x, y, epochs=5, batch_size=16, optimizer=nn.Adam(1e6),
                     progress=False)
    return np.array(history.loss)


systematic("nn", "fit", lambda **kw: nn.fit(small_net(), np.zeros((4, 1, 6, 6)),
                                               np.array([0, 1, 2, 0]), progress=False,
                                               optimizer=nn.SGD(0.1), **kw), {
    "epochs": ({**COUNT_BAD, "0": 0}, {"batch_size": 2}),
    "batch_size": ({**COUNT_BAD, "0": 0}, {"epochs": 1}),
    "loss": (CHOICE_BAD, {"epochs": 1, "batch_size": 2}),
})
add("nn", "fit(x=nan)", "x", lambda: nn.fit(small_net(), np.full((4, 1, 6, 6), np.nan),
                                            np.zeros(4, int), epochs=1, batch_size=2,
                                            optimizer=nn.SGD(0.1), progress=False))
add("nn", "effective_receptive_field(layer=9)", "layer",
    lambda: nn.effective_receptive_field(small_net(), (1, 6, 6), layer=9))
add("nn", "unit_tiling(layer='a')", "layer", lambda: nn.unit_tiling(small_net(), "a", field(0.6)))


def _model_file(members: dict[str, bytes]) -> Path:
    path = Path(tempfile.mkdtemp()) / "model.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _saved(tamper: Callable[[dict], dict]) -> Path:
    """A real saved model whose members are rewritten by ``tamper``."""
    path = Path(tempfile.mkdtemp()) / "model.npz"
    nn.save_model(small_net(), path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    return _model_file(tamper(members))


def _config_member(members: dict) -> str:
    for name, data in members.items():
        if name.endswith(".npy"):
            array = np.load(io.BytesIO(data), allow_pickle=False)
            if array.dtype.kind == "U":
                return name
    raise LookupError("no config member")  # the harness's own failure: shows as obscure


def _rewrite_config(edit: Callable[[dict], object]) -> Callable[[dict], dict]:
    def tamper(members: dict) -> dict:
        name = _config_member(members)
        config = json.loads(str(np.load(io.BytesIO(members[name]), allow_pickle=False)))
        members[name] = _npy(np.array(json.dumps(edit(config))))
        return members

    return tamper


def _set(config: dict, path: tuple, value: object) -> dict:
    target = config
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return config


def _first_layer_config(config: dict) -> tuple:
    key = "architecture" if "architecture" in config else next(iter(config))
    return (key, 0, "config") if isinstance(config[key], list) else (key,)


def _replace_weights(value: np.ndarray) -> Callable[[dict], dict]:
    def tamper(members: dict) -> dict:
        for name, data in members.items():
            array = np.load(io.BytesIO(data), allow_pickle=False)
            if array.dtype.kind == "f" and array.ndim == 4:
                members[name] = _npy(value.astype(array.dtype, copy=False) if value.dtype.kind
                                     != "c" else value)
                break
        return members

    return tamper


add("files", "load_model(random bytes)", "model.npz",
    lambda: nn.load_model(_write_bytes(os.urandom(1024))))
add("files", "load_model(empty zip)", "model.npz", lambda: nn.load_model(_model_file({})))
add("files", "load_model(missing config)", "model.npz",
    lambda: nn.load_model(_saved(lambda m: {k: v for k, v in m.items()
                                           if k != _config_member(m)})))
add("files", "load_model(config without architecture)", "model.npz",
    lambda: nn.load_model(_saved(_rewrite_config(lambda c: {"format": 1}))))
add("files", "load_model(layer spec is a string)", "model.npz",
    lambda: nn.load_model(_saved(_rewrite_config(
        lambda c: {**c, **{k: ["Conv2D"] for k, v in c.items() if isinstance(v, list)}}))))
add("files", "load_model(extra config key)", "model.npz",
    lambda: nn.load_model(_saved(_rewrite_config(
        lambda c: _set(c, _first_layer_config(c) + ("surprise",), 1)))))
add("files", "load_model(trainable: 'no')", "model.npz",
    lambda: nn.load_model(_saved(_rewrite_config(
        lambda c: _set(c, _first_layer_config(c)[:2] + ("trainable",), "no")))))
add("files", "load_model(NaN weights)", "model.npz",
    lambda: nn.load_model(_saved(_replace_weights(np.full((2, 1, 3, 3), np.nan)))))
add("files", "load_model(complex weights)", "model.npz",
    lambda: nn.load_model(_saved(_replace_weights(np.ones((2, 1, 3, 3), complex)))))
add("files", "load_model(1 KB file declaring Dense(30000, 30000))", "model.npz",
    lambda: nn.load_model(_saved(_rewrite_config(lambda c: _declare_huge_dense(c)))))
add("files", "save_model(into a missing directory)", "missing/m.npz",
    lambda: nn.save_model(small_net(), Path(tempfile.mkdtemp()) / "missing" / "m.npz"))


def _write_bytes(data: bytes) -> Path:
    path = Path(tempfile.mkdtemp()) / "model.npz"
    path.write_bytes(data)
    return path


def _declare_huge_dense(config: dict) -> dict:
    key = "architecture" if "architecture" in config else next(iter(config))
    for spec in config[key]:
        if spec.get("type") == "Dense":
            spec["config"]["in_features"] = 30000
            spec["config"]["out_features"] = 30000
    return config


# -- analysis --------------------------------------------------------------------------
A = cortex.analysis
add("analysis", "tuning_curve(orientation=[30])", "orientation",
    lambda: A.tuning_curve(one_neuron(), "spatial_frequency", [1.0, 2.0], orientation=[30]))
add("analysis", "tuning_curve(spatial_frequency=1e308)", "spatial_frequency",
    lambda: A.tuning_curve(one_neuron(), "orientation", [0.0, 90.0], spatial_frequency=1e308))
add("analysis", "tuning_curve(parameter='colour')", "parameter",
    lambda: A.tuning_curve(one_neuron(), "colour", [1.0]))
add("analysis", "tuning_curve(values=[])", "values",
    lambda: A.tuning_curve(one_neuron(), "orientation", []))
add("analysis", "tuning_curve(values=[nan])", "values",
    lambda: A.tuning_curve(one_neuron(), "orientation", [math.nan]))
add("analysis", "tuning_curve(target=None)", "target",
    lambda: A.tuning_curve(None, "orientation", [0.0]))
add("analysis", "spike_triggered_average(n_stimuli=1)", "n_stimuli",
    lambda: A.spike_triggered_average(one_neuron(), 1, seed=0))
systematic("analysis", "spike_triggered_average",
           lambda **kw: A.spike_triggered_average(one_neuron(), **kw), {
               "n_stimuli": ({**COUNT_BAD, "0": 0}, {"seed": 0}),
               "method": (CHOICE_BAD, {"n_stimuli": 10, "seed": 0}),
               "noise": (CHOICE_BAD, {"n_stimuli": 10, "seed": 0}),
           })
add("analysis", "preferred_grating(silent unit)", "target",
    lambda: A.preferred_grating(one_neuron(cortex.Gaussian(0.2)),
                                nonlinearity=cortex.Rectify(threshold=1e6)), expect="warn")
add("analysis", "fit_gabor(constant filter)", "kernel", lambda: A.fit_gabor(np.ones((7, 7))))
add("analysis", "gabor_likeness(constant filters)", "weights",
    lambda: A.gabor_likeness(np.ones((2, 1, 7, 7))), expect="warn")  # not Gabor-like, warned
add("analysis", "fit_gaussian(nan map)", "rf_map", lambda: A.fit_gaussian(np.full((5, 5), np.nan)))
add("analysis", "half_max_region(zero map)", "rf_map",
    lambda: A.half_max_region(np.zeros((5, 5))), expect="warn")
add("analysis", "fit_naka_rushton(contrast=[])", "contrast", lambda: A.fit_naka_rushton([], []))
add("analysis", "as_unit(neurons=[9])", "neurons", lambda: A.as_unit(one_neuron(), neurons=[9]))
add("analysis", "linear_receptive_field(ConvNet unit, layer=9)", "layer",
    lambda: A.linear_receptive_field((small_net(), 9, 0), field=field(0.6)))


# -- entry points added with the redesign and the engines ---------------------------------
add("core", "correlate(x=nan)", "x",
    lambda: cortex.correlate(np.full((1, 1, 5, 5), np.nan), np.ones((1, 1, 3, 3))))
add("core", "correlate(stride=0)", "stride",
    lambda: cortex.correlate(np.zeros((1, 1, 5, 5)), np.ones((1, 1, 3, 3)), stride=0))
add("core", "correlation.correlate_backward(grad of the wrong shape)", "grad",
    lambda: cortex.correlation.correlate_backward(
        np.zeros((1, 1, 5, 5)), np.ones((2, 1, 3, 3)), np.zeros((1, 2, 4, 4))))
add("core", "set_memory_budget(-1)", "n_bytes", lambda: cortex.set_memory_budget(-1))
add("core", "set_memory_budget('lots')", "n_bytes", lambda: cortex.set_memory_budget("lots"))
if hasattr(cortex, "save_population"):
    add("files", "save_population(None)", "population",
        lambda: cortex.save_population(None, Path(tempfile.mkdtemp()) / "p.json"))
    add("files", "load_population(random bytes)", "p.json",
        lambda: cortex.load_population(_write_named(os.urandom(256), "p.json")))
    add("files", "load_population(NaN in a number)", "p.json",
        lambda: cortex.load_population(_write_named(b'{"format": "cortex.population/1", '
                                                    b'"n_sigma": NaN}', "p.json")))
if hasattr(cortex.nn, "unit_gradient"):
    add("nn", "unit_gradient(layer=9)", "layer",
        lambda: cortex.nn.unit_gradient(small_net(), 9, 0, input_shape=(1, 6, 6)))
if hasattr(cortex.nn, "to_torch"):
    add("nn", "to_torch(None)", "model", lambda: cortex.nn.to_torch(None))
    add("nn", "from_torch('x')", "module", lambda: cortex.nn.from_torch("x"))


if hasattr(cortex.correlation, "separable_factors"):
    from cortex.correlation import separable_factors

    add("core", "separable_factors(tol=nan)", "tol",
        lambda: separable_factors(np.ones((1, 3, 3)), tol=float("nan")))
    add("core", "separable_factors(tol=1.0)", "tol",
        lambda: separable_factors(np.ones((1, 3, 3)), tol=1.0))
    add("core", "separable_factors(inf kernel)", "kernels",
        lambda: separable_factors(np.full((1, 3, 3), np.inf)))
    add("core", "separable_factors(2-D)", "kernels",
        lambda: separable_factors(np.ones((3, 3))))
    add("core", "choose_method(rank=0)", "rank",
        lambda: cortex.choose_method((64, 64), (5, 5), 1, 10, rank=0))
    add("core", "choose_method(rank > kw)", "rank",
        lambda: cortex.choose_method((64, 64), (5, 5), 1, 10, rank=6))
    add("core", "choose_method(lines without rank)", "lines",
        lambda: cortex.choose_method((64, 64), (5, 5), 1, 10, lines=(3, 2)))
    add("core", "choose_method(lines=(0, 2))", "lines",
        lambda: cortex.choose_method((64, 64), (5, 5), 1, 10, rank=2, lines=(0, 2)))
    add("core", "choose_method(lines=3)", "lines",
        lambda: cortex.choose_method((64, 64), (5, 5), 1, 10, rank=2, lines=3))
    add("core", "choose_method(lines rank > kh)", "lines",
        lambda: cortex.choose_method((64, 64), (5, 5), 1, 10, rank=2, lines=(3, 6)))
    add("core", "choose_method(n_rows=0)", "n_rows",
        lambda: cortex.choose_method((64, 64), (5, 5), 1, 10, rank=2, n_rows=0))
    add("core", "choose_method(n_rows > n_sites)", "n_rows",
        lambda: cortex.choose_method((64, 64), (5, 5), 1, 10, rank=2, n_rows=11))
    add("core", "choose_method(n_rows=2.5)", "n_rows",
        lambda: cortex.choose_method((64, 64), (5, 5), 1, 10, rank=2, n_rows=2.5))
    add("core", "choose_method(n_rows='4')", "n_rows",
        lambda: cortex.choose_method((64, 64), (5, 5), 1, 10, n_rows="4"))
    add("core", "choose_method(dtype=int)", "dtype",
        lambda: cortex.choose_method((64, 64), (5, 5), 1, 10, dtype=int))
    add("core", "choose_method(image_shape=(0, 64))", "image_shape",
        lambda: cortex.choose_method((0, 64), (5, 5), 1, 10))
    add("core", "choose_method(n_sites=1e30, measure=True)", "n_sites",
        lambda: cortex.choose_method((64, 64), (5, 5), 1, 10**30, measure=True))
    add("core", "correlate_sampled(method='separable', nan image)", "images",
        lambda: cortex.correlate_sampled(np.full((1, 8, 8), np.nan), np.ones((1, 3, 3)),
                                         np.array([1]), np.array([1]), method="separable"))

if importlib.util.find_spec("cortex.presets") is not None:
    from cortex import lattices, mosaic_stats, presets
    from cortex.analysis import prf

    lattice = cortex.Mosaic.from_lattice(field(), 0.3, "hexagonal")
    add("core", "Mosaic.with_coverage(target=-1)", "target",
        lambda: lattice.with_coverage(cortex.Gaussian(0.1), -1.0))
    add("core", "Mosaic.with_coverage(target=nan)", "target",
        lambda: lattice.with_coverage(cortex.Gaussian(0.1), float("nan")))
    add("core", "Mosaic.with_coverage(target=lambda: nan)", "target",
        lambda: lattice.with_coverage(cortex.Gaussian(0.1), lambda e: e * np.nan))
    add("core", "mosaic_stats.regularity_index('x')", "mosaic",
        lambda: mosaic_stats.regularity_index("x"))
    add("core", "mosaic_stats.density_recovery_profile(bin_width=0)", "bin_width",
        lambda: mosaic_stats.density_recovery_profile(lattice, bin_width=0.0))
    add("core", "mosaic_stats.voronoi_areas(edge_correction='yes')", "edge_correction",
        lambda: mosaic_stats.voronoi_areas(lattice, edge_correction="yes"))
    add("core", "lattices.poisson_disk(min_distance=0)", "min_distance",
        lambda: lattices.poisson_disk(field(), 0.0))
    add("core", "lattices.poisson_disk(min_distance=1e-9)", "min_distance",
        lambda: lattices.poisson_disk(field(), 1e-9))
    add("core", "lattices.exclusion_mosaic(regularity_index=50)", "regularity_index",
        lambda: lattices.exclusion_mosaic(cortex.VisualField(10, 10, 10), 4.0, 50.0))
    add("core", "lattices.foveated(magnification=-1)", "magnification",
        lambda: lattices.foveated(field(), magnification=lambda e: -1.0 + 0 * e))
    add("core", "lattices.foveated(spacing_mm=inf)", "spacing_mm",
        lambda: lattices.foveated(field(), spacing_mm=float("inf")))
    add("core", "presets.population('MT')", "area",
        lambda: presets.population("MT", field()))
    add("core", "presets.prf_size('V1', -1)", "eccentricity",
        lambda: presets.prf_size("V1", -1.0))
    add("analysis", "prf.bar_sweep(width=nan)", "width",
        lambda: prf.bar_sweep(field(), width=float("nan"), step=0.1))
    add("analysis", "prf.bar_sweep(step=1e-9) on a big field", "step",
        lambda: prf.bar_sweep(cortex.VisualField(50, 50, 50), width=0.5, step=1e-9))
    add("analysis", "prf.fit_prf(response=constant)", "response",
        lambda: prf.fit_prf(field(), np.ones((3, 20, 20)), np.ones(3)))
    add("core", "cortex.validate(seed=-1)", "seed", lambda: cortex.validate(seed=-1))

if importlib.util.find_spec("cortex.temporal") is not None:
    from cortex import dynamics, movies, spikes, temporal

    add("core", "temporal.Monophasic(tau=-1)", "tau", lambda: temporal.Monophasic(-1.0, 3))
    add("core", "temporal.Biphasic(tau1=nan)", "tau1",
        lambda: temporal.Biphasic(float("nan"), 0.03))
    add("core", "temporal.Exponential(0.01).kernel(fps=0)", "frames_per_second",
        lambda: temporal.Exponential(0.01).kernel(0.0))
    add("core", "temporal.Exponential(1e-9).kernel(fps=1e6)", "tau",
        lambda: temporal.Exponential(1e-9).kernel(1e6))
    add("core", "movies.drifting_grating(duration=inf)", "duration",
        lambda: movies.drifting_grating(field(), 100.0, float("inf"), spatial_frequency=1.0,
                                        temporal_frequency=2.0))
    add("core", "movies.white_noise_movie(duration=1e6)", "duration",
        lambda: movies.white_noise_movie(field(), 1000.0, 1e6, seed=0))
    add("core", "movies.moving_bar(speed=nan)", "speed",
        lambda: movies.moving_bar(field(), 100.0, 0.1, speed=float("nan")))
    add("core", "movies.Movie(frames 2-D)", "frames",
        lambda: movies.Movie(np.zeros((20, 20)), 100.0, field()))
    add("core", "dynamics.movie_responses(temporal='fast')", "temporal",
        lambda: dynamics.movie_responses(one_neuron(), movies.white_noise_movie(
            field(), 100.0, 0.05, seed=0), "fast"))
    add("core", "spikes.poisson_spikes(rates<0)", "rates",
        lambda: spikes.poisson_spikes(-np.ones((10, 3)), 100.0, seed=0))
    add("core", "spikes.poisson_spikes(rates=inf)", "rates",
        lambda: spikes.poisson_spikes(np.full((10, 3), np.inf), 100.0, seed=0))
    add("core", "spikes.poisson_spikes(rates huge)", "rates",
        lambda: spikes.poisson_spikes(np.full((10, 3), 1e15), 100.0, seed=0))
    add("core", "spikes.gamma_spikes(order=0)", "order",
        lambda: spikes.gamma_spikes(np.ones((10, 3)), 100.0, order=0.0, seed=0))

def _scale():
    import cortex.scale

    return cortex.scale


def _dask_zeros(shape: tuple[int, ...]):
    import dask.array

    return dask.array.zeros(shape)


try:
    import cortex.scale  # noqa: F401 - the module exists in this version

    add("core", "scale.write_white_noise(n_images=-1)", "n_images",
        lambda: _scale().write_white_noise(Path(tempfile.mkdtemp()) / "s.zarr", field(), -1))
    add("core", "scale.open_images(a missing store)", "missing.zarr",
        lambda: _scale().open_images(Path(tempfile.mkdtemp()) / "missing.zarr"))
    add("core", "scale.movie_responses(frames_per_second=0)", "frames_per_second",
        lambda: _scale().movie_responses(
            one_neuron(), _dask_zeros((5, 20, 20)), temporal.Monophasic(0.01, 2), 0.0))
except ImportError:
    pass


def _write_named(data: bytes, name: str) -> Path:
    path = Path(tempfile.mkdtemp()) / name
    path.write_bytes(data)
    return path


# -- CLI ----------------------------------------------------------------------------------
def cli(*argv: str) -> subprocess.CompletedProcess:
    out = tempfile.mkdtemp()
    return subprocess.run(
        [sys.executable, "-m", "cortex", *argv, "--out", out],
        capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )


for argv, option in (
    (("tuning", "--ppd", "1e308", "--sf", "1e-300"), "--ppd"),
    (("tuning", "--field", "1e308"), "--field"),
    (("tuning", "--sf", "nan"), "--sf"),
    (("tuning", "--orientation", "inf"), "--orientation"),
    (("sta", "--n-stimuli", "-5"), "--n-stimuli"),
    (("sta", "--ppd", "0"), "--ppd"),
    (("train", "--lr", "1e6", "--small", "--epochs", "2"), "--lr"),
    (("train", "--epochs", "1.5"), "--epochs"),
    (("demo", "--seed", "-1"), "--seed"),
    (("validate", "--seed", "nan"), "--seed"),
):
    add("cli", "cortex " + " ".join(argv), option, lambda argv=argv: cli(*argv))


def _respond_job() -> Path:
    """A directory with a population file and a small image set on its field."""
    directory = Path(tempfile.mkdtemp())
    pop = one_neuron(cortex.Gaussian(0.2))
    cortex.save_population(pop, directory / "pop.json")
    _scale().write_white_noise(directory / "set.zarr", pop.field, 8, seed=0)
    return directory


def respond_cli(*extra: str, population: str = "pop.json", images: str = "set.zarr",
                out: str = "r.zarr", setup: Callable[[Path], object] | None = None):
    directory = _respond_job()
    if setup is not None:
        setup(directory)
    argv = ["respond", "--population", str(directory / population),
            "--images", str(directory / images), "--out", str(directory / out), *extra]
    return subprocess.run([sys.executable, "-m", "cortex", *argv], capture_output=True,
                          text=True, timeout=TIMEOUT, check=False)


def _other_field_set(directory: Path) -> None:
    _scale().write_white_noise(directory / "other.zarr", field(3.0), 4, seed=0)


def _not_a_population(directory: Path) -> None:
    (directory / "bad.json").write_text('{"rf": [], "mosaic": 3}')


try:
    import dask  # noqa: F401
    import zarr  # noqa: F401

    import cortex.cli.respond  # noqa: F401 - the command exists in this version

    for label, option, kwargs in (
        ("--population missing.json", "--population", {"population": "missing.json"}),
        ("--population bad.json", "--population",
         {"population": "bad.json", "setup": _not_a_population}),
        ("--images missing.zarr", "--images", {"images": "missing.zarr"}),
        ("--images other-field.zarr", "--images",
         {"images": "other.zarr", "setup": _other_field_set}),
        ("--out = --images", "--out", {"out": "set.zarr"}),
    ):
        add("cli", f"cortex respond {label}", option, lambda kwargs=kwargs: respond_cli(**kwargs))
    for extra, option in (
        (("--workers", "0"), "--workers"),
        (("--workers", "1e9"), "--workers"),
        (("--scheduler", "local", "--memory-limit", "nan"), "--memory-limit"),
        (("--scheduler", "local", "--memory-limit", "-1G"), "--memory-limit"),
        (("--memory-limit", "1G"), "--memory-limit"),
        (("--scheduler", "tcp://127.0.0.1:9", "--workers", "2"), "--workers"),
        (("--scheduler", "not an address"), "--scheduler"),
        (("--method", "fast"), "--method"),
    ):
        add("cli", "cortex respond " + " ".join(extra), option,
            lambda extra=extra: respond_cli(*extra))
except ImportError:
    pass

# -- running and classifying -------------------------------------------------------------
def _nonfinite(value: object) -> bool:
    if isinstance(value, np.ndarray) and value.dtype.kind in "fc":
        return not bool(np.all(np.isfinite(value)))
    if isinstance(value, float | np.floating | complex):
        return not math.isfinite(abs(value))
    if isinstance(value, tuple | list):
        return any(_nonfinite(v) for v in value)
    if isinstance(value, dict):
        return any(_nonfinite(v) for v in value.values())
    if hasattr(value, "__dataclass_fields__") and type(value).__module__.startswith(
        "cortex.analysis"
    ):  # a result record (fits, curves): every number in it must be finite
        return any(_nonfinite(getattr(value, f)) for f in value.__dataclass_fields__)
    return False


def _named(message: str, argument: str) -> bool:
    return argument.lstrip("-") in message


def classify(item: Case) -> tuple[str, str]:
    """Run one case in this process: ``(category, detail)``."""
    if hasattr(cortex, "set_memory_budget"):
        cortex.set_memory_budget(BUDGET)
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = item.call()
    except MemoryError as exc:
        if isinstance(exc, ValueError):  # a budget refusal: a clear error
            return ("clear" if _named(str(exc), item.argument) or "budget" in str(exc)
                    else "obscure"), f"MemoryBudgetError: {exc}"
        return "memory", f"MemoryError: {exc}"
    except FileNotFoundError as exc:  # a missing file: the standard error, if it names the path
        return ("clear" if _named(str(exc), item.argument) else "obscure"), f"FileNotFoundError: {exc}"
    except (TypeError, ValueError, FloatingPointError, RuntimeError) as exc:
        kind = type(exc).__name__
        if isinstance(exc, RuntimeError) and not isinstance(exc, FloatingPointError):
            named = "forward" in str(exc) and item.argument == "forward"
            return ("clear" if named else "obscure"), f"{kind}: {exc}"
        return ("clear" if _named(str(exc), item.argument) else "obscure"), f"{kind}: {exc}"
    except Exception as exc:  # noqa: BLE001 - anything else is an obscure error
        return "obscure", f"{type(exc).__name__}: {exc}"
    if isinstance(result, subprocess.CompletedProcess):
        text = result.stderr.strip()
        if "Traceback" in text:
            return "obscure", f"exit {result.returncode}, traceback: {text.splitlines()[-1]}"
        if result.returncode == 0:
            return "accepted", "exit 0"
        named = _named(text, item.argument) or result.returncode == 130
        return ("clear" if named else "obscure"), f"exit {result.returncode}: {text[:160]}"
    runtime = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    if item.expect == "warn" and runtime:
        return "clear", f"{runtime[0].category.__name__}: {runtime[0].message}"
    if item.argument == "lr" and runtime:  # a diverging fit warned (DivergenceWarning)
        return "clear", f"{runtime[0].category.__name__}: {runtime[0].message}"
    if _nonfinite(result):
        return "silent", "returned NaN/inf"
    return "accepted", f"returned {type(result).__name__}"


def _child(index: int, conn) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    try:
        conn.send(classify(CASES[index]))
    except BaseException as exc:  # noqa: BLE001 - report whatever killed the case
        conn.send(("memory" if isinstance(exc, MemoryError) else "obscure", repr(exc)[:200]))


def run_case(index: int) -> tuple[str, str]:
    """Run case ``index`` in a forked child under the limits."""
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(index, child))
    process.start()
    child.close()
    if parent.poll(TIMEOUT):
        try:
            result = parent.recv()
        except EOFError:
            result = ("memory", "the child died (address-space limit?)")
        process.join(5)
    else:
        process.kill()
        result = ("hang", f"still running after {TIMEOUT:g} s")
    process.join()
    if result is None:  # pragma: no cover
        result = ("obscure", "no result")
    if process.exitcode not in (0, None) and result[0] == "obscure" and not result[1]:
        result = ("memory", f"child exit code {process.exitcode}")
    return result


def run_all(select: str | None = None) -> list[dict[str, str]]:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    rows = []
    for index, item in enumerate(CASES):
        if select and select not in item.group:
            continue
        category, detail = run_case(index)
        rows.append({"group": item.group, "case": item.label, "argument": item.argument,
                     "category": category, "detail": detail})
    return rows


def table(rows: list[dict[str, str]]) -> str:
    groups = sorted({row["group"] for row in rows}, key=["core", "nn", "files", "analysis",
                                                         "cli"].index)
    counts = collections.Counter((row["group"], row["category"]) for row in rows)
    width = max(len(g) for g in groups + ["total"])
    lines = [f"{'group':<{width}}  " + "  ".join(f"{c:>8}" for c in CATEGORIES) + "     all"]
    for group in groups + ["total"]:
        cells = [sum(v for (g, c), v in counts.items() if c == cat and group in (g, "total"))
                 for cat in CATEGORIES]
        lines.append(f"{group:<{width}}  " + "  ".join(f"{n:>8}" for n in cells)
                     + f"  {sum(cells):>6}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", action="store_true", help="list every case that is not clear")
    parser.add_argument("--json", action="store_true", help="print the classified cases as JSON")
    parser.add_argument("--group", help="run only the cases of this group")
    args = parser.parse_args(argv)
    rows = run_all(args.group)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"# cortex {cortex.__version__} from {Path(cortex.__file__).parent}: "
          f"{len(rows)} bad inputs against {len({r['case'].split('(')[0] for r in rows})} "
          "entry points")
    print(table(rows))
    if args.verbose:
        for row in rows:
            if row["category"] != "clear":
                print(f"[{row['category']}] {row['group']}: {row['case']} -> {row['detail']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Model files: round trips, the checks on every malformed file, atomic and recoverable saves."""

import json
import os
import re
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cortex
import cortex._io as cortex_io
import cortex.nn.layers as layers_module
from cortex import MemoryBudgetError
from cortex.nn import (
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    LocallyConnected2D,
    MaxPool2D,
    ReLU,
    Sequential,
    load_model,
    load_weights,
    predict,
    save_model,
)


def small_net(seed=0):
    return Sequential(
        [
            Conv2D(1, 4, 3, padding=1, seed=seed),
            ReLU(),
            MaxPool2D(2),
            Flatten(),
            Dropout(0.2, seed=seed),
            Dense(4 * 8 * 8, 2, seed=seed),
        ]
    )


@pytest.fixture
def budget():
    """Set the memory budget for one test; the default is restored afterwards."""
    yield cortex.set_memory_budget
    cortex.set_memory_budget(None)


def header_of(model):
    return {"format": "cortex.nn/1", "architecture": model.architecture()}


def write_file(path, header, params=None, members=None):
    """A model file written by hand: ``header`` (JSON object, or raw text) and ``param/`` arrays.

    An array given as ``bytes`` is written as the member's raw content.
    """
    text = header if isinstance(header, str) else json.dumps(header)
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open("__architecture__.npy", "w") as handle:
            np.lib.format.write_array(handle, np.array(text))
        for name, value in {
            **{f"param/{k}.npy": v for k, v in (params or {}).items()},
            **(members or {}),
        }.items():
            with archive.open(name, "w") as handle:
                if isinstance(value, bytes):
                    handle.write(value)
                else:
                    np.lib.format.write_array(handle, value, allow_pickle=True)
    return path


def dense_file(path, config=None, params=None, trainable=True, **header_changes):
    """A one-layer Dense model file (3 -> 2), with config/params/header overrides."""
    config = {"in_features": 3, "out_features": 2, "bias": True, "dtype": "float32"} | (
        config or {}
    )
    spec = {"type": "Dense", "config": config, "trainable": trainable}
    header = {"format": "cortex.nn/1", "architecture": [spec]} | header_changes
    if params is None:
        params = {"0.weight": np.ones((2, 3), np.float32), "0.bias": np.zeros(2, np.float32)}
    return write_file(path, header, params)


def raises_for(path, match):
    """pytest.raises(ValueError) whose message names ``path`` and matches ``match``."""
    return pytest.raises(ValueError, match=re.escape(repr(str(path))) + ".*" + match)


# -- round trips ------------------------------------------------------------------------
def test_save_load_round_trip(tmp_path, rng):
    x = rng.standard_normal((5, 1, 16, 16)).astype(np.float32)
    model = small_net(seed=4)
    model[0].trainable = False
    path = save_model(model, tmp_path / "net")
    assert path.name == "net.npz"
    assert os.listdir(tmp_path) == ["net.npz"]  # no temporary file left behind
    with np.load(path, allow_pickle=False) as data:  # readable without pickle
        assert "__architecture__" in data.files
    loaded = load_model(path)
    np.testing.assert_array_equal(predict(loaded, x), predict(model.eval(), x))
    assert not loaded[0].trainable and loaded[5].trainable
    assert loaded.architecture() == model.architecture()
    other = small_net(seed=9)
    load_weights(other, path)
    np.testing.assert_array_equal(other[0].params["weight"], model[0].params["weight"])
    different = Sequential([Flatten(), Dense(16 * 16, 2)])
    with raises_for(path, "different architecture"):
        load_weights(different, path)


def test_every_layer_type_round_trips(tmp_path, rng):
    model = Sequential(
        [
            LocallyConnected2D(2, 3, (7, 7), 3, stride=2, padding=1, dtype="float64", seed=1),
            ReLU(),
            MaxPool2D((2, 2), stride=1),
            Conv2D(3, 2, (1, 2), bias=False, method="centers", seed=2),
            Flatten(),
            Dense(2 * 3 * 2, 4, bias=False, seed=3),
        ]
    )
    path = save_model(model, tmp_path / "all.npz")
    loaded = load_model(path)
    assert loaded.architecture() == model.architecture()
    x = rng.standard_normal((2, 2, 7, 7))
    np.testing.assert_array_equal(predict(loaded, x), predict(model, x))
    for (_, a, _), (_, b, _) in zip(loaded.parameters(), model.parameters(), strict=True):
        assert a.dtype == b.dtype and a.flags.c_contiguous


def test_loading_draws_no_random_numbers(tmp_path, monkeypatch):
    path = save_model(small_net(), tmp_path / "net.npz")

    class NoDraws:
        def uniform(self, *args, **kwargs):
            raise AssertionError("load_model drew random initial weights")

        random = uniform

    monkeypatch.setattr(layers_module, "as_rng", lambda seed=None, name="seed": NoDraws())
    loaded = load_model(path)
    assert all(np.all(np.isfinite(v)) for v in loaded.state().values())


def test_big_endian_and_fortran_order_arrays_are_read(tmp_path):
    weight = np.arange(6, dtype=np.float32).reshape(2, 3)
    path = dense_file(
        tmp_path / "m.npz",
        params={"0.weight": np.asfortranarray(weight), "0.bias": np.ones(2, ">f4")},
    )
    model = load_model(path)
    np.testing.assert_array_equal(model[0].params["weight"], weight)
    assert model[0].params["bias"].dtype == np.float32 and model[0].params["bias"].dtype.isnative


# -- malformed files: ValueError naming the path and the problem ----------------------------
def test_random_bytes_truncated_and_foreign_files(tmp_path):
    path = save_model(small_net(), tmp_path / "net.npz")
    data = path.read_bytes()
    cases = {
        "random.npz": np.random.default_rng(0).bytes(1000),
        "empty.npz": b"",
        "cut.npz": data[: len(data) // 2],
        "pickle.npz": b"\x80\x04\x95" + bytes(100),
        "npy.npz": b"\x93NUMPY\x01\x00" + bytes(100),
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with raises_for(tmp_path / name, "not a cortex model file") as info:
            load_model(tmp_path / name)
        assert "allow_pickle" not in str(info.value)
    np.savez(tmp_path / "plain.npz", a=np.zeros(3))
    with raises_for(tmp_path / "plain.npz", "holds no architecture"):
        load_model(tmp_path / "plain.npz")
    with zipfile.ZipFile(tmp_path / "emptyzip.npz", "w"):
        pass
    with raises_for(tmp_path / "emptyzip.npz", "holds no architecture"):
        load_model(tmp_path / "emptyzip.npz")
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        load_model(tmp_path / "missing.npz")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        load_model(tmp_path)
    with pytest.raises(TypeError, match="`path` must be a str or path-like"):
        load_model(3)


@pytest.mark.parametrize(
    ("header", "match"),
    [
        ("{not json", "not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('"a string"', "must be a JSON object"),
        ({"architecture": []}, "not a cortex model file of format 'cortex.nn/1'"),
        ({"format": "cortex.nn/9", "architecture": []}, "format 'cortex.nn/9'"),
        ({"format": "cortex.nn/1"}, "no `architecture` key"),
        ({"format": "cortex.nn/1", "architecture": [], "x": 1}, r"unexpected keys \['x'\]"),
        ({"format": "cortex.nn/1", "architecture": []}, "non-empty list of layers"),
        ({"format": "cortex.nn/1", "architecture": {"type": "ReLU"}}, "non-empty list"),
        ({"format": "cortex.nn/1", "architecture": ["Dense"]}, "layer 0 must be a JSON object"),
        ({"format": "cortex.nn/1", "architecture": [None]}, "layer 0 must be a JSON object"),
        (
            {"format": "cortex.nn/1", "architecture": [{"type": "ReLU"}]},
            r"layer 0: missing \['config'\]",
        ),
        (
            {"format": "cortex.nn/1", "architecture": [{"config": {}}]},
            r"layer 0: missing \['type'\]",
        ),
        (
            {"format": "cortex.nn/1", "architecture": [{"type": "ReLU", "config": {}, "x": 0}]},
            r"unexpected keys \['x'\]",
        ),
        (
            {"format": "cortex.nn/1", "architecture": [{"type": "Linear", "config": {}}]},
            "unknown layer type 'Linear'; known types: Conv2D",
        ),
        (
            {"format": "cortex.nn/1", "architecture": [{"type": ["ReLU"], "config": {}}]},
            "unknown layer type",
        ),
        (
            {"format": "cortex.nn/1", "architecture": [{"type": "ReLU", "config": []}]},
            r"layer 0 \(ReLU\): `config` must be a JSON object",
        ),
        (
            {"format": "cortex.nn/1", "architecture": [{"type": "ReLU", "config": {"p": 1}}]},
            r"unexpected config keys \['p'\] \(accepted: none\)",
        ),
        (
            {"format": "cortex.nn/1", "architecture": [{"type": "MaxPool2D", "config": {}}]},
            r"layer 0 \(MaxPool2D\): missing config keys \['kernel_size'\]",
        ),
    ],
)
def test_headers_that_fail_the_schema(tmp_path, header, match):
    path = write_file(tmp_path / "m.npz", header)
    with raises_for(path, match):
        load_model(path)


@pytest.mark.parametrize(
    ("config", "trainable", "match"),
    [
        ({"in_features": "3"}, True, "`in_features` must be an integer, got '3'"),
        ({"in_features": 3.0}, True, "`in_features` must be an integer, got 3.0"),
        ({"in_features": True}, True, "`in_features` must be an integer, got True"),
        ({"out_features": 0}, True, "`out_features` must be >= 1, got 0"),
        ({"out_features": None}, True, "`out_features` must be an integer, got None"),
        ({"bias": "no"}, True, "`bias` must be True or False, got 'no'"),
        ({"bias": 1}, True, "`bias` must be True or False, got 1"),
        ({"dtype": "int8"}, True, "`dtype` must be float32 or float64, got int8"),
        ({"dtype": None}, True, "`dtype` must be 'float32' or 'float64'"),
        ({"dtype": ["float32"]}, True, "`dtype` must be 'float32' or 'float64'"),
        ({"seed": 0}, True, r"unexpected config keys \['seed'\]"),
        ({}, "no", "`trainable` must be true or false, got 'no'"),
        ({}, 1, "`trainable` must be true or false, got 1"),
        ({}, None, "`trainable` must be true or false, got None"),
    ],
)
def test_config_values_are_typed_and_ranged(tmp_path, config, trainable, match):
    path = dense_file(tmp_path / "m.npz", config, trainable=trainable)
    with raises_for(path, r"layer 0 \(Dense\): " + match):
        load_model(path)


def test_missing_config_keys_take_the_constructor_defaults(tmp_path):
    path = dense_file(tmp_path / "m.npz", {"bias": True})
    header = json.loads(json.dumps(header_of(Sequential([Dense(3, 2)]))))
    del header["architecture"][0]["config"]["dtype"]  # default float32
    del header["architecture"][0]["trainable"]  # default True
    write_file(path, header, {"0.weight": np.ones((2, 3), np.float32), "0.bias": np.ones(2)})
    with raises_for(path, r"parameter 0.bias is declared with shape \(2,\) and dtype float64"):
        load_model(path)
    write_file(
        path, header, {"0.weight": np.ones((2, 3), np.float32), "0.bias": np.ones(2, np.float32)}
    )
    assert load_model(path)[0].trainable


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"0.weight": np.ones((2, 3), np.float32)}, r"missing \['0.bias'\]"),
        (
            {
                "0.weight": np.ones((2, 3), np.float32),
                "0.bias": np.zeros(2, np.float32),
                "0.extra": np.zeros(2, np.float32),
            },
            r"unexpected \['0.extra'\]",
        ),
        (
            {"0.weight": np.ones((3, 2), np.float32), "0.bias": np.zeros(2, np.float32)},
            r"parameter 0.weight is declared with shape \(3, 2\).*needs shape \(2, 3\)",
        ),
        (
            {"0.weight": np.ones((2, 3)), "0.bias": np.zeros(2, np.float32)},
            "parameter 0.weight is declared with shape .* dtype float64, .* dtype float32",
        ),
        (
            {"0.weight": np.ones((2, 3), np.complex64), "0.bias": np.zeros(2, np.float32)},
            "dtype complex64",
        ),
        (
            {"0.weight": np.full((2, 3), np.nan, np.float32), "0.bias": np.zeros(2, np.float32)},
            "parameter 0.weight holds 6 NaN or infinite value",
        ),
        (
            {"0.weight": np.ones((2, 3), np.float32), "0.bias": np.array([np.inf, 0], "f4")},
            "parameter 0.bias holds 1 NaN or infinite value",
        ),
        (
            {"0.weight": np.ones((2, 3), np.float32), "0.bias": b"\x93NUMPY garbage"},
            "member param/0.bias.npy is not a valid .npy array",
        ),
        (
            {"0.weight": np.ones((2, 3), np.float32), "0.bias": b""},
            "member param/0.bias.npy is (not a valid .npy array|truncated)",
        ),
    ],
)
def test_arrays_are_checked_against_the_architecture(tmp_path, params, match):
    path = dense_file(tmp_path / "m.npz", params=params)
    with raises_for(path, match):
        load_model(path)


def test_a_member_that_is_not_a_parameter_is_refused(tmp_path):
    path = write_file(
        tmp_path / "m.npz",
        header_of(Sequential([ReLU()])),
        members={"notes.txt": b"hello"},
    )
    with raises_for(path, "unexpected member 'notes.txt'"):
        load_model(path)


def test_pickled_weights_never_run(tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    params = {"0.weight": np.array([Payload()], dtype=object), "0.bias": np.zeros(2, np.float32)}
    path = dense_file(tmp_path / "m.npz", params=params)
    with raises_for(path, r"parameter 0.weight is declared with shape \(1,\) and dtype object"):
        load_model(path)
    assert not marker.exists()


def _dense_30000_file(path):
    """About 1 KB: a Dense(30000, 30000) whose weight header declares 3.6 GB of data."""
    member = bytearray()

    class Sink:
        def write(self, data):
            member.extend(data)

    np.lib.format.write_array_header_1_0(
        Sink(), {"descr": "<f4", "fortran_order": False, "shape": (30000, 30000)}
    )
    member.extend(bytes(64))  # 64 bytes of the 3.6e9 declared
    config = {"in_features": 30000, "out_features": 30000, "bias": False, "dtype": "float32"}
    return dense_file(path, config, params={"0.weight": bytes(member)})


def test_a_small_file_declaring_a_huge_layer_is_refused_before_allocating(tmp_path, budget):
    path = _dense_30000_file(tmp_path / "huge.npz")
    assert path.stat().st_size < 2000
    budget("1T")  # the budget allows it: the stored size gives the file away
    tracemalloc.start()
    try:
        with raises_for(path, r"parameter 0.weight declares 3600000000 bytes of data, its "):
            load_model(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20
    budget("256M")  # the cap on declared sizes: refused from the architecture alone
    with pytest.raises(MemoryBudgetError, match=re.escape(repr(str(path))) + ".*9e\\+08 param"):
        load_model(path)


def test_the_memory_budget_caps_a_valid_model_file(tmp_path, budget):
    path = save_model(Sequential([Dense(1000, 1000, seed=0)]), tmp_path / "m.npz")
    budget("4M")  # 4 MB of weights + 4 MB of gradients: over
    with pytest.raises(MemoryBudgetError, match=re.escape(repr(str(path)))) as info:
        load_model(path)
    assert isinstance(info.value, ValueError) and "over the memory budget" in str(info.value)
    budget("64M")
    assert load_model(path)[0].params["weight"].shape == (1000, 1000)


def test_an_oversized_header_is_refused_before_reading_it(tmp_path):
    member = bytearray()

    class Sink:
        def write(self, data):
            member.extend(data)

    np.lib.format.write_array_header_1_0(
        Sink(), {"descr": "<U100000000", "fortran_order": False, "shape": ()}
    )
    path = tmp_path / "m.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__architecture__.npy", bytes(member) + b"{}")
    with raises_for(path, "declares 100000000 characters, over the limit"):
        load_model(path)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@given(
    key=st.sampled_from(
        [
            "in_channels",
            "out_channels",
            "kernel_size",
            "stride",
            "padding",
            "bias",
            "dtype",
            "method",
            "new",
        ]
    ),
    value=json_values,
)
def test_any_config_value_loads_or_is_refused_naming_the_file(tmp_path_factory, key, value):
    conv = Sequential([Conv2D(1, 2, 3, seed=0)])
    header = json.loads(json.dumps(header_of(conv)))
    header["architecture"][0]["config"][key] = value
    path = tmp_path_factory.mktemp("fuzz") / "m.npz"
    write_file(path, json.dumps(header), {f"0.{k}": v for k, v in conv[0].params.items()})
    try:
        model = load_model(path)
    except ValueError as exc:
        assert repr(str(path)) in str(exc)
    else:  # only values that change nothing the file holds
        assert model[0].params["weight"].shape == (2, 1, 3, 3)


@given(data=st.data())
def test_any_corrupted_byte_loads_or_is_refused_naming_the_file(tmp_path_factory, data):
    directory = tmp_path_factory.mktemp("flip")
    path = save_model(Sequential([Conv2D(1, 2, 3, seed=0), Flatten()]), directory / "m.npz")
    content = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 3))):
        content[data.draw(st.integers(0, len(content) - 1))] ^= data.draw(st.integers(1, 255))
    path.write_bytes(bytes(content))
    try:
        model = load_model(path)
    except ValueError as exc:
        assert repr(str(path)) in str(exc)
    else:
        assert all(np.all(np.isfinite(v)) for v in model.state().values())


# -- saving -------------------------------------------------------------------------------
def test_save_errors_name_the_destination(tmp_path):
    model = Sequential([Dense(3, 2)])
    destination = tmp_path / "no" / "such" / "dir" / "net.npz"
    with pytest.raises(FileNotFoundError, match=re.escape(repr(str(destination)))) as info:
        save_model(model, destination)
    assert isinstance(info.value, ValueError)  # a wrong `path`, as well
    assert "directory" in str(info.value) and ".partial" not in str(info.value)
    with pytest.raises(FileNotFoundError, match=re.escape(repr(str(destination)))) as info:
        cortex_io.atomic_write(destination, lambda handle: handle.write(b"x"))
    assert ".partial" not in str(info.value)
    (tmp_path / "dir.npz").mkdir()
    with pytest.raises(OSError, match=re.escape(repr(str(tmp_path / "dir.npz")))) as info:
        save_model(model, tmp_path / "dir.npz")
    assert ".partial" not in str(info.value)
    assert sorted(os.listdir(tmp_path)) == ["dir.npz"]  # no temporary file left
    with pytest.raises(TypeError, match="`path` must be a str or path-like, got None"):
        save_model(model, None)
    with pytest.raises(TypeError, match="`model` must be a Sequential"):
        save_model([Dense(3, 2)], tmp_path / "x.npz")


def test_weights_that_could_not_be_loaded_are_not_saved(tmp_path):
    model = Sequential([Dense(3, 2)])
    model[0].params["bias"][0] = np.nan
    with pytest.raises(ValueError, match=r"parameter 0.bias holds 1 NaN.*not saving"):
        save_model(model, tmp_path / "m.npz")
    assert os.listdir(tmp_path) == []


def test_an_interrupted_save_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = save_model(small_net(seed=1), tmp_path / "net.npz")
    old = path.read_bytes()

    def interrupted(handle, **arrays):
        handle.write(b"PK\x03\x04 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_model(small_net(seed=2), path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["net.npz"]


def _partials(directory):
    return sorted(name for name in os.listdir(directory) if name.endswith(".partial"))


def test_a_killed_save_leaves_a_recognisable_temporary_that_the_next_save_removes(tmp_path):
    path = save_model(small_net(seed=1), tmp_path / "net.npz")
    old = path.read_bytes()
    # a real save, killed (SIGKILL) in the middle of writing the file
    script = textwrap.dedent(
        f"""
        import os, signal, numpy as np
        from cortex.nn import Dense, Sequential, save_model

        def half_then_die(handle, **arrays):
            handle.write(b"PK" + bytes(4096))
            handle.flush()
            os.kill(os.getpid(), signal.SIGKILL)

        np.savez = half_then_die
        save_model(Sequential([Dense(3, 2)]), {str(path)!r})
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert result.returncode == -9, result.stderr.decode()
    assert path.read_bytes() == old  # the old file is intact
    (left,) = _partials(tmp_path)
    assert re.fullmatch(r"\.net\.npz\.\d+-[a-z0-9_]{8}\.partial", left)
    assert (tmp_path / left).stat().st_size >= 4096
    # a writer that is still alive keeps its temporary file; this process's stale one goes
    live = tmp_path / f".net.npz.{os.getppid()}-abcdefgh.partial"
    mine = tmp_path / f".net.npz.{os.getpid()}-abcdefgh.partial"
    other = tmp_path / f".other.npz.{os.getpid()}-abcdefgh.partial"
    for file in (live, mine, other):
        file.write_bytes(b"x")
    save_model(small_net(seed=2), path)
    assert _partials(tmp_path) == sorted([live.name, other.name])
    np.testing.assert_array_equal(
        load_model(path)[0].params["weight"], small_net(seed=2)[0].params["weight"]
    )


def test_atomic_write_keeps_the_temporary_of_a_write_in_progress(tmp_path):
    destination = tmp_path / "out.txt"
    seen = []

    def write(handle):
        (in_progress,) = _partials(tmp_path)
        seen.append(in_progress)
        # a second write to the same path, from inside the first: must not remove it
        cortex_io.atomic_write(destination, lambda h: h.write(b"inner"))
        assert _partials(tmp_path) == [in_progress]
        handle.write(b"outer")

    cortex_io.atomic_write(destination, write)
    assert destination.read_bytes() == b"outer"
    assert _partials(tmp_path) == []
    assert seen[0].startswith(f".out.txt.{os.getpid()}-")

"""Save and load models: one ``.npz`` of weights with the architecture as JSON inside, no pickle.

A model file is a zip archive (what :func:`numpy.savez` writes) holding

* ``__architecture__.npy``: a 0-d unicode array, the JSON header
  ``{"format": "cortex.nn/1", "architecture": [{"type": ..., "config": {...},
  "trainable": ...}, ...]}``;
* ``param/<layer>.<name>.npy``: one array per parameter, e.g. ``param/0.weight.npy``.

Loading trusts nothing in the file.  In order, before any layer is built or
any weight allocated: the header's size is capped and its JSON checked
against a schema (known layer types, required and allowed keys, the type and
range of every config value as the layer's constructor would check it,
``trainable`` a bool); the parameters the architecture implies are checked
against the memory budget (:func:`cortex.memory_budget`); every array's
declared shape and dtype (read from its ``.npy`` header) must be those the
architecture implies, and its stored size must match.  Only then are the
arrays read (with plain reads, never pickle), checked to be finite, and the
layers built without random initialisation.  Every problem is a
:class:`ValueError` that names the file and the problem.
"""

from __future__ import annotations

import errno
import json
import math
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_write
from .._validation import _describe, check_memory
from . import layers as _layers
from .network import Sequential

__all__ = ["load_model", "load_weights", "save_model"]

_FORMAT = "cortex.nn/1"
_HEADER = "__architecture__.npy"
_PARAM = "param/"
#: Largest architecture header accepted, in characters of JSON.
MAX_HEADER_CHARS = 4 * 2**20
#: Largest number of layers accepted in a model file.
MAX_LAYERS = 10_000
_READ_CHUNK = 16 * 2**20
_LAYER_TYPES: dict[str, type[_layers.Layer]] = {
    name: getattr(_layers, name)
    for name in (
        "Conv2D",
        "LocallyConnected2D",
        "ReLU",
        "MaxPool2D",
        "AvgPool2D",
        "Flatten",
        "Dense",
        "Dropout",
    )
}
_SPEC_KEYS = ("type", "config", "trainable")
# errors of a damaged archive or member, turned into "truncated or corrupt"
_CORRUPT = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError)


class _Malformed(Exception):
    """A problem with the file's content; ``_read`` adds the path."""


class _MissingDirectoryError(FileNotFoundError, ValueError):
    """The destination's directory does not exist: a bad ``path`` (both error types)."""


def _check_path(path: object) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"`path` must be a str or path-like, got {_describe(path)}")
    return Path(path)


def save_model(model: Sequential, path: str | os.PathLike) -> Path:
    """Write a model's architecture and weights to one ``.npz`` file, atomically.

    Parameters
    ----------
    model : Sequential
        The network.
    path : str or path-like
        Destination; ``.npz`` is appended if missing.  The file is written to
        a temporary file in the same directory (``.<name>.<pid>-<random>.partial``)
        and renamed, so a crash never leaves a half-written model behind; the
        temporary file of a killed save is removed by the next save to the
        same path.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    TypeError
        If ``model`` is not a Sequential or ``path`` not a path.
    ValueError
        If a weight is NaN or infinite (such a file could not be loaded).
    FileNotFoundError
        If the directory of ``path`` does not exist (the error is a
        ValueError too: the path is wrong); the message names ``path``.
    OSError
        If the file cannot be written (no permission, disk full, ``path``
        is a directory...); the message names ``path``, never the temporary
        file.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"`model` must be a Sequential, got {type(model).__name__}")
    path = _check_path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    if not path.parent.is_dir():
        raise _MissingDirectoryError(
            errno.ENOENT,
            f"`path` {str(path)!r} cannot be written: its directory {str(path.parent)!r} does "
            "not exist",
        )
    header = {"format": _FORMAT, "architecture": model.architecture()}
    arrays: dict[str, Any] = {_HEADER[: -len(".npy")]: np.array(json.dumps(header))}
    for key, value in model.state().items():
        if not np.all(np.isfinite(value)):
            n_bad = int(np.count_nonzero(~np.isfinite(value)))
            raise ValueError(
                f"`model` parameter {key} holds {n_bad} NaN or infinite value(s); not saving "
                f"{str(path)!r} (a model file must hold finite weights)"
            )
        arrays[f"{_PARAM}{key}"] = value
    atomic_write(path, lambda handle: np.savez(handle, **arrays))
    return path


# -- reading --------------------------------------------------------------------------------
def _npy_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple:
    """``(shape, dtype, fortran_order, data_offset)`` from a member's ``.npy`` header only."""
    try:
        with archive.open(info) as handle:
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(handle)
            else:
                raise _Malformed(
                    f"member {info.filename} is not a valid .npy array (format version "
                    f"{version}, not 1.0 or 2.0)"
                )
            offset = handle.tell()
    except _CORRUPT as exc:
        raise _Malformed(f"member {info.filename} is truncated or corrupt ({exc})") from exc
    except ValueError as exc:  # bad magic string or header
        raise _Malformed(f"member {info.filename} is not a valid .npy array ({exc})") from exc
    return shape, dtype, fortran, offset


def _npy_data(archive: zipfile.ZipFile, info: zipfile.ZipInfo, header: tuple) -> np.ndarray:
    """Read the data of a member whose header (and size) were checked: plain reads, no pickle."""
    shape, dtype, fortran, offset = header
    n_bytes = math.prod(shape) * dtype.itemsize
    raw = np.empty(n_bytes, dtype=np.uint8)
    try:
        with archive.open(info) as handle:
            handle.read(offset)
            got = 0
            while got < n_bytes:
                chunk = handle.read(min(_READ_CHUNK, n_bytes - got))
                if not chunk:
                    raise _Malformed(
                        f"member {info.filename} is truncated: {got} of {n_bytes} bytes of data"
                    )
                raw[got : got + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
                got += len(chunk)
            if handle.read(1):  # also makes zipfile check the CRC
                raise _Malformed(f"member {info.filename} holds more data than its shape")
    except _CORRUPT as exc:
        raise _Malformed(f"member {info.filename} is truncated or corrupt ({exc})") from exc
    array = raw.view(dtype)
    if fortran:
        array = array.reshape(shape[::-1]).T.copy(order="C")
    else:
        array = array.reshape(shape)
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    return array


def _check_spec(index: int, spec: object) -> tuple[type[_layers.Layer], dict[str, Any], bool]:
    """One layer of the architecture against the schema; returns (class, config, trainable)."""
    where = f"layer {index}"
    if not isinstance(spec, dict):
        raise _Malformed(
            f"{where} must be a JSON object with keys {', '.join(_SPEC_KEYS)}, got "
            f"{_describe(spec)}"
        )
    extra = sorted(set(spec) - set(_SPEC_KEYS))
    missing = [key for key in ("type", "config") if key not in spec]
    if extra or missing:
        problem = f"missing {missing}" if missing else f"unexpected keys {extra}"
        raise _Malformed(f"{where}: {problem} (a layer has keys {', '.join(_SPEC_KEYS)})")
    name = spec["type"]
    if not isinstance(name, str) or name not in _LAYER_TYPES:
        raise _Malformed(
            f"{where}: unknown layer type {name!r}; known types: {', '.join(_LAYER_TYPES)}"
        )
    cls = _LAYER_TYPES[name]
    where = f"layer {index} ({name})"
    trainable = spec.get("trainable", True)
    if not isinstance(trainable, bool):
        raise _Malformed(f"{where}: `trainable` must be true or false, got {_describe(trainable)}")
    config = spec["config"]
    if not isinstance(config, dict):
        raise _Malformed(f"{where}: `config` must be a JSON object, got {_describe(config)}")
    allowed = (*cls._REQUIRED, *cls._DEFAULTS)
    extra = sorted(set(config) - set(allowed))
    missing = [key for key in cls._REQUIRED if key not in config]
    if extra or missing:
        problem = f"missing config keys {missing}" if missing else f"unexpected config keys {extra}"
        accepted = ", ".join(allowed) if allowed else "none"
        raise _Malformed(f"{where}: {problem} (accepted: {accepted})")
    try:
        validated = cls._validate_config({**cls._DEFAULTS, **config})
    except (TypeError, ValueError) as exc:
        raise _Malformed(f"{where}: {exc}") from None
    return cls, validated, trainable


def _check_header(archive: zipfile.ZipFile) -> list[tuple[type[_layers.Layer], dict, bool]]:
    """The architecture header, read within its size cap and checked against the schema."""
    try:
        info = archive.getinfo(_HEADER)
    except KeyError:
        raise _Malformed(
            f"it holds no architecture (member {_HEADER}); files are written by "
            "cortex.nn.save_model"
        ) from None
    header = _npy_header(archive, info)
    shape, dtype, _, offset = header
    if shape != () or dtype.kind != "U":
        raise _Malformed(
            f"member {_HEADER} must be a unicode string (0-d), got shape {shape} dtype {dtype}"
        )
    if dtype.itemsize // 4 > MAX_HEADER_CHARS:
        raise _Malformed(
            f"its architecture header declares {dtype.itemsize // 4} characters, over the "
            f"limit of {MAX_HEADER_CHARS}"
        )
    if info.file_size != offset + dtype.itemsize:
        raise _Malformed(f"member {_HEADER} is truncated or padded ({info.file_size} bytes)")
    text = str(_npy_data(archive, info, header)[()])
    try:
        content = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _Malformed(f"its architecture header is not valid JSON ({exc})") from None
    if not isinstance(content, dict):
        raise _Malformed(f"its architecture header must be a JSON object, got {_describe(content)}")
    if content.get("format") != _FORMAT:
        raise _Malformed(
            f"it is not a cortex model file of format {_FORMAT!r} (format "
            f"{content.get('format')!r})"
        )
    extra = sorted(set(content) - {"format", "architecture"})
    if extra or "architecture" not in content:
        problem = f"unexpected keys {extra}" if extra else "no `architecture` key"
        raise _Malformed(f"its header has {problem} (expected format, architecture)")
    architecture = content["architecture"]
    if not isinstance(architecture, list) or not architecture:
        raise _Malformed(
            f"its `architecture` must be a non-empty list of layers, got {_describe(architecture)}"
        )
    if len(architecture) > MAX_LAYERS:
        raise _Malformed(f"it declares {len(architecture)} layers, over the limit of {MAX_LAYERS}")
    return [_check_spec(i, spec) for i, spec in enumerate(architecture)]


def _read(path: object) -> tuple[list[tuple[type[_layers.Layer], dict, bool]], dict]:
    """Validated architecture ``[(class, config, trainable)]`` and weights of a model file."""
    path = _check_path(path)
    where = repr(str(path))
    if path.is_dir():
        raise IsADirectoryError(f"`path` {where} is a directory, not a model file")
    if not path.exists():
        raise FileNotFoundError(f"`path` {where} does not exist")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise ValueError(
            f"{where} is not a cortex model file: not a zip (.npz) archive, or truncated or "
            f"corrupt ({exc})"
        ) from None
    try:
        with archive:
            return _read_archive(archive, where)
    except _Malformed as exc:
        raise ValueError(f"{where} is not a valid cortex model file: {exc}") from None


def _read_archive(
    archive: zipfile.ZipFile, where: str
) -> tuple[list[tuple[type[_layers.Layer], dict, bool]], dict]:
    architecture = _check_header(archive)
    expected: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
    for i, (cls, config, _) in enumerate(architecture):
        for name, shape in cls._param_shapes(config).items():
            expected[f"{i}.{name}"] = (shape, np.dtype(config["dtype"]))
    n_values = sum(math.prod(shape) for shape, _ in expected.values())
    n_bytes = sum(math.prod(shape) * dtype.itemsize for shape, dtype in expected.values())
    check_memory(  # the cap on declared sizes, before anything of that size is read
        min(2 * n_bytes, 1e300),
        f"{where}: the {n_values:.4g} parameters its architecture declares (with their gradients)",
    )
    members = {}
    for info in archive.infolist():
        name = info.filename
        if name == _HEADER:
            continue
        if not (name.startswith(_PARAM) and name.endswith(".npy")):
            raise _Malformed(f"unexpected member {name!r} (a model file holds {_PARAM}*.npy)")
        members[name[len(_PARAM) : -len(".npy")]] = info
    if set(members) != set(expected):
        missing = sorted(set(expected) - set(members))
        extra = sorted(set(members) - set(expected))
        raise _Malformed(
            f"its parameters do not match its architecture: missing {missing}, unexpected {extra}"
        )
    headers = {}
    for key, info in members.items():
        header = _npy_header(archive, info)
        shape, dtype, _, offset = header
        want_shape, want_dtype = expected[key]
        if tuple(shape) != want_shape or dtype.newbyteorder("=") != want_dtype:
            raise _Malformed(
                f"parameter {key} is declared with shape {tuple(shape)} and dtype {dtype}, its "
                f"architecture needs shape {want_shape} and dtype {want_dtype}"
            )
        size = math.prod(shape) * dtype.itemsize
        if info.file_size != offset + size:
            raise _Malformed(
                f"parameter {key} declares {size} bytes of data, its member holds "
                f"{info.file_size - offset}"
            )
        headers[key] = header
    weights = {}
    for key, info in members.items():
        array = _npy_data(archive, info, headers[key])
        if not np.all(np.isfinite(array)):
            n_bad = int(np.count_nonzero(~np.isfinite(array)))
            raise _Malformed(f"parameter {key} holds {n_bad} NaN or infinite value(s)")
        weights[key] = array
    return architecture, weights


def load_model(path: str | os.PathLike) -> Sequential:
    """Rebuild a model saved by :func:`save_model`.

    Parameters
    ----------
    path : str or path-like
        The ``.npz`` file.

    Returns
    -------
    Sequential
        The model, in evaluation mode, with its weights and frozen flags.

    Raises
    ------
    TypeError
        If ``path`` is not a path.
    FileNotFoundError
        If the file does not exist (:class:`IsADirectoryError` for a
        directory).
    ValueError
        If the file is not a valid cortex model file: not a zip archive,
        truncated or corrupt, an architecture that fails the schema (unknown
        layer type, missing or extra keys, a config value of the wrong type or
        range, ``trainable`` not a bool), arrays whose shape, dtype or size
        differ from what the architecture implies, or NaN/infinite weights.
        The message names the file and the problem.  Nothing is built or
        allocated before these checks.
    MemoryBudgetError
        (a ValueError) If the parameters the architecture declares exceed the
        memory budget; the message names the file.
    """
    architecture, weights = _read(path)
    layer_list = []
    for i, (cls, config, trainable) in enumerate(architecture):
        layer = cls._from_config(config)  # zero parameters, no random draws
        for name in layer.params:
            layer.params[name] = weights[f"{i}.{name}"]
        layer.trainable = trainable
        layer_list.append(layer)
    return Sequential(layer_list).eval()


def load_weights(model: Sequential, path: str | os.PathLike) -> Sequential:
    """Load weights saved by :func:`save_model` into an existing model of the same architecture.

    Parameters
    ----------
    model : Sequential
        The network to fill.
    path : str or path-like
        The ``.npz`` file.

    Returns
    -------
    Sequential
        ``model``.

    Raises
    ------
    TypeError
        If ``model`` is not a Sequential or ``path`` not a path.
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file's architecture differs from the model's (the message
        shows both), or the file is not a valid model file (see
        :func:`load_model`).
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"`model` must be a Sequential, got {type(model).__name__}")
    architecture, weights = _read(path)

    def describe(cls: type, config: dict) -> dict:
        return json.loads(json.dumps({"type": cls.__name__, "config": config}))

    theirs = [describe(cls, config) for cls, config, _ in architecture]
    mine = [
        describe(
            type(layer), type(layer)._validate_config({**type(layer)._DEFAULTS, **layer.config()})
        )
        for layer in model.layers
    ]
    if theirs != mine:
        raise ValueError(
            f"{str(_check_path(path))!r} holds a different architecture:\n  file:  {theirs}\n"
            f"  model: {mine}"
        )
    for key, value in model.state().items():
        value[...] = weights[key]
    return model

"""Save and load models: one ``.npz`` of weights with the architecture as JSON inside, no pickle."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_write
from . import layers as _layers
from .network import Sequential

__all__ = ["load_model", "load_weights", "save_model"]

_FORMAT = "cortex.nn/1"
_LAYER_TYPES = {
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


def save_model(model: Sequential, path: str | os.PathLike) -> Path:
    """Write a model's architecture and weights to one ``.npz`` file, atomically.

    Parameters
    ----------
    model : Sequential
        The network.
    path : str or path-like
        Destination; ``.npz`` is appended if missing.  The file is written to
        a temporary file in the same directory and renamed, so a crash never
        leaves a half-written model behind.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"`model` must be a Sequential, got {type(model).__name__}")
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    header = {"format": _FORMAT, "architecture": model.architecture()}
    arrays: dict[str, Any] = {"__architecture__": np.array(json.dumps(header))}
    for key, value in model.state().items():
        arrays[f"param/{key}"] = value
    atomic_write(path, lambda handle: np.savez(handle, **arrays))
    return path


def _read(path: str | os.PathLike) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"`path` {str(path)!r} does not exist")
    try:
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as data:
            if "__architecture__" not in data.files:
                raise ValueError(f"{str(path)!r} is not a cortex model file (no architecture)")
            header = json.loads(str(data["__architecture__"]))
            weights = {k[len("param/") :]: data[k] for k in data.files if k.startswith("param/")}
    except (zipfile.BadZipFile, EOFError, OSError, json.JSONDecodeError, KeyError) as exc:
        raise ValueError(
            f"{str(path)!r} is not a readable cortex model file (truncated or corrupt): {exc}"
        ) from exc
    if not isinstance(header, dict) or header.get("format") != _FORMAT:
        raise ValueError(f"{str(path)!r} is not a cortex model file of format {_FORMAT!r}")
    return header["architecture"], weights


def _assign(model: Sequential, weights: dict[str, np.ndarray], path: str) -> None:
    state = model.state()
    if set(state) != set(weights):
        raise ValueError(
            f"{path!r} holds parameters {sorted(weights)}, the model has {sorted(state)}"
        )
    for key, value in state.items():
        if weights[key].shape != value.shape:
            raise ValueError(
                f"{path!r}: parameter {key} has shape {weights[key].shape}, the model's is "
                f"{value.shape}"
            )
        value[...] = weights[key]


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
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file is truncated, corrupt, not a cortex model, or its
        weights do not match its architecture.
    """
    architecture, weights = _read(path)
    layer_list = []
    for i, spec in enumerate(architecture):
        cls = _LAYER_TYPES.get(spec.get("type"))
        if cls is None:
            raise ValueError(f"{str(path)!r}: unknown layer type {spec.get('type')!r} at {i}")
        config = {k: tuple(v) if isinstance(v, list) else v for k, v in spec["config"].items()}
        layer = cls(**config)
        layer.trainable = bool(spec.get("trainable", True))
        layer_list.append(layer)
    model = Sequential(layer_list)
    _assign(model, weights, str(path))
    return model.eval()


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
    ValueError
        If the file's architecture differs from the model's (the message
        shows both), or the file is truncated or corrupt.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"`model` must be a Sequential, got {type(model).__name__}")
    architecture, weights = _read(path)
    mine = json.loads(json.dumps(model.architecture()))
    strip = lambda a: [{"type": s["type"], "config": s["config"]} for s in a]  # noqa: E731
    if strip(architecture) != strip(mine):
        raise ValueError(
            f"{str(path)!r} holds a different architecture:\n  file:  {strip(architecture)}\n"
            f"  model: {strip(mine)}"
        )
    _assign(model, weights, str(path))
    return model

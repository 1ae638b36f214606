"""Data beyond one machine's memory: dask arrays, Zarr image sets, a dask.distributed cluster.

Everything here is lazy and runs on the engines the field already uses:
:mod:`dask.array` for chunked arrays, :mod:`dask.distributed` (or dask's
threaded scheduler) to run them, and Zarr (v3) stores on disk.  cortex adds
no scheduler of its own: the per-chunk work is the in-memory function itself.

* :func:`linear_responses` and :func:`responses` take a dask array of images
  ``(N, H, W)`` and return a lazy ``(N, n_neurons)`` dask array.
  :func:`cortex.linear_responses` and :func:`cortex.responses` forward a dask
  array here, so ``cortex.responses(population, images)`` works on both.
* :func:`movie_responses` takes a dask array of a movie's frames ``(T, H, W)``
  and returns the lazy ``(T, n_neurons)`` rates of
  :func:`cortex.dynamics.movie_responses`, one independent task per chunk of
  frames (each reads the ``K - 1`` frames before it, ``K`` the temporal
  kernel's taps).
* :func:`write_white_noise` and :func:`write_natural_patches` generate a
  seeded stimulus set chunk by chunk straight into a Zarr store (never whole
  in memory); :func:`open_images` opens one lazily with its
  :class:`~cortex.VisualField`; :func:`write_responses` and
  :func:`open_responses` store and read responses.
* :func:`spike_triggered_average` maps receptive fields from a dask stream of
  noise, accumulating the sufficient statistics chunk by chunk with a tree
  reduction.

The heavy dependencies are imported inside the functions only: ``import
cortex`` (and ``import cortex.scale``) imports neither dask nor zarr, and
without them the functions raise :class:`ImportError` naming the extra to
install, ``pip install 'cortex[dask]'``.

**The population travels once.**  The population (with its kernels,
computed before) enters the task graph as a single key
(:func:`dask.delayed`), which every chunk's task depends on: the graph holds
one copy whatever the number of chunks, a distributed scheduler sends it to
the worker that first needs it, and the other workers fetch it from there
once each.

**Exactness.**  Each chunk runs the in-memory function on its images.
Responses are per image (a :class:`~cortex.DivisiveNormalization` pools over
the neurons of one image, never across images), so the lazy result equals the
in-memory one: bit for bit with ``method="fft"`` or ``"direct"`` (each image
is transformed or correlated on its own; the tests check it), and to rounding (relative
differences of a few ``1e-16`` in float64) with ``"centers"`` (BLAS blocks the
patch-matrix product by its width, the number of images) and ``"auto"``
(which picks a method per chunk, from the chunk's size).

**Performance on dask.distributed.**  Each chunk is one task, and a
``dask.distributed`` task costs about a millisecond of scheduling (more on a
busy machine): chunks of 64-256 images (for fields of a few thousand pixels)
keep that small.  dask.distributed starts worker processes with
``MALLOC_TRIM_THRESHOLD_=65536``, which disables glibc's adaptive mmap
threshold and makes the ``"centers"`` correlation about 5x slower in a worker
than in a plain process; unset it before starting the cluster with
``dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_":
None})`` (see ``benchmarks/bench_scale.py``).

**Stores.**  An image set is one Zarr array ``(N, H, W)`` whose attributes
(``attrs["cortex"]``) record the :class:`~cortex.VisualField` and how the set
was drawn (its generator, seed and parameters); responses are one array
``(N, n_neurons)`` whose attributes record the population (its
``to_dict()`` description).  A store given as a local directory path is
written atomically: into a temporary sibling directory, renamed into place
once every chunk is written (a failed write leaves no store behind, and an
overwritten one stays whole until the new one replaces it).  Any other store
(a ``zarr.storage`` object, a URL) is written in place, not atomically.

Examples
--------
>>> import dask.array as da
>>> import cortex
>>> from cortex import scale
>>> field = cortex.VisualField(2.0, 2.0, pixels_per_degree=10)
>>> pop = cortex.Population(cortex.Gaussian(0.25), cortex.Mosaic.from_lattice(field, 0.4))
>>> images = da.random.default_rng(0).standard_normal((100, *field.shape), chunks=(25, -1, -1))
>>> r = scale.responses(pop, images, nonlinearity="rectify")
>>> r.shape, r.chunks[0]
((100, 23), (25, 25, 25, 25))
>>> bool(abs(r.compute() - cortex.responses(pop, images.compute(), nonlinearity="rectify")).max()
...      < 1e-12)
True
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import population as _population
from ._validation import (
    _describe,
    check_choice,
    check_finite,
    check_integer,
    check_memory,
)
from .correlation import METHODS
from .visual_field import VisualField

__all__ = [
    "EXTRA",
    "linear_responses",
    "movie_responses",
    "open_images",
    "open_responses",
    "responses",
    "spike_triggered_average",
    "write_natural_patches",
    "write_responses",
    "write_white_noise",
]

#: How to install what this module needs (named by every missing-dependency error).
EXTRA = "pip install 'cortex[dask]'"

#: The attribute (of a Zarr array) under which cortex keeps its metadata.
_ATTRS = "cortex"
#: Default chunk of a written image set: this many bytes of images.
_CHUNK_BYTES = 16 * 2**20
#: A natural patch darker than this mean luminance (of 1) is drawn again: its Weber
#: contrast would divide by almost nothing.
_MIN_PATCH_LUMINANCE = 0.05
#: Draws of a natural patch before giving up on finding one bright enough.
_MAX_PATCH_DRAWS = 1000


# -- the optional dependencies -------------------------------------------------------------
def _require(module: str) -> Any:
    """Import ``module`` (dask, dask.array, zarr) or raise ImportError naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"cortex.scale needs dask[array,distributed] and zarr ({module!r} could not be "
            f"imported: {exc}); install them with: {EXTRA}"
        ) from exc


def _dask() -> tuple[Any, Any]:
    return _require("dask"), _require("dask.array")


def _is_dask_array(value: object) -> bool:
    return _population._is_dask_array(value)


# -- responses -----------------------------------------------------------------------------
def _as_image_array(
    images: object,
    population: _population.Population,
    name: str = "images",
    in_memory: str = "cortex.responses",
) -> tuple[Any, bool]:
    """Validate a dask array of images: ``(N, H, W)`` on the field, real (float32 kept).

    Returns the array, rechunked to whole images (its chunks along N kept), and
    whether a single ``(H, W)`` image was given.  ``name`` is the argument's
    name in error messages, ``in_memory`` the function for in-memory arrays.
    """
    if not _is_dask_array(images):
        raise TypeError(
            f"`{name}` must be a dask array (use {in_memory} for in-memory arrays), got "
            f"{type(images).__name__}"
        )
    _, da = _dask()
    kind = images.dtype.kind
    if kind == "c":
        raise TypeError(f"`{name}` must be real, got dtype {images.dtype}")
    if kind not in "biuf":
        raise TypeError(f"`{name}` must hold numbers, got dtype {images.dtype}")
    if images.ndim not in (2, 3):
        raise ValueError(f"`{name}` must be 2-D or 3-D, got shape {images.shape}")
    single = images.ndim == 2
    if single:
        images = images[np.newaxis]
    expected = population.field.shape
    if tuple(images.shape[1:]) != expected:
        raise ValueError(
            f"`{name}` must have the field's shape {expected} in the last two axes, "
            f"got shape {tuple(images.shape[1:])}"
        )
    if images.shape[0] == 0:
        raise ValueError(f"`{name}` must not be empty, got shape {images.shape}")
    if images.dtype != np.float32:
        images = images.astype(np.float64)  # as the in-memory functions (as_float_array)
    if images.numblocks[1:] != (1, 1):
        images = images.rechunk({1: -1, 2: -1})  # whole images; the chunks along N kept
    return da.asarray(images), single


def _population_key(population: _population.Population) -> Any:
    """The population as one graph key (its kernels computed first, so they travel with it)."""
    dask, _ = _dask()
    population.groups  # noqa: B018 -- computed once here, shipped once with the population
    return dask.delayed(population, pure=True, traverse=False)


def _respond_block(
    block: np.ndarray,
    population: _population.Population,
    *,
    linear: bool,
    method: str,
    nonlinearity: object,
    out_dtype: np.dtype,
) -> np.ndarray:
    """One chunk's responses: the in-memory function on its images."""
    if block.shape[0] == 0:
        return np.empty((0, population.n_neurons), dtype=out_dtype)
    if linear:
        return _population.linear_responses(population, block, method=method)
    return _population.responses(population, block, method=method, nonlinearity=nonlinearity)


def _lazy_responses(
    population: object, images: object, *, linear: bool, method: str, nonlinearity: object
) -> Any:
    population = _population._check_population(population)
    check_choice(method, "method", METHODS)
    _, da = _dask()
    images, single = _as_image_array(images, population)
    if linear:
        dtype = np.result_type(images.dtype, np.complex64 if population.is_energy else np.float32)
    else:
        # the result's dtype (a nonlinearity may change it), from one blank image; this
        # also checks the nonlinearity before any work is scheduled
        probe = np.zeros((1, *population.field.shape), dtype=images.dtype)
        dtype = _population.responses(
            population, probe, method=method, nonlinearity=nonlinearity
        ).dtype
    dtype = np.dtype(dtype)
    out = da.map_blocks(
        _respond_block,
        images,
        _population_key(population),
        linear=linear,
        method=method,
        nonlinearity=nonlinearity,
        out_dtype=dtype,
        dtype=dtype,
        drop_axis=(1, 2),
        new_axis=1,
        chunks=(images.chunks[0], (population.n_neurons,)),
        meta=np.empty((0, 0), dtype=dtype),
        token="cortex-linear-responses" if linear else "cortex-responses",
    )
    return out[0] if single else out


def linear_responses(population: object, images: object, *, method: str = "auto") -> Any:
    """The linear stage of a population over a dask array of images, lazily.

    Parameters
    ----------
    population : Population
        The neurons.
    images : dask.array.Array, shape (N, H, W) or (H, W)
        Contrast images on the population's field, chunked along ``N``; other
        chunkings are rechunked to whole images (the chunks along ``N`` are
        kept).  float32 is kept, other real dtypes become float64.
    method : {"auto", "fft", "direct", "centers", "separable"}, optional
        As :func:`cortex.linear_responses`; ``"auto"`` picks per chunk.

    Returns
    -------
    dask.array.Array, shape (N, n_neurons) or (n_neurons,)
        Lazy responses with the images' chunks along ``N``; complex for a
        population with an energy type.  Equal to
        ``cortex.linear_responses(population, images.compute())`` (see the
        module notes on exactness).

    Raises
    ------
    ImportError
        If dask is not installed (``pip install 'cortex[dask]'``).
    TypeError
        If ``population`` is not a Population, ``images`` is not a dask array
        or is not real-valued.
    ValueError
        If ``images`` does not have the field's shape, is empty, or ``method``
        is unknown.  NaN or infinite values are refused when computed (each
        chunk is validated by :func:`cortex.linear_responses`).
    """
    return _lazy_responses(population, images, linear=True, method=method, nonlinearity=None)


def responses(
    population: object, images: object, *, method: str = "auto", nonlinearity: object = None
) -> Any:
    """Population responses over a dask array of images, lazily.

    Parameters
    ----------
    population : Population
        The neurons.
    images : dask.array.Array, shape (N, H, W) or (H, W)
        As :func:`linear_responses`.
    method : {"auto", "fft", "direct", "centers", "separable"}, optional
        As :func:`cortex.responses`.
    nonlinearity : None, str, callable or sequence of them, optional
        As :func:`cortex.responses`.  Every built-in nonlinearity acts on
        one image's responses at a time (:class:`~cortex.DivisiveNormalization`
        pools over the neurons of an image), so chunking along ``N`` changes
        nothing; a custom callable must not mix images either.

    Returns
    -------
    dask.array.Array, shape (N, n_neurons) or (n_neurons,)
        Lazy real responses, chunked as the images along ``N``.

    Raises
    ------
    ImportError
        If dask is not installed (``pip install 'cortex[dask]'``).
    TypeError, ValueError
        As :func:`linear_responses`, and for an unknown nonlinearity (checked
        on one blank image before anything is scheduled).
    """
    _population._resolve_nonlinearities(nonlinearity)
    return _lazy_responses(
        population, images, linear=False, method=method, nonlinearity=nonlinearity
    )


# -- Zarr stores ---------------------------------------------------------------------------
def _movie_block(frames: np.ndarray, population, temporal, options: dict, lead: int):
    """One chunk of :func:`movie_responses`: the in-memory filter from zero, ``lead`` dropped."""
    from .dynamics import iter_movie_responses

    blocks = iter_movie_responses(population, frames, temporal, **options)
    return np.concatenate(list(blocks))[lead:]


def movie_responses(
    population: object,
    frames: object,
    temporal: object,
    frames_per_second: float,
    *,
    baseline: float = 0.0,
    gain: float = 1.0,
    nonlinearity: object = "rectify",
    method: str = "auto",
) -> Any:
    """Firing rates of a population watching a movie held in a dask array, lazily.

    The lazy form of :func:`cortex.dynamics.movie_responses`: each chunk of
    frames is one task, which runs the in-memory filter on its frames and on
    the ``K - 1`` frames before them (``K`` the longest temporal kernel's
    taps; zeros before the movie's start) and keeps the chunk's own rows.  A
    causal FIR filter's output at a frame depends on those frames only, so
    the chunks are independent (they run in parallel, on any scheduler) and
    the result equals the in-memory one to rounding, whatever the chunking.
    Each chunk reads ``K - 1`` frames twice: chunks much longer than the
    kernel waste little.

    Parameters
    ----------
    population : Population
        The neurons.
    frames : dask.array.Array, shape (T, H, W)
        The movie's frames on the population's field (contrast units),
        chunked along ``T`` (other chunkings are rechunked to whole frames;
        the chunks along ``T`` are kept).  float32 is kept, other real dtypes
        become float64.
    temporal : TemporalKernel or sequence of TemporalKernel
        As :func:`cortex.dynamics.movie_responses`.
    frames_per_second : float
        The movie's frame rate, Hz.
    baseline, gain, nonlinearity, method
        As :func:`cortex.dynamics.movie_responses`.

    Returns
    -------
    dask.array.Array, shape (T, n_neurons)
        Lazy rates in spikes/s, chunked as ``frames`` along ``T``.

    Raises
    ------
    ImportError
        If dask is not installed (``pip install 'cortex[dask]'``).
    TypeError
        If ``frames`` is not a real dask array, or as
        :func:`cortex.dynamics.movie_responses`.
    ValueError
        If ``frames`` is not ``(T, H, W)`` on the field or is empty,
        ``frames_per_second`` is not positive and finite, or as
        :func:`cortex.dynamics.movie_responses`; all checked before anything
        is scheduled.  NaN or infinite frames are refused when computed.

    Examples
    --------
    >>> import numpy as np, dask.array as da, cortex
    >>> from cortex.dynamics import movie_responses as in_memory
    >>> from cortex.movies import white_noise_movie
    >>> from cortex.temporal import Monophasic
    >>> field = cortex.VisualField(2.0, 2.0, pixels_per_degree=10)
    >>> pop = cortex.Population(cortex.Gaussian(0.2), cortex.Mosaic.from_lattice(field, 0.4))
    >>> movie = white_noise_movie(field, 100.0, 1.0, seed=0)
    >>> frames = da.from_array(movie.frames, chunks=(25, -1, -1))
    >>> lazy = movie_responses(pop, frames, Monophasic(0.01, 3), 100.0, baseline=5.0)
    >>> lazy.chunks[0]
    (25, 25, 25, 25)
    >>> whole = in_memory(pop, movie, Monophasic(0.01, 3), baseline=5.0)
    >>> bool(np.allclose(lazy.compute(), whole, rtol=1e-12, atol=1e-12))
    True
    """
    from .dynamics import _temporal_taps
    from .temporal import _check_fps

    population = _population._check_population(population)
    check_choice(method, "method", METHODS)
    dask, da = _dask()
    frames, single = _as_image_array(
        frames, population, "frames", "cortex.dynamics.movie_responses"
    )
    if single:
        raise ValueError(f"`frames` must be 3-D (T, H, W), got shape {frames.shape[1:]}")
    fps = _check_fps(frames_per_second)
    taps = _temporal_taps(temporal, population.n_types, fps)
    options = {
        "frames_per_second": fps,
        "baseline": check_finite(baseline, "baseline"),
        "gain": check_finite(gain, "gain"),
        "nonlinearity": nonlinearity,
        "method": method,
    }
    _population._resolve_nonlinearities(nonlinearity)
    lead = max(len(t) for t in taps) - 1
    dtype = np.result_type(frames.dtype, np.float32)
    key = _population_key(population)
    block = dask.delayed(_movie_block, pure=True)
    chunks, start = [], 0
    for size in frames.chunks[0]:
        first = max(start - lead, 0)
        rates = block(frames[first : start + size], key, temporal, options, start - first)
        chunks.append(da.from_delayed(rates, (size, population.n_neurons), dtype=dtype))
        start += size
    return da.concatenate(chunks)


def _is_local_path(store: object) -> bool:
    if isinstance(store, os.PathLike):
        return True
    return isinstance(store, str) and "://" not in store


class _AtomicTarget:
    """Where to write a store: a temporary sibling directory renamed into place at the end.

    For a local directory path, the data are written to ``.<name>.tmp-<uuid>``
    next to it and renamed to the final path on success (removed on failure),
    so a reader never sees a half-written store.  Any other store (a
    ``zarr.storage`` object, a URL) is written in place: not atomic.
    """

    def __init__(self, store: object, overwrite: bool) -> None:
        if not isinstance(overwrite, bool):
            raise TypeError(f"`overwrite` must be True or False, got {_describe(overwrite)}")
        self.store = store
        self.overwrite = overwrite
        self.final: Path | None = None
        self.temporary: Path | None = None
        if _is_local_path(store):
            self.final = Path(os.fspath(store)).absolute()
            if self.final.exists() and not overwrite:
                raise FileExistsError(
                    f"`store` {os.fspath(store)!r} already exists; pass overwrite=True to "
                    "replace it"
                )
            self.final.parent.mkdir(parents=True, exist_ok=True)
            self.temporary = self.final.with_name(f".{self.final.name}.tmp-{uuid.uuid4().hex}")

    @property
    def target(self) -> object:
        """What to hand to zarr: the temporary path, or the store itself."""
        return str(self.temporary) if self.temporary is not None else self.store

    @property
    def replace(self) -> bool:
        """Whether zarr should replace what the target holds (a non-local store, if asked)."""
        return self.overwrite and self.temporary is None

    def __enter__(self) -> _AtomicTarget:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.temporary is None:
            return
        if exc_type is not None:
            shutil.rmtree(self.temporary, ignore_errors=True)
            return
        final = self.final
        if final.exists():  # overwrite: the old store moves aside, then goes
            old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex}")
            os.rename(final, old)
            os.rename(self.temporary, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(self.temporary, final)


def _write_array(
    array: Any,
    where: _AtomicTarget,
    attributes: dict[str, Any],
    compressors: object,
    batch_chunks: int,
    progress: Callable[[int, int], object] | None = None,
) -> None:
    """Create the Zarr array and store ``array`` into it, ``batch_chunks`` chunks at a time.

    Each batch is one :func:`dask.array.store` computation on the active
    scheduler, writing its chunks into their region of the array (dask chunks
    along axis 0 are the Zarr chunks, so no two tasks write one Zarr chunk).
    One computation over all the chunks would hold every chunk's (empty) result
    and its bookkeeping until the last one is written: on a dask.distributed
    worker that memory grows with the number of chunks (we measured about
    80 KiB a chunk), enough to pause a small worker on a large set; batches
    keep it bounded.  (:func:`dask.array.to_zarr` is such one computation,
    and given an existing array it rechunks to about 128 MiB first.)
    ``progress(done, total)`` (rows) is called before the first batch and
    after each one.
    """
    zarr = _require("zarr")
    _, da = _dask()
    chunks = tuple(max(c[0], 1) for c in array.chunks)
    target = zarr.create_array(
        store=where.target,
        shape=array.shape,
        chunks=chunks,
        dtype=array.dtype,
        attributes=attributes,
        compressors=compressors,
        overwrite=where.replace,
    )
    if isinstance(target.store, zarr.storage.MemoryStore) and _on_distributed():
        raise ValueError(
            "`store`: dask.distributed workers cannot write to an in-memory zarr store (each "
            "would write to its own copy); use a directory path or a store they share"
        )
    starts = np.cumsum((0, *array.chunks[0]))
    n_blocks = array.numblocks[0]
    if progress is not None:
        progress(0, int(starts[-1]))
    for first in range(0, n_blocks, batch_chunks):
        last = min(first + batch_chunks, n_blocks)
        region = (slice(int(starts[first]), int(starts[last])),) + (slice(None),) * (array.ndim - 1)
        da.store(array.blocks[first:last], target, regions=[region], lock=False)
        if progress is not None:
            progress(int(starts[last]), int(starts[-1]))


def _on_distributed() -> bool:
    """Whether dask computes on a dask.distributed client now (without importing distributed)."""
    import dask.base

    owner = getattr(dask.base.get_scheduler(), "__self__", None)
    return type(owner).__module__.startswith("distributed")


def _field_attrs(field: VisualField) -> dict[str, float]:
    return {
        "width": float(field.width),
        "height": float(field.height),
        "pixels_per_degree": float(field.pixels_per_degree),
    }


def _json_of(obj: object) -> object:
    """``obj.to_dict()`` as plain JSON if the object has it (None otherwise)."""
    to_dict = getattr(obj, "to_dict", None)
    if to_dict is None:
        return None
    return json.loads(json.dumps(to_dict()))


def _check_field(field: object) -> VisualField:
    if not isinstance(field, VisualField):
        raise TypeError(f"`field` must be a VisualField, got {_describe(field)}")
    return field


def _check_dtype(dtype: object) -> np.dtype:
    try:
        out = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"`dtype` must be float32 or float64, got {_describe(dtype)}") from None
    if out not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"`dtype` must be float32 or float64, got {out}")
    return out


def _entropy(seed: object) -> int:
    """The root entropy of a set from ``seed`` (None: fresh entropy, recorded in the store)."""
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63))
    return check_integer(seed, "seed", minimum=0)


def _image_rng(entropy: int, index: int) -> np.random.Generator:
    """Image ``index``'s generator: ``SeedSequence(entropy).spawn(n)[index]``, without the list."""
    return np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(index,)))


def _set_chunks(n_images: int, chunk_images: int) -> tuple[int, ...]:
    full, rest = divmod(n_images, chunk_images)
    return (chunk_images,) * full + ((rest,) if rest else ())


def _write_set(
    store: object,
    field: VisualField,
    n_images: int,
    chunk_images: int | None,
    dtype: np.dtype,
    make_block: Any,
    attrs: dict[str, Any],
    overwrite: bool,
    compressors: object,
    batch_chunks: int,
) -> tuple[Any, VisualField]:
    """Generate a set chunk by chunk into ``store`` (through an atomic rename when local)."""
    _, da = _dask()
    _require("zarr")
    batch_chunks = check_integer(batch_chunks, "batch_chunks", minimum=1)
    height, width = field.shape
    if chunk_images is None:
        chunk_images = max(1, _CHUNK_BYTES // (height * width * dtype.itemsize))
    chunk_images = min(check_integer(chunk_images, "chunk_images", minimum=1), n_images)
    # one chunk is generated (in float64) and written at a time by each task
    check_memory(
        2.0 * chunk_images * height * width * 8,
        f"one chunk of {chunk_images} image(s) of {height}x{width} px",
    )
    images = da.map_blocks(
        make_block,
        dtype=dtype,
        chunks=(_set_chunks(n_images, chunk_images), (height,), (width,)),
        meta=np.empty((0, 0, 0), dtype=dtype),
        token=f"cortex-{attrs['generator']}",
    )
    metadata = {
        _ATTRS: {"kind": "images", "field": _field_attrs(field), "n_images": n_images, **attrs}
    }
    with _AtomicTarget(store, overwrite) as where:
        _write_array(images, where, metadata, compressors, batch_chunks)
    return open_images(store)


def _noise_block(
    *,
    entropy: int,
    field: VisualField,
    contrast: float,
    distribution: str,
    dtype: np.dtype,
    block_info: dict | None = None,
) -> np.ndarray:
    from . import stimuli

    (start, stop), *_ = block_info[None]["array-location"]
    out = np.empty((stop - start, *field.shape), dtype=dtype)
    for k, index in enumerate(range(start, stop)):
        out[k] = stimuli.white_noise(
            field,
            contrast=contrast,
            distribution=distribution,
            seed=_image_rng(entropy, index),
        )
    return out


def write_white_noise(
    store: object,
    field: VisualField,
    n_images: int,
    *,
    chunk_images: int | None = None,
    contrast: float = 1.0,
    distribution: str = "gaussian",
    seed: int | np.random.Generator | None = None,
    dtype: object = np.float64,
    overwrite: bool = False,
    compressors: object = None,
    batch_chunks: int = 256,
) -> tuple[Any, VisualField]:
    """Write a seeded white-noise image set to a Zarr store, chunk by chunk.

    The images are generated by dask tasks (on the active scheduler: a
    ``dask.distributed`` client if one is active), each drawing its chunk and
    writing it straight to the store: the set is never whole in memory.

    Image ``i`` is drawn by :func:`cortex.stimuli.white_noise` from its own
    stream, ``numpy.random.SeedSequence(seed).spawn(n_images)[i]``, so the same
    seed gives the same set whatever ``chunk_images`` and whatever the
    scheduler.  The images therefore differ from
    ``cortex.stimuli.white_noise(field, n_images, seed=seed)``, which draws
    them all from one stream.

    Parameters
    ----------
    store : str, os.PathLike or zarr store
        A directory path (written atomically: to a temporary sibling
        directory renamed into place at the end), or any zarr v3 store or URL
        (written in place).  For a ``dask.distributed`` cluster, every worker
        must reach it (a local path is fine for a ``LocalCluster``).
    field : VisualField
        The field the images cover (stored with the set).
    n_images : int
        Number of images, >= 1.
    chunk_images : int, optional
        Images per Zarr chunk and per task; default about 16 MiB of images.
    contrast, distribution
        As :func:`cortex.stimuli.white_noise`.
    seed : None, int or numpy.random.Generator, optional
        The set's root seed.  None draws fresh entropy; the entropy used is
        stored with the set either way (``attrs["cortex"]["seed"]``), so any set
        can be drawn again.  A generator gives one draw of it as the seed.
    dtype : {float64, float32}, optional
        Stored dtype (images are drawn in float64, then cast).
    overwrite : bool, optional
        Replace an existing store (refused otherwise).
    compressors : optional
        Passed to :func:`zarr.create_array`; default None (noise does not
        compress), ``"auto"`` for zarr's default.
    batch_chunks : int, optional
        Chunks generated and written per dask computation (>= 1).  Batches
        bound the bookkeeping a scheduler and its workers keep until a
        computation ends; raise it on a cluster with many workers, so that
        each batch keeps them all busy.

    Returns
    -------
    images : dask.array.Array, shape (n_images, H, W)
        The set, opened lazily (:func:`open_images`).
    field : VisualField
        Its field.

    Raises
    ------
    ImportError
        If dask or zarr is not installed (``pip install 'cortex[dask]'``).
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``n_images`` or ``chunk_images`` < 1, ``contrast`` or
        ``distribution`` is invalid, ``seed`` is negative or ``dtype`` is not
        float32 or float64.
    FileExistsError
        If the local store exists and ``overwrite`` is False.
    cortex.MemoryBudgetError
        If one chunk would exceed :func:`cortex.memory_budget`.
    """
    from . import stimuli

    field = _check_field(field)
    n_images = check_integer(n_images, "n_images", minimum=1)
    contrast = stimuli._check_contrast(contrast, signed=False)
    distribution = check_choice(distribution, "distribution", stimuli.DISTRIBUTIONS)
    dtype = _check_dtype(dtype)
    entropy = _entropy(seed)
    make_block = functools.partial(
        _noise_block,
        entropy=entropy,
        field=field,
        contrast=contrast,
        distribution=distribution,
        dtype=dtype,
    )
    attrs = {
        "generator": "white_noise",
        "seed": str(entropy),
        "streams": "image i: numpy.random.SeedSequence(seed, spawn_key=(i,))",
        "contrast": contrast,
        "distribution": distribution,
    }
    return _write_set(
        store,
        field,
        n_images,
        chunk_images,
        dtype,
        make_block,
        attrs,
        overwrite,
        compressors,
        batch_chunks,
    )


@functools.lru_cache(maxsize=64)
def _source_image(name: str, shape: tuple[int, int]) -> np.ndarray:
    """A shipped scikit-image image as luminance, enlarged if smaller than ``shape``."""
    from . import stimuli

    image = stimuli._load_gray(name)
    factor = max(shape[0] / image.shape[0], shape[1] / image.shape[1])
    if factor > 1:
        from skimage.transform import resize

        size = (int(np.ceil(image.shape[0] * factor)), int(np.ceil(image.shape[1] * factor)))
        image = np.clip(resize(image, size, anti_aliasing=False), 0.0, 1.0)
    image.setflags(write=False)
    return image


def _natural_patch(names: tuple[str, ...], shape: tuple[int, int], rng) -> np.ndarray:
    from . import stimuli

    height, width = shape
    for _ in range(_MAX_PATCH_DRAWS):
        source = _source_image(names[int(rng.integers(len(names)))], shape)
        row = int(rng.integers(source.shape[0] - height + 1))
        col = int(rng.integers(source.shape[1] - width + 1))
        patch = source[row : row + height, col : col + width]
        if patch.mean() >= _MIN_PATCH_LUMINANCE:
            return stimuli.to_contrast(patch)
    raise ValueError(  # pragma: no cover - every shipped image has bright regions
        f"no patch of {names} with a mean luminance >= {_MIN_PATCH_LUMINANCE} "
        f"in {_MAX_PATCH_DRAWS} draws"
    )


def _patch_block(
    *,
    entropy: int,
    names: tuple[str, ...],
    shape: tuple[int, int],
    dtype: np.dtype,
    block_info: dict | None = None,
) -> np.ndarray:
    (start, stop), *_ = block_info[None]["array-location"]
    out = np.empty((stop - start, *shape), dtype=dtype)
    for k, index in enumerate(range(start, stop)):
        out[k] = _natural_patch(names, shape, _image_rng(entropy, index))
    return out


def write_natural_patches(
    store: object,
    field: VisualField,
    n_images: int,
    *,
    chunk_images: int | None = None,
    seed: int | np.random.Generator | None = None,
    names: Sequence[str] | None = None,
    dtype: object = np.float64,
    overwrite: bool = False,
    compressors: object = "auto",
    batch_chunks: int = 256,
) -> tuple[Any, VisualField]:
    """Write a seeded set of natural-image patches (in contrast) to a Zarr store, chunk by chunk.

    Image ``i`` is a patch of ``field.shape`` pixels, at one source pixel per
    field pixel, cut at a random place from a random one of ``names`` (the
    images shipped inside scikit-image, :data:`cortex.stimuli.NATURAL_IMAGES`,
    in grayscale luminance as :func:`cortex.stimuli.natural_image` loads them;
    a source smaller than the field is enlarged to cover it) and converted to
    Weber contrast (:func:`cortex.stimuli.to_contrast`: mean 0 per image).
    A patch darker than 5 % mean luminance is drawn again.  The draws of image
    ``i`` come from its own stream, ``SeedSequence(seed).spawn(n_images)[i]``,
    so the same seed gives the same set whatever ``chunk_images``.

    Parameters
    ----------
    store, field, n_images, chunk_images, seed, dtype, overwrite, batch_chunks
        As :func:`write_white_noise`.
    names : sequence of str, optional
        Source images, each one of :data:`cortex.stimuli.NATURAL_IMAGES`;
        default all of them.
    compressors : optional
        Passed to :func:`zarr.create_array`; default ``"auto"`` (zarr's).

    Returns
    -------
    images : dask.array.Array, shape (n_images, H, W)
        The set, opened lazily.
    field : VisualField
        Its field.

    Raises
    ------
    ImportError, TypeError, ValueError, FileExistsError, cortex.MemoryBudgetError
        As :func:`write_white_noise`, and if ``names`` is empty or names an
        image that is not shipped.
    """
    from . import stimuli

    field = _check_field(field)
    n_images = check_integer(n_images, "n_images", minimum=1)
    if names is None:
        names = stimuli.NATURAL_IMAGES
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise TypeError(f"`names` must be a sequence of image names, got {_describe(names)}")
    names = tuple(check_choice(name, "names", stimuli.NATURAL_IMAGES) for name in names)
    if not names:
        raise ValueError("`names` must name at least one image, got an empty sequence")
    dtype = _check_dtype(dtype)
    entropy = _entropy(seed)
    make_block = functools.partial(
        _patch_block, entropy=entropy, names=names, shape=field.shape, dtype=dtype
    )
    attrs = {
        "generator": "natural_patches",
        "seed": str(entropy),
        "streams": "image i: numpy.random.SeedSequence(seed, spawn_key=(i,))",
        "names": list(names),
        "values": "Weber contrast per image",
    }
    return _write_set(
        store,
        field,
        n_images,
        chunk_images,
        dtype,
        make_block,
        attrs,
        overwrite,
        compressors,
        batch_chunks,
    )


def _open_array(store: object) -> Any:
    zarr = _require("zarr")
    if _is_local_path(store) and not Path(os.fspath(store)).exists():
        raise FileNotFoundError(f"`store` {os.fspath(store)!r} does not exist")
    node = zarr.open(store=os.fspath(store) if _is_local_path(store) else store, mode="r")
    if not isinstance(node, zarr.Array):
        raise ValueError(f"`store` must hold one Zarr array, got a {type(node).__name__}")
    return node


def open_images(store: object, *, field: VisualField | None = None) -> tuple[Any, VisualField]:
    """Open an image set stored in Zarr as a lazy dask array, with its field.

    Parameters
    ----------
    store : str, os.PathLike or zarr store
        Written by :func:`write_white_noise`, :func:`write_natural_patches`, or
        any Zarr array ``(N, H, W)`` of images.
    field : VisualField, optional
        The images' field, for a store without cortex metadata; if the store
        has one, it must be equal.

    Returns
    -------
    images : dask.array.Array, shape (N, H, W)
        Chunked as stored.
    field : VisualField
        The field (rebuilt from the store's attributes, equal to the one
        written).

    Raises
    ------
    ImportError
        If dask or zarr is not installed (``pip install 'cortex[dask]'``).
    FileNotFoundError
        If a local store does not exist.
    TypeError
        If ``field`` is not a VisualField.
    ValueError
        If the store holds no array ``(N, H, W)``, has no field and none is
        given, or the given field differs from the stored one or from the
        images' shape.
    """
    _, da = _dask()
    array = _open_array(store)
    metadata = array.attrs.get(_ATTRS, {})
    stored = VisualField(**metadata["field"]) if "field" in metadata else None
    if field is not None:
        field = _check_field(field)
        if stored is not None and stored != field:
            raise ValueError(f"`field` {field} differs from the stored field {stored}")
    field = field if field is not None else stored
    if field is None:
        raise ValueError("`store` records no visual field; pass `field=`")
    if array.ndim != 3 or tuple(array.shape[1:]) != field.shape:
        raise ValueError(
            f"`store` must hold images (N, H, W) on the field {field.shape}, got shape "
            f"{array.shape}"
        )
    return da.from_zarr(array), field


def write_responses(
    responses: object,
    store: object,
    *,
    population: object = None,
    attrs: dict | None = None,
    overwrite: bool = False,
    compressors: object = "auto",
    batch_chunks: int = 256,
    progress: Callable[[int, int], object] | None = None,
) -> Any:
    """Write responses ``(N, n_neurons)`` to a Zarr store, chunk by chunk.

    The responses are computed chunk by chunk on the active scheduler and
    each chunk is written as it is done, with :func:`dask.array.store` (the
    writer of :func:`dask.array.to_zarr`), ``batch_chunks`` chunks per
    computation: a lazy result of :func:`responses` never needs to fit in
    memory.

    Parameters
    ----------
    responses : dask.array.Array or numpy.ndarray, shape (N, n_neurons)
        E.g. from :func:`responses`; known chunk sizes are needed.  Irregular
        chunks along ``N`` are rechunked to the largest.
    store : str, os.PathLike or zarr store
        As :func:`write_white_noise` (a local path is written atomically).
    population : Population, optional
        The neurons, recorded in the attributes: their numbers, order and
        field, and their plain-data description ``population.to_dict()``
        (read it back with
        ``Population.from_dict(open_responses(store)[1]["population"])``).  A
        population that cannot be described (an RF model that is not
        cortex's) is recorded without it, with the reason under
        ``"population_unrecorded"``.
    attrs : dict, optional
        More JSON attributes, stored under ``attrs["cortex"]["user"]``.
    overwrite : bool, optional
        Replace an existing store.
    compressors : optional
        Passed to :func:`zarr.create_array` (default zarr's).
    batch_chunks : int, optional
        As :func:`write_white_noise`.
    progress : callable, optional
        Called as ``progress(done, total)`` (numbers of images, i.e. rows)
        once before the first batch (``done=0``) and after each batch is
        written, e.g. to move a progress bar.

    Returns
    -------
    dask.array.Array
        The stored responses, opened lazily (:func:`open_responses`).

    Raises
    ------
    ImportError
        If dask or zarr is not installed.
    TypeError
        If ``responses`` is not an array, ``population`` not a Population,
        ``attrs`` not a JSON-serialisable dict or ``progress`` not callable.
    ValueError
        If ``responses`` is not 2-D, has unknown chunk sizes, or does not
        have ``population.n_neurons`` columns.
    FileExistsError
        If the local store exists and ``overwrite`` is False.
    """
    _, da = _dask()
    _require("zarr")
    batch_chunks = check_integer(batch_chunks, "batch_chunks", minimum=1)
    if progress is not None and not callable(progress):
        raise TypeError(f"`progress` must be callable or None, got {_describe(progress)}")
    if not _is_dask_array(responses):
        if not isinstance(responses, np.ndarray):
            raise TypeError(
                f"`responses` must be a dask or numpy array, got {type(responses).__name__}"
            )
        responses = da.from_array(responses)
    if responses.ndim != 2:
        raise ValueError(f"`responses` must be 2-D (N, n_neurons), got shape {responses.shape}")
    if any(np.isnan(size) for size in responses.shape):
        raise ValueError(
            "`responses` has unknown chunk sizes; call `responses.compute_chunk_sizes()` first"
        )
    metadata: dict[str, Any] = {"kind": "responses", "shape": list(responses.shape)}
    if population is not None:
        population = _population._check_population(population)
        if responses.shape[1] != population.n_neurons:
            raise ValueError(
                f"`responses` must have one column per neuron ({population.n_neurons}), "
                f"got shape {responses.shape}"
            )
        metadata["n_neurons"] = population.n_neurons
        metadata["n_types"] = population.n_types
        metadata["n_sites"] = population.n_sites
        metadata["neuron_order"] = "neuron j is type j // n_sites at site j % n_sites"
        metadata["field"] = _field_attrs(population.field)
        try:
            description = _json_of(population)
        except TypeError as exc:  # e.g. an RF model that is not cortex's: not describable
            metadata["population_unrecorded"] = str(exc)
        else:
            if description is not None:
                metadata["population"] = description
    if attrs is not None:
        if not isinstance(attrs, dict):
            raise TypeError(f"`attrs` must be a dict, got {_describe(attrs)}")
        try:
            metadata["user"] = json.loads(json.dumps(attrs))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"`attrs` must be JSON-serialisable: {exc}") from None
    chunks = responses.chunks[0]
    if len(chunks) > 1 and (len(set(chunks[:-1])) > 1 or chunks[-1] > chunks[0]):
        responses = responses.rechunk({0: max(chunks)})
    if responses.numblocks[1] != 1:
        responses = responses.rechunk({1: -1})
    with _AtomicTarget(store, overwrite) as where:
        _write_array(responses, where, {_ATTRS: metadata}, compressors, batch_chunks, progress)
    return open_responses(store)[0]


def open_responses(store: object) -> tuple[Any, dict]:
    """Open responses stored by :func:`write_responses`, lazily.

    Parameters
    ----------
    store : str, os.PathLike or zarr store
        The store.

    Returns
    -------
    responses : dask.array.Array, shape (N, n_neurons)
    metadata : dict
        The stored ``attrs["cortex"]`` (empty for a store written otherwise):
        the population's JSON under ``"population"`` when it was recorded.

    Raises
    ------
    ImportError
        If dask or zarr is not installed.
    FileNotFoundError
        If a local store does not exist.
    ValueError
        If the store does not hold one 2-D array.
    """
    _, da = _dask()
    array = _open_array(store)
    if array.ndim != 2:
        raise ValueError(f"`store` must hold responses (N, n_neurons), got shape {array.shape}")
    return da.from_zarr(array), dict(array.attrs.get(_ATTRS, {}))


# -- reverse correlation -------------------------------------------------------------------
def _sta_block(block: np.ndarray, unit: Any, *, whitened: bool) -> np.ndarray:
    """One chunk's sufficient statistics, packed in a row: ``[n, S, R, RR, SR, (SS)]``."""
    from .analysis._common import check_responses

    b = block.shape[0]
    p = block.shape[1] * block.shape[2]
    u = unit.n_units
    size = 1 + p + 2 * u + p * u + (p * p if whitened else 0)
    out = np.zeros((1, size))
    if b == 0:
        return out
    s = np.asarray(block, dtype=np.float64)
    r = check_responses(unit._chunked(s), unit.labels, "the noise")
    s = s.reshape(b, p)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow: refused by the estimate
        row = out[0]
        row[0] = b
        row[1 : 1 + p] = s.sum(axis=0)
        row[1 + p : 1 + p + u] = r.sum(axis=0)
        row[1 + p + u : 1 + p + 2 * u] = np.sum(r * r, axis=0)
        start = 1 + p + 2 * u
        row[start : start + p * u] = (s.T @ r).ravel()
        if whitened:
            row[start + p * u :] = (s.T @ s).ravel()
    return out


def spike_triggered_average(
    target: object,
    noise: object,
    *,
    field: VisualField | None = None,
    neurons: object = None,
    nonlinearity: object = "auto",
    method: str = "sta",
    contrast: float = 1.0,
    alpha: float = 0.0,
    noise_type: str = "white",
    split_every: int | None = None,
) -> Any:
    """Map receptive fields by reverse correlation over a dask stream of noise images.

    The streamed form of :func:`cortex.analysis.spike_triggered_average`:
    each chunk of ``noise`` is shown to the target and reduced to its
    sufficient statistics (sums of the stimuli, of the responses, of their
    squares and products and, for ``"whitened"``, ``X^T X``), which a tree
    reduction (:meth:`dask.array.Array.sum`) adds up; the estimate is then
    formed from the sums exactly as the in-memory function does.  Only one
    chunk of noise and a few sums are held at a time on each worker.  On the
    same noise, the estimate equals the in-memory one to rounding (the sums
    are added in another order): ``spike_triggered_average(target, n,
    contrast=c, seed=s)`` shows ``cortex.stimuli.white_noise(field, n,
    contrast=c, seed=s)``.

    Parameters
    ----------
    target, field, neurons, nonlinearity
        As :func:`cortex.analysis.as_unit`.
    noise : dask.array.Array, shape (N, H, W)
        Noise images on the target's field (e.g. from :func:`open_images`
        of a :func:`write_white_noise` set), N >= 2.  Chunks along ``N`` are
        kept; images are rechunked whole.
    method : {"sta", "whitened"}, optional
        As :func:`cortex.analysis.spike_triggered_average` (``"whitened"`` on
        at most 4096 pixels).
    contrast : float, optional
        The pixel standard deviation of ``noise`` (the STA is divided by its
        square), in ``[1e-6, 1e6]``.
    alpha : float, optional
        Ridge strength for ``"whitened"``.
    noise_type : {"white", "pink"}, optional
        The noise's spectrum, recorded in the estimate.
    split_every : int, optional
        Fan-in of the tree reduction (dask's default if None).

    Returns
    -------
    cortex.analysis.RFEstimate
        Computed now, on the active scheduler.

    Raises
    ------
    ImportError
        If dask is not installed (``pip install 'cortex[dask]'``).
    TypeError
        If ``noise`` is not a real dask array, or as
        :func:`cortex.analysis.spike_triggered_average`.
    ValueError
        If ``noise`` is not ``(N, H, W)`` on the target's field or has fewer
        than 2 images, or as :func:`cortex.analysis.spike_triggered_average`.
    cortex.MemoryBudgetError
        If the sums exceed :func:`cortex.memory_budget`.

    Warns
    -----
    RuntimeWarning
        If a unit never responded (its map is NaN).
    """
    from .analysis import mapping
    from .analysis.targets import as_unit

    options = mapping._rc_arguments(method, noise_type, contrast, alpha, 1, None)
    if split_every is not None:
        split_every = check_integer(split_every, "split_every", minimum=2)
    unit = as_unit(target, field=field, neurons=neurons, nonlinearity=nonlinearity)
    dask, da = _dask()
    if not _is_dask_array(noise):
        raise TypeError(
            "`noise` must be a dask array (cortex.analysis.spike_triggered_average draws "
            f"its own), got {type(noise).__name__}"
        )
    if noise.dtype.kind not in "biuf":
        raise TypeError(f"`noise` must hold real numbers, got dtype {noise.dtype}")
    height, width = unit.field.shape
    if noise.ndim != 3 or tuple(noise.shape[1:]) != (height, width):
        raise ValueError(
            f"`noise` must be (N, H, W) on the target's field {unit.field.shape}, got shape "
            f"{noise.shape}"
        )
    if noise.shape[0] < 2:  # NaN (unknown) passes; checked on the sums
        raise ValueError(f"`noise` must hold at least 2 images, got {noise.shape[0]}")
    p = height * width
    whitened = options["method"] == "whitened"
    if whitened and p > 4096:
        raise ValueError(
            f"the whitened estimate solves a (pixels x pixels) system; {p} pixels is more than "
            "4096: use a smaller field or method='sta'"
        )
    u = unit.n_units
    size = 1 + p + 2 * u + p * u + (p * p if whitened else 0)
    check_memory(
        8.0 * (4 * size + (2 * p * p if whitened else 0)),
        f"the sums of reverse correlation ({options['method']}) on the {height}x{width} px "
        f"field for {u} unit(s)",
    )
    if noise.numblocks[1:] != (1, 1):
        noise = noise.rechunk({1: -1, 2: -1})
    stats = da.map_blocks(
        _sta_block,
        noise,
        dask.delayed(unit, pure=False, traverse=False),
        whitened=whitened,
        dtype=np.float64,
        drop_axis=(1, 2),
        new_axis=1,
        chunks=((1,) * noise.numblocks[0], (size,)),
        meta=np.empty((0, 0)),
        token="cortex-sta-sums",
    )
    (total,) = dask.compute(stats.sum(axis=0, split_every=split_every))
    n = int(total[0])
    if n < 2:
        raise ValueError(f"`noise` must hold at least 2 images, got {n}")
    sum_s = total[1 : 1 + p]
    sum_r = total[1 + p : 1 + p + u]
    sum_rr = total[1 + p + u : 1 + p + 2 * u]
    start = 1 + p + 2 * u
    sum_sr = total[start : start + p * u].reshape(p, u)
    sum_ss = total[start + p * u :].reshape(p, p) if whitened else None
    maps = mapping._estimate(
        unit,
        n,
        sum_s,
        sum_r,
        sum_rr,
        sum_sr,
        sum_ss,
        options["method"],
        options["contrast"],
        options["alpha"],
    )
    mapping._warn_silent(maps, unit.labels)
    return mapping.RFEstimate(maps, unit.field, options["method"], n, options["noise"], unit.labels)

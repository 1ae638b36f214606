"""``cortex respond``: a population's responses to a Zarr image set, into a Zarr store.

A job described in files: the population is a JSON file
(:func:`cortex.save_population`, :meth:`cortex.Population.to_dict`), the images
a Zarr store ``(N, H, W)`` on the population's field
(:func:`cortex.scale.write_white_noise`, :func:`cortex.scale.write_natural_patches`
or any Zarr array with ``--ppd``), and the responses go to a new Zarr store
``(N, n_neurons)`` (:func:`cortex.scale.write_responses`), chunk by chunk, on
the scheduler asked for:

``threads``
    dask's threaded scheduler in this process (the default);
``local``
    a :class:`dask.distributed.LocalCluster` of ``--workers`` processes of one
    thread each, with ``--memory-limit`` each, started for the run and closed
    after it (its dashboard link is printed);
``ADDRESS``
    the running ``dask.distributed`` scheduler at that address (e.g.
    ``tcp://10.0.0.5:8786``); its workers must see the image store and the
    directory of ``--out`` at the same paths.

The output store is written atomically: into a temporary sibling directory
renamed to ``--out`` once every chunk is written.  So ``--out`` exists only
complete: a failed or interrupted run leaves nothing (and an existing store
replaced with ``--overwrite`` stays whole until then).  Unlike the other
commands, ``respond`` writes no ``INCOMPLETE`` marker and no
``summary.json``: the store's attributes (``attrs["cortex"]``) record the
population, the image store and the settings.

:func:`setup` checks everything (population file, image store, field, output
path, scheduler) before any computation; :func:`run` computes and writes.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import MissingData

__all__ = [
    "METHODS",
    "NONLINEARITIES",
    "OUTPUT",
    "SCHEDULERS",
    "TRIM_KEY",
    "check_address",
    "run",
    "setup",
]

#: What ``respond`` writes: one Zarr store at ``--out`` (not a directory of files).
OUTPUT = "store"
#: The named schedulers (anything else must be a scheduler's address).
SCHEDULERS = ("threads", "local")
#: ``--method``: as :func:`cortex.responses`.
METHODS = ("auto", "fft", "direct", "centers", "separable")
#: ``--nonlinearity``: ``none`` is the linear stage.
NONLINEARITIES = ("none", "rectify", "half-square")
#: dask.distributed sets ``MALLOC_TRIM_THRESHOLD_=65536`` in the processes it spawns,
#: which makes the ``"centers"`` correlation about 5x slower there; ``local`` unsets it.
TRIM_KEY = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
#: Seconds to wait for the scheduler at an address.
CONNECT_TIMEOUT = 20

_ADDRESS = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?[^\s/:]+(?::\d{1,5})?/?$", re.IGNORECASE)


def check_address(text: str) -> str:
    """The argparse ``type`` of ``--scheduler``: ``threads``, ``local`` or an address.

    Parameters
    ----------
    text : str
        The command-line value.

    Returns
    -------
    str
        ``"threads"``, ``"local"`` or the address as given (e.g.
        ``tcp://10.0.0.5:8786``, ``localhost:8786``).

    Raises
    ------
    argparse.ArgumentTypeError
        For anything else.
    """
    value = text.strip()
    if value.lower() in SCHEDULERS:
        return value.lower()
    if _ADDRESS.match(value) and ":" in value:
        return value
    raise argparse.ArgumentTypeError(
        "must be 'threads', 'local' or a dask.distributed scheduler address such as "
        f"tcp://HOST:8786, got {text!r}"
    )


def memory_size(text: str) -> int:
    """The argparse ``type`` of ``--memory-limit``: bytes, or a number with K, M, G or T.

    Parameters
    ----------
    text : str
        E.g. ``"2G"``, ``"500M"``.

    Returns
    -------
    int
        Bytes, at least 64 MiB (a dask worker needs about that to start).

    Raises
    ------
    argparse.ArgumentTypeError
        If ``text`` is not such a size or is below 64 MiB.
    """
    from .._validation import _parse_bytes

    try:
        value = _parse_bytes(text, "value")
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number of bytes, optionally with K, M, G or T (e.g. 2G), got {text!r}"
        ) from None
    if value < 64 * 2**20:
        raise argparse.ArgumentTypeError(f"must be at least 64M per worker, got {text!r}")
    return value


def _as_argument(option: str, exc: BaseException) -> ValueError:
    """``exc`` as an error of the option (the library names its own argument ``path``)."""
    message = str(exc).replace("`path` ", "").replace("`store` ", "")
    return ValueError(f"argument {option}: {message}")


def setup(args: argparse.Namespace) -> dict[str, Any]:
    """Check the job before anything runs: population, image store, output, scheduler.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments of ``respond``; ``workers`` gets its default (the
        number of CPUs, for ``threads`` and ``local``).

    Returns
    -------
    dict
        ``population``, ``images`` (a lazy dask array) and ``field``.

    Raises
    ------
    cortex.cli.MissingData
        If dask, distributed or zarr is not installed (``cortex[dask]``).
    ValueError
        Naming the argument: a population file that does not exist or is not a
        population, an image store that does not exist, holds no images
        ``(N, H, W)`` or is not on the population's field, ``--out`` that
        exists (without ``--overwrite``), is the image store, or whose parent
        is not a writable directory, ``--workers`` or ``--memory-limit`` with
        a scheduler address, ``--memory-limit`` without ``local``.
    """
    from .. import load_population, scale

    try:
        import dask  # noqa: F401
        import zarr  # noqa: F401

        if args.scheduler != "threads":
            import distributed  # noqa: F401
    except ImportError as exc:
        raise MissingData(
            f"`cortex respond` needs dask, distributed and zarr ({exc}); install them with "
            "pip install 'cortex[dask]'"
        ) from None
    named = args.scheduler in SCHEDULERS
    if args.workers is not None and not named:
        raise ValueError(
            "argument --workers: the scheduler at an address has its own workers; use "
            "--workers with --scheduler threads or local"
        )
    if args.memory_limit is not None and args.scheduler != "local":
        raise ValueError(
            "argument --memory-limit: only --scheduler local starts workers (the threaded "
            "scheduler runs in this process; a scheduler at an address has its own limits)"
        )
    if args.workers is None and named:
        args.workers = os.cpu_count() or 1

    try:
        population = load_population(args.population)
    except (OSError, ValueError, TypeError) as exc:
        raise _as_argument("--population", exc) from None
    try:
        images, field = scale.open_images(args.images, field=population.field)
    except (OSError, ValueError, TypeError) as exc:
        message = str(exc).replace("`field`", "the population's field")
        raise _as_argument("--images", ValueError(message)) from None
    if images.shape[0] == 0:
        raise ValueError(f"argument --images: the store {str(args.images)!r} holds no images")

    out = Path(args.out).absolute()
    if out.exists() and not args.overwrite:
        raise ValueError(
            f"argument --out: {str(args.out)!r} already exists; pass --overwrite to replace it"
        )
    if out.exists() and not out.is_dir():
        raise ValueError(f"argument --out: {str(args.out)!r} exists and is not a Zarr store")
    if out.resolve() == Path(args.images).absolute().resolve():
        raise ValueError("argument --out: must differ from --images (it would be replaced)")
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(
            f"argument --out: cannot create {str(args.out)!r}: {str(parent)!r} is not a "
            "writable directory"
        )
    return {"population": population, "images": images, "field": field}


@contextmanager
def _scheduler(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    """Run the block on the scheduler asked for; yield what it is (name, workers, dashboard)."""
    import dask

    if args.scheduler == "threads":
        with dask.config.set(scheduler="threads", num_workers=args.workers):
            yield {"name": "threads", "workers": args.workers, "dashboard": None, "client": None}
        return
    from distributed import Client, LocalCluster

    if args.scheduler == "local":
        with (
            dask.config.set({TRIM_KEY: None}),
            LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                memory_limit=args.memory_limit if args.memory_limit is not None else "auto",
                dashboard_address=":0",
            ) as cluster,
            Client(cluster) as client,
        ):
            yield {
                "name": "local",
                "workers": args.workers,
                "dashboard": client.dashboard_link,
                "client": client,
            }
        return
    try:
        client = Client(args.scheduler, timeout=f"{CONNECT_TIMEOUT}s")
    except (OSError, TimeoutError) as exc:
        from . import CommandFailed

        raise CommandFailed(
            f"cannot reach the dask.distributed scheduler at {args.scheduler!r} within "
            f"{CONNECT_TIMEOUT} s ({exc}); is it running, and is the address right?"
        ) from None
    with client:
        workers = len(client.scheduler_info().get("workers", {}))
        yield {
            "name": args.scheduler,
            "workers": workers,
            "dashboard": client.dashboard_link,
            "client": client,
        }


def _peak_rss() -> int | None:
    """The peak resident memory of this process in bytes (None where unknown)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _batch_chunks(n_blocks: int, workers: int) -> int:
    """Chunks per write batch: enough to keep every worker busy, few enough for the bar to move."""
    return max(8 * max(workers, 1), math.ceil(n_blocks / 100))


def run(args: argparse.Namespace, prepared: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Compute the responses and write them to ``--out``.

    A progress bar on stderr (when it is a terminal, unless ``--no-progress``)
    counts the images whose responses are written; with ``dask.distributed``
    the dashboard link is printed on stderr first.

    Parameters
    ----------
    args : argparse.Namespace
        The arguments, completed by :func:`setup`.
    prepared : dict
        From :func:`setup`.

    Returns
    -------
    results : list of str
        Lines for stdout: the store, the shape and dtype, the time and
        throughput, the peak memory of this process or of each worker.
    notes : list of str
        Warnings raised during the run.

    Raises
    ------
    cortex.cli.CommandFailed
        If the scheduler at an address cannot be reached.
    """
    from tqdm.auto import tqdm

    from .. import scale
    from .output import collect_warnings

    population, images = prepared["population"], prepared["images"]
    nonlinearity = None if args.nonlinearity == "none" else args.nonlinearity
    lazy = scale.responses(population, images, method=args.method, nonlinearity=nonlinearity)
    attrs = {
        "command": "cortex respond",
        "population_file": str(args.population),
        "images": str(args.images),
        "method": args.method,
        "nonlinearity": args.nonlinearity,
    }
    n_images = int(images.shape[0])
    with collect_warnings() as notes, _scheduler(args) as where:
        if where["dashboard"]:
            print(f"dask dashboard: {where['dashboard']}", file=sys.stderr, flush=True)
        show = not args.no_progress and sys.stderr.isatty()
        size = shutil.get_terminal_size()
        with tqdm(
            total=n_images,
            unit="img",
            desc="respond",
            disable=not show,
            file=sys.stderr,
            # tqdm asks the terminal its size and hides the bar on a pty that has none
            ncols=size.columns,
            nrows=size.lines,
        ) as bar:

            def progress(done: int, total: int) -> None:
                bar.update(done - bar.n)

            start = time.perf_counter()
            scale.write_responses(
                lazy,
                args.out,
                population=population,
                attrs=attrs,
                overwrite=args.overwrite,
                batch_chunks=_batch_chunks(images.numblocks[0], where["workers"]),
                progress=progress,
            )
            seconds = time.perf_counter() - start
        if where["client"] is not None:
            peaks = where["client"].run(_peak_rss)
            memory = "workers' peak memory " + ", ".join(
                "n/a" if peak is None else f"{peak / 2**20:.0f} MiB" for peak in peaks.values()
            )
        else:
            peak = _peak_rss()
            memory = "peak memory " + ("n/a" if peak is None else f"{peak / 2**20:.0f} MiB")
    dtype = lazy.dtype
    results = [
        str(args.out),
        f"responses: {n_images} images x {population.n_neurons} neurons ({dtype})",
        f"{n_images / max(seconds, 1e-9):,.0f} images/s on {where['name']} with "
        f"{where['workers']} worker(s); {memory}",
    ]
    return results, notes

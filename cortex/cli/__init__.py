"""Command line: ``python -m cortex ...`` or ``cortex ...``.

Subcommands
-----------
demo
    Build retina-like (ON/OFF centre-surround) and V1-like (Gabor) populations
    on a visual field and write figures of their RFs, tiling, coverage and
    responses to a natural image as PNG files.
tuning
    Measure a simulated V1 neuron's orientation, spatial-frequency, contrast
    and phase tuning curves with gratings (:func:`cortex.analysis.tuning_curve`).
sta
    Map a simulated neuron's receptive field by reverse correlation with noise
    and show how the estimate converges on the true RF
    (:func:`cortex.analysis.rf_mapping_convergence`).
respond
    Compute a population's responses (a JSON file, :func:`cortex.save_population`)
    to a Zarr image set and write them to a Zarr store, on dask's threaded
    scheduler, a local dask.distributed cluster or a scheduler's address
    (:mod:`cortex.cli.respond`).
validate
    Measure what cortex reproduces of published values (pRF sizes, coverage,
    regularity, RF arithmetic) and write the report (:mod:`cortex.validate`).
train
    Train a small ConvNet with a Gabor-initialised first layer on
    scikit-learn's 8x8 digits and measure how Gabor-like its first-layer
    filters stay (:func:`cortex.analysis.gabor_likeness`).

Every command writes its files into ``--out`` (atomically), prints the paths it
wrote and exits with 0; ``tuning``, ``sta`` and ``train`` also write a
``summary.json``, last.

Errors and exit status
----------------------
No error shows a Python traceback: :func:`main` reports it in one line on
stderr, ``cortex COMMAND: error: ...``, naming the argument and the value
where one is to blame, and returns

* 0 on success;
* 1 if the run failed: training diverged (:class:`CommandFailed`), the
  library refused a value during the run (:class:`TypeError`,
  :class:`ValueError`, :class:`ArithmeticError`), memory ran out or a request
  exceeded the memory budget (:class:`MemoryError`,
  :class:`cortex.MemoryBudgetError`), or a file could not be written
  (:class:`OSError`);
* 2 for invalid arguments (refused by the parser, or by a command's checks
  before ``--out`` is created), an unusable ``--out`` or a missing optional
  dependency (:class:`MissingData`);
* 130 if interrupted (Ctrl-C, :class:`KeyboardInterrupt`): one line saying
  what was left.

Other exceptions are bugs and keep their traceback.  With the environment
variable ``CORTEX_DEBUG=1`` (:data:`DEBUG_ENV`) every error is re-raised with
its traceback instead.  A run that fails or is interrupted leaves the marker
file ``INCOMPLETE`` in ``--out`` (see :mod:`cortex.cli.output`).

Layout: :mod:`~cortex.cli.parser` (the parser and argument types),
:mod:`~cortex.cli.output` (the ``--out`` writer and the report),
:mod:`~cortex.cli.neurons` (the neuron of ``tuning`` and ``sta``) and one
module per command (:mod:`~cortex.cli.demo`, :mod:`~cortex.cli.tuning`,
:mod:`~cortex.cli.sta`, :mod:`~cortex.cli.train`), each with its ``FILES`` (or
``files(args)`` when they depend on the arguments), its setup (all but ``demo``), its run
and its figures.
Importing :mod:`cortex.cli` loads none of them (nor matplotlib): :func:`main`
does.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["DEBUG_ENV", "CommandFailed", "MissingData", "main"]

#: Environment variable: set to ``1`` to re-raise errors with their traceback.
DEBUG_ENV = "CORTEX_DEBUG"
#: Exit status of an interrupted run (128 + SIGINT).
EXIT_INTERRUPTED = 130


class MissingData(Exception):
    """An optional data dependency is missing (exit code 2, message on stderr)."""


class CommandFailed(Exception):
    """The run failed for a reason the user can act on (exit code 1, message on stderr).

    E.g. training diverged; the message says what to change.
    """


def _debug() -> bool:
    """Whether :data:`DEBUG_ENV` asks for tracebacks."""
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def _one_line(text: object) -> str:
    """``text`` on one line (whitespace runs collapsed), at most 1000 characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= 1000 else line[:997] + "..."


def _report(prog: str, message: str) -> None:
    """Print ``PROG: error: MESSAGE`` on one line on stderr."""
    print(f"{prog}: error: {_one_line(message)}", file=sys.stderr)


@contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Ignore Ctrl-C while cleaning up after a failure (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (ValueError, OSError):  # pragma: no cover - no signals here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _given(argv: list[str]) -> str:
    """The options the user gave (after the command), for a message about a failed run."""
    text = " ".join(argv[1:])
    return text if len(text) <= 200 else text[:197] + "..."


def _runtime_message(exc: BaseException, argv: list[str]) -> str:
    """The one-line message of an exception caught while a command ran."""
    from .._validation import MemoryBudgetError

    given = f"arguments: {_given(argv)}"
    if isinstance(exc, MemoryBudgetError):
        return f"{exc} ({given})"
    if isinstance(exc, MemoryError):
        detail = str(exc) or "the computation needs more memory than is free"
        return (
            f"out of memory ({detail}); ask for less (e.g. a smaller --field or --ppd) or free "
            f"memory ({given})"
        )
    if isinstance(exc, OSError):
        return f"cannot write the output: {exc}"
    kind = "" if isinstance(exc, TypeError | ValueError) else f"{type(exc).__name__}: "
    return f"{kind}{exc} ({given}; set {DEBUG_ENV}=1 to see the traceback)"


def _interrupted(state: dict[str, Any]) -> int:
    """Report an interruption in one line; return :data:`EXIT_INTERRUPTED`."""
    prog, writer = state["prog"], state["writer"]
    if writer is None:  # nothing written yet, or a store written atomically (respond)
        left = "the output is complete" if state.get("complete") else "nothing was written"
    elif state.get("complete"):
        left = f"the output in {writer.out} is complete"
    elif writer.marker.exists():
        n = len(writer.written)
        total = f" of {len(writer.expected)}" if writer.expected else ""
        left = f"{writer.out} is incomplete: {n}{total} files written, marked by {writer.marker}"
    else:
        left = f"nothing was written into {writer.out}"
    print(f"{prog}: interrupted; {left}", file=sys.stderr)
    return EXIT_INTERRUPTED


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit code: 0 on success, 1 if the run failed (e.g. training diverged,
        out of memory), 2 for invalid arguments, an unusable ``--out`` or a
        missing optional dependency, 130 if interrupted; every error is
        reported in one line on stderr (see the module's docstring).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    state: dict[str, Any] = {"prog": "cortex", "writer": None}
    try:
        return _main(argv, state)
    except KeyboardInterrupt:
        if _debug():
            raise
        with _sigint_deferred():
            return _interrupted(state)


def _main(argv: list[str], state: dict[str, Any]) -> int:
    """:func:`main` without the handling of Ctrl-C (``state`` tells what was done)."""
    from .._validation import memory_budget
    from . import demo, respond, sta, train, tuning, validate
    from .output import Writer, finish, prepare_out
    from .parser import build_parser

    commands = {
        "demo": demo,
        "tuning": tuning,
        "sta": sta,
        "train": train,
        "respond": respond,
        "validate": validate,
    }
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits for --help, --version and for errors
        return exc.code if isinstance(exc.code, int) else 1
    if args.command is None:
        parser.print_help()
        return 0
    module = commands[args.command]
    store = getattr(module, "OUTPUT", "files") == "store"  # one atomic store, not a directory
    prog = state["prog"] = args.subparser.prog
    try:
        memory_budget()  # a malformed CORTEX_MEMORY_BUDGET is refused first
    except ValueError as exc:
        _report(prog, f"environment variable {exc}")
        return 2
    try:  # check and build everything before creating --out
        prepared = module.setup(args) if hasattr(module, "setup") else None
        if not store:
            prepare_out(args.out)
    except MissingData as exc:
        _report(prog, str(exc))
        return 2
    except (TypeError, ValueError, ArithmeticError, Warning) as exc:  # MemoryBudgetError too
        if _debug():
            raise
        message = str(exc)
        if not message.startswith("argument"):
            message = f"{message} (arguments: {_given(argv)})"
        _report(prog, message)
        return 2
    except MemoryError as exc:
        if _debug():
            raise
        _report(prog, _runtime_message(exc, argv))
        return 1

    if store:
        return _run_store(module, args, prepared, argv, state)
    # the files a complete run writes: fixed (FILES) unless they depend on the arguments
    expected = module.files(args) if hasattr(module, "files") else list(module.FILES)
    writer = Writer(args.out, args.command, expected)
    state["writer"] = writer
    start = time.perf_counter()
    try:
        writer.start()
        results, notes = module.run(args, prepared, writer)
        writer.complete()
        state["complete"] = True
    except BaseException as exc:
        with _sigint_deferred():
            if isinstance(exc, KeyboardInterrupt):
                reason = "interrupted (Ctrl-C)"
            elif isinstance(exc, CommandFailed):
                reason = f"failed: {_one_line(exc)}"
            else:
                reason = f"failed: {_one_line(f'{type(exc).__name__}: {exc}')}"
            writer.abandon(reason)
        if isinstance(exc, KeyboardInterrupt | SystemExit) or _debug():
            raise
        if isinstance(exc, CommandFailed):
            _report(prog, str(exc))
            return 1
        if isinstance(exc, TypeError | ValueError | ArithmeticError | MemoryError | OSError):
            _report(prog, _runtime_message(exc, argv))
            return 1
        raise  # anything else is a bug: keep its traceback
    try:
        finish(writer, results, notes, start, "figures" if args.command == "demo" else "files")
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. `cortex ... | head -1`: stop quietly, the files are complete
        _silence_stdout()
        return 1
    return 0


def _run_store(module: Any, args: Any, prepared: Any, argv: list[str], state: dict) -> int:
    """Run a command that writes one store atomically (``respond``); report; return the exit code.

    The store appears at ``--out`` only once complete, so a failure or an
    interruption leaves nothing to mark: the exit codes and messages are those
    of the other commands.
    """
    start = time.perf_counter()
    try:
        results, notes = module.run(args, prepared)
    except CommandFailed as exc:
        if _debug():
            raise
        _report(state["prog"], str(exc))
        return 1
    except (TypeError, ValueError, ArithmeticError, MemoryError, OSError) as exc:
        if _debug():
            raise
        _report(state["prog"], _runtime_message(exc, argv))
        return 1
    state["complete"] = True
    try:
        for line in results:
            print(line)
        for note in notes:
            print(f"warning: {note}", file=sys.stderr)
        print(f"wrote {args.out} in {time.perf_counter() - start:.1f} s")
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return 1
    return 0


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush does not fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (e.g. captured)
        pass

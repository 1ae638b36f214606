"""What the commands write and print.

The ``--out`` directory check (:func:`prepare_out`), the :class:`Writer` that
saves figures (PNG) and ``summary.json`` atomically, remembers the paths and
marks the directory incomplete while it works, the conversion of results to
plain JSON (:func:`jsonable`), the collection of warnings for the report
(:func:`collect_warnings`) and the final report on stdout and stderr
(:func:`finish`).  matplotlib is imported on first use only (:func:`pyplot`).

Complete or partial output
--------------------------
Every file is written atomically (a temporary file in ``--out``, then a
rename), so no file is ever half-written.  A run marks the directory as a
whole:

1. before writing anything, it writes the marker file ``INCOMPLETE``
   (:data:`MARKER`) into ``--out`` and removes a ``summary.json`` left there
   by an earlier run;
2. it writes its figures (and ``model.npz``), then ``summary.json`` last;
3. on success it removes ``INCOMPLETE``.

If the run fails or is interrupted (Ctrl-C), ``INCOMPLETE`` stays, rewritten
to say why and which files this run completed.  So ``--out`` holds a
complete result if and only if it has no ``INCOMPLETE`` file (and, for the
commands that write one, has a ``summary.json``).  A run killed outright
(``SIGKILL``, power loss) leaves the marker saying that the run started.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .._io import atomic_write

__all__ = [
    "MARKER",
    "Writer",
    "arguments",
    "collect_warnings",
    "finish",
    "fmt",
    "jsonable",
    "prepare_out",
    "pyplot",
    "save_figure",
]


def prepare_out(out: Path) -> None:
    """Create the ``--out`` directory and check that it is writable.

    Parameters
    ----------
    out : pathlib.Path
        The directory; created with its parents if missing.

    Raises
    ------
    ValueError
        If ``out`` exists and is not a directory, cannot be created
        (a parent is a file, a name is too long, no permission...), or is not
        writable; the message starts with ``argument --out:``.
    """
    try:
        if out.exists() and not out.is_dir():
            raise ValueError(f"argument --out: {str(out)!r} exists and is not a directory")
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"argument --out: cannot create directory {str(out)!r}: {exc}") from None
    try:
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise ValueError(f"argument --out: directory {str(out)!r} is not writable: {exc}") from None


def pyplot() -> Any:
    """Return :mod:`matplotlib.pyplot` on the non-interactive Agg backend.

    Returns
    -------
    module
        :mod:`matplotlib.pyplot`.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: Path) -> None:
    """Save a figure as a PNG atomically (a temporary file in the same directory, then a rename).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (left open).
    path : pathlib.Path
        Destination.
    """
    atomic_write(path, lambda handle: fig.savefig(handle, format="png", dpi=120))


#: The marker file of an incomplete ``--out`` directory (see the module's docstring).
MARKER = "INCOMPLETE"


class Writer:
    """Write figures and JSON into one directory, atomically, and remember the paths.

    :meth:`start` marks the directory incomplete (the file :data:`MARKER`),
    :meth:`complete` removes the mark, :meth:`abandon` leaves it saying why
    the run stopped and what it wrote.

    Parameters
    ----------
    out : pathlib.Path
        The directory (see :func:`prepare_out`).
    command : str, optional
        The command's name, for the marker.
    expected : list of str, optional
        The names of the files a complete run writes, for the marker.

    Attributes
    ----------
    out : pathlib.Path
        The directory.
    written : list of pathlib.Path
        The files written so far, in order.
    started : bool
        Whether :meth:`start` marked the directory (and nothing has finished it).
    """

    def __init__(self, out: Path, command: str = "cortex", expected: list[str] | None = None):
        self.out = out
        self.command = command
        self.expected = list(expected or [])
        self.written: list[Path] = []
        self.started = False

    @property
    def marker(self) -> Path:
        """The path of the marker file (:data:`MARKER` in :attr:`out`)."""
        return self.out / MARKER

    def _write_marker(self, text: str) -> None:
        atomic_write(self.marker, lambda handle: handle.write(text.encode("utf-8")))

    def start(self) -> None:
        """Mark :attr:`out` incomplete and remove a summary.json of an earlier run.

        Raises
        ------
        OSError
            If the marker cannot be written.
        """
        when = time.strftime("%Y-%m-%d %H:%M:%S")
        self._write_marker(
            f"cortex {self.command} started writing into this directory at {when} "
            f"(process {os.getpid()}).\n"
            "The results here are incomplete while this file exists: it is removed when "
            "the run completes, and rewritten to say why if the run fails or is interrupted.\n"
        )
        self.started = True
        (self.out / "summary.json").unlink(missing_ok=True)

    def complete(self) -> None:
        """Remove the marker: every file of the run is written."""
        self.marker.unlink(missing_ok=True)
        self.started = False

    def abandon(self, reason: str) -> bool:
        """Leave the marker, rewritten to say why the run stopped and what it wrote.

        Parameters
        ----------
        reason : str
            E.g. ``"interrupted (Ctrl-C)"``.

        Returns
        -------
        bool
            Whether the marker was written (False if the run had not started
            writing, or the marker could not be written).
        """
        if not self.started:
            return False
        names = [path.name for path in self.written]
        lines = [f"cortex {self.command} did not finish: {reason}."]
        if self.expected:
            missing = [name for name in self.expected if name not in names]
            lines.append(
                f"It wrote {len(names)} of the {len(self.expected)} files of a complete run"
                + (": " + ", ".join(names) if names else "")
                + (f"; missing: {', '.join(missing)}." if missing else ".")
            )
        else:
            lines.append(f"It wrote {len(names)} file(s): {', '.join(names) or 'none'}.")
        lines.append(
            "The files it wrote are complete; any other file here is from an earlier run. "
            "Run the command again to complete this directory."
        )
        try:
            self._write_marker("\n".join(lines) + "\n")
        except OSError:
            return self.marker.exists()
        return True

    def figure(self, fig: Any, name: str) -> None:
        """Save ``fig`` as the PNG file ``name`` and close it (also on failure).

        Parameters
        ----------
        fig : matplotlib.figure.Figure
            The figure.
        name : str
            File name inside :attr:`out`.
        """
        path = self.out / name
        try:
            save_figure(fig, path)
        finally:
            pyplot().close(fig)
        self.written.append(path)

    def json(self, data: dict[str, Any], name: str = "summary.json") -> None:
        """Write ``data`` as indented JSON (see :func:`jsonable`).

        Parameters
        ----------
        data : dict
            The content.
        name : str, optional
            File name inside :attr:`out`.
        """
        text = json.dumps(jsonable(data), indent=2, allow_nan=False) + "\n"
        path = self.out / name
        atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))
        self.written.append(path)


def jsonable(value: object) -> object:
    """Convert to plain JSON types: numpy scalars and arrays to Python, NaN and inf to None.

    Parameters
    ----------
    value : object
        Nested dicts, lists, tuples, arrays, numbers, paths or strings.

    Returns
    -------
    object
        The same structure with only JSON types (dict keys as strings).
    """
    import numpy as np

    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Path):
        return str(value)
    return value


@contextmanager
def collect_warnings() -> Iterator[list[str]]:
    """Record warnings (reported on stderr and in summary.json) instead of emitting them.

    Yields
    ------
    list of str
        Filled on exit with ``"Category: message"`` for each distinct warning.
    """
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield messages
    for item in caught:
        text = f"{item.category.__name__}: {item.message}"
        if text not in messages:
            messages.append(text)


def arguments(args: argparse.Namespace) -> dict[str, Any]:
    """Return the command's arguments for summary.json (paths as strings).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed (and completed) arguments.

    Returns
    -------
    dict
        Every argument but the command's name and parser.
    """
    return {
        key: (str(value) if isinstance(value, Path) else value)
        for key, value in vars(args).items()
        if key not in ("subparser", "command")
    }


def finish(
    writer: Writer, results: list[str], notes: list[str], start: float, noun: str = "files"
) -> None:
    """Print the files written, the result lines, the warnings (stderr) and the time taken.

    Parameters
    ----------
    writer : Writer
        The writer that wrote the files.
    results : list of str
        One-line results, printed after the paths.
    notes : list of str
        Warnings, printed on stderr as ``warning: ...``.
    start : float
        :func:`time.perf_counter` at the start of the run.
    noun : str, optional
        What the files are called in the last line (``"figures"`` for ``demo``).
    """
    for path in writer.written:
        print(path)
    for line in results:
        print(line)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    elapsed = time.perf_counter() - start
    print(f"wrote {len(writer.written)} {noun} to {writer.out} in {elapsed:.1f} s")


def fmt(value: object, spec: str = ".3g") -> str:
    """Format a number for a title or a result line; ``None`` (no value) as ``n/a``.

    Parameters
    ----------
    value : object
        A number or None.
    spec : str, optional
        Format specification.

    Returns
    -------
    str
        The formatted value.
    """
    return "n/a" if value is None else format(value, spec)

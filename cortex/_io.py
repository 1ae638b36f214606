"""Atomic file writes: a temporary file in the destination's directory, then a rename.

The temporary file of a write to ``dir/name`` is ``dir/.name.<pid>-<random>.partial``
(``<pid>`` the writing process).  A write killed before its rename leaves that
file behind; the next write to the same destination recognises it by its
name and removes it when the process that wrote it is gone.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

#: Suffix of the temporary files of :func:`atomic_write`.
PARTIAL_SUFFIX = ".partial"

_active: set[str] = set()  # temporary files this process is writing now
_active_lock = threading.Lock()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def partial_prefix(path: str | os.PathLike) -> str:
    """Name prefix of the temporary files of writes to ``path`` (``".name.<pid>-"`` follows)."""
    return f".{Path(path).name}."


def _partial_pattern(path: Path) -> re.Pattern[str]:
    # what tempfile.mkstemp makes of prefix ".name.<pid>-" and the suffix: 8 random characters
    return re.compile(
        re.escape(partial_prefix(path)) + r"(\d+)-[a-z0-9_]{8}" + re.escape(PARTIAL_SUFFIX)
    )


def _process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (True when that cannot be told safely)."""
    if os.name != "posix":  # os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, owned by someone else
        return True
    return True


def remove_stale_partials(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files left by killed writes to ``path``.

    A temporary file is stale when the process named in it no longer runs, or
    is this process but not writing it now (a process id reused after a
    crash).  Files of live writers are kept.

    Parameters
    ----------
    path : str or path-like
        The destination whose leftovers to remove.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    path = Path(path)
    pattern = _partial_pattern(path)
    removed = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    me = os.getpid()
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        pid = int(match.group(1))
        with _active_lock:
            ours_now = entry.path in _active
        if ours_now or (pid != me and _process_alive(pid)):
            continue
        try:
            os.unlink(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> Path:
    """Write a file so that readers see either the old file or the complete new one.

    Parameters
    ----------
    path : str or path-like
        Destination.
    write : callable
        Called with a binary file handle open on a temporary file in the same
        directory (``.name.<pid>-<random>.partial``); it writes the content.

    Returns
    -------
    pathlib.Path
        ``path``.  The file gets the usual permissions (``0o666`` less the
        umask), not the private mode of a temporary file.

    Raises
    ------
    OSError
        If the file cannot be written (directory missing, no permission, disk
        full...): the matching subclass, with a message naming ``path`` (not
        the temporary file, which is removed).  Errors raised by ``write``
        itself propagate unchanged; the temporary file is removed then too.

    Notes
    -----
    A write killed before the rename (power loss, SIGKILL) leaves its
    temporary file behind; the next write to ``path`` removes it (see
    :func:`remove_stale_partials`).
    """
    path = Path(path)
    remove_stale_partials(path)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f"{partial_prefix(path)}{os.getpid()}-", suffix=PARTIAL_SUFFIX, dir=path.parent
        )
        with _active_lock:
            _active.add(tmp)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        reason = exc.strerror or str(exc) or type(exc).__name__
        message = f"could not write {str(path)!r}: {reason}"
        if exc.errno is None:
            raise OSError(message) from exc
        raise OSError(
            exc.errno, message
        ) from exc  # the subclass of the errno, e.g. PermissionError
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        if tmp is not None:
            with _active_lock:
                _active.discard(tmp)
    return path

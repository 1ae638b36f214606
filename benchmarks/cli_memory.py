"""Peak memory (RSS) of every ``cortex`` command at its documented maximum sizes.

Each command runs in its own subprocess (``python -m cortex ...``, writing into a
temporary ``--out``); its peak resident set size is the ``ru_maxrss`` that the
kernel reports for that child alone (``os.wait4``, the per-child form of
``resource.getrusage(RUSAGE_CHILDREN)``), compared with the 2 GB that the CLI's
documented limits must fit in.  The documented maxima (``cortex COMMAND --help``):

- ``tuning``: a field of 512 px a side (``--field 32 --ppd 16``), all curves;
- ``sta``: a field of 512 px a side with ``--method sta`` (white and pink noise;
  memory does not grow with ``--n-stimuli``, which is shown in chunks: the
  default 8000 and 2000 are both measured), and 4096 px (``--field 4 --ppd 16``)
  with ``--method whitened``;
- ``train``: the largest ``--batch-size`` (all 1438 training digits);
- ``demo``: its full size (no size options).

Usage::

    python benchmarks/cli_memory.py            # every maximum (about 15 minutes on 2 cores)
    python benchmarks/cli_memory.py --quick    # the --small variants: a smoke test
    python benchmarks/cli_memory.py --only tuning sta-whitened

Exit status 0 if every command succeeded within the limit, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The limit the documented maxima must run within (bytes).
LIMIT = 2 * 1024**3

#: name -> arguments after ``python -m cortex`` (``--out`` is added).
CONFIGS: dict[str, list[str]] = {
    "demo": ["demo"],
    "tuning": ["tuning", "--field", "32", "--ppd", "16"],
    "tuning-complex": ["tuning", "--rf", "complex", "--field", "32", "--ppd", "16"],
    "sta": ["sta", "--field", "32", "--ppd", "16"],
    "sta-2000": ["sta", "--field", "32", "--ppd", "16", "--n-stimuli", "2000"],
    "sta-pink": ["sta", "--noise", "pink", "--field", "32", "--ppd", "16"],
    "sta-whitened": ["sta", "--method", "whitened", "--field", "4", "--ppd", "16"],
    "sta-whitened-pink": [
        "sta",
        "--method",
        "whitened",
        "--noise",
        "pink",
        "--field",
        "4",
        "--ppd",
        "16",
    ],
    "train": ["train", "--batch-size", "1438", "--epochs", "2"],
}


def measure(argv: list[str], out: Path, timeout: float) -> tuple[int, float, int, str]:
    """Run ``python -m cortex ARGV --out OUT``: (exit code, seconds, peak RSS bytes, stderr)."""
    env = {k: v for k, v in os.environ.items() if k not in ("CORTEX_DEBUG",)}
    with tempfile.TemporaryFile() as err, open(os.devnull, "wb") as devnull:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "cortex", *argv, "--out", str(out)],
            stdout=devnull,
            stderr=err,
            env=env,
        )
        try:
            _, status, usage = _wait4(proc, timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            return -1, time.perf_counter() - start, usage.ru_maxrss * 1024, "timeout"
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode("utf-8", "replace").strip()
    return proc.returncode, elapsed, usage.ru_maxrss * 1024, text  # ru_maxrss is in KiB


def _wait4(proc: subprocess.Popen, timeout: float):
    """``os.wait4`` on ``proc`` with a timeout (polling)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            return pid, status, usage
        if time.monotonic() > deadline:
            raise subprocess.TimeoutExpired(proc.args, timeout)
        time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="run the --small variants")
    parser.add_argument("--only", nargs="+", choices=sorted(CONFIGS), help="run these only")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per command")
    options = parser.parse_args()
    names = options.only or list(CONFIGS)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    budget = os.environ.get("CORTEX_MEMORY_BUDGET", "default (half the available memory)")
    print(f"memory budget: {budget}; limit: {LIMIT / 1024**3:.0f} GiB peak RSS per command\n")
    header = f"| {'command':<62} | {'exit':>4} | {'time (s)':>8} | {'peak RSS':>9} | {'2 GiB':>5} |"
    print(header)
    print("|" + "|".join("-" * (len(part)) for part in header.split("|")[1:-1]) + "|")
    ok = True
    with tempfile.TemporaryDirectory(prefix="cortex-cli-memory-") as tmp:
        for name in names:
            argv = list(CONFIGS[name])
            if options.quick:
                argv = _small(argv)
            code, elapsed, peak, err = measure(argv, Path(tmp) / name, options.timeout)
            passed = code == 0 and peak <= LIMIT
            ok &= passed
            command = "cortex " + " ".join(argv)
            print(
                f"| {command:<62} | {code:>4} | {elapsed:>8.1f} | "
                f"{peak / 1024**2:>5.0f} MiB | {'PASS' if passed else 'FAIL':>5} |",
                flush=True,
            )
            if code != 0:
                print(f"|   stderr: {err.splitlines()[-1] if err else ''}")
    return 0 if ok else 1


def _small(argv: list[str]) -> list[str]:
    """The --small variant of a configuration (sizes dropped)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in ("--field", "--ppd", "--batch-size"):
            skip = True
            continue
        out.append(arg)
    return [*out, "--small"]


if __name__ == "__main__":
    raise SystemExit(main())

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
train
    Train a small ConvNet with a Gabor-initialised first layer on
    scikit-learn's 8x8 digits and measure how Gabor-like its first-layer
    filters stay (:func:`cortex.analysis.gabor_likeness`).

Every command but ``demo`` writes PNG figures and a ``summary.json`` into
``--out`` (atomically), prints the paths it wrote and exits with 0; invalid
arguments exit with 2 and a message naming the argument and the value.

Layout: :mod:`~cortex.cli.parser` (the parser and argument types),
:mod:`~cortex.cli.output` (the ``--out`` writer and the report),
:mod:`~cortex.cli.neurons` (the neuron of ``tuning`` and ``sta``) and one
module per command (:mod:`~cortex.cli.demo`, :mod:`~cortex.cli.tuning`,
:mod:`~cortex.cli.sta`, :mod:`~cortex.cli.train`), each with its ``FILES``,
its setup, its run and its figures.  Importing :mod:`cortex.cli` loads none of
them (nor matplotlib): :func:`main` does.
"""

from __future__ import annotations

import sys
import time

__all__ = ["MissingData", "main"]


class MissingData(Exception):
    """An optional data dependency is missing (exit code 2, message on stderr)."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit code: 0 on success, 2 for invalid arguments or a missing optional
        dependency (with a message on stderr), 1 if training diverges.
    """
    from . import demo, sta, train, tuning
    from .output import Writer, finish, prepare_out
    from .parser import build_parser

    commands = {"tuning": tuning, "sta": sta, "train": train}
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        sub = args.subparser
        if args.command == "demo" and args.seed < 0:
            sub.error(f"argument --seed: must be >= 0, got {args.seed}")
        try:  # check and build everything before creating --out
            prepared = None if args.command == "demo" else commands[args.command].setup(args)
            prepare_out(args.out)
        except MissingData as exc:
            print(f"cortex {args.command}: error: {exc}", file=sys.stderr)
            return 2
        except (TypeError, ValueError, Warning) as exc:
            sub.error(str(exc))
    except SystemExit as exc:  # argparse exits for --help and for errors
        return exc.code if isinstance(exc.code, int) else 1
    start = time.perf_counter()
    out = args.out
    if args.command == "demo":
        written = demo.run(out, small=args.small, seed=args.seed)
        for path in written:
            print(path)
        elapsed = time.perf_counter() - start
        print(f"wrote {len(written)} figures to {out} in {elapsed:.1f} s")
        return 0
    writer = Writer(out)
    try:
        results, notes = commands[args.command].run(args, prepared, writer)
    except FloatingPointError as exc:  # training diverged
        if args.command != "train":
            raise
        message = f"cortex train: error: training diverged with --lr {args.lr:g}: {exc}"
        print(message, file=sys.stderr)
        return 1
    finish(writer, results, notes, start)
    return 0

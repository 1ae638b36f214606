"""``cortex validate``: simulated against published values, as one report.

:func:`run` calls :func:`cortex.validate` and writes its report
(:func:`cortex.published.write_report`): a JSON file, a Markdown table and a
figure of pRF size against eccentricity, then ``summary.json``
(:data:`FILES`).  The command succeeds (exit 0) when the report is written;
whether every check passed is in the report, the summary and the last line
printed.
"""

from __future__ import annotations

import argparse

from .output import Writer, arguments, collect_warnings

__all__ = ["FILES", "run"]

#: Files written by ``validate``.
FILES = {
    "validate.json": "every check: source, published, simulated, tolerance, verdict",
    "validate.md": "the same as a Markdown table",
    "validate_prf.png": "pRF size vs eccentricity per area, simulated vs published",
    "summary.json": "number of checks passed, the failing ones, the arguments",
}


def run(args: argparse.Namespace, prepared: object, writer: Writer) -> tuple[list[str], list[str]]:
    """Run the checks and write the report.

    Parameters
    ----------
    args : argparse.Namespace
        ``small`` (smaller experiments, about 10 s instead of about a minute) and ``seed``.
    prepared : object
        Unused.
    writer : cortex.cli.output.Writer
        Writes the files into ``--out``.

    Returns
    -------
    results : list of str
        One line per check, then the count passed.
    notes : list of str
        Warnings raised during the run.
    """
    from ..published import validate, write_report

    with collect_warnings() as notes:
        rows, curves = validate(small=args.small, seed=args.seed)
    writer.written.extend(write_report(rows, curves, writer.out))
    failing = [row.name for row in rows if not row.passed]
    writer.json(
        {
            "command": "validate",
            "arguments": arguments(args),
            "n_checks": len(rows),
            "n_passed": len(rows) - len(failing),
            "failing": failing,
            "warnings": notes,
        }
    )
    results = [
        f"{row.verdict:4}  {row.name}: {row.simulated:.4g} vs {row.published:.4g} "
        f"({row.tolerance_text()})"
        for row in rows
    ]
    results.append(f"{len(rows) - len(failing)} of {len(rows)} checks pass")
    return results, notes

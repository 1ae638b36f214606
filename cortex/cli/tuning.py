"""``cortex tuning``: tuning curves of one simulated V1 neuron, measured with gratings.

:func:`setup` builds the neuron (:mod:`cortex.cli.neurons`); :func:`run` finds
its preferred grating, measures a curve per ``--parameters`` entry with
:func:`cortex.analysis.tuning_curve` (the contrast curve through a
Naka-Rushton stage whose c50 is ``--c50``), draws one figure per curve and
writes summary.json (:data:`FILES`).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

from .neurons import describe_neuron, neuron_on_field
from .output import Writer, arguments, collect_warnings, fmt, pyplot

__all__ = ["FILES", "PARAMETERS", "files", "run", "setup"]

#: Files written by ``tuning`` (one figure per measured parameter).
FILES = {
    "tuning_orientation.png": "orientation tuning, line and polar plots",
    "tuning_spatial_frequency.png": "spatial-frequency tuning (log axis)",
    "tuning_contrast.png": "contrast response and its Naka-Rushton fit",
    "tuning_phase.png": "response vs the phase of a static grating",
    "summary.json": "each curve's .summary() (preferred, widths, c50)",
}

#: The parameters ``--parameters`` may list (all by default).
PARAMETERS = ("orientation", "spatial_frequency", "contrast", "phase")


def setup(args: argparse.Namespace) -> dict[str, Any]:
    """Build the neuron; record the effective ``--field`` in ``args``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments of ``tuning``.

    Returns
    -------
    dict
        ``rf``, ``field`` and ``population``.

    Raises
    ------
    ValueError
        If the arguments do not make a well-sampled neuron
        (:func:`cortex.cli.neurons.neuron_on_field`).
    """
    rf, field, population = neuron_on_field(args, args.ppd)
    args.field = field.width  # the effective settings go to summary.json
    return {"rf": rf, "field": field, "population": population}


def files(args: argparse.Namespace) -> list[str]:
    """The names of the files a complete run writes: one figure per parameter, then summary.json.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments of ``tuning`` (``parameters``).

    Returns
    -------
    list of str
        The file names, in the order they are written.
    """
    return [f"tuning_{parameter}.png" for parameter in args.parameters] + ["summary.json"]


def _values(parameter: str, small: bool, sf: float, ppd: float) -> Any:
    """The values of ``parameter`` a curve is measured at."""
    import numpy as np

    if parameter == "orientation":
        return np.arange(0.0, 180.0, 15.0 if small else 5.0)
    if parameter == "phase":
        return np.arange(0.0, 360.0, 30.0 if small else 15.0)
    if parameter == "contrast":
        return np.geomspace(0.01, 1.0, 8 if small else 15)
    high = min(8.0 * sf, 0.45 * ppd)  # up to 0.9 Nyquist
    return np.geomspace(sf / 8.0, high, 13 if small else 31)


def run(
    args: argparse.Namespace, prepared: dict[str, Any], writer: Writer
) -> tuple[list[str], list[str]]:
    """Measure the tuning curves and write their figures and summary.json.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments of ``tuning``.
    prepared : dict
        What :func:`setup` returned.
    writer : cortex.cli.output.Writer
        Writes into ``--out``.

    Returns
    -------
    results : list of str
        One line summarising the curves.
    notes : list of str
        The warnings raised on the way.
    """
    from .. import NakaRushton
    from ..analysis import preferred_grating, tuning_curve
    from ..plotting import plot_tuning_curve

    plt = pyplot()
    rf, field, population = prepared["rf"], prepared["field"], prepared["population"]
    ppd = field.pixels_per_degree
    summary: dict[str, Any] = {
        "command": "tuning",
        "arguments": arguments(args),
        "neuron": describe_neuron(args.rf, rf, field),
    }
    curves: dict[str, Any] = {}
    results: list[str] = []
    with collect_warnings() as notes:
        best = preferred_grating(population)
        summary["preferred_grating"] = best
        grating = {
            "orientation": best["orientation"],
            "spatial_frequency": best["spatial_frequency"],
        }
        for parameter in args.parameters:
            values = _values(parameter, args.small, best["spatial_frequency"], ppd)
            fit = None
            if parameter == "contrast":
                # The Naka-Rushton stage sees the neuron's drive, which grows as contrast
                # (contrast**2 for an energy model); its input c50 is the drive at contrast
                # --c50 (peak over phase), so the fitted c50 is --c50 in contrast units.
                linear = tuning_curve(
                    population,
                    "contrast",
                    [0.0, 1.0],
                    nonlinearity=None,
                    statistic="max",
                    **grating,
                )
                drive = float(linear.responses[1, 0])
                power = 2 if rf.is_energy else 1
                nonlinearity = NakaRushton(c50=drive * args.c50**power, exponent=2.0)
                curve = tuning_curve(
                    population,
                    "contrast",
                    values,
                    nonlinearity=nonlinearity,
                    statistic="max",
                    **grating,
                )
                fit = curve.contrast_fit()[0]
                extra = {
                    "naka_rushton": {
                        "c50_contrast": args.c50,
                        "c50_input": nonlinearity.c50,
                        "exponent": nonlinearity.exponent,
                        "r_max": nonlinearity.r_max,
                        "drive_at_full_contrast": drive,
                        "response_power_of_contrast": power,
                    }
                }
            else:
                curve = tuning_curve(population, parameter, values, **grating)
                extra = {}
            curves[parameter] = {**curve.summary(), **extra}
            writer.figure(_figure(plt, plot_tuning_curve, curve, fit), f"tuning_{parameter}.png")
        results.append(_result_line(curves, best))
    summary["curves"] = curves
    summary["warnings"] = notes
    writer.json(summary)
    return results, notes


def _result_line(curves: dict[str, Any], best: dict[str, float]) -> str:
    """One line: the preferred grating and each measured curve's summary."""
    parts = [
        f"preferred grating: {best['orientation']:.1f} deg, "
        f"{best['spatial_frequency']:.3g} cycles/deg"
    ]
    if "orientation" in curves:
        c = curves["orientation"]
        parts.append(
            f"orientation: preferred {fmt(c['preferred'][0], '.1f')} deg, "
            f"HWHH {fmt(c['hwhh_deg'][0], '.1f')} deg, OSI {fmt(c['osi'][0], '.2f')}"
        )
    if "spatial_frequency" in curves:
        c = curves["spatial_frequency"]
        parts.append(
            f"spatial frequency: preferred {fmt(c['preferred'][0])} cycles/deg, "
            f"bandwidth {fmt(c['bandwidth_octaves'][0], '.2f')} octaves"
        )
    if "contrast" in curves:
        parts.append(f"contrast: fitted c50 {fmt(curves['contrast']['c50'][0])}")
    return "; ".join(parts)


def _figure(plt: Any, plot_tuning_curve: Callable, curve: Any, fit: Any) -> Any:
    """The figure of one curve (orientation: also polar; contrast: with its fit)."""
    import numpy as np

    parameter = curve.parameter
    if parameter == "orientation":
        fig = plt.figure(figsize=(10.5, 4.4), layout="constrained")
        ax = fig.add_subplot(1, 2, 1)
        polar = fig.add_subplot(1, 2, 2, projection="polar")
        plot_tuning_curve(curve, ax=polar, polar=True)
    else:
        fig, ax = plt.subplots(figsize=(6.0, 4.4), layout="constrained")
    plot_tuning_curve(curve, ax=ax)
    if ax.get_xscale() == "log":
        _plain_log_ticks(ax, curve.values)
    summary = curve.summary()
    if parameter == "orientation":
        title = (
            f"preferred {fmt(summary['preferred'][0], '.1f')} deg, "
            f"HWHH {fmt(summary['hwhh_deg'][0], '.1f')} deg, OSI {fmt(summary['osi'][0], '.2f')}"
        )
    elif parameter == "spatial_frequency":
        title = (
            f"preferred {fmt(summary['preferred'][0])} cycles/deg, "
            f"bandwidth {fmt(summary['bandwidth_octaves'][0], '.2f')} octaves"
        )
    elif parameter == "phase":
        title = f"static grating, preferred phase {fmt(summary['preferred'][0], '.0f')} deg"
    else:
        title = "contrast response (peak over phase)"
        if fit is not None:
            c = np.geomspace(curve.values.min(), curve.values.max(), 200)
            ax.plot(c, fit(c), "k--", lw=1, label=f"Naka-Rushton fit, c50 = {fit.c50:.3g}")
            ax.legend(fontsize="small")
            title += f": c50 {fit.c50:.3g}, n {fit.exponent:.2g}, R^2 {fit.r2:.3f}"
    ax.set_title(title, fontsize="medium")
    fig.suptitle(f"{parameter.replace('_', ' ')} tuning")
    return fig


def _plain_log_ticks(ax: Any, values: Any) -> None:
    """Label a log x axis at 1-2-5 steps as plain numbers (no crowded minor labels)."""
    from matplotlib.ticker import FormatStrFormatter, NullFormatter

    lo, hi = float(min(values)), float(max(values))
    ticks = [
        m * 10.0**e
        for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
        for m in (1, 2, 5)
        if lo <= m * 10.0**e <= hi
    ]
    ax.set_xticks(ticks)
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(NullFormatter())

"""``cortex sta``: map one simulated neuron's RF by reverse correlation with noise.

:func:`setup` checks the arguments and builds the neuron
(:mod:`cortex.cli.neurons`); :func:`run` estimates its RF from noise images
(:func:`cortex.analysis.rf_mapping_convergence`, STA or whitened), correlates
the estimate with the true linear RF at log-spaced numbers of stimuli, fits it
(Gabor or Gaussian), draws the estimate and the convergence and writes
summary.json (:data:`FILES`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from .neurons import describe_neuron, neuron_on_field
from .output import Writer, arguments, collect_warnings, fmt, pyplot

__all__ = ["FILES", "MAX_WHITENED_PIXELS", "run", "setup"]

#: Largest field (pixels) of ``--method whitened``, which solves a (pixels x pixels) system.
MAX_WHITENED_PIXELS = 4096

#: Files written by ``sta``.
FILES = {
    "sta_estimate.png": "the estimate, its Gabor fit and the true RF",
    "sta_convergence.png": "correlation with the true RF vs stimuli",
    "summary.json": "counts, correlations, fit, half-max regions",
}


def setup(args: argparse.Namespace) -> dict[str, Any]:
    """Check the arguments and build the neuron; record the effective settings in ``args``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments of ``sta``; the defaults of ``ppd`` (16, 12 with
        ``small``), ``n_stimuli`` (8000, 2000 with ``small``) and ``field`` are
        filled in.

    Returns
    -------
    dict
        ``rf``, ``field``, ``population`` and ``n_stimuli``.

    Raises
    ------
    ValueError
        If ``--rf complex`` (no linear RF), the neuron is not well sampled
        (:func:`cortex.cli.neurons.neuron_on_field`), or ``--method whitened``
        on a field of more than :data:`MAX_WHITENED_PIXELS` pixels.
    """
    if args.rf == "complex":
        raise ValueError(
            "argument --rf: 'complex' has no linear RF to map (an energy model responds "
            "to both contrast polarities, so its STA is zero); choose 'gabor' or 'dog'"
        )
    ppd = args.ppd if args.ppd is not None else (12.0 if args.small else 16.0)
    n_stimuli = args.n_stimuli if args.n_stimuli is not None else (2000 if args.small else 8000)
    rf, field, population = neuron_on_field(args, ppd)
    args.field, args.ppd, args.n_stimuli = field.width, ppd, n_stimuli  # for summary.json
    pixels = field.shape[0] * field.shape[1]
    if args.method == "whitened" and pixels > MAX_WHITENED_PIXELS:
        raise ValueError(
            f"argument --method: 'whitened' solves a (pixels x pixels) system; the field is "
            f"{field.shape[0]}x{field.shape[1]} = {pixels} pixels, more than "
            f"{MAX_WHITENED_PIXELS}: use a smaller --field, a lower --ppd or --method sta"
        )
    return {"rf": rf, "field": field, "population": population, "n_stimuli": n_stimuli}


def _sample_counts(n: int, small: bool) -> list[int]:
    """Log-spaced numbers of stimuli from min(n, 50) to n, no repeats."""
    import numpy as np

    low = min(n, 50)
    counts = np.unique(np.round(np.geomspace(low, n, 6 if small else 10)).astype(int))
    return [int(c) for c in counts]


def run(
    args: argparse.Namespace, prepared: dict[str, Any], writer: Writer
) -> tuple[list[str], list[str]]:
    """Map the RF and write the figures and summary.json.

    Parameters
    ----------
    args : argparse.Namespace
        The arguments of ``sta``, completed by :func:`setup`.
    prepared : dict
        What :func:`setup` returned.
    writer : cortex.cli.output.Writer
        Writes into ``--out``.

    Returns
    -------
    results : list of str
        One line: the final correlation and the fit's R^2.
    notes : list of str
        The warnings raised on the way (e.g. a neuron that never responded).
    """
    import numpy as np

    from ..analysis import (
        fit_gabor,
        fit_gaussian,
        half_max_region,
        linear_receptive_field,
        rf_mapping_convergence,
    )
    from ..plotting import plot_mapping_convergence, plot_rf_map

    plt = pyplot()
    rf, field, population = prepared["rf"], prepared["field"], prepared["population"]
    ppd = field.pixels_per_degree
    n_stimuli = prepared["n_stimuli"]
    with collect_warnings() as notes:
        counts, corr, estimate = rf_mapping_convergence(
            population,
            _sample_counts(n_stimuli, args.small),
            method=args.method,
            noise=args.noise,
            alpha=args.alpha,
            seed=args.seed,
        )
        true_map = linear_receptive_field(population)[0]
        est_map = estimate.maps[0]
        mapped = bool(np.all(np.isfinite(est_map)) and np.any(est_map))
        fit: Any = None
        fit_info: dict[str, Any] | None = None
        region = None
        if mapped:
            region = half_max_region(est_map, ppd)
            if args.rf == "gabor":
                fit = fit_gabor(est_map, ppd)
                fit_info = {"model": "gabor", **asdict(fit)}
            else:
                fit = fit_gaussian(est_map, ppd)
                fit_info = {"model": "gaussian", **asdict(fit), "size": fit.size}
        true_region = half_max_region(true_map, ppd)
        writer.figure(
            _estimate_figure(
                plt, plot_rf_map, args, field, est_map, true_map, fit, region, corr[-1, 0]
            ),
            "sta_estimate.png",
        )
        fig, ax = plt.subplots(figsize=(6.0, 4.4), layout="constrained")
        if np.any(np.isfinite(corr)):
            plot_mapping_convergence(counts, corr[:, 0], ax=ax)
        else:
            _no_estimate(ax)
        ax.set_title(
            f"{args.method} estimate, {args.noise} noise: r = {fmt(corr[-1, 0], '.3f')} "
            f"after {counts[-1]} images",
            fontsize="medium",
        )
        writer.figure(fig, "sta_convergence.png")
    final = float(corr[-1, 0])
    summary = {
        "command": "sta",
        "arguments": arguments(args),
        "neuron": describe_neuron(args.rf, rf, field),
        "method": args.method,
        "noise": args.noise,
        "alpha": args.alpha,
        "n_stimuli": n_stimuli,
        "counts": counts,
        "correlation": corr[:, 0],
        "final_correlation": final,
        "fit": fit_info,
        "half_max_region": {
            "estimate": None if region is None else asdict(region),
            "true": asdict(true_region),
        },
        "warnings": notes,
    }
    writer.json(summary)
    line = f"{args.method} estimate from {counts[-1]} {args.noise}-noise images: r = {final:.3f}"
    if fit_info is not None:
        line += f", {fit_info['model']} fit R^2 = {fit.r2:.3f}"
    return [line], notes


def _no_estimate(ax: Any) -> None:
    """Say in ``ax`` that there is no estimate to show."""
    ax.text(0.5, 0.5, "the neuron never responded:\nno estimate", ha="center", va="center")
    ax.set_axis_off()


def _estimate_figure(
    plt: Any,
    plot_rf_map: Callable,
    args: argparse.Namespace,
    field: Any,
    est_map: Any,
    true_map: Any,
    fit: Any,
    region: Any,
    final: float,
) -> Any:
    """The estimate (with its half-max region), its Gabor fit (if any) and the true RF."""
    import numpy as np
    from matplotlib.patches import Circle

    show_fit = args.rf == "gabor" and fit is not None
    n = 3 if show_fit else 2
    fig, axes = plt.subplots(1, n, figsize=(5.0 * n, 4.4), layout="constrained")
    ax = axes[0]
    if np.all(np.isfinite(est_map)):
        plot_rf_map(est_map, field, ax=ax)
        if region is not None:
            ax.add_patch(
                Circle(region.center, region.diameter / 2, fill=False, ls="--", lw=1, ec="k")
            )
    else:
        _no_estimate(ax)
    ax.set_title(f"{args.method} estimate (r = {fmt(final, '.3f')})", fontsize="medium")
    if show_fit:
        plot_rf_map(fit.evaluate(field.shape, field.pixels_per_degree), field, ax=axes[1])
        axes[1].set_title(
            f"Gabor fit: {fit.orientation:.1f} deg, {fit.spatial_frequency:.3g} c/deg, "
            f"R^2 {fit.r2:.3f}",
            fontsize="medium",
        )
    plot_rf_map(true_map, field, ax=axes[-1])
    axes[-1].set_title(f"true linear RF ({args.rf})", fontsize="medium")
    fig.suptitle(f"reverse correlation with {args.noise} noise (dashed: half-max region)")
    return fig

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
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import textwrap
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ._io import atomic_write

__all__ = ["main"]

#: Files written by ``demo``, with what they show.
DEMO_FILES = {
    "rf_kernels.png": "RF kernels of a DoG ON, a DoG OFF, a Gabor and a complex cell",
    "mosaic_tiling.png": "half-max RF contours of the DoG and Gabor mosaics tiling the field",
    "coverage.png": "how many RFs cover each point, with the coverage factor",
    "responses_natural_image.png": "a natural image and the ON and OFF population responses",
}

#: Files written by ``tuning`` (one figure per measured parameter).
TUNING_FILES = {
    "tuning_orientation.png": "orientation tuning, line and polar plots",
    "tuning_spatial_frequency.png": "spatial-frequency tuning (log axis)",
    "tuning_contrast.png": "contrast response and its Naka-Rushton fit",
    "tuning_phase.png": "response vs the phase of a static grating",
    "summary.json": "each curve's .summary() (preferred, widths, c50)",
}

#: Files written by ``sta``.
STA_FILES = {
    "sta_estimate.png": "the estimate, its Gabor fit and the true RF",
    "sta_convergence.png": "correlation with the true RF vs stimuli",
    "summary.json": "counts, correlations, fit, half-max regions",
}

#: Files written by ``train``.
TRAIN_FILES = {
    "model.npz": "the trained network (cortex.nn.load_model)",
    "learning_curve.png": "loss and accuracy per epoch",
    "filters.png": "first-layer filters, trained and random",
    "summary.json": "history, held-out accuracy, Gabor-likeness",
}

RF_CHOICES = ("gabor", "dog", "complex")
TUNING_PARAMETERS = ("orientation", "spatial_frequency", "contrast", "phase")
#: Largest field side in pixels (one neuron needs no more; bigger fields only cost memory).
MAX_FIELD_PIXELS = 512
#: ``sigma_center * f_peak`` of a balanced DoG with ``sigma_surround = 3 sigma_center``.
_DOG_PEAK = math.sqrt(math.log(9.0) / (16.0 * math.pi**2))
#: Kernels cover 3 sigma of the RF (the Population default).
_N_SIGMA = 3.0
#: Pixels per degree of the digits in ``train`` (an 8-pixel digit spans 1 degree).
_DIGIT_PPD = 8.0


# -- argument types ------------------------------------------------------------------
def _number(
    *,
    integer: bool = False,
    minimum: float | None = None,
    strict: bool = False,
    maximum: float | None = None,
) -> Callable[[str], Any]:
    """An argparse ``type`` for a finite number within bounds, with a clear message."""
    if integer:
        what = "an integer"
    else:
        what = "a finite number"
    bounds = []
    if minimum is not None:
        bounds.append(f"{'>' if strict else '>='} {minimum:g}")
    if maximum is not None:
        bounds.append(f"<= {maximum:g}")
    wanted = what + (" " + " and ".join(bounds) if bounds else "")

    def convert(text: str) -> int | float:
        try:
            value: int | float = int(text) if integer else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {wanted}, got {text!r}") from None
        ok = math.isfinite(value)
        if ok and minimum is not None:
            ok = value > minimum if strict else value >= minimum
        if ok and maximum is not None:
            ok = value <= maximum
        if not ok:
            raise argparse.ArgumentTypeError(f"must be {wanted}, got {text!r}")
        return value

    convert.__name__ = "integer" if integer else "number"
    return convert


_positive = _number(minimum=0, strict=True)
_finite = _number()
_count = _number(integer=True, minimum=1)
_seed = _number(integer=True, minimum=0)


def _parameter_list(text: str) -> tuple[str, ...]:
    """``--parameters``: comma-separated tuning parameters, each known, no repeats."""
    names = [name.strip() for name in text.split(",")]
    choices = ", ".join(TUNING_PARAMETERS)
    if not any(names):
        raise argparse.ArgumentTypeError(f"must name at least one of {choices}, got {text!r}")
    out: list[str] = []
    for name in names:
        if name not in TUNING_PARAMETERS:
            raise argparse.ArgumentTypeError(
                f"unknown parameter {name!r} in {text!r}; choose from {choices} (comma-separated)"
            )
        if name not in out:
            out.append(name)
    return tuple(out)


# -- parser --------------------------------------------------------------------------
def _file_list(files: dict[str, str]) -> str:
    return "\n".join(f"  {name:<29} {what}" for name, what in files.items())


def _description(text: str, files: dict[str, str]) -> str:
    return textwrap.fill(text, width=78) + "\n\nFiles written into --out:\n" + _file_list(files)


def _add_output_options(sub: argparse.ArgumentParser, small: str, seed: str) -> None:
    sub.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="directory to write the files into (created if missing)",
    )
    sub.add_argument("--small", action="store_true", help=small)
    sub.add_argument("--seed", type=_seed, default=0, metavar="INT", help=seed)


def _add_neuron_options(sub: argparse.ArgumentParser, rf_help: str) -> None:
    sub.add_argument("--rf", choices=RF_CHOICES, default="gabor", help=rf_help)
    sub.add_argument(
        "--sf",
        type=_positive,
        default=2.0,
        metavar="CPD",
        help="preferred spatial frequency, cycles/deg, below --ppd/2 (default: 2.0)",
    )
    sub.add_argument(
        "--orientation",
        type=_finite,
        default=30.0,
        metavar="DEG",
        help="preferred orientation, deg (0 = vertical bars; ignored by dog) (default: 30.0)",
    )
    sub.add_argument(
        "--field",
        type=_positive,
        default=None,
        metavar="DEG",
        help="side of the square visual field, deg (default: just large enough to hold "
        "the RF kernel, 3 sigma each side, with an odd number of pixels)",
    )


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cortex",
        description=(
            "Simulate visual neurons whose receptive fields tile the visual field. "
            "Run `cortex demo --out DIR` to write example figures (PNG) into DIR; "
            "`cortex COMMAND --help` describes each command."
        ),
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"cortex {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    files = "\n".join(f"  {name:<28} {what}" for name, what in DEMO_FILES.items())
    demo = sub.add_parser(
        "demo",
        help="write example figures (RF kernels, mosaic tiling, coverage, responses) as PNGs",
        description=textwrap.fill(
            "Build an ON- and an OFF-centre difference-of-Gaussians population on a "
            "hexagonal mosaic and a V1-like population of Gabors at 4 orientations on a "
            "jittered mosaic, then write these PNG files into --out (and print their paths):",
            width=78,
        )
        + "\n\n"
        + files,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="directory to write the PNG files into (created if missing)",
    )
    demo.add_argument(
        "--small",
        action="store_true",
        help="use a small, fast field (4 x 4 deg at 8 px/deg instead of 8 x 8 deg at 16 px/deg)",
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the jittered V1 mosaic (default: 0)",
    )
    demo.set_defaults(subparser=demo)

    tuning = sub.add_parser(
        "tuning",
        help="tuning curves (orientation, spatial frequency, contrast, phase) of a V1 neuron",
        description=_description(
            "Put one simulated V1 neuron at the centre of a visual field, find the grating "
            "that drives it most, then measure its tuning curves with drifting gratings "
            "(responses rectified; simple cells summarised by F1, complex cells by F0). "
            "The contrast curve passes the response through a Naka-Rushton nonlinearity "
            "whose semi-saturation contrast is --c50 and uses the peak response over the "
            "grating's phase, so the fitted c50 can be compared with --c50.",
            TUNING_FILES,
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_neuron_options(
        tuning,
        "RF model: gabor (simple cell), dog (centre-surround, untuned for orientation, "
        "peaking at --sf) or complex (energy of a quadrature Gabor pair) (default: gabor)",
    )
    tuning.add_argument(
        "--ppd",
        type=_positive,
        default=16.0,
        metavar="PX",
        help="pixels per degree (default: 16)",
    )
    tuning.add_argument(
        "--parameters",
        type=_parameter_list,
        default=TUNING_PARAMETERS,
        metavar="LIST",
        help="comma-separated parameters to vary, from "
        f"{','.join(TUNING_PARAMETERS)} (default: all)",
    )
    tuning.add_argument(
        "--c50",
        type=_number(minimum=0, strict=True, maximum=1),
        default=0.2,
        metavar="C",
        help="semi-saturation contrast of the Naka-Rushton output, in (0, 1] (default: 0.2)",
    )
    _add_output_options(
        tuning,
        "fewer values per curve (e.g. orientation every 15 instead of 5 deg)",
        "recorded in summary.json; the simulation is deterministic (default: 0)",
    )
    tuning.set_defaults(subparser=tuning)

    sta = sub.add_parser(
        "sta",
        help="map a neuron's RF by reverse correlation with noise (STA / whitened STA)",
        description=_description(
            "Show noise images to one simulated neuron at the centre of a visual field, "
            "estimate its receptive field from the responses (the spike-triggered average, "
            "or the whitened, ridge-regularised estimate) and correlate the estimate with "
            "the true linear RF at log-spaced numbers of stimuli. The estimate is fitted "
            "with a Gabor (--rf gabor) or a Gaussian (--rf dog).",
            STA_FILES,
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_neuron_options(
        sta,
        "RF model: gabor or dog; complex is refused (an energy model has no linear RF: "
        "its STA is zero) (default: gabor)",
    )
    sta.add_argument(
        "--ppd",
        type=_positive,
        default=None,
        metavar="PX",
        help="pixels per degree (default: 16, 12 with --small)",
    )
    sta.add_argument(
        "--n-stimuli",
        type=_number(integer=True, minimum=2),
        default=None,
        metavar="N",
        help="number of noise images, >= 2 (default: 8000, 2000 with --small)",
    )
    sta.add_argument(
        "--method",
        choices=("sta", "whitened"),
        default="sta",
        help="spike-triggered average, or the whitened (ridge regression) estimate, "
        "limited to fields of 4096 pixels (default: sta)",
    )
    sta.add_argument(
        "--noise",
        choices=("white", "pink"),
        default="white",
        help="white noise, or pink (1/f amplitude, like natural images) (default: white)",
    )
    sta.add_argument(
        "--alpha",
        type=_number(minimum=0),
        default=1.0,
        metavar="A",
        help="ridge strength of --method whitened, >= 0, relative to the mean stimulus "
        "variance (default: 1.0)",
    )
    _add_output_options(
        sta,
        "fewer stimuli and pixels (2000 noise images at 12 px/deg)",
        "seed of the noise stimuli (default: 0)",
    )
    sta.set_defaults(subparser=sta)

    train = sub.add_parser(
        "train",
        help="train a Gabor-initialised ConvNet on 8x8 digits; measure its filters",
        description=_description(
            "Train a small ConvNet on scikit-learn's 1,797 8x8 digits (80% to train, 20% "
            "held out; needs the extra cortex[data]): a first layer of 8 Gabor RFs (4 "
            "orientations x 2 phases, 2 cycles/deg with the digit spanning 1 deg, 5x5 "
            "pixels, trainable), ReLU, 2x2 max-pooling, a 3x3 convolution to 16 maps, "
            "ReLU, 2x2 max-pooling and a dense read-out, with Adam on the cross-entropy. "
            "Then measure how Gabor-like the first-layer filters are (the fraction whose "
            "Gabor fit has R^2 >= 0.8), after training and at a random initialisation.",
            TRAIN_FILES,
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument(
        "--epochs",
        type=_count,
        default=None,
        metavar="N",
        help="passes over the training digits, >= 1 (default: 10, 2 with --small)",
    )
    train.add_argument(
        "--batch-size",
        type=_count,
        default=32,
        metavar="N",
        help="digits per update, >= 1 (default: 32)",
    )
    train.add_argument(
        "--lr",
        type=_positive,
        default=0.01,
        metavar="RATE",
        help="Adam learning rate, > 0 (default: 0.01)",
    )
    _add_output_options(
        train,
        "train on 400 digits only (held-out set unchanged)",
        "seed of the split, the initialisation and the shuffling (default: 0)",
    )
    train.set_defaults(subparser=train)
    return parser


# -- helpers -------------------------------------------------------------------------
def _prepare_out(out: Path) -> None:
    """Create ``out`` and check that it is a writable directory; ValueError otherwise."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"argument --out: {str(out)!r} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"argument --out: cannot create directory {str(out)!r}: {exc}") from None
    try:
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise ValueError(f"argument --out: directory {str(out)!r} is not writable: {exc}") from None


def _save(fig: object, path: Path) -> None:
    """Save ``fig`` as a PNG atomically: a temporary file in the same directory, then rename."""
    atomic_write(path, lambda handle: fig.savefig(handle, format="png", dpi=120))


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


class _Writer:
    """Writes figures and JSON into one directory, atomically, and remembers the paths."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.written: list[Path] = []

    def figure(self, fig: object, name: str) -> None:
        path = self.out / name
        try:
            _save(fig, path)
        finally:
            _pyplot().close(fig)
        self.written.append(path)

    def json(self, data: dict[str, Any], name: str = "summary.json") -> None:
        text = json.dumps(_jsonable(data), indent=2, allow_nan=False) + "\n"
        path = self.out / name
        atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))
        self.written.append(path)


def _jsonable(value: object) -> object:
    """Plain JSON types: numpy scalars and arrays to Python, NaN and inf to None."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
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
def _collect_warnings() -> Iterator[list[str]]:
    """Record warnings (reported on stderr and in summary.json) instead of emitting them."""
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield messages
    for item in caught:
        text = f"{item.category.__name__}: {item.message}"
        if text not in messages:
            messages.append(text)


def _neuron(rf: str, sf: float, orientation: float) -> Any:
    """The RF model named by ``--rf`` with preferred frequency ``sf`` and ``orientation``."""
    from . import ComplexCell, DifferenceOfGaussians, Gabor

    if rf == "gabor":
        return Gabor(sf, orientation)
    if rf == "complex":
        return ComplexCell(sf, orientation)
    if rf == "dog":
        sigma = _DOG_PEAK / sf  # a balanced DoG (surround 3x centre) peaks at sf
        return DifferenceOfGaussians(sigma, 3.0 * sigma)
    raise ValueError(f"argument --rf: must be one of {RF_CHOICES}, got {rf!r}")


def _neuron_on_field(args: argparse.Namespace, ppd: float) -> tuple[Any, Any, Any]:
    """Build (rf, field, population) for one neuron at the field's centre; ValueError if bad."""
    from . import Mosaic, Population, VisualField

    nyquist = ppd / 2
    if args.sf >= nyquist:
        raise ValueError(
            f"argument --sf: must be below the Nyquist frequency --ppd/2 = {nyquist:g} "
            f"cycles/deg, got {args.sf:g}"
        )
    if args.rf == "dog" and _DOG_PEAK / args.sf < 0.5 / ppd:
        raise ValueError(
            f"argument --sf: a DoG peaking at {args.sf:g} cycles/deg has a centre sigma of "
            f"{_DOG_PEAK / args.sf:.3g} deg, under half a pixel at --ppd {ppd:g}; use "
            f"--sf <= {2 * _DOG_PEAK * ppd:.3g} or a higher --ppd"
        )
    rf = _neuron(args.rf, args.sf, args.orientation)
    side = 2 * rf.kernel_radius(ppd, _N_SIGMA) + 1  # kernel side, pixels
    if args.field is None:
        n_px = side + 2 * max(1, math.ceil(0.05 * side))
        where = f"the RF kernel needs {side} px at --ppd {ppd:g}"
        if n_px > MAX_FIELD_PIXELS:
            raise ValueError(
                f"argument --sf: {where}, more than {MAX_FIELD_PIXELS} px a side; use a "
                "higher --sf or a lower --ppd"
            )
        width = n_px / ppd
    else:
        width = args.field
        n_px = int(round(width * ppd))
        if n_px > MAX_FIELD_PIXELS:
            raise ValueError(
                f"argument --field: {width:g} deg at --ppd {ppd:g} is {n_px} px a side, more "
                f"than {MAX_FIELD_PIXELS}; use a smaller --field or a lower --ppd"
            )
        if n_px < side:
            raise ValueError(
                f"argument --field: {width:g} deg is {n_px} px at --ppd {ppd:g}, smaller than "
                f"the RF kernel ({side} px, 3 sigma each side); use --field >= "
                f"{side / ppd:.3g} or omit it"
            )
    field = VisualField(width, width, pixels_per_degree=ppd)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. a badly sampled kernel: refuse, do not warn
        population = Population(rf, Mosaic(field, [[0.0, 0.0]]))
        population.groups  # noqa: B018 - build the kernels now, so their checks run here
    return rf, field, population


def _describe_neuron(rf_name: str, rf: object, field: Any) -> dict[str, Any]:
    return {
        "rf": rf_name,
        "model": {"type": type(rf).__name__, **asdict(rf)},
        "field_deg": [field.width, field.height],
        "field_px": list(field.shape),
        "pixels_per_degree": field.pixels_per_degree,
        "center_deg": [0.0, 0.0],
    }


def _finish(writer: _Writer, results: list[str], notes: list[str], start: float) -> None:
    for path in writer.written:
        print(path)
    for line in results:
        print(line)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    elapsed = time.perf_counter() - start
    print(f"wrote {len(writer.written)} files to {writer.out} in {elapsed:.1f} s")


def _fmt(value: object, spec: str = ".3g") -> str:
    return "n/a" if value is None else format(value, spec)


# -- demo ----------------------------------------------------------------------------
def _demo(out: Path, *, small: bool, seed: int) -> list[Path]:
    """Build the demo populations and write the figures; return the paths written."""
    plt = _pyplot()

    from . import (
        ComplexCell,
        DifferenceOfGaussians,
        Gabor,
        Mosaic,
        Population,
        VisualField,
        contour_radius,
        responses,
    )
    from .plotting import plot_coverage, plot_image, plot_kernel, plot_mosaic, plot_response_map
    from .stimuli import natural_image

    if small:
        field = VisualField(4.0, 4.0, pixels_per_degree=8)
    else:
        field = VisualField(8.0, 8.0, pixels_per_degree=16)
    ppd = field.pixels_per_degree
    half_max = contour_radius("half-max")

    # Retina: ON and OFF centre-surround RFs on a hexagonal lattice whose spacing lets
    # the half-max contours tile (hexagonal covering radius spacing / sqrt(3)).
    dog_on = DifferenceOfGaussians(sigma_center=0.2, sigma_surround=0.6, polarity="on")
    dog_off = DifferenceOfGaussians(sigma_center=0.2, sigma_surround=0.6, polarity="off")
    spacing = 0.95 * math.sqrt(3.0) * half_max * dog_on.sigma_center
    hexagonal = Mosaic.from_lattice(field, spacing, "hexagonal")
    on = Population(dog_on, hexagonal)
    off = Population(dog_off, hexagonal)

    # V1: Gabors at 4 orientations on a jittered lattice, elongated along the bars.
    jitter = 0.2
    gabors = [
        Gabor(1.5, orientation=theta, sigma_x=0.3, sigma_y=0.45) for theta in (0, 45, 90, 135)
    ]
    reach = half_max * min(gabors[0].envelope[:2])  # smallest half-max semi-axis
    v1_spacing = 0.95 * reach / (1.0 / math.sqrt(3.0) + jitter)
    jittered = Mosaic.from_lattice(field, v1_spacing, "jittered", jitter=jitter, seed=seed)
    v1 = Population(gabors, jittered)

    out.mkdir(parents=True, exist_ok=True)
    written = []

    def save(fig: object, name: str) -> None:
        path = out / name
        _save(fig, path)
        plt.close(fig)
        written.append(path)

    # RF kernels.
    complex_cell = ComplexCell(1.5, orientation=45, sigma_x=0.3, sigma_y=0.45)
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.6), layout="constrained")
    panels = [
        (dog_on, "real", "DoG, ON centre"),
        (dog_off, "real", "DoG, OFF centre"),
        (gabors[1], "real", "Gabor, 45 deg, even"),
        (complex_cell, "imag", "complex cell, 45 deg\n(odd part of the pair)"),
    ]
    for ax, (rf, part, title) in zip(axes, panels, strict=True):
        plot_kernel(rf, ppd, ax=ax, part=part)
        ax.set_title(title)
    save(fig, "rf_kernels.png")

    # Tiling: half-max contours.
    fig, axes = plt.subplots(1, 2, figsize=(11, 5.4), layout="constrained")
    plot_mosaic(on, ax=axes[0], show_centers=True)
    axes[0].set_title(f"DoG centres, hexagonal lattice ({hexagonal.n_neurons} sites)")
    plot_mosaic(v1, ax=axes[1], edgecolor="C3", show_centers=True)
    axes[1].set_title(f"Gabor envelopes (0 deg), jittered lattice ({jittered.n_neurons} sites)")
    fig.suptitle("Half-max RF contours tile the visual field")
    save(fig, "mosaic_tiling.png")

    # Coverage.
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), layout="constrained")
    plot_coverage(on, ax=axes[0])
    plot_coverage(v1, ax=axes[1])
    axes[0].set_title(f"DoG, hexagonal: {axes[0].get_title()}", fontsize=10)
    axes[1].set_title(f"Gabor, jittered: {axes[1].get_title()}", fontsize=10)
    save(fig, "coverage.png")

    # Responses to a natural image (rectified: firing rates of ON and OFF cells).
    image = natural_image(field, "camera")
    r_on = responses(on, image, nonlinearity="rectify")
    r_off = responses(off, image, nonlinearity="rectify")
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    fig.subplots_adjust(left=0.05, right=0.97, bottom=0.12, top=0.9, wspace=0.3)
    plot_image(image, field, ax=axes[0], colorbar=True)
    axes[0].set_title('natural image ("camera"), contrast')
    plot_response_map(on, r_on, ax=axes[1], cmap="inferno")
    axes[1].set_title("ON-centre responses (rectified)")
    plot_response_map(off, r_off, ax=axes[2], cmap="inferno")
    axes[2].set_title("OFF-centre responses (rectified)")
    save(fig, "responses_natural_image.png")
    return written


# -- tuning --------------------------------------------------------------------------
def _setup_tuning(args: argparse.Namespace) -> dict[str, Any]:
    rf, field, population = _neuron_on_field(args, args.ppd)
    args.field = field.width  # the effective settings go to summary.json
    return {"rf": rf, "field": field, "population": population}


def _tuning_values(parameter: str, small: bool, sf: float, ppd: float) -> Any:
    import numpy as np

    if parameter == "orientation":
        return np.arange(0.0, 180.0, 15.0 if small else 5.0)
    if parameter == "phase":
        return np.arange(0.0, 360.0, 30.0 if small else 15.0)
    if parameter == "contrast":
        return np.geomspace(0.01, 1.0, 8 if small else 15)
    high = min(8.0 * sf, 0.45 * ppd)  # up to 0.9 Nyquist
    return np.geomspace(sf / 8.0, high, 13 if small else 31)


def _run_tuning(
    args: argparse.Namespace, setup: dict[str, Any], writer: _Writer
) -> tuple[list[str], list[str]]:
    from . import NakaRushton
    from .analysis import preferred_grating, tuning_curve
    from .plotting import plot_tuning_curve

    plt = _pyplot()
    rf, field, population = setup["rf"], setup["field"], setup["population"]
    ppd = field.pixels_per_degree
    summary: dict[str, Any] = {
        "command": "tuning",
        "arguments": _arguments(args),
        "neuron": _describe_neuron(args.rf, rf, field),
    }
    curves: dict[str, Any] = {}
    results: list[str] = []
    with _collect_warnings() as notes:
        best = preferred_grating(population)
        summary["preferred_grating"] = best
        grating = {
            "orientation": best["orientation"],
            "spatial_frequency": best["spatial_frequency"],
        }
        for parameter in args.parameters:
            values = _tuning_values(parameter, args.small, best["spatial_frequency"], ppd)
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
            writer.figure(
                _tuning_figure(plt, plot_tuning_curve, curve, fit), f"tuning_{parameter}.png"
            )
        results.append(_tuning_result_line(curves, best))
    summary["curves"] = curves
    summary["warnings"] = notes
    writer.json(summary)
    return results, notes


def _tuning_result_line(curves: dict[str, Any], best: dict[str, float]) -> str:
    parts = [
        f"preferred grating: {best['orientation']:.1f} deg, "
        f"{best['spatial_frequency']:.3g} cycles/deg"
    ]
    if "orientation" in curves:
        c = curves["orientation"]
        parts.append(
            f"orientation: preferred {_fmt(c['preferred'][0], '.1f')} deg, "
            f"HWHH {_fmt(c['hwhh_deg'][0], '.1f')} deg, OSI {_fmt(c['osi'][0], '.2f')}"
        )
    if "spatial_frequency" in curves:
        c = curves["spatial_frequency"]
        parts.append(
            f"spatial frequency: preferred {_fmt(c['preferred'][0])} cycles/deg, "
            f"bandwidth {_fmt(c['bandwidth_octaves'][0], '.2f')} octaves"
        )
    if "contrast" in curves:
        parts.append(f"contrast: fitted c50 {_fmt(curves['contrast']['c50'][0])}")
    return "; ".join(parts)


def _tuning_figure(plt: Any, plot_tuning_curve: Callable, curve: Any, fit: Any) -> Any:
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
            f"preferred {_fmt(summary['preferred'][0], '.1f')} deg, "
            f"HWHH {_fmt(summary['hwhh_deg'][0], '.1f')} deg, OSI {_fmt(summary['osi'][0], '.2f')}"
        )
    elif parameter == "spatial_frequency":
        title = (
            f"preferred {_fmt(summary['preferred'][0])} cycles/deg, "
            f"bandwidth {_fmt(summary['bandwidth_octaves'][0], '.2f')} octaves"
        )
    elif parameter == "phase":
        title = f"static grating, preferred phase {_fmt(summary['preferred'][0], '.0f')} deg"
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


# -- sta -----------------------------------------------------------------------------
def _setup_sta(args: argparse.Namespace) -> dict[str, Any]:
    if args.rf == "complex":
        raise ValueError(
            "argument --rf: 'complex' has no linear RF to map (an energy model responds "
            "to both contrast polarities, so its STA is zero); choose 'gabor' or 'dog'"
        )
    ppd = args.ppd if args.ppd is not None else (12.0 if args.small else 16.0)
    n_stimuli = args.n_stimuli if args.n_stimuli is not None else (2000 if args.small else 8000)
    rf, field, population = _neuron_on_field(args, ppd)
    args.field, args.ppd, args.n_stimuli = field.width, ppd, n_stimuli  # for summary.json
    pixels = field.shape[0] * field.shape[1]
    if args.method == "whitened" and pixels > 4096:
        raise ValueError(
            f"argument --method: 'whitened' solves a (pixels x pixels) system; the field is "
            f"{field.shape[0]}x{field.shape[1]} = {pixels} pixels, more than 4096: use a "
            "smaller --field, a lower --ppd or --method sta"
        )
    return {"rf": rf, "field": field, "population": population, "n_stimuli": n_stimuli}


def _sample_counts(n: int, small: bool) -> list[int]:
    import numpy as np

    low = min(n, 50)
    counts = np.unique(np.round(np.geomspace(low, n, 6 if small else 10)).astype(int))
    return [int(c) for c in counts]


def _run_sta(
    args: argparse.Namespace, setup: dict[str, Any], writer: _Writer
) -> tuple[list[str], list[str]]:
    import numpy as np

    from .analysis import (
        fit_gabor,
        fit_gaussian,
        half_max_region,
        linear_receptive_field,
        rf_mapping_convergence,
    )
    from .plotting import plot_mapping_convergence, plot_rf_map

    plt = _pyplot()
    rf, field, population = setup["rf"], setup["field"], setup["population"]
    ppd = field.pixels_per_degree
    n_stimuli = setup["n_stimuli"]
    with _collect_warnings() as notes:
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
            _sta_figure(plt, plot_rf_map, args, field, est_map, true_map, fit, region, corr[-1, 0]),
            "sta_estimate.png",
        )
        fig, ax = plt.subplots(figsize=(6.0, 4.4), layout="constrained")
        if np.any(np.isfinite(corr)):
            plot_mapping_convergence(counts, corr[:, 0], ax=ax)
        else:
            _no_estimate(ax)
        ax.set_title(
            f"{args.method} estimate, {args.noise} noise: r = {_fmt(corr[-1, 0], '.3f')} "
            f"after {counts[-1]} images",
            fontsize="medium",
        )
        writer.figure(fig, "sta_convergence.png")
    final = float(corr[-1, 0])
    summary = {
        "command": "sta",
        "arguments": _arguments(args),
        "neuron": _describe_neuron(args.rf, rf, field),
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
    ax.text(0.5, 0.5, "the neuron never responded:\nno estimate", ha="center", va="center")
    ax.set_axis_off()


def _sta_figure(
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
    ax.set_title(f"{args.method} estimate (r = {_fmt(final, '.3f')})", fontsize="medium")
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


# -- train ---------------------------------------------------------------------------
def _setup_train(args: argparse.Namespace) -> dict[str, Any]:
    from . import datasets

    try:
        images, labels = datasets.load_digits()
    except ImportError as exc:
        raise _MissingData(str(exc)) from None
    return {"images": images, "labels": labels}


class _MissingData(Exception):
    """An optional data dependency is missing (exit code 2, message on stderr)."""


def _digits_model(seed: int) -> tuple[Any, Any]:
    import numpy as np

    from . import Gabor
    from .nn import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential

    gabors = [
        Gabor(2.0, orientation, phase, sigma_x=0.15)
        for orientation in np.arange(0.0, 180.0, 45.0)
        for phase in (0.0, 90.0)
    ]
    front_end = Conv2D.from_receptive_fields(gabors, _DIGIT_PPD, kernel_size=5, trainable=True)
    model = Sequential(
        [
            front_end,
            ReLU(),
            MaxPool2D(2),
            Conv2D(8, 16, 3, padding=1, seed=seed + 1),
            ReLU(),
            MaxPool2D(2),
            Flatten(),
            Dense(16 * 2 * 2, 10, seed=seed + 2),
        ]
    )
    return model, front_end


def _run_train(
    args: argparse.Namespace, setup: dict[str, Any], writer: _Writer
) -> tuple[list[str], list[str]]:
    import numpy as np

    from .analysis import gabor_likeness
    from .datasets import train_test_split
    from .nn import Adam, Conv2D, evaluate, fit, save_model
    from .plotting import plot_filter_grid

    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    epochs = args.epochs if args.epochs is not None else (2 if args.small else 10)
    args.epochs = epochs  # for summary.json
    x_train, y_train, x_test, y_test = train_test_split(
        setup["images"], setup["labels"], test_fraction=0.2, seed=args.seed
    )
    if args.small:
        x_train, y_train = x_train[:400], y_train[:400]
    model, front_end = _digits_model(args.seed)
    with _collect_warnings() as notes:
        history = fit(
            model,
            x_train,
            y_train,
            epochs=epochs,
            batch_size=args.batch_size,
            optimizer=Adam(args.lr),
            validation_data=(x_test, y_test),
            seed=args.seed,
            progress=sys.stderr.isatty(),
        )
        test_loss, test_accuracy = evaluate(model, x_test, y_test)
        model_path = save_model(model, writer.out / "model.npz")
        writer.written.append(model_path)
        trained = front_end.params["weight"]
        random_init = Conv2D(1, trained.shape[0], trained.shape[-2:], seed=args.seed)
        threshold = 0.8
        like_trained, fits_trained = gabor_likeness(
            trained, threshold=threshold, pixels_per_degree=_DIGIT_PPD
        )
        like_random, fits_random = gabor_likeness(
            random_init.params["weight"], threshold=threshold, pixels_per_degree=_DIGIT_PPD
        )

        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
        epoch = np.arange(1, epochs + 1)
        axes[0].plot(epoch, history.loss, "o-", label="training")
        axes[0].plot(epoch, history.val_loss, "s-", label="held out")
        axes[0].set_ylabel("cross-entropy loss")
        axes[1].plot(epoch, history.accuracy, "o-", label="training")
        axes[1].plot(epoch, history.val_accuracy, "s-", label="held out")
        axes[1].axhline(0.1, color="0.5", lw=0.8, ls=":", label="chance")
        axes[1].set_ylabel("accuracy")
        for ax in axes:
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.legend(fontsize="small")
        fig.suptitle(
            f"8x8 digits: held-out accuracy {test_accuracy:.3f} ({len(y_test)} digits, "
            f"trained on {len(y_train)})"
        )
        writer.figure(fig, "learning_curve.png")

        fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
        plot_filter_grid(trained, fits_trained, ax=axes[0], pixels_per_degree=_DIGIT_PPD)
        axes[0].set_title(
            f"trained (Gabor init): {like_trained:.0%} Gabor-like (R^2 >= {threshold})",
            fontsize="medium",
        )
        plot_filter_grid(
            random_init.params["weight"], fits_random, ax=axes[1], pixels_per_degree=_DIGIT_PPD
        )
        axes[1].set_title(
            f"random init: {like_random:.0%} Gabor-like (R^2 >= {threshold})", fontsize="medium"
        )
        fig.suptitle("first-layer filters (top) and their Gabor fits (bottom, R^2)")
        writer.figure(fig, "filters.png")

    def r2(fits: list) -> list[float | None]:
        return [None if f is None else f.r2 for f in fits]

    summary = {
        "command": "train",
        "arguments": _arguments(args),
        "data": {
            "name": "scikit-learn digits (8x8)",
            "n_train": len(y_train),
            "n_test": len(y_test),
            "pixels_per_degree": _DIGIT_PPD,
        },
        "architecture": model.architecture(),
        "epochs": epochs,
        "history": history.as_dict(),
        "test_loss": test_loss,
        "test_accuracy": test_accuracy,
        "gabor_likeness": {
            "threshold": threshold,
            "trained": like_trained,
            "random_init": like_random,
            "r2_trained": r2(fits_trained),
            "r2_random_init": r2(fits_random),
        },
        "model": str(model_path),
        "warnings": notes,
    }
    writer.json(summary)
    line = (
        f"held-out accuracy {test_accuracy:.3f}; Gabor-like first-layer filters: "
        f"{like_trained:.0%} trained vs {like_random:.0%} at a random init"
    )
    return [line], notes


# -- main ----------------------------------------------------------------------------
def _arguments(args: argparse.Namespace) -> dict[str, Any]:
    return {
        key: (str(value) if isinstance(value, Path) else value)
        for key, value in vars(args).items()
        if key not in ("subparser", "command")
    }


_COMMANDS = {
    "tuning": (_setup_tuning, _run_tuning),
    "sta": (_setup_sta, _run_sta),
    "train": (_setup_train, _run_train),
}


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
        dependency (with a message on stderr).
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        sub = args.subparser
        if args.command == "demo" and args.seed < 0:
            sub.error(f"argument --seed: must be >= 0, got {args.seed}")
        try:  # check and build everything before creating --out
            setup = None if args.command == "demo" else _COMMANDS[args.command][0](args)
            _prepare_out(args.out)
        except _MissingData as exc:
            print(f"cortex {args.command}: error: {exc}", file=sys.stderr)
            return 2
        except (TypeError, ValueError, Warning) as exc:
            sub.error(str(exc))
    except SystemExit as exc:  # argparse exits for --help and for errors
        return exc.code if isinstance(exc.code, int) else 1
    start = time.perf_counter()
    out = args.out
    if args.command == "demo":
        written = _demo(out, small=args.small, seed=args.seed)
        for path in written:
            print(path)
        elapsed = time.perf_counter() - start
        print(f"wrote {len(written)} figures to {out} in {elapsed:.1f} s")
        return 0
    writer = _Writer(out)
    try:
        results, notes = _COMMANDS[args.command][1](args, setup, writer)
    except FloatingPointError as exc:  # training diverged
        if args.command != "train":
            raise
        message = f"cortex train: error: training diverged with --lr {args.lr:g}: {exc}"
        print(message, file=sys.stderr)
        return 1
    _finish(writer, results, notes, start)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

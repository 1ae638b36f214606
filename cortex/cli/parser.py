"""The argument parser of ``cortex`` and its argument types.

The argument types are thin adapters over the parsing helpers of
:mod:`cortex._validation` (:func:`~cortex._validation.parse_number`,
:func:`~cortex._validation.parse_name_list`), where the messages are phrased:
their :class:`ValueError` becomes an argparse error, so a bad value exits with
2 and ``cortex COMMAND: error: argument --NAME: must be ..., got 'VALUE'``.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._validation import parse_name_list, parse_number
from . import demo, sta, train, tuning
from .neurons import RF_CHOICES

__all__ = ["build_parser", "count", "finite", "number", "parameter_list", "positive", "seed"]

#: The name the adapters give the parsing helpers; argparse names the argument itself.
_NAME = "value"


def _argument_type(parse: Callable[..., Any], type_name: str, **options: Any) -> Callable:
    """An argparse ``type`` calling ``parse(text, name, **options)``.

    The helper's :class:`ValueError` becomes an :class:`argparse.ArgumentTypeError`
    with the message without its leading argument name, since argparse prefixes
    ``argument --NAME:``.
    """

    def convert(text: str) -> Any:
        try:
            return parse(text, _NAME, **options)
        except ValueError as exc:
            message = str(exc).removeprefix(f"`{_NAME}`").removeprefix(":").lstrip()
            raise argparse.ArgumentTypeError(message) from None

    convert.__name__ = type_name
    return convert


def number(
    *,
    integer: bool = False,
    minimum: float | None = None,
    strict: bool = False,
    maximum: float | None = None,
) -> Callable[[str], Any]:
    """Return an argparse ``type`` for a finite number within bounds.

    Parameters
    ----------
    integer : bool, optional
        Accept integers only.
    minimum : float, optional
        Smallest accepted value.
    strict : bool, optional
        Exclude ``minimum`` itself.
    maximum : float, optional
        Largest accepted value.

    Returns
    -------
    callable
        Parses a string with :func:`cortex._validation.parse_number`; raises
        :class:`argparse.ArgumentTypeError` (``must be a finite number > 0,
        got 'nan'``) for a bad value.
    """
    return _argument_type(
        parse_number,
        "integer" if integer else "number",
        integer=integer,
        minimum=minimum,
        maximum=maximum,
        strict=strict,
    )


#: A finite number > 0.
positive = number(minimum=0, strict=True)
#: A finite number.
finite = number()
#: An integer >= 1.
count = number(integer=True, minimum=1)
#: An integer >= 0.
seed = number(integer=True, minimum=0)
#: ``--parameters``: comma-separated tuning parameters, each known, repeats dropped.
parameter_list = _argument_type(
    parse_name_list, "parameter_list", choices=tuning.PARAMETERS, item="parameter"
)


def _file_list(files: dict[str, str]) -> str:
    return "\n".join(f"  {name:<29} {what}" for name, what in files.items())


def _description(text: str, files: dict[str, str]) -> str:
    return textwrap.fill(text, width=78) + "\n\nFiles written into --out:\n" + _file_list(files)


def _add_output_options(sub: argparse.ArgumentParser, small: str, seed_help: str) -> None:
    sub.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="directory to write the files into (created if missing)",
    )
    sub.add_argument("--small", action="store_true", help=small)
    sub.add_argument("--seed", type=seed, default=0, metavar="INT", help=seed_help)


def _add_neuron_options(sub: argparse.ArgumentParser, rf_help: str) -> None:
    sub.add_argument("--rf", choices=RF_CHOICES, default="gabor", help=rf_help)
    sub.add_argument(
        "--sf",
        type=positive,
        default=2.0,
        metavar="CPD",
        help="preferred spatial frequency, cycles/deg, below --ppd/2 (default: 2.0)",
    )
    sub.add_argument(
        "--orientation",
        type=finite,
        default=30.0,
        metavar="DEG",
        help="preferred orientation, deg (0 = vertical bars; ignored by dog) (default: 30.0)",
    )
    sub.add_argument(
        "--field",
        type=positive,
        default=None,
        metavar="DEG",
        help="side of the square visual field, deg (default: just large enough to hold "
        "the RF kernel, 3 sigma each side, with an odd number of pixels)",
    )


def build_parser() -> argparse.ArgumentParser:
    """Build the parser of ``cortex`` and its commands.

    Returns
    -------
    argparse.ArgumentParser
        Each command's namespace has ``command`` (its name) and ``subparser``
        (its parser, to report errors found after parsing).
    """
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="cortex",
        description=(
            "Simulate visual neurons whose receptive fields tile the visual field. "
            "Run `cortex demo --out DIR` to write example figures (PNG) into DIR; "
            "`cortex COMMAND --help` describes each command."
        ),
    )
    parser.add_argument("--version", action="version", version=f"cortex {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_demo(sub)
    _add_tuning(sub)
    _add_sta(sub)
    _add_train(sub)
    return parser


def _add_demo(sub: Any) -> None:
    files = "\n".join(f"  {name:<28} {what}" for name, what in demo.FILES.items())
    cmd = sub.add_parser(
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
    cmd.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="directory to write the PNG files into (created if missing)",
    )
    cmd.add_argument(
        "--small",
        action="store_true",
        help="use a small, fast field (4 x 4 deg at 8 px/deg instead of 8 x 8 deg at 16 px/deg)",
    )
    cmd.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the jittered V1 mosaic (default: 0)",
    )
    cmd.set_defaults(subparser=cmd)


def _add_tuning(sub: Any) -> None:
    cmd = sub.add_parser(
        "tuning",
        help="tuning curves (orientation, spatial frequency, contrast, phase) of a V1 neuron",
        description=_description(
            "Put one simulated V1 neuron at the centre of a visual field, find the grating "
            "that drives it most, then measure its tuning curves with drifting gratings "
            "(responses rectified; simple cells summarised by F1, complex cells by F0). "
            "The contrast curve passes the response through a Naka-Rushton nonlinearity "
            "whose semi-saturation contrast is --c50 and uses the peak response over the "
            "grating's phase, so the fitted c50 can be compared with --c50.",
            tuning.FILES,
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_neuron_options(
        cmd,
        "RF model: gabor (simple cell), dog (centre-surround, untuned for orientation, "
        "peaking at --sf) or complex (energy of a quadrature Gabor pair) (default: gabor)",
    )
    cmd.add_argument(
        "--ppd",
        type=positive,
        default=16.0,
        metavar="PX",
        help="pixels per degree (default: 16)",
    )
    cmd.add_argument(
        "--parameters",
        type=parameter_list,
        default=tuning.PARAMETERS,
        metavar="LIST",
        help="comma-separated parameters to vary, from "
        f"{','.join(tuning.PARAMETERS)} (default: all)",
    )
    cmd.add_argument(
        "--c50",
        type=number(minimum=0, strict=True, maximum=1),
        default=0.2,
        metavar="C",
        help="semi-saturation contrast of the Naka-Rushton output, in (0, 1] (default: 0.2)",
    )
    _add_output_options(
        cmd,
        "fewer values per curve (e.g. orientation every 15 instead of 5 deg)",
        "recorded in summary.json; the simulation is deterministic (default: 0)",
    )
    cmd.set_defaults(subparser=cmd)


def _add_sta(sub: Any) -> None:
    cmd = sub.add_parser(
        "sta",
        help="map a neuron's RF by reverse correlation with noise (STA / whitened STA)",
        description=_description(
            "Show noise images to one simulated neuron at the centre of a visual field, "
            "estimate its receptive field from the responses (the spike-triggered average, "
            "or the whitened, ridge-regularised estimate) and correlate the estimate with "
            "the true linear RF at log-spaced numbers of stimuli. The estimate is fitted "
            "with a Gabor (--rf gabor) or a Gaussian (--rf dog).",
            sta.FILES,
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_neuron_options(
        cmd,
        "RF model: gabor or dog; complex is refused (an energy model has no linear RF: "
        "its STA is zero) (default: gabor)",
    )
    cmd.add_argument(
        "--ppd",
        type=positive,
        default=None,
        metavar="PX",
        help="pixels per degree (default: 16, 12 with --small)",
    )
    cmd.add_argument(
        "--n-stimuli",
        type=number(integer=True, minimum=2),
        default=None,
        metavar="N",
        help="number of noise images, >= 2 (default: 8000, 2000 with --small)",
    )
    cmd.add_argument(
        "--method",
        choices=("sta", "whitened"),
        default="sta",
        help="spike-triggered average, or the whitened (ridge regression) estimate, "
        "limited to fields of 4096 pixels (default: sta)",
    )
    cmd.add_argument(
        "--noise",
        choices=("white", "pink"),
        default="white",
        help="white noise, or pink (1/f amplitude, like natural images) (default: white)",
    )
    cmd.add_argument(
        "--alpha",
        type=number(minimum=0),
        default=1.0,
        metavar="A",
        help="ridge strength of --method whitened, >= 0, relative to the mean stimulus "
        "variance (default: 1.0)",
    )
    _add_output_options(
        cmd,
        "fewer stimuli and pixels (2000 noise images at 12 px/deg)",
        "seed of the noise stimuli (default: 0)",
    )
    cmd.set_defaults(subparser=cmd)


def _add_train(sub: Any) -> None:
    cmd = sub.add_parser(
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
            train.FILES,
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument(
        "--epochs",
        type=count,
        default=None,
        metavar="N",
        help="passes over the training digits, >= 1 (default: 10, 2 with --small)",
    )
    cmd.add_argument(
        "--batch-size",
        type=count,
        default=32,
        metavar="N",
        help="digits per update, >= 1 (default: 32)",
    )
    cmd.add_argument(
        "--lr",
        type=positive,
        default=0.01,
        metavar="RATE",
        help="Adam learning rate, > 0 (default: 0.01)",
    )
    _add_output_options(
        cmd,
        "train on 400 digits only (held-out set unchanged)",
        "seed of the split, the initialisation and the shuffling (default: 0)",
    )
    cmd.set_defaults(subparser=cmd)

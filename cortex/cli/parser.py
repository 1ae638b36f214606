"""The argument parser of ``cortex`` and its argument types.

The argument types are thin adapters over the parsing helpers of
:mod:`cortex._validation` (:func:`~cortex._validation.parse_number`,
:func:`~cortex._validation.parse_name_list`), where the messages are phrased:
their :class:`ValueError` becomes an argparse error, so a bad value exits with
2 and one line on stderr,
``cortex COMMAND: error: argument --NAME: must be ..., got 'VALUE'`` (no usage
dump: :class:`Parser`).  Every numeric option has a documented range
(:data:`PPD_RANGE`, :data:`ORIENTATION_RANGE`, :data:`C50_RANGE`,
:data:`MAX_ALPHA`, :data:`MAX_STIMULI`, :data:`MAX_EPOCHS`), so extreme
finite values are refused here, before any computation.
"""

from __future__ import annotations

import argparse
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._validation import parse_name_list, parse_number
from . import demo, respond, sta, train, tuning, validate
from .neurons import MAX_FIELD_PIXELS, RF_CHOICES
from .sta import MAX_WHITENED_PIXELS

__all__ = [
    "C50_RANGE",
    "EPILOG",
    "MAX_ALPHA",
    "MAX_EPOCHS",
    "MAX_STIMULI",
    "MAX_WORKERS",
    "ORIENTATION_RANGE",
    "PPD_RANGE",
    "Parser",
    "build_parser",
    "count",
    "directory",
    "finite",
    "number",
    "parameter_list",
    "path",
    "positive",
    "seed",
]

#: The name the adapters give the parsing helpers; argparse names the argument itself.
_NAME = "value"

#: ``--ppd`` of ``tuning`` and ``sta``: pixels per degree.
PPD_RANGE = (1.0, 1000.0)
#: ``--orientation``, deg (orientations repeat every 180 deg).
ORIENTATION_RANGE = (-360.0, 360.0)
#: ``--c50`` of ``tuning``: the contrasts measured span 0.01 to 1.
C50_RANGE = (0.01, 1.0)
#: Largest ``--alpha`` of ``sta`` (beyond it, the ridge estimate is the STA, scaled).
MAX_ALPHA = 1e6
#: Largest ``--n-stimuli`` of ``sta`` (memory does not grow with it; time does).
MAX_STIMULI = 1_000_000
#: Largest ``--epochs`` of ``train``.
MAX_EPOCHS = 1000
#: Largest ``--workers`` of ``respond``.
MAX_WORKERS = 1024

#: The end of ``cortex --help`` (and of each command's help): exit status, output, debugging.
EPILOG = """\
exit status:
  0    success
  1    the run failed: training diverged, out of memory (over the memory budget),
       a file could not be written, or the library refused a value
  2    invalid arguments, an unusable --out, or a missing optional dependency
  130  interrupted (Ctrl-C)
  Errors are reported in one line on stderr.  Set CORTEX_DEBUG=1 in the
  environment to get the Python traceback instead (for bug reports).

output:
  Files are written atomically into --out.  While a command runs, and after it
  fails or is interrupted, --out holds a file INCOMPLETE saying what is missing;
  it is removed when the run completes.  summary.json is written last.

memory:
  CORTEX_MEMORY_BUDGET (bytes, or e.g. 2G) caps what one operation may allocate
  (default: half the available memory); the largest documented settings of
  every command run within 2 GB.
"""


#: The ``output:`` part of ``cortex respond --help`` (one store, not a directory of files).
RESPOND_OUTPUT = """
output:
  --out is one Zarr store, written atomically (no INCOMPLETE, no summary.json):
  it appears only once complete; its attributes record the population, the
  image store and the settings.

"""


class Parser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` that reports errors in one line.

    ``error`` prints ``PROG: error: MESSAGE`` on stderr (without the usage
    dump) and exits with 2; negative numbers such as ``-1e308`` are read as
    values (and refused by the argument's type, naming it), not as options.
    Sub-commands' parsers are of this class too.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # argparse reads "-1e308" as an unknown option ("expected one argument"); no option
        # of cortex starts with a digit, so any "-<digit>" or "-.<digit>" is a value.
        self._negative_number_matcher = re.compile(r"^-\.?\d")

    def error(self, message: str) -> Any:
        """Print ``PROG: error: MESSAGE`` (one line) on stderr and exit with 2."""
        message = " ".join(str(message).split())  # one line, whatever the message
        self.exit(2, f"{self.prog}: error: {message}\n")


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


def _nonempty_path(text: str, what: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError(f"must name {what}, got {text!r}")
    return Path(text)


def directory(text: str) -> Path:
    """The argparse ``type`` of ``--out``: a path, not empty (``""`` would mean ``.``).

    Parameters
    ----------
    text : str
        The command-line value.

    Returns
    -------
    pathlib.Path
        The path (the directory is created later, after every other check).
    """
    return _nonempty_path(text, "a directory")


def path(text: str) -> Path:
    """The argparse ``type`` of a file or store path (``respond``): not empty.

    Parameters
    ----------
    text : str
        The command-line value.

    Returns
    -------
    pathlib.Path
        The path (checked by the command's setup).
    """
    return _nonempty_path(text, "a path")


def _file_list(files: dict[str, str]) -> str:
    return "\n".join(f"  {name:<29} {what}" for name, what in files.items())


def _description(text: str, files: dict[str, str]) -> str:
    return textwrap.fill(text, width=78) + "\n\nFiles written into --out:\n" + _file_list(files)


def _add_output_options(sub: argparse.ArgumentParser, small: str, seed_help: str) -> None:
    sub.add_argument(
        "--out",
        required=True,
        type=directory,
        metavar="DIR",
        help="directory to write the files into (created if missing); it holds a file "
        "INCOMPLETE until the run completes",
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
        help="preferred spatial frequency, cycles/deg, below --ppd/2 and high enough for "
        f"the RF kernel (3 sigma each side) to fit in {MAX_FIELD_PIXELS} px (default: 2.0)",
    )
    sub.add_argument(
        "--orientation",
        type=number(minimum=ORIENTATION_RANGE[0], maximum=ORIENTATION_RANGE[1]),
        default=30.0,
        metavar="DEG",
        help="preferred orientation, deg, in [-360, 360] (0 = vertical bars; ignored by dog) "
        "(default: 30.0)",
    )
    sub.add_argument(
        "--field",
        type=positive,
        default=None,
        metavar="DEG",
        help=f"side of the square visual field, deg, at most {MAX_FIELD_PIXELS} px a side "
        f"(e.g. --field 32 at --ppd 16) and at least the RF kernel (default: just large "
        "enough to hold the RF kernel, 3 sigma each side, with an odd number of pixels)",
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

    parser = Parser(
        prog="cortex",
        description=textwrap.fill(
            "Simulate visual neurons whose receptive fields tile the visual field. "
            "Run `cortex demo --out DIR` to write example figures (PNG) into DIR; "
            "`cortex COMMAND --help` describes each command.",
            width=78,
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cortex {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_demo(sub)
    _add_tuning(sub)
    _add_sta(sub)
    _add_train(sub)
    _add_respond(sub)
    _add_validate(sub)
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
        epilog=EPILOG,
    )
    cmd.add_argument(
        "--out",
        required=True,
        type=directory,
        metavar="DIR",
        help="directory to write the PNG files into (created if missing); it holds a file "
        "INCOMPLETE until the run completes",
    )
    cmd.add_argument(
        "--small",
        action="store_true",
        help="use a small, fast field (4 x 4 deg at 8 px/deg instead of 8 x 8 deg at 16 px/deg)",
    )
    cmd.add_argument(
        "--seed",
        type=seed,
        default=0,
        metavar="INT",
        help="seed of the jittered V1 mosaic, >= 0 (default: 0)",
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
        epilog=EPILOG,
    )
    _add_neuron_options(
        cmd,
        "RF model: gabor (simple cell), dog (centre-surround, untuned for orientation, "
        "peaking at --sf) or complex (energy of a quadrature Gabor pair) (default: gabor)",
    )
    cmd.add_argument(
        "--ppd",
        type=number(minimum=PPD_RANGE[0], maximum=PPD_RANGE[1]),
        default=16.0,
        metavar="PX",
        help=f"pixels per degree, in [{PPD_RANGE[0]:g}, {PPD_RANGE[1]:g}] (default: 16)",
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
        type=number(minimum=C50_RANGE[0], maximum=C50_RANGE[1]),
        default=0.2,
        metavar="C",
        help="semi-saturation contrast of the Naka-Rushton output, in "
        f"[{C50_RANGE[0]:g}, {C50_RANGE[1]:g}], the range of contrasts measured (default: 0.2)",
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
        epilog=EPILOG,
    )
    _add_neuron_options(
        cmd,
        "RF model: gabor or dog; complex is refused (an energy model has no linear RF: "
        "its STA is zero) (default: gabor)",
    )
    cmd.add_argument(
        "--ppd",
        type=number(minimum=PPD_RANGE[0], maximum=PPD_RANGE[1]),
        default=None,
        metavar="PX",
        help=f"pixels per degree, in [{PPD_RANGE[0]:g}, {PPD_RANGE[1]:g}] "
        "(default: 16, 12 with --small)",
    )
    cmd.add_argument(
        "--n-stimuli",
        type=number(integer=True, minimum=2, maximum=MAX_STIMULI),
        default=None,
        metavar="N",
        help=f"number of noise images, in [2, {MAX_STIMULI}]; shown in chunks, so memory "
        "does not grow with it (default: 8000, 2000 with --small)",
    )
    cmd.add_argument(
        "--method",
        choices=("sta", "whitened"),
        default="sta",
        help="spike-triggered average, or the whitened (ridge regression) estimate, "
        f"limited to fields of {MAX_WHITENED_PIXELS} pixels, e.g. --field 4 at --ppd 16 "
        "(default: sta)",
    )
    cmd.add_argument(
        "--noise",
        choices=("white", "pink"),
        default="white",
        help="white noise, or pink (1/f amplitude, like natural images) (default: white)",
    )
    cmd.add_argument(
        "--alpha",
        type=number(minimum=0, maximum=MAX_ALPHA),
        default=1.0,
        metavar="A",
        help=f"ridge strength of --method whitened, in [0, {MAX_ALPHA:g}], relative to the "
        "mean stimulus variance (default: 1.0)",
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
        epilog=EPILOG,
    )
    cmd.add_argument(
        "--epochs",
        type=number(integer=True, minimum=1, maximum=MAX_EPOCHS),
        default=None,
        metavar="N",
        help=f"passes over the training digits, in [1, {MAX_EPOCHS}] (default: 10, 2 with --small)",
    )
    cmd.add_argument(
        "--batch-size",
        type=count,
        default=32,
        metavar="N",
        help="digits per update, from 1 to the number of training digits (80%% of 1,797; "
        f"{train.N_TRAIN_SMALL} with --small) (default: 32)",
    )
    cmd.add_argument(
        "--lr",
        type=positive,
        default=0.01,
        metavar="RATE",
        help="Adam learning rate, > 0; if training diverges (the loss explodes or becomes "
        "NaN), the command fails with exit status 1 (default: 0.01)",
    )
    _add_output_options(
        cmd,
        "train on 400 digits only (held-out set unchanged)",
        "seed of the split, the initialisation and the shuffling (default: 0)",
    )
    cmd.set_defaults(subparser=cmd)


def _add_respond(sub: Any) -> None:
    cmd = sub.add_parser(
        "respond",
        help="responses of a population (JSON) to a Zarr image set, into a Zarr store (dask)",
        description=textwrap.fill(
            "Compute the responses of a population described in a JSON file (written by "
            "cortex.save_population) to every image of a Zarr image set (written by "
            "cortex.scale.write_white_noise or write_natural_patches, on the population's "
            "field) and write them, chunk by chunk, to a new Zarr store (N images x "
            "n_neurons; neuron j is RF type j // n_sites at site j % n_sites). Runs on dask's "
            "threaded scheduler, on a local dask.distributed cluster started for the run, or "
            "on a running scheduler at an address (its workers must see the same paths). "
            "Needs the extra cortex[dask]. The store is written atomically: --out appears "
            "only once every response is written, so a failed or interrupted run leaves "
            "nothing behind.",
            width=78,
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EPILOG.split("\noutput:")[0] + RESPOND_OUTPUT,
    )
    cmd.add_argument(
        "--population",
        required=True,
        type=path,
        metavar="FILE",
        help="the population, a JSON file written by cortex.save_population",
    )
    cmd.add_argument(
        "--images",
        required=True,
        type=path,
        metavar="STORE",
        help="the images, a Zarr array (N, H, W) on the population's field",
    )
    cmd.add_argument(
        "--out",
        required=True,
        type=path,
        metavar="STORE",
        help="the Zarr store to write (N, n_neurons); must not exist unless --overwrite",
    )
    cmd.add_argument(
        "--overwrite", action="store_true", help="replace --out if it exists (once complete)"
    )
    cmd.add_argument(
        "--scheduler",
        type=respond.check_address,
        default="threads",
        metavar="WHERE",
        help="threads (dask's threaded scheduler), local (a dask.distributed LocalCluster "
        "of --workers processes) or the ADDRESS of a running scheduler, e.g. "
        "tcp://10.0.0.5:8786 (default: threads)",
    )
    cmd.add_argument(
        "--workers",
        type=number(integer=True, minimum=1, maximum=MAX_WORKERS),
        default=None,
        metavar="N",
        help=f"threads or worker processes, in [1, {MAX_WORKERS}], with threads or local "
        "(default: the number of CPUs)",
    )
    cmd.add_argument(
        "--memory-limit",
        type=respond.memory_size,
        default=None,
        metavar="SIZE",
        help="memory limit of each worker of --scheduler local, e.g. 2G (default: dask's, "
        "the machine's memory shared between the workers)",
    )
    cmd.add_argument(
        "--method",
        choices=respond.METHODS,
        default="auto",
        help="correlation method, as cortex.responses (default: auto)",
    )
    cmd.add_argument(
        "--nonlinearity",
        choices=respond.NONLINEARITIES,
        default="none",
        help="static nonlinearity after the linear stage (default: none, linear responses)",
    )
    cmd.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (it is shown on stderr when stderr is a terminal)",
    )
    cmd.set_defaults(subparser=cmd)


def _add_validate(sub: Any) -> None:
    cmd = sub.add_parser(
        "validate",
        help="simulated vs published values (pRF sizes, coverage, regularity, RF arithmetic)",
        description=_description(
            "Run small experiments whose answers are published or exact and report each "
            "number with its source, published value, simulated value, tolerance and "
            "verdict: pRF size against eccentricity for V1, V2, V3 and hV4 (Wandell & "
            "Winawer 2015) measured with sweeping bars, coverage factors of mosaics built "
            "for 1 and 3 (Dacey 1993), regularity indices of Poisson and lattice mosaics "
            "(Wassle & Riemann 1978), AlexNet's RF arithmetic and the effective RF variance "
            "of stacked box filters (Luo et al. 2016).",
            validate.FILES,
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EPILOG,
    )
    _add_output_options(
        cmd,
        "smaller fields and fewer voxels (about 10 s instead of about a minute)",
        "seed of the random mosaics and voxel positions (default: 0)",
    )
    cmd.set_defaults(subparser=cmd)

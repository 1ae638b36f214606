"""The one simulated neuron of ``tuning`` and ``sta``: its RF model, field and population.

:func:`neuron` builds the RF model named by ``--rf``, :func:`neuron_on_field`
puts it at the centre of a visual field just large enough for its kernel
(checking ``--sf``, ``--ppd`` and ``--field`` against each other), and
:func:`describe_neuron` records it in summary.json.
"""

from __future__ import annotations

import argparse
import math
import warnings
from dataclasses import asdict
from typing import Any

__all__ = [
    "DOG_PEAK",
    "MAX_FIELD_PIXELS",
    "N_SIGMA",
    "RF_CHOICES",
    "describe_neuron",
    "neuron",
    "neuron_on_field",
]

#: The RF models of ``--rf``.
RF_CHOICES = ("gabor", "dog", "complex")
#: Largest field side in pixels (one neuron needs no more; bigger fields only cost memory).
MAX_FIELD_PIXELS = 512
#: ``sigma_center * f_peak`` of a balanced DoG with ``sigma_surround = 3 sigma_center``.
DOG_PEAK = math.sqrt(math.log(9.0) / (16.0 * math.pi**2))
#: Kernels cover 3 sigma of the RF (the Population default).
N_SIGMA = 3.0


def neuron(rf: str, sf: float, orientation: float) -> Any:
    """Return the RF model named by ``--rf``.

    Parameters
    ----------
    rf : {'gabor', 'dog', 'complex'}
        A Gabor (simple cell), a balanced difference of Gaussians (surround
        3 times the centre) or a complex cell (a quadrature Gabor pair).
    sf : float
        Preferred spatial frequency, cycles/deg (where the DoG's response peaks).
    orientation : float
        Preferred orientation, deg (ignored by the DoG).

    Returns
    -------
    cortex.ReceptiveField
        The model.

    Raises
    ------
    ValueError
        If ``rf`` is not one of :data:`RF_CHOICES`.
    """
    from .. import ComplexCell, DifferenceOfGaussians, Gabor

    if rf == "gabor":
        return Gabor(sf, orientation)
    if rf == "complex":
        return ComplexCell(sf, orientation)
    if rf == "dog":
        sigma = DOG_PEAK / sf  # a balanced DoG (surround 3x centre) peaks at sf
        return DifferenceOfGaussians(sigma, 3.0 * sigma)
    raise ValueError(f"argument --rf: must be one of {RF_CHOICES}, got {rf!r}")


def neuron_on_field(args: argparse.Namespace, ppd: float) -> tuple[Any, Any, Any]:
    """Build one neuron at the centre of a square visual field.

    Parameters
    ----------
    args : argparse.Namespace
        The arguments ``rf``, ``sf``, ``orientation`` and ``field`` (None: just
        large enough for the kernel, 3 sigma each side, plus a margin).
    ppd : float
        Pixels per degree.

    Returns
    -------
    rf : cortex.ReceptiveField
        The RF model (:func:`neuron`).
    field : cortex.VisualField
        The field.
    population : cortex.Population
        The one-neuron population, its kernels built.

    Raises
    ------
    ValueError
        If ``--sf`` is at or above the Nyquist frequency, a DoG centre is under
        half a pixel, the kernel or the field would exceed
        :data:`MAX_FIELD_PIXELS` a side, the field is smaller than the kernel,
        or building the kernel fails or warns (e.g. badly sampled); the message
        names the argument to change and its value.
    """
    from .. import Mosaic, Population, VisualField

    nyquist = ppd / 2
    if args.sf >= nyquist:
        raise ValueError(
            f"argument --sf: must be below the Nyquist frequency --ppd/2 = {nyquist:g} "
            f"cycles/deg, got {args.sf:g}"
        )
    if args.rf == "dog" and DOG_PEAK / args.sf < 0.5 / ppd:
        raise ValueError(
            f"argument --sf: a DoG peaking at {args.sf:g} cycles/deg has a centre sigma of "
            f"{DOG_PEAK / args.sf:.3g} deg, under half a pixel at --ppd {ppd:g}; use "
            f"--sf <= {2 * DOG_PEAK * ppd:.3g} or a higher --ppd"
        )
    try:
        rf = neuron(args.rf, args.sf, args.orientation)
        # the kernel side in pixels, as a float first: a tiny --sf must not overflow an int
        side_px = 2.0 * N_SIGMA * rf.support_sigma * ppd + 1.0
    except (ValueError, OverflowError) as exc:
        raise ValueError(
            f"argument --sf: no {args.rf} RF preferring {args.sf:g} cycles/deg can be built: {exc}"
        ) from None
    if not side_px <= MAX_FIELD_PIXELS:  # inf and nan too
        raise ValueError(
            f"argument --sf: the RF kernel of a {args.rf} preferring {args.sf:g} cycles/deg "
            f"needs {side_px:.3g} px a side at --ppd {ppd:g} (3 sigma each side), more than "
            f"{MAX_FIELD_PIXELS}; use a higher --sf or a lower --ppd"
        )
    side = 2 * rf.kernel_radius(ppd, N_SIGMA) + 1  # kernel side, pixels
    if args.field is None:
        n_px = side + 2 * max(1, math.ceil(0.05 * side))
        if n_px > MAX_FIELD_PIXELS:
            raise ValueError(
                f"argument --sf: the RF kernel needs {side} px at --ppd {ppd:g}, and the field "
                f"around it {n_px} px, more than {MAX_FIELD_PIXELS} px a side; use a higher "
                "--sf or a lower --ppd"
            )
        width = n_px / ppd
    else:
        width = args.field
        pixels = width * ppd  # a float: may be inf for extreme values
        if not pixels < MAX_FIELD_PIXELS + 0.5:
            raise ValueError(
                f"argument --field: {width:g} deg at --ppd {ppd:g} is {pixels:.3g} px a side, "
                f"more than {MAX_FIELD_PIXELS} (at most {MAX_FIELD_PIXELS / ppd:.4g} deg); use "
                "a smaller --field or a lower --ppd"
            )
        n_px = int(round(pixels))
        if n_px < side:
            raise ValueError(
                f"argument --field: {width:g} deg is {n_px} px at --ppd {ppd:g}, smaller than "
                f"the RF kernel ({side} px, 3 sigma each side); use --field >= "
                f"{side / ppd:.3g} or omit it"
            )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. a badly sampled kernel: refuse, do not warn
            field = VisualField(width, width, pixels_per_degree=ppd)
            population = Population(rf, Mosaic(field, [[0.0, 0.0]]))
            population.groups  # noqa: B018 - build the kernels now, so their checks run here
    except (Warning, ValueError, OverflowError) as exc:
        raise ValueError(
            f"arguments --rf {args.rf} --sf {args.sf:g} --ppd {ppd:g} --field {width:g}: "
            f"this neuron cannot be simulated on this field: {exc}"
        ) from None
    return rf, field, population


def describe_neuron(rf_name: str, rf: object, field: Any) -> dict[str, Any]:
    """Describe the neuron for summary.json.

    Parameters
    ----------
    rf_name : str
        The ``--rf`` choice.
    rf : cortex.ReceptiveField
        The RF model (a dataclass).
    field : cortex.VisualField
        The field it sits at the centre of.

    Returns
    -------
    dict
        The choice, the model's type and fields, the field's size (deg and
        pixels), its pixels per degree and the RF centre (deg).
    """
    return {
        "rf": rf_name,
        "model": {"type": type(rf).__name__, **asdict(rf)},
        "field_deg": [field.width, field.height],
        "field_px": list(field.shape),
        "pixels_per_degree": field.pixels_per_degree,
        "center_deg": [0.0, 0.0],
    }

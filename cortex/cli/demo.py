"""``cortex demo``: example figures of retina-like and V1-like populations.

An ON- and an OFF-centre difference-of-Gaussians population on a hexagonal
mosaic and a V1-like population of Gabors at 4 orientations on a jittered
mosaic: their RF kernels, how their half-max contours tile the field, their
coverage and the ON and OFF responses to a natural image, as PNG files
(:data:`FILES`).
"""

from __future__ import annotations

import argparse
import math

from .output import Writer, pyplot

__all__ = ["FILES", "run"]

#: Files written by ``demo``, with what they show.
FILES = {
    "rf_kernels.png": "RF kernels of a DoG ON, a DoG OFF, a Gabor and a complex cell",
    "mosaic_tiling.png": "half-max RF contours of the DoG and Gabor mosaics tiling the field",
    "coverage.png": "how many RFs cover each point, with the coverage factor",
    "responses_natural_image.png": "a natural image and the ON and OFF population responses",
}


def run(args: argparse.Namespace, prepared: object, writer: Writer) -> tuple[list[str], list[str]]:
    """Build the demo populations and write the figures.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments of ``demo``: ``small`` (a 4 x 4 deg field at
        8 px/deg instead of 8 x 8 deg at 16 px/deg) and ``seed`` (of the
        jittered V1 mosaic).
    prepared : object
        Unused (``demo`` has no setup).
    writer : cortex.cli.output.Writer
        Writes the PNG files into ``--out``, in the order of :data:`FILES`.

    Returns
    -------
    results, notes : list of str
        Empty: the figures are the result.
    """
    small, seed = args.small, args.seed
    plt = pyplot()

    from .. import (
        ComplexCell,
        DifferenceOfGaussians,
        Gabor,
        Mosaic,
        Population,
        VisualField,
        contour_radius,
        responses,
    )
    from ..plotting import plot_coverage, plot_image, plot_kernel, plot_mosaic, plot_response_map
    from ..stimuli import natural_image

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
    writer.figure(fig, "rf_kernels.png")

    # Tiling: half-max contours.
    fig, axes = plt.subplots(1, 2, figsize=(11, 5.4), layout="constrained")
    plot_mosaic(on, ax=axes[0], show_centers=True)
    axes[0].set_title(f"DoG centres, hexagonal lattice ({hexagonal.n_neurons} sites)")
    plot_mosaic(v1, ax=axes[1], edgecolor="C3", show_centers=True)
    axes[1].set_title(f"Gabor envelopes (0 deg), jittered lattice ({jittered.n_neurons} sites)")
    fig.suptitle("Half-max RF contours tile the visual field")
    writer.figure(fig, "mosaic_tiling.png")

    # Coverage.
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), layout="constrained")
    plot_coverage(on, ax=axes[0])
    plot_coverage(v1, ax=axes[1])
    axes[0].set_title(f"DoG, hexagonal: {axes[0].get_title()}", fontsize=10)
    axes[1].set_title(f"Gabor, jittered: {axes[1].get_title()}", fontsize=10)
    writer.figure(fig, "coverage.png")

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
    writer.figure(fig, "responses_natural_image.png")
    return [], []

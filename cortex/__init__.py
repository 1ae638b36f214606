"""cortex: visual neurons with tiled receptive fields, their responses, and the ConvNet they make.

The public API is flat: ``from cortex import Gabor, Mosaic, Population, responses``.
Positions and sizes are in degrees of visual angle, spatial frequencies in
cycles/degree, orientations in degrees (0 = vertical bars); see the docs'
conventions page.
"""

from . import analysis, stimuli
from .correlation import METHODS, choose_method, correlate_sampled
from .mosaic import LATTICES, Mosaic
from .receptive_fields import (
    ComplexCell,
    DifferenceOfGaussians,
    Gabor,
    Gaussian,
    ReceptiveField,
    contour_radius,
    dog_kernel,
    gabor_kernel,
    gaussian_kernel,
)
from .responses import (
    DivisiveNormalization,
    HalfSquare,
    NakaRushton,
    Population,
    Rectify,
    connectivity_matrix,
    linear_responses,
    responses,
)
from .visual_field import VisualField

__version__ = "0.1.0"

__all__ = [
    "LATTICES",
    "METHODS",
    "ComplexCell",
    "DifferenceOfGaussians",
    "DivisiveNormalization",
    "Gabor",
    "Gaussian",
    "HalfSquare",
    "Mosaic",
    "NakaRushton",
    "Population",
    "Rectify",
    "ReceptiveField",
    "VisualField",
    "analysis",
    "choose_method",
    "connectivity_matrix",
    "contour_radius",
    "correlate_sampled",
    "dog_kernel",
    "gabor_kernel",
    "gaussian_kernel",
    "linear_responses",
    "responses",
    "stimuli",
]

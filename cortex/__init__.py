"""cortex: visual neurons with tiled receptive fields, their responses, and the ConvNet they make.

The public API is flat: ``from cortex import Gabor, Mosaic, Population, responses``.
Positions and sizes are in degrees of visual angle, spatial frequencies in
cycles/degree, orientations in degrees (0 = vertical bars); see the docs'
conventions page.

``import cortex`` loads only the simulation core (RF models, mosaics,
populations and the correlation module: numpy and a few parts of scipy).  The
subpackages are loaded on first use, as scikit-image does:
``cortex.analysis``, ``cortex.datasets``, ``cortex.nn``, ``cortex.plotting``
(matplotlib) and ``cortex.stimuli`` work after ``import cortex`` alone.
"""

import importlib

from ._validation import MemoryBudgetError, memory_budget, set_memory_budget
from .correlation import METHODS, choose_method, correlate, correlate_sampled
from .mosaic import LATTICES, Mosaic
from .population import (
    DivisiveNormalization,
    HalfSquare,
    NakaRushton,
    Population,
    Rectify,
    connectivity_matrix,
    linear_responses,
    load_population,
    responses,
    save_population,
)
from .published import validate
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
from .visual_field import VisualField

__version__ = "0.1.0"

#: Subpackages and modules loaded on first attribute access (``cortex.nn`` ...).
_LAZY_SUBMODULES = (
    "analysis",
    "cli",
    "datasets",
    "dynamics",
    "filternet",
    "lattices",
    "mosaic_stats",
    "movies",
    "nn",
    "plotting",
    "presets",
    "scale",
    "spikes",
    "stimuli",
    "temporal",
)

__all__ = [
    "LATTICES",
    "METHODS",
    "ComplexCell",
    "DifferenceOfGaussians",
    "DivisiveNormalization",
    "Gabor",
    "Gaussian",
    "HalfSquare",
    "MemoryBudgetError",
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
    "correlate",
    "correlate_sampled",
    "datasets",
    "dog_kernel",
    "gabor_kernel",
    "gaussian_kernel",
    "linear_responses",
    "load_population",
    "memory_budget",
    "nn",
    "plotting",
    "responses",
    "save_population",
    "set_memory_budget",
    "stimuli",
    "validate",
]


def __getattr__(name: str) -> object:
    """Load a subpackage on first access (PEP 562): ``cortex.nn`` without ``import cortex.nn``."""
    if name in _LAZY_SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module  # later accesses skip this hook
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_LAZY_SUBMODULES))

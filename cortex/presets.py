"""Published numbers to start a model from: pRF sizes, cortical magnification, coverage.

Each constant names its source.  :func:`population` builds a ready population of
an area's neurons on a field from them.

* pRF size grows linearly with eccentricity, ``sigma = slope * E + intercept``
  (deg), with the slope and intercept of :data:`PRF_SIZE` for V1, V2, V3 and
  hV4: Wandell BA, Winawer J (2015). Computational neuroimaging and population
  receptive fields. Trends Cogn Sci 19:349-357 (Fig. 3; fits to the pRF sizes
  of Amano et al. 2009 and Kay et al. 2013).
* Cortical magnification, ``M(E) = M0 / (E + E2)`` mm of V1 per degree, with
  :data:`CORTICAL_MAGNIFICATION` ``M0 = 17.3`` mm/deg and ``E2 = 0.75`` deg:
  Horton JC, Hoyt WF (1991). The representation of the visual field in human
  striate cortex. Arch Ophthalmol 109:816-824.
* Coverage factors of the two main primate ganglion-cell classes,
  :data:`COVERAGE`: midget about 1, parasol about 3 (Dacey DM, 1993. The mosaic
  of midget ganglion cells in the human retina. J Neurosci 13:5334-5355).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ._validation import check_choice, check_positive, check_range
from .lattices import HORTON_HOYT_E2, HORTON_HOYT_M0

__all__ = [
    "AREAS",
    "CORTICAL_MAGNIFICATION",
    "COVERAGE",
    "PRF_SIZE",
    "cortical_magnification",
    "population",
    "prf_size",
]

#: pRF size against eccentricity, ``(slope deg/deg, intercept deg)`` per visual area
#: (Wandell & Winawer 2015, Fig. 3).
PRF_SIZE: dict[str, tuple[float, float]] = {
    "V1": (0.169, 0.022),
    "V2": (0.169, 0.147),
    "V3": (0.264, 0.342),
    "hV4": (0.530, 0.445),
}
#: The visual areas of :data:`PRF_SIZE`.
AREAS = tuple(PRF_SIZE)
#: Human V1 magnification ``M(E) = M0 / (E + E2)``: ``(M0 mm/deg, E2 deg)`` (Horton & Hoyt 1991).
CORTICAL_MAGNIFICATION = (HORTON_HOYT_M0, HORTON_HOYT_E2)
#: Coverage factors of primate retinal ganglion-cell mosaics (Dacey 1993).
COVERAGE = {"midget": 1.0, "parasol": 3.0}


def _eccentricity(value: object) -> np.ndarray:
    e = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(e)) or np.any(e < 0) or np.any(e > 1e6):
        raise ValueError("`eccentricity` must be finite and in [0, 1e6] deg")
    return e


def prf_size(area: str, eccentricity: object) -> np.ndarray:
    """The pRF size (s.d., deg) of a visual area at an eccentricity (Wandell & Winawer 2015).

    Parameters
    ----------
    area : {"V1", "V2", "V3", "hV4"}
        The area.
    eccentricity : float or array_like
        Eccentricity, degrees, in ``[0, 1e6]``.

    Returns
    -------
    numpy.ndarray
        ``slope * eccentricity + intercept``, same shape as ``eccentricity``.

    Raises
    ------
    ValueError
        If ``area`` is unknown or an eccentricity is negative or not finite.

    Examples
    --------
    >>> from cortex.presets import prf_size
    >>> round(float(prf_size("V1", 5.0)), 3)
    0.867
    """
    slope, intercept = PRF_SIZE[check_choice(area, "area", AREAS)]
    return slope * _eccentricity(eccentricity) + intercept


def cortical_magnification(
    eccentricity: object,
    m0: float = CORTICAL_MAGNIFICATION[0],
    e2: float = CORTICAL_MAGNIFICATION[1],
) -> np.ndarray:
    """Linear magnification of human V1, mm of cortex per degree (Horton & Hoyt 1991).

    Parameters
    ----------
    eccentricity : float or array_like
        Eccentricity, degrees, in ``[0, 1e6]``.
    m0 : float, optional
        mm/deg, > 0 (default 17.3).
    e2 : float, optional
        deg, > 0 (default 0.75).

    Returns
    -------
    numpy.ndarray
        ``m0 / (eccentricity + e2)``.

    Raises
    ------
    ValueError
        If a parameter is out of range.

    Examples
    --------
    >>> from cortex.presets import cortical_magnification
    >>> round(float(cortical_magnification(10.0)), 3)
    1.609
    """
    m0 = check_range(check_positive(m0, "m0"), "m0", 0.0, 1e6)
    e2 = check_range(check_positive(e2, "e2"), "e2", 0.0, 1e6)
    return m0 / (_eccentricity(eccentricity) + e2)


def population(
    area: str,
    field: object,
    *,
    mosaic: object = None,
    spacing: float | None = None,
    max_eccentricity: float | None = None,
    rtol: float = 0.05,
    n_sigma: float = 3.0,
) -> object:
    """A population of an area's neurons, with the published size law, on a field.

    Every neuron has a circular Gaussian RF whose size (s.d.) is the area's
    pRF size at its eccentricity, ``slope * E + intercept``
    (:data:`PRF_SIZE`, Wandell & Winawer 2015); the sizes are quantised to
    geometric levels ``rtol`` apart (:meth:`cortex.Mosaic.with_eccentricity_scaling`),
    so the population needs one correlation per level.  This takes the pRF
    law as the neurons' RF law: a voxel's pRF is then its neurons' RF widened
    by their position scatter (:mod:`cortex.analysis.prf`).

    Parameters
    ----------
    area : {"V1", "V2", "V3", "hV4"}
        The area.
    field : VisualField
        The field.
    mosaic : Mosaic, optional
        Where the neurons sit (its scales are replaced), e.g. a foveated
        mosaic whose density follows the RF size.  Default: a hexagonal
        lattice of ``spacing``.
    spacing : float, optional
        Lattice spacing, deg, when ``mosaic`` is not given; default half the
        area's pRF size at 1 deg of eccentricity, and at least one pixel.
        Near fixation the RFs of V1 are then smaller than the spacing (a
        warning says so): pass a mosaic whose density follows RF size there.
    max_eccentricity : float, optional
        Keep only the neurons within this eccentricity, deg (the RFs of the
        field's corners can be larger than the field).
    rtol : float, optional
        Relative size step of the quantisation, in ``(0, 1]`` (default 5%).
    n_sigma : float, optional
        Kernel support in RF s.d. (as :class:`cortex.Population`).

    Returns
    -------
    Population

    Raises
    ------
    TypeError
        If ``field`` is not a VisualField or ``mosaic`` not a Mosaic.
    ValueError
        If ``area`` is unknown, a parameter is out of range, the mosaic's
        field differs from ``field`` or no site is within ``max_eccentricity``.
    cortex.MemoryBudgetError
        If the lattice would exceed :func:`cortex.memory_budget`.

    Examples
    --------
    >>> import cortex
    >>> from cortex.presets import population
    >>> pop = population("V2", cortex.VisualField(6.0, 6.0, pixels_per_degree=10))
    >>> pop.n_neurons
    1613
    """
    from .mosaic import Mosaic
    from .population import Population
    from .receptive_fields import Gaussian
    from .visual_field import VisualField

    slope, intercept = PRF_SIZE[check_choice(area, "area", AREAS)]
    if not isinstance(field, VisualField):
        raise TypeError(f"`field` must be a VisualField, got {type(field).__name__}")
    if mosaic is None:
        if spacing is None:
            spacing = max(0.5 * (slope + intercept), 1.0 / field.pixels_per_degree)
        mosaic = Mosaic.from_lattice(field, spacing, "hexagonal")
    elif not isinstance(mosaic, Mosaic):
        raise TypeError(f"`mosaic` must be a Mosaic, got {type(mosaic).__name__}")
    elif mosaic.field != field:
        raise ValueError(f"`mosaic` lies on {mosaic.field}, not on `field` {field}")
    if max_eccentricity is not None:
        max_eccentricity = check_range(
            check_positive(max_eccentricity, "max_eccentricity"), "max_eccentricity", 0.0, 1e6
        )
        inside = mosaic.eccentricity <= max_eccentricity
        if not np.any(inside):
            raise ValueError(f"no site lies within `max_eccentricity` {max_eccentricity:g} deg")
        # a part of a lattice is still that lattice (its density, its gaps)
        mosaic = replace(mosaic, centers=mosaic.centers[inside], scales=mosaic.scales[inside])
    scaled = mosaic.with_eccentricity_scaling(intercept, slope, reference_size=intercept, rtol=rtol)
    return Population(Gaussian(intercept), scaled, n_sigma=n_sigma)

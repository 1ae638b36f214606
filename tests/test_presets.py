"""cortex.presets: published pRF sizes and magnification, and the populations built from them."""

from contextlib import nullcontext

import numpy as np
import pytest

import cortex
from cortex import presets


def test_published_numbers():
    # Wandell & Winawer 2015; Horton & Hoyt 1991; Dacey 1993
    assert presets.PRF_SIZE == {
        "V1": (0.169, 0.022),
        "V2": (0.169, 0.147),
        "V3": (0.264, 0.342),
        "hV4": (0.530, 0.445),
    }
    assert presets.CORTICAL_MAGNIFICATION == (17.3, 0.75)
    assert presets.COVERAGE == {"midget": 1.0, "parasol": 3.0}


def test_size_and_magnification_formulas():
    e = np.array([0.0, 1.0, 10.0])
    np.testing.assert_allclose(presets.prf_size("V3", e), 0.264 * e + 0.342)
    np.testing.assert_allclose(presets.cortical_magnification(e), 17.3 / (e + 0.75))
    np.testing.assert_allclose(presets.cortical_magnification(e, m0=10, e2=1), 10 / (e + 1))


@pytest.mark.parametrize("area", presets.AREAS)
def test_population_follows_the_size_law(area):
    field = cortex.VisualField(12.0, 12.0, pixels_per_degree=8)
    # V1's foveal RFs (0.022 deg) are smaller than the default lattice's spacing: it says so
    expect = pytest.warns(UserWarning, match="coverage below 1") if area == "V1" else nullcontext()
    with expect:
        pop = presets.population(area, field, max_eccentricity=2.5)
    slope, intercept = presets.PRF_SIZE[area]
    sizes = pop.types[0].sigma * pop.mosaic.scales  # each neuron's RF s.d.
    law = slope * pop.mosaic.eccentricity + intercept
    assert np.all(np.abs(sizes / law - 1) <= 0.05 + 1e-9)  # quantised, rtol 5%
    assert pop.mosaic.eccentricity.max() <= 2.5


def test_population_on_a_given_mosaic():
    field = cortex.VisualField(4.0, 4.0, pixels_per_degree=10)
    mosaic = cortex.Mosaic.from_lattice(field, 0.2, "square")
    pop = presets.population("V2", field, mosaic=mosaic)
    np.testing.assert_array_equal(pop.mosaic.centers, mosaic.centers)


def test_bad_inputs():
    field = cortex.VisualField(4.0, 4.0, pixels_per_degree=10)
    with pytest.raises(ValueError, match="`area` must be one of"):
        presets.prf_size("MT", 1.0)
    with pytest.raises(ValueError, match="`eccentricity` must be finite and in"):
        presets.prf_size("V1", -1.0)
    with pytest.raises(ValueError, match="`eccentricity`"):
        presets.cortical_magnification(np.nan)
    with pytest.raises(ValueError, match="`m0` must be > 0"):
        presets.cortical_magnification(1.0, m0=0.0)
    with pytest.raises(TypeError, match="`field` must be a VisualField"):
        presets.population("V1", "field")
    with pytest.raises(TypeError, match="`mosaic` must be a Mosaic"):
        presets.population("V1", field, mosaic="hexagonal")
    other = cortex.Mosaic.from_lattice(cortex.VisualField(2.0, 2.0, pixels_per_degree=10), 0.4)
    with pytest.raises(ValueError, match="`mosaic` lies on"):
        presets.population("V1", field, mosaic=other)
    with pytest.raises(ValueError, match="no site lies within `max_eccentricity`"):
        presets.population("V2", field, mosaic=cortex.Mosaic(field, [[1.5, 1.5]]), max_eccentricity=0.1)

"""Simulated neurophysiology: tuning curves, reverse correlation, RF size and Gabor fits.

The experiments a physiologist runs on a real neuron, run on a simulated one.
Every function takes a **target**, one of

* a :class:`~cortex.Population` (all its neurons, or those picked with
  ``neurons=``), or a pair ``(rf, mosaic)`` that makes one;
* a unit of a trained ConvNet, ``(model, layer, channel)``: the centre unit of
  feature map ``channel`` of ``model.layers[layer]`` (``layer`` negative
  counts from the end, as everywhere in :mod:`cortex.nn`; or
  ``(model, layer, channel, (row, col))`` for another position; for a
  :class:`~cortex.nn.Dense` layer, ``channel`` is the output feature).  Its
  input images live on ``field``, a :class:`~cortex.VisualField` whose pixel
  grid is the network's input, so positions and frequencies are in degrees and
  cycles/degree here too.

Stimuli are contrast images (gratings from :func:`cortex.stimuli.grating`,
white or pink noise); a unit's response is its output for each image (for a
population: :func:`cortex.responses` with a rectifying nonlinearity by
default, so responses are firing rates).

One module per concern: ``targets`` (units), ``tuning`` (tuning curves),
``mapping`` (reverse correlation), ``fits`` (RF size and shape), ``prf``
(population receptive fields of voxels, Dumoulin & Wandell 2008), and in
time ``motion`` (temporal-frequency tuning of spatiotemporal RFs with drifting
gratings, in the steady state), ``direction`` (direction tuning, the same way)
and ``spacetime`` (reverse correlation in time: the spatiotemporal STA, x-t
slices); every public name is available here, ``from cortex.analysis import
tuning_curve``.

Conventions: orientation in degrees (0 = vertical bars, period 180),
spatial frequency in cycles/degree, phase in degrees, positions in degrees
with ``x`` right and ``y`` up.

Memory and numbers: stimuli (grating sweeps, the preferred-grating search,
reverse-correlation noise) are drawn and shown in chunks of
``cortex.correlation.CHUNK_BYTES["images"]`` (smaller under a tight
:func:`cortex.memory_budget`) and only running sums are kept, so memory does
not grow with the number of stimuli; what cannot be streamed (the whitened
estimate's ``pixels x pixels`` covariance) is refused with a
:class:`cortex.MemoryBudgetError` before it is allocated.  Inputs are checked
for type (booleans and strings are not numbers) and range (angles within
``1e6`` degrees, contrasts up to ``1e6``, spatial frequencies up to the
field's Nyquist frequency); silent units give NaN with a ``RuntimeWarning``;
degenerate data for a fit (a constant filter, map or contrast response) raise
a ``ValueError`` naming the argument.

Examples
--------
>>> import numpy as np
>>> from cortex import Gabor, Mosaic, VisualField
>>> from cortex.analysis import tuning_curve
>>> field = VisualField(2.0, 2.0, pixels_per_degree=16)
>>> mosaic = Mosaic(field, [[0.0, 0.0]])
>>> curve = tuning_curve((Gabor(3.0, orientation=30.0), mosaic), "orientation",
...                      np.arange(0, 180, 7.5), spatial_frequency=3.0)
>>> round(float(curve.preferred()[0]), 2)
30.0
"""

from .direction import DirectionTuning, direction_tuning
from .fits import (
    GaborFit,
    GaussianFit,
    HalfMaxRegion,
    fit_gabor,
    fit_gaussian,
    gabor_likeness,
    half_max_region,
)
from .mapping import (
    NOISES,
    RF_METHODS,
    RFEstimate,
    map_correlation,
    rf_mapping_convergence,
    spike_triggered_average,
)
from .motion import TemporalFrequencyTuning, temporal_frequency_tuning
from .prf import PRFFit, bar_sweep, fit_prf, prf_experiment, prf_size_law, voxel_response
from .spacetime import spatiotemporal_sta, xt_slice
from .targets import Unit, as_unit, linear_receptive_field
from .tuning import (
    PARAMETERS,
    STATISTICS,
    NakaRushtonFit,
    TuningCurve,
    fit_naka_rushton,
    preferred_grating,
    tuning_curve,
)

__all__ = [
    "NOISES",
    "PARAMETERS",
    "RF_METHODS",
    "STATISTICS",
    "DirectionTuning",
    "GaborFit",
    "GaussianFit",
    "HalfMaxRegion",
    "NakaRushtonFit",
    "PRFFit",
    "RFEstimate",
    "TemporalFrequencyTuning",
    "TuningCurve",
    "Unit",
    "as_unit",
    "bar_sweep",
    "direction_tuning",
    "fit_gabor",
    "fit_gaussian",
    "fit_naka_rushton",
    "fit_prf",
    "gabor_likeness",
    "half_max_region",
    "linear_receptive_field",
    "map_correlation",
    "preferred_grating",
    "prf_experiment",
    "prf_size_law",
    "rf_mapping_convergence",
    "spatiotemporal_sta",
    "spike_triggered_average",
    "temporal_frequency_tuning",
    "tuning_curve",
    "voxel_response",
    "xt_slice",
]

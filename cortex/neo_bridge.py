"""Spike trains the ecosystem reads: conversion to and from Neo's ``SpikeTrain``.

`Neo <https://neo.readthedocs.io>`_ is the data model of electrophysiology in
Python: its :class:`neo.SpikeTrain` (spike times as a quantity array, with
``t_start``, ``t_stop`` and annotations) is what `Elephant
<https://elephant.readthedocs.io>`_ analyses, what Neo's IO modules read and
write (NWB, NIX, Spike2, Blackrock, ...) and what viziphant draws.

:func:`to_neo`
    A :class:`~cortex.spikes.SpikeTrains` as a list of ``neo.SpikeTrain``,
    one per neuron, annotated with the neuron's index (and, when given, its
    receptive-field position in degrees).
:func:`from_neo`
    A list of ``neo.SpikeTrain`` (or a ``neo.Segment``) as a
    :class:`~cortex.spikes.SpikeTrains`.

``from_neo(to_neo(trains)) == trains`` exactly (spike times, neurons,
``t_start`` and ``t_stop`` bit for bit) with the default ``units="s"``.

The statistics of :class:`~cortex.spikes.SpikeTrains` follow Elephant's
definitions (see :mod:`cortex.spikes`); on the converted trains,
``elephant.statistics.time_histogram(to_neo(trains), bin_size,
output="rate")`` is ``trains.psth(bin_size)``, ``elephant.statistics.cv(
elephant.statistics.isi(train))`` is ``trains.isi_cv()`` for neurons with at
least 3 spikes, and ``elephant.statistics.fanofactor`` over the per-bin
pieces of one neuron's train is ``trains.fano_factor(bin_size)``; a spike on
a bin edge (spike times on a simulator's time grid) is binned as Elephant bins
it.

Neo (and Quantities, which it depends on) is imported inside the functions
only: ``import cortex`` and ``import cortex.neo_bridge`` import neither, and
without them the functions raise :class:`ImportError` naming the extra to
install, ``pip install 'cortex[neo]'`` (which also installs Elephant).

Examples
--------
>>> import numpy as np
>>> from cortex.neo_bridge import from_neo, to_neo
>>> from cortex.spikes import poisson_spikes
>>> trains = poisson_spikes(np.full((100, 3), 20.0), frames_per_second=100, seed=0)
>>> neo_trains = to_neo(trains, annotations={"area": "V1"})
>>> len(neo_trains), neo_trains[0].units.dimensionality.string, neo_trains[0].t_stop.item()
(3, 's', 1.0)
>>> neo_trains[2].annotations
{'neuron': 2, 'area': 'V1'}
>>> from_neo(neo_trains) == trains
True
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._validation import _describe, check_choice, check_integer, float_array
from .spikes import SpikeTrains

__all__ = ["EXTRA", "TIME_UNITS", "from_neo", "to_neo"]

#: How to install what this module needs (named by the missing-dependency error).
EXTRA = "pip install 'cortex[neo]'"
#: The time units :func:`to_neo` can write (seconds, milliseconds, microseconds).
TIME_UNITS = ("s", "ms", "us")
#: Annotations :func:`to_neo` writes itself (a user annotation may not replace them).
_RESERVED = ("neuron", "x_deg", "y_deg")
#: Relative tolerance (of the largest of |t_start|, |t_stop| and the duration) within which
#: the windows of several trains agree: rounding of a unit conversion, nothing more.
_WINDOW_RTOL = 1e-12


def _require_neo() -> tuple[Any, Any]:
    """``(neo, quantities)``, or an ImportError naming the extra."""
    import importlib

    modules = []
    for name in ("neo", "quantities"):
        try:
            modules.append(importlib.import_module(name))
        except ImportError as exc:
            raise ImportError(
                f"cortex.neo_bridge needs neo ({name!r} could not be imported: {exc}); "
                f"install it with: {EXTRA}"
            ) from exc
    return modules[0], modules[1]


# -- cortex -> neo -------------------------------------------------------------------------
def _check_positions(positions: object, n_neurons: int) -> np.ndarray:
    """``positions`` as a float64 array of shape ``(n_neurons, 2)``, finite."""
    array = float_array(positions, "positions", ndims=(2,))
    if array.shape != (n_neurons, 2):
        raise ValueError(
            f"`positions` must have shape (n_neurons, 2) = ({n_neurons}, 2), one (x, y) in "
            f"degrees per neuron, got shape {array.shape}"
        )
    return array


def _check_annotations(annotations: object) -> dict[str, Any]:
    """User annotations: a mapping with str keys that do not replace cortex's own."""
    if annotations is None:
        return {}
    if not isinstance(annotations, Mapping):
        raise TypeError(
            f"`annotations` must be a mapping (e.g. a dict) or None, got {_describe(annotations)}"
        )
    out = dict(annotations)
    for key in out:
        if not isinstance(key, str):
            raise TypeError(f"`annotations` keys must be strings, got {_describe(key)}")
        if key in _RESERVED:
            raise ValueError(
                f"`annotations` must not set {key!r}: to_neo writes "
                f"{', '.join(repr(k) for k in _RESERVED)} itself"
            )
    return out


def to_neo(
    trains: SpikeTrains,
    *,
    positions: object = None,
    units: str = "s",
    annotations: Mapping[str, Any] | None = None,
) -> list:
    """Convert spike trains to a list of ``neo.SpikeTrain``, one per neuron.

    Parameters
    ----------
    trains : cortex.spikes.SpikeTrains
        The spikes of ``n_neurons`` neurons.
    positions : array_like, shape (n_neurons, 2), optional
        Each neuron's position ``(x, y)`` in degrees of visual angle (its RF
        centre), written as the annotations ``x_deg`` and ``y_deg``.  For the
        spikes of a :class:`cortex.Population`'s responses, pass
        ``population.centers``: neuron ``j`` is type ``j // n_sites`` at
        mosaic site ``j % n_sites``, so its position is
        ``population.mosaic.centers[j % n_sites]``, i.e. the mosaic's centres
        repeated once per type, ``np.tile(population.mosaic.centers,
        (population.n_types, 1))``.
    units : {"s", "ms", "us"}, optional
        Time units of the Neo trains (spike times, ``t_start`` and
        ``t_stop``).  Seconds (the default) keep the times bit for bit;
        milliseconds and microseconds multiply them by 1e3 or 1e6, which
        rounds (so a round trip through :func:`from_neo` is then exact only
        to about 1 ulp).
    annotations : mapping, optional
        Further annotations given to every train (str keys; values of the
        types Neo accepts: numbers, strings, arrays, lists, dicts, ...).  They
        may not replace ``neuron``, ``x_deg`` or ``y_deg``.

    Returns
    -------
    list of neo.SpikeTrain
        Train ``i`` holds neuron ``i``'s spike times (sorted, float64) in
        ``units``, with ``t_start`` and ``t_stop`` those of ``trains``, and
        the annotations ``neuron`` (``i``, an int), ``x_deg`` and ``y_deg``
        (floats, when ``positions`` is given) and the user's.  Put them in a
        segment with ``segment.spiketrains = to_neo(trains)``.

    Raises
    ------
    ImportError
        If neo is not installed (``pip install 'cortex[neo]'``).
    TypeError
        If ``trains`` is not a SpikeTrains, ``positions`` is not numeric
        (booleans are refused), ``units`` is not a string, ``annotations``
        is not a mapping with str keys, or Neo refuses an annotation's
        value.
    ValueError
        If ``positions`` does not have shape ``(n_neurons, 2)`` or holds NaN
        or infinite values, ``units`` is not one of :data:`TIME_UNITS`, or
        ``annotations`` sets ``neuron``, ``x_deg`` or ``y_deg``.

    See Also
    --------
    from_neo : the inverse.

    Examples
    --------
    >>> import numpy as np
    >>> from cortex.neo_bridge import to_neo
    >>> from cortex.spikes import SpikeTrains
    >>> trains = SpikeTrains([0, 1, 0], [0.1, 0.2, 0.7], n_neurons=2, t_start=0.0, t_stop=1.0)
    >>> first, second = to_neo(trains, positions=[[-1.0, 0.5], [1.0, 0.5]])
    >>> first.magnitude, first.t_start.item(), first.t_stop.item()
    (array([0.1, 0.7]), 0.0, 1.0)
    >>> second.annotations
    {'neuron': 1, 'x_deg': 1.0, 'y_deg': 0.5}
    >>> to_neo(trains, units="ms")[0].magnitude
    array([100., 700.])
    """
    neo, _ = _require_neo()
    if not isinstance(trains, SpikeTrains):
        raise TypeError(
            f"`trains` must be a cortex.spikes.SpikeTrains, got {type(trains).__name__}"
        )
    where = None if positions is None else _check_positions(positions, trains.n_neurons)
    units = check_choice(units, "units", TIME_UNITS)
    extra = _check_annotations(annotations)
    scale = {"s": 1.0, "ms": 1e3, "us": 1e6}[units]

    def convert(value):  # seconds -> units; the identity (no arithmetic) for seconds
        return value if scale == 1.0 else value * scale

    t_start, t_stop = convert(trains.t_start), convert(trains.t_stop)
    out = []
    for i, times in enumerate(trains.per_neuron()):
        own: dict[str, Any] = {"neuron": i}
        if where is not None:
            own["x_deg"], own["y_deg"] = float(where[i, 0]), float(where[i, 1])
        try:
            train = neo.SpikeTrain(
                convert(times),
                t_stop=t_stop,
                t_start=t_start,
                units=units,
                dtype=np.float64,
                **own,
                **extra,
            )
        except ValueError as exc:
            if "annotation" not in str(exc).lower():
                raise  # pragma: no cover  (times are checked by SpikeTrains)
            raise TypeError(f"`annotations`: neo refuses a value ({exc})") from None
        out.append(train)
    return out


# -- neo -> cortex -------------------------------------------------------------------------
def _as_train_list(spiketrains: object, neo: Any) -> list:
    """The trains of a Segment, a list / tuple / SpikeTrainList, or one SpikeTrain."""
    if isinstance(spiketrains, neo.Segment):
        return list(spiketrains.spiketrains)
    if isinstance(spiketrains, neo.SpikeTrain):
        return [spiketrains]
    if isinstance(spiketrains, str | bytes | Mapping) or not isinstance(
        spiketrains, Sequence | neo.core.spiketrainlist.SpikeTrainList
    ):
        raise TypeError(
            "`spiketrains` must be a list of neo.SpikeTrain or a neo.Segment, got "
            f"{type(spiketrains).__name__}"
        )
    out = list(spiketrains)
    for i, train in enumerate(out):
        if not isinstance(train, neo.SpikeTrain):
            raise TypeError(
                f"`spiketrains[{i}]` must be a neo.SpikeTrain, got {type(train).__name__}"
            )
    return out


def _neuron_annotations(trains: list) -> np.ndarray | None:
    """The ``neuron`` annotation of every train (int64), None if no train has one."""
    has = ["neuron" in train.annotations for train in trains]
    if not any(has):
        return None
    if not all(has):
        missing = has.index(False)
        raise ValueError(
            f"`spiketrains[{missing}]` has no 'neuron' annotation while others have one: "
            "annotate every train with its neuron index, or none (then the list order is used)"
        )
    index = np.empty(len(trains), dtype=np.int64)
    for i, train in enumerate(trains):
        value = train.annotations["neuron"]
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
            raise TypeError(
                f"`spiketrains[{i}].annotations['neuron']` must be an int, got {_describe(value)}"
            )
        if value < 0:
            raise ValueError(
                f"`spiketrains[{i}].annotations['neuron']` must be >= 0, got {int(value)}"
            )
        index[i] = int(value)
    unique, counts = np.unique(index, return_counts=True)
    if np.any(counts > 1):
        raise ValueError(
            f"`spiketrains` must not repeat a neuron, got 'neuron' = "
            f"{int(unique[counts > 1][0])} on {int(counts.max())} trains"
        )
    return index


def _common_window(starts: np.ndarray, stops: np.ndarray) -> tuple[float, float]:
    """The shared ``(t_start, t_stop)`` in seconds: equal across trains up to rounding."""
    t_start, t_stop = float(starts.min()), float(stops.max())
    reach = max(abs(t_start), abs(t_stop), t_stop - t_start)
    for name, values in (("t_start", starts), ("t_stop", stops)):
        spread = float(values.max() - values.min())
        if spread > _WINDOW_RTOL * reach:
            other = int(np.argmax(values != values[0]))
            raise ValueError(
                f"`spiketrains` must share {name}, got {float(values[0])!r} s (train 0) and "
                f"{float(values[other])!r} s (train {other}); cut them to a common window first, "
                "e.g. with train.time_slice(t_start, t_stop)"
            )
    return t_start, t_stop


def from_neo(spiketrains: object, *, n_neurons: int | None = None) -> SpikeTrains:
    """Convert a list of ``neo.SpikeTrain`` (or a ``neo.Segment``) to SpikeTrains.

    Parameters
    ----------
    spiketrains : list of neo.SpikeTrain, neo.Segment or neo.SpikeTrain
        The trains, one per neuron, in any time units (each is rescaled to
        seconds; seconds are kept bit for bit).  A Segment gives its
        ``spiketrains``; a single SpikeTrain is one neuron.  Neuron indices
        come from the trains' ``neuron`` annotations when they have them (as
        :func:`to_neo` writes; then every train must have a distinct one),
        else from the list order.  Other annotations are not kept.
    n_neurons : int, optional
        Number of neurons of the result (>= 1), to include silent neurons
        that have no train.  Default: the largest ``neuron`` annotation + 1,
        else the number of trains.

    Returns
    -------
    SpikeTrains
        All spikes, in seconds.  ``t_start`` and ``t_stop`` are the trains'
        own, which must agree across trains (up to a relative 1e-12 of the
        window, the rounding of a unit conversion; then the smallest
        ``t_start`` and the largest ``t_stop`` are kept, so that every spike
        fits).  ``from_neo(to_neo(trains)) == trains`` exactly.

    Raises
    ------
    ImportError
        If neo is not installed (``pip install 'cortex[neo]'``).
    TypeError
        If ``spiketrains`` is neither a neo Segment, a neo SpikeTrain nor a
        list of neo SpikeTrains, a ``neuron`` annotation is not an int
        (booleans are refused), or ``n_neurons`` is not an int.
    ValueError
        If there are no trains; the trains' ``t_start`` or ``t_stop``
        differ; a spike lies at ``t_stop`` (Neo allows it, SpikeTrains hold
        spikes in ``[t_start, t_stop)``: slice the train, or extend
        ``t_stop``); some trains have a ``neuron`` annotation and others do
        not, or annotations repeat or are negative; ``n_neurons`` is < 1 or
        too small for the trains.

    See Also
    --------
    to_neo : the inverse.

    Examples
    --------
    >>> import neo
    >>> from cortex.neo_bridge import from_neo
    >>> segment = neo.Segment()
    >>> segment.spiketrains = [
    ...     neo.SpikeTrain([200.0, 500.0], t_stop=1000.0, units="ms"),
    ...     neo.SpikeTrain([0.1], t_stop=1.0, units="s"),
    ... ]
    >>> trains = from_neo(segment, n_neurons=3)
    >>> trains.neuron, trains.time, trains.n_neurons, trains.t_stop
    (array([1, 0, 0]), array([0.1, 0.2, 0.5]), 3, 1.0)
    """
    neo, pq = _require_neo()
    trains = _as_train_list(spiketrains, neo)
    if not trains:
        raise ValueError(
            "`spiketrains` must hold at least one neo.SpikeTrain (the recording window "
            "comes from the trains), got none"
        )
    annotated = _neuron_annotations(trains)
    index = annotated if annotated is not None else np.arange(len(trains), dtype=np.int64)
    needed = int(index.max()) + 1
    if n_neurons is None:
        n_neurons = needed
    else:
        n_neurons = check_integer(n_neurons, "n_neurons", minimum=1)
        if n_neurons < needed:
            what = (
                f"> the largest 'neuron' annotation ({needed - 1})"
                if annotated is not None
                else f">= the number of trains ({needed})"
            )
            raise ValueError(f"`n_neurons` must be {what}, got {n_neurons}")

    times, starts, stops = [], np.empty(len(trains)), np.empty(len(trains))
    for i, train in enumerate(trains):
        times.append(np.asarray(train.times.rescale(pq.s).magnitude, dtype=np.float64))
        starts[i] = train.t_start.rescale(pq.s).item()
        stops[i] = train.t_stop.rescale(pq.s).item()
    t_start, t_stop = _common_window(starts, stops)
    for i, values in enumerate(times):
        if values.size and values.max() >= t_stop:
            raise ValueError(
                f"`spiketrains[{i}]` has a spike at t_stop = {t_stop!r} s; cortex SpikeTrains "
                "hold spikes in [t_start, t_stop): drop it with "
                "train[train < train.t_stop], or give the train a later t_stop"
            )
    sizes = np.array([values.size for values in times], dtype=np.int64)
    neuron = np.repeat(index, sizes)
    time = np.concatenate(times) if times else np.zeros(0)
    return SpikeTrains(neuron, time, n_neurons, t_start, t_stop)

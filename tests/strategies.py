"""Hypothesis strategies and memory-budget helpers shared by the test modules."""

import math
import tracemalloc
from contextlib import contextmanager

import pytest
from hypothesis import strategies as st

import cortex

NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])


def log_uniform(low, high):
    """Floats spread over the decades of ``[low, high]`` (both > 0), ends included."""
    return st.one_of(
        st.sampled_from([low, high]),
        st.floats(math.log10(low), math.log10(high)).map(lambda e: min(max(10.0**e, low), high)),
    )


def outside(low, high, *, low_open=False):
    """Finite floats outside ``[low, high]`` (``low`` itself too when ``low_open``), + NaN/inf."""
    below = st.floats(max_value=low, exclude_max=not low_open, allow_infinity=False)
    above = st.floats(min_value=high, exclude_min=True, allow_infinity=False)
    return st.one_of(NON_FINITE, below, above)


@contextmanager
def budget(size):
    cortex.set_memory_budget(size)
    try:
        yield
    finally:
        cortex.set_memory_budget(None)


def refused_cheaply(call, match=None, limit=4 * 2**20):
    """``call()`` raises MemoryBudgetError, and tracemalloc's peak meanwhile stays < ``limit``."""
    tracemalloc.start()
    try:
        with pytest.raises(cortex.MemoryBudgetError, match=match):
            call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < limit, f"peak {peak} bytes during the refusal"

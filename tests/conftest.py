"""Shared test configuration: Agg backend, closed figures, seeded randomness, a small budget."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

import cortex  # noqa: E402

settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def rng():
    """A seeded generator: every test that draws random numbers is reproducible."""
    return np.random.default_rng(12345)


@pytest.fixture
def small_budget():
    cortex.set_memory_budget("64M")
    yield
    cortex.set_memory_budget(None)


@pytest.fixture(scope="session")
def cluster():
    """A real two-process dask.distributed LocalCluster and its client, closed at the end.

    Started on first use (tests/test_scale.py, tests/test_cli_respond.py) and
    shared by the session; skipped without the extra ``cortex[dask]``.
    """
    distributed = pytest.importorskip("distributed")
    local = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        memory_limit="1GiB",
        dashboard_address=":0",  # any free port: another cluster may hold 8787
    )
    client = distributed.Client(local, set_as_default=False)
    try:
        yield client
    finally:
        client.close()
        local.close()

"""cortex.analysis as a package: one module per concern, today's public names at the top."""

import importlib

import cortex
from cortex import analysis

# the names of the redesign (issue 10), the pRF experiment's (issue 14), then the analysis in
# time (issue 15)
PUBLIC = [
    "NOISES",
    "PARAMETERS",
    "RF_METHODS",
    "STATISTICS",
    "GaborFit",
    "GaussianFit",
    "HalfMaxRegion",
    "NakaRushtonFit",
    "RFEstimate",
    "TuningCurve",
    "Unit",
    "as_unit",
    "fit_gabor",
    "fit_gaussian",
    "fit_naka_rushton",
    "gabor_likeness",
    "half_max_region",
    "linear_receptive_field",
    "map_correlation",
    "preferred_grating",
    "rf_mapping_convergence",
    "spike_triggered_average",
    "tuning_curve",
]
PRF = [
    "PRFFit",
    "bar_sweep",
    "fit_prf",
    "prf_experiment",
    "prf_size_law",
    "voxel_response",
]
MOTION = [
    "DirectionTuning",
    "TemporalFrequencyTuning",
    "direction_tuning",
    "spatiotemporal_sta",
    "temporal_frequency_tuning",
    "xt_slice",
]
MODULES = ("targets", "tuning", "mapping", "fits", "prf", "motion", "direction", "spacetime")


def test_the_public_names_are_unchanged_and_reachable_every_way():
    assert len(analysis.__all__) == len(PUBLIC + PRF + MOTION)
    assert set(analysis.__all__) == set(PUBLIC + PRF + MOTION)
    for name in PUBLIC + PRF + MOTION:
        obj = getattr(cortex.analysis, name)
        namespace: dict = {}
        exec(f"from cortex.analysis import {name} as got", namespace)
        assert namespace["got"] is obj
    assert analysis.PARAMETERS == ("orientation", "spatial_frequency", "phase", "contrast")
    assert analysis.STATISTICS == ("auto", "max", "mean", "f1")
    assert analysis.RF_METHODS == ("sta", "whitened")
    assert analysis.NOISES == ("white", "pink")


def test_every_module_of_the_analysis_and_cli_packages_reads_at_a_glance():
    # the house rule of issue 10: one concern per module, well under 700 lines
    from pathlib import Path

    root = Path(cortex.__file__).parent
    sizes = {
        str(path.relative_to(root)): len(path.read_text(encoding="utf-8").splitlines())
        for package in ("analysis", "cli")
        for path in sorted((root / package).glob("*.py"))
    }
    assert len(sizes) >= 10
    too_long = {name: n for name, n in sizes.items() if n >= 700}
    assert not too_long, f"modules of 700 lines or more: {too_long}"
    # and the former paths still import what moved out of motion
    from cortex.analysis.motion import DirectionTuning, spatiotemporal_sta  # noqa: F401


def test_the_concern_modules_split_the_public_names_between_them():
    subs = [importlib.import_module(f"cortex.analysis.{m}") for m in MODULES]
    names = [name for sub in subs for name in sub.__all__]
    assert sorted(names) == sorted(PUBLIC + PRF + MOTION)  # each name defined in exactly one module
    for sub in subs:
        for name in sub.__all__:
            assert getattr(analysis, name) is getattr(sub, name)


def test_the_module_docstring_keeps_its_example():
    assert ">>> from cortex.analysis import tuning_curve" in analysis.__doc__

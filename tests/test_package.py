"""The top level: light and lazy, no module shadowed by a function."""

import subprocess
import sys
import textwrap

import pytest

import cortex


def _run(code):
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_cortex_loads_only_the_core():
    out = _run(
        """
        import sys
        import cortex
        heavy = ["matplotlib", "scipy.optimize", "scipy.signal", "cortex.nn", "cortex.analysis",
                 "cortex.plotting", "cortex.datasets", "cortex.stimuli", "cortex.cli", "skimage"]
        print(",".join(m for m in heavy if m in sys.modules))
        """
    )
    assert out == ""


@pytest.mark.parametrize("name", ["analysis", "datasets", "nn", "plotting", "stimuli", "cli", "scale"])
def test_subpackages_work_after_import_cortex_alone(name):
    out = _run(
        f"""
        import types
        import cortex
        module = cortex.{name}
        print(isinstance(module, types.ModuleType), module.__name__)
        """
    )
    assert out == f"True cortex.{name}"


def test_no_module_is_shadowed_by_a_function():
    assert callable(cortex.responses) and cortex.responses.__module__ == "cortex.population"
    out = _run(
        """
        import cortex.responses
        from cortex.responses import Population, linear_responses
        import cortex
        print(callable(cortex.responses), Population.__module__, linear_responses is cortex.linear_responses)
        """
    )
    assert out == "True cortex.population True"


def test_public_names_resolve_and_unknown_ones_raise():
    for name in cortex.__all__:
        assert getattr(cortex, name) is not None
    assert {"nn", "analysis", "plotting"} <= set(dir(cortex))
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        cortex.nope  # noqa: B018

"""The documentation's code runs and its API reference lists every public name."""

import doctest
import importlib
import importlib.util
import re
import types
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"

# Modules whose `__all__` the API reference (docs/api.rst) must cover.
DOCUMENTED_MODULES = [
    "cortex",
    "cortex.stimuli",
    "cortex.correlation",
    "cortex.nn",
    "cortex.datasets",
    "cortex.plotting",
    "cortex.scale",
    "cortex.mosaic_stats",
    "cortex.lattices",
    "cortex.presets",
    "cortex.published",
    "cortex.temporal",
    "cortex.movies",
    "cortex.dynamics",
    "cortex.spikes",
    "cortex.neo_bridge",
    "cortex.filternet",
]
if importlib.util.find_spec("cortex.analysis") is not None:
    DOCUMENTED_MODULES.append("cortex.analysis")


@pytest.mark.parametrize("name", ["tutorial.rst", "conventions.rst"])
def test_doc_examples_run(name):
    result = doctest.testfile(
        str(DOCS / name),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted > 0, f"docs/{name} has no >>> examples"
    assert result.failed == 0, f"{result.failed} of the examples in docs/{name} failed (see above)"


def _api_entries(text):
    """``(module, name)`` of every autosummary entry in an .rst file, skipping comments."""
    entries, module, in_autosummary = [], None, False
    for line in text.splitlines():
        directive = re.match(r"\.\. (?:current)?module:: (\S+)\s*$", line)
        if directive:
            module, in_autosummary = directive.group(1), False
        elif line.startswith(".. autosummary::"):
            in_autosummary = True
        elif in_autosummary:
            entry = re.match(r" {3}([A-Za-z_]\w*)\s*$", line)
            if entry:
                entries.append((module, entry.group(1)))
            elif line.strip() and not line.startswith(" "):
                in_autosummary = False  # the block ended
    return entries


def test_api_reference_lists_every_public_name():
    entries = _api_entries((DOCS / "api.rst").read_text(encoding="utf-8"))
    assert entries, "docs/api.rst has no autosummary entries"
    documented = set()
    for module_name, name in entries:
        module = importlib.import_module(module_name)
        assert hasattr(module, name), (
            f"docs/api.rst lists {module_name}.{name}, which does not exist"
        )
        documented.add(id(getattr(module, name)))
    missing = []
    for module_name in DOCUMENTED_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType):
                assert obj.__name__ in DOCUMENTED_MODULES, f"no section for module {obj.__name__}"
            elif id(obj) not in documented:  # re-exports may be documented under one name
                missing.append(f"{module_name}.{name}")
    assert not missing, f"docs/api.rst does not list: {', '.join(missing)}"

"""Sphinx configuration for cortex (numpydoc API reference + sphinx-gallery over ../examples).

Build with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.  The
build needs no network (no intersphinx) and runs every example at its small size
(``CORTEX_EXAMPLE_SMALL=1``) with matplotlib's Agg backend.
"""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))
# Examples run small (seconds, not minutes) and headless; they must not write
# figures anywhere else while sphinx-gallery collects them.
os.environ.setdefault("CORTEX_EXAMPLE_SMALL", "1")
os.environ["MPLBACKEND"] = "Agg"
os.environ.pop("CORTEX_FIGURES_DIR", None)

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from sphinx.errors import PycodeError  # noqa: E402
from sphinx.pycode import ModuleAnalyzer  # noqa: E402
from sphinx.util.docstrings import prepare_docstring  # noqa: E402

import cortex  # noqa: E402

project = "cortex"
author = "cortex developers"
copyright = "cortex developers"
release = version = cortex.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
# No sphinx.ext.intersphinx: it downloads the inventories of other projects,
# and the build must work offline.

templates_path = ["_templates"]
exclude_patterns = ["_build"]

# -- autodoc / autosummary / numpydoc -----------------------------------------
autosummary_generate = True
autodoc_typehints = "none"  # numpydoc's Parameters sections already give the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False  # members are documented by the class template
numpydoc_class_members_toctree = False


def _constant_docstring(app, what, name, obj, options, lines):
    """Document a constant with the ``#:`` comment of the module that defines it.

    autodoc reads ``#:`` comments only in the module it is asked about, so a
    constant re-exported by ``cortex/__init__.py`` (``cortex.LATTICES``) would
    otherwise get the docstring of its type (``tuple``).
    """
    if what != "data":
        return
    short = name.rpartition(".")[2]
    for modname in sorted(sys.modules):
        module = sys.modules[modname]
        if not (modname == "cortex" or modname.startswith("cortex.")):
            continue
        if getattr(module, short, None) is not obj:
            continue
        try:
            docs = ModuleAnalyzer.for_module(modname).find_attr_docs()
        except PycodeError:
            continue
        if ("", short) in docs:
            lines[:] = list(docs[("", short)])
            return
    if type(obj).__doc__ and "\n".join(lines).strip() == _prepare(type(obj).__doc__):
        lines.clear()  # never show the docstring of ``tuple`` as the constant's


def _prepare(doc):
    """A docstring as autodoc shows it, for comparisons."""
    return "\n".join(prepare_docstring(doc)).strip()


def setup(app):
    """Connect the constant-docstring hook."""
    app.connect("autodoc-process-docstring", _constant_docstring)


# -- sphinx-gallery ------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "write_computation_times": False,
}

# -- HTML ------------------------------------------------------------------------
html_theme = "alabaster"

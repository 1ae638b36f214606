"""Sphinx configuration for cortex (numpydoc API reference + sphinx-gallery over ../examples)."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))
os.environ.setdefault("CORTEX_EXAMPLE_SMALL", "1")

import cortex  # noqa: E402

project = "cortex"
author = "cortex developers"
release = version = cortex.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
numpydoc_show_class_members = False
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "scipy": ("https://docs.scipy.org/doc/scipy", None),
    "matplotlib": ("https://matplotlib.org/stable", None),
}
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
}
html_theme = "alabaster"
exclude_patterns = ["_build"]

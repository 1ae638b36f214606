"""Run every gallery example as a script, at small size, and check its layout."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("plot_*.py"))

pytestmark = pytest.mark.slow


def _ids(paths):
    return [path.stem for path in paths]


def test_examples_exist():
    assert EXAMPLES, f"no examples/plot_*.py found in {EXAMPLES_DIR}"
    assert (EXAMPLES_DIR / "README.txt").is_file()


@pytest.mark.parametrize("path", EXAMPLES, ids=_ids(EXAMPLES))
def test_example_runs(path, tmp_path):
    figures = tmp_path / "figures"
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    env.update(
        CORTEX_EXAMPLE_SMALL="1",
        MPLBACKEND="Agg",
        CORTEX_FIGURES_DIR=str(figures),
        PYTHONWARNINGS="default",  # show every warning once per location, never raise
    )
    result = subprocess.run(
        [sys.executable, str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{path.name} failed:\n{result.stderr}"
    # Warnings from cortex, or raised at a line of the example, are ours to fix;
    # other libraries may warn.
    ours = [
        line
        for line in result.stderr.splitlines()
        if "Warning" in line and ("cortex" in line or path.name in line)
    ]
    assert not ours, f"{path.name} warned:\n{result.stderr}"
    pngs = sorted(figures.glob("*.png"))
    assert pngs, f"{path.name} saved no figure in CORTEX_FIGURES_DIR"
    assert all(png.name.startswith(path.stem) for png in pngs)
    assert list(tmp_path.iterdir()) == [figures], "the example wrote files outside the figures dir"


@pytest.mark.parametrize("path", EXAMPLES, ids=_ids(EXAMPLES))
def test_example_layout(path):
    source = path.read_text(encoding="utf-8")
    docstring = ast.get_docstring(ast.parse(source), clean=True)
    assert docstring, f"{path.name} has no module docstring"
    lines = docstring.splitlines()
    assert len(lines) >= 3, f"{path.name}: the docstring needs a title, an underline and text"
    title, underline = lines[0].strip(), lines[1].strip()
    assert title, f"{path.name}: the docstring must start with a title line"
    assert set(underline) == {"="} and len(underline) >= len(title), (
        f"{path.name}: the title must be underlined with '=' at least as long as it"
    )
    assert any(line.strip() for line in lines[2:]), f"{path.name}: no text after the title"
    assert source.count("\n# %%") >= 2, f"{path.name} needs `# %%` cells"
    assert "plt.show()" not in source, f"{path.name} must not call plt.show()"

"""Tests of the command line (`python -m cortex`, console script `cortex`)."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cortex.__main__ import main  # noqa: E402

FILES = [
    "rf_kernels.png",
    "mosaic_tiling.png",
    "coverage.png",
    "responses_natural_image.png",
]


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _check_pngs(directory):
    for name in FILES:
        path = directory / name
        assert path.is_file(), name
        with open(path, "rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n", name
        image = mpimg.imread(path)
        assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100, name
        # Non-trivial content: many distinct colours, not a blank canvas.
        rgba = np.round(image * 255).astype(np.uint8)
        rgba = np.pad(rgba, ((0, 0), (0, 0), (0, 4 - rgba.shape[-1])))
        colours = np.unique(rgba.reshape(-1, 4).view(np.uint32))
        assert len(colours) > 50, name


def test_demo_small_in_process(tmp_path, capsys):
    out = tmp_path / "figures" / "nested"
    assert main(["demo", "--out", str(out), "--small", "--seed", "3"]) == 0
    _check_pngs(out)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[:4] == [str(out / name) for name in FILES]
    assert lines[4].startswith(f"wrote 4 figures to {out}")
    # Only the four PNGs: no temporary files left behind.
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert not plt.get_fignums()  # the CLI closes its figures


def test_help_mentions_demo(capsys):
    assert main(["--help"]) == 0
    assert "demo" in capsys.readouterr().out
    assert main(["demo", "--help"]) == 0
    text = capsys.readouterr().out
    for word in ["--out", "--small", "--seed", *FILES]:
        assert word in text


def test_no_command_prints_help(capsys):
    assert main([]) == 0
    assert "demo" in capsys.readouterr().out


def test_out_is_a_file_is_an_error(tmp_path, capsys):
    path = tmp_path / "taken.txt"
    path.write_text("not a directory")
    assert main(["demo", "--out", str(path), "--small"]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "not a directory" in err
    assert path.read_text() == "not a directory"


def test_bad_arguments_exit_2(tmp_path, capsys):
    assert main(["demo", "--small"]) == 2  # --out is required
    assert "--out" in capsys.readouterr().err
    assert main(["demo", "--out", str(tmp_path), "--seed", "-1"]) == 2
    assert "--seed" in capsys.readouterr().err
    assert main(["nonsense"]) == 2


def test_module_runs_as_a_subprocess(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "cortex", "demo", "--small", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    _check_pngs(tmp_path)
    for name in FILES:
        assert str(tmp_path / name) in result.stdout

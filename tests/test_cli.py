"""Tests of the command line (`python -m cortex`, console script `cortex`)."""

import json
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


# -- tuning, sta, train ------------------------------------------------------------------
TUNING_FILES = [
    "tuning_orientation.png",
    "tuning_spatial_frequency.png",
    "tuning_contrast.png",
    "tuning_phase.png",
    "summary.json",
]
STA_FILES = ["sta_estimate.png", "sta_convergence.png", "summary.json"]
TRAIN_FILES = ["model.npz", "learning_curve.png", "filters.png", "summary.json"]


def _run(argv, capsys):
    """Run the CLI in-process; return (stdout lines, stderr)."""
    assert main(argv) == 0
    captured = capsys.readouterr()
    return captured.out.strip().splitlines(), captured.err


def _check_outputs(out, names, lines):
    """The files exist (PNGs valid), nothing else is left, and their paths were printed."""
    for name in names:
        path = out / name
        assert path.is_file(), name
        if name.endswith(".png"):
            with open(path, "rb") as handle:
                assert handle.read(8) == b"\x89PNG\r\n\x1a\n", name
            image = mpimg.imread(path)
            assert image.ndim == 3 and min(image.shape[:2]) > 100, name
    assert sorted(p.name for p in out.iterdir()) == sorted(names)  # no temporary files
    assert lines[: len(names)] == [str(out / name) for name in names]
    assert lines[-1].startswith(f"wrote {len(names)} files to {out}")
    assert not plt.get_fignums()  # the CLI closes its figures
    with open(out / "summary.json", encoding="utf-8") as handle:
        return json.load(handle)


def _angle_difference(a, b, period=180.0):
    d = (a - b) % period
    return min(d, period - d)


def test_tuning_small(tmp_path, capsys):
    out = tmp_path / "tuning"
    argv = ["tuning", "--small", "--out", str(out), "--orientation", "37", "--c50", "0.3"]
    lines, err = _run(argv, capsys)
    summary = _check_outputs(out, TUNING_FILES, lines)
    assert err == ""
    assert summary["command"] == "tuning" and summary["warnings"] == []
    assert summary["arguments"]["orientation"] == 37.0
    curves = summary["curves"]
    assert list(curves) == ["orientation", "spatial_frequency", "contrast", "phase"]
    orientation = curves["orientation"]
    assert _angle_difference(orientation["preferred"][0], 37.0) < 2.0
    assert orientation["osi"][0] > 0.9 and 5 < orientation["hwhh_deg"][0] < 40
    assert orientation["modulation_ratio"][0] > 1  # a simple cell
    frequency = curves["spatial_frequency"]
    assert abs(np.log2(frequency["preferred"][0] / 2.0)) < 0.15
    assert 0.5 < frequency["bandwidth_octaves"][0] < 2.0  # 1-octave Gabor
    contrast = curves["contrast"]
    assert contrast["c50"][0] == pytest.approx(0.3, rel=1e-3)
    assert contrast["fit_converged"] == [True] and contrast["fit_r2"][0] > 0.999
    assert len(curves["phase"]["values"]) == len(curves["phase"]["responses"][0])


def test_tuning_complex_cell_subset(tmp_path, capsys):
    out = tmp_path / "complex"
    argv = ["tuning", "--small", "--rf", "complex", "--parameters", "contrast,orientation"]
    lines, _ = _run([*argv, "--out", str(out), "--orientation", "120"], capsys)
    names = ["tuning_contrast.png", "tuning_orientation.png", "summary.json"]
    summary = _check_outputs(out, names, lines)
    curves = summary["curves"]
    assert list(curves) == ["contrast", "orientation"]
    assert curves["orientation"]["modulation_ratio"][0] < 1  # a complex cell
    assert _angle_difference(curves["orientation"]["preferred"][0], 120.0) < 2.0
    # the energy grows as contrast**2, so the fitted exponent doubles but c50 is kept
    assert curves["contrast"]["c50"][0] == pytest.approx(0.2, rel=1e-3)
    assert curves["contrast"]["exponent"][0] == pytest.approx(4.0, rel=1e-3)


def test_sta_small(tmp_path, capsys):
    out = tmp_path / "sta"
    lines, err = _run(["sta", "--small", "--out", str(out), "--seed", "1"], capsys)
    summary = _check_outputs(out, STA_FILES, lines)
    assert err == ""
    assert summary["method"] == "sta" and summary["noise"] == "white"
    counts, corr = summary["counts"], summary["correlation"]
    assert counts[-1] == summary["n_stimuli"] == 2000 and counts == sorted(set(counts))
    assert len(corr) == len(counts)
    # measured: 0.81-0.83 over seeds 0-5 (r grows like sqrt(n) at first)
    assert summary["final_correlation"] == corr[-1] > 0.7
    assert corr[-1] > corr[0] + 0.3
    fit = summary["fit"]
    assert fit["model"] == "gabor" and fit["converged"] and fit["r2"] > 0.5
    assert _angle_difference(fit["orientation"], 30.0) < 5.0
    assert abs(fit["spatial_frequency"] - 2.0) < 0.2
    regions = summary["half_max_region"]
    assert regions["estimate"]["sign"] == regions["true"]["sign"] == 1
    assert np.hypot(*regions["estimate"]["center"]) < 0.1  # deg


def test_sta_whitened_dog(tmp_path, capsys):
    out = tmp_path / "dog"
    argv = ["sta", "--small", "--rf", "dog", "--method", "whitened", "--noise", "pink"]
    lines, _ = _run(
        [*argv, "--n-stimuli", "800", "--alpha", "0.5", "--ppd", "10", "--out", str(out)], capsys
    )
    summary = _check_outputs(out, STA_FILES, lines)
    assert summary["method"] == "whitened" and summary["alpha"] == 0.5
    assert summary["counts"][-1] == 800
    assert summary["final_correlation"] > 0.6
    fit = summary["fit"]
    assert fit["model"] == "gaussian" and fit["amplitude"] > 0  # ON centre
    assert fit["size"] < 0.2  # deg; the centre sigma is 0.059 deg


def test_sta_neuron_that_never_responds(tmp_path, capsys):
    # with 2 noise images (seed 7) the rectified Gabor never fires: reported, not a crash
    out = tmp_path / "silent"
    lines, err = _run(
        ["sta", "--small", "--n-stimuli", "2", "--seed", "7", "--out", str(out)], capsys
    )
    summary = _check_outputs(out, STA_FILES, lines)
    assert "never responded" in err and "never responded" in summary["warnings"][0]
    assert summary["correlation"] == [None] and summary["final_correlation"] is None
    assert summary["fit"] is None and summary["half_max_region"]["estimate"] is None


def test_train_small(tmp_path, capsys):
    from cortex.nn import load_model, predict

    out = tmp_path / "train"
    lines, err = _run(["train", "--small", "--out", str(out), "--seed", "2"], capsys)
    summary = _check_outputs(out, TRAIN_FILES, lines)
    assert err == ""
    history = summary["history"]
    assert summary["epochs"] == 2
    assert all(len(history[key]) == 2 for key in ("loss", "accuracy", "val_loss", "val_accuracy"))
    assert history["loss"][1] < history["loss"][0]
    assert summary["test_accuracy"] > 0.5  # chance is 0.1; measured 0.79
    assert summary["data"]["n_train"] == 400
    likeness = summary["gabor_likeness"]
    assert likeness["threshold"] == 0.8
    assert likeness["trained"] > likeness["random_init"]
    assert len(likeness["r2_trained"]) == len(likeness["r2_random_init"]) == 8
    model = load_model(out / "model.npz")
    x = np.zeros((3, 1, 8, 8), np.float32)
    assert predict(model, x).shape == (3, 10)


def test_train_diverging_is_an_error(tmp_path, capsys):
    assert main(["train", "--small", "--lr", "1e30", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "training diverged with --lr 1e+30" in err and "Traceback" not in err
    assert not plt.get_fignums()


def test_train_without_data_extra(tmp_path, capsys, monkeypatch):
    import cortex.datasets

    def missing():
        raise ImportError("this data set needs 'scikit-learn': pip install \"cortex[data]\"")

    monkeypatch.setattr(cortex.datasets, "load_digits", missing)
    out = tmp_path / "none"
    assert main(["train", "--small", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert "cortex[data]" in captured.err and "Traceback" not in captured.err
    assert captured.out == ""
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "argument", "value"),
    [
        (["tuning", "--field", "-1"], "--field", "-1"),
        (["tuning", "--sf", "nan"], "--sf", "nan"),
        (["tuning", "--ppd", "inf"], "--ppd", "inf"),
        (["tuning", "--ppd", "0"], "--ppd", "0"),
        (["tuning", "--c50", "1.5"], "--c50", "1.5"),
        (["tuning", "--rf", "simple"], "--rf", "simple"),
        (["tuning", "--parameters", "orientation,size"], "--parameters", "size"),
        (["tuning", "--sf", "9"], "--sf", "9"),  # above Nyquist (8 cycles/deg at 16 px/deg)
        (["tuning", "--field", "0.5"], "--field", "0.5"),  # smaller than the RF
        (["tuning", "--rf", "dog", "--sf", "5"], "--sf", "5"),  # DoG under half a pixel
        (["tuning", "--seed", "-2"], "--seed", "-2"),
        (["sta", "--n-stimuli", "0"], "--n-stimuli", "0"),
        (["sta", "--n-stimuli", "1"], "--n-stimuli", "1"),  # a covariance needs two
        (["sta", "--n-stimuli", "1e3"], "--n-stimuli", "1e3"),
        (["sta", "--alpha", "-0.5"], "--alpha", "-0.5"),
        (["sta", "--rf", "complex"], "--rf", "complex"),
        (["sta", "--noise", "brown"], "--noise", "brown"),
        (["sta", "--method", "whitened", "--field", "6"], "--method", "whitened"),
        (["train", "--epochs", "2.5"], "--epochs", "2.5"),
        (["train", "--epochs", "0"], "--epochs", "0"),
        (["train", "--batch-size", "-8"], "--batch-size", "-8"),
        (["train", "--lr", "nan"], "--lr", "nan"),
    ],
)
def test_bad_arguments_name_the_argument(tmp_path, capsys, argv, argument, value):
    out = tmp_path / "never"
    assert main([*argv, "--small", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    message = captured.err.strip().splitlines()[-1]
    assert message.startswith(f"cortex {argv[0]}: error: argument {argument}")
    assert value in message and "Traceback" not in captured.err
    assert not out.exists()  # nothing is created for a rejected command


@pytest.mark.parametrize("command", ["tuning", "sta", "train"])
def test_out_that_cannot_be_a_directory(tmp_path, capsys, command):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main([command, "--small", "--out", str(blocker)]) == 2
    assert "argument --out" in capsys.readouterr().err
    assert main([command, "--small", "--out", str(blocker / "sub")]) == 2
    assert "cannot create directory" in capsys.readouterr().err
    assert blocker.read_text() == "x"


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("tuning", ["--rf", "--sf", "--orientation", "--field", "--ppd", "--parameters", "--c50"]),
        ("sta", ["--n-stimuli", "--method", "--noise", "--alpha", "whitened", "pink"]),
        ("train", ["--epochs", "--batch-size", "--lr", "model.npz", "cortex[data]"]),
    ],
)
def test_help_of_each_command(capsys, command, words):
    assert main(["--help"]) == 0
    assert command in capsys.readouterr().out
    assert main([command, "--help"]) == 0
    text = capsys.readouterr().out
    for word in ["--out", "--small", "--seed", "summary.json", "default", *words]:
        assert word in text, word


def test_tuning_as_a_subprocess_emits_no_warnings(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-m",
            "cortex",
            "tuning",
            "--small",
            "--parameters",
            "orientation",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert str(tmp_path / "tuning_orientation.png") in result.stdout
    with open(tmp_path / "summary.json", encoding="utf-8") as handle:
        assert json.load(handle)["curves"]["orientation"]["silent"] == [False]


# -- the package layout: entry points, light imports -------------------------------------
def test_python_m_cortex_help():
    result = subprocess.run(
        [sys.executable, "-m", "cortex", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: cortex")
    for command in ["demo", "tuning", "sta", "train"]:
        assert command in result.stdout
    assert result.stderr == ""


def test_import_and_help_stay_light():
    # `import cortex.cli` and `cortex --help` load neither matplotlib nor the heavy subpackages
    heavy = ["matplotlib", "cortex.nn", "cortex.analysis", "cortex.datasets", "cortex.plotting"]
    code = (
        "import contextlib, io, sys\n"
        "import cortex.cli\n"
        f"heavy = {heavy!r}\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert cortex.cli.main(['--help']) == 0\n"
        "    assert cortex.cli.main(['tuning', '--help']) == 0\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[]", "[]"]


def test_entry_points_are_the_same_main():
    import tomllib
    from importlib import import_module
    from pathlib import Path

    import cortex.__main__
    import cortex.cli

    assert cortex.__main__.main is cortex.cli.main is main
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    with open(pyproject, "rb") as handle:
        target = tomllib.load(handle)["project"]["scripts"]["cortex"]
    module, _, name = target.partition(":")
    assert getattr(import_module(module), name) is main


def test_argument_types_report_the_validation_message():
    import argparse

    from cortex.cli.parser import count, number, parameter_list, positive

    assert positive("2.5") == 2.5 and count("3") == 3
    assert parameter_list(" phase,contrast,phase ") == ("phase", "contrast")
    cases = [
        (positive, "nan", "must be a finite number > 0, got 'nan'"),
        (count, "1e3", "must be an integer >= 1, got '1e3'"),
        (number(minimum=0, strict=True, maximum=1), "2", "must be a finite number > 0 and <= 1"),
        (parameter_list, "size", "unknown parameter 'size' in 'size'; choose from orientation"),
        (parameter_list, ",", "must name at least one of orientation"),
    ]
    for convert, text, message in cases:
        with pytest.raises(argparse.ArgumentTypeError) as info:
            convert(text)
        assert str(info.value).startswith(message)

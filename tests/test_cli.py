"""Tests of the command line (`python -m cortex`, console script `cortex`)."""

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import cortex  # noqa: E402
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


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch):
    # the CLI reads these: a developer's settings must not change the tests
    monkeypatch.delenv("CORTEX_DEBUG", raising=False)
    monkeypatch.delenv("CORTEX_MEMORY_BUDGET", raising=False)


def _environment():
    """The environment of the subprocesses: without the CLI's debugging and budget settings."""
    return {
        k: v for k, v in os.environ.items() if k not in ("CORTEX_DEBUG", "CORTEX_MEMORY_BUDGET")
    }


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


# -- no traceback for any user error (issue 11) ------------------------------------------
HUGE_INT = str(10**30)

#: (argv without --out, exit code, argument named, value quoted). Extreme finite values for
#: every numeric option of every command, argparse's negative-number pitfall, combinations
#: that only the science refuses.
BAD_INVOCATIONS = [
    # tuning
    (["tuning", "--sf", "1e308"], 2, "--sf", "1e308"),
    (["tuning", "--sf", "-1e308"], 2, "--sf", "-1e308"),
    (["tuning", "--sf", "5e-324"], 2, "--sf", "5e-324"),
    (["tuning", "--sf", "1e-300"], 2, "--sf", "1e-300"),
    (["tuning", "--sf", "1e-5"], 2, "--sf", "1e-5"),  # kernel of millions of pixels
    (["tuning", "--rf", "dog", "--sf", "5e-324"], 2, "--sf", "5e-324"),
    (["tuning", "--rf", "complex", "--sf", "1e-300"], 2, "--sf", "1e-300"),
    (["tuning", "--ppd", "1e308", "--sf", "1e-300"], 2, "--ppd", "1e308"),  # from the issue
    (["tuning", "--ppd", "1e-300", "--sf", "1e-301"], 2, "--ppd", "1e-300"),
    (["tuning", "--ppd", "5e-324"], 2, "--ppd", "5e-324"),
    (["tuning", "--ppd", "-1"], 2, "--ppd", "-1"),
    (["tuning", "--orientation", "1e308"], 2, "--orientation", "1e308"),
    (["tuning", "--orientation", "-1e308"], 2, "--orientation", "-1e308"),
    (["tuning", "--field", "1e308"], 2, "--field", "1e308"),  # overflowed to inf px
    (["tuning", "--field", "5e-324"], 2, "--field", "5e-324"),
    (["tuning", "--field", "33"], 2, "--field", "33"),  # 528 px, over the 512 px maximum
    (["tuning", "--field", "1"], 2, "--field", "1"),  # smaller than the RF
    (["tuning", "--c50", "5e-324"], 2, "--c50", "5e-324"),
    (["tuning", "--c50", "1e-300"], 2, "--c50", "1e-300"),
    (["tuning", "--c50", "1e308"], 2, "--c50", "1e308"),
    (["tuning", "--seed", "-1e308"], 2, "--seed", "-1e308"),
    (["tuning", "--seed", "1e308"], 2, "--seed", "1e308"),
    # sta
    (["sta", "--sf", "5e-324"], 2, "--sf", "5e-324"),
    (["sta", "--field", "1e308"], 2, "--field", "1e308"),
    (["sta", "--ppd", "1e308"], 2, "--ppd", "1e308"),
    (["sta", "--orientation", "1e308"], 2, "--orientation", "1e308"),
    (["sta", "--n-stimuli", HUGE_INT], 2, "--n-stimuli", HUGE_INT),
    (["sta", "--n-stimuli", "-1e308"], 2, "--n-stimuli", "-1e308"),
    (["sta", "--alpha", "1e308"], 2, "--alpha", "1e308"),
    (["sta", "--alpha", "-5e-324"], 2, "--alpha", "-5e-324"),
    (["sta", "--method", "whitened", "--field", "32", "--ppd", "16"], 2, "--method", "whitened"),
    # train
    (["train", "--epochs", HUGE_INT], 2, "--epochs", HUGE_INT),
    (["train", "--epochs", "1e308"], 2, "--epochs", "1e308"),
    (["train", "--batch-size", HUGE_INT], 2, "--batch-size", HUGE_INT),
    (["train", "--batch-size", "401"], 2, "--batch-size", "401"),  # 400 digits with --small
    (["train", "--lr", "1e309"], 2, "--lr", "1e309"),  # inf
    (["train", "--lr", "-1e308"], 2, "--lr", "-1e308"),
    (["train", "--lr", "5e-324", "--epochs", "-1"], 2, "--epochs", "-1"),
    # demo
    (["demo", "--seed", "-1"], 2, "--seed", "-1"),
    (["demo", "--seed", "1e308"], 2, "--seed", "1e308"),
    # --out
    (["tuning", "--out", ""], 2, "--out", "''"),
    (["sta", "--out", "/dev/null"], 2, "--out", "/dev/null"),
    (["demo", "--out", "/dev/null/sub"], 2, "--out", "/dev/null/sub"),
    (["train", "--out", "/tmp/" + "x" * 300], 2, "--out", "x" * 300),  # name too long
]


def _invoke(argv, out):
    command = [sys.executable, "-m", "cortex", *argv, "--small"]
    if "--out" not in argv:
        command += ["--out", str(out)]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=300, check=False, env=_environment()
    )


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory):
    """Every bad invocation, run as a subprocess (three at a time)."""
    base = tmp_path_factory.mktemp("bad")
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [
            pool.submit(_invoke, argv, base / f"out{i}")
            for i, (argv, *_) in enumerate(BAD_INVOCATIONS)
        ]
        runs = [future.result() for future in futures]
    return {i: (run, base / f"out{i}") for i, run in enumerate(runs)}


@pytest.mark.parametrize(
    ("index", "argv", "code", "argument", "value"),
    [(i, *case) for i, case in enumerate(BAD_INVOCATIONS)],
    ids=[" ".join(case[0])[:60] for case in BAD_INVOCATIONS],
)
def test_bad_invocation_one_line_no_traceback(bad_runs, index, argv, code, argument, value):
    run, out = bad_runs[index]
    assert run.returncode == code, run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    message = lines[0]
    assert message.startswith(f"cortex {argv[0]}: error: "), message
    assert argument in message, message
    shown = [value]
    try:
        shown.append(f"{float(value):g}")
    except ValueError:
        pass
    assert any(text in message for text in shown), message
    assert run.stdout == ""
    assert not out.exists()  # nothing is created for a refused command


@pytest.mark.parametrize(
    ("argv", "text"),
    [
        (["nonsense"], "invalid choice"),
        (["tuning", "--small"], "the following arguments are required: --out"),
        (["tuning", "--rf", "simple"], "argument --rf: invalid choice: 'simple'"),
        (["sta", "--noise", "brown"], "argument --noise: invalid choice: 'brown'"),
    ],
)
def test_parser_errors_are_one_line(tmp_path, capsys, argv, text):
    out = [] if argv == ["nonsense"] or "--small" in argv else ["--out", str(tmp_path / "x")]
    assert main([*argv, *out]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and text in err  # no usage dump


def test_malformed_memory_budget_variable_is_named(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CORTEX_MEMORY_BUDGET", "lots")
    out = tmp_path / "never"
    assert main(["tuning", "--small", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "CORTEX_MEMORY_BUDGET" in err[0] and "'lots'" in err[0]
    assert not out.exists()


def _read_marker(out):
    return (out / "INCOMPLETE").read_text(encoding="utf-8")


def test_over_the_memory_budget_during_the_run_exits_1(tmp_path, capsys, monkeypatch):
    # the neuron fits in 2 MiB, the (pixels x pixels) system of the whitened estimate cannot
    # be streamed: refused when the run gets there
    monkeypatch.setenv("CORTEX_MEMORY_BUDGET", "2M")
    out = tmp_path / "budget"
    assert main(["sta", "--small", "--method", "whitened", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err
    assert lines[0].startswith("cortex sta: error: ") and "memory budget of 2 MiB" in lines[0]
    assert "CORTEX_MEMORY_BUDGET" in lines[0] and "--method whitened" in lines[0]
    assert captured.out == ""
    assert "failed: MemoryBudgetError" in _read_marker(out)
    assert not (out / "summary.json").exists()


def _fail_after_one_figure(exc):
    """A stand-in for a command's run: write one figure, then raise ``exc``."""

    def run(args, prepared, writer):
        fig = plt.figure()
        writer.figure(fig, "tuning_orientation.png")
        raise exc

    return run


@pytest.mark.parametrize(
    ("exc", "text"),
    [
        (ValueError("`values` must be finite, got 1 NaN"), "`values` must be finite, got 1 NaN"),
        (TypeError("`x` must be an array"), "`x` must be an array"),
        (OverflowError("math range error"), "OverflowError: math range error"),
        (MemoryError(), "out of memory"),
        (
            cortex.MemoryBudgetError("the sweep would need 6.4 GiB, over the memory budget"),
            "the sweep would need 6.4 GiB, over the memory budget (arguments: --small",
        ),
        (OSError(28, "No space left on device"), "cannot write the output"),
    ],
)
def test_library_errors_during_the_run_exit_1(tmp_path, capsys, monkeypatch, exc, text):
    from cortex.cli import tuning

    monkeypatch.setattr(tuning, "run", _fail_after_one_figure(exc))
    out = tmp_path / "failed"
    assert main(["tuning", "--small", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and text in lines[0] and "Traceback" not in captured.err
    assert lines[0].startswith("cortex tuning: error: ")
    # the directory says it is partial: the figure written is listed, summary.json is missing
    marker = _read_marker(out)
    assert f"failed: {type(exc).__name__}" in marker
    assert "wrote 1 of the 5 files" in marker and "tuning_orientation.png" in marker
    assert "missing: tuning_spatial_frequency.png" in marker and "summary.json" in marker
    assert sorted(p.name for p in out.iterdir()) == ["INCOMPLETE", "tuning_orientation.png"]


def test_cortex_debug_reraises_with_the_traceback(tmp_path, monkeypatch):
    from cortex.cli import tuning

    monkeypatch.setattr(tuning, "run", _fail_after_one_figure(ValueError("the library says no")))
    monkeypatch.setenv("CORTEX_DEBUG", "1")
    out = tmp_path / "debug"
    with pytest.raises(ValueError, match="the library says no"):
        main(["tuning", "--small", "--out", str(out)])
    assert "failed: ValueError" in _read_marker(out)  # marked partial all the same


def test_bugs_keep_their_traceback(tmp_path, monkeypatch):
    from cortex.cli import tuning

    monkeypatch.setattr(tuning, "run", _fail_after_one_figure(AttributeError("a bug")))
    out = tmp_path / "bug"
    with pytest.raises(AttributeError, match="a bug"):
        main(["tuning", "--small", "--out", str(out)])
    assert "failed: AttributeError: a bug" in _read_marker(out)


def test_help_documents_exit_status_debugging_and_partial_output(capsys):
    for argv in (["--help"], ["tuning", "--help"], ["demo", "--help"]):
        assert main(argv) == 0
        text = capsys.readouterr().out
        for word in ["exit status", "130", "CORTEX_DEBUG=1", "INCOMPLETE", "CORTEX_MEMORY_BUDGET"]:
            assert word in text, (argv, word)


def test_a_rerun_replaces_a_stale_marker_and_summary(tmp_path, capsys):
    out = tmp_path / "again"
    out.mkdir()
    (out / "INCOMPLETE").write_text("cortex sta did not finish: interrupted (Ctrl-C).\n")
    lines, _ = _run(["sta", "--small", "--n-stimuli", "100", "--out", str(out)], capsys)
    _check_outputs(out, STA_FILES, lines)  # no INCOMPLETE left


# -- Ctrl-C ------------------------------------------------------------------------------
def test_keyboard_interrupt_in_process(tmp_path, capsys, monkeypatch):
    from cortex.cli import tuning

    monkeypatch.setattr(tuning, "run", _fail_after_one_figure(KeyboardInterrupt()))
    out = tmp_path / "interrupted"
    handler = signal.getsignal(signal.SIGINT)
    assert main(["tuning", "--small", "--out", str(out)]) == 130
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err
    assert lines[0] == (
        f"cortex tuning: interrupted; {out} is incomplete: 1 of 5 files written, "
        f"marked by {out / 'INCOMPLETE'}"
    )
    marker = _read_marker(out)
    assert "did not finish: interrupted (Ctrl-C)" in marker and "tuning_orientation.png" in marker
    assert signal.getsignal(signal.SIGINT) is handler  # restored after the clean-up


def test_keyboard_interrupt_before_writing(tmp_path, capsys, monkeypatch):
    from cortex.cli import tuning

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(tuning, "setup", interrupted)
    out = tmp_path / "never"
    assert main(["tuning", "--small", "--out", str(out)]) == 130
    assert capsys.readouterr().err == "cortex tuning: interrupted; nothing was written\n"
    assert not out.exists()


def _default_sigint():  # pragma: no cover - runs in the child
    # a shell's background job may ignore SIGINT; Python installs its handler only if not
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_while_writing_exits_130_and_marks_out_partial(tmp_path):
    out = tmp_path / "ctrl-c"
    # a large field (256 px a side): the curves after the first take seconds to interrupt
    command = ["tuning", "--field", "16", "--ppd", "16", "--out", str(out)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "cortex", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(),
        preexec_fn=_default_sigint,
    )
    first = out / "tuning_orientation.png"
    deadline = time.monotonic() + 240
    try:
        while not first.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the first figure never appeared"
            time.sleep(0.01)
        assert (out / "INCOMPLETE").exists()  # marked before the first file
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"cortex tuning: interrupted; {out} is incomplete: ")
    assert "of 5 files written" in lines[0]
    assert stdout == ""  # the paths are printed only for a complete run
    marker = _read_marker(out)
    assert "did not finish: interrupted (Ctrl-C)" in marker and "tuning_orientation.png" in marker
    assert not (out / "summary.json").exists()
    names = {p.name for p in out.iterdir()}
    assert names <= {"INCOMPLETE", *TUNING_FILES}  # no temporary files left behind
    image = mpimg.imread(first)  # the files written are complete
    assert image.ndim == 3


def test_broken_stdout_pipe_is_quiet(tmp_path):
    out = tmp_path / "pipe"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cortex", "demo", "--small", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_environment(),
    )
    proc.stdout.close()  # as `cortex demo ... | head -0` would
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 1
    assert "Traceback" not in stderr and stderr == ""
    _check_pngs(out)
    assert not (out / "INCOMPLETE").exists()  # the files were complete before printing


# -- training that diverges -------------------------------------------------------------
def test_train_fit_raising_floating_point_error_exits_1(tmp_path, capsys, monkeypatch):
    import cortex.nn

    def diverging(*args, **kwargs):
        raise FloatingPointError("epoch 1, batch 3: the loss became inf")

    monkeypatch.setattr(cortex.nn, "fit", diverging)
    out = tmp_path / "fpe"
    assert main(["train", "--small", "--lr", "5", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert captured.err == (
        "cortex train: error: training diverged with --lr 5: epoch 1, batch 3: the loss "
        "became inf; try a smaller --lr\n"
    )
    assert captured.out == ""
    assert "did not finish: failed: training diverged with --lr 5" in _read_marker(out)
    assert sorted(p.name for p in out.iterdir()) == ["INCOMPLETE"]  # no model.npz, no summary
    assert not plt.get_fignums()


def test_train_divergence_warning_is_a_failure(tmp_path, capsys, monkeypatch):
    import cortex.nn

    calls = []

    def exploding(*args, **kwargs):
        calls.append(1)
        warnings.warn(
            "training diverges: the loss reached 1e13, over 1000 times the first batch's",
            cortex.nn.DivergenceWarning,
            stacklevel=2,
        )
        calls.append(2)  # not reached: the warning stops the training
        return cortex.nn.History()

    monkeypatch.setattr(cortex.nn, "fit", exploding)
    out = tmp_path / "warned"
    assert main(["train", "--small", "--lr", "1e6", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err
    assert lines[0].startswith("cortex train: error: training diverged with --lr 1e+06: ")
    assert "the loss reached 1e13" in lines[0] and lines[0].endswith("try a smaller --lr")
    assert calls == [1]
    assert not (out / "summary.json").exists() and (out / "INCOMPLETE").exists()


def test_train_with_a_huge_learning_rate_fails_for_real(tmp_path):
    out = tmp_path / "huge-lr"
    result = subprocess.run(
        [sys.executable, "-m", "cortex", "train", "--small", "--lr", "1e6", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=_environment(),
    )
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cortex train: error: training diverged")
    assert "try a smaller --lr" in lines[0]
    assert not (out / "summary.json").exists() and (out / "INCOMPLETE").exists()


# -- memory: the documented maxima run within 2 GB ----------------------------------------
def test_tuning_at_its_documented_maximum_stays_under_2_gb(tmp_path):
    # the example: 512 x 512 px (--field 32 --ppd 16) peaked at 6.4 GB. The other
    # maxima take minutes: benchmarks/cli_memory.py measures them all.
    out = tmp_path / "max"
    with open(tmp_path / "stderr.txt", "w+b") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cortex", "tuning", "--field", "32", "--ppd", "16"]
            + ["--out", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=_environment(),
        )
        _, status, usage = os.wait4(proc.pid, 0)  # the rusage of this child alone
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode()
    assert proc.returncode == 0, stderr
    peak = usage.ru_maxrss * 1024  # KiB on Linux
    assert peak < 2 * 1024**3, f"peak RSS {peak / 1024**2:.0f} MiB"
    with open(out / "summary.json", encoding="utf-8") as handle:
        assert json.load(handle)["neuron"]["field_px"] == [512, 512]

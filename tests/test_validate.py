"""cortex.validate (cortex.published) and `cortex validate`: simulated against published values."""

import json
import math

import pytest

from cortex.cli import main
from cortex.published import Check


def test_check_verdicts():
    assert Check("a", "s", 1.0, 1.05, 0.1, True).passed
    assert not Check("a", "s", 1.0, 1.15, 0.1, True).passed
    assert Check("a", "s", 0.02, 0.06, 0.05, False).passed
    assert not Check("a", "s", 0.02, 0.08, 0.05, False).passed
    assert Check("a", "s", math.inf, math.inf, 100.0, False).passed
    assert not Check("a", "s", math.inf, 12.0, 100.0, False).passed
    assert not Check("a", "s", 1.0, math.nan, 0.1, True).passed
    assert Check("a", "s", 1.0, 1.05, 0.1, True).tolerance_text() == "±10%"
    assert Check("a", "s", 0.5, 0.5, 0.05, False, "deg").tolerance_text() == "±0.05 deg"


def test_cortex_validate_small_writes_a_passing_report(tmp_path, capsys):
    # the whole report at a small size, through the command line
    assert main(["validate", "--small", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["summary.json", "validate.json", "validate.md", "validate_prf.png"]
    report = json.loads((tmp_path / "validate.json").read_text())
    checks = {c["name"]: c for c in report["checks"]}
    assert len(checks) == 16
    for area in ("V1", "V2", "V3", "hV4"):
        assert checks[f"{area} pRF size slope"]["passed"]
        assert checks[f"{area} pRF size intercept"]["passed"]
    assert checks["AlexNet pool5 RF size"]["simulated"] == 195
    assert checks["AlexNet pool5 jump"]["simulated"] == 32
    assert checks["regularity index, hexagonal lattice"]["published"] is None  # inf in JSON
    assert report["passed"] is True
    table = (tmp_path / "validate.md").read_text()
    assert table.count("| pass |") == 16
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["n_passed"] == summary["n_checks"] == 16
    assert "16 of 16 checks pass" in out


def test_validate_rejects_bad_arguments():
    from cortex import validate

    with pytest.raises(TypeError, match="`small`"):
        validate(small="yes")
    with pytest.raises(ValueError, match="`seed` must be >= 0"):
        validate(seed=-1)

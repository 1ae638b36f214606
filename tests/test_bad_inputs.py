"""Every bad input in tests/bad_inputs.py gets a clear error (run in isolated child processes)."""

import json
import subprocess
import sys
from pathlib import Path

HARNESS = Path(__file__).with_name("bad_inputs.py")


def test_every_bad_input_is_refused_clearly():
    result = subprocess.run(
        [sys.executable, str(HARNESS), "--json"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) > 400  # the harness ran its cases, not an empty selection
    unclear = [f"[{r['category']}] {r['group']}: {r['case']} -> {r['detail']}" for r in rows
               if r["category"] != "clear"]
    assert not unclear, f"{len(unclear)} of {len(rows)} bad inputs not refused clearly:\n" + (
        "\n".join(unclear)
    )

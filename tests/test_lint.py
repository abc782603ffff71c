"""Names the code uses but never defines: each would be a NameError traceback in front of a user, on
whatever path reaches it (an f-string hint spelled ``{opt:map}`` unescaped was one, on DuckDB only)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_no_undefined_names():
    # ruff's pyflakes rules: undefined name, undefined name in __all__, local used before assignment
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "F821,F822,F823",
                           "--output-format", "concise", "crmcli", "benchmarks", "tools", "tests"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr

"""The README's $ sessions (cog blocks, tools/readme.py) are what the commands print today."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow  # runs every session (~15 s)


def test_readme_sessions_are_current():
    proc = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, 'tools'); from cogapp import Cog; "
                           "sys.exit(Cog().main(['cog', '--check', '-I', 'tools', '-p', 'from readme import session', "
                           "'README.md']))"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, "README sessions are stale: run python tools/readme.py\n" + proc.stdout + proc.stderr

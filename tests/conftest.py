from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from typer.testing import CliRunner

from crmcli.cli import app

# Property tests: hypothesis' full example counts in CI (CI=true), fewer in the local inner loop.
hypothesis_settings.register_profile("ci", deadline=None)
hypothesis_settings.register_profile("dev", max_examples=25, deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PUBLIC = ROOT / "tests" / "data" / "public-csv-test-suites"  # vendored: see its LICENSES.md


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


@pytest.fixture
def run():
    """Run the CLI in-process: run(args, input=bytes|None) -> click Result (stdout, stderr, exit_code)."""
    runner = CliRunner()

    def _run(args, input=None, env=None):
        return runner.invoke(app, [str(a) for a in args], input=input, env=env, catch_exceptions=False)

    return _run


def run_crm(args, input: bytes | None = None, env: dict | None = None, cwd=None, timeout=120):
    """Run ``python -m crmcli`` as a real subprocess (for pipes, SIGPIPE, exit codes)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "crmcli", *map(str, args)], input=input, capture_output=True,
                          env=full_env, cwd=cwd, timeout=timeout)


def pytest_collection_modifyitems(config, items):
    """The Spark tests on one pytest-xdist worker (with ``--dist loadgroup``): one JVM, not one a worker."""
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("spark"))


def pytest_sessionfinish(session, exitstatus):
    """On a pytest-xdist worker: hand the hostile-input outcomes to the controller, which prints them."""
    from dataclasses import asdict

    from tests import hostile

    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["hostile_outcomes"] = [asdict(o) for o in hostile.OUTCOMES]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    from tests import hostile

    hostile.OUTCOMES.extend(hostile.Outcome(**o) for o in getattr(node, "workeroutput", {}).get("hostile_outcomes", ()))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print the hostile-input outcome table (tests/test_hostile.py) when it ran."""
    from tests import hostile

    if not hostile.OUTCOMES:
        return
    terminalreporter.section("hostile input: outcome per file and command")
    for line in hostile.outcome_table(hostile.OUTCOMES):
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def spark():
    """One local Spark session for every Spark test of the run (CI installs the extra: there they must run)."""
    if os.environ.get("CI") != "true":
        pytest.importorskip("pyspark", reason="pip install 'crmcli[spark]' for the Spark engine tests")
    from crmcli.engines.spark import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()

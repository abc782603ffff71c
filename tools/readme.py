"""The README's ``$`` sessions, generated from real runs (with cog), so they cannot drift.

In README.md a session is written as::

    <!-- [[[cog session("crm inspect examples/orders.xlsx", "crm validate examples/orders.xlsx; echo $?") ]]] -->
    ```console
    $ crm inspect examples/orders.xlsx
    ... (what it really printed)
    ```
    <!-- [[[end]]] -->

``python tools/readme.py`` runs every command and rewrites the blocks; ``tests/test_readme.py`` fails when a block
differs from a fresh run. Each command runs in bash with ``2>&1`` (stdout and stderr as a person sees them),
``NO_COLOR=1`` and ``crm`` = this checkout's code, in a scratch folder holding a copy of ``examples/`` (and links
to ``tests/`` and ``benchmarks/``), so the sessions never write into the repository.
``lines=N`` keeps the first N lines of each command's output and marks the rest with ``…``; a command given as
``("crm …", N)`` keeps its own first N lines.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@cache
def _scratch() -> Path:
    """The folder the sessions run in: a copy of examples/, links to the rest (removed at exit)."""
    folder = Path(tempfile.mkdtemp(prefix="crm-readme-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    shutil.copytree(ROOT / "examples", folder / "examples",
                    ignore=shutil.ignore_patterns("*.cleaned.*", "*.rfm.*", "*.metrics.*", "*.deduped.*", "*.clv.*",
                                                  "*.forecast.*", "*.basket.*", "*.pipeline.*", "reports"))
    for name in ("tests", "benchmarks"):
        (folder / name).symlink_to(ROOT / name)
    return folder


def _shim() -> str:
    """A folder holding a ``crm`` that runs this checkout with this interpreter."""
    folder = _scratch() / ".bin"
    folder.mkdir(exist_ok=True)
    crm = folder / "crm"
    crm.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m crmcli "$@"\n', encoding="utf-8")
    crm.chmod(0o755)
    return str(folder)


def run(command: str) -> str:
    """What ``command`` prints (stdout and stderr interleaved), run in bash at the repository root."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update({"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "120", "PATH": _shim() + os.pathsep + env["PATH"],
                "PYTHONPATH": str(ROOT)})
    proc = subprocess.run(["bash", "-c", f"{{\n{command}\n}} 2>&1"], cwd=_scratch(), env=env,
                          stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=600)
    return proc.stdout.decode("utf-8", "replace")


def block(*commands: str | tuple[str, int], lines: int | None = None) -> str:
    """The console block for these commands (each ``$ command`` then its output)."""
    out = ["```console"]
    for command in commands:
        keep = lines
        if isinstance(command, tuple):
            command, keep = command
        out.append(f"$ {command}")
        text = run(command).rstrip("\n")
        shown = text.splitlines()
        if keep is not None and len(shown) > keep:
            shown = shown[:keep] + ["…"]
        out.extend(line.rstrip() for line in shown)
    out.append("```")
    return "\n".join(out)


def session(*commands: str | tuple[str, int], lines: int | None = None) -> None:
    """Called from a cog block in README.md: print the console block."""
    import cog  # provided by cogapp while it runs

    cog.outl(block(*commands, lines=lines))


if __name__ == "__main__":
    from cogapp import Cog

    sys.exit(Cog().main(["cog", "-r", "-I", str(ROOT / "tools"), "-p", "from readme import session",
                         str(ROOT / "README.md")]))

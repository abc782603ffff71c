"""Where analytics run: pandas (one machine, in memory), DuckDB (one machine, out of core), Spark (clusters).

Every engine gives the same answers on the same data (``tests/test_engines.py``). The metrics are
defined once, as SQL (:mod:`.sql`), run by DuckDB as written and by Spark through SQLGlot's
transpiler; pandas is the same definitions' small-data engine (``crmcli.rfm``, ``crmcli.metrics``), the
default below ``[engine] big`` where starting an engine would cost more than the work.

:func:`resolve_engine` decides ``auto``: pandas for inputs under ``big`` bytes, else DuckDB.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from ..config.checks import ENGINES
from ..config.settings import ENGINE_BIG_BYTES
from ..errors import UsageError


def input_bytes(sources: Iterable[object]) -> int:
    """The total size of the inputs that are files (stdin, bytes and frames count 0)."""
    total = 0
    for s in sources:
        if isinstance(s, (str, os.PathLike)) and os.fspath(s) != "-":
            try:
                total += os.path.getsize(os.fspath(s))
            except OSError:
                pass
    return total


def resolve_engine(engine: str | None, sources: Iterable[object] = (), *, big: int = ENGINE_BIG_BYTES) -> str:
    """``pandas``, ``duckdb`` or ``spark`` for ``engine`` (``auto``/None: by the inputs' size)."""
    name = (engine or "auto").lower()
    if name not in ENGINES:
        raise UsageError(f"{{opt:engine}} {engine!r} is not one of {', '.join(ENGINES)}", option="engine")
    if name != "auto":
        return name
    return "duckdb" if input_bytes(sources) >= big else "pandas"


def analytics_engine(engine: str | None, source: object, *, big: int = ENGINE_BIG_BYTES,
                     supported: bool = True, what: str = "this") -> str:
    """The engine an analytics call runs on: ``pandas`` when ``engine`` is None/pandas, when ``auto``
    finds a small input, and when ``auto`` is asked for what only pandas computes (``supported`` False);
    an explicit duckdb/spark with such options is a UsageError."""
    if engine in (None, "pandas"):
        return "pandas"
    from ..table import Table

    sources = [] if isinstance(source, Table) or not isinstance(source, (str, os.PathLike)) else [source]
    name = resolve_engine(engine, sources, big=big)
    if name == "pandas":
        return name
    if not supported:
        if (engine or "auto") == "auto":
            return "pandas"
        raise UsageError(f"{what} runs on the pandas engine only", hint="leave {opt:engine} out, or use pandas",
                         option="engine")
    return name

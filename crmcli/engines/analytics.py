"""The analytics calls on an engine: ``score_rfm`` and ``compute_metrics`` with ``engine="duckdb"`` or
``"spark"`` come here (:func:`rfm_with_engine`, :func:`metrics_with_engine`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .kpis_on import metrics_on
from .run import DuckRunner, Runner, prepare_on, rfm_on


def open_runner(engine: str, *, spark_master: str | None = None, session: Any = None,
                memory_limit: int | str | None = None) -> Runner:
    """A connection to ``engine``: DuckDB in this process (``memory_limit``: bytes or DuckDB's text, e.g.
    ``"8GB"``; None = DuckDB's default), or a Spark session (``session``, else one started on
    ``spark_master``, default ``local[*]``; its memory is the cluster's settings)."""
    if engine == "spark":
        from .spark import SparkRunner

        return SparkRunner(master=spark_master, session=session)
    return DuckRunner(memory_limit=memory_limit)


def rfm_with_engine(orders: Any, *, engine: str, options: Mapping[str, Any] | None = None, read: Any = None,
                    overrides: Mapping[str, str] | None = None, customer: str | None = None, region: str = "CN",
                    dayfirst: bool | None = None, statuses: Mapping[str, str] | None = None,
                    **score: Any) -> Any:
    """``crmcli.rfm.score_rfm`` on ``engine`` (same result; ``options``: :func:`open_runner`'s)."""
    with open_runner(engine, **dict(options or {})) as runner:
        prepared = prepare_on(runner, orders, read=read, overrides=overrides, customer=customer, region=region,
                              dayfirst=dayfirst, statuses=statuses)
        return rfm_on(prepared, **score)


def metrics_with_engine(orders: Any, *, engine: str, options: Mapping[str, Any] | None = None, read: Any = None,
                        overrides: Mapping[str, str] | None = None, customer: str | None = None,
                        region: str = "CN", dayfirst: bool | None = None,
                        statuses: Mapping[str, str] | None = None, **metrics: Any) -> Any:
    """``crmcli.metrics.compute_metrics`` (KPIs, ``by`` periods, cohorts) on ``engine``."""
    with open_runner(engine, **dict(options or {})) as runner:
        prepared = prepare_on(runner, orders, read=read, overrides=overrides, customer=customer, region=region,
                              dayfirst=dayfirst, statuses=statuses)
        return metrics_on(prepared, **metrics)

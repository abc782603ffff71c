"""The sales pipeline (销售机会管理): open opportunities, their probability and the weighted pipeline.

``opportunities`` is a typed leads table (:func:`crmcli.metrics.prepare_leads`) with ``amount``, and
optionally ``probability`` (``60%``, ``0.6`` or ``60`` as written), ``owner`` and ``close_date``.

- An opportunity's **probability** is its own probability cell, else its stage's probability:
  ``[pipeline] probabilities`` in crm.toml (keys: a natural stage ``new contacted qualified proposal
  won lost`` or a stage as written, ``"方案报价" = 0.5``), else :data:`DEFAULT_PROBABILITIES`.
- **Open** = neither won (成交, Closed Won…) nor lost (丢单, Closed Lost…). Won deals are revenue,
  not pipeline: they are counted apart (``won_opportunities``, ``won_amount``).
- ``weighted_pipeline`` = Σ amount × probability over the open opportunities (expected revenue);
  ``avg_probability`` = weighted_pipeline ÷ open_amount. Totals, then by stage, by owner and by month
  of the expected close date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..schema import header_key
from .funnel import DEFAULT_STAGES, stage_class

#: Natural stage -> probability of closing (won = 1, lost = 0).
DEFAULT_PROBABILITIES: dict[str, float] = {"new": 0.1, "contacted": 0.2, "qualified": 0.4, "proposal": 0.6,
                                           "won": 1.0, "lost": 0.0}
PIPELINE_COLUMNS = ["by", "value", "open_opportunities", "open_amount", "avg_probability", "weighted_pipeline",
                    "won_opportunities", "won_amount"]
PIPELINE_DEFINITIONS = {
    "open_opportunities": "opportunities neither won nor lost",
    "open_amount": "sum of the open opportunities' amounts",
    "avg_probability": "weighted_pipeline ÷ open_amount (the amount-weighted probability)",
    "weighted_pipeline": "Σ amount × probability over the open opportunities (probability: the row's own, else "
                         "its stage's from [pipeline] probabilities, else the default per stage)",
    "won_opportunities": "opportunities at a won stage",
    "won_amount": "sum of the won opportunities' amounts",
}
BLANK = "(blank)"


@dataclass
class Pipeline:
    table: pd.DataFrame
    opportunities: int
    open_amount: float
    weighted_pipeline: float
    won_amount: float
    notes: list[str] = field(default_factory=list)


def parse_probability(value: Any) -> float:
    """``60%`` / ``0.6`` / ``60`` -> 0.6; NaN when blank or not a number (a number above 1 is a percent)."""
    text = str(value).strip().replace("％", "%") if value is not None else ""
    if not text or text.lower() in ("nan", "none"):
        return float("nan")
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%").strip())
    except ValueError:
        return float("nan")
    return number / 100 if percent or number > 1 else number


def check_probabilities(value: Any, name: str = "pipeline.probabilities") -> dict[str, float]:
    """``{stage: probability}`` from crm.toml, each a share 0..1 (or a percent up to 100)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise UsageError(f"{name} must be a table of stage = probability, got {value!r}",
                         hint='e.g. [pipeline] probabilities = { qualified = 0.3, "方案报价" = 0.5 }')
    out = {}
    for stage, p in value.items():
        prob = parse_probability(p) if not isinstance(p, bool) else float("nan")
        if not 0 <= prob <= 1:
            raise UsageError(f"{name}: {stage} = {p!r} is not a probability", hint="a share 0..1 or a percent 0..100")
        out[str(stage)] = prob
    return out


def _is_typed(df: pd.DataFrame) -> bool:
    return "stage" in df.columns and "amount" in df.columns and pd.api.types.is_float_dtype(df["amount"])


def compute_pipeline(opportunities: Any, *, probabilities: Mapping[str, float] | None = None, read: Any = None,
                     overrides: Mapping[str, str] | None = None, region: str = "CN",
                     dayfirst: bool | None = None) -> Pipeline:
    """The weighted pipeline of an opportunities table (see the module docstring): a typed frame
    (:func:`~crmcli.metrics.prepare_leads`), a table as read (text; typed here with ``overrides``),
    or a path / ``"-"`` (read with ``read``)."""
    if not (isinstance(opportunities, pd.DataFrame) and _is_typed(opportunities)):
        from ..io import read_input
        from ..table import Table
        from . import prepare_leads

        source = opportunities if isinstance(opportunities, (pd.DataFrame, Table)) else read_input(opportunities, read)
        opportunities = prepare_leads(source, overrides=overrides, region=region, dayfirst=dayfirst)
    if "amount" not in opportunities.columns:
        raise UsageError("the opportunities table has no amount column",
                         hint="name it 预计金额, 商机金额, amount…, or map one with {opt:map} amount=COLUMN")
    notes: list[str] = []
    opp = opportunities
    stage = opp["stage"].astype("str").str.strip() if "stage" in opp.columns else pd.Series("", index=opp.index)
    cls = stage.map(lambda s: stage_class(s) if s else None)
    by_key = {header_key(k): float(v) for k, v in (probabilities or {}).items()}
    natural = {**DEFAULT_PROBABILITIES, **{k: v for k, v in (probabilities or {}).items() if k in DEFAULT_PROBABILITIES}}
    from_stage = pd.Series([by_key.get(header_key(s), natural.get(c, np.nan) if c else np.nan)
                            for s, c in zip(stage, cls)], index=opp.index, dtype="float64")
    own = opp["probability"].map(parse_probability).astype("float64") if "probability" in opp.columns else \
        pd.Series(np.nan, index=opp.index)
    prob = own.where(own.notna(), from_stage)
    amount = opp["amount"].astype("float64")
    won = (cls == "won").to_numpy()
    lost = (cls == "lost").to_numpy()
    open_ = ~won & ~lost
    unknown = open_ & prob.isna().to_numpy()
    if unknown.any():
        texts = sorted(set(stage[unknown]) - {""})
        notes.append(f"{int(unknown.sum())} open opportunit{'ies' if unknown.sum() != 1 else 'y'} with no probability "
                     f"(stage {', '.join(map(repr, texts[:5])) or 'empty'}): left out of the weighted pipeline — "
                     f"give a probability column or [pipeline] probabilities in crm.toml")
    no_amount = amount.isna().to_numpy()
    if no_amount.any():
        notes.append(f"{int(no_amount.sum())} opportunit{'ies' if no_amount.sum() != 1 else 'y'} without an amount: "
                     f"counted, not summed")
    frame = pd.DataFrame({"open": open_, "won": won, "amount": amount.fillna(0.0).to_numpy(),
                          "weighted": (amount * prob).fillna(0.0).to_numpy()}, index=opp.index)
    frame["open_amount"] = frame["amount"].where(frame["open"], 0.0)
    frame["weighted"] = frame["weighted"].where(frame["open"], 0.0)
    frame["won_amount"] = frame["amount"].where(frame["won"], 0.0)

    def rows(by: str, keys: pd.Series | None) -> pd.DataFrame:
        g = frame.groupby(keys.to_numpy() if keys is not None else np.zeros(len(frame)), sort=False)
        out = pd.DataFrame({"open_opportunities": g["open"].sum(), "open_amount": g["open_amount"].sum(),
                            "weighted_pipeline": g["weighted"].sum(), "won_opportunities": g["won"].sum(),
                            "won_amount": g["won_amount"].sum()})
        out.insert(0, "value", [str(k) for k in out.index] if keys is not None else ["all"])
        out.insert(0, "by", by)
        return out.reset_index(drop=True)

    parts = [rows("total", None)]
    stage_order = {name: i for i, (name, _) in enumerate(DEFAULT_STAGES)} | {"lost": len(DEFAULT_STAGES)}
    st = rows("stage", stage.replace("", BLANK))
    st["_k"] = [stage_order.get(stage_class(v) or "", 99) for v in st["value"]]
    parts.append(st.sort_values(["_k", "value"], kind="stable").drop(columns="_k"))
    if "owner" in opp.columns and (opp["owner"].astype("str").str.strip() != "").any():
        ow = rows("owner", opp["owner"].astype("str").str.strip().replace("", BLANK))
        parts.append(ow.sort_values(["weighted_pipeline", "value"], ascending=[False, True], kind="stable"))
    if "close_date" in opp.columns and opp["close_date"].notna().any():
        month = pd.to_datetime(opp["close_date"]).dt.strftime("%Y-%m").fillna(BLANK)
        cm = rows("close_month", month)
        parts.append(cm.sort_values("value", key=lambda v: v.replace(BLANK, "9999"), kind="stable"))
    table = pd.concat(parts, ignore_index=True)
    for c in ("open_amount", "weighted_pipeline", "won_amount"):
        table[c] = table[c].astype("float64").round(2) + 0.0
    for c in ("open_opportunities", "won_opportunities"):
        table[c] = table[c].astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        table.insert(4, "avg_probability", np.where(table["open_amount"] > 0,
                                                    table["weighted_pipeline"] / table["open_amount"], np.nan))
    total = table.iloc[0]
    return Pipeline(table[PIPELINE_COLUMNS], len(opp), float(total["open_amount"]), float(total["weighted_pipeline"]),
                    float(total["won_amount"]), notes)

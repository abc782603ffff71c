"""Each command normalizes each column of each input once: the Table made by read → map → normalize is handed
along, and no stage normalizes again (the report once normalized the orders and the customers twice)."""

from __future__ import annotations

import sys
from collections import Counter

import pytest

import crmcli.fields as fields

from .conftest import EXAMPLES


@pytest.fixture
def normalized(monkeypatch):
    """Counts whole-column normalizations: ``(column, rows) -> calls`` (the content check's samples are
    unnamed and left out)."""
    calls: Counter = Counter()
    real = fields.normalize_field

    def counting(series, kind, **kw):
        if series.name is not None:
            calls[(str(series.name), len(series))] += 1
        return real(series, kind, **kw)

    for name, module in list(sys.modules.items()):
        if name.startswith("crmcli") and getattr(module, "normalize_field", None) is real:
            monkeypatch.setattr(module, "normalize_field", counting)
    return calls


ORDERS = str(EXAMPLES / "orders.xlsx")
INPUTS = ["--customers", str(EXAMPLES / "customers_zh.csv"), "--leads", str(EXAMPLES / "leads.csv"),
          "--campaigns", str(EXAMPLES / "campaigns.csv")]


@pytest.mark.parametrize("args", [
    ["validate", ORDERS, "--fail-on", "never"],
    ["clean", ORDERS, "-o", "OUT.xlsx"],
    ["rfm", ORDERS, "-o", "OUT.csv"],
    ["metrics", ORDERS, "--group", "channel", "--leads", str(EXAMPLES / "leads.csv"),
     "--campaigns", str(EXAMPLES / "campaigns.csv"), "-o", "OUT.xlsx"],
    ["pivot", ORDERS, "--rows", "channel", "--cols", "order_date", "--by", "month", "--values", "amount",
     "-o", "OUT.csv"],
    ["report", ORDERS, *INPUTS, "-o", "OUT.xlsx"],
    ["dedupe", str(EXAMPLES / "customers_zh.csv"), "-o", "OUT.csv"],
    ["clean", str(EXAMPLES / "customers_zh.csv"), "--dedupe", "-o", "OUT.xlsx"],
], ids=lambda a: " ".join(x for x in a[:3] if x.startswith("--") or "/" not in x))
def test_every_column_is_normalized_once(run, normalized, tmp_path, args):
    args = [a.replace("OUT", str(tmp_path / "out")) for a in args]
    res = run([*args, "-q"])
    assert res.exit_code in (0, 1), res.stderr
    assert normalized, "the count saw no normalization at all"
    twice = {key: n for key, n in normalized.items() if n > 1}
    assert not twice, f"normalized more than once: {twice}"

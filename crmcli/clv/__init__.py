"""Customer lifetime value: who is still a customer, how often and how much they will buy.

BG/NBD (repeat purchases, P(alive)) and Gamma-Gamma (spend per purchase) fitted by maximum
likelihood on the prepared orders, days everywhere, plus a holdout backtest. One call::

    result = fit_clv(orders, as_of=None, horizon=365, discount=0.10, holdout=None)
    result.table     # customer_id, repeat_purchases, t_x, T, monetary, p_alive, expected_orders,
                     # expected_order_value, clv, value_at_stake, churn_risk
    result.params    # the fitted parameters (the --params JSON)
    result.holdout   # HoldoutReport when holdout= / holdout_days= was given

Modules: ``summary`` (orders → x, t_x, T), ``mle`` (multi-start fits), ``bgnbd``, ``gammagamma``,
``holdout`` (the backtest), ``fit`` (the one call), ``write`` (the params JSON, the holdout report, the
sentences ``crm clv`` prints), ``join`` (the columns ``crm rfm --clv`` and the report add).
"""

import importlib

#: name → the module defining it, loaded on first use: the fits need scipy (~0.3 s to import), which
#: the report's joins and most commands never do.
_WHERE = {
    "expected_purchases": "bgnbd", "fit_bgnbd": "bgnbd", "probability_alive": "bgnbd",
    "CHURN_RULE": "fit", "ClvResult": "fit", "fit_clv": "fit",
    "COLUMNS": "columns", "PREDICTION_COLUMNS": "columns",
    "expected_order_value": "gammagamma", "fit_gamma_gamma": "gammagamma",
    "frequency_value_correlation": "gammagamma",
    "HoldoutReport": "holdout", "add_clv": "join", "join_predictions": "join", "MleFit": "mle",
    "summarize_customers": "summary",
    "TABLE_FORMATS": "write", "describe_clv": "write", "write_holdout_report": "write", "write_params": "write",
}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CHURN_RULE", "COLUMNS", "PREDICTION_COLUMNS", "TABLE_FORMATS", "ClvResult", "HoldoutReport", "MleFit",
           "add_clv", "describe_clv", "expected_order_value", "expected_purchases", "fit_bgnbd", "fit_clv",
           "fit_gamma_gamma", "frequency_value_correlation", "join_predictions", "probability_alive",
           "summarize_customers", "write_holdout_report", "write_params"]

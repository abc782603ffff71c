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

from .bgnbd import expected_purchases, fit_bgnbd, probability_alive
from .fit import CHURN_RULE, COLUMNS, PREDICTION_COLUMNS, ClvResult, fit_clv
from .gammagamma import expected_order_value, fit_gamma_gamma, frequency_value_correlation
from .holdout import HoldoutReport
from .join import add_clv, join_predictions
from .mle import MleFit
from .summary import summarize_customers
from .write import TABLE_FORMATS, describe_clv, write_holdout_report, write_params

__all__ = ["CHURN_RULE", "COLUMNS", "PREDICTION_COLUMNS", "TABLE_FORMATS", "ClvResult", "HoldoutReport", "MleFit",
           "add_clv", "describe_clv", "expected_order_value", "expected_purchases", "fit_bgnbd", "fit_clv",
           "fit_gamma_gamma", "frequency_value_correlation", "join_predictions", "probability_alive",
           "summarize_customers", "write_holdout_report", "write_params"]

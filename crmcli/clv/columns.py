"""The CLV table's columns (a module of its own: the report and ``crm rfm`` join them without importing the fits)."""

COLUMNS = ["customer_id", "repeat_purchases", "t_x", "T", "monetary", "p_alive", "expected_orders",
           "expected_order_value", "clv", "value_at_stake", "churn_risk"]
#: The columns ``crm rfm --clv`` adds to the RFM table.
PREDICTION_COLUMNS = ["p_alive", "expected_orders", "clv", "churn_risk"]

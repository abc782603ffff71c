"""prepare_orders: the order table RFM and metrics share, checked against hand-computed truth."""

from __future__ import annotations

import pandas as pd
import pytest

from crmcli.errors import UsageError
from crmcli.io import read_table
from crmcli.orders import prepare_orders

# A messy GB18030 export: an order with two lines, a refund with its own order id (and a time),
# a row exported twice, an impossible date, an amount "N/A", a row without customer id,
# an Excel serial date, full-width digits, currency signs and thousands separators.
MESSY_ROWS = [
    "订单号,客户ID,客户名称,联系电话,下单日期,产品,数量,金额,渠道",
    "SO1,C1,张三,13812345678,2024-01-05,保温杯,1,¥100.00,天猫",
    'SO1,C1,张三,13812345678,2024-01-05,咖啡豆,2,"1,200.50",天猫',
    "SO2,C1,张三,138-1234-5678,2024/3/1 18:30,保温杯,1,-100,天猫",
    "SO3,C2,李四,13900001111,2024年2月10日,耳机,1,RMB 300,京东",
    "SO3,C2,李四,13900001111,2024年2月10日,耳机,1,RMB 300,京东",
    "SO4,C2,李四,13900001111,2024-13-45,耳机,1,300,京东",
    "SO5,C2,李四,13900001111,2024-02-20,耳机,1,N/A,京东",
    "SO6,C3,王五,,20240315,手表,1,899元,抖音",
    "SO7,,赵六,13700002222,2024-03-10,手表,1,50,抖音",
    "SO8,C3,王五,,45366,围巾,1,１００,抖音",
]
MESSY = ("\r\n".join(MESSY_ROWS) + "\r\n").encode("gb18030")

#: Worked by hand: as of 2024-03-15 (the latest valid order date).
TRUTH = {
    #       recency, frequency, monetary, first, last
    # SO1 = 100 + 1200.50; SO2 = -100 is a credit note (a refund with its own order id): it nets
    # into monetary but is not a purchase, so C1 has one order and its last purchase is SO1's date
    "C1": (70, 1, 1200.50, "2024-01-05", "2024-01-05"),
    "C2": (34, 1, 300.00, "2024-02-10", "2024-02-10"),    # SO3 once (row 6 repeats row 5)
    "C3": (0, 2, 999.00, "2024-03-15", "2024-03-15"),     # SO6 899 + SO8 100 (serial 45366)
}


@pytest.fixture
def messy() -> pd.DataFrame:
    return read_table(MESSY)


def test_prepare_orders_messy_counts(messy):
    p = prepare_orders(messy)
    assert p.dropped == {"duplicate-row": 1, "invalid-date": 1, "invalid-amount": 1, "missing-customer": 1}
    assert list(p.lines.index) == [2, 3, 4, 5, 9, 11]          # Excel rows kept
    assert p.lines["order_date"].dtype == "datetime64[ns]"
    assert p.lines["amount"].dtype == "float64"
    assert p.lines.loc[3, "amount"] == 1200.5
    assert p.lines.loc[2, "phone"] == "+8613812345678"
    assert p.lines.loc[2, "quantity"] == 1.0
    assert p.mapping["金额"] == "amount"
    orders = p.orders.set_index("order_id")
    assert list(orders.index) == ["SO1", "SO2", "SO3", "SO6", "SO8"]
    assert orders.loc["SO1", "amount"] == pytest.approx(1300.5)
    assert orders.loc["SO1", "channel"] == "天猫"
    assert orders.loc["SO2", "amount"] == -100
    assert not orders.loc["SO2", "is_purchase"] and orders.drop("SO2")["is_purchase"].all()
    assert p.credit_notes == 1 and any("1 credit note" in n for n in p.notes)
    assert str(orders.loc["SO8", "order_date"].date()) == "2024-03-15"


def test_prepare_orders_does_not_touch_input(messy):
    before = messy.copy()
    prepare_orders(messy)
    pd.testing.assert_frame_equal(messy, before)


def test_customer_key_without_id_column():
    df = read_table("电话,邮箱,姓名,日期,金额\n138 1234 5678,,张三,2024-01-01,10\n+86 13812345678,,张三,2024-01-02,20\n"
                    ",A@X.COM,,2024-01-03,5\n,,李四,2024-01-04,1\n,,,2024-01-05,7\n".encode())
    p = prepare_orders(df)
    assert list(p.lines["customer_id"]) == ["+8613812345678", "+8613812345678", "A@x.com", "李四"]
    assert p.dropped == {"missing-customer": 1}
    assert any("no customer id column" in n for n in p.notes)
    assert len(p.orders) == 4 and list(p.orders["order_id"]) == [""] * 4


def test_identical_rows_without_order_id_are_kept():
    df = read_table(b"customer,date,amount\nA,2024-01-01,5\nA,2024-01-01,5\n")
    p = prepare_orders(df, customer="customer")
    assert len(p.orders) == 2 and p.dropped == {}
    assert any("repeat an earlier row" in n for n in p.notes)


def test_missing_columns_are_usage_errors():
    with pytest.raises(UsageError, match="order date") as e:
        prepare_orders(read_table(b"customer_id,amount\nA,5\n"))
    assert "--map order_date=" in e.value.render(lambda name: "--" + name)[1]  # the CLI spells the option
    with pytest.raises(UsageError, match="amount") as e:
        prepare_orders(read_table(b"customer_id,order_date\nA,2024-01-01\n"))
    assert "--map amount=" in e.value.render(lambda name: "--" + name)[1]
    assert "overrides amount=" in str(e.value.render()[1])  # the library names its keyword


def test_amount_from_unit_price_and_quantity():
    p = prepare_orders(read_table(b"customer_id,order_date,unit_price,quantity\nA,2024-01-01,2.5,4\nA,2024-01-02,3,\n"))
    assert list(p.lines["amount"]) == [10.0, 3.0]
    assert any("unit_price" in n for n in p.notes)


def test_a_totals_row_is_left_out_not_counted_as_a_customer(tmp_path):
    """合计 in the customer column, with a date and the sum: not a customer, not revenue again."""
    from crmcli.io import read_table
    from crmcli.orders import prepare_orders

    src = tmp_path / "o.csv"
    src.write_text("客户ID,下单日期,金额\nC1,2024-01-05,100\nC2,2024-01-06,50\n合计,2024-01-31,150\n", encoding="utf-8")
    p = prepare_orders(read_table(src))
    assert p.dropped == {"totals-row": 1}
    assert sorted(p.orders["customer_id"]) == ["C1", "C2"] and p.orders["amount"].sum() == 150

"""The order rules on small hand-worked exports: status classes, refunds, credit notes, line rows, which amount,
buyer accounts, content-confirmed mapping, and the field rules platform exports need."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from crmcli.errors import UsageError
from crmcli.fields import country_code, normalize_date, normalize_field, normalize_id, normalize_phone, row_regions
from crmcli.io import read_table
from crmcli.orders import VOCABULARY, prepare_orders, status_key, status_table
from crmcli.rfm import score_rfm
from crmcli.schema import map_columns, map_table


def table(text: str) -> pd.DataFrame:
    return read_table(text.encode("utf-8"))


# ----------------------------------------------------------------- status


def test_every_status_the_issue_names_has_its_class():
    t = status_table()
    named = {
        "completed": "交易成功 已完成 完成 已签收 completed fulfilled".split(),
        "shipped": ["卖家已发货，等待买家确认", "等待确认收货", "已发货", "shipped"],
        "paid": ["买家已付款，等待卖家发货", "等待出库", "待发货", "paid"],
        "partially_refunded": ["partially_refunded", "Partially Refunded"],
        "unpaid": "等待买家付款 待付款 未付款 pending authorized unpaid".split(),
        "cancelled": "交易关闭 已取消 已关闭 取消 锁定 cancelled canceled voided closed".split(),
        "refunded": "退款成功 已退款 全额退款 refunded".split(),
    }
    for cls, texts in named.items():
        for text in texts:
            assert t[status_key(text)] == cls, text
    # case, width, space and punctuation do not matter
    assert status_key("卖家已发货,等待买家确认") == status_key("卖家已发货 等待买家确认") == status_key("卖家已发货，等待买家确认")
    assert len({c for c in VOCABULARY}) == 7


TAOBAO = """订单编号,买家会员名,买家实际支付金额,订单状态,订单创建时间,订单付款时间,退款金额
1,tb_a,100.00,交易成功,2024-03-01 10:00:00,2024-03-01 10:05:00,0.00
2,tb_a,50.00,等待买家付款,2024-03-02 10:00:00,,0.00
3,tb_b,80.00,交易关闭,2024-03-03 10:00:00,,0.00
4,tb_b,60.00,交易成功,2024-03-04 10:00:00,2024-03-04 10:01:00,60.00
5,tb_c,70.00,交易成功,2024-03-05 10:00:00,2024-03-05 10:01:00,20.00
6,tb_c,30.00,退款成功,2024-03-06 10:00:00,2024-03-06 10:01:00,30.00
7,tb_d,40.00,拼团成功待核销,2024-03-07 10:00:00,2024-03-07 10:01:00,0.00
"""


def test_status_refunds_and_unknown_statuses():
    p = prepare_orders(table(TAOBAO))
    o = p.orders.set_index("order_id")
    # 1 counts; 2 unpaid; 3 closed; 4 refunded in full by its refund amount; 5 nets 70 - 20; 6 refunded; 7 unknown: counts
    assert sorted(o.index) == ["1", "5", "7"]
    assert o.loc["5", "amount"] == 50.0 and o.loc["5", "refund_amount"] == 20.0
    assert p.dropped == {"unpaid": 1, "cancelled": 1, "refunded": 2}
    assert p.left_out_orders == {"unpaid": 1, "cancelled": 1, "refunded": 2}
    assert p.unknown_statuses == {"拼团成功待核销": 1}
    assert "left out: 1 cancelled or closed, 1 unpaid, 2 refunded orders (by their status)" in p.notes
    assert any("'拼团成功待核销' (1 order)" in n for n in p.notes)
    # the paid time has its own field; the creation time is the order date
    assert p.mapping["订单付款时间"] == "paid_at" and p.mapping["订单创建时间"] == "order_date"
    assert p.mapping["买家会员名"] == "customer_id"
    # crm.toml's [orders] status: the user's class wins
    q = prepare_orders(table(TAOBAO), statuses={"拼团成功待核销": "unpaid", "交易关闭": "completed"})
    assert sorted(q.orders["order_id"]) == ["1", "3", "5"]
    with pytest.raises(UsageError, match="not a status class"):
        prepare_orders(table(TAOBAO), statuses={"交易关闭": "maybe"})


def test_metrics_and_rfm_count_the_same_orders():
    from crmcli.metrics import compute_metrics

    k = compute_metrics(table(TAOBAO)).kpis.set_index("metric")["value"]
    assert (k["orders"], k["customers"], k["revenue"], k["refund_amount"]) == (3, 3, 190.0, 20.0)
    r = score_rfm(table(TAOBAO)).table.set_index("customer_id")
    assert r["monetary"].to_dict() == {"tb_a": 100.0, "tb_c": 50.0, "tb_d": 40.0}
    assert r.loc["tb_a", "recency_days"] == 6      # as of 2024-03-07, the latest counted order


def test_cancelled_at_and_refund_status_leave_an_order_out():
    p = prepare_orders(table("""order id,email,created at,cancelled at,total,financial status,售后状态
A,a@x.com,2024-01-01 10:00:00 -0500,,10,paid,无售后或售后取消
B,a@x.com,2024-01-02 10:00:00 -0500,2024-01-02 11:00:00 -0500,20,paid,
C,b@x.com,2024-01-03 10:00:00 -0500,,30,paid,退款成功
"""))
    assert list(p.orders["order_id"]) == ["A"] and p.dropped == {"cancelled": 1, "refunded": 1}


# ----------------------------------------------------------------- line rows, amounts, refunds, credit notes

SHOPIFY = """Name,Email,Financial Status,Paid at,Subtotal,Total,Refunded Amount,Created at,Lineitem quantity,Lineitem name,Lineitem price,Billing Name,Billing Phone,Billing Country
#1001,jane@example.com,partially_refunded,2024-03-05 23:31:00 -0500,30.00,35.00,10.00,2024-03-05 23:30:00 -0500,1,Mug,10.00,Jane Roe,07911 123456,United Kingdom
#1001,jane@example.com,,,,,,2024-03-05 23:30:00 -0500,2,Tea,10.00,,,
#1002,bob@example.com,paid,2024-03-06 10:00:00 -0500,20.00,24.00,0.00,2024-03-06 09:59:00 -0500,1,Mug,20.00,Bob Ray,(415) 555-0132,US
"""


def test_line_rows_order_level_fields_on_the_first_row_only():
    p = prepare_orders(table(SHOPIFY))
    assert p.dropped == {}                                       # blank continuation cells are not invalid
    o = p.orders.set_index("order_id")
    assert o.loc["#1001", "amount"] == 25.0                      # 35 total, once (not 2 × 35), less the 10 refund
    assert o.loc["#1002", "amount"] == 24.0
    assert str(o.loc["#1001", "order_date"].date()) == "2024-03-05"   # the shop's local date, not UTC's 03-06
    lines = p.lines
    assert lines["amount"].sum() == 49.0 and list(lines["amount"]) == [8.33, 16.67, 24.0]  # shares by price × qty
    assert list(lines["phone"]) == ["+447911123456", "+447911123456", "+14155550132"]   # each row's country
    assert p.mapping["Name"] == "order_id" and p.mapping["Total"] == "amount"
    assert any("'Total' (a total) over 'Subtotal' (goods value)" in n for n in p.notes)
    assert any("keyed by normalized email" in n for n in p.notes)


def test_an_order_total_repeated_on_every_line_is_taken_once():
    p = prepare_orders(table("""订单号,下单帐号,下单时间,商品名称,订购数量,京东价,订单金额,应付金额,订单状态
J1,jd_1,2024-01-01 09:00:00,杯子,2,50,150,140,完成
J1,jd_1,2024-01-01 09:00:00,围巾,1,50,150,140,完成
J2,jd_2,2024-01-02 09:00:00,杯子,1,50,50,50,已取消
"""))
    o = p.orders.set_index("order_id")
    assert list(o.index) == ["J1"] and o.loc["J1", "amount"] == 140.0   # 应付金额 (paid) over 订单金额, once
    assert list(p.lines["amount"]) == [93.33, 46.67]
    # a generic amount column repeating one value on every line of an order is line amounts: summed
    q = prepare_orders(table("订单号,客户ID,日期,产品,金额\nA,C1,2024-01-01,杯子,10\nA,C1,2024-01-01,茶叶,10\n"
                             "A,C1,2024-01-01,茶壶,5\n"))
    assert q.orders["amount"].tolist() == [25.0]


def test_amount_priority_paid_total_goods_unit_price():
    cols = ["单价", "数量", "买家应付货款", "总金额", "买家实际支付金额"]
    for k in range(len(cols), 1, -1):
        mapping = map_columns(cols[:k])
        if "金额" in cols[k - 1] or "货款" in cols[k - 1]:
            assert mapping[cols[k - 1]] == "amount"
    assert map_columns(["Subtotal", "Total", "Amount Paid"]) == {"Amount Paid": "amount"}
    assert map_columns(["Subtotal", "Total"]) == {"Total": "amount"}
    assert map_columns(["Lineitem price", "Lineitem quantity", "Subtotal"])["Subtotal"] == "amount"
    p = prepare_orders(table("InvoiceNo,CustomerID,InvoiceDate,Quantity,UnitPrice\n1,17850.0,12/13/2010 8:26,6,2.55\n"
                             "1,17850.0,12/13/2010 8:26,3,0.1\n"))
    assert p.orders["amount"].tolist() == [15.6] and p.orders["customer_id"].tolist() == ["17850"]


def test_credit_notes_net_but_are_not_purchases():
    p = prepare_orders(table("""InvoiceNo,CustomerID,InvoiceDate,Quantity,UnitPrice,Country
536365,17850,12/1/2010 8:26,6,2.55,United Kingdom
C536379,17850,12/2/2010 9:41,-1,2.55,United Kingdom
536366,13047,12/13/2010 8:28,6,1.85,United Kingdom
C536383,15311,12/4/2010 9:49,-1,4.65,United Kingdom
"""))
    o = p.orders.set_index("order_id")
    assert o["is_purchase"].to_dict() == {"536365": True, "C536379": False, "536366": True, "C536383": False}
    assert p.credit_notes == 2 and p.lines["is_purchase"].tolist() == [True, False, True, False]
    r = score_rfm(p, as_of="2010-12-13")
    t = r.table.set_index("customer_id")
    assert sorted(t.index) == ["13047", "17850"]                       # 15311 has only a credit note: no row
    assert t.loc["17850", "frequency"] == 1 and t.loc["17850", "monetary"] == 12.75
    assert t.loc["17850", "recency_days"] == 12                        # the last purchase, not the credit note
    assert r.orders == 2 and any("1 customer with only credit notes" in n for n in r.notes)


def test_money_in_cents():
    p = prepare_orders(table("customer_id,order_date,amount\nA,2024-01-01,151.1\nA,2024-01-02,151.1\nA,2024-01-03,151.1"
                             "\nB,2024-01-01,0.1\nB,2024-01-01,0.2\n"))
    r = score_rfm(p).table.set_index("customer_id")
    assert r.loc["A", "monetary"] == 453.3 and repr(r.loc["B", "monetary"]) in ("0.3", "np.float64(0.3)")
    assert r.loc["A", "avg_order_value"] == 151.1


# ----------------------------------------------------------------- mapping


def test_buyer_account_is_the_customer_id_only_without_a_customer_id_column():
    assert map_columns(["买家会员名", "客户ID"]) == {"客户ID": "customer_id"}
    assert map_columns(["下单帐号", "客户姓名"]) == {"下单帐号": "customer_id", "客户姓名": "name"}
    assert map_columns(["buyer", "Email"]) == {"buyer": "customer_id", "Email": "email"}


def test_generic_headers_are_confirmed_by_their_values():
    df = table("id,value,date,name,total\n1,01,2024-01-01,#1001,12.50\n2,002,2024-01-02,#1002,\n3,00003,x,#1003,3\n")
    m = map_table(df.columns, data=df)
    assert m.mapping == {"date": "order_date", "name": "order_id", "total": "amount"}
    assert "value" in m.unfit and "leading zeros" in m.unfit["value"]
    assert any("'value' left unmapped" in n for n in m.notes())
    # without the data the names alone decide
    assert map_columns(["value", "date"]) == {"value": "amount", "date": "order_date"}


def test_headers_with_units_and_stray_spaces_and_the_most_filled_column():
    assert map_columns(["用户实付金额(元)", " 商品数量(件) ", "订单成交时间"]) == {
        "用户实付金额(元)": "amount", " 商品数量(件) ": "quantity", "订单成交时间": "order_date"}
    df = table("联系电话,联系手机\n-,13812345678\n,13912345678\n")
    assert map_columns(df.columns, data=df) == {"联系手机": "phone"}
    assert map_columns(df.columns) == {"联系电话": "phone"}


# ----------------------------------------------------------------- field rules


def test_values_as_exports_write_them():
    assert normalize_id('="2300835653442855376"') == "2300835653442855376"
    assert normalize_id("'0012") == "0012" and normalize_id("\t123") == "123"
    assert normalize_phone("'13812345678") == ("+8613812345678", "")
    assert normalize_phone('="13812345678"') == ("+8613812345678", "")
    assert normalize_phone("138****5678") == ("138****5678", "masked-phone")
    assert normalize_date("2024-03-05 23:30:00 -0500") == ("2024-03-05 23:30:00", "")
    assert normalize_date("2024-03-05T23:30:00+08:00") == ("2024-03-05 23:30:00", "")
    ids = pd.Series(['="2300835653442855376"', "'0012", "\t7"] * 5000, dtype="str")   # the column-wide path
    assert normalize_field(ids, "id").values.iloc[:3].tolist() == ["2300835653442855376", "0012", "7"]


def test_masked_phones_are_a_warning_and_never_a_key():
    from crmcli.validate import find_issues

    df = table("收货人,手机,订单号,订单成交时间,用户实付金额(元)\n张三,138****5678,1,2024-01-01,10\n李四,138****5678,2,2024-01-02,20\n")
    issues = find_issues(df)
    assert set(issues.loc[issues["code"] == "masked-phone", "severity"]) == {"warning"}
    p = prepare_orders(df)
    assert sorted(p.orders["customer_id"]) == ["张三", "李四"]        # keyed by name, not the shared masked number
    from crmcli.dedupe import find_duplicates

    people = table("姓名,手机\n张三,138****5678\n李四,138****5678\n")
    assert find_duplicates(people, threshold=0.5).label.tolist() == [0, 1]


def test_country_column_gives_each_row_its_phone_region():
    assert [country_code(c) for c in ("United Kingdom", "GB", "gbr", "英国", "USA", "中国", "", "Atlantis")] == \
        ["GB", "GB", "GB", "GB", "US", "CN", None, None]
    regions = row_regions(pd.Series(["United Kingdom", "", "US"], dtype="str"), "CN")
    assert list(regions) == ["GB", "CN", "US"]
    res = normalize_field(pd.Series(["07911 123456", "13812345678", "(415) 555-0132"], dtype="str"), "phone",
                          regions=regions)
    assert res.values.tolist() == ["+447911123456", "+8613812345678", "+14155550132"]
    from crmcli.clean import clean_table

    out = clean_table(table(SHOPIFY)).cleaned
    assert out["Billing Phone"].tolist() == ["+447911123456", "", "+14155550132"]


# ----------------------------------------------------------------- pivot and report follow the order rules


def test_pivot_amount_follows_the_order_rules():
    from crmcli.pivot import pivot_table

    p = pivot_table(table(SHOPIFY), rows=["Lineitem name"], values="amount")
    d = {r[0]: r[1] for r in p.table.itertuples(index=False)}
    assert d == {"Mug": 32.33, "Tea": 16.67, "Total": 49.0}          # = metrics' revenue, lines' shares
    retail = table("InvoiceNo,CustomerID,InvoiceDate,Quantity,UnitPrice,Country\n1,A,12/13/2010 8:26,6,2.55,UK\n"
                   "C2,A,12/14/2010 8:26,-1,2.55,UK\n")
    p = pivot_table(retail, rows=["Country"], values="amount")
    assert {r[0]: r[1] for r in p.table.itertuples(index=False)} == {"UK": 12.75, "Total": 12.75}  # 15.30 - 2.55
    assert any("unit_price × quantity" in n for n in p.notes)
    p = pivot_table(table(TAOBAO), rows=["订单状态"], values="amount")
    assert {r[0] for r in p.table.itertuples(index=False)} == {"交易成功", "拼团成功待核销", "Total"}
    assert any("left out: 1 cancelled or closed, 1 unpaid, 2 refunded" in n for n in p.notes)


def test_report_and_config_status_table(tmp_path):
    from crmcli.config import load_settings
    from crmcli.report import build_report

    cfg = tmp_path / "crm.toml"
    cfg.write_text('[orders.status]\n"拼团成功待核销" = "pending"\n', encoding="utf-8")
    s = load_settings(cfg)
    assert s.order_status == {"拼团成功待核销": "unpaid"}
    r = build_report(table(TAOBAO), settings=s)
    assert (r.kpis["orders"], r.kpis["revenue"]) == (2, 150.0)
    cfg.write_text('[orders]\nstatus = { "交易关闭" = "gone" }\n', encoding="utf-8")
    with pytest.raises(UsageError, match="not a status class"):
        load_settings(cfg)
    cfg.write_text('[orders]\nstatuses = {}\n', encoding="utf-8")
    with pytest.raises(UsageError, match="unknown key 'orders.statuses'"):
        load_settings(cfg)


def test_input_is_not_modified():
    df = table(SHOPIFY)
    before = df.copy()
    prepare_orders(df)
    pd.testing.assert_frame_equal(df, before)
    assert np.isfinite(prepare_orders(df).orders["amount"]).all()


def test_cli_rfm_prints_the_rules(run):
    res = run(["rfm", "-", "-o", "-"], input=TAOBAO.encode())
    said = " ".join(res.stderr.split())
    assert res.exit_code == 0
    assert "left out: 4 rows (1 cancelled, 1 unpaid, 2 refunded)" in said
    assert "left out: 1 cancelled or closed, 1 unpaid, 2 refunded orders" in said
    assert "a credit note — an order with a negative net amount — is not an order" in said
    out = pd.read_csv(io.StringIO(res.stdout), dtype={"customer_id": str})
    assert sorted(out["customer_id"]) == ["tb_a", "tb_c", "tb_d"]


def test_other_export_shapes():
    # WooCommerce Analytics › Orders CSV: generic headers confirmed by their values
    woo = prepare_orders(table("Date,Order #,Status,Customer,Customer type,Product(s),Items sold,Coupon(s),Net Sales\n"
                               "2024-03-01,4101,Completed,Amy Lee,new,Mug,1,,10.00\n"
                               "2024-03-02,4102,Refunded,Bo Chan,new,Tea,2,,20.00\n"
                               "2024-03-03,4103,Processing,Amy Lee,returning,Tea,1,,9.50\n"))
    assert woo.mapping["Order #"] == "order_id" and woo.mapping["Net Sales"] == "amount"
    assert woo.orders["amount"].tolist() == [10.0, 9.5] and woo.dropped == {"refunded": 1}
    # Douyin (抖店)-shaped: main order id, sub-order rows, a masked phone, 售后状态
    dy = prepare_orders(table("主订单编号,子订单编号,选购商品,商品数量,订单应付金额,订单提交时间,支付完成时间,订单状态,售后状态,收件人,收件人手机\n"
                              "6921,6921-1,保温杯,1,120.00,2024/05/01 10:00:00,2024/05/01 10:01:00,已完成,,王芳,138****5678\n"
                              "6921,6921-2,茶叶,1,120.00,2024/05/01 10:00:00,2024/05/01 10:01:00,已完成,,王芳,138****5678\n"
                              "6922,6922-1,茶叶,2,80.00,2024/05/02 10:00:00,2024/05/02 10:01:00,已完成,退款成功,李雷,139****1234\n"
                              "6923,6923-1,茶叶,1,40.00,2024/05/03 10:00:00,,已关闭,,李雷,139****1234\n"))
    o = dy.orders.set_index("order_id")
    assert o["amount"].to_dict() == {"6921": 120.0}                 # a total repeated on its two lines, once
    assert dy.dropped == {"cancelled": 1, "refunded": 1} and o.loc["6921", "customer_id"] == "王芳"
    assert dy.mapping["支付完成时间"] == "paid_at" and dy.mapping["选购商品"] == "product"


def test_a_continuation_line_like_the_first_is_not_a_repeated_row():
    p = prepare_orders(table("Name,Email,Financial Status,Total,Created at,Lineitem quantity,Lineitem name,Lineitem price\n"
                             "#7,a@x.com,paid,20.00,2024-03-05 10:00:00 -0500,1,Mug,10.00\n"
                             "#7,a@x.com,,,2024-03-05 10:00:00 -0500,1,Mug,10.00\n"))
    assert p.dropped == {} and len(p.lines) == 2                    # two mugs: the blanks tell the rows apart
    assert p.orders[["order_id", "amount"]].to_dict("records") == [{"order_id": "#7", "amount": 20.0}]

import pytest

from crmcli.errors import UsageError
from crmcli.schema import FIELDS, field_for_header, header_key, map_columns, parse_map_options


@pytest.mark.parametrize("header,field", [
    ("Phone", "phone"), ("Mobile", "phone"), ("TEL", "phone"), ("电话", "phone"), ("手机", "phone"),
    ("手机号", "phone"), ("联系电话", "phone"), ("联系方式", "phone"), ("Order Date", "order_date"),
    ("order_date", "order_date"), ("Date", "order_date"), ("下单日期", "order_date"), ("订单日期", "order_date"),
    ("日期", "order_date"), ("成交日期", "order_date"), ("订单号", "order_id"), ("客户ID", "customer_id"),
    ("客户名称", "name"), ("产品", "product"), ("数量", "quantity"), ("金额", "amount"), ("渠道", "channel"),
    ("邮箱", "email"), ("E-Mail", "email"), ("城市", "city"), ("地址", "address"), ("  Customer   ID ", "customer_id"),
    ("ＰＨＯＮＥ", "phone"), ("Unit Price", "unit_price"), ("given_name", "first_name"), ("surname", "last_name"),
    ("State", "state"), ("身份证号", "national_id"),
])
def test_synonyms(header, field):
    assert field_for_header(header) == field


def test_unknown_headers_pass_through():
    assert field_for_header("记录号") is None
    assert field_for_header("备注") is None
    mapping = map_columns(["记录号", "客户名称", "备注"])
    assert mapping == {"客户名称": "name"}


def test_each_field_taken_once_first_wins():
    assert map_columns(["手机", "电话"]) == {"手机": "phone"}


def test_overrides_win_and_free_the_field():
    mapping = map_columns(["手机", "备用电话"], {"phone": "备用电话"})
    assert mapping == {"备用电话": "phone"}


def test_override_unknown_column_is_usage_error():
    with pytest.raises(UsageError):
        map_columns(["a"], {"phone": "nope"})


def test_parse_map_options():
    assert parse_map_options(["phone=联系 电话"]) == {"phone": "联系 电话"}
    for bad in ["phone", "=x", "nofield=x"]:
        with pytest.raises(UsageError):
            parse_map_options([bad])


def test_fields_include_extras():
    for f in ("first_name", "last_name", "state", "national_id", "customer_id", "cost"):
        assert f in FIELDS


def test_header_key_folds():
    assert header_key("Order_Date ") == header_key("order-date") == "orderdate"


def test_organisation_headers_map_to_company():
    from crmcli.schema import map_columns

    for header in ("Site name", "Agency", "Organization", "Company Name", "机构名称", "门店名称", "网点", "公司名称"):
        assert map_columns([header, "Phone"])[header] == "company", header


def test_store_and_shop_name_the_channel_in_orders_and_the_organisation_in_a_list():
    from crmcli.schema import map_columns

    assert map_columns(["订单号", "店铺", "金额"])["店铺"] == "channel"
    assert map_columns(["Order ID", "Store", "Total"])["Store"] == "channel"
    assert map_columns(["店铺名称", "联系电话", "地址"])["店铺名称"] == "company"
    assert map_columns(["Store", "Phone", "Address"])["Store"] == "company"

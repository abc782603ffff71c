"""The field layer: every accepted form, every problem code, the normalize_field contract."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crmcli.fields import FIELD_KINDS, KINDS, Normalized, normalize_field
from crmcli.fields.email import normalize_email
from crmcli.fields.phone import cn_fast_pattern, normalize_phone
from crmcli.schema import FIELDS


def norm(values, kind, **kw):
    res = normalize_field(pd.Series(values, dtype="str"), kind, **kw)
    return list(res.values), list(res.codes)


# ---------------------------------------------------------------- phones

@pytest.mark.parametrize("raw", [
    "13812345678", " 138 1234 5678 ", "138-1234-5678", "+86 138-1234-5678", "008613812345678",
    "0086 138 1234 5678", "8613812345678", "86-13812345678", "(+86)13812345678", "１３８１２３４５６７８",
    "13812345678.0", "1.3812345678E+10", "138.1234.5678", "+8613812345678",
])
def test_phone_cn_mobile_forms(raw):
    assert norm([raw], "phone") == (["+8613812345678"], [""])


@pytest.mark.parametrize("raw,expected", [
    ("021-62345678", "+862162345678"), ("(0571)87654321", "+8657187654321"), ("（0571）8765-4321", "+8657187654321"),
    ("0086 21 6234 5678", "+862162345678"), ("86 21 62345678", "+862162345678"),
    ("010-8888 6666 转 123", "+861088886666 ext. 123"), ("+1 415 555 2671", "+14155552671"),
    ("+44 20 7946 0958", "+442079460958"),
])
def test_phone_landlines_and_foreign(raw, expected):
    assert norm([raw], "phone") == ([expected], [""])


@pytest.mark.parametrize("raw,code", [
    ("1.38123E+10", "lossy-phone"), ("1.38123e10", "lossy-phone"), ("12345", "invalid-phone"),
    ("abc", "invalid-phone"), ("1381234567", "invalid-phone"), ("138123456789", "invalid-phone"),
    ("10012345678", "invalid-phone"), ("13812345678/13912345678", "invalid-phone"),
])
def test_phone_problems_keep_the_value(raw, code):
    assert norm([f" {raw} "], "phone") == ([raw], [code])


def test_phone_region_option():
    assert norm(["(415) 555-2671"], "phone", region="US") == (["+14155552671"], [""])
    assert norm(["(212) 555-2671"], "phone", region="CN") == (["+862125552671"], [""])  # a Shanghai number
    assert norm(["13812345678"], "phone", region="US")[1] == ["invalid-phone"]


def test_phone_fast_path_agrees_with_phonenumbers():
    pattern = cn_fast_pattern()
    assert pattern is not None
    rng = random.Random(7)
    for _ in range(3000):
        nsn = "1" + "".join(rng.choice("0123456789") for _ in range(10))
        fast = pattern.fullmatch(nsn) is not None
        try:
            valid = phonenumbers.is_valid_number(phonenumbers.parse(nsn, "CN"))
        except phonenumbers.NumberParseException:
            valid = False
        if fast:
            assert valid, nsn
        value, code = normalize_phone(nsn)
        assert (code == "") == valid, nsn
        if valid:
            assert value == "+86" + nsn


# ---------------------------------------------------------------- emails

@pytest.mark.parametrize("raw,expected", [
    (" John.Doe@Example.COM ", "John.Doe@example.com"), ("li.na＠QQ.com", "li.na@qq.com"),
    ("ｗａｎｇ＠１６３．ｃｏｍ", "wang@163.com"), ("a+tag@sub.example.co.uk", "a+tag@sub.example.co.uk"),
])
def test_email_forms(raw, expected):
    assert norm([raw], "email") == ([expected], [""])


@pytest.mark.parametrize("raw", ["bad@", "x@y", "no-at-sign", "a@@b.com", "a..b@c.com", "a@b..com", "a@localhost"])
def test_email_invalid(raw):
    assert norm([raw], "email") == ([raw], ["invalid-email"])


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\A[a-zA-Z0-9._+-]{1,12}@[a-zA-Z0-9.-]{1,12}\.[a-zA-Z]{1,4}\Z"))
@example("0@00--0.AA")
@example("a@ab--c.com")
@pytest.mark.slow
def test_email_fast_path_agrees_with_email_validator(addr):
    try:
        validate_email(addr, check_deliverability=False)
        ok = True
    except EmailNotValidError:
        ok = False
    assert (normalize_email(addr)[1] == "") == ok


# ---------------------------------------------------------------- dates

@pytest.mark.parametrize("raw", [
    "2024-03-05", "2024/3/5", "2024/03/05", "2024.03.05", "2024年3月5日", "2024年03月05日", "20240305",
    "45356", "45356.0", "5 Mar 2024", "05-Mar-2024", "5-Mar-24", "Mar 5, 2024", "March 5th, 2024", "２０２４－０３－０５", " 2024-3-5 ",
])
def test_date_forms(raw):
    assert norm([raw], "date") == (["2024-03-05"], [""])


def test_date_time_kept_when_the_column_has_times():
    values, codes = norm(["2024-03-05 14:23:05", "2024/3/6", "45356.5", "2024-03-07T08:00"], "date")
    assert values == ["2024-03-05 14:23:05", "2024-03-06 00:00:00", "2024-03-05 12:00:00", "2024-03-07 08:00:00"]
    assert codes == ["", "", "", ""]
    assert norm(["2024-03-05 00:00:00", "2024-03-06"], "date")[0] == ["2024-03-05", "2024-03-06"]


def test_date_parsed_is_datetime64():
    res = normalize_field(pd.Series(["2024-03-05", "", "待定"]), "date")
    assert str(res.parsed.dtype) == "datetime64[ns]"
    assert res.parsed.iloc[0] == pd.Timestamp("2024-03-05")
    assert res.parsed.iloc[1:].isna().all()


def test_day_first_decided_by_column_evidence():
    assert norm(["03/05/2024", "25/12/2023"], "date") == (["2024-05-03", "2023-12-25"], ["", ""])
    assert norm(["03/05/2024", "12/25/2023"], "date") == (["2024-03-05", "2023-12-25"], ["", ""])


def test_contradicting_evidence_decides_nothing():
    values, codes = norm(["25/12/2023", "12/25/2023", "03/05/2024"], "date")
    assert values == ["2023-12-25", "2023-12-25", "03/05/2024"]
    assert codes == ["", "", "ambiguous-date"]


def test_undecidable_order_is_ambiguous_and_kept():
    assert norm(["03/05/2024", "05/05/2024", "2024-01-01"], "date") == (
        ["03/05/2024", "2024-05-05", "2024-01-01"], ["ambiguous-date", "", ""])


def test_dayfirst_option_forces_order():
    assert norm(["03/05/2024"], "date", dayfirst=True) == (["2024-05-03"], [""])
    assert norm(["03/05/2024"], "date", dayfirst=False) == (["2024-03-05"], [""])
    assert norm(["13/05/2024"], "date", dayfirst=False) == (["13/05/2024"], ["invalid-date"])


@pytest.mark.parametrize("raw", ["2024-02-30", "2023-02-29", "2024-13-01", "待定", "N/A", "12345", "99999", "2024", "1800-01-01",
                                 "2024-03-05 25:00:00"])
def test_date_invalid(raw):
    assert norm([raw], "date") == ([raw], ["invalid-date"])


# ---------------------------------------------------------------- amounts and numbers

@pytest.mark.parametrize("raw,expected", [
    ("¥1,234.50", "1234.5"), ("￥1234.5", "1234.5"), ("1234.5元", "1234.5"), ("RMB 1234.50", "1234.5"),
    ("１２３４．５", "1234.5"), ("1234.5  ", "1234.5"), ("-20", "-20"), ("-¥20.00", "-20"), ("(12.50)", "-12.5"),
    ("$1,000", "1000"), ("1,234,567.00", "1234567"), ("0.50", "0.5"), ("1234", "1234"), ("人民币 88 元", "88"),
    ("1.2万", "12000"), ("1.2345E+05", "123450"), ("1e+06", "1000000"), ("－５", "-5"), ("（1,234.50）", "-1234.5"), ("¥3.5万元", "35000"), ("0.00015万", "1.5"), ("-2万", "-20000"),
])
def test_amount_forms(raw, expected):
    assert norm([raw], "amount") == ([expected], [""])


@pytest.mark.parametrize("raw", ["abc", "十元", "12,5", "1.2.3", "--5", "免费"])
def test_amount_invalid(raw):
    assert norm([raw], "amount") == ([raw], ["invalid-amount"])


def test_amount_parsed_float():
    res = normalize_field(pd.Series(["¥1,234.50", "", "abc", "-3"]), "amount")
    assert res.parsed.dtype == np.float64
    assert res.parsed.iloc[0] == 1234.5 and res.parsed.iloc[3] == -3.0
    assert res.parsed.iloc[1:3].isna().all()


def test_numbers():
    assert norm(["3", "3件", "2 pcs", "x"], "number") == (["3", "3", "2", "x"], ["", "", "", "invalid-number"])


# ---------------------------------------------------------------- text and ids

def test_text():
    values, codes = norm(["  John   Smith ", "张　三", "ＡＢＣ　Ltd", "王\t五", "Café  Ünïcode"], "text")
    assert values == ["John Smith", "张三", "ABC Ltd", "王 五", "Café Ünïcode"]
    assert codes == [""] * 5


def test_ids():
    assert norm(["10023.0", "00077", " C１００ ", "SO-1"], "id")[0] == ["10023", "00077", "C100", "SO-1"]


# ---------------------------------------------------------------- the contract

def test_field_kinds_cover_every_field():
    assert set(FIELD_KINDS) == set(FIELDS)
    assert set(FIELD_KINDS.values()) <= set(KINDS)
    assert FIELD_KINDS["phone"] == "phone" and FIELD_KINDS["order_date"] == "date"
    assert FIELD_KINDS["amount"] == "amount" and FIELD_KINDS["quantity"] == "number"
    assert FIELD_KINDS["order_id"] == "id" and FIELD_KINDS["name"] == "text"


@pytest.mark.parametrize("kind", KINDS)
def test_contract_same_index_and_input_untouched(kind):
    s = pd.Series(["a", " 1 ", "", "a"], index=pd.Index([5, 7, 9, 11], name="row"), dtype="str", name="col")
    before = s.copy()
    res = normalize_field(s, kind)
    assert isinstance(res, Normalized)
    for part in (res.values, res.codes, res.parsed):
        assert part.index.equals(s.index)
    assert res.values.dtype == "str" and res.codes.dtype == "str"
    assert res.values.iloc[2] == "" and res.codes.iloc[2] == ""
    pd.testing.assert_series_equal(s, before)


def test_contract_empty_and_object_input():
    res = normalize_field(pd.Series([], dtype="str"), "date")
    assert len(res.values) == 0 and len(res.parsed) == 0
    res = normalize_field(pd.Series(["13812345678", None], dtype=object), "phone")
    assert list(res.values) == ["+8613812345678", ""]


def test_unknown_kind():
    with pytest.raises(ValueError):
        normalize_field(pd.Series(["x"]), "colour")


_MESSY = st.sampled_from([
    "13812345678", "+86 138 1234 5678", "1.38123E+10", "021-62345678", "2024/3/5", "05/03/2024", "13/03/2024",
    "2024年3月5日", "45356", "2024-02-30", "待定", "¥1,234.50", "１２３４．５", "RMB 12", "abc", "", " ", "10023.0",
    "a＠b.cn", "Mar 5, 2024", "张　三", "  x  y ", "(12.50)", "2024-03-05 14:23:05",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(_MESSY | st.text(max_size=12), max_size=12), st.sampled_from(KINDS))
def test_normalizing_twice_equals_once(values, kind):
    once = normalize_field(pd.Series(values, dtype="str"), kind)
    twice = normalize_field(once.values, kind)
    assert list(twice.values) == list(once.values)
    assert list(twice.codes) == list(once.codes) or kind == "date"


@pytest.mark.parametrize("shape", ["0{area}{local}", "{area}{local}", "1{rest}", "{rest}", "+86{area}{local}",
                                   "0086{area}{local}", "4{rest}", "9{rest}"])
def test_phone_cn_metadata_rule_agrees_with_phonenumbers(shape):
    rng = random.Random(hash(shape) & 0xFFFF)
    for _ in range(1500):
        text = shape.format(area=rng.choice(["21", "10", "571", "755", "20", "851", "433", "311", "29"]),
                            local="".join(rng.choice("0123456789") for _ in range(rng.choice([6, 7, 8, 9]))),
                            rest="".join(rng.choice("0123456789") for _ in range(rng.randrange(3, 12))))
        try:
            num = phonenumbers.parse(text, "CN")
            valid = phonenumbers.is_valid_number(num)
            e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            valid, e164 = False, None
        value, code = normalize_phone(text)
        assert (code == "") == valid, text
        if valid:
            assert value == e164, text


@pytest.mark.parametrize("kind", ["id", "text"])
@pytest.mark.parametrize("size", [200, 1300])    # 2,000 values: RE2 alone; 13,000: bytes first, then RE2
def test_vectorized_text_path_equals_per_value(kind, size):
    from crmcli.fields import normalize_id, normalize_text

    one = normalize_id if kind == "id" else normalize_text
    base = ["10023.0", "00077", " C１００ ", "张　三", "  John   Smith ", "ＡＢＣ", "ok id", "a\tb", "x.00", "-5.0",
            "a  b", "a \x0bb", "end ", "\x1cx", "1.0", "+7.00", "a.b", "x\u00a0y", "x\u2003", "ok"]
    values = [f"{b}{i}" if i % 3 else f"{i}{b}" for i in range(size) for b in base[:10]] + base * 3
    res = normalize_field(pd.Series(values, dtype="str"), kind)
    assert list(res.values) == [one(v) for v in values]


def test_vectorized_phone_path_equals_per_value():
    rng = random.Random(3)
    forms = ["{p}", "{a}-{b}-{c}", "+86 {p}", "0086{p}", "86{p}", "{p}.0", " {p} ", "({a}){b}{c}", "{p}9", "1.38123E+10",
             "{a}{b}", "021-6234{c}", "１３８{b}{c}", "+86-{p}", "{a}.{b}.{c}"]
    values = []
    for _ in range(3000):
        p = rng.choice(["138", "199", "170", "141", "145", "100", "162"]) + f"{rng.randrange(10**8):08d}"
        values.append(rng.choice(forms).format(p=p, a=p[:3], b=p[3:7], c=p[7:]))
    res = normalize_field(pd.Series(values, dtype="str"), "phone")
    assert [(v, c) for v, c in zip(res.values, res.codes)] == [normalize_phone(v) for v in values]


def test_clean_id_column_passes_through():
    s = pd.Series([f"SO{i:06d}" for i in range(1500)] + ["SO000001"], dtype="str")
    res = normalize_field(s, "id")
    assert list(res.values) == list(s) and set(res.codes) == {""} and res.values.dtype == "str"
    s2 = pd.Series([f"{i}" for i in range(1500)] + ["77.0"], dtype="str")
    assert normalize_field(s2, "id").values.iloc[-1] == "77"


def test_vectorized_phone_path_equals_per_value_random_shapes():
    rng = random.Random(11)
    shapes = ["0{area}{local}", "{area}{local}", "1{rest}", "{rest}", "+86{area}{local}", "0086 {area} {local}",
              "86{area}{local}", "（0{area}）{local}", "11{rest}", "179{rest}", "+1 {rest}", "0{rest}", "{rest}.0",
              " 8{rest} ", "+86-1{rest}"]
    values = []
    for _ in range(4000):
        values.append(rng.choice(shapes).format(
            area=rng.choice(["21", "10", "571", "755", "20", "851", "433", "311", "29"]),
            local="".join(rng.choice("0123456789") for _ in range(rng.choice([6, 7, 8, 9]))),
            rest="".join(rng.choice("0123456789") for _ in range(rng.randrange(3, 12)))))
    res = normalize_field(pd.Series(values, dtype="str"), "phone")
    assert [(v, c) for v, c in zip(res.values, res.codes)] == [normalize_phone(v) for v in values]


@pytest.mark.parametrize("with_time", [False, True])
def test_vectorized_date_path_equals_per_value(with_time):
    from crmcli.fields.dates import normalize_dates

    rng = random.Random(5)
    values = []
    for _ in range(3000):
        y, m, d = rng.randrange(1890, 2110), rng.randrange(0, 14), rng.randrange(0, 33)
        form = rng.random()
        if form < 0.5:
            values.append(f"{y:04d}-{m:02d}-{d:02d}")
        elif form < 0.7 and with_time:
            values.append(f"{y:04d}-{m:02d}-{d:02d} {rng.randrange(0, 25):02d}:{rng.randrange(60):02d}:{rng.randrange(61):02d}")
        elif form < 0.8:
            values.append(f"{y}/{m}/{d}")
        elif form < 0.9:
            values.append(f"{d:02d}/{m:02d}/{y}")
        else:
            values.append(rng.choice(["待定", "", " 2024-03-05 ", "45356", "Mar 5, 2024", "2024-03-05T10:00"]))
    values = list(dict.fromkeys(values))
    fast = normalize_dates(values)
    slow_out, slow_codes, slow_stamps = [], [], []
    # the one-by-one path: chunks below the vectorization threshold, but one column decision
    from crmcli.fields import dates as mod

    saved = mod._strict_iso
    mod._strict_iso = lambda v: (np.empty(0, dtype=np.int64), np.empty(0, dtype="datetime64[s]"))
    try:
        slow_out, slow_codes, slow_stamps = normalize_dates(values)
    finally:
        mod._strict_iso = saved
    assert fast[0] == slow_out and fast[1] == slow_codes
    assert (np.isnat(fast[2]) == np.isnat(slow_stamps)).all()
    assert (fast[2][~np.isnat(fast[2])] == slow_stamps[~np.isnat(slow_stamps)]).all()


def test_vectorized_phone_path_equals_per_value_odd_spacing_and_tails():
    # the byte-level path (ASCII) and the RE2 path (non-ASCII) against the one-by-one rules
    rng = random.Random(17)
    shapes = ["１３８{b}{c}.０", "\x0b{p}.0", "{p}.00 ", " +86 {p}.0", "86-{p}", "{p}\u3000", "\u3000{p}.0",
              "138.{b}.{c}", "{p}.5", "+{p}.0", "0086 {p}", "{a}‐{b}‐{c}", "{p}·", "\x1c{p}\x1f", "{p}.0.0",
              "{p}..0", ".0{p}", "{p}.", "({a}) {b}-{c}", "+86({a}){b}{c}", "＋８６{p}", "{p}\t", "{a}/{b}/{c}",
              "[{a}]{b}{c}", "{p}ext.12", "{p} 转 8", "", "  ", "{p}{p}", "0{p}", "+860{p}", "{b}{c}.0"]
    values = []
    for _ in range(4000):
        p = rng.choice(["138", "199", "170", "141", "145", "100", "162", "174"]) + f"{rng.randrange(10**8):08d}"
        values.append(rng.choice(shapes).format(p=p, a=p[:3], b=p[3:7], c=p[7:]))
    res = normalize_field(pd.Series(values, dtype="str"), "phone")
    assert [(v, c) for v, c in zip(res.values, res.codes)] == [normalize_phone(v) for v in values]


@pytest.mark.parametrize("with_time", [False, True])
def test_vectorized_date_column_equals_one_by_one(with_time, monkeypatch):
    # normalize_field's column path (strict ISO and the y-m-d forms read from bytes, RE2) must
    # give what the one-by-one parser gives for the same column
    from crmcli.fields import dates as mod

    rng = random.Random(23)
    forms = ["{y:04d}-{m:02d}-{d:02d}", "{y}/{m}/{d}", "{y}.{m:02d}.{d:02d}", "{y}年{m}月{d}日", "{y}年{m}月{d}号",
             "{y:04d}{m:02d}{d:02d}", "{d:02d}/{m:02d}/{y}", "{y}-{m}-{d}", " {y}/{m}/{d} ", "{y}/{m:02d}/{d:02d}.",
             "{y}年 {m}月{d}日", "{y:04d}-{m:02d}-{d:02d}T10:00", "{y}/{m}/{d}/", "{y}年{m}月", "{y}{m}{d}"]
    if with_time:
        forms.append("{y:04d}-{m:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}")
    values = []
    for _ in range(6000):
        y, m, d = rng.randrange(1890, 2110), rng.randrange(0, 14), rng.randrange(0, 33)
        values.append(rng.choice(forms).format(y=y, m=m, d=d, h=rng.randrange(25), mi=rng.randrange(60),
                                               s=rng.randrange(61)))
    values += ["待定", "", "45356", "Mar 5, 2024", "2024-02-30", "20240230"] * 10
    res = normalize_field(pd.Series(values, dtype="str"), "date")
    monkeypatch.setattr(mod, "_strict_iso", lambda v: (np.empty(0, dtype=np.int64), np.empty(0, dtype="datetime64[s]")))
    slow_out, slow_codes, slow_stamps = mod.normalize_dates(values)
    assert list(res.values) == slow_out
    assert list(res.codes) == slow_codes
    parsed = res.parsed.to_numpy()
    assert (np.isnat(parsed) == np.isnat(slow_stamps)).all()
    assert (parsed[~np.isnat(parsed)] == slow_stamps[~np.isnat(slow_stamps)]).all()


def test_vectorized_scientific_phones_equal_per_value():
    rng = random.Random(29)
    shapes = ["{a}.{f}E+{e}", "{a}.{f}e{e}", "+{a}.{f}E+{e}", "-{a}.{f}E+{e}", " {a}.{f}E+{e} ", "{a}E+{e}",
              "{a}.{f}E-{e}", "{a}.{f}E+{e}0", "１.{f}E+{e}", "{a}.E+{e}"]
    values = []
    for _ in range(3000):
        f = "".join(rng.choice("0123456789") for _ in range(rng.randrange(0, 13)))
        values.append(rng.choice(shapes).format(a=rng.randrange(1, 10), f=f, e=rng.choice([9, 10, 11, 12])))
    res = normalize_field(pd.Series(values, dtype="str"), "phone")
    assert [(v, c) for v, c in zip(res.values, res.codes)] == [normalize_phone(v) for v in values]
    assert {"lossy-phone", "invalid-phone", ""} <= set(res.codes)

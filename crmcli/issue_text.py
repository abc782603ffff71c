"""The issue catalogue in Chinese: one table laid over :data:`crmcli.validate.CODES` (and the reader's codes).

``crm validate --lang zh``, the report's Data quality sheet and its Customers notes all read it, so a code has one
Chinese name, message and suggestion everywhere. The messages keep the English ones' placeholders
(``{region}``, ``{field}``, ``{value}``, ``{first}``). The codes themselves stay the same slugs in every
language (they are identifiers: ``--fail-on``, filters and scripts match them); :func:`localize_issues` adds
their names.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class IssueText:
    """A code's text in one language: its short ``name``, the ``message`` (a template) and the ``suggestion``."""

    name: str
    message: str
    suggestion: str


#: code -> its Chinese text. Field-layer and validation codes (``crmcli.validate.CODES``), then the reader's.
ZH: dict[str, IssueText] = {
    "invalid-phone": IssueText("电话无效", "不是有效的电话号码 (地区 {region})", "核对号码位数；外国号码请写 +国家代码"),
    "lossy-phone": IssueText("电话位数丢失", "电话被写成科学计数法，末几位数字已丢失",
                             "在源系统中把该列导出为文本；这里无法恢复丢失的数字"),
    "masked-phone": IssueText("电话已脱敏", "平台隐藏了部分数字的电话号码：原样保留，不用于匹配客户",
                              "导出完整号码的订单，才能联系或匹配这些客户"),
    "invalid-email": IssueText("邮箱无效", "不是有效的邮箱地址", "检查拼写错误、空格或缺少的 @"),
    "invalid-date": IssueText("日期无效", "不是日期，或是不存在的日期", "写成 YYYY-MM-DD"),
    "ambiguous-date": IssueText("日期歧义", "日月顺序不确定：该列没有日大于 12 的值", "使用 --dayfirst 或 --monthfirst"),
    "invalid-amount": IssueText("金额无效", "不是金额", "只用数字和一个小数点，例如 1234.50"),
    "invalid-number": IssueText("数字无效", "不是数字", "只用数字，例如 3"),
    "missing-value": IssueText("缺少值", "为空", "请填写"),
    "duplicate-id": IssueText("编号重复", "{field} {value} 已出现在第 {first} 行", "检查这两行是否为同一条记录"),
    "duplicate-row": IssueText("重复行", "与第 {first} 行的值完全相同", "删除重复的行"),
    # the rules and default checks (crmcli.rules)
    "not-in-enum": IssueText("不在允许值内", "不是允许的值之一", "请写以下之一: {allowed}"),
    "out-of-range": IssueText("超出范围", "超出 {range}", "核对该值；规则允许 {range}"),
    "pattern-mismatch": IssueText("格式不符", "不符合格式 {pattern}", "按 {pattern} 的格式填写"),
    "wrong-length": IssueText("长度不符", "{length} 个字符，超出 {range}", "检查是否多了或少了字符"),
    "duplicate-value": IssueText("值重复", "{value} 已出现在第 {first} 行", "{column} 的每个值都必须唯一"),
    "row-rule": IssueText("行规则不成立", "{rule} 不成立: {left} 对 {right}", "核对该行的 {columns}"),
    "missing-column": IssueText("缺少列", "没有 {key} 列: 其规则未检查", "用 --map {key}=列名 指定一列，或删除该规则"),
    "implausible-date": IssueText("日期不合理", "超出合理日期 {range}", "核对年份 (笔误、Excel 零日期或时钟设置错误)"),
    "negative-quantity": IssueText("数量为负", "非退款行的数量为负数", "核对正负号，或把该行标为退款 (负金额或退款状态)"),
    "outlier-amount": IssueText("金额异常", "远超出该列的常见金额 (多数为 {typical})", "检查是否多了或少了位数，或单位有误"),
    "address-mismatch": IssueText("地址不一致", "这里是 {here}，但 {source} 在 {place}", "核对 {column} 与 {source}"),
    "postcode-mismatch": IssueText("邮编不符", "邮编 {value} 不在 {place}", "根据地址核对邮编"),
    "fillable-from-address": IssueText("可从地址补全", "为空；{source} 显示为 {place}",
                                       "填写 {place} (crm clean --fill-address 可自动补全)"),
    "value-variant": IssueText("同值异写", "{canonical} 的一种写法 ({method})", "写成 {canonical} (crm clean --merge-values 可统一)"),
    "similar-value": IssueText("相近的值", "与更常见的 {canonical} 相近 ({method})",
                               "若是同一个值请写成 {canonical} (在 crm.toml 的 [values] 中列出即可合并)"),
    # the reader's (crmcli.io, crmcli.describe): their English messages carry details; the Chinese ones are general
    "ragged-row": IssueText("单元格数不符", "该行的单元格数与表头不同；多出的单元格放在新列中",
                            "检查该行的分隔符和引号"),
    "renamed-header": IssueText("表头已改名", "表头为空或重复，已自动命名", "在源文件中给该列一个唯一的表头"),
    "skipped-row": IssueText("表头上方的行", "表头上方的行 (标题等)，未作为数据读取", ""),
    "totals-row": IssueText("合计行", "看起来是合计行 (合计/Total)：保留在表中，分析命令不计入", ""),
    "stray-quote": IssueText("引号不匹配", "引号字段在结束引号后还有文字；已按 Excel 的方式读取", "检查引号"),
    "suspicious-quote": IssueText("可疑引号", "一个引号字段里包含像是多行数据的内容：可能有多余的引号", "检查引号"),
    "formula-without-value": IssueText("公式无值", "单元格是公式但没有保存的值 (读作空)",
                                       "在 Excel 中打开并保存该文件以计算公式"),
    "error-cell": IssueText("Excel 错误值", "单元格中是 Excel 错误值 (如 #DIV/0!)", "在源文件中修正该公式"),
    "unfit-column": IssueText("列值不符", "该列的值不符合其字段", "用 --map 指定正确的列"),
}
SEVERITY_ZH = {"error": "错误", "warning": "警告"}


def issue_text(code: str, lang: str, *, message: str = "", suggestion: str = "") -> IssueText:
    """``code``'s text in ``lang``: the Chinese table for ``zh``; in English the slug is its name and ``message``
    / ``suggestion`` (the catalogue's) are kept. An unknown code keeps what was given."""
    if lang == "zh" and code in ZH:
        return ZH[code]
    return IssueText(code, message, suggestion)


def code_name(code: str, lang: str) -> str:
    """The code's name in ``lang`` (English: the slug)."""
    return issue_text(code, lang).name


def severity_name(severity: str, lang: str) -> str:
    return SEVERITY_ZH.get(severity, severity) if lang == "zh" else severity


def localize_issues(issues: pd.DataFrame, lang: str) -> pd.DataFrame:
    """An issue list as written for ``lang``: for ``zh``, ``severity`` in Chinese and a ``problem`` column (the
    code's Chinese name) after ``code``; messages and suggestions come in the language from ``find_issues``.
    English: as it is."""
    if lang != "zh" or issues.empty and "code" not in issues.columns:
        return issues
    out = issues.copy()
    codes = out["code"].astype("str")
    names = {c: code_name(c, lang) for c in codes.unique()}
    out.insert(list(out.columns).index("code") + 1, "problem", codes.map(names))
    out["severity"] = out["severity"].astype("str").map(lambda s: severity_name(s, lang))
    return out

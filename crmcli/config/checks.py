"""The checks of the settings' values: each takes (value, how the user spelled the setting) and returns the
checked value or raises :class:`~crmcli.errors.UsageError` (:data:`crmcli.config.settings.KEYS` names one per
setting)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import UsageError

INPUTS = ("orders", "customers", "leads", "campaigns")
LANGS = ("zh", "en")
SCHEMES = ("rfm", "cn8")
#: Where analytics run (``crmcli.engines``): auto = pandas for small inputs, duckdb above ``engine_big``.
ENGINES = ("auto", "pandas", "duckdb", "spark")
REPORT_FORMATS = ("xlsx", "html")


def parse_date(value: Any, name: str = "as_of") -> dt.date | None:
    """A date setting (``YYYY-MM-DD`` or a TOML date) by the one as-of parser; empty -> None; else UsageError."""
    from ..options import parse_as_of

    try:
        ts = parse_as_of(value)
    except UsageError:
        raise UsageError(f"{name} {value!r} is not a date", hint="write it as YYYY-MM-DD, e.g. 2024-12-31") from None
    return ts.date() if ts is not None else None


def parse_bool(value: Any, name: str) -> bool | None:
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    if text in ("", "auto"):
        return None
    raise UsageError(f"{name} {value!r} is not true/false")


def whole_number(minimum: int) -> Callable[[Any, str], int]:
    def check(value: Any, name: str) -> int:
        if isinstance(value, bool):
            raise UsageError(f"{name} {value!r} is not a whole number")
        try:
            n = value if isinstance(value, int) else int(str(value).strip())
        except ValueError:
            raise UsageError(f"{name} {value!r} is not a whole number") from None
        if n < minimum:
            raise UsageError(f"{name} must be at least {minimum}, got {value!r}")
        return n
    return check


def parse_mask(value: Any, name: str) -> frozenset[str]:
    """``true`` (every kind), ``false``, or kinds: ``["phone", "email"]`` / ``"phone,email"``."""
    from ..privacy.mask import KINDS

    if isinstance(value, bool):
        return frozenset(KINDS) if value else frozenset()
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on", "all", "0", "false", "no",
                                                            "off", ""):
        return frozenset(KINDS) if value.strip().lower() in ("1", "true", "yes", "on", "all") else frozenset()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple, set, frozenset)):
        raise UsageError(f"{name} {value!r} is not true/false or a list of kinds", hint="kinds: " + ", ".join(KINDS))
    kinds = {str(k).strip() for k in items if str(k).strip()}
    unknown = sorted(kinds - set(KINDS))
    if unknown:
        raise UsageError(f"{name}: {unknown[0]!r} is not a kind that can be masked", hint="kinds: " + ", ".join(KINDS))
    return frozenset(kinds)


def parse_pseudonymize(value: Any, name: str) -> tuple[str, ...]:
    from ..privacy.pseudonym import parse_fields

    return parse_fields(value, name)


def parse_file_mode(value: Any, name: str) -> int:
    """An octal mode: ``0o640`` in TOML, or ``"640"`` / ``"0640"`` / ``"0o640"``."""
    if isinstance(value, bool):
        raise UsageError(f"{name} {value!r} is not a file mode")
    if isinstance(value, int):
        mode = value
    else:
        text = str(value).strip().lower().removeprefix("0o")
        try:
            mode = int(text, 8)
        except ValueError:
            raise UsageError(f"{name} {value!r} is not an octal file mode", hint="e.g. \"0600\" or \"0640\"") from None
    if not 0 <= mode <= 0o777:
        raise UsageError(f"{name} {value!r} is not a file mode (0000..0777)", hint="e.g. \"0600\"")
    return mode


def parse_secret(value: Any, name: str) -> str | None:
    return str(value) if value not in (None, "") else None


def parse_path(value: Any, name: str) -> str | None:
    return str(value) if value not in (None, "") else None


def parse_lang(value: Any, name: str) -> str | None:
    if value in (None, "", "auto"):
        return None
    if str(value) not in LANGS:
        raise UsageError(f"{name} {value!r} is not one of {', '.join(LANGS)}")
    return str(value)


def parse_report_format(value: Any, name: str) -> str | None:
    if value in (None, ""):
        return None
    text = str(value).strip().lower().lstrip(".")
    if text not in REPORT_FORMATS:
        raise UsageError(f"{name} {value!r} is not one of {', '.join(REPORT_FORMATS)}",
                         hint="xlsx: the workbook; html: one self-contained web page")
    return text


def parse_region(value: Any, name: str) -> str:
    text = str(value).strip().upper()
    if len(text) != 2 or not text.isalpha():
        raise UsageError(f"{name} {value!r} is not a two-letter country code", hint="e.g. CN, US, GB")
    return text


def parse_scheme(value: Any, name: str) -> str:
    if str(value).strip().lower() not in SCHEMES:
        raise UsageError(f"{name} {value!r} is not one of {', '.join(SCHEMES)}")
    return str(value).strip().lower()


def parse_stages(value: Any, name: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not items or not all(isinstance(s, str) and s.strip() for s in items):
        raise UsageError(f"{name} must be a list of stage names, got {value!r}")
    return tuple(s.strip() for s in items)


def check_tiers(value: Any, name: str) -> Any:
    """Tier shares as ``crmcli.rfm.parse_tiers`` takes them (``"20,30"``, ``[20, 30, 50]``), checked by it."""
    from ..rfm import parse_tiers

    if value is None:
        return None
    try:
        parse_tiers(value if isinstance(value, str) else [float(v) for v in value])
    except (UsageError, TypeError, ValueError) as exc:
        raise UsageError(f"{name} {value!r}: {exc}", hint="e.g. 20,30 (high, mid; low = the rest)") from None
    return value


def check_clv(option: str) -> Callable[[Any, str], Any]:
    """``crmcli.clv``'s own check of its horizon (days ≥ 1) or discount (a yearly rate; 10 = 10 %)."""
    def check(value: Any, name: str) -> Any:
        from ..clv.fit import check_options

        try:
            horizon, discount = check_options(value if option == "horizon" else 365,
                                              value if option == "discount" else 0.1)
        except UsageError as exc:
            raise UsageError(f"{name}: {exc}", hint=exc.hint) from None
        return horizon if option == "horizon" else discount
    return check


def parse_engine(value: Any, name: str) -> str:
    text = str(value).strip().lower()
    if text not in ENGINES:
        raise UsageError(f"{name} {value!r} is not one of {', '.join(ENGINES)}")
    return text


def parse_size(value: Any, name: str) -> int:
    """A size in bytes: ``268435456``, ``256MB``, ``2GB``, ``512 MiB``."""
    if isinstance(value, bool):
        raise UsageError(f"{name} {value!r} is not a size")
    if isinstance(value, int):
        n = value
    else:
        import re

        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", str(value).lower())
        if not m:
            raise UsageError(f"{name} {value!r} is not a size", hint="e.g. 256MB, 2GB or a number of bytes")
        n = int(float(m[1]) * 1024 ** " kmgt".index(m[2] or " "))
    if n < 0:
        raise UsageError(f"{name} must not be negative, got {value!r}")
    return n


def parse_memory(value: Any, name: str) -> int | None:
    """DuckDB's memory limit: a size (:func:`parse_size`) of at least 64 MB; empty = DuckDB's default."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    n = parse_size(value, name)
    if n < 64 << 20:
        raise UsageError(f"{name} {value!r} is below 64MB: DuckDB needs more to run the order rules",
                         hint="e.g. 8GB, or leave it out for DuckDB's default (80 % of the memory)")
    return n


def parse_master(value: Any, name: str) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None
def check_rules(value: Any, name: str) -> dict[str, Any] | None:
    """``--rules PATH`` / ``CRM_RULES`` (a rules file for the file checked: ``{"*": RuleSet}``) or crm.toml's
    ``[rules]`` (a table per input kind: ``{kind: RuleSet}``), every rule checked (:mod:`crmcli.rules.spec`)."""
    from ..rules import RuleSet, parse_rules, read_rules

    if value is None or value == "":
        return None
    if isinstance(value, Mapping) and all(isinstance(v, RuleSet) for v in value.values()):
        return dict(value)
    if isinstance(value, str):
        return {"*": read_rules(value)}
    if not isinstance(value, Mapping):
        raise UsageError(f"{name} must be a rules file or a table of [rules.<kind>] tables")
    out = {}
    for kind, table in value.items():
        if kind not in INPUTS:
            raise UsageError(f"{name}: unknown key 'rules.{kind}'",
                             hint="use " + ", ".join(f"[rules.{k}]" for k in INPUTS) + " (one table per column)")
        if not isinstance(table, Mapping):
            raise UsageError(f"{name}: [rules.{kind}] must be a table of columns")
        out[kind] = parse_rules(table, where=f"{name}: [rules.{kind}]")
    return out


def check_values(value: Any, name: str) -> Any:
    """crm.toml's ``[values]`` (``canonical = [variants]``, ``[values.<column>]``), checked."""
    from ..rules import ValueTable, parse_values

    if value is None or isinstance(value, ValueTable):
        return value
    return parse_values(value, where=name)


def parse_fields(value: Any, name: str) -> tuple[str, ...]:
    """``phone,email`` or a list: field names or headers (checked against the table when it is read)."""
    if value is None or value == "":
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(s, str) for s in items):
        raise UsageError(f"{name} must be a comma-separated list of fields, got {value!r}")
    out = tuple(s.strip() for s in items if s.strip())
    if not out:
        raise UsageError(f"{name} names no field", hint="e.g. {opt:required} phone,email")
    return out


def check_probabilities(value: Any, name: str) -> Any:
    from ..metrics.pipeline import check_probabilities as check

    return check(value, name)


def check_quota(value: Any, name: str) -> Any:
    from ..metrics.team import check_quota as check

    return check(value, name)


def check_team_period(value: Any, name: str) -> str:
    from ..metrics.team import check_period

    return check_period(value, name)


def check_tag_rules(value: Any, name: str) -> Any:
    from ..tags import load_tag_rules

    if value is None:
        return None
    try:
        load_tag_rules(value)
    except UsageError as exc:
        raise UsageError(f"{name}: {exc}", hint=exc.hint) from None
    return value

"""Loading settings: ``crm.toml`` (tomllib), ``CRM_*`` environment variables, flags, defaults.

Precedence, highest first: a command-line flag, the environment (``CRM_ORDERS``,
``CRM_REGION``, …), the config file, the defaults. The config file is ``--config PATH``,
else ``$CRM_CONFIG``, else ``./crm.toml`` when present. Paths in the config file are relative
to the file's folder (so cron can run from anywhere); paths from flags and the environment
are relative to the working directory. Unknown keys are a :class:`UsageError` naming the key,
for every command.

The library never reads the environment or the working directory itself: callers pass
``env=`` and ``cwd=`` (the CLI passes ``os.environ`` and the process's directory).
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import InputError, UsageError
from ..schema import FIELDS
from .settings import CONFIG_NAME, INPUTS, KEY_BY_NAME, KEYS, PATH_SETTINGS, Settings, check_value

#: Tables of crm.toml checked by the reader itself (beside the keys of :data:`KEYS`).
_RULE_KEYS = ("rules", "basis", "default", "default_zh")
_TOML_KEYS: dict[str, str] = {}
for _key in KEYS:
    for _dotted in (_key.toml, *_key.also):
        if _dotted:
            _TOML_KEYS[_dotted] = _key.name
_SECTIONS = sorted({d.split(".")[0] for d in _TOML_KEYS if "." in d} | {"columns"})
ENV_VARS: dict[str, str] = {k.env: k.name for k in KEYS if k.env}
_PATHS = PATH_SETTINGS


def _type_name(types: tuple[type, ...]) -> str:
    return " or ".join({str: "a string", bool: "true/false", int: "a whole number", list: "a list",
                        dict: "a table", dt.date: "a date"}.get(t, t.__name__) for t in types)


def _known_here(section: str) -> list[str]:
    prefix = f"{section}." if section else ""
    keys = {d[len(prefix):].split(".")[0] for d in _TOML_KEYS if d.startswith(prefix)}
    if not section:
        keys = {k for k in keys} | set(_SECTIONS)
    if section == "rfm":
        keys |= set(_RULE_KEYS)
    return sorted(keys)


def _walk(table: Mapping[str, Any], section: str, where: str, out: dict[str, Any]) -> None:
    """Check every key of ``table`` (a section of crm.toml) and collect the plain settings."""
    for key, value in table.items():
        dotted = f"{section}.{key}" if section else key
        if dotted == "columns":
            continue
        if dotted in _TOML_KEYS:
            name = _TOML_KEYS[dotted]
            types = KEY_BY_NAME[name].types
            if isinstance(value, bool) and bool not in types or not isinstance(value, types):
                raise UsageError(f"{where}: {dotted} must be {_type_name(types)}, got {value!r}")
            out[name] = (value, dotted)
        elif not section and key in _SECTIONS:
            if not isinstance(value, dict):
                raise UsageError(f"{where}: [{key}] must be a table")
            _walk(value, key, where, out)
        elif section == "rfm" and key in _RULE_KEYS:
            continue
        else:
            raise UsageError(f"{where}: unknown key {dotted!r}", hint="known keys here: " + ", ".join(_known_here(section)))


def _parse_rules(rfm: Mapping[str, Any], where: str) -> dict[str, Any]:
    from ..segments import load_rules

    table = {k: rfm[k] for k in _RULE_KEYS if k in rfm}
    if not isinstance(table["rules"], list) or not all(isinstance(r, dict) for r in table["rules"]):
        raise UsageError(f"{where}: rfm.rules must be a list of tables ([[rfm.rules]])")
    try:
        load_rules(table)  # the same checks crm rfm makes: unknown keys, bad ranges
    except UsageError as exc:
        raise UsageError(f"{where}: {exc}", hint=exc.hint) from None
    return table


def _parse_breaks(breaks: Mapping[str, Any], where: str) -> dict[str, tuple[float, ...]]:
    from ..rfm import BREAK_KEYS

    out = {}
    for key, cuts in breaks.items():
        if key not in BREAK_KEYS:
            raise UsageError(f"{where}: unknown key 'rfm.breaks.{key}'", hint="known keys here: r, f, m")
        if (not isinstance(cuts, list) or not cuts
                or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in cuts)
                or list(cuts) != sorted(set(cuts))):
            raise UsageError(f"{where}: rfm.breaks.{key} must be increasing numbers, got {cuts!r}")
        out[BREAK_KEYS[key]] = tuple(float(c) for c in cuts)
    return out


def _parse_columns(columns: Any, where: str) -> dict[str, dict[str, str]]:
    if not isinstance(columns, dict):
        raise UsageError(f"{where}: [columns] must be a table")
    parsed: dict[str, dict[str, str]] = {}
    for name, table in columns.items():
        if name not in INPUTS:
            raise UsageError(f"{where}: unknown key 'columns.{name}'",
                             hint="use " + ", ".join(f"[columns.{k}]" for k in INPUTS))
        if not isinstance(table, dict):
            raise UsageError(f"{where}: [columns.{name}] must be a table of field = \"column\"")
        for fld, col in table.items():
            if fld not in FIELDS:
                raise UsageError(f"{where}: unknown key 'columns.{name}.{fld}' (not a canonical field)",
                                 hint="fields: " + ", ".join(FIELDS))
            if not isinstance(col, str) or not col.strip():
                raise UsageError(f"{where}: columns.{name}.{fld} must be a column name")
        parsed[name] = {f: c.strip() for f, c in table.items()}
    return parsed


def read_toml(path: str | os.PathLike, what: str, *, missing_hint: str | None = None) -> dict[str, Any]:
    """A TOML file (``what``: "config file", "rules file" … names it in errors): InputError when it cannot be
    read (exit 3), UsageError when it is not UTF-8 TOML (exit 2)."""
    p = Path(os.fspath(path))
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} {p} does not exist", hint=missing_hint) from None
    except IsADirectoryError:
        raise InputError(f"{what} {p} is a directory") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {p} ({exc.strerror or exc})") from None
    try:
        return tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UsageError(f"{p} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{p} is not valid TOML: {exc}") from None


def read_config(path: str | os.PathLike) -> dict[str, Any]:
    """Parse a crm.toml into ``{setting: value}`` (paths made relative to its folder; values not yet checked
    beyond their TOML type — :func:`load_settings` checks them)."""
    p = Path(os.fspath(path))
    where = str(p)
    data = read_toml(p, "config file", missing_hint="create one with: crm init")

    found: dict[str, tuple[Any, str]] = {}
    _walk(data, "", where, found)
    base = p.resolve().parent
    out: dict[str, Any] = {}
    for name, (value, dotted) in found.items():
        if name in _PATHS and isinstance(value, str) and value:
            q = Path(os.path.expanduser(value))
            value = str(q if q.is_absolute() else base / q)
        elif name == "rfm_breaks":
            value = _parse_breaks(value, where)
        elif name == "rfm_rules":
            value = _parse_rules(data["rfm"], where)
        elif name == "team_quota" and isinstance(value, str) and value.strip():
            try:
                float(value.replace(",", ""))
            except ValueError:  # a quota file, relative to this crm.toml
                q = Path(os.path.expanduser(value))
                value = str(q if q.is_absolute() else base / q)
        elif name == "order_status":
            from ..orders import parse_status_classes

            value = parse_status_classes(value, where=f"{where}: [orders] status")
        out[name] = value
    rfm = data.get("rfm", {})
    if "rules" not in rfm and any(k in rfm for k in _RULE_KEYS[1:]):
        raise UsageError(f"{where}: rfm.basis/default/default_zh only apply to your own [[rfm.rules]]")
    if "columns" in data:
        parsed = _parse_columns(data["columns"], where)
        if parsed:
            out["columns"] = parsed
    return out


def toml_key(name: str) -> str | None:
    """The crm.toml key of a setting."""
    key = KEY_BY_NAME.get(name)
    return key.toml if key else None


def find_config(config: str | os.PathLike | None, *, env: Mapping[str, str], cwd: str | os.PathLike) -> str | None:
    """The config file to read: ``config``, else ``$CRM_CONFIG``, else ``./crm.toml`` if present."""
    if config:
        return str(Path(cwd) / os.path.expanduser(os.fspath(config)))
    if env.get("CRM_CONFIG"):
        return str(Path(cwd) / os.path.expanduser(env["CRM_CONFIG"]))
    local = Path(cwd) / CONFIG_NAME
    return str(local) if local.is_file() else None


def load_settings(config: str | os.PathLike | None = None, *, flags: Mapping[str, Any] | None = None,
                  env: Mapping[str, str] | None = None, cwd: str | os.PathLike | None = None) -> Settings:
    """Build :class:`Settings` from flags > environment > config file > defaults.

    ``flags`` holds only the options actually given (``None`` values are ignored); its keys are
    setting names (:data:`~crmcli.config.settings.KEYS`). Relative paths from flags and the
    environment are resolved against ``cwd``. Every value is checked, and an error names the
    setting as the user wrote it (the flag, the variable, or the key and file).
    """
    env = env or {}
    cwd = Path(os.fspath(cwd)) if cwd is not None else Path(".")
    path = find_config(config, env=env, cwd=cwd)
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    if path:
        for k, v in read_config(path).items():
            values[k], origin[k] = v, "config"
    for var, name in ENV_VARS.items():
        if env.get(var, "") != "":
            values[name], origin[name] = env[var], "env"
            if name in _PATHS:
                values[name] = str(cwd / os.path.expanduser(env[var]))
    for name, value in (flags or {}).items():
        if value is None:
            continue
        if name not in KEY_BY_NAME and name != "columns":
            raise UsageError(f"unknown setting {name!r}")
        if name in _PATHS and isinstance(value, (str, os.PathLike)):
            value = value if value == "-" else str(cwd / os.path.expanduser(os.fspath(value)))
        values[name], origin[name] = value, "flag"
    partial = Settings(config_path=path, origin=origin)
    checked = {}
    for name, value in values.items():
        if name == "columns":
            checked[name] = value
            continue
        spelled = partial.spell(name)
        if origin[name] == "env":
            spelled = f"{spelled} ({name.replace('_', '-')})"
        checked[name] = check_value(name, value, spelled)
    return replace(partial, **checked)

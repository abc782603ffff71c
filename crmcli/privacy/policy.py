"""The privacy policy of a run, and the one function every writer applies to a table before writing it.

:class:`Privacy` says what the outputs of a run get: masked kinds, pseudonymized fields (and the key),
the workbook password, the file mode of outputs holding personal data. :func:`protect_table` applies it to
one table (pseudonyms, then masks, after all computation: numbers never change); the writers of
:mod:`crmcli.io` (and the report's) call it on every table they write, take the file mode from
:meth:`Privacy.mode_for` and encrypt workbooks when there is a password.

A policy is handed to the writers explicitly (``privacy=``) or made the policy of a block of work with
:func:`applied` (a context variable, like ``decimal.localcontext``): the CLI applies the run's policy once,
around the command, so no output of any command can miss it. Outside :func:`applied` the policy is
:data:`NO_PRIVACY` (nothing masked, default file modes), so library callers get what they ask for.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .kinds import CELL_TEXT_CODES, column_kinds, holds_personal, key_kind, row_field_columns, row_kind
from .mask import KINDS as MASK_KINDS
from .mask import joined_parts, mask_value
from .pseudonym import Pseudonymizer

#: Mode of an output holding personal data, before the umask (``[privacy] file_mode``).
PRIVATE_MODE = 0o600
#: Mode of any other output, before the umask (what ``open`` gives).
DEFAULT_MODE = 0o666
#: Pseudonymized field -> the mask kinds it covers (a pseudonymized column is not masked again).
_PSEUDONYM_KINDS = {"customer_id": "customer", "phone": "phone", "email": "email", "name": "name",
                    "first_name": "name", "last_name": "name", "address": "address", "national_id": "national_id",
                    "lead_id": "id"}


@dataclass(frozen=True)
class Privacy:
    """What a run's outputs get. ``mask``: the kinds masked (:data:`crmcli.privacy.mask.KINDS`);
    ``pseudonymize``: the fields replaced by pseudonyms (``pseudonymizer`` holds the key);
    ``password``: workbooks are written encrypted with it, and encrypted inputs read with it;
    ``file_mode``: the mode of an output holding personal data (limited by the umask)."""

    mask: frozenset[str] = frozenset()
    pseudonymize: tuple[str, ...] = ()
    pseudonymizer: Pseudonymizer | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    file_mode: int = PRIVATE_MODE

    def __post_init__(self) -> None:
        unknown = set(self.mask) - set(MASK_KINDS)
        if unknown:
            raise ValueError(f"unknown mask kinds: {', '.join(sorted(unknown))}")
        if self.pseudonymize and self.pseudonymizer is None:
            from .pseudonym import check_key

            check_key(None)

    @property
    def changes_values(self) -> bool:
        return bool(self.mask or self.pseudonymize)

    @property
    def encrypts(self) -> bool:
        return bool(self.password)

    def mode_for(self, personal: bool) -> int:
        """The mode a new output gets (before the umask): ``file_mode`` when it holds personal data."""
        return self.file_mode if personal else DEFAULT_MODE

    def describe(self) -> dict[str, Any]:
        """What this policy does, for the audit log (never the key or the password)."""
        return {"mask": sorted(self.mask), "pseudonymize": list(self.pseudonymize), "encrypt": self.encrypts,
                "file_mode": f"{self.file_mode:04o}"}


NO_PRIVACY = Privacy()
_CURRENT: contextvars.ContextVar[Privacy] = contextvars.ContextVar("crm_privacy", default=NO_PRIVACY)


def current() -> Privacy:
    """The policy in force (:func:`applied`), else :data:`NO_PRIVACY`."""
    return _CURRENT.get()


@contextlib.contextmanager
def applied(privacy: Privacy | None) -> Iterator[Privacy]:
    """Make ``privacy`` the policy of every read and write inside the block."""
    token = _CURRENT.set(privacy or NO_PRIVACY)
    try:
        yield privacy or NO_PRIVACY
    finally:
        _CURRENT.reset(token)


def resolve(privacy: Privacy | None) -> Privacy:
    """``privacy`` if given, else the policy in force."""
    return privacy if privacy is not None else current()


# --------------------------------------------------------------------------- tables


def _map_values(series: pd.Series, fn) -> pd.Series:
    """``fn`` over each distinct value of a column (a column of 1M phones has as many distinct values, a
    column of names far fewer); joined values (``a; b``) one part at a time."""
    def one(v: Any) -> Any:
        joined = joined_parts(v) if isinstance(v, str) else None
        if joined is not None:
            sep, parts = joined
            return sep.join(str(fn(p)) for p in parts)
        return fn(v)

    codes, uniques = pd.factorize(series, sort=False, use_na_sentinel=True)
    if not len(uniques):
        return series
    mapped = np.asarray([one(v) for v in uniques.tolist()], dtype=object)
    out = np.where(codes >= 0, mapped[np.maximum(codes, 0)], series.to_numpy(dtype=object))
    if pd.api.types.is_string_dtype(series) and all(isinstance(v, str) for v in mapped.tolist()):
        return pd.Series(out, index=series.index, name=series.name, dtype=series.dtype)
    return pd.Series(out, index=series.index, name=series.name, dtype=object)


def _customer_fn(privacy: Privacy):
    """How a customer key is protected: as the contact it is, or kept (an id)."""
    def fn(v: Any) -> Any:
        if not isinstance(v, str) or not v.strip():
            return v
        kind = key_kind(v)
        return mask_value(v, kind) if kind in privacy.mask else v
    return fn


def _value_fn(privacy: Privacy, kind: str, pseudonym_field: str | None):
    if pseudonym_field is not None and privacy.pseudonymizer is not None:
        pkind = {"customer": "id"}.get(_PSEUDONYM_KINDS[pseudonym_field], _PSEUDONYM_KINDS[pseudonym_field])
        return lambda v: privacy.pseudonymizer.pseudonym(v, pkind)
    if kind == "customer":
        return _customer_fn(privacy)
    if kind in privacy.mask:
        return lambda v: mask_value(v, kind)
    return None


def protect_table(df: pd.DataFrame, privacy: Privacy | None = None, *,
                  fields: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``df`` as the policy lets it be written: pseudonymized fields replaced, masked kinds masked (a new
    frame; ``df`` is untouched). Columns are known by :func:`crmcli.privacy.kinds.column_kinds` (``fields`` =
    ``{header: field}`` when the caller knows better); issue lists are masked per row by their ``field``.
    Numbers never change: only personal columns are touched."""
    privacy = resolve(privacy)
    if not privacy.changes_values or df.empty:
        return df
    out = None
    kinds = column_kinds(df, fields)
    given = {**dict(df.attrs.get("fields") or {}), **dict(fields or {})}
    from ..schema import field_for_header

    for col, kind in kinds.items():
        f = given.get(col) or field_for_header(col)
        pseud = f if f in privacy.pseudonymize else None
        fn = _value_fn(privacy, kind, pseud)
        if fn is None:
            continue
        if out is None:
            out = df.copy(deep=False)
        out[col] = _map_values(df[col], fn)
    for value_col, key_col in row_field_columns(df):
        if value_col in kinds:
            continue
        if out is None:
            out = df.copy(deep=False)
        out[value_col] = _protect_by_row(df, value_col, key_col, privacy)
        if str(key_col) != "kind":  # an issue list: its messages may quote the value
            _protect_messages(out, df, value_col, privacy)
    return df if out is None else out


def _row_fn(privacy: Privacy, field_or_kind: str, key_col: str):
    kind = row_kind(field_or_kind, "kind" if str(key_col) == "kind" else "field")
    if kind is None:
        return None
    pseud = field_or_kind if (str(key_col) != "kind" and field_or_kind in privacy.pseudonymize) else None
    if str(key_col) == "kind" and privacy.pseudonymize:
        pseud = next((f for f in privacy.pseudonymize if _PSEUDONYM_KINDS.get(f) == kind), None)
    return _value_fn(privacy, kind, pseud)


def _protect_by_row(df: pd.DataFrame, value_col: str, key_col: str, privacy: Privacy) -> pd.Series:
    values = df[value_col].to_numpy(dtype=object).copy()
    keys = df[key_col].astype("str").fillna("").to_numpy(dtype=object)
    for key in pd.unique(keys):
        fn = _row_fn(privacy, str(key), key_col)
        if fn is None:
            continue
        rows = np.flatnonzero(keys == key)
        values[rows] = _map_values(pd.Series(values[rows], dtype=object), fn).to_numpy(dtype=object)
    return pd.Series(values, index=df.index, name=value_col, dtype=object)


def _protect_messages(out: pd.DataFrame, df: pd.DataFrame, value_col: str, privacy: Privacy) -> None:
    """A message quoting its row's value (``customer_id 138… already on row 5``) gets the protected value."""
    for col in ("message", "suggestion"):
        if col not in df.columns or col == value_col:
            continue
        msgs = out[col].astype("str").fillna("").to_numpy(dtype=object).copy()
        raw = df[value_col].astype("str").fillna("").to_numpy(dtype=object)
        new = out[value_col].astype("str").fillna("").to_numpy(dtype=object)
        for i in np.flatnonzero(raw != new):
            if raw[i] and raw[i] in msgs[i]:
                msgs[i] = msgs[i].replace(raw[i], new[i])
        if "code" in df.columns and privacy.mask:
            codes = df["code"].astype("str").to_numpy(dtype=object)
            for i in np.flatnonzero(np.isin(codes, CELL_TEXT_CODES)):
                msgs[i] = str(msgs[i]).split(":")[0] + ": (hidden)"
        out[col] = pd.Series(msgs, index=df.index, dtype=object)


def personal(df: pd.DataFrame, fields: Mapping[str, str] | None = None) -> bool:
    """Does ``df`` hold personal data (its output gets the private file mode)?"""
    return holds_personal(df, fields)


def warn_unencrypted(privacy: Privacy, dest: str | os.PathLike) -> None:
    """A password encrypts workbooks only: any other output written with one in force says it is in the clear."""
    if privacy.encrypts and os.fspath(dest) != "-":
        import warnings

        warnings.warn(f"{os.fspath(dest)} is written unencrypted: only .xlsx outputs are encrypted with the password",
                      stacklevel=3)


def current_umask() -> int:
    """The process umask, read without changing it where the system tells (Linux), else set and restored."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o077)
    os.umask(umask)
    return umask


def final_mode(mode: int) -> int:
    """``mode`` limited by the process umask (a stricter umask wins)."""
    return mode & ~current_umask() & 0o777

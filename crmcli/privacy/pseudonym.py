"""Pseudonyms: a value replaced by a keyed hash (HMAC-SHA256) that is the same in every run and every file.

``ps_`` + 20 hex digits (80 bits of the HMAC): the prefix says it is a pseudonym, and the same person's phone
gives the same pseudonym in the orders, the leads and the campaign lists, so joins still work. The value is
hashed in its normalized form (a phone as E.164, an email case-folded, an id trimmed), so ``138 1234 5678``
and ``+8613812345678`` are one pseudonym. A pseudonym is never hashed again (pseudonymizing twice = once).

The key comes from the caller (the CLI: ``CRM_PSEUDONYM_KEY`` or a key file, never the command line).
Without the key a pseudonym cannot be reversed or recomputed; with it, anyone can test a guessed phone
number, so the key is as secret as the data. Pseudonymized data is still personal data (GDPR Recital 26).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

from ..errors import UsageError

PREFIX = "ps_"
DIGITS = 20
PATTERN = re.compile(rf"^{PREFIX}[0-9a-f]{{{DIGITS}}}$")
#: The fields ``--pseudonymize`` takes (identifiers and contact details).
FIELDS = ("customer_id", "phone", "email", "name", "first_name", "last_name", "address", "national_id",
          "lead_id")
MIN_KEY_BYTES = 16


def is_pseudonym(value: object) -> bool:
    """True for a value this module made (``ps_`` + 20 hex digits)."""
    return isinstance(value, str) and len(value) == len(PREFIX) + DIGITS and bool(PATTERN.match(value))


def parse_fields(value: object, name: str = "pseudonymize") -> tuple[str, ...]:
    """``"customer_id,phone,email"`` (or a list) -> the fields, checked."""
    if value in (None, "", (), []):
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[arg-type]
    out = []
    for item in items:
        f = str(item).strip()
        if not f:
            continue
        if f not in FIELDS:
            raise UsageError(f"{name}: {f!r} is not a field that can be pseudonymized",
                             hint="fields: " + ", ".join(FIELDS))
        if f not in out:
            out.append(f)
    return tuple(out)


def check_key(key: bytes | str | None, where: str = "the pseudonym key") -> bytes:
    """The key as bytes; refused when missing or shorter than 16 bytes (a short key can be guessed)."""
    if key is None or key in (b"", ""):
        raise UsageError("pseudonyms need a secret key", hint="set CRM_PSEUDONYM_KEY or [privacy] pseudonym_key_file "
                         "(a file holding a long random secret, e.g. from: openssl rand -hex 32)",
                         option="pseudonym_key_file")
    raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    raw = raw.strip()
    if len(raw) < MIN_KEY_BYTES:
        raise UsageError(f"{where} is {len(raw)} bytes; a pseudonym key needs at least {MIN_KEY_BYTES}",
                         hint="use a long random secret, e.g. from: openssl rand -hex 32")
    return raw


class Pseudonymizer:
    """``HMAC-SHA256(key, normalized value)`` as ``ps_`` + 20 hex digits; phones normalized with ``region``."""

    def __init__(self, key: bytes | str, region: str = "CN"):
        self._key = check_key(key)
        self.region = region
        self._cache: dict[tuple[str, str], str] = {}

    def __repr__(self) -> str:  # never the key
        return f"Pseudonymizer(region={self.region!r})"

    def canonical(self, value: str, kind: str) -> str:
        """The form a value is hashed in: phones E.164 (when valid), emails case-folded, text folded."""
        from ..fields import normalize_email, normalize_phone, normalize_text

        text = value.strip()
        if kind == "phone":
            return normalize_phone(text, self.region)[0]
        if kind == "email":
            return normalize_email(text)[0].casefold()
        if kind in ("name", "address"):
            return normalize_text(text).casefold()
        from .kinds import key_kind

        return text.casefold() if key_kind(text) == "email" else text

    def pseudonym(self, value: object, kind: str = "id") -> object:
        """The pseudonym of one value; empty and missing values, and pseudonyms, are returned as they are."""
        if not isinstance(value, str):
            if value is None or value != value:  # None / NaN
                return value
            value = str(value)
        if not value.strip() or is_pseudonym(value.strip()):
            return value.strip() if value.strip() else value
        hit = self._cache.get((value, kind))
        if hit is None:
            digest = hmac.new(self._key, self.canonical(value, kind).encode("utf-8"), hashlib.sha256).hexdigest()
            hit = self._cache[(value, kind)] = PREFIX + digest[:DIGITS]
            if len(self._cache) > 1_000_000:
                self._cache.clear()
        return hit

    def many(self, values: Iterable[object], kind: str = "id") -> list[object]:
        return [self.pseudonym(v, kind) for v in values]

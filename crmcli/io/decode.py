"""Bytes to text: the encoding named, or detected.

Detected in this order: a BOM (UTF-8, UTF-16/32), UTF-16 without a BOM (NUL in every other
byte), UTF-8, GB18030 (WPS and Excel's Chinese CSV), then charset-normalizer's guess. UTF-8
with a few bad bytes is refused with the line, rather than read wrongly as GB18030.
"""

from __future__ import annotations

import codecs
import re

from ..errors import InputError, UsageError


def looks_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: ASCII text has a NUL in every other byte."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def decode_text(data: bytes, encoding: str | None = None, name: str = "input") -> tuple[str, str]:
    """Decode bytes to text. Returns (text, encoding name as reported)."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UsageError(f"unknown encoding {encoding!r}", hint="e.g. utf-8, gb18030, utf-16") from None
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise InputError(f"{name} is not valid {encoding} (byte {exc.start})",
                             hint="leave out {opt:encoding} to detect it") from None
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8", name, "utf-8-sig")
    if data.startswith(codecs.BOM_UTF32_LE) or data.startswith(codecs.BOM_UTF32_BE):
        return _strict(data, "utf-32", name, "utf-32")
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return _strict(data, "utf-16", name, "utf-16")
    utf16 = looks_utf16(data)
    if utf16:
        return _strict(data, utf16, name, utf16)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        _refuse_broken_utf8(data, exc, name)
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 1 << 20]).best()
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding), best.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    raise InputError(f"{name}: cannot tell the text encoding",
                     hint="name it with {opt:encoding} (e.g. gb18030, cp1252)")


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _refuse_broken_utf8(data: bytes, exc: UnicodeDecodeError, name: str) -> None:
    """UTF-8 text with a few bad bytes is broken UTF-8, not GB18030: refuse it with the line number
    rather than decode every character wrongly (a legacy encoding has few valid UTF-8 sequences)."""
    sample = data[: 1 << 22]
    bad = sample.decode("utf-8", errors="replace").count("\ufffd")
    good = len(_UTF8_MULTIBYTE.findall(sample))
    if good >= 4 * max(bad, 1):
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{name} is UTF-8 with an invalid byte 0x{data[exc.start]:02X} on line {line} "
                         f"(byte {exc.start})", hint="fix or re-export the file, or name its encoding with {opt:encoding}")


def _strict(data: bytes, codec: str, name: str, label: str) -> tuple[str, str]:
    try:
        return data.decode(codec), label
    except UnicodeDecodeError as exc:
        raise InputError(f"{name} is not valid {label} (byte {exc.start})",
                         hint="name the encoding with {opt:encoding}") from None


"""Password-protected workbooks: ECMA-376 agile encryption (what Excel 2010+ and WPS write), in memory.

:func:`encrypt_workbook` turns the bytes of an xlsx into the encrypted file Excel and WPS ask a password
for (AES-256, SHA-512, 100,000 spins: msoffcrypto-tool); :func:`decrypt_workbook` is the way back for an
encrypted input. Both work on bytes in memory: the plain workbook is never written to disk by them.
"""

from __future__ import annotations

import io

from ..errors import InputError, OutputError, UsageError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check_password(password: str | None, where: str = "the workbook password") -> str:
    if password is None or not password.strip("\r\n"):
        raise UsageError(f"{where} is empty", hint="put the password on the first line of the file",
                         option="password_file")
    return password


def encrypt_workbook(plain: bytes, password: str) -> bytes:
    """The xlsx ``plain`` encrypted with ``password`` (an OLE compound file holding the encrypted package)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    check_password(password)
    out = io.BytesIO()
    try:
        OOXMLFile(io.BytesIO(plain)).encrypt(password, out)
    except Exception as exc:  # msoffcrypto raises its own and zipfile's errors
        raise OutputError(f"cannot encrypt the workbook ({type(exc).__name__}: {exc})") from None
    return out.getvalue()


def is_encrypted(data: bytes) -> bool:
    """True for an encrypted Office file (an OLE container with an ``EncryptionInfo`` stream or an
    encrypted legacy workbook)."""
    if not data.startswith(OLE_MAGIC):
        return False
    try:
        import olefile

        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            if ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage"):
                return True
    except Exception:
        return False
    try:
        import msoffcrypto

        return bool(msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted())
    except Exception:
        return False


def decrypt_workbook(data: bytes, password: str | None, name: str) -> bytes:
    """The plain bytes of an encrypted xlsx; a missing or wrong password is an :class:`InputError` (exit 3)."""
    import msoffcrypto
    from msoffcrypto import exceptions

    if not password:
        raise InputError(f"{name} is a password-protected workbook",
                         hint="give the password with {opt:password_file} PATH or CRM_XLSX_PASSWORD")
    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
    except Exception as exc:
        raise InputError(f"{name} is an encrypted file that cannot be opened ({type(exc).__name__})") from None
    if office.format != "ooxml":
        raise InputError(f"{name} is an encrypted Excel 97-2003 (.xls) workbook, which is not read here",
                         hint="open it in Excel or WPS and save it as an encrypted .xlsx")
    out = io.BytesIO()
    try:
        office.load_key(password=password)
        office.decrypt(out)
    except (exceptions.InvalidKeyError, exceptions.DecryptionError) as exc:
        if isinstance(exc, exceptions.InvalidKeyError) or "password" in str(exc).lower() or "key" in str(exc).lower():
            raise InputError(f"wrong password for {name}", hint="check the password file / CRM_XLSX_PASSWORD") from None
        raise InputError(f"{name} cannot be decrypted ({exc})") from None
    except Exception as exc:
        raise InputError(f"{name} cannot be decrypted ({type(exc).__name__})") from None
    return out.getvalue()


def read_password(path: str) -> str:
    """The password on the first line of ``path`` (its line break not included)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(4096)
    except FileNotFoundError:
        raise UsageError(f"password file {path}: no such file", option="password_file") from None
    except OSError as exc:
        raise UsageError(f"cannot read the password file {path} ({exc.strerror or exc})",
                         option="password_file") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"the password file {path} is not UTF-8 text", option="password_file") from None
    return check_password(text.splitlines()[0] if text.splitlines() else "", f"the password file {path}")

"""The privacy of a run: its policy made from the settings, applied around the command, and its audit line.

:func:`make_privacy` turns the ``[privacy]`` settings into a :class:`crmcli.privacy.Privacy` (reading the
pseudonym key and the password from their files or variables — never from the command line);
:func:`start_run` applies it (and records the audit trail when ``--log`` is given) around the command body;
:func:`finish_run` appends the audit line with the exit code.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
import stat
import sys
import warnings
from collections.abc import Iterator
from typing import Any

from .. import __version__
from ..config import Settings
from ..errors import OutputError, UsageError
from ..privacy import AuditTrail, Privacy, Pseudonymizer, applied, audit_line, read_password, recording
from ..privacy.audit import append_line, open_log

_RANK = {"flag": 0, "env": 1, "config": 2}


def _secret_first(settings: Settings, direct: str, file: str) -> str | None:
    """Which of a secret's two settings wins: the one set closest to the command (flag > env > crm.toml);
    between a variable holding the secret and one naming its file, the secret itself."""
    origin = settings.origin
    here = [(_RANK.get(origin.get(name, ""), 9), i, name) for i, name in enumerate((direct, file))
            if getattr(settings, name)]
    return min(here)[2] if here else None


def _read_key_file(path: str) -> bytes:
    try:
        st = os.stat(path)
        with open(path, "rb") as fh:
            key = fh.read(1 << 16)
    except FileNotFoundError:
        raise UsageError(f"pseudonym key file {path}: no such file", option="pseudonym_key_file") from None
    except OSError as exc:
        raise UsageError(f"cannot read the pseudonym key file {path} ({exc.strerror or exc})",
                         option="pseudonym_key_file") from None
    if st.st_mode & (stat.S_IRGRP | stat.S_IROTH):
        warnings.warn(f"the pseudonym key file {path} can be read by others (mode {st.st_mode & 0o777:04o}): "
                      f"chmod 600 it", stacklevel=2)
    return key.strip()


def make_privacy(settings: Settings) -> Privacy:
    """The :class:`Privacy` the settings ask for; pseudonyms without a key are refused (exit 2)."""
    pseudonymizer = None
    if settings.pseudonymize:
        which = _secret_first(settings, "pseudonym_key", "pseudonym_key_file")
        if which is None:
            raise UsageError(f"{{opt:pseudonymize}} {','.join(settings.pseudonymize)} needs a secret key",
                             hint="set CRM_PSEUDONYM_KEY, or --pseudonym-key-file PATH / [privacy] pseudonym_key_file "
                                  "(a long random secret, e.g. from: openssl rand -hex 32)", option="pseudonymize")
        key = settings.pseudonym_key if which == "pseudonym_key" else _read_key_file(settings.pseudonym_key_file or "")
        pseudonymizer = Pseudonymizer(key or b"", region=settings.region)
    password = None
    which = _secret_first(settings, "xlsx_password", "password_file")
    if which == "xlsx_password":
        password = settings.xlsx_password
    elif which == "password_file":
        password = read_password(settings.password_file or "")
    return Privacy(mask=frozenset(settings.mask), pseudonymize=tuple(settings.pseudonymize),
                   pseudonymizer=pseudonymizer, password=password, file_mode=settings.file_mode)


@contextlib.contextmanager
def start_run(c: Any) -> Iterator[None]:
    """Apply the run's policy around the command; with ``--log``, open the log first (an unwritable log stops
    the run before anything is read or written) and record what is read and written."""
    settings = c.privacy_settings()
    if settings.log:
        try:
            c._log_fd = open_log(settings.log)
        except OSError as exc:
            raise OutputError(f"cannot write the audit log {settings.log} ({exc.strerror or exc})") from None
        c._audit = AuditTrail()
    c._started = dt.datetime.now(dt.timezone.utc).astimezone()
    with applied(c.privacy), recording(c._audit):
        yield


def finish_run(c: Any, code: int) -> None:
    """Append the run's audit line (if ``--log``): never a cell value, a key or a password."""
    fd = c._log_fd
    if fd is None:
        return
    c._log_fd = None
    try:
        started = getattr(c, "_started", None) or dt.datetime.now(dt.timezone.utc).astimezone()
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = None
        privacy = c._privacy.describe() if c._privacy is not None else {}
        line = audit_line(time=started.isoformat(timespec="seconds"), command=c.command, exit_code=code,
                          audit=c._audit or AuditTrail(), privacy=privacy, version=__version__, user=user,
                          error=c._error)
        append_line(fd, line)
    except OSError as exc:
        print(f"crm: warning: cannot append to the audit log ({exc.strerror or exc})", file=sys.stderr)
    finally:
        os.close(fd)

"""Personal data handled like personal data: masks, pseudonyms, encrypted workbooks, file modes, retention, audit.

- :mod:`.mask`: one value masked by its kind (``138****5678``, ``z***@qq.com``, ``张*``), and shapes for stderr;
- :mod:`.pseudonym`: keyed HMAC-SHA256 pseudonyms (``ps_…``), stable across runs and files;
- :mod:`.kinds`: which columns of a table are personal, and of what kind;
- :mod:`.policy`: :class:`Privacy`, the policy of a run, and :func:`protect_table`, what every writer applies;
- :mod:`.encrypt`: ECMA-376 agile encryption of workbooks, in memory (msoffcrypto-tool);
- :mod:`.retention`: keep the last N dated reports; :mod:`.audit`: the JSON audit line of a run.
"""

from .audit import AuditTrail, audit_line, recording
from .encrypt import decrypt_workbook, encrypt_workbook, is_encrypted, read_password
from .kinds import column_kinds, holds_personal, key_kind
from .mask import KINDS as MASK_KINDS
from .mask import mask_value, shape_value
from .policy import (DEFAULT_MODE, NO_PRIVACY, PRIVATE_MODE, Privacy, applied, current, final_mode, personal,
                     protect_table, resolve, warn_unencrypted)
from .pseudonym import PREFIX as PSEUDONYM_PREFIX
from .pseudonym import Pseudonymizer, is_pseudonym
from .retention import dated_reports, prune_reports

__all__ = ["AuditTrail", "DEFAULT_MODE", "MASK_KINDS", "NO_PRIVACY", "PRIVATE_MODE", "PSEUDONYM_PREFIX", "Privacy",
           "Pseudonymizer", "applied", "audit_line", "column_kinds", "current", "dated_reports", "decrypt_workbook",
           "encrypt_workbook", "final_mode", "holds_personal", "is_encrypted", "is_pseudonym", "key_kind",
           "mask_value", "personal", "protect_table", "prune_reports", "read_password", "recording", "resolve",
           "shape_value", "warn_unencrypted"]

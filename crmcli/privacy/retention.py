"""Retention: keep the last N dated reports, remove older ones — only files this output template names.

An output template with ``{date}`` (``reports/report-{date}.xlsx``) names one file per as-of date. With
``keep = N``, after a report is written the files the template names (the same folder and name around a
``YYYY-MM-DD`` date, regular files, no links) are sorted by that date; the N newest are kept (the one just
written always is), the rest removed. Nothing else in the folder is touched: another template's reports,
a file whose date is not a real date, a folder, a symlink.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import re
from pathlib import Path

from ..errors import UsageError

DATE = "{date}"


def dated_reports(template: str) -> list[tuple[dt.date, str]]:
    """``[(date, path)]`` of the existing files ``template`` names, oldest first."""
    if DATE not in template:
        return []
    head, _, tail = template.partition(DATE)
    if DATE in tail:
        raise UsageError("the output path holds {date} more than once", option="output")
    pattern = re.compile(re.escape(head) + r"(\d{4}-\d{2}-\d{2})" + re.escape(tail) + r"\Z")
    found = []
    for path in glob.glob(glob.escape(head) + "[0-9]*" + glob.escape(tail)):
        m = pattern.match(path)
        if not m:
            continue
        try:
            day = dt.date.fromisoformat(m.group(1))
        except ValueError:
            continue
        p = Path(path)
        if p.is_symlink() or not p.is_file():
            continue
        found.append((day, path))
    return sorted(found)


def prune_reports(template: str, keep: int, written: str) -> list[str]:
    """Remove the reports of ``template`` beyond the ``keep`` newest (``written``, just made, is always kept).
    Returns the paths removed."""
    if keep < 1:
        raise UsageError(f"keep must be at least 1, got {keep}", option="keep")
    reports = dated_reports(template)
    here = os.path.abspath(written)
    others = [(d, p) for d, p in reports if os.path.abspath(p) != here]
    kept = sorted(others, reverse=True)[:keep - 1] if keep > 1 else []
    removed = []
    for _day, path in others:
        if (_day, path) in kept:
            continue
        try:
            os.unlink(path)
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed

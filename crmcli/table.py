"""The one object the stages hand along: a table as read, mapped and normalized — made once.

:func:`crmcli.normalize.normalize_table` makes it (read → map → normalize); validate, clean,
dedupe, the order/lead/campaign preparation, rfm, metrics, pivot and the report take it, and
none of them reads a file or normalizes a column again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from .fields import Normalized
    from .io import SourceInfo
    from .schema import ColumnMap


@dataclass(frozen=True)
class Table:
    """A table as read (``frame``: text, index = Excel row), its column mapping (``columns``: a
    :class:`~crmcli.schema.ColumnMap`), its mapped columns normalized (``normalized``:
    ``{header: Normalized}``), what the reader found (``source``), and the ``region``/``dayfirst``
    it was normalized with."""

    frame: pd.DataFrame
    columns: ColumnMap
    normalized: Mapping[str, Normalized]
    source: SourceInfo | None = None
    region: str = "CN"
    dayfirst: bool | None = None
    #: Excel rows the reader flagged as totals rows (合计 …): data for no analysis.
    totals: tuple[int, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        problems = self.source.problems if self.source is not None else []
        rows = tuple(p["row"] for p in problems if p.get("code") == "totals-row" and p.get("row") in self.frame.index)
        object.__setattr__(self, "totals", rows)

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def mapping(self) -> dict[str, str]:
        """``{header: field}`` for the mapped columns."""
        return self.columns.mapping

    @property
    def problems(self) -> list[dict[str, Any]]:
        """The reader's findings (ragged rows, renamed headers, totals rows …)."""
        return list(self.source.problems) if self.source is not None else []

    def column(self, field_name: str) -> str | None:
        """The header mapped to a canonical field, or None."""
        for header, f in self.mapping.items():
            if f == field_name:
                return header
        return None

    def normalized_field(self, field_name: str) -> Normalized | None:
        """The normalized column of a canonical field, or None when no column is mapped to it."""
        header = self.column(field_name)
        return self.normalized.get(header) if header is not None else None

    def remap(self, overrides: Mapping[str, str]) -> Table:
        """This table with ``{field: header}`` mapped as given: only the columns whose field changes are
        normalized (for their new field); every other column keeps its normalized values."""
        from dataclasses import replace

        from .normalize import normalize_columns
        from .schema import ColumnMap, resolve_header

        mapping = dict(self.mapping)
        changed: dict[str, str] = {}
        for field_name, header in overrides.items():
            header = resolve_header(field_name, header, list(map(str, self.frame.columns)))
            if mapping.get(header) == field_name:
                continue
            mapping = {h: f for h, f in mapping.items() if f != field_name and h != header}
            mapping[header] = changed[header] = field_name
        if not changed:
            return self
        normalized = {h: r for h, r in self.normalized.items() if h in mapping and h not in changed}
        normalized.update(normalize_columns(self.frame, changed, region=self.region, dayfirst=self.dayfirst))
        order = [h for h in map(str, self.frame.columns) if h in mapping]
        columns = ColumnMap({h: mapping[h] for h in order}, dict(self.columns.passed_over), dict(self.columns.unfit))
        return replace(self, columns=columns, normalized={h: normalized[h] for h in order})

    def drop_rows(self, rows: Iterable[int]) -> Table:
        """This table without the given Excel rows (their normalized values dropped alongside)."""
        from dataclasses import replace

        keep = ~self.frame.index.isin(list(rows))
        if keep.all():
            return self
        return replace(self, frame=self.frame[keep], normalized={h: r.take(keep) for h, r in self.normalized.items()})

    def cleaned(self) -> pd.DataFrame:
        """The frame with every mapped column replaced by its normalized values (a new frame; its
        ``attrs["fields"]`` is the mapping, which the privacy rules of the writers go by)."""
        out = self.frame.copy(deep=False)
        for header, res in self.normalized.items():
            out[header] = res.values
        out.attrs["fields"] = dict(self.mapping)
        return out

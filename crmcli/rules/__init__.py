"""Rules as data, the default checks, Chinese addresses and value clusters: what ``crm validate`` checks
beyond each field's syntax.

- :mod:`.spec` — a rules table (crm.toml ``[rules.<kind>]``, or a rules file for ``--rules PATH``): per
  column ``required unique enum min max pattern length type severity``, and row rules (:mod:`.expr`);
- :mod:`.bind` — rules bound to a table's columns, with the default checks of its kind (:mod:`.defaults`);
- :mod:`.local` — the column-local checks (any batch of rows); :mod:`.address` — Chinese addresses;
- :mod:`.whole` — the whole-table checks (outlier amounts; :mod:`.clusters`: value clusters);
- :mod:`.infer` — a commented rules file from the data (``crm validate --infer-rules``).

:func:`crmcli.validate.check_table` runs them all; a table read in batches calls :func:`bind_rules` once,
:func:`check_columns` per batch, and the whole-table steps once (``outlier_fences`` / ``flag_outliers``,
``find_clusters`` on the distinct values' counts).
"""

from .address import fill_from_address, parse_places
from .bind import BoundRules, bind_rules
from .clusters import (CLUSTER_COLUMNS, ValueTable, find_clusters, fingerprint, merge_values, merges_of,
                       ngram_fingerprint, parse_values, preload_keys)
from .infer import infer_rules
from .local import check_columns
from .spec import ColumnRule, RowRule, RuleSet, parse_rules, read_rules
from .whole import check_whole, flag_outliers, outlier_fences

__all__ = ["CLUSTER_COLUMNS", "BoundRules", "ColumnRule", "RowRule", "RuleSet", "ValueTable", "bind_rules",
           "check_columns", "check_whole", "fill_from_address", "find_clusters", "fingerprint", "flag_outliers",
           "infer_rules", "merge_values", "merges_of", "ngram_fingerprint", "outlier_fences", "parse_places",
           "parse_rules", "parse_values", "preload_keys", "read_rules"]

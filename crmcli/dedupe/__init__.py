"""Record linkage as pipeline stages: block → compare → score → cluster → merge."""

from .link import Duplicates, choose_comparators, find_duplicates

__all__ = ["Duplicates", "choose_comparators", "find_duplicates"]

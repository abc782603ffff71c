"""Column plumbing for the field layer: pyarrow string arrays in and out.

A kind's vectorized path decides the common forms of a whole column in a few pyarrow (RE2)
passes; :func:`fill_rest` sends the values it could not decide — each distinct one once — to
the kind's per-value Python rules and puts the answers back in place. Issue codes travel as
small integers into :data:`CODES` (0 = no issue) until the very end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._bytes import from_parts, np_bool  # noqa: F401  (np_bool: the kinds import it from here)

#: Every issue code the field layer gives; a column's codes are indices into this (0 = fine).
CODES = ("", "invalid-phone", "lossy-phone", "invalid-email", "invalid-date", "ambiguous-date",
         "invalid-amount", "invalid-number", "masked-phone")
CODE_INDEX = {c: i for i, c in enumerate(CODES)}
_CODES_ARRAY = None

#: Distinct values per sampled row above which a column is normalized as it is (no factorizing).
MANY_DISTINCT = 0.8

Slow = Callable[[list[str]], tuple[list[str], list[str], "np.ndarray | None"]]


def blank_strings(n: int) -> pa.LargeStringArray:
    """``n`` empty strings, without building them one by one."""
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(np.zeros(n + 1, dtype=np.int64)), pa.py_buffer(b""))


def code_strings(code_idx: np.ndarray) -> pa.StringArray:
    """Code indices -> the codes as a string array."""
    global _CODES_ARRAY
    if not code_idx.any():
        return blank_strings(len(code_idx))
    if _CODES_ARRAY is None:
        _CODES_ARRAY = pa.array(CODES, type=pa.large_string())
    return _CODES_ARRAY.take(pa.array(code_idx, type=pa.int8()))


def code_indices(codes: Sequence[str]) -> np.ndarray:
    return np.fromiter((CODE_INDEX[c] for c in codes), dtype=np.int8, count=len(codes))


def mostly_distinct(arr: pa.Array, sample: int = 20_000) -> bool:
    """True when a sample of the column is mostly distinct values (factorizing would not pay)."""
    head = arr.slice(0, sample)
    return len(pc.unique(head)) > MANY_DISTINCT * len(head)


def fill_rest(arr: pa.Array, todo: np.ndarray, slow: Slow, values: pa.Array | None = None,
              code_idx: np.ndarray | None = None, parsed: np.ndarray | None = None
              ) -> tuple[pa.Array, np.ndarray, np.ndarray | None]:
    """Normalize ``arr[todo]`` with ``slow`` (each distinct value once) and merge the answers
    into ``values`` (default: ``arr``), ``code_idx`` and ``parsed`` (which must be given when
    ``slow`` returns parsed values)."""
    n = len(arr)
    values = arr if values is None else values
    code_idx = np.zeros(n, dtype=np.int8) if code_idx is None else code_idx
    if not todo.any():
        return values, code_idx, parsed
    if todo.all():
        enc = pc.dictionary_encode(arr)
    else:
        enc = pc.dictionary_encode(arr.filter(pa.array(todo)))
    pos = pa.array(np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64))
    vals, codes, parsed_u = slow(enc.dictionary.to_pylist())
    new_values = pa.array(vals, type=arr.type).take(pos)
    if todo.all():
        values = new_values
    else:
        values = pc.replace_with_mask(values, pa.array(todo), new_values)
    idx = pos.to_numpy()
    code_idx[todo] = code_indices(codes)[idx]
    if parsed_u is not None:
        if parsed is None:
            raise ValueError("parsed values need a parsed array to go into")
        parsed[todo] = parsed_u[idx]
    return values, code_idx, parsed


def combined(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        return arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    return arr


def drop_where(a: pa.Array, dropped: np.ndarray, offsets: np.ndarray, data: np.ndarray) -> pa.Array:
    """``a`` (whose :func:`string_parts` are ``offsets, data``) without the bytes marked in
    ``dropped``; they must be whole characters (ASCII bytes)."""
    at = np.flatnonzero(dropped)
    if not len(at):
        return a
    # each offset moves left by the number of dropped bytes before it
    return from_parts(offsets - np.searchsorted(at, offsets), data[~dropped], a.type)

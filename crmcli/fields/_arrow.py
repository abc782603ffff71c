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

#: Every issue code the field layer gives; a column's codes are indices into this (0 = fine).
CODES = ("", "invalid-phone", "lossy-phone", "invalid-email", "invalid-date", "ambiguous-date",
         "invalid-amount", "invalid-number")
CODE_INDEX = {c: i for i, c in enumerate(CODES)}
_CODES_ARRAY = None

#: Distinct values per sampled row above which a column is normalized as it is (no factorizing).
MANY_DISTINCT = 0.8

Slow = Callable[[list[str]], tuple[list[str], list[str], "np.ndarray | None"]]


def np_bool(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean pyarrow array (no nulls expected; nulls count as False) as a numpy array."""
    if a.null_count:
        a = pc.fill_null(a, False)
    return np.asarray(a.to_numpy(zero_copy_only=False), dtype=bool)


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


def string_parts(a: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, bytes) of a string array without nulls: value ``i`` is
    ``data[offsets[i]:offsets[i + 1]]`` (offsets start at 0)."""
    buffers = a.buffers()
    wide = pa.types.is_large_string(a.type)
    offsets = np.frombuffer(buffers[1], dtype=np.int64 if wide else np.int32)[a.offset: a.offset + len(a) + 1] \
        if buffers[1] is not None else np.zeros(len(a) + 1, dtype=np.int64)
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None and len(buffers[2]) else \
        np.empty(0, dtype=np.uint8)
    start = int(offsets[0]) if len(offsets) else 0
    end = int(offsets[-1]) if len(offsets) else 0
    return offsets - start if start else offsets, data[start:end]


def from_parts(offsets: np.ndarray, data: np.ndarray, type: pa.DataType = pa.large_string()) -> pa.Array:
    """The string array (of ``type``: string or large_string) with these 0-based offsets and UTF-8 bytes."""
    cls, dtype = (pa.LargeStringArray, np.int64) if pa.types.is_large_string(type) else (pa.StringArray, np.int32)
    return cls.from_buffers(len(offsets) - 1, pa.py_buffer(np.ascontiguousarray(offsets, dtype=dtype)),
                            pa.py_buffer(np.ascontiguousarray(data, dtype=np.uint8)))


def drop_bytes(a: pa.Array, drop: np.ndarray) -> pa.Array:
    """``a`` with every byte ``b`` where ``drop[b]`` removed; only ASCII bytes may be dropped
    (they never occur inside a multi-byte UTF-8 character)."""
    offsets, data = string_parts(a)
    return drop_where(a, drop[data], offsets, data)


def drop_where(a: pa.Array, dropped: np.ndarray, offsets: np.ndarray, data: np.ndarray) -> pa.Array:
    """``a`` (whose :func:`string_parts` are ``offsets, data``) without the bytes marked in
    ``dropped``; they must be whole characters (ASCII bytes)."""
    at = np.flatnonzero(dropped)
    if not len(at):
        return a
    # each offset moves left by the number of dropped bytes before it
    return from_parts(offsets - np.searchsorted(at, offsets), data[~dropped], a.type)


def byte_table(chars: str) -> np.ndarray:
    """A 256-entry lookup table, True for the (ASCII) ``chars``."""
    table = np.zeros(256, dtype=bool)
    for c in chars:
        if ord(c) > 127:
            raise ValueError(f"not an ASCII character: {c!r}")
        table[ord(c)] = True
    return table

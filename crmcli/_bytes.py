"""Byte-level views of pyarrow string arrays, shared by the reader/writer and the field layer.

Checks that only need a value's bytes (its first byte, whether it holds a separator…) are a
numpy pass over the array's offsets and data buffers: a few milliseconds a million values,
where a regex pass costs tens.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def byte_table(chars: bytes) -> np.ndarray:
    """A 256-entry lookup table, True for the given bytes."""
    table = np.zeros(256, dtype=bool)
    table[list(chars)] = True
    return table


def string_parts(a: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, bytes) of one string (or binary) array: value ``i`` is
    ``data[offsets[i]:offsets[i + 1]]`` (offsets start at 0; a null's span is whatever its
    buffers hold, usually empty)."""
    buffers = a.buffers()
    wide = pa.types.is_large_string(a.type) or pa.types.is_large_binary(a.type)
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

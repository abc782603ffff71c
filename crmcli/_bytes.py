"""Byte-level views of pyarrow string arrays, shared by the reader/writer and the field layer.

Checks that only need a value's bytes (its first byte, whether it holds a separator…) are a
numpy pass over the array's offsets and data buffers: a few milliseconds a million values,
where a regex pass costs tens.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def np_bool(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean pyarrow array (no nulls expected; nulls count as False) as a numpy array."""
    if a.null_count:
        a = pc.fill_null(a, False)
    return np.asarray(a.to_numpy(zero_copy_only=False), dtype=bool)


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


def first_bytes(arr: pa.Array | pa.ChunkedArray, at: int = 0) -> np.ndarray | None:
    """The first byte (``at=1``: the second…) of every value of a pyarrow string array (chunked
    or not) as uint8, 0 for a value too short or null (or holding NUL there); None for a type
    whose buffers are not offsets + data.

    Reads the offsets and data buffers in place: a millisecond or two a million values, where a
    regex or ``utf8_slice`` pass costs tens.
    """
    t = arr.type
    if not (pa.types.is_string(t) or pa.types.is_binary(t) or pa.types.is_large_string(t)
            or pa.types.is_large_binary(t)):
        return None
    out = []
    for chunk in arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]:
        n = len(chunk)
        if n == 0:
            continue
        offsets, data = string_parts(chunk)
        if not len(data):
            out.append(np.zeros(n, dtype=np.uint8))
            continue
        where = offsets[:-1] + at if at else offsets[:-1]
        # (only values too short, at the very end, can point past the data)
        codes = data[where if where[-1] < len(data) else np.minimum(where, len(data) - 1)]
        codes[offsets[1:] <= where] = 0
        if chunk.null_count:
            codes[np_bool(chunk.is_null())] = 0
        out.append(codes)
    if not out:
        return np.zeros(0, dtype=np.uint8)
    return out[0] if len(out) == 1 else np.concatenate(out)


#: First bytes (UTF-8) of every character ``str.isspace`` accepts, and 0 for an empty value:
#: a value whose first byte is not here is certainly not blank (``v.strip()`` is not empty).
MAYBE_BLANK = byte_table(b"\x00\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \xc2\xe1\xe2\xe3")

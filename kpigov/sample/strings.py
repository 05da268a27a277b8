"""Vectorised string building for generated ids, urls and texts (Arrow kernels, no Python loops)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_BASE36 = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)


def base36(numbers: np.ndarray, width: int) -> pa.StringArray:
    """Fixed-width lowercase base-36 strings (Reddit and YouTube style ids) of non-negative ints."""
    powers = 36 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    digits = _BASE36[(numbers.astype(np.int64)[:, None] // powers) % 36]
    return pa.array(np.ascontiguousarray(digits).view(f"S{width}").ravel()).cast(pa.string())


def decimal(numbers: np.ndarray) -> pa.StringArray:
    return pc.cast(pa.array(numbers.astype(np.int64)), pa.string())


def join(*parts: pa.Array | str) -> pa.StringArray:
    """Concatenate string arrays and literals element-wise (a null part makes the row null)."""
    return pc.binary_join_element_wise(*parts, "")

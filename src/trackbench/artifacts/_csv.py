"""CSV text of whole columns at once: the run folder's large tables (error events, identity
frames) are written in one pass, each distinct float formatted once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


def int_texts(values: np.ndarray) -> Iterable[str]:
    """Each integer as ``str`` writes it."""
    return map(str, np.asarray(values).tolist())


def float_texts(values: np.ndarray) -> list[str]:
    """Each float in shortest round-trip form (``repr``), formatted once per distinct bit
    pattern (so ``-0.0`` stays ``-0.0``): tracked boxes repeat their coordinates a lot."""
    v = np.ascontiguousarray(values, np.float64).ravel()
    if not v.size:
        return []
    bits, inverse = np.unique(v.view(np.int64), return_inverse=True)
    names = np.array([repr(x) for x in bits.view(np.float64).tolist()], dtype=object)
    texts: list[str] = names[inverse.ravel()].tolist()
    return texts


def csv_text(header: Sequence[str], columns: Sequence[Iterable[str]]) -> str:
    """The header line, then one line per row of ``columns`` (each a column's texts), each line
    ending in a newline."""
    lines = map(",".join, zip(*columns, strict=True))
    return ",".join(header) + "\n" + "".join(line + "\n" for line in lines)

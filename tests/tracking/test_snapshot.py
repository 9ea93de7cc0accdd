"""Snapshots keep every array exactly: values, dtype, shape, memory order, independence."""

from __future__ import annotations

import pickle
from collections import deque

import numpy as np
import pytest

from trackbench.tracking.adapter import dumps_state, loads_state

ARRAYS = {
    "c-order": np.arange(12, dtype=np.float64).reshape(3, 4) / 7.0,
    "f-order": np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4) / 3.0),
    "strided view": (np.arange(20, dtype=np.int64).reshape(4, 5))[::2, 1::2],
    "transposed": np.arange(6, dtype=np.float64).reshape(2, 3).T,
    "0-d": np.array(2.5),
    "empty": np.empty((0, 6)),
    "object": np.array([None, 1, "a"], dtype=object),
    "bool": np.array([True, False, True]),
    "big-endian": np.arange(3, dtype=">f8"),
}


@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_array_round_trip_matches_numpys_own_pickle(name):
    original = ARRAYS[name]
    restored = loads_state(dumps_state({"a": original}))["a"]
    reference = pickle.loads(pickle.dumps(original))
    assert (restored.dtype, restored.shape) == (original.dtype, original.shape)
    assert restored.tolist() == original.tolist()
    assert restored.flags.c_contiguous == reference.flags.c_contiguous
    assert restored.flags.f_contiguous == reference.flags.f_contiguous
    assert restored.flags.writeable


def test_restored_arrays_are_independent_and_aliases_kept():
    shared = np.zeros(4)
    state = {"history": deque([shared, shared.copy()], maxlen=3), "last": shared}
    restored = loads_state(dumps_state(state))
    assert restored["last"] is restored["history"][0], "one object stays one object"
    restored["last"][0] = 1.0
    assert shared[0] == 0.0, "the snapshot does not share memory with the live state"
    assert restored["history"][1][0] == 0.0
    assert restored["history"].maxlen == 3

"""Carry for ``tracker.backend=cpp``: live state parked in this process behind a one-use handle.

boxmot's C++ trackers cannot be copied, pickled or inspected, so a C++ carry cannot be a
snapshot. The stage parks each camera's live state in a process-local registry and the carry
holds an opaque handle (bytes) to it. A handle is valid only in the process that made it and
only once: taking it removes the state, so running a batch twice from the same carry, or using
a carry in another process (after pickling), raises a TrackbenchError instead of silently
continuing from a different state. A handle that is dropped unused releases its tracker.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

from trackbench.errors import TrackbenchError

_PREFIX = b"trackbench-cpp-carry:"
_registry: dict[bytes, Any] = {}
_serial = itertools.count()


class _Handle(bytes):
    """The token the carry holds. Only this original object owns the parked state: copies and
    pickles reduce to plain bytes, which still name the state but do not release it."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (bytes, (bytes(self),))

    def __del__(self) -> None:
        registry = _registry  # may already be gone at interpreter shutdown
        if registry is not None:
            registry.pop(bytes(self), None)


def is_handle(blob: bytes) -> bool:
    """Whether a carry value is a C++ handle (a Python-backend value is a pickle)."""
    return blob.startswith(_PREFIX)


def park(state: Any) -> bytes:
    """Keep ``state`` alive in this process; return the one-use handle that takes it back."""
    token = _Handle(_PREFIX + f"{os.getpid()}:{next(_serial)}".encode())
    _registry[bytes(token)] = state
    return token


def take(blob: bytes, camera_id: str) -> Any:
    """The state parked under ``blob``, removed from the registry (a handle works once)."""
    pid = int(blob[len(_PREFIX) :].split(b":", 1)[0])
    if pid != os.getpid():
        raise TrackbenchError(
            f"camera {camera_id}: the tracker.backend=cpp carry belongs to process {pid}; C++ trackers cannot "
            "leave the process that runs them (run all batches of a camera in one process)"
        )
    state = _registry.pop(bytes(blob), None)
    if state is None:
        raise TrackbenchError(
            f"camera {camera_id}: this tracker.backend=cpp carry was already used (a C++ tracker cannot be "
            "copied, so each carry runs one batch); continue from the carry the last run returned"
        )
    return state


def live_count() -> int:
    """Parked states in this process (for tests and leak checks)."""
    return len(_registry)

"""Where the tests find the shared real-data folder (MOTChallenge sequences with their sources).

The project never needs it; the real-data parity tests read it. It is ``$TRACKBENCH_SHARED_DATA``
when set, otherwise the first ``shared/data`` beside the repository or beside one of its parent
folders, so a clone anywhere under the folder that holds ``shared/`` finds it. A test that needs
it and does not find it is reported as skipped, with the paths it looked at; with
``TRACKBENCH_REQUIRE_SHARED_DATA=1`` it fails instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ENV = "TRACKBENCH_SHARED_DATA"
REQUIRE_ENV = "TRACKBENCH_REQUIRE_SHARED_DATA"
REPO = Path(__file__).resolve().parents[1]
SKIP_PREFIX = "shared real data not found"


def candidates() -> list[Path]:
    """The folders looked at, in order."""
    env = os.environ.get(ENV)
    if env:
        return [Path(env)]
    return [parent / "shared" / "data" for parent in REPO.parents]


def root() -> Path | None:
    """The shared data folder, or None when none of the candidates is a folder."""
    return next((path for path in candidates() if path.is_dir()), None)


def required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def shared(*parts: str) -> Path:
    """``root()/parts``; skips the test (fails it when required) when it is not there."""
    base = root()
    path = base.joinpath(*parts) if base is not None else None
    if path is None or not path.exists():
        looked = str(path) if path is not None else " or ".join(str(p) for p in candidates())
        message = f"{SKIP_PREFIX}: {looked} (set {ENV})"
        if required():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


def header() -> str:
    """One line for pytest's report header."""
    base = root()
    if base is not None:
        return f"shared real data: {base}"
    where = " or ".join(str(p) for p in candidates())
    return f"shared real data: NOT FOUND at {where}; its parity tests will be reported as skipped (set {ENV})"

"""Helpers for end-to-end tests: the installed console script, run as a user would."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def trackbench_command() -> list[str]:
    exe = shutil.which("trackbench", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "trackbench"]


@pytest.fixture
def cli(tmp_path):
    def run(*args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [*trackbench_command(), *args], cwd=tmp_path, capture_output=True, text=True, timeout=timeout
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"trackbench {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc

    return run

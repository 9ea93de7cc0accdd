"""`trackbench --help` reuses Hydra's config repository copy: the same text, without the cost."""

from __future__ import annotations

import subprocess
import sys

import pytest

from trackbench.cli._help_speed import wants_help

from .conftest import trackbench_command

UNPATCHED = (
    "import sys; import trackbench.cli._help_speed as h; h.speed_up_help = lambda *a: None; "
    "sys.argv = ['trackbench', *sys.argv[1:]]; from trackbench.cli.main import main; main()"
)


def test_only_help_requests_are_touched():
    assert wants_help(["--help"]) and wants_help(["tracker=sort", "-h"]) and wants_help(["--hydra-help"])
    assert not wants_help(["tracker=sort", "mlflow.run_name=--help-me"])


@pytest.mark.parametrize("args", [["--help"], ["tracker=bytetrack", "--help"], ["--hydra-help"]])
def test_help_text_is_hydras_own(args, tmp_path):
    fast = subprocess.run([*trackbench_command(), *args], cwd=tmp_path, capture_output=True, text=True, check=True)
    plain = subprocess.run(
        [sys.executable, "-c", UNPATCHED, *args], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert fast.stdout == plain.stdout
    assert "tracker: " in fast.stdout or "hydra/launcher" in fast.stdout

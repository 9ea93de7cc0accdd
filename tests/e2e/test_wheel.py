"""The built wheel carries the config tree: `python -m trackbench` works from it alone."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def test_non_editable_wheel_runs(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("trackbench-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "trackbench/config/conf/config.yaml" in names and "trackbench/config/conf/tracker/ocsort.yaml" in names
    assert "hydra_plugins/trackbench_optuna_sweeper/sweeper.py" in names
    assert "hydra_plugins/__init__.py" not in names, "hydra_plugins must stay a namespace package"
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    # The wheel's copy first on the path; dependencies from this environment. Run from an
    # empty folder so no source tree is in reach.
    env = dict(os.environ, PYTHONPATH=str(target))
    work = tmp_path / "work"
    work.mkdir()
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import trackbench, hydra_plugins.trackbench_optuna_sweeper as p; "
            "print(trackbench.__file__); print(p.__file__)",
        ],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    )
    assert all(line.startswith(str(target)) for line in probe.stdout.split())
    proc = subprocess.run(
        [sys.executable, "-m", "trackbench", "dataset.synthetic.n_cameras=1", "dataset.synthetic.n_frames=30",
         "mlflow.enabled=false", "hydra.run.dir=out"],
        env=env, cwd=work, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (work / "out" / "metrics.json").exists()

    # Hydra finds the sweeper plugin in the installed wheel: a one-trial Optuna sweep runs.
    sweep = subprocess.run(
        [sys.executable, "-m", "trackbench", "hparams_search=sort_optuna", "hydra.sweeper.n_trials=1",
         "dataset.synthetic.n_cameras=1", "dataset.synthetic.n_frames=30", "mlflow.enabled=false",
         "hydra.sweep.dir=sw"],
        env=env, cwd=work, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert sweep.returncode == 0, sweep.stderr
    assert (work / "sw" / "experiment" / "best.yaml").exists() and (work / "optuna.db").exists()

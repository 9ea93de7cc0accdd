"""Inputs that used to be found only after tracking (or never): each is one line and exit 2
before any run is opened or any camera tracked; nothing is left that looks like results."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from ..malformed import valid_folder
from .conftest import local_runs
from .test_killed_jobs import gc_command

pytestmark = pytest.mark.slow
RESULTS = ("metrics.json", "mot", "tracklets", "plots", "incomplete", "config.yaml")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _refused(proc: subprocess.CompletedProcess, out: Path, *expected: str) -> str:
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("trackbench: error: "), line
    assert all(e in line for e in expected), line
    assert not any((out / name).exists() for name in RESULTS), sorted(p.name for p in out.iterdir())
    assert line in (out / "trackbench.log").read_text(), "the run's log says what ended it"
    return line


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("garbage://x", ("mlflow.tracking_uri='garbage://x'", "unknown scheme")),
        ("{tmp}/plain", ("mlflow.tracking_uri=", "is not a tracking URI", "sqlite:///")),
        ("sqlite:///{tmp}/afile/m.db", ("mlflow.tracking_uri=", "is a file")),
        ("http://127.0.0.1:{port}", ("mlflow.tracking_uri=", "did not answer within 10 s at start", "refused")),
    ],
)
def test_an_unusable_store_is_one_line_before_any_work(cli, tmp_path, uri, expected):
    (tmp_path / "afile").write_text("not a folder")
    uri = uri.format(tmp=tmp_path, port=_closed_port())
    proc = cli(f"mlflow.tracking_uri={uri}", "hydra.run.dir=out", check=False, timeout=60)
    _refused(proc, tmp_path / "out", *expected)
    assert not (tmp_path / "mlflow.db").exists()


def test_an_unknown_objective_metric_is_refused_before_the_run(cli, tmp_path):
    proc = cli("objective.metric=nonsense", "hydra.run.dir=out", check=False)
    _refused(proc, tmp_path / "out", "objective.metric='nonsense' is not a metric", "idf1")
    assert not (tmp_path / "mlflow.db").exists(), "no run was opened"


@pytest.fixture
def data(tmp_path) -> Path:
    return valid_folder(tmp_path / "data")


def test_ground_truth_errors_come_before_any_camera_is_tracked(cli, tmp_path, data):
    gt = data / "cam1" / "gt" / "gt.txt"
    lines = gt.read_text().splitlines()
    lines.insert(5, lines[5])  # the same id twice in one frame, in the *second* camera
    gt.write_text("\n".join(lines) + "\n")
    proc = cli("dataset=mot", "dataset.root=data", "hydra.run.dir=out", check=False)
    _refused(proc, tmp_path / "out", "data/cam1/gt/gt.txt:7", "duplicate id")
    assert not (tmp_path / "mlflow.db").exists()


def test_no_detections_is_a_warning_and_a_tag(cli, tmp_path, data):
    (data / "cam1" / "det" / "det.txt").write_text("  \n")
    proc = cli("dataset=mot", "dataset.root=data", "hydra.run.dir=out", "eval.bootstrap.samples=0")
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("trackbench: warning: data/cam1/det/det.txt: no detections in frames 1..60"), line
    (run,) = local_runs(tmp_path)
    assert "data/cam1/det/det.txt: no detections" in run.data.tags["trackbench.warnings"]
    assert run.data.metrics["num_misses"] > 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "res/cam1.txt: no result rows"),
        (
            "1,1,10,10,5,5,1,-1,-1,-1\n61,1,10,10,5,5,1,-1,-1,-1\n",
            "res/cam1.txt:2: frame 61 is beyond the sequence end 60",
        ),
    ],
)
def test_precomputed_files_are_checked_like_det_files(cli, tmp_path, data, content, expected):
    (tmp_path / "res").mkdir()
    (tmp_path / "res" / "cam0.txt").write_text("1,1,10,10,5,5,1,-1,-1,-1\n")
    (tmp_path / "res" / "cam1.txt").write_text(content)
    proc = cli(
        "dataset=mot", "dataset.root=data", "tracker=precomputed", "tracker.results_dir=res", "hydra.run.dir=out",
        check=False,
    )  # fmt: skip
    _refused(proc, tmp_path / "out", expected)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("garbage://x", "unknown scheme 'garbage'"),
        ("sqlite:///{tmp}/missing/m.db", "no MLflow store at"),
        ("http://127.0.0.1:{port}", "did not answer"),
    ],
)
def test_gc_with_a_bad_uri_is_one_line_and_creates_nothing(tmp_path, uri, expected):
    uri = uri.format(tmp=tmp_path, port=_closed_port())
    proc = subprocess.run([*gc_command(), "--tracking-uri", uri], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("trackbench-gc: error: --tracking-uri=") and expected in line, line
    assert not (tmp_path / "missing").exists()


def test_precomputed_rows_outside_the_scored_frames_are_a_warning(cli, tmp_path, data):
    (tmp_path / "res").mkdir()
    for camera in ("cam0", "cam1"):
        (tmp_path / "res" / f"{camera}.txt").write_text("1,1,10,10,5,5,1,-1,-1,-1\n")
    proc = cli(
        "dataset=mot", "dataset.root=data", "tracker=precomputed", "tracker.results_dir=res", "dataset.first_frame=20",
        "mlflow.enabled=false", "hydra.run.dir=out",
    )  # fmt: skip
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        f"trackbench: warning: res/{c}.txt: no result rows in frames 20..60; camera {c} scores every ground-truth box "
        "as missed"
        for c in ("cam0", "cam1")
    ]
    assert (tmp_path / "out" / "metrics.json").exists()

"""The CLI on generated malformed MOT folders, as a new user meets it: exit 0 with results, or
exit 2 with one ``trackbench: error:`` line and nothing presented as results; never a
traceback, never a RUNNING MLflow run."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings

from trackbench.record.mlflow_log import open_client

from ..malformed import Mutation, broken_copy, mutations, valid_folder
from .conftest import trackbench_command

pytestmark = pytest.mark.slow
RESULTS = ("metrics.json", "mot", "tracklets", "plots")
_count = itertools.count()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    valid_folder(folder / "valid")
    return folder


def _runs(store: Path) -> list:
    if not store.exists():
        return []
    client = open_client(f"sqlite:///{store}")
    return client.search_runs([e.experiment_id for e in client.search_experiments()])


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=mutations())
@example(mutation=Mutation("cam1/gt/gt.txt", "field", row=5, column=2, value="nan"))  # a NaN
@example(mutation=Mutation("cam1/gt/gt.txt", "field", row=5, column=1, value="1.5"))  # a fractional id
@example(mutation=Mutation("cam1/gt/gt.txt", "duplicate", row=5))  # the same id twice in a frame
@example(mutation=Mutation("cam1/gt/gt.txt", "delete"))  # no gt.txt
@example(mutation=Mutation("cam1/gt/gt.txt", "blank", column=1))  # nothing to score
@example(mutation=Mutation("cam1/det/det.txt", "blank", column=0))  # no detections: a warning
@example(mutation=Mutation("cam1/seqinfo.ini", "seqinfo", column=1, value="1224.5"))  # imWidth not whole
def test_a_malformed_folder_ends_in_results_or_one_line(workspace: Path, mutation: Mutation) -> None:
    case = workspace / f"case{next(_count)}"
    broken_copy(workspace / "valid", case / "data", mutation)
    proc = subprocess.run(
        [
            *trackbench_command(),
            "dataset=mot",
            "dataset.root=data",
            "dataset.files.target_classes=null",
            "eval.bootstrap.samples=0",
            "hydra.run.dir=out",
            f"mlflow.tracking_uri=sqlite:///{case / 'm.db'}",
        ],
        cwd=case,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr, (mutation, proc.stderr)
    assert all(r.info.status != "RUNNING" for r in _runs(case / "m.db")), mutation
    out = case / "out"
    if proc.returncode == 0:
        assert all(line.startswith("trackbench: warning: ") for line in lines), (mutation, proc.stderr)
        assert all((out / name).exists() for name in RESULTS), mutation
        assert not (out / "incomplete").exists()
    else:
        assert proc.returncode == 2, (mutation, proc.returncode, proc.stderr)
        assert len(lines) == 1 and lines[0].startswith("trackbench: error: "), (mutation, proc.stderr)
        assert not any((out / name).exists() for name in RESULTS), (mutation, sorted(p.name for p in out.iterdir()))
        assert lines[0] in (out / "trackbench.log").read_text(), "the error line is in the run's log"
        assert not (out / "incomplete").exists(), "an input error is found before any tracking"

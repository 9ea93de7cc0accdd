"""trackbench-benchmark end to end: two kinds, a few trials, its report and its MLflow runs."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from trackbench.record.mlflow_log import PARENT_TAG, ROLE_TAG

from .conftest import local_client

pytestmark = pytest.mark.slow
SMALL = ("dataset.synthetic.n_cameras=2", "dataset.synthetic.n_frames=80", "runner.workers=1")


def benchmark(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("trackbench-benchmark", path=str(Path(sys.executable).parent))
    command = [exe] if exe else [sys.executable, "-m", "trackbench.cli.benchmark"]
    return subprocess.run([*command, *args], cwd=tmp_path, capture_output=True, text=True, timeout=1200)


def test_two_kinds_tuned_on_tune_and_reported_on_test(tmp_path):
    proc = benchmark(tmp_path, "kinds=[ocsort,sort]", "trials=2", *SMALL, "eval.bootstrap.samples=200",
                     "hydra.run.dir=bench")  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    folder = tmp_path / "bench"
    report = folder / "report"
    assert {p.name for p in report.iterdir()} == {"report.md", "report.csv", "report.png"}
    rows = list(csv.DictReader((report / "report.csv").open()))
    assert sorted(r["kind"] for r in rows) == ["ocsort", "sort"]
    assert float(rows[0]["tuned_test"]) >= float(rows[1]["tuned_test"]), "best first by the objective on test"
    table = proc.stdout[proc.stdout.index("kind  ") :]
    assert "distinguishable from best" in table and "ocsort" in table and "sort" in table

    client = local_client(tmp_path)
    runs = client.search_runs([client.get_experiment_by_name("trackbench").experiment_id], max_results=200)
    (parent,) = [r for r in runs if r.data.tags.get(ROLE_TAG) == "benchmark"]
    assert parent.info.status == "FINISHED"
    children = [r for r in runs if r.data.tags.get(PARENT_TAG) == parent.info.run_id]
    sweeps = [r for r in children if r.data.tags.get(ROLE_TAG) == "sweep"]
    jobs = sorted(r.info.run_name for r in children if r not in sweeps)
    assert jobs == sorted(f"{k}: {w}" for k in ("ocsort", "sort")
                          for w in ("defaults on tune", "defaults on test", "tuned on tune, on test"))  # fmt: skip
    assert sorted(s.info.run_name.split()[0] for s in sweeps) == ["ocsort", "sort"]
    for run in runs:
        assert run.info.status == "FINISHED", (run.info.run_name, run.info.status)
    for sweep in sweeps:
        trials = [r for r in runs if r.data.tags.get(PARENT_TAG) == sweep.info.run_id]
        assert len(trials) == 2 and {t.data.tags["trackbench.split"] for t in trials} == {"tune"}
    for run in children:
        if run not in sweeps:
            assert run.data.tags["trackbench.split"] == run.info.run_name.rsplit(" ", 1)[-1], run.info.run_name
    assert {a.path for a in client.list_artifacts(parent.info.run_id, "report")} == {
        "report/report.md", "report/report.csv", "report/report.png",
    }  # fmt: skip

    for kind in ("ocsort", "sort"):
        results = yaml.safe_load((folder / kind / "study" / "optimization_results.yaml").read_text())
        row = next(r for r in rows if r["kind"] == kind)
        # tuned on tune is the study's best trial; tuned on test ran exactly its settings
        assert float(row["tuned_tune"]) == pytest.approx(results["best_value"], abs=1e-12)
        tuned = yaml.safe_load((folder / kind / "tuned_test" / "config.yaml").read_text())
        for key, value in results["best_params"].items():
            node = tuned
            for part in key.split("."):
                node = node[part]
            assert node == value, (kind, key)
        assert tuned["dataset"]["split"] == "test" and tuned["tracker"]["tracker_kind"] == kind
    assert parent.data.tags["trackbench.best_kind"] == rows[0]["kind"]


def test_bad_input_stops_before_any_run(tmp_path):
    for args, named in [
        (("kinds=[ocsort,nope]",), "kinds: unknown tracker kind 'nope'"),
        (("kinds=[sort]", "dataset=mot"), "dataset.root"),
        (("kinds=[sort]", "dataset.split=all"), "dataset.split: set by trackbench-benchmark"),
        (("kinds=[sort]", "dataset=mot", "dataset.root=/x"), "dataset.splits.tune is not defined for dataset=mot"),
        (
            (
                "kinds=[sort]",
                "dataset=mot",
                "dataset.root=/nonexistent",
                "dataset.splits.tune={cameras: [a]}",
                "dataset.splits.test={cameras: [b]}",
            ),
            "/nonexistent: dataset folder not found",
        ),
        (("kinds=[sort]", "experiment=compare_kinds"), "experiment=compare_kinds is a sweep"),
        (("kinds=[sort]", "experiment=nope"), "experiment=nope"),
    ]:
        proc = benchmark(tmp_path, *args, "trials=1")
        assert proc.returncode == 2, (args, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("trackbench-benchmark: error:") and named in lines[0], lines
    db = tmp_path / "mlflow.db"
    if db.exists():
        client = local_client(tmp_path)
        experiment = client.get_experiment_by_name("trackbench")
        assert experiment is None or not client.search_runs([experiment.experiment_id])


def test_a_saved_preset_is_benchmarked_as_it_is(tmp_path):
    """experiment=<preset> composes with the benchmark: every step, the studies' trials and the
    tuned run on test use the preset's data, and the tuned run holds the study's best settings."""
    proc = benchmark(tmp_path, "kinds=[ocsort,sort]", "trials=2", "experiment=smoke", "runner.workers=1",
                     "eval.bootstrap.samples=100", "hydra.run.dir=bench")  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    folder = tmp_path / "bench"
    rows = list(csv.DictReader((folder / "report" / "report.csv").open()))
    assert sorted(r["kind"] for r in rows) == ["ocsort", "sort"]
    smoke = {"n_cameras": 2, "n_fish": 6, "n_frames": 150}  # conf/experiment/smoke.yaml
    for kind in ("ocsort", "sort"):
        results = yaml.safe_load((folder / kind / "study" / "optimization_results.yaml").read_text())
        runs = [folder / kind / r for r in ("defaults_tune", "defaults_test", "tuned_test")]
        runs += [folder / kind / "study" / str(n) for n in range(2)]
        for run in runs:
            synthetic = yaml.safe_load((run / "config.yaml").read_text())["dataset"]["synthetic"]
            assert {k: synthetic[k] for k in smoke} == smoke, run
        tuned = yaml.safe_load((folder / kind / "tuned_test" / "config.yaml").read_text())
        for key, value in results["best_params"].items():
            node = tuned
            for part in key.split("."):
                node = node[part]
            assert node == value, (kind, key)
        assert tuned["dataset"]["split"] == "test" and tuned["tracker"]["tracker_kind"] == kind
        row = next(r for r in rows if r["kind"] == kind)
        assert float(row["tuned_tune"]) == pytest.approx(results["best_value"], abs=1e-12)

"""The console script end to end: default synthetic run, TUD, bad input."""

from __future__ import annotations

import json

import pytest

from trackbench.artifacts import read_tracklets

from .conftest import local_client, local_runs

pytestmark = pytest.mark.slow


def test_default_run_on_synthetic(cli, tmp_path):
    proc = cli("hydra.run.dir=out")
    out = tmp_path / "out"
    assert "overall" in proc.stdout and "results:" in proc.stdout
    assert proc.stderr.strip() == "", proc.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["per_camera"]) == {"cam0", "cam1", "cam2", "cam3"}
    assert 0.5 < metrics["overall"]["mota"] <= 1.0
    tracklets = read_tracklets(out / "tracklets")
    assert {t.camera_id for t in tracklets} == {"cam0", "cam1", "cam2", "cam3"}
    for name in ("config.yaml", "mot/cam0.txt", "plots/metrics.png", "plots/timeline.png"):
        assert (out / name).stat().st_size > 0, name
    # The run exits without the interpreter's teardown: what it printed and logged got out anyway.
    assert proc.stdout.rstrip().splitlines()[-1].startswith("mlflow ui:")
    log_lines = (out / "trackbench.log").read_text().splitlines()
    assert sum(" camera cam" in line for line in log_lines) == 4, log_lines

    client, (run,) = local_client(tmp_path), local_runs(tmp_path)
    assert run.info.status == "FINISHED"
    assert run.data.tags["tracker_kind"] == "ocsort"
    assert run.data.params["tracker.max_coast_frames"] == "30" and "tracker.ocsort.inertia" not in run.data.params
    assert run.info.run_name == "ocsort" and run.inputs.dataset_inputs[0].dataset.name == "synthetic"
    assert "mlflow ui:" in proc.stdout and run.info.run_id in proc.stdout
    assert set(metrics["intervals"]) == {"mota", "idf1", "deta"} and "hota" in proc.stdout.splitlines()[0].lower()
    assert metrics["windows"]["pooled"] and (out / "plots" / "windows.png").stat().st_size > 0
    assert len(run.data.metrics) <= 45, sorted(run.data.metrics)
    assert run.data.metrics["mota"] == pytest.approx(metrics["overall"]["mota"])
    assert run.data.metrics["cam/cam2/idf1"] == pytest.approx(metrics["per_camera"]["cam2"]["idf1"])
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"metrics.json", "tracklets", "config.yaml", "mot", "plots"} <= artifacts


def test_tud_run(cli, tmp_path):
    cli("dataset=tud", "tracker=bytetrack", "hydra.run.dir=out", "runner.workers=1")
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert set(metrics["per_camera"]) == {"TUD-Campus", "TUD-Stadtmitte"}
    assert metrics["overall"]["num_unique_objects"] > 0


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("tracker.tracker_kind=nope", "tracker.tracker_kind='nope' is not supported"),
        ("tracker.n_init=three", "tracker.n_init: expected int"),
        ("runner.batch_size=0", "runner.batch_size must be >= 1"),
        ("dataset=mot", "dataset.root"),
        # Hydra's composition errors (Hydra itself prints several lines and exits 1)
        ("tracker.n_inti=3", "trackbench: error: tracker.n_inti: no such config key (did you mean tracker.n_init?)"),
        ("tracker=ocsrt", "tracker=ocsrt: no such config (did you mean ocsort?); choose one of boosttrack, botsort,"),
        ("tracker.n_init=[", "trackbench: error: cannot parse an override: no viable alternative at input '['"),
    ],
)
def test_bad_config_is_one_line_and_starts_no_run(cli, tmp_path, override, message):
    proc = cli(override, "hydra.run.dir=out", check=False)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "mlflow.db").exists()

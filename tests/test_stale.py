"""Heartbeat and stale-run sweep: dead runs are marked FAILED with a reason, live ones never."""

from __future__ import annotations

import time

import pytest
from mlflow.tracking import MlflowClient

from trackbench.config import AppConfig, MlflowConfig, load_config
from trackbench.config.settings import to_flat_dict
from trackbench.errors import TrackbenchError
from trackbench.record.mlflow_log import HEARTBEAT_TAG, STALE_TAG, UI_VIEW, RunLogger, stale_age
from trackbench.record.stale import sweep_experiment
from trackbench.stale import main as gc_main


def test_stale_age_only_for_an_old_readable_heartbeat():
    assert stale_age({HEARTBEAT_TAG: "100.0"}, now=200.0, stale_after_s=60) == pytest.approx(100.0)
    assert stale_age({HEARTBEAT_TAG: "100.0"}, now=150.0, stale_after_s=60) is None
    assert stale_age({}, now=1e12, stale_after_s=60) is None  # not ours: never judged
    assert stale_age({HEARTBEAT_TAG: "soon"}, now=1e12, stale_after_s=60) is None


def test_stale_after_must_leave_room_for_missed_heartbeats():
    tree = {"mlflow": {"heartbeat_s": 10.0, "stale_after_s": 20.0}}
    with pytest.raises(TrackbenchError, match=r"mlflow.stale_after_s=20 must be at least 3 x mlflow.heartbeat_s=10"):
        load_config(tree)
    assert to_flat_dict(load_config({}))["mlflow.stale_after_s"] == AppConfig().mlflow.stale_after_s


def test_heartbeat_refreshes_and_sweep_marks_only_dead_runs(tmp_path, capsys):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cfg = MlflowConfig(tracking_uri=uri, heartbeat_s=0.2, stale_after_s=3.0)
    client = MlflowClient(tracking_uri=uri)

    def dead_run() -> str:
        logger = RunLogger(cfg)
        logger.start("dead", {})
        logger._heartbeat.stop()  # its process "died": no more heartbeats, run left RUNNING
        client.set_tag(logger.run_id, HEARTBEAT_TAG, f"{time.time() - 10:.3f}")
        return logger.run_id

    first_dead = dead_run()
    live = RunLogger(cfg)
    live.start("live", {})  # a later run start sweeps the experiment
    assert client.get_run(first_dead).info.status == "FAILED"
    beat = float(client.get_run(live.run_id).data.tags[HEARTBEAT_TAG])
    deadline = time.monotonic() + 20
    while float(client.get_run(live.run_id).data.tags[HEARTBEAT_TAG]) == beat:
        assert time.monotonic() < deadline, "the heartbeat was never refreshed"
        time.sleep(0.1)
    dead = dead_run()
    foreign = client.create_run(client.get_experiment_by_name("trackbench").experiment_id)  # no heartbeat tag

    assert sweep_experiment(uri, "trackbench", 3.0) == [dead]
    run = client.get_run(dead)
    assert run.info.status == "FAILED"
    assert "no heartbeat for" in run.data.tags[STALE_TAG] and run.data.tags["error"] == run.data.tags[STALE_TAG]
    assert client.get_run(live.run_id).info.status == "RUNNING"
    assert client.get_run(foreign.info.run_id).info.status == "RUNNING"

    time.sleep(1.0)  # live keeps beating: a sweep with a short timeout still leaves it alone
    assert gc_main(["--tracking-uri", uri, "--stale-after", "0.9"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "0 stale run(s) marked FAILED"
    live.end("FINISHED")
    assert client.get_run(live.run_id).info.status == "FINISHED"


def test_gc_names_a_missing_experiment_in_one_line(tmp_path, capsys):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    RunLogger(MlflowConfig(tracking_uri=uri)).experiment_id()
    assert gc_main(["--tracking-uri", uri, "--experiment", "nope"]) == 2
    assert capsys.readouterr().err.strip() == f"trackbench-gc: error: no experiment named 'nope' in {uri}"


def test_a_trial_run_is_found_by_its_tags_before_the_study_knows_its_id(tmp_path):
    """A job killed between opening its run and telling the study the run's id: the sweeper
    finds the run by trial and study tags (under its own sweep parent only) and fails it."""
    from trackbench.record.abandoned import fail_abandoned, running_trial_runs
    from trackbench.record.mlflow_log import STUDY_TAG, TRIAL_TAG

    cfg = MlflowConfig(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    client = MlflowClient(tracking_uri=cfg.tracking_uri)

    def run(trial: int, study: str, parent: str | None) -> str:
        logger = RunLogger(cfg)
        logger.start(f"t{trial}", {TRIAL_TAG: str(trial), STUDY_TAG: study}, parent)
        logger._heartbeat.stop()
        return logger.run_id

    parent, other_parent = RunLogger(cfg), RunLogger(cfg)
    parent.start("sweep", {})
    other_parent.start("other sweep", {})
    mine, other_sweep, other_trial, other_study = (
        run(3, "sort", parent.run_id), run(3, "sort", other_parent.run_id),
        run(2, "sort", parent.run_id), run(3, "ocsort", parent.run_id),
    )  # fmt: skip
    assert running_trial_runs(cfg, "sort", parent.run_id, 3) == {mine: 3}
    assert running_trial_runs(cfg, "sort", trial=3) == {mine: 3, other_sweep: 3}
    assert running_trial_runs(cfg, "sort", parent.run_id) == {mine: 3, other_trial: 2}
    fail_abandoned(cfg, mine, "its job process died", spare_parent=parent.run_id)
    assert client.get_run(mine).info.status == "FAILED"
    assert client.get_run(mine).data.tags["error"] == "its job process died"
    assert running_trial_runs(cfg, "sort", parent.run_id, 3) == {}, "a finished run is not found again"
    for rid in (parent.run_id, other_sweep, other_trial, other_study):
        assert client.get_run(rid).info.status == "RUNNING"
    for logger in (parent, other_parent):
        logger.end()


def test_a_started_run_knows_its_experiment_and_address_without_asking_the_store(tmp_path):
    """The run keeper reports the run open with these: a server lost just after the run
    opened must not fail that report (the outage test's CI failure)."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    logger = RunLogger(MlflowConfig(tracking_uri=uri, experiment_name="fish"))
    asked = []
    get = logger.client.get_experiment_by_name
    logger.client.get_experiment_by_name = lambda name: asked.append(name) or get(name)
    logger.start("r", {})
    assert asked == ["fish"]  # found or created once, by start()
    experiment = MlflowClient(tracking_uri=uri).get_experiment_by_name("fish").experiment_id
    logger.client.get_experiment_by_name = lambda name: pytest.fail("asked the store again")
    assert logger.experiment_id() == experiment
    assert logger.address().endswith(f"#/experiments/{experiment}/runs/{logger.run_id}?{UI_VIEW}")
    logger.end("FINISHED")


def test_the_runs_table_address_sorts_by_the_objective():
    from trackbench.record.ui_address import runs_table_address

    address = runs_table_address("http://h:5000", "3", "idf1", ascending=False)
    assert address == ("http://h:5000/#/experiments/3/runs?orderByKey=metrics.%60idf1%60&orderByAsc=false&" + UI_VIEW)
    assert "orderByAsc=true" in runs_table_address("sqlite:///m.db", "1", "num_switches", ascending=True)

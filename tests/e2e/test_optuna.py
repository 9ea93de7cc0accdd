"""Optuna sweeps through the CLI: saved and resumed after a kill, parallel, pruned, replayable."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from trackbench.experiment.trial import PROCESS_ATTR, RUN_ATTR
from trackbench.record.mlflow_log import ROLE_TAG, STATE_TAG, TRIAL_TAG
from trackbench.sweeps.tuning.study import load_trials
from trackbench.tracking.kinds import SUPPORTED_KINDS

from .conftest import local_client, local_runs, trackbench_command

pytestmark = pytest.mark.slow

SMALL = ("dataset.synthetic.n_cameras=2", "dataset.synthetic.n_frames=60", "runner.workers=1")
FAST_BEATS = ("hydra.sweeper.heartbeat_interval=1", "hydra.sweeper.grace_period=2")
# conf/tracker/ocsort.yaml's values of the keys conf/hparams_search/ocsort_optuna.yaml searches
OCSORT_DEFAULTS = {
    "tracker.max_coast_frames": 30,
    "tracker.n_init": 3,
    "tracker.iou_threshold": 0.3,
    "tracker.det_thresh": 0.3,
    "tracker.ocsort.inertia": 0.2,
    "tracker.ocsort.delta_t": 3,
    "tracker.ocsort.asso_func": "iou",
    "tracker.ocsort.use_byte": False,
}


def storage(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/optuna.db"  # the default: beside the CLI's mlflow.db


def jobs_of(runs) -> dict[int, object]:
    out: dict[int, object] = {}
    for r in runs:
        if TRIAL_TAG in r.data.tags:
            number = int(r.data.tags[TRIAL_TAG])
            assert number not in out, f"trial {number} has two MLflow runs"
            out[number] = r
    return out


def _running_trial(store: str, study: str, min_number: int):
    with contextlib.suppress(Exception):  # the study may not exist yet
        for t in load_trials(store, study):
            if t.state == "RUNNING" and t.number >= min_number and RUN_ATTR in t.user_attrs:
                return t
    return None


def test_a_killed_sweep_resumes_and_the_best_config_replays_its_objective(cli, tmp_path):
    args = ["hparams_search=ocsort_optuna", "hydra.sweeper.n_trials=4", "hydra/sweeper/pruner=nop", *SMALL, *FAST_BEATS]
    # Optuna imported before the sweep starts, so the first poll is quick: a poll that took the
    # import's second could see the victim only as it ends its run (then FINISHED, not killed).
    importlib.import_module("optuna")
    proc = subprocess.Popen(
        [*trackbench_command(), *args, "hydra.sweep.dir=first"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    victim = None
    while victim is None:  # kill the sweep while its second trial is mid-run
        assert proc.poll() is None, "the sweep ended before it could be killed"
        assert time.monotonic() < deadline, "no trial started"
        victim = _running_trial(storage(tmp_path), "ocsort", 1)
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    cli(*args, "hydra.sweep.dir=second")  # the same command resumes the study

    trials = load_trials(storage(tmp_path), "ocsort")
    assert [t.number for t in trials] == [0, 1, 2, 3], "n_trials is the study's total"
    assert {t.number: t.state for t in trials} == {n: "FAIL" if n == victim.number else "COMPLETE" for n in range(4)}
    assert trials[0].params == OCSORT_DEFAULTS, "trial 0 runs the configured defaults"
    assert all(t.intermediate == {} for t in trials), "no pruner reads per-camera reports: none written"
    runs = local_runs(tmp_path)
    jobs = jobs_of(runs)
    assert sorted(jobs) == [0, 1, 2, 3], "every trial ran exactly once"
    killed = jobs[victim.number]
    assert killed.info.status == "FAILED" and "no heartbeat" in killed.data.tags["error"]
    for t in trials:
        if t.state == "COMPLETE":
            assert jobs[t.number].info.status == "FINISHED"
            assert jobs[t.number].data.metrics["idf1"] == t.value
    parents = {Path(r.data.tags["trackbench.sweep_dir"]).name: r for r in runs if r.data.tags.get(ROLE_TAG) == "sweep"}
    assert parents["first"].info.status == "FAILED" and parents["second"].info.status == "FINISHED"

    results = yaml.safe_load((tmp_path / "second" / "optimization_results.yaml").read_text())
    best = max((t for t in trials if t.state == "COMPLETE"), key=lambda t: t.value)
    assert (results["best_trial"], results["best_value"]) == (best.number, best.value)
    assert parents["second"].data.tags["trackbench.best_value"] == repr(best.value)
    on_bound = ", ".join(f"{k}={side}" for k, side in results["best_on_bound"].items())
    assert parents["second"].data.tags.get("trackbench.best_on_bound", "") == on_bound
    artifacts = local_client(tmp_path).list_artifacts(parents["second"].info.run_id, "best")
    assert {a.path for a in artifacts} == {"best/optimization_results.yaml", "best/experiment"}
    cli("--config-dir", "second", "experiment=best", "hydra.run.dir=replay", "mlflow.enabled=false")
    replayed = json.loads((tmp_path / "replay" / "metrics.json").read_text())["overall"]["idf1"]
    assert replayed == best.value, "the best config reproduces the best trial's objective exactly"


def test_two_joblib_workers_share_one_study(cli, tmp_path):
    cli("hparams_search=sort_optuna", "hydra.sweeper.n_trials=4", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
        *SMALL, "hydra.sweep.dir=par")  # fmt: skip
    trials = load_trials(storage(tmp_path), "sort")
    assert [(t.number, t.state) for t in trials] == [(n, "COMPLETE") for n in range(4)]
    jobs = jobs_of(local_runs(tmp_path))
    assert sorted(jobs) == [0, 1, 2, 3]
    for t in trials:  # each job ran its own trial's values and reported its own objective
        run = jobs[t.number]
        assert {k: run.data.params[k] for k in t.params} == {k: str(v) for k, v in t.params.items()}
        assert run.data.metrics["idf1"] == t.value
    # Trials 0 and 1 were in flight in the study together (launched as one batch of two jobs);
    # whether loky's workers overlap in time depends on the machine's load, so that is not asserted.
    assert trials[1].started < trials[0].finished and trials[0].started < trials[1].finished
    assert all(PROCESS_ATTR in t.user_attrs for t in trials)


@pytest.mark.parametrize("kind", SUPPORTED_KINDS)
def test_every_kinds_search_space_runs_a_trial(cli, tmp_path, kind):
    cli(f"hparams_search={kind}_optuna", "hydra.sweeper.n_trials=1", "hydra.sweeper.enqueue_defaults=false",
        "dataset.synthetic.n_cameras=1", "dataset.synthetic.n_frames=30", "runner.workers=1", "mlflow.enabled=false",
        "hydra.sweep.dir=k")  # fmt: skip
    (trial,) = load_trials(storage(tmp_path), kind)
    assert trial.state == "COMPLETE"
    searched = yaml.safe_load((tmp_path / "k" / "multirun.yaml").read_text())["hydra"]["sweeper"]["params"]
    assert set(trial.params) == set(searched)
    job_config = yaml.safe_load((tmp_path / "k" / "0" / "config.yaml").read_text())
    for key, value in trial.params.items():
        node = job_config
        for part in key.split("."):
            node = node[part]
        assert node == value, key


def test_pruned_trials_are_tagged_not_failed(cli, tmp_path):
    args = ["hparams_search=ocsort_optuna", "hydra/sweeper/pruner=threshold", "hydra.sweeper.pruner.lower=0.99", *SMALL]
    cli(*args, "hydra.sweeper.n_trials=2", "hydra.sweeper.report_frames=20", "hydra.sweep.dir=pr")
    trials = load_trials(storage(tmp_path), "ocsort")
    assert [(t.state, list(t.intermediate)) for t in trials] == [("PRUNED", [20])] * 2, "stopped 20 frames in"
    runs = local_runs(tmp_path)
    jobs = jobs_of(runs)
    assert all(r.data.tags[STATE_TAG] == "pruned" and r.info.status == "KILLED" for r in jobs.values())
    assert not any("error" in r.data.tags for r in jobs.values()), "a pruned trial is not a failure"
    (parent,) = [r for r in runs if r.data.tags.get(ROLE_TAG) == "sweep"]
    assert parent.info.status == "FINISHED"
    assert not (tmp_path / "pr" / "0" / "metrics.json").exists()
    assert "best_value" not in yaml.safe_load((tmp_path / "pr" / "optimization_results.yaml").read_text())

    # The same study name with another search space is refused in one line, before any trial.
    proc = cli(*args, "hydra.sweeper.n_trials=3", "tracker.ocsort.max_obs=range(10, 60)", check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "trackbench: error: study 'ocsort' in sqlite:///" + str(tmp_path / "optuna.db")
        + " searched another space (tracker.ocsort.max_obs differs); use another hydra.sweeper.study_name"
    ]  # fmt: skip
    assert len(load_trials(storage(tmp_path), "ocsort")) == 2


def test_a_bad_report_interval_is_one_line_and_leaves_no_study(cli, tmp_path):
    proc = cli("hparams_search=ocsort_optuna", "hydra.sweeper.report_frames=0", *SMALL, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "trackbench: error: hydra.sweeper.report_frames must be a whole number >= 1 or null, got 0"
    ]
    assert not (tmp_path / "optuna.db").exists(), "checked before the study is created"
    assert all(r.info.status != "RUNNING" for r in local_runs(tmp_path))


def test_a_job_process_that_dies_fails_its_trial_and_the_sweep_goes_on(tmp_path):
    proc = subprocess.Popen(
        [*trackbench_command(), "hparams_search=sort_optuna", "hydra.sweeper.n_trials=4", "hydra/sweeper/pruner=nop",
         "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", *SMALL, "hydra.sweep.dir=sw"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    victim = None
    while victim is None or PROCESS_ATTR not in victim.user_attrs:
        assert proc.poll() is None, "the sweep ended before a job could be killed"
        assert time.monotonic() < deadline, "no trial started"
        victim = _running_trial(storage(tmp_path), "sort", 0)
        time.sleep(0.05)
    os.kill(int(victim.user_attrs[PROCESS_ATTR].rsplit(":", 1)[1]), signal.SIGKILL)  # a joblib worker
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr

    trials = {t.number: t for t in load_trials(storage(tmp_path), "sort")}
    assert sorted(trials) == [0, 1, 2, 3] and trials[victim.number].state == "FAIL"
    assert trials[3].state == "COMPLETE", "the sweep went on after the dead job"
    runs = local_runs(tmp_path)
    jobs = jobs_of(runs)
    assert jobs[victim.number].info.status == "FAILED"
    for number, t in trials.items():
        if number in jobs:
            assert jobs[number].info.status == {"FAIL": "FAILED", "COMPLETE": "FINISHED"}[t.state]
    (parent,) = [r for r in runs if r.data.tags.get(ROLE_TAG) == "sweep"]
    assert parent.info.status == "FINISHED"


def test_a_study_tunes_postprocess_keys_with_the_trackers(cli, tmp_path):
    """postprocess.* in the search space: trials set it, and the best config replays it."""
    cli("hparams_search=ocsort_optuna", "postprocess=linear", "postprocess.interval=range(5, 30, step=5)",
        "hydra.sweeper.n_trials=2", "hydra/sweeper/pruner=nop", *SMALL, "hydra.sweep.dir=sweep")  # fmt: skip
    results = yaml.safe_load((tmp_path / "sweep" / "optimization_results.yaml").read_text())
    assert results["states"] == {"COMPLETE": 2} and results["best_params"]["postprocess.interval"] in range(5, 30, 5)
    best = yaml.safe_load((tmp_path / "sweep" / "experiment" / "best.yaml").read_text())
    assert best["postprocess"] == {"method": "linear", "interval": results["best_params"]["postprocess.interval"]}
    runs = [r for r in local_runs(tmp_path) if TRIAL_TAG in r.data.tags]
    assert len(runs) == 2 and all(r.data.params["postprocess.method"] == "linear" for r in runs)
    assert sorted(int(r.data.params["postprocess.interval"]) for r in runs)[0] in range(5, 30, 5)

"""The Optuna door: a stored study survives its process, stale trials fail, jobs prune."""

from __future__ import annotations

import time

import pytest

from trackbench.errors import TrackbenchError
from trackbench.experiment.trial import CameraReporter, TrialPruned
from trackbench.sweeps.tuning.space import CategoricalParam, FloatParam, IntParam
from trackbench.sweeps.tuning.study import Study, StudySpec, TrialReporter, build, load_trials, prunes

SPACE = {"x": FloatParam(0.0, 1.0), "n": IntParam(1, 5), "f": CategoricalParam(("iou", "giou"))}
TPE = {"_target_": "optuna.samplers.TPESampler", "seed": 3}


def spec(tmp_path, **kw) -> StudySpec:
    base = dict(storage=f"sqlite:///{tmp_path}/optuna.db", name="s", direction="maximize", sampler=TPE, pruner=None)
    return StudySpec(**{**base, **kw})


def test_trials_survive_in_storage_and_a_reopened_study_continues(tmp_path):
    study = Study(spec(tmp_path), on_stale=lambda r: None)
    study.enqueue({"x": 0.25, "n": 3, "f": "iou"})
    first = [study.ask(SPACE) for _ in range(3)]
    assert first[0] == (0, {"x": 0.25, "n": 3, "f": "iou"})  # the enqueued defaults come first
    for number, params in first:
        study.tell(number, "COMPLETE", params["x"])
    again = Study(spec(tmp_path), on_stale=lambda r: None)  # a new session, same name
    number, _ = again.ask(SPACE)
    again.tell(number, "PRUNED")
    records = load_trials(spec(tmp_path).storage, "s")
    assert [(r.number, r.state) for r in records] == [(0, "COMPLETE"), (1, "COMPLETE"), (2, "COMPLETE"), (3, "PRUNED")]
    assert again.best().value == max(p["x"] for _, p in first)


def test_started_counts_every_asked_trial_of_every_session_not_the_waiting_ones(tmp_path):
    study = Study(spec(tmp_path), on_stale=lambda r: None)
    study.enqueue({"x": 0.25, "n": 3, "f": "iou"})
    study.enqueue({"x": 0.5, "n": 3, "f": "iou"})
    assert study.started() == 0
    number, _ = study.ask(SPACE)  # the first enqueued one: running
    assert study.started() == 1
    study.tell(number, "FAIL")
    other = Study(spec(tmp_path), on_stale=lambda r: None)  # another process on the same study
    other.ask(SPACE)
    assert study.started() == other.started() == 2
    assert sum(r.state != "WAITING" for r in study.trials()) == 2


def test_a_trial_without_heartbeats_is_failed_and_reported(tmp_path):
    stale = []
    s = spec(tmp_path, heartbeat_interval=1, grace_period=1)
    dead = Study(s, on_stale=stale.append)
    number, _ = dead.ask(SPACE)  # its sweep "dies": nobody beats any more
    time.sleep(2.5)
    alive = Study(s, on_stale=stale.append)
    alive.fail_stale()
    assert [r.number for r in stale] == [number]
    assert load_trials(s.storage, "s")[0].state == "FAIL"


def test_heartbeats_keep_a_running_trial_alive(tmp_path):
    s = spec(tmp_path, heartbeat_interval=1, grace_period=2)
    study = Study(s, on_stale=lambda r: pytest.fail(f"trial {r.number} failed"))
    with study.heartbeats():
        number, _ = study.ask(SPACE)
        time.sleep(3.5)
        study.fail_stale()
    assert load_trials(s.storage, "s")[0].state == "RUNNING"
    study.tell(number, "COMPLETE", 0.5)


def test_a_job_reports_to_its_trial_and_the_stored_pruner_decides(tmp_path):
    s = spec(tmp_path, pruner={"_target_": "optuna.pruners.ThresholdPruner", "lower": 0.5})
    study = Study(s, on_stale=lambda r: None)
    number, _ = study.ask(SPACE)
    reporter = TrialReporter(s.storage, "s", number)  # what the job process opens
    reporter.set_attr("trackbench.mlflow_run_id", "abc")
    assert reporter.report(0, 0.7) is False
    assert reporter.report(1, 0.4) is True
    record = load_trials(s.storage, "s")[0]
    assert record.intermediate == {0: 0.7, 1: 0.4} and record.user_attrs["trackbench.mlflow_run_id"] == "abc"


def test_camera_reporter_steps_are_frames_scored_over_finished_cameras_and_prefixes():
    seen = []

    class Outcome:
        def __init__(self, camera_id, value, n_frames):
            self.camera_id, self.scores, self.n_frames = camera_id, value, n_frames

    def pool(scores):  # stands in for scoring.summarize: mean of the cameras so far
        return {"idf1": sum(scores.values()) / len(scores)}

    hook = CameraReporter(lambda step, value: seen.append((step, value)) or value < 0.5, pool, "idf1", "maximize")
    hook.prefix("a", 50, 0.9)  # camera a's first 50 frames
    hook(Outcome("a", 0.8, 100))  # camera a done: its prefix is replaced by its whole score
    hook.prefix("b", 30, 0.6)
    with pytest.raises(TrialPruned) as err:
        hook.prefix("b", 60, 0.0)
    assert seen == [(50, 0.9), (100, 0.8), (130, 0.7), (160, 0.4)]
    assert (err.value.step, err.value.value) == (160, 0.4)


def test_the_last_step_is_reported_but_never_prunes():
    seen = []

    class Outcome:
        def __init__(self, camera_id, value, n_frames):
            self.camera_id, self.scores, self.n_frames = camera_id, value, n_frames

    hook = CameraReporter(lambda step, value: seen.append((step, value)) or True, lambda s: {"idf1": 0.1}, "idf1",
                          "maximize", total_frames=100)  # fmt: skip
    hook(Outcome("a", 0.1, 100))  # the pruner says stop, but every frame is scored: the trial is done
    assert seen == [(100, 0.1)]
    with pytest.raises(TrialPruned):
        CameraReporter(lambda step, value: True, lambda s: {"idf1": 0.1}, "idf1", "maximize", 100).prefix("a", 50, 0.1)


def test_a_nan_objective_so_far_reports_the_worst_value():
    seen = []
    hook = CameraReporter(lambda step, value: seen.append((step, value)) or False, lambda s: {}, "idf1", "minimize")
    hook.prefix("a", 10, None)
    assert seen == [(10, float("inf"))]


def test_only_optuna_classes_are_built():
    assert type(build({"_target_": "optuna.pruners.MedianPruner", "n_startup_trials": 2}, "pruners")).__name__ == (
        "MedianPruner"
    )
    with pytest.raises(TrackbenchError, match=r"not a class of optuna\.pruners"):
        build({"_target_": "os.system"}, "pruners")
    with pytest.raises(TrackbenchError, match="MedianPruner"):
        build({"_target_": "optuna.pruners.MedianPruner", "bogus": 1}, "pruners")


def test_a_study_cannot_change_direction(tmp_path):
    Study(spec(tmp_path), on_stale=lambda r: None)
    with pytest.raises(TrackbenchError, match="created to maximize"):
        Study(spec(tmp_path, direction="minimize"), on_stale=lambda r: None)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, False),
        ({"_target_": "optuna.pruners.NopPruner"}, False),
        ({"_target_": "optuna.pruners.MedianPruner", "n_startup_trials": 5}, True),
        (
            {"_target_": "optuna.pruners.PatientPruner", "wrapped_pruner": {"_target_": "optuna.pruners.NopPruner"}},
            True,
        ),
    ],
)
def test_prunes_is_false_only_without_a_pruner_or_with_optunas_nop_one(spec, expected):
    # The sweeper's report_cameras, report_frames, multi-objective and cores-rule choices, and
    # the sweep callback's forkserver choice, all read this one rule.
    assert prunes(spec) is expected

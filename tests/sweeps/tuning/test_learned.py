"""What a study learned (importances, history, slices) and a multi-objective study's front."""

from __future__ import annotations

import csv

import pytest

from trackbench.errors import TrackbenchError
from trackbench.sweeps.tuning.learned import draw_learned, draw_pareto
from trackbench.sweeps.tuning.space import CategoricalParam, FloatParam
from trackbench.sweeps.tuning.study import Study, StudySpec, load_trials

SPACE = {"x": FloatParam(0.0, 1.0), "noise": FloatParam(0.0, 1.0), "f": CategoricalParam(("a", "b"))}
RANDOM = {"_target_": "optuna.samplers.RandomSampler", "seed": 5}


def spec(tmp_path, **kw) -> StudySpec:
    base = dict(storage=f"sqlite:///{tmp_path}/optuna.db", name="s", direction="maximize", sampler=RANDOM, pruner=None)
    return StudySpec(**{**base, **kw})


def filled(tmp_path, n: int = 12, **kw) -> Study:
    """A study whose first objective is x (the other parameters do nothing), its second 1 - x**2."""
    study = Study(spec(tmp_path, **kw), on_stale=lambda r: None)
    for _ in range(n):
        number, params = study.ask(SPACE)
        x = params["x"]
        study.tell(number, "COMPLETE", [x, 1 - x * x] if len(study.spec.senses) > 1 else x)
    return study


def test_importances_history_and_slices_are_drawn_and_repeatable(tmp_path):
    study = filled(tmp_path)
    (found,) = draw_learned(study, ["idf1"], tmp_path / "a", "study s")
    assert found.shares[0][0] == "x" and found.shares[0][1] > 0.9, "x alone moves the objective"
    assert found.line().startswith("x explains 9") and found.line().endswith(
        "of the variance of idf1 (fANOVA, 12 trials)"
    )
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "history.png", "importance.csv", "importance.png", "slice.png",
    ]  # fmt: skip
    with (tmp_path / "a" / "importance.csv").open() as f:
        assert [r["param"] for r in csv.DictReader(f)] == [p for p, _ in found.shares]
    (again,) = draw_learned(study, ["idf1"], tmp_path / "b", "study s")
    assert again == found, "the importance evaluator's seed is fixed"


def test_a_study_of_several_objectives_has_a_front_and_files_per_objective(tmp_path):
    study = filled(tmp_path, directions=("maximize", "maximize"))
    front = study.pareto()
    trials = load_trials(study.spec.storage, "s")
    assert study.best() is None and all(t.value is None and len(t.values) == 2 for t in trials)
    dominated = [t for t in trials if any(o.values[0] > t.values[0] and o.values[1] > t.values[1] for o in trials)]
    assert {t.number for t in front} == {t.number for t in trials} - {t.number for t in dominated}
    found = draw_learned(study, ["hota", "tracker_ms_per_frame"], tmp_path / "l", "study s")
    assert [i.objective for i in found] == ["hota", "tracker_ms_per_frame"]
    names = {p.name for p in (tmp_path / "l").iterdir()}
    assert {"importance_hota.png", "history_tracker_ms_per_frame.png", "slice_hota.png"} <= names
    draw_pareto(study, ["hota", "tracker_ms_per_frame"], tmp_path / "front.png", "study s")
    assert (tmp_path / "front.png").stat().st_size > 0


def test_too_few_trials_say_so_instead_of_failing(tmp_path):
    (found,) = draw_learned(filled(tmp_path, n=2), ["idf1"], tmp_path / "l", "study s")
    assert found.shares == () and found.line() == "no parameter importance for idf1: 2 complete trials"
    assert {p.name for p in (tmp_path / "l").iterdir()} == {"importance.csv", "history.png", "slice.png"}


def test_a_study_reopened_with_other_directions_is_refused(tmp_path):
    filled(tmp_path, n=1, directions=("maximize", "minimize"))
    with pytest.raises(TrackbenchError, match="was created to maximize, minimize, not maximize; use another"):
        Study(spec(tmp_path), on_stale=lambda r: None)

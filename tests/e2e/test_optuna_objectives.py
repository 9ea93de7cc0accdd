"""Studies through the CLI: accuracy against speed (a Pareto front), and what a study learned."""

from __future__ import annotations

import csv
import json

import pytest
import yaml

from trackbench.record.mlflow_log import ROLE_TAG
from trackbench.sweeps.tuning.study import load_trials

from .conftest import artifact_sizes, local_client, local_runs

pytestmark = pytest.mark.slow

SMALL = ("experiment=smoke", "dataset.synthetic.n_cameras=2", "dataset.synthetic.n_frames=60", "runner.workers=1")
TWO = "objective.metrics=[hota,tracker_ms_per_frame]"


def parent_of(tmp_path):
    (parent,) = [r for r in local_runs(tmp_path) if r.data.tags.get(ROLE_TAG) == "sweep"]
    return parent


def test_a_study_of_accuracy_against_speed_writes_its_front_and_each_member_replays(cli, tmp_path):
    proc = cli("hparams_search=ocsort_optuna", TWO, "hydra.sweeper.n_trials=4", *SMALL, "hydra.sweep.dir=mo")
    assert "the default pruner (successive_halving) is switched off" in proc.stdout + proc.stderr
    trials = load_trials(f"sqlite:///{tmp_path}/optuna.db", "ocsort")
    assert [t.state for t in trials] == ["COMPLETE"] * 4 and all(t.intermediate == {} for t in trials), "no reports"
    front = [
        t
        for t in trials
        if not any(o.values[0] >= t.values[0] and o.values[1] <= t.values[1] and o.values != t.values for o in trials)
    ]
    sweep = tmp_path / "mo"
    assert sorted(p.name for p in (sweep / "pareto").glob("*.yaml")) == sorted(f"trial_{t.number}.yaml" for t in front)
    with (sweep / "pareto" / "front.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [(int(r["trial"]), float(r["hota"]), float(r["tracker_ms_per_frame"])) for r in rows] == [
        (t.number, t.values[0], t.values[1]) for t in front
    ]
    results = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    assert results["directions"] == ["maximize", "minimize"] and "best_trial" not in results
    assert not (sweep / "experiment").exists(), "several objectives have no single best"

    parent = parent_of(tmp_path)
    assert parent.data.tags["trackbench.pareto_trials"] == " ".join(str(t.number) for t in front)
    artifacts = artifact_sizes(local_client(tmp_path), parent.info.run_id)
    expected = {f"pareto/trial_{t.number}.yaml" for t in front} | {
        "pareto/front.csv",
        "pareto/front.md",
        "pareto/front.png",
    }
    assert expected <= set(artifacts)
    learned = {p.rpartition("/")[2] for p in artifacts if p.startswith("learned/")}
    assert {"importance_hota.png", "history_tracker_ms_per_frame.png", "slice_hota.png"} <= learned
    note = parent.data.tags["mlflow.note.content"]
    assert "of the variance of hota (fANOVA, 4 trials)" in note and "of tracker_ms_per_frame" in note

    member = front[0]
    cli("--config-dir", "mo", f"+pareto=trial_{member.number}", "hydra.run.dir=replay", "mlflow.enabled=false")
    replayed = json.loads((tmp_path / "replay" / "metrics.json").read_text())
    assert replayed["overall"]["hota"] == member.values[0], "the member's config reproduces its accuracy exactly"
    assert replayed["timing"]["tracker_ms_per_frame"] > 0, "its speed is measured again (CPU time varies)"


def test_a_pruner_chosen_for_several_objectives_is_refused_in_one_line(cli, tmp_path):
    proc = cli("hparams_search=ocsort_optuna", TWO, "hydra/sweeper/pruner=median", *SMALL, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "trackbench: error: hydra/sweeper/pruner=median: Optuna cannot prune a study of several objectives "
        "(objective.metrics=['hota', 'tracker_ms_per_frame']); leave the pruner out or use hydra/sweeper/pruner=nop"
    ]
    assert not (tmp_path / "optuna.db").exists(), "refused before the study is created"


def test_a_single_objective_studys_parent_shows_what_it_learned(cli, tmp_path):
    cli(
        "hparams_search=sort_optuna",
        "hydra.sweeper.n_trials=4",
        "hydra/sweeper/pruner=nop",
        *SMALL,
        "hydra.sweep.dir=s",
    )
    parent = parent_of(tmp_path)
    artifacts = artifact_sizes(local_client(tmp_path), parent.info.run_id)
    assert {"learned/importance.png", "learned/importance.csv", "learned/history.png", "learned/slice.png"} <= set(
        artifacts
    )
    assert all(artifacts[k] > 0 for k in artifacts if k.startswith("learned/"))
    line = (tmp_path / "s" / "learned" / "summary.txt").read_text().strip()
    assert (
        line.endswith("of the variance of idf1 (fANOVA, 4 trials)") and line in parent.data.tags["mlflow.note.content"]
    )
    assert not (tmp_path / "s" / "pareto").exists(), "a single objective has a best trial, not a front"

"""A sweep's trials share one process's camera workers (runner.reuse_workers), its parsed
or simulated dataset and the composition of their configs; the study is the same bit for bit
with the reuse on or off."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from trackbench.experiment._cores import TRIALS_PER_SLOT, available_cores
from trackbench.record.mlflow_log import STUDY_TAG, TRIAL_TAG
from trackbench.sweeps.tuning.study import load_trials

from .conftest import local_client

pytestmark = pytest.mark.slow
STUDY = (
    "hparams_search=ocsort_optuna", "hydra.sweeper.n_trials=4", "hydra/sweeper/pruner=nop",
    "dataset.synthetic.n_cameras=3", "dataset.synthetic.n_frames=120", "runner.workers=2", "runner.progress=never",
    "mlflow.enabled=false", "eval.bootstrap.samples=50",
)  # fmt: skip


_PER_STUDY = ("runner.reuse_workers", "tuning.", "hydra.")  # what differs by study, not by trial


def _trials(sweep: Path) -> list[tuple[list[str], dict, dict[str, bytes], set[int], dict]]:
    """Per trial: its overrides, metrics.json without timing, its mot/ files, the worker pids and
    its composed config (without the keys that name the study)."""
    out = []
    for job in sorted((p for p in sweep.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)):
        overrides = [
            o for o in yaml.safe_load((job / ".hydra" / "overrides.yaml").read_text()) if not o.startswith(_PER_STUDY)
        ]
        metrics = json.loads((job / "metrics.json").read_text())
        metrics.pop("timing")
        mot = {p.name: p.read_bytes() for p in sorted((job / "mot").iterdir())}
        config = yaml.safe_load((job / ".hydra" / "config.yaml").read_text())  # the composed config
        config["runner"].pop("reuse_workers")
        config.pop("tuning")
        pids = {int(m) for m in re.findall(r"tracking [0-9.]+s \(pid (\d+)\)", (job / "trackbench.log").read_text())}
        out.append((overrides, metrics, mot, pids, config))
    return out


def test_a_study_is_the_same_with_the_workers_reused_or_not(cli, tmp_path):
    for name, reuse in (("reused", "true"), ("fresh", "false")):  # two studies, the same seed
        cli(*STUDY, f"runner.reuse_workers={reuse}", f"hydra.sweep.dir={name}", f"hydra.sweeper.study_name={name}")
    reused, fresh = _trials(tmp_path / "reused"), _trials(tmp_path / "fresh")
    assert len(reused) == len(fresh) == 4
    for (o1, m1, mot1, _, c1), (o2, m2, mot2, _, c2) in zip(reused, fresh, strict=True):
        assert o1 == o2, "the same trials"
        assert c1 == c2, "the same composed config"
        assert m1 == m2, "the same objectives and metrics, bit for bit"
        assert mot1 == mot2, "the same rows"
    reused_pids = set().union(*(t[3] for t in reused))
    assert len(reused_pids) == 2, f"one pool of 2 workers served every trial: {reused_pids}"
    fresh_pids = [t[3] for t in fresh]
    assert all(len(p) == 2 for p in fresh_pids) and len(set().union(*fresh_pids)) == 8, "a new pool per trial"


@pytest.mark.skipif(available_cores() < 2, reason="the cores rule runs trials in parallel from 2 cores")
def test_parallel_trials_by_default_give_the_same_study_twice(cli, tmp_path):
    """The cores rule (trackbench.experiment._cores.sweep_plan) on 2 cores: 2 trials of 1 worker in flight on
    Hydra's joblib launcher. Every trial keeps its files and MLflow run, and the same study
    and seed give the same trials and objectives when run again."""
    study = (
        "hparams_search=ocsort_optuna", f"hydra.sweeper.n_trials={2 * TRIALS_PER_SLOT}", "hydra/sweeper/pruner=nop",
        "dataset.synthetic.n_cameras=2", "dataset.synthetic.n_frames=30", "runner.progress=never",
        "eval.bootstrap.samples=20",
    )  # fmt: skip
    for name in ("one", "two"):
        proc = cli(*study, f"hydra.sweep.dir={name}", f"hydra.sweeper.study_name={name}")
        assert "2 trials in flight (joblib), 1 camera worker(s) each" in proc.stdout + proc.stderr
    one, two = _trials(tmp_path / "one"), _trials(tmp_path / "two")
    assert len(one) == len(two) == 2 * TRIALS_PER_SLOT
    for (o1, m1, mot1, _, _), (o2, m2, mot2, _, _) in zip(one, two, strict=True):
        assert o1 == o2, "the same trials"
        assert m1 == m2, "the same objectives and metrics, bit for bit"
        assert mot1 and mot1 == mot2, "the same rows"
    assert len(set().union(*(t[3] for t in one))) <= 2, "two job processes, reused batch after batch"
    client = local_client(tmp_path)
    runs = client.search_runs([client.get_experiment_by_name("trackbench").experiment_id])
    for name in ("one", "two"):
        trials = load_trials(f"sqlite:///{tmp_path / 'optuna.db'}", name)
        assert [t.state for t in trials] == ["COMPLETE"] * len(one)
        assert trials[1].started < trials[0].finished, "trials 0 and 1 were in flight together"
        finished = [r for r in runs if r.data.tags.get(STUDY_TAG) == name and TRIAL_TAG in r.data.tags]
        assert sorted(int(r.data.tags[TRIAL_TAG]) for r in finished) == list(range(len(one)))
        assert all(r.info.status == "FINISHED" and r.data.params["runner.workers_resolved"] == "1" for r in finished)

"""Where a run's diagnosis lands: metrics.json (identity, attribution), MLflow names
(``identity/...``, ``fix/<type>/<metric>``) and the console summary; the same run twice gives
the same metrics.json apart from timing."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.test_scoring_events import SMALL
from tests.test_scoring_parity import run_app
from trackbench.config import AppConfig
from trackbench.config.settings import to_flat_dict
from trackbench.experiment.app import ExperimentResult, add_attribution, run_experiment
from trackbench.experiment.run_record import mlflow_metrics
from trackbench.experiment.summary import format_summary
from trackbench.scoring.attribution import RUN_FIXES
from trackbench.scoring.identity import IDENTITY_METRICS


def test_metrics_json_mlflow_and_summary_hold_identity_and_attribution(tmp_path: Path) -> None:
    first = run_app(tmp_path / "a", dict(SMALL))
    identity, attribution = first["identity"], first["attribution"]
    assert set(identity["per_camera"]) == set(attribution["per_camera"]) == {"cam0", "cam1"}
    assert set(identity["overall"]) == {*IDENTITY_METRICS, "worst_animal"}
    assert identity["overall"]["identity_recall"] == first["overall"]["idr"]
    assert len(identity["per_camera"]["cam0"]["per_animal"]) == 6  # the tank's fish
    assert set(attribution["overall"]) == {"none", *RUN_FIXES}
    assert attribution["overall"]["none"] == {k: first["overall"][k] for k in ("hota", "idf1", "mota")}
    assert "all" not in attribution["overall"]  # a perfect score by construction (tests/test_attribution.py)

    logged = mlflow_metrics(first)
    assert logged["fix/idsw/idf1"] == attribution["overall"]["idsw"]["idf1"]
    assert logged["identity/mtbf_monotonic"] == identity["overall"]["mtbf_monotonic"]
    assert {k for k in logged if k.startswith(("identity/", "fix/"))} == {
        "identity/identity_recall_min",
        "identity/mtbf_monotonic",
        "fix/fp/mota",
        "fix/fn/mota",
        "fix/idsw/idf1",
    }

    result = ExperimentResult(
        first["overall"], first["per_camera"], 0.0, tmp_path, None, identity=identity, attribution=attribution
    )
    text = format_summary(result)
    assert "identity: recall" in text and "if fixed" in text and "\nidsw " in text

    second = run_app(tmp_path / "b", dict(SMALL))
    first.pop("timing"), second.pop("timing")
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def nested(overrides: dict) -> dict:
    tree = to_flat_dict(AppConfig())
    tree.update({"mlflow.enabled": False, "runner.progress": "never", "runner.workers": 1, **overrides})
    out: dict = {}
    for key, value in tree.items():
        node = out
        *parents, leaf = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = list(value) if isinstance(value, tuple) else value
    return out


def test_a_sweeps_job_skips_attribution_and_the_sweep_adds_the_same_numbers_later(tmp_path: Path) -> None:
    """eval.attribution=best: a sweep's job (sweep_dir set) scores no oracle; add_attribution
    (what the sweep does for its best job) computes from the job's folder exactly what a single
    run of the same config computes while it runs."""
    tree = nested(SMALL)
    single = run_experiment(tree, tmp_path / "single", config_yaml=yaml.safe_dump(tree)).output_dir
    job = run_experiment(tree, tmp_path / "job", config_yaml=yaml.safe_dump(tree), sweep_dir=str(tmp_path)).output_dir
    ran = json.loads((single / "metrics.json").read_text())
    skipped = json.loads((job / "metrics.json").read_text())
    assert "attribution" in ran and "attribution" not in skipped
    assert not [k for k in mlflow_metrics(skipped) if k.startswith("fix/")]
    assert skipped["identity"] == ran["identity"]  # events and identity: every job
    added = add_attribution(job)
    assert added["attribution"] == ran["attribution"]
    assert json.loads((job / "metrics.json").read_text()) == added
    for d in (added, ran):
        d.pop("timing")
    assert json.dumps(added, sort_keys=True) == json.dumps(ran, sort_keys=True)


def test_attribution_none_scores_no_oracle(tmp_path: Path) -> None:
    metrics = run_app(tmp_path, {**SMALL, "eval.attribution": "none"})
    assert "attribution" not in metrics and "identity" in metrics

"""Where a run's diagnosis lands: metrics.json (identity, attribution), MLflow names
(``identity/...``, ``fix/<type>/<metric>``) and the console summary; the same run twice gives
the same metrics.json apart from timing."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_scoring_events import SMALL
from tests.test_scoring_parity import run_app
from trackbench.experiment.app import ExperimentResult
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
    assert attribution["overall"]["all"] == {"hota": 1.0, "idf1": 1.0, "mota": 1.0}

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

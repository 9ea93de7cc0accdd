"""Addresses of MLflow UI pages (strings only: no mlflow import, so the job's process builds them
cheaply). Every page opens in the UI's Model training view."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Sequence

# MLflow 3's UI opens in its GenAI view (traces, judges; a run page under "Evaluations") unless a
# browser chose otherwise; this query parameter opens a page in its "Model training" view: the runs
# table with params and metrics, which is what a tracker comparison is read in.
UI_VIEW = "workflowType=machine_learning"


def run_address(tracking_uri: str, experiment_id: str, run_id: str | None = None) -> str:
    """Where the MLflow UI shows a run (or the experiment's runs table), in its Model training view."""
    return _address(tracking_uri, f"#/experiments/{experiment_id}/runs" + (f"/{run_id}" if run_id else ""))


def compare_address(tracking_uri: str, experiment_id: str, run_ids: Sequence[str]) -> str:
    """The MLflow UI's compare view of ``run_ids`` (metrics side by side, parallel coordinates),
    in its Model training view."""
    runs = urllib.parse.quote(json.dumps(list(run_ids)), safe="")
    experiments = urllib.parse.quote(json.dumps([experiment_id]), safe="")
    return _address(tracking_uri, f"#/compare-runs?runs={runs}&experiments={experiments}")


def _address(tracking_uri: str, page: str) -> str:
    """``page`` of the MLflow UI, in its Model training view (UI_VIEW), on the server or via ``mlflow ui``."""
    page += ("&" if "?" in page else "?") + UI_VIEW
    if tracking_uri.startswith(("http://", "https://")):
        return f"{tracking_uri.rstrip('/')}/{page}"
    return f"mlflow ui --backend-store-uri {tracking_uri}  ->  http://127.0.0.1:5000/{page}"


def runs_table_address(tracking_uri: str, experiment_id: str, metric: str, ascending: bool) -> str:
    """The experiment's runs table sorted by ``metric`` (best first for the objective's direction).
    The UI reads the order from its address; which columns it shows is kept in the browser, so
    the metric's column is added there once (docs/mlflow.md)."""
    key = urllib.parse.quote(f"metrics.`{metric}`", safe="")
    order = f"orderByKey={key}&orderByAsc={'true' if ascending else 'false'}"
    return _address(tracking_uri, f"#/experiments/{experiment_id}/runs?{order}")

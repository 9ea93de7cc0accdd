"""Runs a dead job left RUNNING: a study's trial runs found by their tags, and runs marked FAILED.

The Hydra sweeper calls these when a pool of jobs died under it; through
:func:`~trackbench.record.mlflow_log.open_client`, without importing mlflow itself.
"""

from __future__ import annotations

import functools

from trackbench.config import MlflowConfig
from trackbench.record._store import PARENT_TAG, STUDY_TAG, TRIAL_TAG, _retry
from trackbench.record.mlflow_log import open_client


def fail_abandoned(
    cfg: MlflowConfig, run_id: str, error: str, spare_parent: str | None = None, *, alone: bool = False
) -> None:
    """Mark a run whose process died FAILED, if it is still RUNNING, and its sweep parent too
    (the sweep that ran it died with it) unless that parent is ``spare_parent``; ``alone``:
    the run only, never its parent."""
    client = open_client(cfg.tracking_uri)
    run = _retry(lambda: client.get_run(run_id), "get run")
    ids = [run_id]
    parent = run.data.tags.get(PARENT_TAG)
    if parent and parent != spare_parent and not alone:
        ids.append(parent)
    for rid in ids:
        if _retry(functools.partial(client.get_run, rid), "get run").info.status != "RUNNING":
            continue
        _retry(functools.partial(client.set_tag, rid, "error", error[:5000]), "tag")
        _retry(functools.partial(client.set_terminated, rid, "FAILED"), "terminate")


def running_trial_runs(
    cfg: MlflowConfig, study: str, parent_run_id: str | None = None, trial: int | None = None
) -> dict[str, int]:
    """RUNNING runs of a study's trials (of one ``trial``, under ``parent_run_id`` if given) by
    run id, found by their tags: for a job killed after it opened its run but before it told
    the study the run's id, or that went on writing it while its pool was torn down."""

    client = open_client(cfg.tracking_uri)
    found = _retry(lambda: client.get_experiment_by_name(cfg.experiment_name), "experiment")
    if found is None:
        return {}
    query = f"tags.`{STUDY_TAG}` = '{study.replace(chr(39), '')}' and attributes.status = 'RUNNING'"
    if trial is not None:
        query += f" and tags.`{TRIAL_TAG}` = '{int(trial)}'"
    if parent_run_id:
        query += f" and tags.`{PARENT_TAG}` = '{parent_run_id}'"
    runs = _retry(lambda: client.search_runs([found.experiment_id], query, max_results=50000), "search")
    return {r.info.run_id: int(r.data.tags[TRIAL_TAG]) for r in runs if r.data.tags.get(TRIAL_TAG, "").isdigit()}

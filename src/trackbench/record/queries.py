"""Reading the record: the finished job runs of an experiment (for a leaderboard), and the job
runs under a sweep's parent run (its standing), as plain rows. Through the MLflow door's client
(:mod:`.mlflow_log`); mlflow itself is not imported here."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from trackbench.errors import TrackbenchError
from trackbench.record._store import PARENT_TAG, ROLE_TAG, SWEEP_TAG, _retry
from trackbench.record.mlflow_log import RunLogger, open_client

if TYPE_CHECKING:
    from mlflow.entities import Run


def finished_runs(tracking_uri: str, experiment: str, sweep_dir: str | None = None) -> list[dict[str, Any]]:
    """Finished job runs of an experiment (sweep parents left out) as flat dicts of
    ``run`` (short id), tags, params and metrics; optionally only one sweep's jobs."""
    client = open_client(tracking_uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        raise TrackbenchError(f"no experiment named {experiment!r} in {tracking_uri}")
    filters = ["attributes.status = 'FINISHED'"]
    runs: list[Any] = []
    # Sweeps are tagged with their absolute folder (older ones as given): try both spellings.
    for spelling in dict.fromkeys([str(Path(sweep_dir).absolute()), str(Path(sweep_dir))] if sweep_dir else [""]):
        query = " and ".join([*filters, f"tags.`{SWEEP_TAG}` = '{spelling}'"] if spelling else filters)
        runs = client.search_runs([found.experiment_id], query, max_results=5000)
        if runs:
            break
    out = []
    for run in runs:
        if run.data.tags.get(ROLE_TAG) == "sweep" or not run.data.metrics:
            continue
        out.append({"run": run.info.run_id[:8], **run.data.tags, **run.data.params, **run.data.metrics})
    return out


def child_runs(logger: RunLogger, *, ended_since_ms: int | None = None) -> list[dict[str, Any]]:
    """The job runs under ``logger``'s (parent) run: name, id, status, start time (ms), tags
    and metrics. With ``ended_since_ms``: only those that ended at or after it (ms since the
    epoch, by the clock of the machine that ended them) and those still running."""
    assert logger.run_id is not None
    under = f"tags.`{PARENT_TAG}` = '{logger.run_id}'"
    queries = [under]
    if ended_since_ms is not None:
        ended = f"{under} and attributes.end_time >= {int(ended_since_ms)}"
        queries = [ended, f"{under} and attributes.status = 'RUNNING'"]
    experiments = [logger.experiment_id()]

    def search(query: str) -> list[Run]:
        return list(_retry(lambda: logger.client.search_runs(experiments, query, max_results=5000), "search"))

    found = {r.info.run_id: r for query in queries for r in search(query)}
    return [
        {
            "name": r.info.run_name,
            "run_id": r.info.run_id,
            "status": r.info.status,
            "start_time": r.info.start_time,
            "tags": dict(r.data.tags),
            "metrics": dict(r.data.metrics),
        }
        for r in found.values()
    ]

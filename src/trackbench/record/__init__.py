"""The MLflow record: one run per job, its keeper, its heartbeat and the stale-run sweep.

- ``mlflow_log``: the only module that imports mlflow (:class:`~trackbench.record.mlflow_log.RunLogger`,
  the store calls, the tags); ``_store``: its mlflow-free helpers (retries, tag names, heartbeat);
- ``queries``: reading the record (an experiment's finished job runs, a sweep's job runs);
- ``run_keeper``: the process that holds a run's logger, so a killed job's run still ends;
- ``stale``: ``trackbench-gc`` (also ``python -m trackbench.stale``), marking dead runs FAILED;
- ``abandoned``: a dead sweep's RUNNING trial runs, found and marked FAILED;
- ``naming``: run and sweep names; ``ui_address``: links into the MLflow UI;
- ``store_check``: a tracking URI checked (and a SQLite store prepared) before any work;
- ``run_diff`` and ``diff_report``: two recorded runs compared (``trackbench-diff``).

Nothing is re-exported here: importing ``trackbench.record.naming`` must not import mlflow.
"""

"""Jobs starting at the same moment on a new SQLite store: each opens it in turn (opening
creates and migrates it; two at once break it), so every one gets a working store."""

from __future__ import annotations

import subprocess
import sys

OPEN_WHEN_ALL_READY = """
import pathlib, sys, time
from trackbench.record.mlflow_log import open_client
here, me, n = pathlib.Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
(here / f"ready-{me}").touch()
while len(list(here.glob("ready-*"))) < n:  # all imported: open at the same moment
    time.sleep(0.005)
client = open_client(f"sqlite:///{here / 'mlflow.db'}")
client.create_run(client.get_experiment_by_name("Default").experiment_id, run_name=me)
"""


def test_processes_opening_a_new_store_at_once_all_get_it(tmp_path):
    n = 4
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_WHEN_ALL_READY, str(tmp_path), str(i), str(n)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(n)
    ]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * n, "\n".join(e[-800:] for e in errors)
    from trackbench.record.mlflow_log import open_client

    client = open_client(f"sqlite:///{tmp_path / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name("Default").experiment_id])
    assert sorted(r.info.run_name for r in runs) == [str(i) for i in range(n)]


SCHEMA = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"


def _clauses(sql):
    """A CREATE statement's clauses in sorted order: MLflow's own migrations order a table's
    CHECK constraints by the process's hash seed (two stores it made itself differ so)."""
    return sorted((sql or "").split(", \n\t"))


def _schema_and_rows(db):
    import sqlite3

    with sqlite3.connect(db) as con:
        schema = [(*row[:3], _clauses(row[3])) for row in con.execute(SCHEMA)]
        version = con.execute("SELECT version_num FROM alembic_version").fetchall()
        experiments = con.execute("SELECT experiment_id, name, artifact_location FROM experiments").fetchall()
    return schema, version, experiments


def test_a_new_store_seeded_from_the_template_is_the_store_mlflow_makes(tmp_path, monkeypatch):
    """A new SQLite store gets MLflow's empty schema from a cached template (no migrations
    replayed): the same tables, indexes, schema revision and Default experiment as a store
    MLflow created itself, and it takes runs."""
    from mlflow.tracking import MlflowClient

    from trackbench.record import mlflow_log

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    mlflow_log._store_template.cache_clear()
    try:
        (tmp_path / "ours").mkdir()
        (tmp_path / "theirs").mkdir()
        ours = mlflow_log.open_client("sqlite:///ours/mlflow.db")
        templates = list((tmp_path / "cache" / "trackbench" / "mlflow-stores").iterdir())
        assert [t.name.startswith("empty-") and t.suffix == ".db" for t in templates] == [True]
        MlflowClient(tracking_uri="sqlite:///theirs/mlflow.db").search_experiments()  # MLflow's own way

        schema, version, experiments = _schema_and_rows(tmp_path / "ours" / "mlflow.db")
        assert (schema, version) == _schema_and_rows(tmp_path / "theirs" / "mlflow.db")[:2]
        assert len(schema) > 20 and version
        assert [e[:2] for e in experiments] == [(0, "Default")]  # added on opening, not copied
        assert _schema_and_rows(templates[0])[2] == []

        run = ours.create_run("0", run_name="seeded")
        ours.log_metric(run.info.run_id, "idf1", 0.5)
        assert ours.get_run(run.info.run_id).data.metrics == {"idf1": 0.5}

        # A second new store: copied from the kept template, the same schema again.
        (tmp_path / "again").mkdir()
        mlflow_log.open_client("sqlite:///again/mlflow.db")
        assert _schema_and_rows(tmp_path / "again" / "mlflow.db")[:2] == (schema, version)
    finally:
        mlflow_log._store_template.cache_clear()


def test_without_a_writable_cache_mlflow_creates_the_store(tmp_path, monkeypatch):
    from trackbench.record import mlflow_log

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    mlflow_log._store_template.cache_clear()
    try:
        client = mlflow_log.open_client(f"sqlite:///{tmp_path / 'mlflow.db'}")
        assert [e.name for e in client.search_experiments()] == ["Default"]
        assert client.create_run("0").info.status == "RUNNING"
    finally:
        mlflow_log._store_template.cache_clear()

"""A study in PostgreSQL (the storage for many machines), shared by two joblib workers.

Starts a throwaway PostgreSQL server on 127.0.0.1 as the `postgres` user (Debian's server
refuses root); `.ci/run` installs the `postgresql` package.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from trackbench.sweeps.tuning.study import load_trials

from .conftest import local_runs
from .test_optuna import SMALL, jobs_of

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(PG_BIN is None or shutil.which("runuser") is None, reason="Debian's postgresql not installed"),
    pytest.mark.skipif(os.geteuid() != 0, reason="starting PostgreSQL as the postgres user needs root"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres_url():
    home = Path(tempfile.mkdtemp(prefix="trackbench_pg_"))  # tmp_path is root-only; postgres owns this
    shutil.chown(home, "postgres")

    def as_postgres(*cmd: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True, capture_output=True, timeout=120)

    data, port = home / "data", _free_port()
    as_postgres(f"{PG_BIN}/initdb", "-D", str(data), "-A", "trust", "-U", "postgres")
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {home}"
    as_postgres(f"{PG_BIN}/pg_ctl", "-D", str(data), "-l", str(home / "server.log"), "-o", options, "-w", "start")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            as_postgres(f"{PG_BIN}/pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(home, ignore_errors=True)


def test_a_postgres_study_is_shared_by_parallel_trials(cli, tmp_path, postgres_url):
    cli("hparams_search=sort_optuna", "hydra.sweeper.n_trials=3", f"hydra.sweeper.storage={postgres_url}",
        "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", *SMALL, "hydra.sweep.dir=pg")  # fmt: skip
    trials = load_trials(postgres_url, "sort")
    assert [(t.number, t.state) for t in trials] == [(0, "COMPLETE"), (1, "COMPLETE"), (2, "COMPLETE")]
    assert not (tmp_path / "optuna.db").exists(), "the study went to PostgreSQL, not the SQLite default"
    jobs = jobs_of(local_runs(tmp_path))
    assert {n: r.data.metrics["idf1"] for n, r in jobs.items()} == {t.number: t.value for t in trials}

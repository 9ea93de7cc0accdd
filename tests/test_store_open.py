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

"""A sweep's standing from its job runs."""

from __future__ import annotations

from trackbench.sweeps import report as sweep_report


def run(name: str, status: str, idf1: float | None = None, pruned: bool = False) -> dict:
    return {
        "name": name,
        "run_id": name * 4,
        "status": status,
        "tags": {"trackbench.trial_state": "pruned"} if pruned else {},
        "metrics": {} if idf1 is None else {"idf1": idf1, "mota": 0.5},
    }


def test_standing_ranks_finished_jobs_and_counts_states():
    runs = [run("a", "FINISHED", 0.7), run("b", "FINISHED", 0.9), run("c", "FAILED"), run("d", "KILLED", 0.95, True)]
    runs.append(run("e", "RUNNING"))
    s = sweep_report.standing(runs, "idf1", "maximize")
    assert s["counts"] == {"finished": 2, "failed": 1, "pruned": 1, "running": 1}
    assert [r["name"] for r in s["ranked"]] == ["b", "a"] and s["best"]["name"] == "b"
    assert sweep_report.standing(runs, "idf1", "minimize")["best"]["name"] == "a"
    rows = sweep_report.leaderboard_rows(s["ranked"], "idf1")
    assert rows[0]["rank"] == 1 and rows[0]["idf1"] == 0.9 and list(rows[0])[:4] == ["rank", "run", "run_id", "idf1"]
    assert sweep_report.as_csv(rows).splitlines()[1].startswith("1,b,bbbb,0.9")
    assert "| 1 | b | 0.9000 |" in sweep_report.as_markdown(rows, "t")
    assert "no finished job" in sweep_report.as_markdown([], "t")


def test_note_shows_the_best_job_counts_and_the_first_rows():
    ranked = [run(f"r{i}", "FINISHED", i / 100) for i in range(25)][::-1]
    rows = sweep_report.leaderboard_rows(ranked, "idf1")
    counts = {"finished": 25, "failed": 1, "pruned": 0, "running": 2}
    text = sweep_report.note(rows, counts, "idf1")
    first, _, header, *_ = text.splitlines()
    assert first == "**best: r24, idf1 0.2400** (jobs: 25 finished, 1 failed, 0 pruned, 2 running)"
    assert header == "| rank | run | idf1 | hota | mota |" and "| 1 | r24 | 0.2400 | - | 0.5000 |" in text
    assert "| 20 | r5 |" in text and "| 21 |" not in text and "5 more rows in report/leaderboard.csv" in text
    assert "more rows" not in sweep_report.note(rows[:3], counts, "idf1")
    assert sweep_report.note([], counts, "idf1").startswith("**no finished job yet**")


def test_job_runs_read_whole_once_then_what_ended_since_and_what_runs():
    from trackbench.sweeps._job_runs import CLOCK_MARGIN_MS, JobRuns

    store = {"a": {**run("a", "FINISHED", 0.7), "start_time": 1}, "b": {**run("b", "RUNNING"), "start_time": 2}}
    asked: list[int | None] = []

    def fetch(since: int | None) -> list[dict]:
        asked.append(since)
        return [r for r in store.values() if since is None or r["status"] == "RUNNING" or r.get("ended", 0) >= since]

    known = JobRuns()
    assert [r["name"] for r in known.refresh(fetch, now_ms=100_000)] == ["b", "a"]  # latest started first
    store["b"] = {**run("b", "FINISHED", 0.9), "start_time": 2, "ended": 150_000}
    store["c"] = {**run("c", "RUNNING"), "start_time": 3}
    rows = known.refresh(fetch, now_ms=200_000)
    assert asked == [None, 100_000 - CLOCK_MARGIN_MS]
    assert [(r["name"], r["status"]) for r in rows] == [("c", "RUNNING"), ("b", "FINISHED"), ("a", "FINISHED")]
    assert sweep_report.standing(rows, "idf1", "maximize")["best"]["name"] == "b"
    del store["a"]  # what only a whole read can see
    assert [r["name"] for r in known.refresh(fetch, now_ms=300_000)] == ["c", "b", "a"]
    assert [r["name"] for r in known.refresh(fetch, now_ms=400_000, full=True)] == ["c", "b"] and asked[-1] is None


def test_jobs_on_this_machine_are_read_back_seconds_ray_jobs_a_minute():
    from trackbench.sweeps._job_runs import CLOCK_MARGIN_MS, LOCAL_MARGIN_MS, JobRuns, clock_margin_ms

    assert clock_margin_ms("hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher") == CLOCK_MARGIN_MS
    for local in ("hydra._internal.core_plugins.basic_launcher.BasicLauncher",
                  "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher", ""):  # fmt: skip
        assert clock_margin_ms(local) == LOCAL_MARGIN_MS < CLOCK_MARGIN_MS
    asked: list[int | None] = []
    known = JobRuns(LOCAL_MARGIN_MS)
    for now in (100_000, 200_000):
        known.refresh(lambda since: asked.append(since) or [], now_ms=now)
    assert asked == [None, 100_000 - LOCAL_MARGIN_MS]


def test_child_runs_since_a_time_are_those_ended_since_and_those_running(tmp_path):
    from trackbench.config import MlflowConfig
    from trackbench.record.mlflow_log import PARENT_TAG, RunLogger
    from trackbench.record.queries import child_runs

    logger = RunLogger(MlflowConfig(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}"))
    parent = logger.start("sweep", {})
    client, experiment = logger.client, logger.experiment_id()
    ids = {}
    for name, ended in (("early", 1_000), ("late", 5_000), ("running", None)):
        r = client.create_run(experiment, start_time=500, tags={PARENT_TAG: parent}, run_name=name)
        if ended is not None:
            client.set_terminated(r.info.run_id, "FINISHED", end_time=ended)
        ids[name] = r.info.run_id
    every = {r["name"]: r for r in child_runs(logger)}
    assert set(every) == {"early", "late", "running"} and every["early"]["start_time"] == 500
    assert {r["name"] for r in child_runs(logger, ended_since_ms=5_000)} == {"late", "running"}
    assert {r["name"] for r in child_runs(logger, ended_since_ms=5_001)} == {"running"}
    logger.end("FINISHED")


class _Parent:
    """What the sweep callback's standing needs of the parent run's logger: the files it logs."""

    def __init__(self) -> None:
        self.logged: list[tuple[str, bytes]] = []

    def experiment_id(self) -> str:
        return "0"

    def log_batch(self, **_: object) -> None:
        pass

    def log_file(self, path, folder: str) -> None:
        self.logged.append((f"{folder}/{path.name}", path.read_bytes()))


def test_the_drivers_standing_redraws_its_plot_only_when_the_jobs_shown_change(tmp_path, monkeypatch):
    from omegaconf import OmegaConf

    from trackbench.sweeps import callback

    drawn = []
    real = callback.plot_sweep

    def plot_sweep(path, rows, metric, title):
        drawn.append([r["run"] for r in rows])
        real(path, rows, metric, title)

    monkeypatch.setattr(callback, "plot_sweep", plot_sweep)
    config = OmegaConf.create({"hydra": {"sweep": {"dir": str(tmp_path)}}, "objective": {"metric": "idf1"}})
    driver, parent = callback.MlflowSweepCallback(), _Parent()
    driver._logger = parent  # the sweep's driver: it keeps the standing in the sweep folder
    runs = [run("a", "FINISHED", 0.7), run("b", "FINISHED", 0.9)]
    driver._report(config, parent, runs=runs)
    first = dict(parent.logged)["report/comparison.png"]
    driver._report(config, parent, final=True, runs=[*runs, run("c", "FAILED")])  # the same jobs shown
    assert drawn == [["b", "a"]]
    assert dict(parent.logged[3:])["report/comparison.png"] == first  # logged again, the same file
    driver._report(config, parent, final=True, runs=[*runs, run("c", "FINISHED", 0.8)])
    assert drawn == [["b", "a"], ["b", "c", "a"]]
    assert (tmp_path / "report" / "comparison.png").read_bytes() == dict(parent.logged[6:])["report/comparison.png"]
    # A job's process (a parallel launcher) keeps no standing: it draws every time.
    job = callback.MlflowSweepCallback()
    job._report(config, _Parent(), runs=runs)
    assert drawn[-1] == ["b", "a"] and len(drawn) == 3

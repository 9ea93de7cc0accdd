"""A sweep's standing from its job runs."""

from __future__ import annotations

from trackbench import sweep_report


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

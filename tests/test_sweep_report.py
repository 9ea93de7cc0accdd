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

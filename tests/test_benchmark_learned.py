"""The benchmark report's section on what each kind's study learned."""

from __future__ import annotations

from trackbench.benchmark import report as br
from trackbench.benchmark.protocol import BenchmarkSettings, gather_learned


def test_each_kinds_study_plots_are_gathered_and_listed(tmp_path):
    learned = tmp_path / "ocsort" / "study" / "learned"
    learned.mkdir(parents=True)
    for name in ("importance.png", "history.png", "slice.png", "importance.csv"):
        (learned / name).write_bytes(b"x")
    (learned / "summary.txt").write_text(
        "tracker.iou_threshold explains 62% of the variance of idf1 (fANOVA, 20 trials)\n"
    )
    s = BenchmarkSettings(kinds=("ocsort", "sort"), trials=20, folder=tmp_path)  # sort's study drew nothing
    found = gather_learned(s)
    assert list(found) == ["ocsort"]
    assert sorted(p.name for p in (tmp_path / "learned" / "ocsort").iterdir()) == [
        "history.png", "importance.csv", "importance.png", "slice.png",
    ]  # fmt: skip
    text = br.learned_markdown(found)
    assert "## What each study learned" in text
    assert (
        "- **ocsort**: tracker.iou_threshold explains 62% of the variance of idf1 (fANOVA, 20 trials) "
        "([history](../learned/ocsort/history.png), [importance](../learned/ocsort/importance.png), "
        "[slice](../learned/ocsort/slice.png))"
    ) in text
    assert br.learned_markdown({}) == ""

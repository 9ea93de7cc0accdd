"""trackbench-benchmark: the protocol's steps, start-up checks, and the report from run files."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest
import yaml

from tests.test_bootstrap import run_scores
from trackbench.benchmark import report as br
from trackbench.benchmark.protocol import BenchmarkSettings, check_settings, plan, study_overrides
from trackbench.errors import TrackbenchError
from trackbench.scoring import bootstrap


def metrics_json(scores, samples: int = 300) -> dict:
    """A run's metrics.json as trackbench writes it (the parts a report reads)."""
    blocks = bootstrap.blocks(scores.windows)
    found = bootstrap.intervals(blocks, scores.overall, samples=samples)
    return {
        "overall": scores.overall,
        "intervals": {m: {"value": i.value, "low": i.low, "high": i.high} for m, i in found.items()},
        "windows": {"per_camera": {c: [w.to_json() for w in ws] for c, ws in scores.windows.items()}},
    }


def kind_runs(kind: str, miss_default: float, miss_tuned: float, seed: int) -> br.KindRuns:
    """A kind whose tuned settings miss ``miss_tuned`` of the boxes (defaults: ``miss_default``);
    tune and test are different scenes (seeds)."""
    return br.KindRuns(
        kind,
        metrics_json(run_scores(200, seed, miss=miss_default)),
        metrics_json(run_scores(200, seed, miss=miss_tuned)),
        metrics_json(run_scores(200, seed + 50, miss=miss_default)),
        metrics_json(run_scores(200, seed + 50, miss=miss_tuned)),
        {"tracker.n_init": 2},
    )


def test_rows_rank_by_the_held_out_score_and_compare_paired_with_the_best():
    runs = [kind_runs("weak", 0.5, 0.45, 1), kind_runs("strong", 0.1, 0.05, 1), kind_runs("close", 0.1, 0.06, 1)]
    rows = br.rows(runs, "mota", higher_is_better=True, samples=300, seed=0)
    assert [r.kind for r in rows] == ["strong", "close", "weak"]
    best = next(r for r in runs if r.kind == "strong")
    for row, run in zip(rows, sorted(runs, key=lambda r: -r.tuned_test["overall"]["mota"]), strict=True):
        assert row.tuned_test.value == run.tuned_test["overall"]["mota"]
        assert row.default_test.low == run.default_test["intervals"]["mota"]["low"]
        assert row.gain_tune == pytest.approx(run.tuned_tune["overall"]["mota"] - run.default_tune["overall"]["mota"])
        if row.kind == "strong":
            assert row.vs_best is None and row.distinguishable() is None
            continue
        # vs best is exactly the paired bootstrap of the two tuned runs on the test blocks
        expected = bootstrap.compare(
            bootstrap.blocks_from_json(run.tuned_test["windows"]["per_camera"]),
            bootstrap.blocks_from_json(best.tuned_test["windows"]["per_camera"]),
            run.tuned_test["overall"], best.tuned_test["overall"], "mota", 300, 0,
        )  # fmt: skip
        assert row.vs_best == expected
    assert rows[2].distinguishable() is True, "missing half the boxes is told apart from missing 5%"


def test_gain_on_test_is_paired_and_zero_when_tuning_changed_nothing():
    same = kind_runs("same", 0.1, 0.1, 4)
    (row,) = br.rows([same], "idf1", higher_is_better=True, samples=200)
    assert row.gain_test is not None and row.gain_test.difference.value == 0.0
    assert row.gain_test.difference.low == row.gain_test.difference.high == 0.0
    assert row.gain_tune == 0.0


def test_metrics_without_a_calibrated_interval_get_no_verdict():
    runs = [kind_runs("a", 0.1, 0.05, 2), kind_runs("b", 0.2, 0.2, 2)]
    rows = br.rows(runs, "hota", higher_is_better=True, samples=200)
    assert all(r.vs_best is None and r.gain_test is None for r in rows)
    assert all(math.isnan(r.tuned_test.low) for r in rows)
    assert "| b |" in br.as_markdown(rows, "hota", "t") and "distinguishable" in br.as_markdown(rows, "hota", "t")


def test_lower_is_better_ranks_smallest_first():
    runs = [kind_runs("many_misses", 0.4, 0.4, 3), kind_runs("few_misses", 0.05, 0.05, 3)]
    rows = br.rows(runs, "num_misses", higher_is_better=False, samples=100)
    assert [r.kind for r in rows] == ["few_misses", "many_misses"]


def test_report_files_hold_every_row_and_column():
    rows = br.rows([kind_runs("a", 0.1, 0.05, 5), kind_runs("b", 0.3, 0.3, 5)], "idf1", True, samples=200)
    table = list(csv.DictReader(io.StringIO(br.as_csv(rows, "idf1"))))
    assert [r["kind"] for r in table] == ["a", "b"] and table[0]["rank"] == "1"
    assert float(table[1]["tuned_test"]) == rows[1].tuned_test.value
    assert table[1]["distinguishable"] in ("true", "false") and table[0]["distinguishable"] == ""
    assert float(table[1]["best_wins_share"]) == rows[1].vs_best.b_wins
    text = br.as_text(rows)
    assert text.splitlines()[0].startswith("kind") and "best" in text.splitlines()[2]
    md = br.as_markdown(rows, "idf1", "bench")
    assert md.count("\n| ") == 3  # header and two kinds


def test_plot_is_written(tmp_path):
    from trackbench.plots.charts import plot_benchmark

    rows = br.rows([kind_runs("a", 0.1, 0.05, 6), kind_runs("b", 0.3, 0.3, 6)], "idf1", True, samples=100)
    plot_benchmark(tmp_path / "r.png", rows, "idf1", "bench")
    assert (tmp_path / "r.png").stat().st_size > 5_000


def settings(tmp_path: Path, **kw) -> BenchmarkSettings:
    return BenchmarkSettings(**{"kinds": ("ocsort", "sort"), "trials": 5, "folder": tmp_path, **kw})


def test_plan_runs_four_steps_per_kind_on_the_right_splits(tmp_path):
    steps = plan(settings(tmp_path, overrides=("dataset=tud",), study_overrides=("hydra/launcher=joblib",)), "P1")
    assert [(s.kind, s.role) for s in steps] == [
        (k, r) for k in ("ocsort", "sort") for r in ("defaults_tune", "defaults_test", "study", "tuned_test")
    ]
    for step in steps:
        split = "test" if step.role.endswith("test") else "tune"
        assert f"dataset.split={split}" in step.args, step
        assert "dataset=tud" in step.args and "mlflow.parent_run_id=P1" in step.args
        assert step.folder == tmp_path / step.kind / step.role
        assert ("hydra/launcher=joblib" in step.args) == (step.role == "study")
    study = steps[2]
    assert "hparams_search=ocsort_optuna" in study.args and "hydra.sweeper.n_trials=5" in study.args
    assert f"hydra.sweep.dir='{tmp_path / 'ocsort' / 'study'}'" in study.args
    tuned = steps[3]
    assert tuned.study == tmp_path / "ocsort" / "study" and tuned.args[0] == "tracker=ocsort"
    assert not any(a.startswith("experiment") for s in steps for a in s.args), "the protocol leaves experiment free"
    assert not any(a.startswith("mlflow.parent_run_id") for s in plan(settings(tmp_path), None) for a in s.args)


@pytest.mark.parametrize(
    ("kinds", "trials", "overrides", "hydra", "message"),
    [
        ([], 3, [], [], "kinds: empty"),
        (["ocsort", "nope"], 3, [], [], "kinds: unknown tracker kind 'nope'"),
        (["precomputed"], 3, [], [], "kinds: unknown tracker kind 'precomputed'"),
        (["sort", "sort"], 3, [], [], "names a kind twice"),
        (["sort"], 0, [], [], "trials: must be an integer >= 1"),
        (["sort"], "3", [], [], "trials: must be an integer >= 1"),
        (["sort"], 3, ["dataset.split=all"], [], "dataset.split: set by trackbench-benchmark"),
        (["sort"], 3, ["tracker=sort"], [], "tracker: set by trackbench-benchmark"),
        (["sort"], 3, ["hparams_search=sort_optuna"], [], "hparams_search: set by"),
        (["sort"], 3, [], ["hydra.sweeper.n_trials=4"], "use trials=N"),
    ],
)
def test_bad_settings_are_one_line_naming_the_key(kinds, trials, overrides, hydra, message):
    with pytest.raises(TrackbenchError, match=message.replace("[", r"\[")) as exc:
        check_settings(kinds, trials, overrides, hydra)
    assert "\n" not in str(exc.value)


def test_a_preset_reaches_every_step_and_the_tuned_run_gets_the_best_settings_explicitly(tmp_path):
    """experiment=<preset> is the user's: every step carries it; the tuned run's best settings are
    overrides read from the study's results once it ran, spelt as its trials got them."""
    check_settings(["ocsort", "sort"], 2, ["experiment=smoke"], [])
    steps = plan(settings(tmp_path, overrides=("experiment=smoke",)), None)
    assert all("experiment=smoke" in s.args for s in steps)
    study = tmp_path / "ocsort" / "study"
    study.mkdir(parents=True)
    best = {"best_trial": 1, "best_params": {"tracker.n_init": 2, "tracker.ocsort.asso_func": "giou"}}
    (study / "optimization_results.yaml").write_text(yaml.safe_dump(best))
    line = steps[3].command_line()
    assert line[:3] == ("tracker=ocsort", "tracker.n_init=2", "tracker.ocsort.asso_func=giou")
    assert line[3:] == steps[3].args[1:] and steps[0].command_line() == steps[0].args
    lab = plan(settings(tmp_path, overrides=("experiment=lab",), config_dir="/lab/conf"), None)
    assert lab[3].command_line()[:2] == ("--config-dir", "/lab/conf"), "the lab's presets reach each step"
    assert all(s.command_line()[:2] == ("--config-dir", "/lab/conf") for s in lab if s.study is None)


def test_only_launcher_and_sweeper_overrides_reach_the_studies():
    given = ["hydra.run.dir=x", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "hydra.sweeper.storage=y"]
    assert study_overrides(given) == ("hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "hydra.sweeper.storage=y")


def test_the_report_says_how_to_see_why_a_kind_loses(tmp_path):
    from trackbench.benchmark.report import KindRow, diff_commands
    from trackbench.scoring.bootstrap import Interval

    nan = Interval(float("nan"), float("nan"), float("nan"))
    rows = [KindRow(k, nan, nan, nan, nan, None, None, {}) for k in ("ocsort", "bytetrack", "sort")]
    text = diff_commands(rows, tmp_path)
    assert f"trackbench-diff {tmp_path}/ocsort/tuned_test {tmp_path}/bytetrack/tuned_test" in text
    assert f"trackbench-diff {tmp_path}/ocsort/tuned_test {tmp_path}/sort/tuned_test" in text
    assert diff_commands(rows[:1], tmp_path) == ""

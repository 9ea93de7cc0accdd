"""Run names: what ran and what distinguishes a job, short enough for the MLflow runs table."""

from trackbench.record.naming import run_name, short_value, sweep_title


def test_a_single_run_shows_every_override_but_where_it_ran():
    name = run_name("ocsort", ["tracker=ocsort", "tracker.n_init=2", "runner.workers=1", "mlflow.run_name=x"])
    assert name == "ocsort n_init=2"


def test_a_sweep_job_shows_only_the_swept_keys_with_short_values():
    overrides = ["tracker.iou_threshold=0.19313010568883546", "tracker.max_coast_frames=10", "dataset=tud"]
    name = run_name("sort", overrides, ["tracker.iou_threshold", "tracker.max_coast_frames"], 3)
    assert name == "sort iou=0.193 coast=10 #3"


def test_short_value_keeps_integers_words_and_small_floats():
    assert [short_value(v) for v in ("10", "ciou", "true", "0.5", "1e-05", "inf")] == [
        "10", "ciou", "true", "0.5", "1e-05", "inf",
    ]  # fmt: skip
    assert short_value("123.456789") == "123"


def test_sweep_title_names_the_kind_unless_the_kind_is_swept():
    params = ["tracker.max_coast_frames", "tracker.iou_threshold"]
    assert sweep_title([], params, "2026-12-01 10:00", "sort") == "sort sweep 2026-12-01 10:00 coast iou"
    title = sweep_title(["tracker=ocsort,sort"], [], "2026-12-01 10:00", "ocsort")
    assert title == "sweep 2026-12-01 10:00 tracker=ocsort,sort"

"""Error events come from the matching the counts come from: per kind they equal FP, FN, IDSW
and Frag exactly, per camera and pooled, under both matchings, on every shared-data parity
case, on random crowded scenes, and on trackbench's own OC-SORT / ByteTrack output (and the
same files scored by ``tracker=precomputed``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings

from tests.test_scoring_official import rows, table
from tests.test_scoring_parity import CASES, MOT15_SEQS, ground_truth, gt_root_of, hypotheses, run_app, tracker_file
from trackbench import scoring
from trackbench.artifacts.events import KINDS, read_events
from trackbench.scoring.diagnosis import diagnose_camera
from trackbench.scoring.events import lookup_boxes

KIND_COUNTS = {"fn": "num_misses", "fp": "num_false_positives", "idsw": "num_switches", "frag": "num_fragmentations"}


def expected(metrics: dict) -> dict[str, int]:
    return {kind: int(metrics[name]) for kind, name in KIND_COUNTS.items()}


def check_events(gt, hyp, matching: str, threshold: float = 0.5):
    """The events of one camera: counts equal to its metrics, boxes and ids as documented."""
    scores, diagnosis = diagnose_camera(gt, hyp, threshold, matching=matching)
    events = diagnosis.events
    assert events.counts() == expected(scores.metrics)
    kind = np.array(KINDS)[events.kinds]
    fp, fn = kind == "fp", kind == "fn"
    assert np.all(events.gt_ids[fp] == -1) and np.all(events.hyp_ids[fn] == -1)
    assert np.all(events.prev_hyp_ids[fp | fn] == -1)
    switched = kind == "idsw"
    assert np.all(events.prev_hyp_ids[switched] != events.hyp_ids[switched])
    assert np.all(events.prev_hyp_ids[kind == "frag"] >= 0) or not np.any(kind == "frag")
    gt_rows = ~fp
    np.testing.assert_array_equal(
        events.boxes[gt_rows], lookup_boxes(gt, events.frames[gt_rows], events.gt_ids[gt_rows])
    )
    np.testing.assert_array_equal(events.boxes[fp], lookup_boxes(hyp, events.frames[fp], events.hyp_ids[fp]))
    return scores, diagnosis


@pytest.mark.parametrize("matching", ["official", "motmetrics"])
@pytest.mark.parametrize(("benchmark", "seq", "tracker"), CASES, ids=[f"{c[1]}:{c[2]}" for c in CASES])
def test_event_counts_equal_the_metrics_on_real_sequences(benchmark: str, seq: str, tracker: str, matching: str):
    root, path = gt_root_of(benchmark, seq), tracker_file(benchmark, seq, tracker)
    check_events(ground_truth(root / seq / "gt" / "gt.txt", benchmark), hypotheses(path), matching)


@pytest.mark.parametrize("matching", ["official", "motmetrics"])
def test_pooled_event_counts_equal_the_pooled_metrics(matching: str) -> None:
    root = gt_root_of("MOT15", MOT15_SEQS[0])
    per_camera, counts = {}, dict.fromkeys(KINDS, 0)
    for seq in MOT15_SEQS:
        gt = ground_truth(root / seq / "gt" / "gt.txt", "MOT15")
        scores, diagnosis = check_events(gt, hypotheses(tracker_file("MOT15", seq, "devkit_demo")), matching)
        per_camera[seq] = scores
        counts = {k: counts[k] + v for k, v in diagnosis.events.counts().items()}
    assert counts == expected(scoring.summarize(per_camera).overall)


@settings(max_examples=150, deadline=None)
@given(gt_rows=rows, hyp_rows=rows)
def test_event_counts_equal_the_metrics_on_crowded_scenes(gt_rows: list, hyp_rows: list) -> None:
    for matching in ("official", "motmetrics"):
        check_events(table(gt_rows), table(hyp_rows), matching)


SMALL = {  # a small synthetic tank (experiment=smoke's size)
    "dataset.synthetic.n_cameras": 2,
    "dataset.synthetic.n_fish": 6,
    "dataset.synthetic.n_frames": 150,
    "eval.bootstrap.samples": 0,
}


def files_equal_metrics(out: Path) -> dict:
    """Each errors/<camera>.csv against metrics.json, per camera and pooled; the files' counts."""
    metrics = json.loads((out / "metrics.json").read_text())
    pooled = dict.fromkeys(KINDS, 0)
    for camera, camera_metrics in metrics["per_camera"].items():
        counts = read_events(out / "errors" / f"{camera}.csv").counts()
        assert counts == expected(camera_metrics), camera
        pooled = {k: pooled[k] + v for k, v in counts.items()}
    assert pooled == expected(metrics["overall"])
    return pooled


@pytest.mark.parametrize("kind", ["ocsort", "bytetrack"])
def test_own_tracker_output_and_precomputed_write_events_equal_to_the_counts(kind: str, tmp_path: Path) -> None:
    run_app(tmp_path, {**SMALL, "tracker.tracker_kind": kind})
    tracked = files_equal_metrics(tmp_path / "out")
    assert sum(tracked.values()) > 0, "the tank has errors to list"
    again = tmp_path / "precomputed"
    again.mkdir()
    results = str(tmp_path / "out" / "mot")
    run_app(again, {**SMALL, "tracker.tracker_kind": "precomputed", "tracker.results_dir": results})
    assert files_equal_metrics(again / "out") == tracked
    for camera in ("cam0", "cam1"):  # the same rows scored: the same events, byte for byte
        name = f"errors/{camera}.csv"
        assert (again / "out" / name).read_bytes() == (tmp_path / "out" / name).read_bytes()

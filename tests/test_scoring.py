"""Unit and property tests of trackbench.scoring and trackbench.datasets.iou (motmetrics is imported here
only as the reference implementation)."""

from __future__ import annotations

import dataclasses
import json
import math
import pickle
from concurrent.futures import ProcessPoolExecutor

import motmetrics as mm
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trackbench import scoring
from trackbench.datasets.base import BoxTable
from trackbench.datasets.iou import box_iou, frame_ious
from trackbench.errors import TrackbenchError
from trackbench.scoring import clear
from trackbench.scoring.frames import prepare
from trackbench.types import Tracklet2D


def table(rows: list[tuple[int, int, float, float, float, float]], distractor: list[bool] | None = None) -> BoxTable:
    """A BoxTable from ``(frame, id, x, y, w, h)`` rows."""
    a = np.asarray(rows, np.float64).reshape(-1, 6)
    return BoxTable(
        frames=a[:, 0].astype(np.int64),
        ids=a[:, 1].astype(np.int64),
        boxes=a[:, 2:6].copy(),
        confidences=np.ones(len(a)),
        distractor=np.zeros(len(a), bool) if distractor is None else np.asarray(distractor, bool),
    )


def synthetic(n_frames: int, n_objects: int, seed: int) -> tuple[BoxTable, BoxTable]:
    """Gt of objects on a line, and a noisy tracker with misses, false positives and id switches."""
    rng = np.random.default_rng(seed)
    frames = np.repeat(np.arange(1, n_frames + 1), n_objects)
    slot = np.tile(np.arange(n_objects), n_frames)
    x = 50.0 + 100 * slot + 3 * np.sin(frames / 7)
    boxes = np.column_stack([x, np.full_like(x, 80.0), np.full_like(x, 60.0), np.full_like(x, 150.0)])
    gt = table(np.column_stack([frames, slot, boxes]).tolist())
    keep = rng.random(len(frames)) > 0.1
    hyp_ids = slot[keep] + 100 * (frames[keep] > n_frames // 2) * (slot[keep] % 2)
    hyp_boxes = boxes[keep] + rng.normal(0, 6, (int(keep.sum()), 4))
    fp = np.column_stack([np.arange(1, n_frames + 1), np.full(n_frames, 999), rng.uniform(0, 500, (n_frames, 4))])
    hyp = table(np.vstack([np.column_stack([frames[keep], hyp_ids, hyp_boxes]), fp]).tolist())
    return gt, hyp


# --- IoU ---------------------------------------------------------------------------------


def test_box_iou_is_bit_identical_to_motmetrics() -> None:
    rng = np.random.default_rng(0)
    a = np.vstack([rng.uniform(0, 50, (40, 4)), rng.integers(0, 6, (40, 4)).astype(float)])
    b = np.vstack([rng.uniform(0, 50, (30, 4)), rng.integers(0, 6, (30, 4)).astype(float), [[0, 0, 0, 0]]])
    ours = box_iou(a[:, None], b[None, :])
    reference = mm.distances.boxiou(a[:, None], b[None, :])
    assert np.array_equal(ours, reference)


def test_frame_ious_blocks_cover_every_frame_with_per_frame_iou() -> None:
    rng = np.random.default_rng(1)
    fa, fb = np.sort(rng.integers(1, 30, 80)), np.sort(rng.integers(5, 40, 70))
    ba, bb = rng.uniform(0, 20, (80, 4)), rng.uniform(0, 20, (70, 4))
    seen = []
    for frame, ra, rb, iou in frame_ious(fa, ba, fb, bb, max_pairs=7):  # tiny chunks
        assert (fa[ra] == frame).all() and (fb[rb] == frame).all()
        assert np.array_equal(iou, box_iou(ba[ra][:, None], bb[rb][None, :]))
        seen.append(frame)
    assert seen == np.union1d(fa, fb).tolist()


def test_iou_threshold_boundary_is_inclusive_like_motmetrics() -> None:
    # motmetrics: NaN where 1 - IoU > max_iou, so IoU == 0.5 exactly still pairs.
    gt = table([(1, 1, 0, 0, 10, 10)])
    at = scoring.score_camera(gt, table([(1, 7, 0, 0, 10, 5)])).metrics
    below = scoring.score_camera(gt, table([(1, 7, 0, 0, 10, 4.99)])).metrics
    assert (at["num_matches"], at["num_false_positives"]) == (1, 0)
    assert (below["num_matches"], below["num_false_positives"], below["num_misses"]) == (0, 1, 1)


# --- hypotheses_from_tracklets -----------------------------------------------------------


def tracklet(track_id: int, statuses: str, camera: str = "cam0") -> Tracklet2D:
    """A tracklet over frames 1.. with status letters D (detected) / C (coasted)."""
    n = len(statuses)
    return Tracklet2D(
        camera_id=camera,
        track_id=track_id,
        frames=tuple(range(1, n + 1)),
        centroids=tuple((float(i), 0.0) for i in range(n)),
        bboxes=tuple((float(i), 0.0, 10.0, 20.0) for i in range(n)),
        frame_status=tuple("detected" if s == "D" else "coasted" for s in statuses),
    )


@pytest.mark.parametrize(
    ("mode", "frames_of_7", "frames_of_8"),
    [("detected", [2, 4], []), ("interior", [2, 3, 4], []), ("all", [1, 2, 3, 4, 5, 6], [1, 2])],
)
def test_hypotheses_from_tracklets_modes(mode: str, frames_of_7: list[int], frames_of_8: list[int]) -> None:
    hyp = scoring.hypotheses_from_tracklets([tracklet(7, "CDCDCC"), tracklet(8, "CC")], frames=mode)
    assert hyp.frames[hyp.ids == 7].tolist() == frames_of_7
    assert hyp.frames[hyp.ids == 8].tolist() == frames_of_8
    assert hyp.boxes[hyp.ids == 7][:, 0].tolist() == [f - 1.0 for f in frames_of_7]
    assert (hyp.confidences == 1.0).all() and not hyp.distractor.any()
    assert hyp.frames.dtype == np.int64 and hyp.boxes.shape == (len(hyp), 4)


def test_hypotheses_from_tracklets_default_is_detected_and_empty_input() -> None:
    assert scoring.hypotheses_from_tracklets([tracklet(1, "DCD")]).frames.tolist() == [1, 3]
    assert len(scoring.hypotheses_from_tracklets([])) == 0


def test_hypotheses_from_tracklets_rejects_bad_mode_and_mixed_cameras() -> None:
    with pytest.raises(TrackbenchError, match="detected, interior, all"):
        scoring.hypotheses_from_tracklets([tracklet(1, "D")], frames="coasted")
    with pytest.raises(TrackbenchError, match="one camera"):
        scoring.hypotheses_from_tracklets([tracklet(1, "D", "a"), tracklet(2, "D", "b")])


# --- metrics -------------------------------------------------------------------------------


@pytest.mark.parametrize(("matching", "motp"), [("official", 1.0), ("motmetrics", 0.0)])
def test_perfect_tracker(matching: str, motp: float) -> None:
    # MOTP follows each matching's reference: TrackEval's mean IoU, motmetrics' mean 1 - IoU.
    gt, _ = synthetic(30, 4, seed=0)
    hyp = dataclasses.replace(gt, ids=gt.ids + 50)
    m = scoring.score_camera(gt, hyp, matching=matching).metrics
    assert m["mota"] == 1.0 and m["idf1"] == 1.0 and m["motp"] == motp
    assert m["hota"] == pytest.approx(1.0) and m["assa"] == pytest.approx(1.0) and m["loca"] == pytest.approx(1.0)
    assert (m["num_switches"], m["num_false_positives"], m["num_misses"]) == (0, 0, 0)
    assert (m["num_unique_objects"], m["num_predicted_unique_objects"], m["mostly_tracked"]) == (4, 4, 4)
    assert (m["num_frames"], m["num_objects"], m["num_predictions"], m["num_matches"]) == (30, 120, 120, 120)


@pytest.mark.parametrize("matching", ["official", "motmetrics"])
def test_empty_hypotheses(matching: str) -> None:
    gt, _ = synthetic(5, 3, seed=0)
    m = scoring.score_camera(gt, BoxTable.empty(), matching=matching).metrics
    assert (m["num_misses"], m["num_predictions"], m["mostly_lost"]) == (15, 0, 3)
    assert m["mota"] == 0.0 and m["recall"] == 0.0 and m["idf1"] == 0.0 and m["hota"] == 0.0
    assert math.isnan(m["precision"]) and math.isnan(m["motp"])


def test_empty_ground_truth_gives_nan_ratios() -> None:
    _, hyp = synthetic(5, 3, seed=0)
    m = scoring.score_camera(BoxTable.empty(), hyp).metrics
    assert m["num_false_positives"] == len(hyp) and m["num_objects"] == 0
    assert math.isnan(m["mota"]) and math.isnan(m["recall"])  # motmetrics says -inf / nan
    both = scoring.score_camera(BoxTable.empty(), BoxTable.empty()).metrics
    assert both["num_frames"] == 0 and all(math.isnan(both[k]) for k in ("mota", "motp", "idf1"))


@pytest.mark.parametrize("matching", ["official", "motmetrics"])
def test_id_switch_is_counted(matching: str) -> None:
    gt = table([(f, 1, 0, 0, 10, 10) for f in range(1, 5)])
    hyp = table([(f, 10 if f <= 2 else 11, 0, 0, 10, 10) for f in range(1, 5)])
    m = scoring.score_camera(gt, hyp, matching=matching).metrics
    assert m["num_switches"] == 1 and m["mota"] == 0.75 and m["idf1"] == 0.5


def test_official_matching_prefers_the_previous_frames_pair_then_iou() -> None:
    # Frame 2: hypothesis 11 overlaps gt 1 better, but 10 was gt 1's match in frame 1 and is
    # still pairable: TrackEval keeps 10 (no switch). motmetrics keeps it too (last match).
    # Frame 4, after a frame without hypotheses: TrackEval's previous-timestep bonus reaches
    # over the skipped frame, so 10 is kept again.
    gt = table([(f, 1, 0, 0, 10, 10) for f in range(1, 5)])
    pairs_of_frame = {1: [(10, 0)], 2: [(10, 3), (11, 1)], 4: [(10, 3), (11, 1)]}  # id, x
    hyp = table([(f, i, x, 0, 10, 10) for f, pairs in pairs_of_frame.items() for i, x in pairs])
    m = scoring.score_camera(gt, hyp).metrics
    assert (m["num_switches"], m["num_false_positives"], m["num_misses"]) == (0, 2, 1)
    assert m["num_fragmentations"] == 0  # TrackEval: still "tracked in the previous timestep"


def test_distractor_removal_uses_hungarian_matching_over_all_gt() -> None:
    gt = table(
        [
            (1, 1, 0, 0, 10, 10),
            (1, 2, 100, 0, 10, 10),  # target, distractor far apart
            (2, 1, 0, 0, 10, 10),
            (2, 2, 4, 0, 10, 10),  # distractor overlapping the target
            (3, 2, 4, 0, 10, 10),  # distractor alone
        ],
        distractor=[False, True, False, True, True],
    )
    hyp = table(
        [
            (1, 7, 0, 0, 10, 10),
            (1, 8, 100, 0, 10, 10),
            (1, 9, 300, 0, 10, 10),
            # 8 sits on the distractor. 7 has IoU 0.54 with the distractor but Hungarian
            # matching (total IoU) pairs it with the target, so it stays.
            (2, 8, 4, 0, 10, 10),
            (2, 7, 1, 0, 10, 10),
            (3, 8, 4, 0, 10, 10),
        ]
    )
    m = scoring.score_camera(gt, hyp).metrics
    assert (m["num_false_positives"], m["num_matches"], m["num_misses"]) == (1, 2, 0)
    assert (m["num_predictions"], m["num_unique_objects"], m["num_frames"]) == (3, 1, 2)


MOTMETRICS_NAMES = [m for m in scoring.RATIO_METRICS + scoring.COUNT_METRICS if m != "num_predicted_unique_objects"]


def test_pooled_overall_equals_motmetrics_compute_many() -> None:
    cams = {f"cam{i}": synthetic(40, 3 + i, seed=i) for i in range(3)}
    accs = [reference_accumulator(g, h, 0.5) for g, h in cams.values()]
    reference = mm.metrics.create().compute_many(
        accs, metrics=MOTMETRICS_NAMES, names=list(cams), generate_overall=True
    )
    scores = scoring.score(
        {c: g for c, (g, _) in cams.items()}, {c: h for c, (_, h) in cams.items()}, matching="motmetrics"
    )
    for name, row in [*scores.per_camera.items(), ("OVERALL", scores.overall)]:
        for metric, value in reference.loc[name].items():
            assert row[metric] == pytest.approx(float(value), rel=1e-12), (name, metric)
    assert scores.overall["num_predicted_unique_objects"] == sum(
        m["num_predicted_unique_objects"] for m in scores.per_camera.values()
    )


def test_scores_are_plain_picklable_and_json_serialisable() -> None:
    gt, hyp = synthetic(10, 3, seed=0)
    cam = scoring.score_camera(gt, hyp, window_frames=4)
    back = pickle.loads(pickle.dumps(cam))
    assert back.metrics == cam.metrics and [w.to_json() for w in back.windows] == [w.to_json() for w in cam.windows]
    scores = scoring.summarize({"a": cam, "b": cam})
    assert json.loads(json.dumps(scores.overall))["num_objects"] == 60
    assert (
        json.loads(json.dumps([w.to_json() for w in scores.pooled_windows]))[0]["counts"]["clear"]["num_objects"] == 24
    )
    assert set(scores.overall) == set(scoring.METRICS)
    assert all(type(v) is (int if k in scoring.COUNT_METRICS else float) for k, v in scores.overall.items())


def test_input_errors() -> None:
    gt = table([(1, 1, 0, 0, 10, 10), (1, 1, 5, 5, 10, 10)])
    with pytest.raises(TrackbenchError, match="id 1 appears twice in frame 1"):
        scoring.score_camera(gt, BoxTable.empty())
    with pytest.raises(TrackbenchError, match="iou_threshold"):
        scoring.score_camera(BoxTable.empty(), BoxTable.empty(), iou_threshold=1.5)
    with pytest.raises(TrackbenchError, match="without ground truth"):
        scoring.score({}, {"x": BoxTable.empty()})
    assert scoring.score({"x": BoxTable.empty()}, {}).per_camera["x"]["num_frames"] == 0


@pytest.mark.slow
def test_cameras_scored_in_worker_processes_equal_serial() -> None:
    cams = {f"cam{i}": synthetic(30, 3, seed=i) for i in range(3)}
    with ProcessPoolExecutor(max_workers=2) as pool:
        futures = {c: pool.submit(scoring.score_camera, g, h, window_frames=7) for c, (g, h) in cams.items()}
        parallel = scoring.summarize({c: f.result() for c, f in futures.items()})
    serial = scoring.score({c: g for c, (g, _) in cams.items()}, {c: h for c, (_, h) in cams.items()}, window_frames=7)
    assert json.dumps(parallel.overall) == json.dumps(serial.overall)
    assert json.dumps([w.to_json() for w in parallel.pooled_windows]) == json.dumps(
        [w.to_json() for w in serial.pooled_windows]
    )


# --- property: same events as motmetrics fed the plain way ---------------------------------

rows = st.lists(
    st.tuples(
        st.integers(1, 6),
        st.integers(0, 5),
        st.integers(0, 4),
        st.integers(0, 4),
        st.integers(0, 8),
        st.integers(3, 8),
    ),
    max_size=40,
    unique_by=lambda r: (r[0], r[1]),
)


def reference_accumulator(gt: BoxTable, hyp: BoxTable, iou_threshold: float) -> mm.MOTAccumulator:
    """motmetrics fed naively: per-frame masks, its own boxiou, its default LAP solver."""
    acc = mm.MOTAccumulator()
    for frame in np.union1d(gt.frames, hyp.frames).tolist():
        g, h = gt.frames == frame, hyp.frames == frame
        dist = 1 - mm.distances.boxiou(gt.boxes[g][:, None], hyp.boxes[h][None, :])
        dist = np.where(dist > 1 - iou_threshold, np.nan, dist).reshape(int(g.sum()), int(h.sum()))
        acc.update(gt.ids[g], hyp.ids[h], dist, frameid=frame)
    return acc


@settings(max_examples=150, deadline=None)
@given(gt_rows=rows, hyp_rows=rows, iou_threshold=st.sampled_from([0.3, 0.5, 0.7]))
def test_accumulator_events_equal_plain_motmetrics(gt_rows: list, hyp_rows: list, iou_threshold: float) -> None:
    # Integer boxes crowded on a small grid make ties and rows with several pairable columns
    # common, so both the forced-assignment shortcut and the real LAP solver are exercised.
    gt, hyp = table(gt_rows), table(hyp_rows)
    ours = clear.motmetrics_events(prepare(gt, hyp), iou_threshold)
    reference = reference_accumulator(gt, hyp, iou_threshold).events
    assert ours.equals(reference)

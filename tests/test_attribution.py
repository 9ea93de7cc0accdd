"""Error attribution: every fix together is a perfect score, an oracle finds nothing to fix in
perfect output, each oracle fixes its own kind, and the numbers are deterministic."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.test_identity import hand_built
from tests.test_scoring_official import rows, table
from tests.test_scoring_parity import MOT15_SEQS, ground_truth, gt_root_of, hypotheses, tracker_file
from trackbench.datasets.base import BoxTable
from trackbench.scoring import score_camera
from trackbench.scoring.attribution import FIXES, RUN_FIXES, fixed, rewrites, same_rows
from trackbench.scoring.counts import RANGE_COUNTS
from trackbench.scoring.diagnosis import diagnose, diagnose_camera, diagnosis_json, gt_frames
from trackbench.scoring.frames import prepare
from trackbench.scoring.matching import Matching, official_matching, sequential_matching
from trackbench.scoring.score import range_counts, scored_camera

PERFECT = {"hota": 1.0, "idf1": 1.0, "mota": 1.0}


def distinct_gt_boxes(gt: BoxTable) -> bool:
    """No two animals share a box in a frame (then no scorer can tell them apart)."""
    keys = np.column_stack([gt.frames, gt.boxes])
    return len(np.unique(keys, axis=0)) == len(keys)


def distinguishable(gt: BoxTable) -> bool:
    """No two animals of a frame pair at IoU 0.5 (else the IDF1 assignment of perfect output is
    a tie, which motmetrics' solver breaks, and the identity oracle follows it)."""
    return all(np.count_nonzero(iou >= 0.5) == len(iou) for iou in prepare(gt, gt).ious)


def attribution(gt: BoxTable, hyp: BoxTable, matching: str = "official", fixes: tuple[str, ...] = RUN_FIXES) -> dict:
    return diagnosis_json({"cam": diagnose_camera(gt, hyp, matching=matching, fixes=fixes)[1]})["attribution"][
        "overall"
    ]


def rounded(metrics: dict) -> dict:
    return {k: round(v, 12) for k, v in metrics.items()}


@settings(max_examples=80, deadline=None)
@given(gt_rows=rows, hyp_rows=rows)
def test_fixing_everything_is_a_perfect_score(gt_rows: list, hyp_rows: list) -> None:
    gt, hyp = table(gt_rows), table(hyp_rows)
    assume(len(gt) and distinct_gt_boxes(gt))
    for matching in ("official", "motmetrics"):
        assert rounded(attribution(gt, hyp, matching, FIXES)["all"]) == PERFECT


@settings(max_examples=100, deadline=None)
@given(gt_rows=rows)
def test_an_oracle_changes_nothing_in_perfect_output(gt_rows: list) -> None:
    gt = table(gt_rows)
    assume(len(gt) and distinguishable(gt))
    scored = scored_camera(gt, gt)
    for kind, rows_fixed in fixed(gt_frames(scored), gt, gt).items():
        if kind == "all":  # the scored ground truth, in its own order
            assert as_set(rows_fixed) == as_set(gt)
        else:
            assert same_rows(rows_fixed, gt), kind
        assert score_camera(gt, rows_fixed).metrics == scored.scores.metrics, kind


def as_set(t: BoxTable) -> set:
    return set(zip(t.frames.tolist(), t.ids.tolist(), map(tuple, t.boxes.tolist()), strict=True))


def test_each_oracle_fixes_its_own_kind() -> None:
    gt, hyp = hand_built()
    extra = table([(2, 50, 200, 200, 10, 10)])  # a false positive far from every animal
    hyp = BoxTable(*(np.concatenate([getattr(hyp, f), getattr(extra, f)]) for f in BoxTable.__slots__))
    base = score_camera(gt, hyp).metrics
    assert (base["num_false_positives"], base["num_misses"], base["num_switches"], base["num_fragmentations"]) == (
        1,
        2,
        1,
        1,
    )
    tables = fixed(gt_frames(scored_camera(gt, hyp)), gt, hyp)
    after = {kind: score_camera(gt, t).metrics for kind, t in tables.items()}
    assert after["fp"]["num_false_positives"] == 0 and after["fp"]["num_misses"] == 2
    assert after["fn"]["num_misses"] == 0 and after["fn"]["num_fragmentations"] == 0
    assert after["frag"]["num_fragmentations"] == 0 and after["frag"]["num_misses"] == 0  # the gap is interior
    assert after["idsw"]["num_switches"] == 0 and after["idsw"]["idf1"] > base["idf1"]
    assert after["idsw"]["num_misses"] == 2 and after["idsw"]["num_false_positives"] == 1
    # The miss fill continues hypothesis 7 (its last match), so no switch is added or removed.
    assert after["fn"]["num_switches"] == 1
    assert set(tables) == set(FIXES)


def test_attribution_is_deterministic_and_has_a_row_per_fix() -> None:
    root = gt_root_of("MOT15", "TUD-Campus")
    gt = ground_truth(root / "TUD-Campus" / "gt" / "gt.txt", "MOT15")
    hyp = hypotheses(tracker_file("MOT15", "TUD-Campus", "devkit_demo"))
    first = json.dumps(attribution(gt, hyp), sort_keys=True)
    assert json.dumps(attribution(gt, hyp), sort_keys=True) == first
    table_ = json.loads(first)
    assert set(table_) == {"none", *RUN_FIXES}
    assert table_["none"] == pytest.approx({k: score_camera(gt, hyp).metrics[k] for k in PERFECT})
    assert rounded(attribution(gt, hyp, fixes=FIXES)["all"]) == PERFECT
    for kind in RUN_FIXES:
        assert all(not math.isnan(v) for v in table_[kind].values())
    assert table_["fn"]["mota"] > table_["none"]["mota"]


@settings(max_examples=100, deadline=None)
@given(gt_rows=rows, hyp_rows=rows, threshold=st.sampled_from([0.3, 0.5, 0.7]))
def test_range_counts_are_score_cameras_counts(gt_rows: list, hyp_rows: list, threshold: float) -> None:
    """The oracles' rows are scored by range_counts: score_camera's counts without motmetrics' table."""
    gt, hyp = table(gt_rows), table(hyp_rows)
    for matching in ("official", "motmetrics"):
        want = score_camera(gt, hyp, threshold, matching=matching).counts
        got = range_counts(gt, hyp, threshold, matching=matching)
        assert dict(got.clear) == {k: want.clear[k] for k in RANGE_COUNTS}
        assert np.array_equal(got.hota, want.hota)


@pytest.mark.parametrize("seq", MOT15_SEQS)
def test_range_counts_equal_score_camera_on_real_sequences(seq: str) -> None:
    root = gt_root_of("MOT15", seq)
    gt, hyp = ground_truth(root / seq / "gt" / "gt.txt", "MOT15"), hypotheses(tracker_file("MOT15", seq, "devkit_demo"))
    want = score_camera(gt, hyp).counts
    got = range_counts(gt, hyp)
    assert dict(got.clear) == {k: want.clear[k] for k in RANGE_COUNTS}
    assert np.array_equal(got.hota, want.hota)


def with_distractors(gt: BoxTable, flags: list[bool]) -> BoxTable:
    marks = np.array([flags[i % len(flags)] for i in range(len(gt))], bool) if flags else np.zeros(len(gt), bool)
    return BoxTable(gt.frames, gt.ids, gt.boxes, gt.confidences, marks)


def assert_oracles_scored_as_from_scratch(gt: BoxTable, hyp: BoxTable, threshold: float, matching: str) -> None:
    """Each oracle's counts in the diagnosis (its rows' IoUs reused from the scoring, only the added
    rows' computed) equal its rewritten rows scored from scratch, and its frames are
    :func:`prepare`'s, bit for bit."""
    scored = scored_camera(gt, hyp, threshold, matching=matching)
    diagnosis = diagnose(scored, gt, hyp, threshold, matching, FIXES)
    for kind, rewrite in rewrites(gt_frames(scored), gt, hyp, FIXES).items():
        fixed_rows = rewrite.apply(hyp)
        want, got = prepare(gt, fixed_rows), scored.table.variant_pairs(rewrite.keep, rewrite.ids, rewrite.extra)
        assert want.frames == got.frames, kind
        for name in ("gt_ids", "hyp_ids", "ious"):
            for a, b in zip(getattr(want, name), getattr(got, name), strict=True):
                assert a.dtype == b.dtype and np.array_equal(a, b), (kind, name)
        counts = range_counts(gt, fixed_rows, threshold, matching=matching)
        got_counts = diagnosis.fixes[kind].clear  # an oracle that changed nothing keeps the camera's counts
        assert {k: got_counts[k] for k in counts.clear} == dict(counts.clear), kind
        assert np.array_equal(diagnosis.fixes[kind].hota, counts.hota), kind


@settings(max_examples=150, deadline=None)
@given(
    gt_rows=rows,
    hyp_rows=rows,
    flags=st.lists(st.booleans(), max_size=7),
    threshold=st.sampled_from([0.3, 0.5, 0.7]),
    matching=st.sampled_from(["official", "motmetrics"]),
)
def test_oracles_reuse_the_scorings_ious_exactly(
    gt_rows: list, hyp_rows: list, flags: list, threshold: float, matching: str
) -> None:
    gt = with_distractors(table(gt_rows), flags)
    assume(len(gt))
    assert_oracles_scored_as_from_scratch(gt, table(hyp_rows), threshold, matching)


@pytest.mark.parametrize("video", ["02", "09"])
def test_oracles_reuse_the_scorings_ious_exactly_on_mot17(video: str) -> None:
    """MOT17's ground truth has distractor rows (their matched hypotheses are removed per frame)."""
    seq = f"MOT17-{video}-FRCNN"
    gt = ground_truth(gt_root_of("MOT17", seq) / seq / "gt" / "gt.txt", "MOT17")
    assert gt.distractor.any()
    hyp = hypotheses(tracker_file("MOT17", seq, f"MOT17-{video}-FRCNN"))
    assert_oracles_scored_as_from_scratch(gt, hyp, 0.5, "official")


@settings(max_examples=150, deadline=None)
@given(
    gt_rows=rows,
    hyp_rows=rows,
    flags=st.lists(st.booleans(), max_size=7),
    threshold=st.sampled_from([0.3, 0.5, 0.7]),
)
def test_an_oracles_matching_is_the_matching_frame_by_frame(
    gt_rows: list, hyp_rows: list, flags: list, threshold: float
) -> None:
    """official_matching (all frames at once) gives, field for field, the matching computed
    frame by frame, on the scored rows and on every oracle's."""
    gt, hyp = with_distractors(table(gt_rows), flags), table(hyp_rows)
    assume(len(gt))
    scored = scored_camera(gt, hyp, threshold)
    variants = {"scored": scored.pairs}
    for kind, rewrite in rewrites(gt_frames(scored), gt, hyp, FIXES).items():
        variants[kind] = scored.table.variant_pairs(rewrite.keep, rewrite.ids, rewrite.extra)
    for kind, pairs in variants.items():
        assert_same_matching(official_matching(pairs, threshold), sequential_matching(pairs, threshold), kind)


def assert_same_matching(got: Matching, want: Matching, where: str) -> None:
    for name in Matching.__dataclass_fields__:
        a, b = getattr(got, name), getattr(want, name)
        assert np.array_equal(a, b) and np.asarray(a).dtype == np.asarray(b).dtype, (where, name)

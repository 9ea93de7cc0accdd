"""Per-animal identity metrics on hand-built cases, 3D-ZeF's MTBF against its own definition
(a per-event walk over motmetrics' events, as its evaluation code does), and pooling from the
animals' frames."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings

from tests.test_scoring_official import rows, table
from trackbench.scoring import clear, summarize
from trackbench.scoring.diagnosis import diagnose_camera, diagnosis_json
from trackbench.scoring.frames import prepare
from trackbench.scoring.identity import identity_metrics, mtbf, pool


def box_rows(track: dict[int, list[int]], x: int) -> list[tuple[int, int, int, int, int, int]]:
    """Rows ``(frame, id, x, y, w, h)`` of ids over frames, each id at its own place per track."""
    return [(f, i, x + 20 * k, 0, 10, 10) for k, (i, frames) in enumerate(track.items()) for f in frames]


def hand_built():
    """Animal 1 over frames 1-10: hypothesis 7 on 1-3 and 6-8, missed on 4-5, hypothesis 8 on
    9-10 (a switch); animal 2 over frames 1-4, held by hypothesis 9 throughout."""
    gt = table(box_rows({1: list(range(1, 11)), 2: [1, 2, 3, 4]}, 0))
    hyp_rows = [(f, 7, 0, 0, 10, 10) for f in (1, 2, 3, 6, 7, 8)] + [(f, 8, 0, 0, 10, 10) for f in (9, 10)]
    hyp_rows += [(f, 9, 20, 0, 10, 10) for f in (1, 2, 3, 4)]
    return gt, table(hyp_rows)


def test_hand_built_identity_numbers() -> None:
    scores, diagnosis = diagnose_camera(*hand_built())
    assert scores.metrics["num_switches"] == 1 and scores.metrics["num_fragmentations"] == 1
    got = identity_metrics(diagnosis.animals)
    # Recall: animal 1 keeps hypothesis 7 (6 of its 10 frames), animal 2 hypothesis 9 (4 of 4).
    assert got["identity_recall"] == pytest.approx(10 / 14) == scores.metrics["idr"]
    assert (got["identity_recall_median"], got["identity_recall_min"], got["worst_animal"]) == (0.8, 0.6, "1")
    # MTBF: segments 3 (1-3), 3 (6-8), 2 (9-10, after the switch) and 4 (animal 2); one null run (4-5).
    assert (got["mtbf_standard"], got["mtbf_monotonic"]) == (12 / 4, 12 / 5)
    assert (got["gaps"], got["gap_mean"], got["gap_median"], got["gap_max"]) == (1, 2.0, 2.0, 2)
    assert got["fragments_per_animal"] == 0.5 and got["animals"] == 2
    assert got["idsw_per_1000_frames"] == 1000 * 1 / 10  # 1 switch in 10 frames scored
    per_animal = diagnosis_json({"tank": diagnosis})["identity"]["per_camera"]["tank"]["per_animal"]
    assert per_animal["1"] == {
        "frames": 10,
        "identity_recall": 0.6,
        "switches": 1,
        "fragments": 1,
        "mtbf_standard": 8 / 3,
        "mtbf_monotonic": 8 / 4,
        "gaps": 1,
        "longest_gap": 2,
    }


def test_perfect_tracking_and_nothing_tracked() -> None:
    gt = table(box_rows({1: [1, 2, 3], 2: [2, 3]}, 0))
    got = identity_metrics(diagnose_camera(gt, gt)[1].animals)
    assert (got["identity_recall"], got["identity_recall_min"], got["mtbf_standard"], got["mtbf_monotonic"]) == (
        1.0,
        1.0,
        2.5,
        2.5,
    )
    assert (got["gaps"], got["gap_max"], got["idsw_per_1000_frames"], got["fragments_per_animal"]) == (0, 0, 0.0, 0.0)
    assert math.isnan(got["gap_mean"])
    lost = identity_metrics(diagnose_camera(gt, table([]))[1].animals)
    # 3D-ZeF gives (0, 0) without a single tracked segment.
    assert (lost["identity_recall"], lost["mtbf_standard"], lost["mtbf_monotonic"], lost["gaps"]) == (0.0, 0, 0, 2)


def test_pooled_numbers_come_from_the_animals_not_from_camera_ratios() -> None:
    a = diagnose_camera(*hand_built())
    b = diagnose_camera(table(box_rows({5: list(range(1, 101))}, 0)), table(box_rows({3: list(range(1, 101))}, 0)))
    pooled = diagnosis_json({"a": a[1], "b": b[1]})["identity"]["overall"]
    assert pooled["identity_recall"] == pytest.approx(110 / 114) == summarize({"a": a[0], "b": b[0]}).overall["idr"]
    assert (pooled["mtbf_standard"], pooled["mtbf_monotonic"]) == (112 / 5, 112 / 6)  # not a mean of 3.0 and 100
    assert pooled["idsw_per_1000_frames"] == 1000 * 1 / 110
    assert pooled["worst_animal"] == "a/1" and pooled["animals"] == 3
    assert pool({"a": a[1].animals}).names == ("a/1", "a/2")


def zef_mtbf(events) -> tuple[float, float]:
    """3D-ZeF's MTBF (``Zef_3dMetrics``, see docs/diagnosis.md), walked event by event over
    each gt id's MATCH / SWITCH / MISS events in frame order, as its evaluation code does."""
    segments, null_runs = [], 0
    typed = events[events.Type.isin(["MATCH", "SWITCH", "MISS"])]
    for _, own in typed.groupby("OId", sort=False):
        length, in_null = 0, False
        for kind in own.Type.astype(str):
            if kind == "MATCH":
                length += 1
            elif kind == "SWITCH":
                segments.append(length)
                length = 1
            else:
                segments.append(length)
                length = 0
                in_null = True
            if length > 0 and in_null:
                null_runs += 1
                in_null = False
        segments.append(length)
        null_runs += in_null
    kept = [s for s in segments if s > 0]
    if not kept:
        return 0, 0
    return sum(kept) / len(kept), sum(kept) / (len(kept) + null_runs)


@settings(max_examples=150, deadline=None)
@given(gt_rows=rows, hyp_rows=rows)
def test_mtbf_equals_3d_zef_definition_on_motmetrics_events(gt_rows: list, hyp_rows: list) -> None:
    gt, hyp = table(gt_rows), table(hyp_rows)
    events = clear.motmetrics_events(prepare(gt, hyp), 0.5)
    got = identity_metrics(diagnose_camera(gt, hyp, matching="motmetrics")[1].animals)
    want = zef_mtbf(events)
    assert (got["mtbf_standard"], got["mtbf_monotonic"]) == pytest.approx(want, abs=1e-12)


def test_mtbf_of_no_segment_is_zero_as_in_3d_zef() -> None:
    assert mtbf(0, 0, 3) == (0.0, 0.0)
    assert mtbf(10, 2, 3) == (5.0, 2.0)
    assert np.isclose(mtbf(7, 3, 0)[1], 7 / 3)

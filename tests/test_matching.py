"""The official CLEAR matching computed for all frames at once equals TrackEval's rule applied
frame by frame (:func:`~trackbench.scoring.matching.sequential_matching`), field for field:
on crowded random scenes built to make the previous-timestep bonus decide (rival hypotheses on
one animal, ids that swap, frames without hypotheses), with the guessing rounds cut down so
that the in-order recomputation does the work, and on every real sequence of the parity cases.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_attribution import assert_same_matching
from tests.test_scoring_parity import CASES, ground_truth, gt_root_of, hypotheses, tracker_file
from trackbench.datasets.base import BoxTable
from trackbench.scoring import matching
from trackbench.scoring.frames import prepare
from trackbench.scoring.matching import official_matching, sequential_matching


def table(rows: list[tuple[int, int, float, float, float, float]]) -> BoxTable:
    a = np.array(rows, np.float64).reshape(-1, 6)
    n = len(a)
    return BoxTable(a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), a[:, 2:6], np.ones(n), np.zeros(n, bool))


@st.composite
def scenes(draw: st.DrawFn) -> tuple[BoxTable, BoxTable]:
    """A few animals drifting over up to 40 frames; per frame each animal gets 0-3 hypotheses,
    jittered copies of its box with ids drawn from a small pool (rivals, swaps, duplicates)."""
    n_frames = draw(st.integers(1, 40))
    n_animals = draw(st.integers(1, 4))
    start = draw(st.lists(st.integers(0, 30), min_size=n_animals, max_size=n_animals))
    step = draw(st.lists(st.integers(-2, 2), min_size=n_animals, max_size=n_animals))
    gt_rows, hyp_rows = [], []
    for f in range(1, n_frames + 1):
        used: set[int] = set()
        for a in range(n_animals):
            if draw(st.integers(0, 9)) == 0:
                continue  # the animal is not annotated in this frame
            x = start[a] + step[a] * f
            gt_rows.append((f, a + 1, x, 0.0, 10.0, 10.0))
            for _ in range(draw(st.integers(0, 3))):
                hid = draw(st.integers(1, 6))
                if hid in used:
                    continue
                used.add(hid)
                dx, dy = draw(st.integers(-3, 3)), draw(st.integers(-3, 3))
                hyp_rows.append((f, hid, x + dx, float(dy), 10.0, 10.0))
    return table(gt_rows), table(hyp_rows)


@settings(max_examples=300, deadline=None)
@given(scene=scenes(), threshold=st.sampled_from([0.3, 0.5, 0.7]), rounds=st.sampled_from([0, 1, 4]))
def test_all_frames_at_once_is_the_rule_frame_by_frame(
    scene: tuple[BoxTable, BoxTable], threshold: float, rounds: int
) -> None:
    pairs = prepare(*scene)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(matching, "_ROUNDS", rounds)
        got = official_matching(pairs, threshold)
    assert_same_matching(got, sequential_matching(pairs, threshold), "scene")


def test_frames_too_large_for_the_bonus_argument_go_frame_by_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    gt = table([(f, a, 12.0 * a, 0, 10, 10) for f in range(1, 6) for a in range(1, 4)])
    hyp = table([(f, a + (f > 3), 12.0 * a + 1, 0, 10, 10) for f in range(1, 6) for a in range(1, 4)])
    pairs = prepare(gt, hyp)
    calls: list[int] = []
    monkeypatch.setattr(matching, "_MAX_SIDE", 3)
    real = matching.sequential_matching
    monkeypatch.setattr(matching, "sequential_matching", lambda *a: calls.append(1) or real(*a))
    assert_same_matching(official_matching(pairs, 0.5), real(pairs, 0.5), "fallback")
    assert calls == [1]


@pytest.mark.parametrize(("benchmark", "seq", "tracker"), CASES, ids=[f"{c[1]}:{c[2]}" for c in CASES])
def test_real_sequences_match_as_frame_by_frame(benchmark: str, seq: str, tracker: str) -> None:
    root = gt_root_of(benchmark, seq)
    gt = ground_truth(root / seq / "gt" / "gt.txt", benchmark)
    pairs = prepare(gt, hypotheses(tracker_file(benchmark, seq, tracker)))
    assert_same_matching(official_matching(pairs, 0.5), sequential_matching(pairs, 0.5), seq)

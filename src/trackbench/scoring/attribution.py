"""Error attribution: what a camera would score if an oracle fixed one kind of error alone.

Each oracle rewrites the hypothesis rows (:func:`fixed`) from the matching the scores came from
(:class:`~trackbench.scoring.tracks.GtFrames`); the rewritten rows are scored again by the same
scorer, so the numbers are the scorer's own. The oracles are defined in docs/diagnosis.md:

- ``fp``: the false-positive rows removed;
- ``fn``: every missed gt box added as a row, with the animal's continuing hypothesis id;
- ``frag``: as ``fn``, only the misses between two matches of the animal (the gaps Frag counts);
- ``idsw``: every matched row relabelled to its animal's identity (its IDF1 hypothesis);
- ``all``: the hypotheses become the scored ground truth, one id per animal (a perfect score).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trackbench.datasets.base import BoxTable
from trackbench.scoring.events import lookup_boxes, previous_match
from trackbench.scoring.frames import concat
from trackbench.scoring.tracks import MISSED, GtFrames, first_in_group, id_range, pair_keys

FIXES: tuple[str, ...] = ("fp", "fn", "idsw", "frag", "all")
# What a run reports: one row per error type. ``frag`` is left out because it is ``fn`` on the
# interior misses only, and ``all`` because it is a perfect score by construction (the tests hold
# it so); each fix costs one more scoring of the camera.
RUN_FIXES: tuple[str, ...] = ("fp", "fn", "idsw")


def _table(frames: np.ndarray, ids: np.ndarray, boxes: np.ndarray) -> BoxTable:
    n = len(frames)
    return BoxTable(frames.astype(np.int64), ids.astype(np.int64), boxes.reshape(-1, 4), np.ones(n), np.zeros(n, bool))


@dataclass(frozen=True, slots=True, eq=False)
class Rewrite:
    """An oracle's hypothesis rows as a rewrite of the scored ones: the rows ``keep`` (a mask
    over them) with ids ``ids`` (one per row), followed by the rows ``extra``."""

    keep: np.ndarray
    ids: np.ndarray
    extra: BoxTable

    def apply(self, hyp: BoxTable) -> BoxTable:
        k = self.keep
        kept = BoxTable(hyp.frames[k], self.ids[k], hyp.boxes[k], hyp.confidences[k], hyp.distractor[k])
        return concat(kept, self.extra)


class _Oracle:
    """The lookups every oracle shares: animal labels, fresh ids, which hypothesis rows matched."""

    def __init__(self, gt: GtFrames, gt_table: BoxTable, hyp: BoxTable) -> None:
        self.gt, self.gt_table, self.hyp = gt, gt_table, hyp
        animals = np.unique(gt.gt_id)
        # Fresh ids: above every hypothesis id, one per animal, then one per hypothesis row.
        self.base = int(max(hyp.ids.max(initial=0), gt.assigned_hyp.max(initial=0))) + 1
        self.fresh_animal = dict(zip(animals.tolist(), range(self.base, self.base + len(animals)), strict=True))
        self.fresh_row = self.base + len(animals)
        label = dict(zip(gt.assigned_gt.tolist(), gt.assigned_hyp.tolist(), strict=True))
        self.label = np.array([label.get(g, self.fresh_animal[g]) for g in gt.gt_id.tolist()], np.int64)
        self.lo, self.span = id_range(hyp.ids, gt.hyp_id, self.label, np.array([self.fresh_row + len(hyp.ids)]))
        self.hyp_keys = pair_keys(hyp.frames, hyp.ids, self.lo, self.span)
        matched = gt.matched
        self.match_keys = pair_keys(gt.frame[matched], gt.hyp_id[matched], self.lo, self.span)
        self.fp_keys = pair_keys(gt.fp_frame, gt.fp_hyp, self.lo, self.span)

    def _hyp_rows(self, keys: np.ndarray) -> np.ndarray:
        """The hypothesis table's row of each (frame, id) key (present: the scorer saw them)."""
        order = np.argsort(self.hyp_keys)
        return order[np.searchsorted(self.hyp_keys[order], keys)]

    def without_fp(self) -> Rewrite:
        return Rewrite(~np.isin(self.hyp_keys, self.fp_keys), self.hyp.ids, BoxTable.empty())

    def filled(self, interior_only: bool) -> Rewrite:
        """Misses filled with the gt box; id: the animal's last matched hypothesis (else its next,
        else a fresh id of the animal), a fresh id of the animal where that id is taken in the frame."""
        gt = self.gt
        missed = ~gt.matched
        before = previous_match(gt)
        after = _next_match(gt)
        if interior_only:
            missed &= (before != MISSED) & (after != MISSED)
        fresh = np.array([self.fresh_animal[g] for g in gt.gt_id[missed].tolist()], np.int64)
        ids = np.where(before[missed] != MISSED, before[missed], after[missed])
        ids = np.where(ids != MISSED, ids, fresh)
        frames = gt.frame[missed]
        keys = pair_keys(frames, ids, self.lo, self.span)
        taken = np.isin(keys, self.hyp_keys) | _repeated(keys)
        ids = np.where(taken, fresh, ids)
        extra = _table(frames, ids, lookup_boxes(self.gt_table, frames, gt.gt_id[missed]))
        return Rewrite(np.ones(len(self.hyp), bool), self.hyp.ids, extra)

    def relabelled(self) -> Rewrite:
        """Matched rows take their animal's label; other rows whose id that takes in their frame
        get a fresh id each."""
        gt = self.gt
        matched = gt.matched
        rows = self._hyp_rows(self.match_keys)
        ids = self.hyp.ids.copy()
        ids[rows] = self.label[matched]
        others = np.ones(len(ids), bool)
        others[rows] = False
        label_keys = pair_keys(gt.frame[matched], self.label[matched], self.lo, self.span)
        clash = others & np.isin(pair_keys(self.hyp.frames, ids, self.lo, self.span), label_keys)
        ids[clash] = self.fresh_row + np.flatnonzero(clash)
        return Rewrite(np.ones(len(ids), bool), ids, BoxTable.empty())

    def perfect(self) -> Rewrite:
        gt = self.gt
        extra = _table(gt.frame, self.label, lookup_boxes(self.gt_table, gt.frame, gt.gt_id))
        return Rewrite(np.zeros(len(self.hyp), bool), self.hyp.ids, extra)


def same_rows(a: BoxTable, b: BoxTable) -> bool:
    """True if two tables hold the same rows in the same order (an oracle that found nothing to fix)."""
    return (
        len(a) == len(b)
        and np.array_equal(a.frames, b.frames)
        and np.array_equal(a.ids, b.ids)
        and np.array_equal(a.boxes, b.boxes)
    )


def _repeated(keys: np.ndarray) -> np.ndarray:
    """True for every key that occurs more than once."""
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    return counts[inverse] > 1


def _next_match(gt: GtFrames) -> np.ndarray:
    """Per gt row, the hypothesis of the animal's next match in a later frame (MISSED if none)."""
    n = len(gt.frame)
    if not n:
        return np.empty(0, np.int64)
    rows = np.flatnonzero(gt.matched)
    nxt = np.full(n, n, np.int64)
    nxt[rows] = rows
    nxt = np.minimum.accumulate(nxt[::-1])[::-1]  # next match at or after each row
    later = np.r_[nxt[1:], n]
    group = np.cumsum(first_in_group(gt.gt_id)) - 1
    ends = np.r_[np.flatnonzero(first_in_group(gt.gt_id))[1:], n]  # each group's end (exclusive)
    valid = later < ends[group]
    return np.where(valid, gt.hyp_id[np.minimum(later, n - 1)], MISSED)


def rewrites(gt: GtFrames, gt_table: BoxTable, hyp: BoxTable, kinds: tuple[str, ...] = FIXES) -> dict[str, Rewrite]:
    """Each kind's oracle as a rewrite of the hypothesis rows (see module docstring)."""
    unknown = sorted(set(kinds) - set(FIXES))
    if unknown:
        raise ValueError(f"unknown fixes {unknown}; each one of {', '.join(FIXES)}")
    oracle = _Oracle(gt, gt_table, hyp)
    build = {
        "fp": oracle.without_fp,
        "fn": lambda: oracle.filled(interior_only=False),
        "frag": lambda: oracle.filled(interior_only=True),
        "idsw": oracle.relabelled,
        "all": oracle.perfect,
    }
    return {kind: build[kind]() for kind in kinds}


def unchanged(rewrite: Rewrite, hyp: BoxTable) -> bool:
    """True if a rewrite leaves the rows as they were (an oracle that found nothing to fix)."""
    return bool(rewrite.keep.all()) and not len(rewrite.extra) and np.array_equal(rewrite.ids, hyp.ids)


def fixed(gt: GtFrames, gt_table: BoxTable, hyp: BoxTable, kinds: tuple[str, ...] = FIXES) -> dict[str, BoxTable]:
    """The hypothesis rows with each kind's errors fixed by its oracle (see module docstring)."""
    return {kind: r.apply(hyp) for kind, r in rewrites(gt, gt_table, hyp, kinds).items()}

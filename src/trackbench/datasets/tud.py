"""TUD-Campus and TUD-Stadtmitte as shipped inside the installed motmetrics package.

motmetrics carries ``data/<seq>/gt.txt`` (MOT15 ground truth) and ``data/<seq>/test.txt`` (the
MOTChallenge devkit's CEM demo tracker output, CRLF line endings). With the tracker ids dropped,
test.txt serves as a small, always-available detection file for smoke tests and parity checks.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from trackbench.datasets.mot import MotDataset
from trackbench.datasets.motfile import ScoreMap, ZeroConf
from trackbench.errors import TrackbenchError

TUD_SEQUENCES: tuple[str, ...] = ("TUD-Campus", "TUD-Stadtmitte")


def motmetrics_data_dir() -> Path:
    """The ``data`` folder of the installed motmetrics, found without importing motmetrics."""
    spec = importlib.util.find_spec("motmetrics")
    if spec is None or not spec.submodule_search_locations:
        raise TrackbenchError("the motmetrics package is not installed; it ships the TUD files")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


class TudDataset(MotDataset):
    """The two TUD sequences (cameras ``"TUD-Campus"``, ``"TUD-Stadtmitte"``) from motmetrics.

    There is no seqinfo.ini, so each camera spans frame 1 to the last frame in gt.txt/test.txt.
    test.txt's confidence column is -1 on every row, hence the default ``score_map="minmax"``,
    which maps a constant score to 1.0; other arguments are as in :class:`MotDataset`.
    """

    def __init__(
        self,
        sequences: Sequence[str] | None = None,
        frame_range: tuple[int, int | None] | None = None,
        *,
        target_classes: Sequence[int] | None = (1,),
        distractor_classes: Sequence[int] = (2, 7, 8, 12),
        zero_conf: ZeroConf = "distractor",
        min_score: float | None = None,
        score_map: ScoreMap = "minmax",
        name: str = "tud",
    ) -> None:
        sequences = TUD_SEQUENCES if sequences is None else tuple(sequences)
        unknown = [s for s in sequences if s not in TUD_SEQUENCES]
        if unknown:
            choices = ", ".join(TUD_SEQUENCES)
            raise TrackbenchError(f"unknown TUD sequence(s) {unknown}; choose from {choices}")
        super().__init__(
            motmetrics_data_dir(),
            sequences,
            frame_range,
            target_classes=target_classes,
            distractor_classes=distractor_classes,
            zero_conf=zero_conf,
            min_score=min_score,
            score_map=score_map,
            det_file="test.txt",
            gt_file="gt.txt",
            name=name,
        )

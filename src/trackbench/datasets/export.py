"""Write a dataset out as a MOTChallenge folder (one sequence per camera) for reuse elsewhere."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trackbench.datasets.base import Dataset
from trackbench.datasets.motfile import write_results


def export_mot(dataset: Dataset, root: Path, batch_size: int = 1000) -> list[Path]:
    """``<root>/<camera>/{seqinfo.ini, det/det.txt, gt/gt.txt}``; returns the sequence folders.

    det.txt rows are ``frame,-1,x,y,w,h,conf,-1,-1,-1``; gt.txt rows ``frame,id,x,y,w,h,1,-1,-1,-1``
    (10 columns: read back with every row a target, as MOT15 ground truth).
    """
    folders = []
    for info in dataset.cameras():
        folder = Path(root) / info.camera_id
        frames: list[int] = []
        boxes: list[tuple[float, float, float, float]] = []
        confs: list[float] = []
        for batch in dataset.iter_batches(info.camera_id, batch_size):
            for frame, dets in zip(batch.frames, batch.detections, strict=True):
                frames.extend([frame] * len(dets))
                boxes.extend((d.x, d.y, d.w, d.h) for d in dets)
                confs.extend(d.confidence for d in dets)
        n = len(frames)
        write_results(
            folder / "det" / "det.txt",
            np.asarray(frames, np.int64),
            np.full(n, -1),
            np.asarray(boxes).reshape(-1, 4),
            np.asarray(confs),
        )
        gt = dataset.ground_truth(info.camera_id)
        order = np.lexsort((gt.ids, gt.frames))
        write_results(folder / "gt" / "gt.txt", gt.frames[order], gt.ids[order], gt.boxes[order], np.ones(len(gt)))
        lines = [
            "[Sequence]",
            f"name={info.camera_id}",
            "imDir=img1",
            f"frameRate={info.frame_rate or 30:g}",
            f"seqLength={info.last_frame}",
            f"imWidth={info.width or 0}",
            f"imHeight={info.height or 0}",
            "imExt=.jpg",
        ]
        (folder / "seqinfo.ini").write_text("\n".join(lines) + "\n", encoding="utf-8")
        folders.append(folder)
    return folders

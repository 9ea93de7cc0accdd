"""Parity of trackbench's scores with the official evaluator (TrackEval 1.3.0, a test-only
dependency) on real MOTChallenge sequences in ../shared/data, and with py-motmetrics'
published TUD values under ``eval.matching=motmetrics``.

TrackEval's own dataset class reads the very same files and does its own preprocessing, so the
comparison covers our distractor removal and file reading too. Counts are compared exactly,
ratios to 1e-9, per sequence and pooled.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import motmetrics as mm
import numpy as np
import pandas as pd
import pytest

from trackbench import scoring
from trackbench.config import AppConfig
from trackbench.config.settings import to_flat_dict
from trackbench.datasets.base import BoxTable
from trackbench.experiment.app import run_experiment

from .shared_data import shared

MM_DATA = Path(mm.__file__).parent / "data"
MOT17_DISTRACTORS = (2, 7, 8, 12)  # person_on_vehicle, static_person, distractor, reflection
MOT15_SEQS = ("ETH-Sunnyday", "KITTI-17", "PETS09-S2L1", "TUD-Campus", "TUD-Stadtmitte", "Venice-2")  # with gt
MOT16_SEQS = ("MOT16-09", "MOT16-11")
MOT17_VIDEOS = ("02", "04", "05", "09", "10", "11", "13")

# (TrackEval field, our metric): counts compared exactly, ratios to 1e-9.
COUNTS = [("CLR_FP", "num_false_positives"), ("CLR_FN", "num_misses"), ("IDSW", "num_switches")]
COUNTS += [("MT", "mostly_tracked"), ("PT", "partially_tracked"), ("ML", "mostly_lost"), ("Frag", "num_fragmentations")]
COUNTS += [("IDTP", "idtp"), ("IDFP", "idfp"), ("IDFN", "idfn"), ("CLR_TP", "detections")]
RATIOS = [("MOTA", "mota"), ("MOTP", "motp"), ("IDF1", "idf1"), ("IDP", "idp"), ("IDR", "idr")]
HOTA = [("HOTA", "hota"), ("DetA", "deta"), ("AssA", "assa"), ("LocA", "loca"), ("DetRe", "detre")]
HOTA += [("DetPr", "detpr"), ("AssRe", "assre"), ("AssPr", "asspr")]


def read_mot(path: Path) -> np.ndarray:
    """A MOTChallenge text file as a float array (LF or CRLF line endings)."""
    return pd.read_csv(path, header=None).to_numpy(np.float64)


def rows(a: np.ndarray, target: np.ndarray, distractor: np.ndarray) -> BoxTable:
    keep = target | distractor
    return BoxTable(
        frames=a[keep, 0].astype(np.int64),
        ids=a[keep, 1].astype(np.int64),
        boxes=a[keep, 2:6].copy(),
        confidences=a[keep, 6].copy(),
        distractor=distractor[keep],
    )


def ground_truth(path: Path, benchmark: str) -> BoxTable:
    """Gt as TrackEval scores it: rows with conf 0 dropped; for MOT16/17 pedestrians only, with
    classes 2/7/8/12 as distractors and other classes dropped."""
    a = read_mot(path)
    marked = a[:, 6].astype(int) != 0
    if benchmark == "MOT15":
        return rows(a, marked, np.zeros(len(a), bool))
    return rows(a, marked & (a[:, 7] == 1), np.isin(a[:, 7], MOT17_DISTRACTORS))


def hypotheses(path: Path) -> BoxTable:
    a = read_mot(path)
    return rows(a, np.ones(len(a), bool), np.zeros(len(a), bool))


def ours_named(metrics: dict) -> dict:
    """Our metrics plus TrackEval's CLR_TP (matches including switches)."""
    return {**metrics, "detections": metrics["num_matches"] + metrics["num_switches"]}


def assert_official(ours: dict, theirs: dict, where: str) -> None:
    ours = ours_named(ours)
    for field, name in COUNTS:
        assert ours[name] == theirs[field], f"{where}: {name} {ours[name]} != TrackEval {field} {theirs[field]}"
    for field, name in RATIOS:
        assert ours[name] == pytest.approx(theirs[field], abs=1e-9), f"{where}: {name}"
    for field, name in HOTA:
        assert ours[name] == pytest.approx(float(np.mean(theirs[field])), abs=1e-9), f"{where}: {name}"


# --- TUD under eval.matching=motmetrics: py-motmetrics' own test_metrics.py values ------------

TUD_RATIO_COLUMNS = ("idf1", "idp", "idr", "recall", "precision", "mota", "motp")  # motp: mean 1 - IoU
TUD_RATIOS = {
    "TUD-Campus": (0.557659, 0.729730, 0.451253, 0.582173, 0.941441, 0.526462, 0.277201),
    "TUD-Stadtmitte": (0.644619, 0.819760, 0.531142, 0.608997, 0.939920, 0.564014, 0.345904),
    "OVERALL": (0.624296, 0.799176, 0.512211, 0.602640, 0.940268, 0.555116, 0.330177),
}
TUD_COUNT_COLUMNS = ("num_unique_objects", "mostly_tracked", "partially_tracked", "mostly_lost")
TUD_COUNT_COLUMNS += ("num_false_positives", "num_misses", "num_switches", "num_fragmentations")
TUD_COUNTS = {
    "TUD-Campus": (8, 1, 6, 1, 13, 150, 7, 7),
    "TUD-Stadtmitte": (10, 5, 4, 1, 45, 452, 7, 6),
    "OVERALL": (18, 6, 10, 2, 58, 602, 14, 13),
}


def test_tud_matches_motmetrics_published_values_with_motmetrics_matching() -> None:
    per_camera = {}
    for seq in ("TUD-Campus", "TUD-Stadtmitte"):
        gt_file, test_file = MM_DATA / seq / "gt.txt", MM_DATA / seq / "test.txt"
        assert b"\r\n" in gt_file.read_bytes()  # the wheel ships CRLF files
        gt = read_mot(gt_file)
        per_camera[seq] = scoring.score_camera(
            rows(gt, np.ones(len(gt), bool), np.zeros(len(gt), bool)), hypotheses(test_file), matching="motmetrics"
        )
    scores = scoring.summarize(per_camera)
    for name, got in [*scores.per_camera.items(), ("OVERALL", scores.overall)]:
        assert tuple(got[c] for c in TUD_COUNT_COLUMNS) == TUD_COUNTS[name]
        assert tuple(got[c] for c in TUD_RATIO_COLUMNS) == pytest.approx(TUD_RATIOS[name], abs=1e-6)


# --- TrackEval on real sequences ---------------------------------------------------------


def trackeval_sequences(gt_root: Path, files: dict[str, Path], benchmark: str, tmp: Path) -> dict[str, dict]:
    """TrackEval's CLEAR + Identity + HOTA results per sequence (``files``: sequence -> tracker
    file), read and preprocessed by its own MotChallenge2DBox class, plus its combined row."""
    trackeval = pytest.importorskip("trackeval")
    (tmp / "trk" / "data").mkdir(parents=True)
    for seq, path in files.items():
        (tmp / "trk" / "data" / f"{seq}.txt").symlink_to(path)
    config = {
        "GT_FOLDER": str(gt_root),
        "TRACKERS_FOLDER": str(tmp),
        "BENCHMARK": benchmark,
        "SKIP_SPLIT_FOL": True,
        "SEQ_INFO": dict.fromkeys(files),  # lengths from seqinfo.ini
        "TRACKERS_TO_EVAL": ["trk"],
        "PRINT_CONFIG": False,
    }
    metrics = [trackeval.metrics.CLEAR, trackeval.metrics.Identity, trackeval.metrics.HOTA]
    out: dict[str, dict] = {}
    with contextlib.redirect_stdout(io.StringIO()):
        dataset = trackeval.datasets.MotChallenge2DBox(config)
        instances = [m({"PRINT_CONFIG": False}) for m in metrics]
        per_metric: list[dict[str, dict]] = [{} for _ in metrics]
        for seq in files:
            data = dataset.get_preprocessed_seq_data(dataset.get_raw_seq_data("trk", seq), "pedestrian")
            out[seq] = {}
            for k, metric in enumerate(instances):
                per_metric[k][seq] = metric.eval_sequence(data)
                out[seq].update(per_metric[k][seq])
        out["COMBINED"] = {}
        for k, metric in enumerate(instances):
            out["COMBINED"].update(metric.combine_sequences(per_metric[k]))
    return out


def gt_root_of(benchmark: str, seq: str) -> Path:
    return shared(benchmark.lower()) if benchmark != "MOT17" else shared("mot17")


def tracker_file(benchmark: str, seq: str, tracker: str) -> Path:
    if benchmark == "MOT17":
        return shared("mot17", "trackers", "Lif_T", f"{tracker}.txt")
    return shared(benchmark.lower(), seq, "trackers", f"{tracker}.txt")


CASES = [("MOT15", seq, "devkit_demo") for seq in MOT15_SEQS]
CASES += [("MOT16", seq, "devkit_demo") for seq in MOT16_SEQS]
CASES += [("MOT17", f"MOT17-{v}-FRCNN", f"MOT17-{v}-{d}") for v in MOT17_VIDEOS for d in ("DPM", "FRCNN", "SDP")]


@pytest.mark.parametrize(("benchmark", "seq", "tracker"), CASES, ids=[f"{c[1]}:{c[2]}" for c in CASES])
def test_official_scores_equal_trackeval(benchmark: str, seq: str, tracker: str, tmp_path: Path) -> None:
    root, path = gt_root_of(benchmark, seq), tracker_file(benchmark, seq, tracker)
    gt = ground_truth(root / seq / "gt" / "gt.txt", benchmark)
    ours = scoring.score_camera(gt, hypotheses(path)).metrics
    theirs = trackeval_sequences(root, {seq: path}, benchmark, tmp_path)[seq]
    assert_official(ours, theirs, f"{seq}:{tracker}")


def test_pooled_mot15_equals_trackeval_combined(tmp_path: Path) -> None:
    root = shared("mot15")
    files = {seq: tracker_file("MOT15", seq, "devkit_demo") for seq in MOT15_SEQS}
    per_camera = {
        seq: scoring.score_camera(ground_truth(root / seq / "gt" / "gt.txt", "MOT15"), hypotheses(path))
        for seq, path in files.items()
    }
    theirs = trackeval_sequences(root, files, "MOT15", tmp_path)
    assert_official(scoring.summarize(per_camera).overall, theirs["COMBINED"], "MOT15 combined")
    # Our harness reproduces the TrackEval run shipped with the data.
    shipped = pd.read_csv(root / "trackers" / "devkit_demo_trackeval_detailed.csv").set_index("seq")
    assert shipped.loc["COMBINED", "HOTA___AUC"] == pytest.approx(float(np.mean(theirs["COMBINED"]["HOTA"])), abs=1e-12)


# --- through the app: tracker=precomputed and trackbench's own tracker output --------------


def run_app(tmp: Path, overrides: dict) -> dict:
    """One in-process run (no MLflow); its metrics.json."""
    tree = to_flat_dict(AppConfig())
    tree.update({"mlflow.enabled": False, "runner.progress": "never", "runner.workers": 2})
    tree.update(overrides)
    nested: dict = {}
    for key, value in tree.items():
        node = nested
        *parents, leaf = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = list(value) if isinstance(value, tuple) else value
    run_experiment(nested, tmp / "out")
    return json.loads((tmp / "out" / "metrics.json").read_text())


@pytest.mark.slow
def test_lif_t_through_precomputed_gives_the_official_mot17_numbers(tmp_path: Path) -> None:
    """All 21 Lif_T files scored by ``tracker=precomputed`` against the official overall
    numbers (data/mot17/SOURCE.md, the devkit's, reproduced by TrackEval)."""
    mot17 = shared("mot17")
    root = tmp_path / "MOT17"
    root.mkdir()
    results = sorted((mot17 / "trackers" / "Lif_T").glob("MOT17-*.txt"))
    for path in results:  # the three detector copies of a video share its gt
        (root / path.stem).symlink_to(mot17 / (path.stem.rsplit("-", 1)[0] + "-FRCNN"))
    assert len(results) == 21
    m = run_app(
        tmp_path,
        {
            "tracker.tracker_kind": "precomputed",
            "tracker.results_dir": str(mot17 / "trackers" / "Lif_T"),
            "dataset.name": "mot",
            "dataset.root": str(root),
        },
    )
    o = m["overall"]
    assert (o["num_false_positives"], o["num_misses"], o["num_switches"]) == (2655, 107803, 791)
    assert (o["mostly_tracked"], o["partially_tracked"], o["mostly_lost"], o["num_fragmentations"]) == (
        679,
        595,
        364,
        1153,
    )
    assert round(100 * o["mota"], 3) == 66.978 and round(100 * o["idf1"], 3) == 72.355
    assert (round(100 * o["hota"], 3), round(100 * o["deta"], 3), round(100 * o["assa"], 3)) == (62.858, 59.802, 66.179)
    assert (o["num_objects"], o["num_predictions"], o["num_unique_objects"]) == (336891, 231743, 1638)


OWN_RUNS = {  # benchmark: (dataset overrides, sequences)
    "MOT15": (
        {"dataset.files.target_classes": None, "dataset.files.distractor_classes": ()},
        MOT15_SEQS,
    ),
    "MOT16": ({"dataset.files.score_map": "minmax"}, MOT16_SEQS),
    "MOT17": ({}, tuple(f"MOT17-{v}-FRCNN" for v in MOT17_VIDEOS)),
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["ocsort", "bytetrack"])
@pytest.mark.parametrize("benchmark", list(OWN_RUNS))
def test_own_tracker_output_scores_equal_trackeval(benchmark: str, kind: str, tmp_path: Path) -> None:
    """trackbench tracks the sequences, then TrackEval scores the run's own mot/<seq>.txt
    files: metrics.json equals it per sequence and pooled."""
    overrides, seqs = OWN_RUNS[benchmark]
    root = gt_root_of(benchmark, seqs[0])
    m = run_app(
        tmp_path,
        {
            **overrides,
            "tracker.tracker_kind": kind,
            "dataset.name": "mot",
            "dataset.root": str(root),
            "dataset.cameras": seqs,
        },
    )
    files = {seq: tmp_path / "out" / "mot" / f"{seq}.txt" for seq in seqs}
    theirs = trackeval_sequences(root, files, benchmark, tmp_path / "te")
    for seq in seqs:
        assert_official(m["per_camera"][seq], theirs[seq], seq)
    assert_official(m["overall"], theirs["COMBINED"], f"{benchmark} combined")

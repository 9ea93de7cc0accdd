"""trackbench-diff: window differences, events in one run only, refusals, files, the console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from trackbench.artifacts.events import KINDS, ErrorEvents, format_events
from trackbench.cli import diff as diff_cli
from trackbench.errors import TrackbenchError
from trackbench.record import diff_report
from trackbench.record.run_diff import check_comparable, load_run, unmatched_events, window_rows

CAMERAS = ("cam0", "cam1")


def _events(rows: list[tuple[str, int, int, int, int, tuple[float, ...]]]) -> ErrorEvents:
    if not rows:
        return ErrorEvents.empty()
    k, f, g, h, p, b = zip(*rows, strict=True)
    return ErrorEvents(
        np.array([KINDS.index(x) for x in k], np.int8), np.array(f, np.int64), np.array(g, np.int64),
        np.array(h, np.int64), np.array(p, np.int64), np.array(b, np.float64).reshape(-1, 4),
    )  # fmt: skip


BOX = (10.0, 20.0, 30.0, 40.0)


def _window(first: int, last: int, fp: int, fn: int, idsw: int) -> dict[str, Any]:
    clear = {"num_false_positives": fp, "num_misses": fn, "num_switches": idsw, "num_matches": 90 - fn}
    clear |= {"num_objects": 90, "num_predictions": 90 - fn + fp, "idtp": 80, "idfp": 5, "idfn": 10}
    return {"counts": {"clear": clear}, "first_frame": first, "last_frame": last, "hota": 0.5, "mota": 0.6, "idf1": 0.7}


def make_run(
    folder: Path,
    counts: tuple[int, int, int] = (1, 2, 3),
    events: dict[str, ErrorEvents] | None = None,
    *,
    seed: int = 0,
    frames: tuple[int, int] = (1, 200),
    metrics_patch: dict[str, Any] | None = None,
) -> Path:
    """A hand-made run folder: metrics.json with two windows per camera, config.yaml, errors/."""
    first, last = frames
    mid = (first + last) // 2
    windows = [_window(first, mid, *counts), _window(mid + 1, last, 0, 0, 0)]
    totals = {"num_false_positives": counts[0], "num_misses": counts[1], "num_switches": counts[2]}
    totals |= {"num_fragmentations": 1, "hota": 0.5, "mota": 0.6, "idf1": 0.7}
    metrics = {
        "overall": totals,
        "per_camera": dict.fromkeys(CAMERAS, totals),
        "windows": {"window_frames": mid - first + 1, "per_camera": dict.fromkeys(CAMERAS, windows), "pooled": windows},
        "scored_frames": "reported",
        "matching": "official",
        "iou_threshold": 0.5,
    } | (metrics_patch or {})
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps(metrics))
    (folder / "config.yaml").write_text(f"tracker:\n  tracker_kind: x\ndataset:\n  name: synthetic\n  seed: {seed}\n")
    if events is not None:
        (folder / "errors").mkdir()
        for camera in CAMERAS:
            (folder / "errors" / f"{camera}.csv").write_text(format_events(events.get(camera, ErrorEvents.empty())))
    return folder


def test_events_match_by_frame_animal_and_kind_not_by_hypothesis() -> None:
    a = _events([("idsw", 412, 3, 5, 4, BOX), ("fn", 7, 1, -1, -1, BOX), ("fn", 7, 2, -1, -1, BOX)])
    b = _events([("idsw", 412, 3, 9, 8, BOX), ("fn", 7, 2, -1, -1, BOX), ("frag", 7, 1, 6, 6, BOX)])
    only_a, only_b = unmatched_events(a, b)
    assert (KINDS[only_a.kinds[0]], int(only_a.frames[0]), int(only_a.gt_ids[0])) == ("fn", 7, 1)
    assert (KINDS[only_b.kinds[0]], int(only_b.gt_ids[0])) == ("frag", 1)
    assert len(only_a) == len(only_b) == 1


def test_false_positives_match_by_frame_and_box_iou_greedily() -> None:
    near, far = (12.0, 20.0, 30.0, 40.0), (500.0, 500.0, 30.0, 40.0)
    a = _events([("fp", 5, -1, 1, -1, BOX), ("fp", 5, -1, 2, -1, far), ("fp", 6, -1, 3, -1, BOX)])
    b = _events([("fp", 5, -1, 7, -1, near), ("fp", 5, -1, 8, -1, BOX), ("fp", 7, -1, 3, -1, BOX)])
    only_a, only_b = unmatched_events(a, b)
    # A's BOX takes B's identical BOX (IoU 1), not the near one; far and other frames stay unmatched
    assert sorted(map(tuple, only_a.boxes.tolist())) == [BOX, far]
    assert sorted(zip(only_b.frames.tolist(), map(tuple, only_b.boxes.tolist()), strict=True)) == [(5, near), (7, BOX)]


def test_duplicate_keys_pair_one_to_one() -> None:
    two = _events([("fn", 3, 1, -1, -1, BOX), ("fn", 3, 1, -1, -1, BOX)])
    only_a, only_b = unmatched_events(two, _events([("fn", 3, 1, -1, -1, BOX)]))
    assert (len(only_a), len(only_b)) == (1, 0)


def test_window_rows_give_b_minus_a_per_camera_and_pooled(tmp_path: Path) -> None:
    a = load_run(make_run(tmp_path / "a", (1, 2, 3)), "A", "a")
    b = load_run(make_run(tmp_path / "b", (4, 0, 1)), "B", "b")
    rows = window_rows(a, b)
    assert [(r["camera"], r["first_frame"]) for r in rows] == [(c, f) for c in (*CAMERAS, "pooled") for f in (1, 101)]
    assert (rows[0]["fp_diff"], rows[0]["fn_diff"], rows[0]["idsw_diff"], rows[0]["matches_diff"]) == (3, -2, -2, 2)
    assert rows[1]["fp_diff"] == rows[1]["hota_diff"] == 0


@pytest.mark.parametrize(
    ("b_kwargs", "key"),
    [
        ({"seed": 1}, "dataset.seed"),
        ({"frames": (1, 300)}, "windows.window_frames"),
        ({"metrics_patch": {"scored_frames": "all"}}, "scored_frames"),
        ({"metrics_patch": {"matching": "per_frame"}}, "matching"),
        ({"metrics_patch": {"iou_threshold": 0.4}}, "iou_threshold"),
        ({"frames": (2, 201)}, "cam0's frames"),
    ],
)
def test_runs_scored_differently_are_refused_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], b_kwargs: dict[str, Any], key: str
) -> None:
    a, b = make_run(tmp_path / "a"), make_run(tmp_path / "b", **b_kwargs)
    with pytest.raises(TrackbenchError, match=f"{key} is"):
        check_comparable(load_run(a, "A", "a"), load_run(b, "B", "b"))
    assert diff_cli.main([str(a), str(b), "--out", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("trackbench-diff: error: the runs were not scored alike: ") and err.count("\n") == 1
    assert not (tmp_path / "d").exists()


def test_other_cameras_are_refused(tmp_path: Path) -> None:
    a, b = make_run(tmp_path / "a"), make_run(tmp_path / "b")
    metrics = json.loads((b / "metrics.json").read_text())
    metrics["windows"]["per_camera"]["cam9"] = metrics["windows"]["per_camera"].pop("cam1")
    (b / "metrics.json").write_text(json.dumps(metrics))
    with pytest.raises(TrackbenchError, match="cameras is 'cam0,cam1' in A"):
        check_comparable(load_run(a, "A", "a"), load_run(b, "B", "b"))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda r: (r / "metrics.json").unlink(), "metrics.json: not found"),
        (lambda r: (r / "metrics.json").write_text('{\n"windows": ,\n}'), "metrics.json:2: not valid JSON"),
        (lambda r: (r / "config.yaml").unlink(), "config.yaml: not found"),
        (lambda r: (r / "config.yaml").write_text("tracker: {}\n"), "config.yaml: no 'dataset' section"),
        (lambda r: (r / "errors" / "cam1.csv").unlink(), "cam1.csv: events file not found"),
        (lambda r: (r / "errors" / "cam0.csv").write_text("kind,frame\n"), "cam0.csv:1: expected the header"),
    ],
)
def test_bad_run_files_are_one_line_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: Any, message: str
) -> None:
    a = make_run(tmp_path / "a", events={})
    b = make_run(tmp_path / "b", events={})
    damage(b)
    assert diff_cli.main([str(a), str(b), "--out", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_not_a_folder_nor_a_run_id_and_log_to_a_folder_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = make_run(tmp_path / "a")
    assert diff_cli.main([str(a), str(tmp_path / "nothing")]) == 2
    assert "neither a run folder nor an MLflow run id" in capsys.readouterr().err
    assert diff_cli.main([str(a), str(a), "--log-to", "B"]) == 2
    assert "is a folder, not an MLflow run id" in capsys.readouterr().err


def _two_runs(tmp_path: Path) -> tuple[Path, Path]:
    shared = ("fn", 7, 2, -1, -1, BOX)
    a = make_run(tmp_path / "a", (1, 2, 3), {"cam0": _events([("idsw", 412, 3, 5, 4, BOX), shared])})
    b = make_run(tmp_path / "b", (0, 2, 1), {"cam0": _events([shared]), "cam1": _events([("fp", 9, -1, 4, -1, BOX)])})
    return a, b


def test_the_diff_writes_its_files_deterministically(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = _two_runs(tmp_path)
    for out in ("d1", "d2"):
        assert diff_cli.main([str(a), str(b), "--out", str(tmp_path / out)]) == 0
    printed = capsys.readouterr().out
    assert "cam0: animal 3 switched from hypothesis 4 to 5 at frame 412 in A only" in printed
    assert "cam1: a false positive (hypothesis 4) at frame 9, box x=10 y=20 w=30 h=40 in B only" in printed
    assert sorted(p.name for p in (tmp_path / "d1").iterdir()) == sorted(diff_report.FILES)
    for name in ("windows.csv", "events_only_a.csv", "events_only_b.csv", "summary.md"):
        assert (tmp_path / "d1" / name).read_bytes() == (tmp_path / "d2" / name).read_bytes()
    only_a = (tmp_path / "d1" / "events_only_a.csv").read_text().splitlines()
    assert only_a == ["camera,kind,frame,gt_id,hyp_id,prev_hyp_id,x,y,w,h", "cam0,idsw,412,3,5,4,10.0,20.0,30.0,40.0"]
    summary = (tmp_path / "d1" / "summary.md").read_text()
    assert "| cam0 | 0 | 0 | 0 | 0 | 1 | 0 | 0 | 0 |" in summary
    assert "| 1 → 0 (-1) |" in summary  # FP of cam0, A → B


def test_a_run_without_errors_is_compared_by_counts_with_one_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = make_run(tmp_path / "a", events={}), make_run(tmp_path / "b")
    assert diff_cli.main([str(a), str(a), "--out", str(tmp_path / "d")]) == 0  # an earlier diff, with events
    capsys.readouterr()
    assert diff_cli.main([str(a), str(b), "--out", str(tmp_path / "d")]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "run B has no errors/ folder" in err
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["diff.png", "summary.md", "windows.csv"]
    assert "Not compared: run B has no `errors/` folder" in (tmp_path / "d" / "summary.md").read_text()


@pytest.mark.slow
def test_the_console_script_as_a_user_runs_it(tmp_path: Path) -> None:
    exe = shutil.which("trackbench-diff", path=str(Path(sys.executable).parent))
    assert exe is not None, "trackbench-diff is not installed (pip install -e .)"
    _two_runs(tmp_path)
    done = subprocess.run([exe, "a", "b"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "in A only" in done.stdout and "written: diff_a_b/" in done.stdout
    assert sorted(p.name for p in (tmp_path / "diff_a_b").iterdir()) == sorted(diff_report.FILES)
    make_run(tmp_path / "c", seed=7)
    refused = subprocess.run([exe, "a", "c"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert refused.stderr.startswith("trackbench-diff: error: the runs were not scored alike: dataset.seed")


@pytest.mark.slow
def test_mlflow_run_ids_are_downloaded_and_the_diff_logged_to_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from trackbench.config import MlflowConfig
    from trackbench.record.mlflow_log import RunLogger, download_run_files

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    a, b = _two_runs(tmp_path)
    shutil.rmtree(a / "errors")  # an older run: metrics.json and config.yaml only
    ids = []
    for folder in (a, b):
        logger = RunLogger(MlflowConfig(tracking_uri=uri, experiment_name="diff"))
        ids.append(logger.start(folder.name, {}))
        logger.log_file(folder / "metrics.json")
        logger.log_file(folder / "config.yaml")
        if (folder / "errors").is_dir():
            logger.log_artifacts(folder / "errors", "errors")
        logger.end()
    out = tmp_path / "d"
    assert diff_cli.main([*ids, "--tracking-uri", uri, "--out", str(out), "--log-to", "B"]) == 0
    assert "run A has no errors/ folder" in capsys.readouterr().err
    name = f"diff_{ids[0][:8]}_{ids[1][:8]}"
    back = tmp_path / "back"
    assert download_run_files(uri, ids[1], [name, "errors", "nothing"], back) == [name, "errors"]
    assert sorted(p.name for p in (back / name).iterdir()) == ["diff.png", "summary.md", "windows.csv"]
    assert diff_cli.main(["0" * 32, ids[1], "--tracking-uri", uri]) == 2
    assert f"no run {'0' * 32!r}" in capsys.readouterr().err

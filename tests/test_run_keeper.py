"""The run keeper (a forked process that opens and logs a single run's MLflow run): calls,
their errors and the opening's error reach the job; the keeper exits once the run is ended."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from trackbench.errors import TrackbenchError
from trackbench.record.run_keeper import KeptRun, ThreadOpening, can_keep


class Unpicklable(Exception):
    def __init__(self, a: str, b: str) -> None:  # pickling calls __init__(message) only: fails
        super().__init__(f"{a} {b}")


@dataclass(frozen=True)
class FakeLogger:
    """Records each call (in the keeper's process) as a JSON line."""

    journal: Path
    run_id: str = "run-1"

    def _note(self, *what: object) -> None:
        with self.journal.open("a") as f:
            f.write(json.dumps(list(what), default=str) + "\n")

    def experiment_id(self) -> str:
        return "7"

    def address(self) -> str:
        return "http://127.0.0.1:5000/#/experiments/7/runs/run-1"

    def log_batch(self, **kwargs: object) -> None:
        self._note("log_batch", kwargs)

    def log_file(self, path: Path, artifact_path: str | None = None) -> None:
        if path.name == "bad":
            raise TrackbenchError(f"{path}: cannot log")
        if path.name == "odd":
            raise Unpicklable("odd", "failure")
        self._note("log_file", str(path))

    def log_artifacts(self, folder: Path, artifact_path: str | None = None) -> None:
        self._note("log_artifacts", str(folder), artifact_path)

    def end(self, status: str = "FINISHED", error: str | None = None) -> None:
        self._note("end", status, error)


@dataclass(frozen=True)
class FakeSetup:
    journal: Path
    fails: bool = False

    def open(self) -> FakeLogger:
        if self.fails:
            raise TrackbenchError("MLflow server http://127.0.0.1:9 did not answer")
        return FakeLogger(self.journal)


@dataclass(frozen=True)
class FakePlotting:
    folder: Path

    def draw(self) -> None:
        self.folder.mkdir(exist_ok=True)
        (self.folder / "metrics.png").write_text("drawn in the keeper")


def journal(path: Path) -> list[list]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_calls_and_their_errors_reach_the_job_and_the_keeper_exits_after_end(tmp_path):
    log = tmp_path / "journal.jsonl"
    kept = KeptRun(FakeSetup(log))
    kept.start()
    logger = kept.result()
    assert (logger.run_id, logger.experiment_id()) == ("run-1", "7")
    assert logger.address().endswith("/runs/run-1")
    logger.log_batch(metrics={"idf1": 0.5}, tags={"a": "b"})
    with pytest.raises(TrackbenchError, match="bad: cannot log"):
        logger.log_file(tmp_path / "bad")
    with pytest.raises(TrackbenchError, match="Unpicklable: odd failure"):
        logger.log_file(tmp_path / "odd")
    logger.log_file(tmp_path / "metrics.json")  # still serving after an error
    drawing = kept.draw(FakePlotting(tmp_path / "plots"))
    drawing.result()
    assert (tmp_path / "plots" / "metrics.png").read_text() == "drawn in the keeper"
    logger.log_artifacts(tmp_path / "plots", "plots")
    logger.end("FINISHED")
    logger.end("FAILED", "a second end is not sent")
    assert journal(log) == [
        ["log_batch", {"metrics": {"idf1": 0.5}, "tags": {"a": "b"}}],
        ["log_file", str(tmp_path / "metrics.json")],
        ["log_artifacts", str(tmp_path / "plots"), "plots"],
        ["end", "FINISHED", None],
    ]
    assert kept._process.exitcode == 0  # joined by end


def test_the_openings_error_is_raised_by_check_and_result(tmp_path):
    kept = KeptRun(FakeSetup(tmp_path / "journal.jsonl", fails=True))
    kept.start()
    with pytest.raises(TrackbenchError, match="did not answer"):
        kept.result()
    with pytest.raises(TrackbenchError, match="did not answer"):
        kept.check()
    assert kept._process.exitcode == 0
    assert not (tmp_path / "journal.jsonl").exists()


@dataclass(frozen=True)
class GatedSetup(FakeSetup):
    """Opens once the job has created ``go`` (an error after 20 s)."""

    def open(self) -> FakeLogger:
        import time

        deadline = time.monotonic() + 20
        while not (self.journal.parent / "go").exists():
            if time.monotonic() > deadline:
                raise TrackbenchError("never told to go")
            time.sleep(0.01)
        return super().open()


def test_check_does_not_wait_for_the_opening(tmp_path):
    kept = KeptRun(GatedSetup(tmp_path / "journal.jsonl"))
    kept.start()
    kept.check()  # nothing has arrived: returns (were it waiting, the keeper would never go)
    (tmp_path / "go").touch()
    kept.result().end()
    assert journal(tmp_path / "journal.jsonl") == [["end", "FINISHED", None]]


def test_a_keeper_is_forked_only_from_a_process_without_other_threads():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        assert not can_keep()
    finally:
        stop.set()
        thread.join()


def test_the_thread_opening_draws_in_a_thread(tmp_path):
    opening = ThreadOpening(FakeSetup(tmp_path / "journal.jsonl"))
    opening.start()
    assert opening.result().run_id == "run-1"
    opening.draw(FakePlotting(tmp_path / "plots")).result()
    assert (tmp_path / "plots" / "metrics.png").exists()

"""The MLflow run's end (run_record.run_lifecycle): FINISHED, FAILED, KILLED or pruned, the
exception re-raised as it came; a pruned trial's checkpoints removed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trackbench.errors import Terminated, TrackbenchError, WorkerKilled
from trackbench.experiment import checkpoints
from trackbench.experiment.run_record import run_lifecycle
from trackbench.experiment.trial import TrialPruned
from trackbench.record.mlflow_log import STATE_TAG


class FakeLogger:
    run_id = "run-1"

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def experiment_id(self) -> str:
        return "7"

    def address(self) -> str:
        return "address"

    def log_batch(self, **kwargs: Any) -> None:
        self.calls.append(("log_batch", kwargs))

    def log_file(self, path: Path, artifact_path: str | None = None) -> None:
        self.calls.append(("log_file", path))

    def log_artifacts(self, folder: Path, artifact_path: str | None = None) -> None:
        self.calls.append(("log_artifacts", folder))

    def end(self, status: str = "FINISHED", error: str | None = None) -> None:
        self.calls.append(("end", status, error))


class FakeOpening:
    def __init__(self, logger: FakeLogger | None, error: BaseException | None = None) -> None:
        self.logger = logger
        self.error = error

    def start(self) -> None:
        pass

    def check(self) -> None:
        if self.error is not None:
            raise self.error

    def result(self) -> FakeLogger:
        self.check()
        assert self.logger is not None
        return self.logger

    def draw(self, job: Any) -> Any:
        raise AssertionError("not drawn here")


def test_finished_when_the_block_completes(tmp_path: Path) -> None:
    logger = FakeLogger()
    with run_lifecycle(FakeOpening(logger), tmp_path) as run:
        assert run.open() is logger
        logger.log_batch(tags={})
    assert logger.calls == [("log_batch", {"tags": {}}), ("end", "FINISHED", None)]
    assert run.logger is logger


def test_no_run_without_an_opening(tmp_path: Path) -> None:
    with run_lifecycle(None, tmp_path) as run:
        pass
    assert run.logger is None


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (TrackbenchError("dataset.root: no such folder"), "FAILED", "dataset.root: no such folder"),
        (ValueError("bad"), "FAILED", "ValueError: bad"),
        (KeyboardInterrupt(), "KILLED", "interrupted (Ctrl-C: KeyboardInterrupt)"),
        (Terminated(), "KILLED", "terminated (SIGTERM)"),
        (WorkerKilled("camera cam0: worker killed by SIGKILL", 9), "KILLED", "camera cam0: worker killed by SIGKILL"),
    ],
)
def test_an_error_ends_the_run_and_is_reraised(tmp_path: Path, error: BaseException, status: str, message: str) -> None:
    logger = FakeLogger()
    with pytest.raises(type(error)) as raised, run_lifecycle(FakeOpening(logger), tmp_path):
        raise error  # before the job waited for the run: the lifecycle waits for it
    assert raised.value is error
    assert logger.calls == [("end", status, message)]


def test_a_pruned_trial_ends_killed_with_its_tags_and_loses_its_checkpoints(tmp_path: Path) -> None:
    checkpoints.write_run_id(tmp_path, "run-1")
    assert checkpoints.exists(tmp_path)
    logger = FakeLogger()
    pruned = TrialPruned(120, 0.5)
    with pytest.raises(TrialPruned) as raised, run_lifecycle(FakeOpening(logger), tmp_path) as run:
        run.open()
        raise pruned
    assert raised.value is pruned
    assert not checkpoints.exists(tmp_path)
    tags = {STATE_TAG: "pruned", "trackbench.pruned_at_step": "120"}
    assert logger.calls == [("log_batch", {"tags": tags}), ("end", "KILLED", None)]


def test_a_run_whose_start_failed_is_not_ended(tmp_path: Path) -> None:
    opening = FakeOpening(None, TrackbenchError("MLflow: server unreachable"))
    with pytest.raises(TrackbenchError, match="unreachable"), run_lifecycle(opening, tmp_path) as run:
        opening.check()
    assert run.logger is None


def test_an_error_while_ending_finished_ends_it_failed(tmp_path: Path) -> None:
    class Flaky(FakeLogger):
        def end(self, status: str = "FINISHED", error: str | None = None) -> None:
            super().end(status, error)
            if status == "FINISHED":
                raise OSError("store gone")

    logger = Flaky()
    with pytest.raises(OSError, match="store gone"), run_lifecycle(FakeOpening(logger), tmp_path) as run:
        run.open()
    assert logger.calls == [("end", "FINISHED", None), ("end", "FAILED", "OSError: store gone")]

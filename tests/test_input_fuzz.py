"""The validation phase on generated malformed MOT folders: it passes, or it raises one
TrackbenchError line that names the file it found wrong. Never another exception type."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from trackbench.config import load_config
from trackbench.datasets.factory import open_dataset
from trackbench.errors import TrackbenchError
from trackbench.experiment.app import validate_inputs

from .malformed import Mutation, broken_copy, mutations, valid_folder

# A bad value must become an error line, never a NumPy warning on the way (e.g. a cast to int64
# of a number it cannot hold).
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

_count = itertools.count()


def _validate(root: Path) -> tuple[str, ...]:
    cfg = load_config({"dataset": {"name": "mot", "root": str(root), "files": {"target_classes": None}}})
    dataset = open_dataset(cfg.dataset)
    return validate_inputs(cfg, dataset, dataset.cameras())


@pytest.fixture(scope="module")
def valid(tmp_path_factory) -> Path:
    return valid_folder(tmp_path_factory.mktemp("valid") / "data")


def test_the_valid_folder_validates(valid: Path) -> None:
    assert _validate(valid) == ()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=mutations())
def test_malformed_folders_fail_in_one_line_naming_the_file(valid: Path, tmp_path: Path, mutation: Mutation) -> None:
    root = broken_copy(valid, tmp_path / f"case{next(_count)}", mutation)
    try:
        _validate(root)
    except TrackbenchError as exc:
        message = str(exc)
        assert "\n" not in message, message
        assert str(root) in message or "dataset." in message, message
        named = mutation.file.split("/")[0]
        assert named in message, (mutation, message)

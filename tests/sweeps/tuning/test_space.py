"""Search spaces from Hydra's sweep syntax, values back to override text, bounds, storage URLs."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser

from hydra_plugins.trackbench_optuna_sweeper.overrides import parse, value_text
from trackbench.errors import TrackbenchError
from trackbench.sweeps.tuning.location import absolute_storage, default_storage
from trackbench.sweeps.tuning.space import CategoricalParam, FloatParam, IntParam, contains, on_bound


def test_sweep_syntax_becomes_a_search_space():
    space, fixed = parse(
        [
            "a=interval(0.1, 0.6)",
            "b=range(5, 61, step=5)",
            "c=range(1, 6)",
            "d=choice(iou, giou)",
            "e=interval(1, 100)",
            "f=tag(log, interval(0.001, 1.0))",
            "g=range(0.1, 0.5, step=0.1)",
            "dataset.synthetic.n_frames=60",
            "+extra=1",
        ]
    )
    assert space == {
        "a": FloatParam(0.1, 0.6),
        "b": IntParam(5, 60, 5),
        "c": IntParam(1, 5),
        "d": CategoricalParam(("iou", "giou")),
        "e": FloatParam(1.0, 100.0),  # Hydra reads interval() bounds as floats: ints use range()
        "f": FloatParam(0.001, 1.0, log=True),
        "g": FloatParam(0.1, pytest.approx(0.4), step=0.1),
    }
    assert fixed == {"dataset.synthetic.n_frames": "dataset.synthetic.n_frames=60", "+extra": "+extra=1"}


def test_a_later_line_replaces_an_earlier_one():
    space, fixed = parse(["a=interval(0.1, 0.6)", "a=0.3", "b=1", "b=choice(1, 2)"])
    assert space == {"b": CategoricalParam((1, 2))}
    assert fixed == {"a": "a=0.3"}


def test_an_empty_range_is_refused():
    with pytest.raises(TrackbenchError, match="empty range"):
        parse(["a=range(5, 5)"])


@pytest.mark.parametrize("value", [0.14252210568488896, 1e-7, 5, 0, True, False, None, "iou", "a b", "1.5", "null"])
def test_value_text_parses_back_to_the_same_value(value):
    parsed = OverridesParser.create().parse_override(f"k={value_text(value)}").value()
    assert parsed == value and type(parsed) is type(value)


def test_contains_respects_steps_and_kinds():
    assert contains(IntParam(5, 60, 5), 30) and not contains(IntParam(5, 60, 5), 31)
    assert contains(FloatParam(0.1, 0.6), 0.3) and not contains(FloatParam(0.1, 0.6), 0.7)
    assert not contains(FloatParam(0.0, 1.0), True)
    assert contains(CategoricalParam(("iou", "giou")), "iou") and not contains(CategoricalParam(("iou",)), "ciou")


def test_best_values_on_a_bound_are_named():
    space = {
        "a": FloatParam(0.0, 1.0),
        "b": IntParam(5, 60, 5),
        "c": IntParam(1, 5),
        "d": CategoricalParam(("x", "y")),
        "e": FloatParam(0.0, 1.0),
    }
    best = {"a": 0.995, "b": 60, "c": 1, "d": "y", "e": 0.5}
    assert on_bound(space, best) == {"a": "high", "b": "high", "c": "low"}


def test_default_storage_sits_beside_the_mlflow_sqlite_store(tmp_path):
    assert default_storage("sqlite:///mlflow.db", tmp_path) == f"sqlite:///{tmp_path}/optuna.db"
    assert default_storage("sqlite:////data/runs/mlflow.db", tmp_path) == "sqlite:////data/runs/optuna.db"
    assert default_storage("http://mlflow:5000", tmp_path) == f"sqlite:///{tmp_path}/optuna.db"
    assert absolute_storage("sqlite:///sub/x.db", Path("/w")) == "sqlite:////w/sub/x.db"
    assert absolute_storage("postgresql+psycopg://u:p@h/db", Path("/w")) == "postgresql+psycopg://u:p@h/db"

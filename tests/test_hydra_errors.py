"""Hydra's composition errors as one line naming the key or config, with the closest name."""

from __future__ import annotations

import pytest
from hydra import compose, initialize_config_module

from trackbench.cli._hydra_errors import compose_error_line


def error_line(*overrides: str) -> str | None:
    with initialize_config_module("trackbench.config.conf", version_base="1.3"), pytest.raises(Exception) as info:
        compose("config", overrides=list(overrides))
    return compose_error_line(info.value)


@pytest.mark.parametrize(
    ("override", "line"),
    [
        ("tracker.n_inti=3", "tracker.n_inti: no such config key (did you mean tracker.n_init?)"),
        (
            "tracker.ocsort.delta_tt=2",
            "tracker.ocsort.delta_tt: no such config key (did you mean tracker.ocsort.delta_t?)",
        ),
        ("trakcer=ocsort", "trakcer: no such config key (did you mean tracker?)"),
        ("tracker.zzz=1", "tracker.zzz: no such config key"),
        ("+tracker=sort", "Multiple values for tracker. To override a value use 'override tracker: sort'"),
        ("tracker.n_init=[", "cannot parse an override: no viable alternative at input '['"),
    ],
)
def test_composition_errors_become_one_line(override, line):
    assert error_line(override) == line


def test_a_missing_config_names_its_group_and_the_options():
    line = error_line("tracker=ocsrt")
    assert line.startswith("tracker=ocsrt: no such config (did you mean ocsort?); choose one of boosttrack, botsort, ")
    assert "\n" not in line and "sort" in line.rsplit(", ", 1)[-1]


def test_other_exceptions_are_not_claimed():
    assert compose_error_line(ValueError("x")) is None

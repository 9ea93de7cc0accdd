"""How a sweep spreads its trials over the cores (trackbench.experiment._cores.sweep_plan)."""

from __future__ import annotations

import pytest

from trackbench.experiment._cores import MAX_IN_FLIGHT, TRIALS_PER_SLOT, resolve_workers, sweep_plan


@pytest.mark.parametrize(
    ("cores", "trials", "plan"),
    [
        (2, 50, (2, 1)),  # the example: 2 trials of 1 worker on 2 cores
        (2, 200, (2, 1)),
        (2, 20, (1, 2)),  # a 20-trial study: one trial at a time, the cores to its cameras
        (1, 200, (1, 1)),
        (4, 100, (4, 1)),
        (4, 50, (2, 2)),  # 2 slots of 25 trials, the other cores to their cameras
        (8, 100, (4, 2)),
        (64, 1000, (MAX_IN_FLIGHT, 8)),
        (2, 2 * TRIALS_PER_SLOT - 1, (1, 2)),  # too short to pay a second process's start-up
        (2, 4, (1, 2)),
        (2, 0, (1, 2)),
    ],
)
def test_sweep_plan(cores, trials, plan):
    assert sweep_plan(cores, trials) == plan


@pytest.mark.parametrize("cores", range(1, 40))
@pytest.mark.parametrize("trials", [0, 1, 5, 9, 10, 20, 39, 40, 100, 10_000])
def test_the_plan_never_oversubscribes_and_keeps_the_cores_busy(cores, trials):
    in_flight, workers = sweep_plan(cores, trials)
    assert 1 <= in_flight <= min(cores, MAX_IN_FLIGHT) and workers >= 1
    assert in_flight * workers <= cores
    assert in_flight * (workers + 1) > cores, "no whole core left idle"
    assert in_flight == 1 or trials >= in_flight * TRIALS_PER_SLOT


def test_a_job_has_at_most_one_worker_per_camera():
    assert resolve_workers(8, 3) == 3
    assert resolve_workers(1, 3) == 1
    assert resolve_workers(None, 1) == 1


@pytest.mark.parametrize("cores", [1, 2, 8])
@pytest.mark.parametrize("todo", [1, 20, 50, 400])
def test_auto_in_flight_is_the_plan_only_where_a_study_repeats_bit_for_bit(cores, todo):
    # The sweeper and the sweep callback (which starts the forkserver only when trials run in
    # the driver) read the same rule.
    from trackbench.experiment._cores import auto_in_flight

    plan = sweep_plan(cores, todo)[0]
    assert auto_in_flight(cores, todo, workers_set=False, pruning=False) == plan
    assert auto_in_flight(cores, todo, workers_set=True, pruning=False) == 1
    assert auto_in_flight(cores, todo, workers_set=False, pruning=True) == 1

"""Multirun: child runs under one parent, parallel jobs on SQLite, Optuna's objective."""

from __future__ import annotations

import json

import pytest
import yaml

from trackbench.record.mlflow_log import ROLE_TAG, SWEEP_TAG

from .conftest import local_client, local_runs, sweep_family

pytestmark = pytest.mark.slow

SMALL = ("dataset.synthetic.n_cameras=2", "dataset.synthetic.n_frames=60", "runner.workers=1")


def test_two_tracker_kinds_two_children_under_one_parent(cli, tmp_path):
    cli("-m", "tracker=ocsort,bytetrack", *SMALL, "hydra.sweep.dir=sweep")
    all_runs = local_runs(tmp_path)
    parent, children = sweep_family(all_runs)
    assert len(all_runs) == 3
    assert parent.info.status == "FINISHED"
    assert sorted(r.data.tags["tracker_kind"] for r in children) == ["bytetrack", "ocsort"]
    assert all(r.info.status == "FINISHED" and "idf1" in r.data.metrics for r in children)


def test_parallel_jobs_on_sqlite_lose_nothing(cli, tmp_path):
    proc = cli(
        "-m",
        "tracker.n_init=1,2,3,4",
        *SMALL,
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        "hydra.sweep.dir=sw",
        "eval.attribution=all",  # every job logs its fix/ metrics (best: only the best job, at the sweep's end)
    )
    parent, children = sweep_family(local_runs(tmp_path))
    assert sorted(r.data.params["tracker.n_init"] for r in children) == ["1", "2", "3", "4"]
    n_metrics = {len(r.data.metrics) for r in children}
    n_params = {len(r.data.params) for r in children}
    assert len(n_metrics) == 1 and len(n_params) == 1, "every job logged the same set of keys"
    assert all(r.info.status == "FINISHED" for r in children) and parent.info.status == "FINISHED"
    # The standing was live: the joblib jobs themselves logged it to the parent as they finished
    # (best objective at step = jobs finished so far), then the driver logged the final one.
    history = local_client(tmp_path).get_metric_history(parent.info.run_id, "best_idf1")
    steps = sorted({m.step for m in history})
    assert steps[-1] == 4 and steps[0] < 4, steps
    assert max(m.value for m in history if m.step == 4) == max(r.data.metrics["idf1"] for r in children)
    (line,) = [x for x in proc.stdout.splitlines() if x.startswith("sweep compare view: ")]
    assert "#/compare-runs?runs=" in line and all(r.info.run_id in line for r in children)


def test_optuna_sweep_optimises_the_returned_objective(cli, tmp_path):
    cli("hparams_search=ocsort_optuna", "hydra.sweeper.n_trials=3", *SMALL, "hydra.sweep.dir=opt")
    best = yaml.safe_load((tmp_path / "opt" / "optimization_results.yaml").read_text())
    _, children = sweep_family(local_runs(tmp_path))
    assert len(children) == 3
    assert best["best_value"] == pytest.approx(max(r.data.metrics["idf1"] for r in children))


def test_experiment_configs_compose(cli):
    for experiment in ("compare_kinds", "smoke"):
        proc = cli(f"experiment={experiment}", "--cfg", "job")
        assert "tracker" in proc.stdout


def test_a_sweep_mixing_frame_sets_is_refused_before_any_job(cli, tmp_path):
    for args in (
        ("-m", "eval.frames=detected,reported"),
        ("-m", "tracker.backend=python,cpp", "eval.frames=detected"),
    ):
        proc = cli(*args, *SMALL, "hydra.sweep.dir=mixed", check=False)
        assert proc.returncode == 2, proc.stderr
        (line,) = proc.stderr.strip().splitlines()
        assert line.startswith("trackbench: error: ") and "eval.frames" in line
    assert not (tmp_path / "mixed" / "0").exists(), "no job ran"
    assert not (tmp_path / "mlflow.db").exists(), "no MLflow run was started"


def _need_cpp():
    from tests.tracking.test_native import need_native

    need_native("ocsort")


def test_cpp_grid_and_joblib_sweeps_score_as_python(cli, tmp_path):
    _need_cpp()
    grid = ("tracker.n_init=1,3", "tracker.max_coast_frames=5,30")
    cli("-m", *grid, *SMALL, "tracker.backend=cpp", "hydra.sweep.dir=cpp")
    cli(
        "-m",
        *grid,
        *SMALL,
        "tracker.backend=cpp",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        "hydra.sweep.dir=jl",
    )
    cli("-m", *grid, *SMALL, "hydra.sweep.dir=py")
    runs = local_runs(tmp_path)
    by_sweep: dict[str, dict] = {}
    for run in runs:
        sweep = run.data.tags.get(SWEEP_TAG, "")
        if run.data.tags.get(ROLE_TAG) != "sweep" and sweep:
            key = (run.data.params["tracker.n_init"], run.data.params["tracker.max_coast_frames"])
            by_sweep.setdefault(sweep.rsplit("/", 1)[-1], {})[key] = run
    assert {k: len(v) for k, v in by_sweep.items()} == {"cpp": 4, "jl": 4, "py": 4}
    for key, py in by_sweep["py"].items():
        for name in ("cpp", "jl"):
            cpp = by_sweep[name][key]
            assert cpp.info.status == "FINISHED" and cpp.data.params["tracker.backend"] == "cpp"
            assert cpp.data.params["eval.frames"] == "reported"
            for metric in ("idf1", "mota", "hota", "num_switches", "num_misses", "num_false_positives"):
                assert cpp.data.metrics[metric] == pytest.approx(py.data.metrics[metric], rel=1e-9), (name, key)


def test_cpp_optuna_sweep_gives_the_python_trials(cli, tmp_path):
    _need_cpp()
    for backend in ("python", "cpp"):
        cli(
            "hparams_search=ocsort_optuna",
            "hydra.sweeper.n_trials=3",
            *SMALL,
            f"tracker.backend={backend}",
            f"hydra.sweep.dir={backend}",
        )
    best = {b: yaml.safe_load((tmp_path / b / "optimization_results.yaml").read_text()) for b in ("python", "cpp")}
    assert best["cpp"] == best["python"], "same trials, same objectives, same best"


@pytest.mark.parametrize("policy", ["best", "all", "none"])
def test_plot_policy_of_a_sweep(cli, tmp_path, policy):
    """runner.plots=best (the default): a sweep's jobs draw no plots; the sweep draws its best
    job's at its end, into that job's folder and run. all: every job draws; none: nobody.
    eval.attribution=best (the default, whatever the plots): likewise, only the best job gets
    its error attribution (metrics.json and fix/ metrics), added at the sweep's end."""
    proc = cli("-m", "tracker=ocsort,sort", *SMALL, f"runner.plots={policy}", "hydra.sweep.dir=sw")
    client = local_client(tmp_path)
    _, children = sweep_family(local_runs(tmp_path))
    best = max(children, key=lambda r: r.data.metrics["idf1"])
    for run in children:
        folder = tmp_path / "sw" / run.data.tags["output_dir"].rsplit("/", 1)[-1]
        logged = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
        drawn = sorted(p.name for p in (folder / "plots").glob("*.png"))
        expected = policy == "all" or (policy == "best" and run.info.run_id == best.info.run_id)
        pictures = ["metrics.png", "timeline.png", "windows.png"] + [
            f"{kind}_{camera}.png" for kind in ("errors", "identity") for camera in ("cam0", "cam1")
        ]
        assert (drawn == sorted(pictures)) is expected, (run.info.run_name, drawn)
        assert bool(logged) is expected, (run.info.run_name, logged)
        is_best = run.info.run_id == best.info.run_id
        assert ("attribution" in json.loads((folder / "metrics.json").read_text())) is is_best
        assert ("fix/idsw/idf1" in run.data.metrics) is is_best
    assert ("plots of the best job" in proc.stdout) is (policy == "best")
    assert "error attribution of the best job" in proc.stdout

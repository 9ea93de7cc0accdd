"""A 3-kind sweep as a user sees it in the MLflow UI: a live `mlflow server` on 127.0.0.1 and
Debian's headless Chromium rendering the runs table and the compare view.

Screenshots go to ``$TRACKBENCH_SCREENSHOTS`` (default: the test's temp dir); the docs' pictures
(docs/img/, shown in the README and docs/mlflow.md) come from this test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from trackbench.record.mlflow_log import UI_VIEW, run_address

from .conftest import sweep_family
from .servers import MlflowServer

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def ui_server(tmp_path):
    root = tmp_path / "server"
    root.mkdir()
    server = MlflowServer(f"sqlite:///{root / 'store.db'}", root, workers=1)
    server.start()
    yield server.uri
    server.stop()


def text(dom: str) -> str:
    """The page's visible words, one space between them."""
    return " ".join(re.sub(r"<[^>]+>", " ", dom).split()) + " "


def render(url: str, screenshot: Path) -> str:
    """The page's DOM after its scripts ran, and a screenshot, from headless Chromium."""
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--virtual-time-budget=15000", "--window-size=1600,1000",
    ]  # fmt: skip
    for what in ("--dump-dom", f"--screenshot={screenshot}"):
        with tempfile.TemporaryDirectory() as profile:
            proc = subprocess.run(
                [CHROMIUM, *flags, f"--user-data-dir={profile}", what, url], capture_output=True, text=True, timeout=120
            )
        if what == "--dump-dom":
            dom = proc.stdout
    assert screenshot.stat().st_size > 10_000, "empty screenshot"
    return dom


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_sweep_is_readable_in_the_mlflow_ui(cli, tmp_path, ui_server):
    shots = Path(os.environ.get("TRACKBENCH_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    proc = cli(
        "-m", "experiment=smoke", "tracker=ocsort,bytetrack,sort", f"mlflow.tracking_uri={ui_server}",
        "runner.workers=1", "eval.bootstrap.samples=200",
    )  # fmt: skip
    client = MlflowClient(tracking_uri=ui_server)
    experiment = client.get_experiment_by_name("trackbench")
    parent, children = sweep_family(client.search_runs([experiment.experiment_id]))
    names = sorted(r.info.run_name for r in children)
    assert names == ["bytetrack #1", "ocsort #0", "sort #2"]
    assert parent.info.run_name.startswith("sweep ") and "tracker=ocsort,bytetrack,sort" in parent.info.run_name
    for run in children:
        assert len(run.data.metrics) <= 40 and len(run.data.params) <= 25, run.info.run_name
        assert run.inputs.dataset_inputs and run.data.tags["mlflow.note.content"]
    pattern = r"^(mlflow ui|sweep compare view|mlflow runs table, sorted by the objective): (\S+)$"
    printed = dict(re.findall(pattern, proc.stdout, re.M))  # the last of each
    assert printed["mlflow ui"].startswith(f"{ui_server}/#/experiments/{experiment.experiment_id}/runs/")
    # The parent carries the sweep's result: best job, counts, leaderboard and plot.
    best = max(children, key=lambda r: r.data.metrics["idf1"])
    parent = client.get_run(parent.info.run_id)
    assert parent.data.tags["trackbench.best_run"] == best.info.run_name
    assert parent.data.tags["trackbench.best_run_id"] == best.info.run_id
    assert parent.data.metrics["best_idf1"] == best.data.metrics["idf1"]
    assert (parent.data.tags["trackbench.jobs_finished"], parent.data.tags["trackbench.jobs_failed"]) == ("3", "0")
    note = parent.data.tags["mlflow.note.content"]  # the leaderboard as the run page's description
    assert note.startswith(f"**best: {best.info.run_name}, idf1 {best.data.metrics['idf1']:.4f}** (jobs: 3 finished")
    report = {a.path for a in client.list_artifacts(parent.info.run_id, "report")}
    assert report == {"report/leaderboard.csv", "report/leaderboard.md", "report/comparison.png"}

    # Every address trackbench gives opens MLflow 3's Model training view, not its GenAI one.
    table = render(run_address(ui_server, experiment.experiment_id), shots / "mlflow-runs.png")
    assert parent.info.run_name[:20] in table, "the sweep's parent run is listed by its name"
    assert "which tracker, with which settings" in table, "the experiment's description is shown"
    (shown,) = [r for r in children if f"/runs/{r.info.run_id}?" in printed["mlflow ui"]]
    run_page = render(printed["mlflow ui"], shots / "mlflow-run.png")
    assert shown.info.run_name in run_page and shown.data.tags["mlflow.note.content"][:40] in run_page
    for page in (table, run_page):
        assert "Model registry" in text(page) and "Evaluation runs" not in text(page), "the Model training view"

    # The best job's run page shows its diagnosis pictures under Artifacts (the sweep drew them).
    identity_png = "plots/identity_cam0.png"
    page = printed["mlflow ui"].replace(
        f"/runs/{shown.info.run_id}?", f"/runs/{best.info.run_id}/artifacts/{identity_png}?"
    )
    plots_page = text(render(page, shots / "mlflow-plots.png"))
    assert identity_png in plots_page and "Artifacts" in plots_page, "the identity timeline is shown"
    logged = {a.path for a in client.list_artifacts(best.info.run_id, "plots")}
    assert {identity_png, "plots/errors_cam0.png", "plots/identity_cam1.png", "plots/errors_cam1.png"} <= logged

    # The printed runs table is sorted by the objective, best first (its column is the browser's choice).
    sorted_table = text(render(printed["mlflow runs table, sorted by the objective"], shots / "mlflow-sorted.png"))
    assert "Sort: idf1" in sorted_table, "the table says what it is sorted by"
    order = sorted(children, key=lambda r: -r.data.metrics["idf1"])
    positions = [sorted_table.find(r.info.run_name) for r in order]
    assert -1 not in positions and positions == sorted(positions), (positions, [r.info.run_name for r in order])

    compare_url = printed["sweep compare view"]
    assert compare_url.endswith(UI_VIEW) and all(r.info.run_id in compare_url for r in children)
    compare = render(compare_url, shots / "mlflow-compare.png")
    assert "Model registry" in text(compare), "the Model training view"
    for run in children:
        assert run.info.run_name in compare, run.info.run_name
        # the compare view rounds metrics to 3 decimals
        assert f" {round(run.data.metrics['idf1'], 3)} " in text(compare), ("idf1 shown", run.info.run_name)
    # The parallel-coordinates axes are drawn from params that differ: only the tracker kind.
    assert (
        "tracker.tracker_kind" in compare and "tracker.ocsort." not in compare and "tracker.bytetrack." not in compare
    )

"""Importing trackbench stays cheap: no module imports a heavy library when it is imported.

boxmot (and torch), mlflow, matplotlib, motmetrics and pandas, and Optuna each have one door
module (pyproject's import contracts), which imports its library where it is used, never at
module level. A fresh interpreter imports every module of trackbench and of the sweeper plugin,
one after another, and none of them may be loaded then: ``sys.modules`` only grows, so one
process importing them all is as strict as a process per module, and it names the first module
after which a heavy library appeared.
"""

from __future__ import annotations

import json
import subprocess
import sys

from trackbench.config import AppConfig, DatasetConfig, RunnerConfig
from trackbench.datasets.factory import open_dataset
from trackbench.datasets.synthetic import SyntheticConfig
from trackbench.experiment import runner
from trackbench.tracking import adapter

HEAVY = ("boxmot", "torch", "mlflow", "matplotlib", "motmetrics", "pandas", "optuna")
DOORS = (
    "trackbench.tracking.adapter",
    "trackbench.record.mlflow_log",
    "trackbench.plots.charts",
    "trackbench.plots.diagnosis",
    "trackbench.scoring.clear",
    "trackbench.sweeps.tuning.study",
    "trackbench.sweeps.tuning.learned",
)

_IMPORT_ALL = f"""
import importlib, json, pkgutil, sys

import hydra_plugins.trackbench_optuna_sweeper as plugin
import trackbench

heavy = {HEAVY!r}
names = [trackbench.__name__, plugin.__name__]
for package in (trackbench, plugin):
    names += [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
# __main__ runs the CLI; conf holds the YAML config groups
names = [n for n in names if n != "trackbench.__main__" and not n.startswith("trackbench.config.conf")]
first = {{}}
for name in names:
    importlib.import_module(name)
    for lib in heavy:
        if lib in sys.modules:
            first.setdefault(lib, name)
print(json.dumps({{"imported": names, "heavy": first}}))
"""


def _run(code: str) -> str:
    """``code``'s output in a fresh interpreter."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True).stdout


def test_no_trackbench_module_imports_a_heavy_library_when_imported():
    found = json.loads(_run(_IMPORT_ALL).splitlines()[-1])
    assert set(DOORS) <= set(found["imported"]), "every door module was imported"
    assert len(found["imported"]) > 80
    assert found["heavy"] == {}, f"heavy library: the first module after which it was loaded: {found['heavy']}"


def test_the_adapter_preload_imports_boxmot_and_torch():
    """What the runner calls before forking camera workers, so that they inherit the tracker code."""
    code = (
        "import sys; from trackbench.tracking import adapter; assert 'boxmot' not in sys.modules; "
        "adapter.preload(); print(sorted(m for m in ('boxmot', 'torch') if m in sys.modules))"
    )
    assert _run(code).splitlines()[-1] == "['boxmot', 'torch']"


def test_the_charts_load_imports_matplotlib_with_agg():
    code = (
        "import sys; from trackbench.plots import charts; assert 'matplotlib' not in sys.modules; "
        "charts.load(); import matplotlib; print('matplotlib.pyplot' in sys.modules, matplotlib.get_backend())"
    )
    assert _run(code).lower().split() == ["true", "agg"]


def test_the_runner_preloads_the_tracker_code_before_tracking(monkeypatch):
    cfg = AppConfig(
        dataset=DatasetConfig(synthetic=SyntheticConfig(n_cameras=1, n_frames=10)),
        runner=RunnerConfig(workers=1, progress="never"),
    )
    calls = []
    monkeypatch.setattr(adapter, "preload", lambda: calls.append("preload"))
    runner.run(open_dataset(cfg.dataset), cfg, None, on_camera=lambda outcome: calls.append("camera"))
    assert calls == ["preload", "camera"]

"""The ``trackbench-benchmark`` command: a thin Hydra app around :mod:`trackbench.benchmark.protocol`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

import hydra_plugins.trackbench_optuna_sweeper.config  # noqa: F401  (registers the sweeper: hparams_search composes)
from trackbench.benchmark.protocol import BenchmarkSettings, check_settings, run_benchmark, study_overrides
from trackbench.cli._hydra_errors import report_in_one_line
from trackbench.cli.main import expose_sweeper_plugin, skip_final_collection
from trackbench.config import load_config
from trackbench.config.tree import plain_tree
from trackbench.datasets.factory import open_dataset
from trackbench.errors import TrackbenchError, config_error_line

if TYPE_CHECKING:
    from trackbench.benchmark.protocol import Step

_OWN_KEYS = ("kinds", "trials")


def _validator(step: Step) -> None:
    """Compose a step's config as its ``trackbench`` process will (minus the study's best
    settings, which do not exist yet) and validate it, so a bad key fails before any run."""
    from hydra import compose

    overrides = [o for o in step.args if not o.startswith("hydra.")]
    composed = compose("config", overrides=overrides, return_hydra_config=True)
    if step.role != "study" and composed.hydra.mode == RunMode.MULTIRUN:  # e.g. experiment=compare_kinds
        preset = next((o for o in overrides if o.lstrip("+").startswith("experiment=")), "an override")
        raise TrackbenchError(
            f"{preset} is a sweep (hydra.mode=MULTIRUN); trackbench-benchmark runs single runs and its own studies: "
            "give it a preset that sets data and settings"
        )
    tree = plain_tree(compose("config", overrides=overrides), drop=("hydra",))
    cfg = load_config(tree)
    # the split's data exists
    if step.role in ("defaults_tune", "defaults_test") and not open_dataset(cfg.dataset).cameras():
        raise TrackbenchError(f"dataset.split={tree['dataset']['split']}: no cameras selected")


@hydra.main(version_base="1.3", config_path="pkg://trackbench.config.conf", config_name="benchmark")
def _app(cfg: DictConfig) -> None:
    hc = HydraConfig.get()
    try:
        kinds = list(cfg.kinds) if OmegaConf.is_list(cfg.kinds) else [cfg.kinds]
        task = [o for o in hc.overrides.task if o.split("=", 1)[0].lstrip("+~") not in _OWN_KEYS]
        hydra_overrides = list(hc.overrides.hydra)
        check_settings([str(k) for k in kinds], cfg.trials, task, hydra_overrides)
        tree = plain_tree(cfg, drop=(*_OWN_KEYS, "hydra"))
        settings = BenchmarkSettings(
            kinds=tuple(str(k) for k in kinds),
            trials=int(cfg.trials),
            folder=Path(hc.runtime.output_dir).resolve(),
            overrides=tuple(task),
            study_overrides=study_overrides(hydra_overrides),
            config_dir=next(
                (c.path for c in hc.runtime.config_sources if c.provider == "command-line" and c.schema == "file"), None
            ),
        )
        report = run_benchmark(settings, tree, (sys.executable, "-m", "trackbench"), _validator)
    except TrackbenchError as exc:
        print(f"trackbench-benchmark: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except Exception as exc:  # omegaconf's and Hydra's config errors (a step's config) name the key
        if (line := config_error_line(exc)) is None:
            raise
        print(f"trackbench-benchmark: error: {line}", file=sys.stderr)
        sys.exit(2)
    print(report)


def main() -> None:
    skip_final_collection()
    expose_sweeper_plugin()
    report_in_one_line("trackbench-benchmark")
    try:
        _app()
    except KeyboardInterrupt:  # the benchmark's parent run is already marked KILLED
        print("trackbench-benchmark: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()

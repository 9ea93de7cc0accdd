"""The ``trackbench`` command: a thin Hydra app around :func:`trackbench.app.run_experiment`."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from trackbench.errors import TrackbenchError

log = logging.getLogger("trackbench")


@hydra.main(version_base="1.3", config_path="pkg://trackbench.conf", config_name="config")
def _app(cfg: DictConfig) -> float:
    from trackbench.app import run_experiment
    from trackbench.naming import run_name
    from trackbench.summary import format_summary
    from trackbench.sweep import parent_run_id, swept_keys_of

    hc = HydraConfig.get()
    output_dir = Path(hc.runtime.output_dir)
    # Spelled as the sweep callback spells it (str(Path(...))), so the tags of the jobs and of
    # their parent run match whatever form hydra.sweep.dir was given in.
    sweep_dir = str(Path(hc.sweep.dir)) if hc.mode == RunMode.MULTIRUN else None
    try:
        tree = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
        overrides = list(hc.overrides.task)
        kind = str(OmegaConf.select(cfg, "tracker.tracker_kind", default="?"))
        if sweep_dir:
            name = run_name(kind, overrides, swept_keys_of(sweep_dir), hc.job.num)
        else:
            name = run_name(kind, overrides)
        result = run_experiment(
            tree,
            output_dir,
            config_yaml=OmegaConf.to_yaml(cfg, resolve=True),
            parent_run_id=parent_run_id(sweep_dir) if sweep_dir else None,
            sweep_dir=sweep_dir,
            default_run_name=name,
            overridden=[o.partition("=")[0] for o in overrides],
        )
    except TrackbenchError as exc:
        print(f"trackbench: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except Exception as exc:  # omegaconf's MissingMandatoryValue and friends name the key
        if type(exc).__module__.startswith("omegaconf"):
            key = getattr(exc, "full_key", None)
            message = str(exc).splitlines()[0]
            print(
                f"trackbench: error: {key}: {message}" if key else f"trackbench: error: {message}",
                file=sys.stderr,
            )
            sys.exit(2)
        raise
    print(format_summary(result), file=sys.stdout)
    return result.objective


def main() -> None:
    logging.captureWarnings(True)
    try:
        _app()
    except KeyboardInterrupt:  # the run (if one started) is already marked KILLED
        print("trackbench: interrupted", file=sys.stderr)
        sys.exit(130)  # 128 + SIGINT, as shells report it


if __name__ == "__main__":
    main()

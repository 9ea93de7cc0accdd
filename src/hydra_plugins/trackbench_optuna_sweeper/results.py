"""What a study's session leaves in its sweep folder and on its MLflow parent run: the results
file, the best trial's config (one objective) or the Pareto front with a config per member
(several), and what the study learned (importance, history and slice plots).

No ``from __future__ import annotations``: Hydra executes plugin modules before they are in
``sys.modules``, where the dataclass would look string annotations up."""

import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.types import HydraContext
from omegaconf import DictConfig, OmegaConf

from hydra_plugins.trackbench_optuna_sweeper import overrides as ov
from trackbench.sweeps import report as sweep_report
from trackbench.sweeps.folder import parent_run_id
from trackbench.sweeps.tuning.location import LEARNED_DIR, PARETO_DIR
from trackbench.sweeps.tuning.space import on_bound

log = logging.getLogger(__name__)
BEST_FILE = Path("experiment") / "best.yaml"  # in the sweep dir: `--config-dir <sweep dir> experiment=best`
RESULTS_FILE = "optimization_results.yaml"
_DROPPED = ("hydra", "mlflow", "tuning")  # not part of what a trial computes


def safe_url(url: str) -> str:
    """A storage URL without its password."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


@dataclass(frozen=True)
class ResultsWriter:
    config: DictConfig  # the sweep's composed config (hydra node included)
    hydra_context: HydraContext  # composes a trial's config again
    app_cfg: Any  # the validated AppConfig
    study_name: str

    def write(self, study: Any, space: dict[str, Any], fixed: dict[str, str], spec: Any) -> None:
        """``optimization_results.yaml``; the best config or the Pareto front; what the study
        learned; all of it on the sweep's parent run."""

        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        trials = study.trials()
        states = {s: sum(t.state == s for t in trials) for s in sorted({t.state for t in trials})}
        best = study.best()
        results: dict[str, Any] = {"name": "optuna", "study_name": spec.name, "storage": safe_url(spec.storage),
                                   "direction": spec.direction, "n_trials": len(trials), "states": states}  # fmt: skip
        tags = {"trackbench.study": spec.name, "trackbench.trial_states": str(states)}
        names = self.app_cfg.objective.names
        if len(spec.senses) > 1:
            del results["direction"]
            results.update(metrics=list(names), directions=list(spec.senses))
            front = self._write_pareto(study, sweep_dir, fixed, names)
            results["pareto_front"] = [{"trial": t.number, "values": list(t.values or ()), "params": t.params}
                                       for t in front]  # fmt: skip
            tags["trackbench.pareto_trials"] = " ".join(str(t.number) for t in front)
        elif best is None:
            log.warning("study %r has no completed trial: no best config", spec.name)
        else:
            bounds = on_bound(space, best.params)
            for key, side in bounds.items():
                log.warning("best %s=%r lies on the %s bound of its range: widen the range", key,
                            best.params[key], side)  # fmt: skip
            results.update(best_trial=best.number, best_value=best.value, best_params=best.params,
                           best_on_bound=bounds)  # fmt: skip
            self._write_best(sweep_dir, best, fixed)
            tags.update({"trackbench.best_trial": str(best.number), "trackbench.best_value": repr(best.value)})
            if bounds:
                tags["trackbench.best_on_bound"] = ", ".join(f"{k}={v}" for k, v in bounds.items())
            log.info("best trial %d: %g with %s", best.number, best.value, best.params)
        OmegaConf.save(OmegaConf.create(results), sweep_dir / RESULTS_FILE)
        # Importances, history and slices, drawn in their own process while the sweep callback
        # completes the best job; the callback waits for them, then logs them to the parent run.
        from trackbench.sweeps import learned_drawing  # numpy and up: not on every command

        learned_drawing.start(spec, names, sweep_dir / LEARNED_DIR, f"study {self.study_name}")
        self._log_parent(sweep_dir, tags, with_best=best is not None)

    def _write_pareto(self, study: Any, sweep_dir: Path, fixed: dict[str, str], names: tuple[str, ...]) -> list[Any]:
        """``pareto/trial_<number>.yaml`` for each front member, the front as a table and Optuna's plot."""
        from trackbench.sweeps.tuning.learned import draw_pareto  # numpy and up: not on every command

        folder = sweep_dir / PARETO_DIR
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        front = study.pareto()
        if not front:
            log.warning("study %r has no completed trial: no Pareto front", self.study_name)
            return front
        rows = []
        for t in front:
            values = ", ".join(f"{n} {v!r}" for n, v in zip(names, t.values, strict=True))
            header = (
                "# @package _global_\n"
                f"# Trial {t.number} of Optuna study {self.study_name!r}, on its Pareto front: {values}.\n"
                f"# Run it again:  trackbench --config-dir {sweep_dir.resolve()} +{PARETO_DIR}=trial_{t.number}\n"
            )
            self._write_config(folder / f"trial_{t.number}.yaml", header, t.params, fixed)
            rows.append({"trial": t.number, **dict(zip(names, t.values, strict=True)), **t.params})
        goals = ", ".join(f"{n} ({d})" for n, d in zip(names, study.spec.senses, strict=True))
        title = f"Pareto front of study {self.study_name}: {goals}"
        (folder / "front.csv").write_text(sweep_report.as_csv(rows))
        (folder / "front.md").write_text(sweep_report.as_markdown(rows, title))
        try:
            draw_pareto(study, names, folder / "front.png", f"study {self.study_name}")
        except Exception as exc:  # the table and configs stand without the plot
            log.warning("the Pareto front could not be drawn: %s: %s", type(exc).__name__, exc)
        log.info("Pareto front: trials %s; replay one: trackbench --config-dir %s +%s=trial_<number>",
                 [t.number for t in front], sweep_dir.resolve(), PARETO_DIR)  # fmt: skip
        return front

    def _write_best(self, sweep_dir: Path, best: Any, fixed: dict[str, str]) -> None:
        header = (
            "# @package _global_\n"
            f"# Best trial {best.number} of Optuna study {self.study_name!r}: objective {best.value!r}.\n"
            f"# Run it again:  trackbench --config-dir {sweep_dir.resolve()} experiment=best\n"
        )
        self._write_config(sweep_dir / BEST_FILE, header, best.params, fixed)

    def _write_config(self, path: Path, header: str, params: dict[str, Any], fixed: dict[str, str]) -> None:
        """A trial's composed config (without hydra, mlflow, tuning) as a replayable preset."""
        job = [*(f"{k}={ov.value_text(v)}" for k, v in params.items()), *fixed.values()]
        composed = self.hydra_context.config_loader.load_sweep_config(self.config, job)
        keep = [str(k) for k in composed if k not in _DROPPED]
        tree = OmegaConf.to_container(OmegaConf.masked_copy(composed, keep), resolve=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + OmegaConf.to_yaml(OmegaConf.create(tree)))

    def _log_parent(self, sweep_dir: Path, tags: dict[str, str], *, with_best: bool) -> None:
        if not self.app_cfg.mlflow.enabled:
            return
        from trackbench.record.mlflow_log import RunLogger  # numpy and up: not on every command

        run_id = parent_run_id(str(sweep_dir))
        if run_id is None:
            return
        logger = RunLogger(self.app_cfg.mlflow)
        logger.run_id = run_id
        logger.log_batch(tags=tags)
        logger.log_file(sweep_dir / RESULTS_FILE, "best")
        if with_best:
            logger.log_file(sweep_dir / BEST_FILE, "best/experiment")
        if (sweep_dir / PARETO_DIR).is_dir():  # learned/ is logged once drawn (the sweep callback)
            logger.log_artifacts(sweep_dir / PARETO_DIR, PARETO_DIR)

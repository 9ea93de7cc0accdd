"""The ``trackbench`` command: a thin Hydra app around :func:`trackbench.experiment.app.run_experiment`."""

from __future__ import annotations

import atexit
import gc
import importlib.util
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any, NoReturn

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from trackbench.cli._help_speed import speed_up_help
from trackbench.cli._hydra_errors import report_in_one_line
from trackbench.config.tree import plain_tree
from trackbench.errors import (
    Terminated,
    TrackbenchError,
    WorkerKilled,
    config_error_line,
    exit_code,
    interruption,
)
from trackbench.experiment.summary import format_summary
from trackbench.experiment.trial import PrunedTrial, TrialPruned
from trackbench.record.naming import run_name
from trackbench.sweeps.folder import parent_run_id, swept_keys_of
from trackbench.sweeps.stopping import note_stopped
from trackbench.sweeps.tuning.study import open_report

log = logging.getLogger("trackbench")
_finished: list[bool] = []  # set once a single (non-multirun) job has finished and printed its summary


@hydra.main(version_base="1.3", config_path="pkg://trackbench.config.conf", config_name="config")
def _app(cfg: DictConfig) -> Any:
    # The CLI's one door into the experiment: its graph (numpy and up) is imported when a job
    # runs, not at the top, so that `trackbench --help` stays light.
    from trackbench.experiment.app import run_experiment

    hc = HydraConfig.get()
    output_dir = Path(hc.runtime.output_dir)
    # Spelled as the sweep callback spells it (str(Path(...))), so the tags of the jobs and of
    # their parent run match whatever form hydra.sweep.dir was given in.
    sweep_dir = str(Path(hc.sweep.dir)) if hc.mode == RunMode.MULTIRUN else None
    try:
        tree = plain_tree(cfg)
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
            keep_run=hc.mode == RunMode.RUN,  # a forked process opens and logs the MLflow run
            open_trial=open_report,  # a trial of the Optuna sweeper's study reports to it
        )
    except TrialPruned as exc:  # the sweeper tells Optuna; not an error
        log.info("%s", exc)
        return PrunedTrial(exc.step, exc.value)
    except WorkerKilled as exc:  # the run ended KILLED with this reason
        fail(str(exc), exit_code(exc))
    except TrackbenchError as exc:
        fail(str(exc))
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: the run (if one started) ended KILLED
        record_in_log(f"trackbench: {interruption(exc)}")
        raise
    except Exception as exc:  # omegaconf's MissingMandatoryValue and friends name the key
        if (line := config_error_line(exc)) is None or not type(exc).__module__.startswith("omegaconf"):
            raise
        fail(line)
    print(format_summary(result), file=sys.stdout)
    if hc.mode == RunMode.RUN:
        _finished.append(True)
    return list(result.objectives) if len(result.objectives) > 1 else result.objective


def fail(message: str, code: int = 2) -> NoReturn:
    """The job's one error line, on stderr and in the run's trackbench.log; then exit."""
    line = " ".join(f"trackbench: error: {message}".split("\n"))
    record_in_log(line)
    print(line, file=sys.stderr)
    sys.exit(code)


def record_in_log(line: str) -> None:
    """``line`` in the run's log file(s) only (the console gets it once, from the caller)."""
    record = log.makeRecord(log.name, logging.ERROR, __file__, 0, line, (), None)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)


def on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM becomes :class:`Terminated` in the main thread: the path Ctrl-C takes (run KILLED,
    workers stopped, one line), with exit status 143."""
    raise Terminated


def expose_sweeper_plugin() -> None:
    """Editable installs (PEP 660) map our packages through an import hook that ``pkgutil``
    cannot walk, so Hydra's plugin scan would miss the sweeper in the ``hydra_plugins``
    namespace; add its real folder to the namespace path. A no-op for wheel installs."""
    import hydra_plugins

    spec = importlib.util.find_spec("hydra_plugins.trackbench_optuna_sweeper")
    if spec is None or spec.origin is None:
        return
    folder = str(Path(spec.origin).parent.parent)
    if folder not in list(hydra_plugins.__path__):
        hydra_plugins.__path__.append(folder)


def skip_final_collection() -> None:
    """Spare the process the interpreter's last garbage collections at exit: with torch, mlflow,
    Optuna and matplotlib loaded they walk millions of objects for 1.4 s (a sweep's driver,
    measured with py-spy: ``gc_collect_main`` under ``Py_FinalizeEx``), only to free memory the
    process is about to give back. Registered as the command starts, so the atexit handlers
    registered later (MLflow's, the sweep's, the executors') run before it; every handler runs
    as before, and objects freed by reference counting are still freed: only the collection of
    reference cycles is skipped."""
    atexit.register(gc.freeze)


def main() -> None:
    skip_final_collection()
    logging.captureWarnings(True)
    expose_sweeper_plugin()

    speed_up_help()
    report_in_one_line("trackbench")
    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        _app()
    except KeyboardInterrupt as exc:  # the run (if one started) is already marked KILLED
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM now ends the process at once
        note_stopped(exc)  # a sweep's parent run, ended at exit, ends KILLED for the same reason
        print(f"trackbench: {'terminated' if isinstance(exc, Terminated) else 'interrupted'}", file=sys.stderr)
        sys.exit(exit_code(exc))  # 130 (SIGINT) or 143 (SIGTERM), as shells report them
    if _finished:
        _exit_without_teardown()


def _exit_without_teardown() -> None:
    """Exit a finished single run without the interpreter's teardown of the modules it loaded
    (torch, mlflow, matplotlib, pandas: 1.5-2 s of freeing memory the process is about to give
    back anyway). Every results file is closed by now; stdio is flushed and the atexit handlers
    run (logging's among them, which flushes the job's log file) exactly as in a normal exit.
    A multirun, or a process with a non-daemon thread still running, exits normally."""
    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    atexit._run_exitfuncs()  # what Py_Finalize would run first; the handlers are not run twice
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()

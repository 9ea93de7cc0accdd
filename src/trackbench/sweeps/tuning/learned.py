"""What a study learned, drawn with Optuna's own tools: parameter importances, the optimisation
history, slice plots of the most important parameters, and a multi-objective study's Pareto front.

The Optuna door's other half (with :mod:`trackbench.sweeps.tuning.study`): the only other module that
imports Optuna, in the functions that use it (a study given here has imported it already).
Figures are saved by :mod:`trackbench.plots.charts` (matplotlib's door).
"""

from __future__ import annotations

import csv
import io
import logging
import math
import shutil
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trackbench.plots import charts as plots
from trackbench.sweeps.tuning.location import LEARNED_NOTE
from trackbench.sweeps.tuning.study import Study

if TYPE_CHECKING:
    import optuna
    from optuna.trial import FrozenTrial

log = logging.getLogger(__name__)

IMPORTANCE_SEED = 0  # fANOVA's forest: the same study gives the same importances
SLICED = 3  # slice plots for this many of the most important parameters
MIN_TRIALS = 3  # fewer complete trials: no importances (Optuna would split them evenly)
_WIDE = (8.0, 4.5)  # inches


@dataclass(frozen=True)
class Importance:
    """One objective's parameter importances (fANOVA, normalised to sum 1), largest first."""

    objective: str
    shares: tuple[tuple[str, float], ...]
    trials: int  # complete trials it rests on

    def line(self) -> str:
        """E.g. ``tracker.iou_threshold explains 62% of the variance of hota (fANOVA, 20 trials)``."""
        if not self.shares:
            return f"no parameter importance for {self.objective}: {self.trials} complete trials"
        name, share = self.shares[0]
        return f"{name} explains {share:.0%} of the variance of {self.objective} (fANOVA, {self.trials} trials)"


def file_stem(kind: str, objective: str, names: Sequence[str]) -> str:
    """``importance`` for a single objective, ``importance_<metric>`` for each of several."""
    return kind if len(names) == 1 else f"{kind}_{objective}"


def preload() -> None:
    """Import what :func:`write_learned` draws with (about 1.5 s): Optuna's importance (fANOVA,
    scikit-learn's forest among it) and its matplotlib plots, matplotlib on its Agg backend."""
    plots.load()
    import optuna.importance
    import optuna.visualization.matplotlib  # noqa: F401


def draw_learned(study: Study, names: Sequence[str], folder: Path, title: str) -> list[Importance]:
    """For each objective: ``importance*.png`` and ``.csv``, ``history*.png`` and ``slice*.png``
    in ``folder``; returns the importances (empty shares where too few trials tell anything)."""
    import optuna
    from optuna.trial import TrialState

    plots.load()  # matplotlib's Agg backend before Optuna's plots import pyplot
    s = study.optuna_study
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, name in enumerate(names):
        target = _target(i, len(names))
        complete = [t for t in s.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)) if _finite(t, i)]
        importance = _importances(s, name, target, len(complete))
        out.append(importance)
        (folder / f"{file_stem('importance', name, names)}.csv").write_text(_csv(importance))
        what = f"{title}: {name}"
        with _quiet():
            if importance.shares:
                ax = optuna.visualization.matplotlib.plot_param_importances(
                    s, evaluator=_known(importance), target=target, target_name=name
                )
                ax.set_title(f"{what}: parameter importance (fANOVA, {len(complete)} trials)", loc="left")
                plots.save_drawn(ax, folder / f"{file_stem('importance', name, names)}.png", size=_WIDE)
            ax = optuna.visualization.matplotlib.plot_optimization_history(s, target=target, target_name=name)
            if target is not None:  # Optuna draws the best so far for a single objective only
                _best_so_far(ax, s, i, study.spec.senses[i])
            ax.set_title(f"{what}: optimisation history")
            plots.save_drawn(ax, folder / f"{file_stem('history', name, names)}.png", size=_WIDE)
            params = [p for p, _ in importance.shares[:SLICED]] or sorted(_searched(s))[:SLICED]
            if params and complete:
                axes = optuna.visualization.matplotlib.plot_slice(s, params=params, target=target, target_name=name)
                path = folder / f"{file_stem('slice', name, names)}.png"
                plots.save_drawn(axes, path, f"{what}: slice (the {len(params)} most important parameters)",
                                 relayout=False)  # fmt: skip
    return out


def write_learned(study: Study, names: Sequence[str], folder: Path, title: str) -> None:
    """:func:`draw_learned` into a fresh ``folder``, and its note (a line per objective, which the
    sweep's parent run quotes). A report of the study: a failure is a warning, never an error."""
    shutil.rmtree(folder, ignore_errors=True)
    try:
        found = draw_learned(study, names, folder, title)
        (folder / LEARNED_NOTE).write_text("".join(f"{i.line()}\n" for i in found))
    except Exception as exc:  # the study itself is saved
        log.warning("what the study learned could not be drawn: %s: %s", type(exc).__name__, exc)


def draw_pareto(study: Study, names: Sequence[str], path: Path, title: str) -> None:
    """The front of a 2- or 3-objective study (dominated trials in grey), Optuna's plot."""
    import optuna

    if len(names) not in (2, 3):
        log.info("Pareto plot: %d objectives cannot be drawn (2 or 3 can); see the table", len(names))
        return
    plots.load()  # matplotlib's Agg backend before Optuna's plots import pyplot
    with _quiet():
        ax = optuna.visualization.matplotlib.plot_pareto_front(study.optuna_study, target_names=list(names))
    ax.set_title(f"{title}: Pareto front ({len(study.trials())} trials)")
    handles, labels = ax.get_legend_handles_labels()
    renamed = {"Trial": "dominated trial", "Best Trial": "on the front (#trial)"}
    ax.legend(handles, [renamed.get(label, label) for label in labels])
    if len(names) == 2:
        front = [(t.number, t.values) for t in study.pareto() if t.values is not None]  # complete: always valued
        for i, (number, xy) in enumerate(sorted(front, key=lambda t: t[1][0])):  # as front.md numbers them
            below = (4, -11) if i % 2 else (4, 4)  # neighbours' labels alternate, so close members stay legible
            ax.annotate(f"#{number}", (xy[0], xy[1]), textcoords="offset points", xytext=below, fontsize=8)
    values = [t.values[-1] for t in study.trials() if t.values and math.isfinite(t.values[-1])]
    spread = len(names) == 2 and values and min(values) > 0 and max(values) / min(values) > 5
    plots.save_drawn(ax, path, size=(7.0, 5.0), log_y=bool(spread))  # spread: e.g. a C++ and a Python build


def _importances(s: optuna.Study, name: str, target: Any, trials: int) -> Importance:
    import optuna

    if trials < MIN_TRIALS:
        return Importance(name, (), trials)
    try:
        with _quiet():
            found = optuna.importance.get_param_importances(s, evaluator=_evaluator(), target=target)
    except (RuntimeError, ValueError) as exc:  # fewer than 2 complete trials, a constant parameter...
        log.info("no parameter importance for %s: %s", name, exc)
        return Importance(name, (), trials)
    shares = tuple((k, float(v)) for k, v in sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))
    return Importance(name, shares, trials)


def _known(importance: Importance) -> Any:
    """An evaluator that answers with the importances already computed: Optuna's importance plot
    would otherwise fit fANOVA's forest a second time (0.25 s on 20 trials) for the same shares."""
    from optuna.importance import BaseImportanceEvaluator

    class Known(BaseImportanceEvaluator):
        def evaluate(self, study: Any, params: Any = None, *, target: Any = None) -> dict[str, float]:
            return dict(importance.shares)

    return Known()


def _evaluator() -> Any:
    import optuna

    return optuna.importance.FanovaImportanceEvaluator(seed=IMPORTANCE_SEED)


def _target(i: int, n: int) -> Callable[[FrozenTrial], float] | None:
    return None if n == 1 else (lambda t: t.values[i])


def _finite(t: FrozenTrial, i: int) -> bool:
    return t.values is not None and math.isfinite(t.values[i])


def _searched(s: optuna.Study) -> set[str]:
    return {p for t in s.get_trials(deepcopy=False) for p in t.params}


def _best_so_far(ax: Any, s: optuna.Study, i: int, direction: str) -> None:
    """Optuna's best-value line, for one objective of several."""
    from optuna.trial import TrialState

    pick = min if direction == "minimize" else max
    numbers: list[int] = []
    best: list[float] = []
    for t in s.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        value = t.values[i]
        best.append(value if not best else pick(best[-1], value))
        numbers.append(t.number)
    if numbers:
        ax.plot(numbers, best, color="tab:red", label="Best Value (this objective alone)")
        ax.legend()


def _csv(importance: Importance) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["param", "importance", "objective", "trials"])
    writer.writerows((p, f"{v:.6g}", importance.objective, importance.trials) for p, v in importance.shares)
    return out.getvalue()


class _quiet(warnings.catch_warnings):
    """Optuna marks its matplotlib plots experimental: the warning is noise here."""

    def __enter__(self) -> Any:
        from optuna.exceptions import ExperimentalWarning

        super().__enter__()
        warnings.filterwarnings("ignore", category=ExperimentalWarning)
        return None

"""Readable MLflow run names: what ran, and what distinguishes a job within its sweep."""

from __future__ import annotations

from collections.abc import Collection, Sequence

# Short names for the knobs people sweep most; other keys show their last dotted part.
_ALIASES = {"max_coast_frames": "coast", "iou_threshold": "iou", "det_thresh": "det", "window_frames": "window"}
_HIDDEN = ("hydra.", "mlflow.", "runner.")  # where and how a job ran, not what


def short_key(key: str) -> str:
    last = key.rsplit(".", 1)[-1]
    return _ALIASES.get(last, last)


def short_value(value: str) -> str:
    """A sampled float as 3 significant digits (``0.19313010568883546`` -> ``0.193``); the full
    value is a param of the run. Anything else as given."""
    try:
        number = float(value)
    except ValueError:
        return value
    if "." not in value and "e" not in value.lower():
        return value  # an integer, or inf/nan spelled out
    return f"{number:.3g}"


def run_name(kind: str, overrides: Sequence[str], swept: Collection[str] | None = None, job: int | None = None) -> str:
    """``kind`` plus the ``key=value`` overrides that matter: within a sweep, only the swept
    keys (and ``#<job number>``, which keeps names unique); alone, every override."""
    parts = [kind]
    for override in overrides:
        key, _, value = override.partition("=")
        key = key.lstrip("+~")
        if key in ("tracker", "tracker.tracker_kind") or key.startswith(_HIDDEN):
            continue
        if swept is not None and key not in swept:
            continue
        parts.append(f"{short_key(key)}={short_value(value)}")
    if job is not None:
        parts.append(f"#{job}")
    return " ".join(parts)


def swept_keys(overrides: Sequence[str], sweeper_params: Collection[str] = ()) -> list[str]:
    """The keys a multirun's command line sweeps (``a=1,2``, ``range(..)``, ...) plus the
    sweeper's own search space (``hydra.sweeper.params``)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(list(overrides))
    keys = [o.key_or_group for o in parsed if o.is_sweep_override()]
    return keys + [k for k in sweeper_params if k not in keys]


def sweep_title(overrides: Sequence[str], sweeper_params: Collection[str], started: str, kind: str = "") -> str:
    """The parent run's name: the tracker kind (unless swept), when it started and what it
    swept (command-line sweeps as given, a sweeper's search space by short key)."""
    swept = swept_keys(overrides, sweeper_params)
    shown = [o for o in overrides if o.partition("=")[0].lstrip("+~") in swept]
    given = {o.partition("=")[0].lstrip("+~") for o in shown}
    shown += [short_key(k) for k in sweeper_params if k not in given]
    prefix = f"{kind} " if kind and not {"tracker", "tracker.tracker_kind"} & set(swept) else ""
    return f"{prefix}sweep {started} " + (" ".join(shown) if shown else "(no swept keys)")

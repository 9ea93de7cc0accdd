"""Where a study is stored (by default an SQLite file beside the MLflow store), and where its
reports go in the sweep folder."""

from __future__ import annotations

from pathlib import Path

_SQLITE = "sqlite:///"
DEFAULT_FILE = "optuna.db"
# In the sweep folder, and the same paths among the sweep's parent run's artifacts:
LEARNED_DIR = "learned"  # importance*, history*, slice* (PNG; importance*.csv)
LEARNED_NOTE = "summary.txt"  # in LEARNED_DIR: a line per objective for the parent's description
# trial_<number>.yaml per front member (`--config-dir <sweep dir> +pareto=trial_<number>`; a Hydra
# option name must not parse as a number), front.csv/.md/.png
PARETO_DIR = "pareto"


def default_storage(tracking_uri: str, cwd: Path) -> str:
    """``sqlite:///<folder of the MLflow SQLite store>/optuna.db``; for any other MLflow store
    (a server, PostgreSQL) the same file in ``cwd``."""
    if tracking_uri.startswith(_SQLITE):
        folder = absolute_storage(tracking_uri, cwd)[len(_SQLITE) :]
        return _SQLITE + str(Path(folder).parent / DEFAULT_FILE)
    return _SQLITE + str(cwd / DEFAULT_FILE)


def absolute_storage(url: str, cwd: Path) -> str:
    """A relative SQLite path made absolute, so jobs in other working directories (Ray runs
    them in the head's) open the same file. Other URLs are returned unchanged."""
    if not url.startswith(_SQLITE) or url == _SQLITE + ":memory:":
        return url
    path = Path(url[len(_SQLITE) :])
    return _SQLITE + str(path if path.is_absolute() else (cwd / path))

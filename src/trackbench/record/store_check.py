"""The MLflow store checked before any work, with the standard library only (mlflow's import
costs seconds): a known scheme, a SQLite file that can be created and written, a server that
answers within a short start-up timeout. Each problem is one line naming the key.

A server lost *during* a run is another matter: MLflow's HTTP retries absorb a short outage
(mlflow_log). Only a server that never answered at the start fails fast here.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from trackbench.errors import TrackbenchError

# Schemes MLflow's tracking stores take (SQLAlchemy databases, a server, Databricks).
SQL_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")
SERVER_SCHEMES = ("http", "https")
OTHER_SCHEMES = ("databricks", "file")


def check_tracking_uri(
    uri: str, key: str = "mlflow.tracking_uri", *, timeout_s: float = 10.0, create: bool = True
) -> None:
    """Raise TrackbenchError unless ``uri`` is a store MLflow can use now. ``create``: a SQLite
    file (and its folder) may be created by the run; False (``trackbench-gc``): it must exist."""
    scheme = uri.partition(":")[0].lower() if "://" in uri or uri.startswith("databricks") else ""
    family = scheme.partition("+")[0]
    if not scheme:
        hint = f" (for a SQLite file, write sqlite:///{uri}{'' if uri.endswith('.db') else '/mlflow.db'})"
        raise TrackbenchError(
            f"{key}={uri!r} is not a tracking URI: give sqlite:///<file>, http(s)://<server>, or a database URL{hint}"
        )
    if family == "sqlite":
        check_sqlite(uri, key, create=create)
    elif family in SERVER_SCHEMES:
        check_server(uri, key, timeout_s)
    elif family not in SQL_SCHEMES + OTHER_SCHEMES:
        known = ", ".join(f"{s}://" for s in (*SQL_SCHEMES, *SERVER_SCHEMES, *OTHER_SCHEMES))
        raise TrackbenchError(f"{key}={uri!r}: unknown scheme {scheme!r}; MLflow takes one of {known}")


def sqlite_file(uri: str) -> Path | None:
    """The file of a ``sqlite:///`` URI (None: an in-memory database)."""
    rest = uri.partition("://")[2].partition("?")[0]
    if not rest.startswith("/") or rest in ("/", "/:memory:"):
        return None
    return Path(rest[1:])  # sqlite:///rel.db -> rel.db; sqlite:////abs.db -> /abs.db


def check_sqlite(uri: str, key: str, *, create: bool) -> None:
    """The SQLite file is a writable file, or (``create``) can be made in a writable folder."""
    if not uri.lower().startswith("sqlite:///"):
        raise TrackbenchError(
            f"{key}={uri!r}: a SQLite URI has three slashes: sqlite:///<relative path> or sqlite:////<absolute path>"
        )
    path = sqlite_file(uri)
    if path is None:
        return
    if path.is_dir():
        raise TrackbenchError(f"{key}={uri!r}: {path} is a folder, not a SQLite file")
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise TrackbenchError(f"{key}={uri!r}: {path} cannot be written (permissions)")
        folder = path.parent
    elif not create:
        raise TrackbenchError(f"{key}={uri!r}: no MLflow store at {path}")
    else:
        folder = _existing_ancestor(path.parent)
        if not folder.is_dir():
            raise TrackbenchError(f"{key}={uri!r}: {folder} is a file, so the folder {path.parent} cannot be made")
    # SQLite writes its journal beside the database file.
    if not os.access(folder, os.W_OK | os.X_OK):
        raise TrackbenchError(f"{key}={uri!r}: the folder {folder} cannot be written (permissions)")


def prepare_sqlite(uri: str) -> None:
    """Make the folder of a checked ``sqlite:///`` store (the run creates the file)."""
    if uri.lower().startswith("sqlite:///") and (path := sqlite_file(uri)) is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def _existing_ancestor(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def check_server(uri: str, key: str, timeout_s: float) -> None:
    """An MLflow server answers ``/health`` within ``timeout_s`` (any HTTP answer counts: it is up)."""
    parts = urllib.parse.urlsplit(uri)
    if not parts.hostname:
        raise TrackbenchError(f"{key}={uri!r}: no host in the server address")
    url = f"{uri.rstrip('/')}/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s):
            pass
    except urllib.error.HTTPError:
        return  # the server answered (e.g. a proxy's 401 or an older server's 404)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        text = "no answer" if isinstance(reason, TimeoutError) else str(reason)
        raise TrackbenchError(
            f"{key}={uri!r}: the MLflow server did not answer within {timeout_s:g} s at start ({text}); "
            + (
                "start it, fix the address, or raise mlflow.connect_timeout_s"
                if key.startswith("mlflow.")
                else "start it or fix the address"
            )
        ) from None

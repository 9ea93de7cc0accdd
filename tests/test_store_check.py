"""The MLflow store checked before any work: one line naming the key, nothing created."""

from __future__ import annotations

import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from trackbench.errors import TrackbenchError
from trackbench.record.store_check import check_tracking_uri, prepare_sqlite, sqlite_file


def _one_line(uri: str, match: str, **kwargs) -> None:
    with pytest.raises(TrackbenchError, match=match) as info:
        check_tracking_uri(uri, **kwargs)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith(f"{kwargs.get('key', 'mlflow.tracking_uri')}=")


def test_sqlite_paths(tmp_path: Path) -> None:
    assert sqlite_file("sqlite:///mlflow.db") == Path("mlflow.db")
    assert sqlite_file(f"sqlite:///{tmp_path}/m.db") == tmp_path / "m.db"
    assert sqlite_file("sqlite:///:memory:") is None
    check_tracking_uri(f"sqlite:///{tmp_path}/new/deeper/m.db")  # can be made
    assert not (tmp_path / "new").exists(), "checking creates nothing"
    prepare_sqlite(f"sqlite:///{tmp_path}/new/deeper/m.db")
    assert (tmp_path / "new" / "deeper").is_dir()


@pytest.mark.parametrize(
    ("uri", "match"),
    [
        ("garbage://x", "unknown scheme 'garbage'"),
        ("/some/plain/path", r"is not a tracking URI.*sqlite:////some/plain/path/mlflow\.db"),
        ("mlflow.db", r"is not a tracking URI.*sqlite:///mlflow\.db\)"),
        ("sqlite://m.db", "three slashes"),
        ("http://", "no host"),
    ],
)
def test_unusable_uris_name_the_key(uri: str, match: str) -> None:
    _one_line(uri, match)


def test_a_file_where_a_folder_should_be(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    _one_line(f"sqlite:///{tmp_path}/afile/m.db", "is a file, so the folder .* cannot be made")
    _one_line(f"sqlite:///{tmp_path}", "is a folder, not a SQLite file")


def test_a_read_only_store_or_folder(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "m.db").write_bytes(b"")
    writable = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == tmp_path / "m.db" else writable(p, mode))
    _one_line(f"sqlite:///{tmp_path}/m.db", "cannot be written")
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == tmp_path else writable(p, mode))
    _one_line(f"sqlite:///{tmp_path}/new.db", f"the folder {tmp_path} cannot be written")


def test_gc_never_creates_a_store(tmp_path: Path) -> None:
    _one_line(f"sqlite:///{tmp_path}/missing/m.db", "no MLflow store at", create=False, key="--tracking-uri")
    assert not (tmp_path / "missing").exists()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_that_does_not_answer_fails_fast() -> None:
    _one_line(f"http://127.0.0.1:{_closed_port()}", r"did not answer within 2 s at start \(.*refused", timeout_s=2)


def test_a_server_that_accepts_but_never_answers_times_out() -> None:
    with socket.socket() as listener:  # accepts connections (the backlog) and never replies
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        _one_line(f"http://127.0.0.1:{port}", r"did not answer within 0\.5 s at start \(no answer\)", timeout_s=0.5)


def test_a_server_that_answers_passes() -> None:
    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/health" else 404)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        check_tracking_uri(f"http://127.0.0.1:{server.server_port}", timeout_s=5)
        check_tracking_uri(f"http://127.0.0.1:{server.server_port}/prefix", timeout_s=5)  # a 404 is an answer
    finally:
        server.shutdown()

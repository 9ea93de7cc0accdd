"""One function run in a thread while the main thread does something else (start-up overlap)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Background(Generic[T]):
    """Runs ``fn`` in a daemon thread once started; :meth:`result` waits for it and returns its
    value or raises its exception; :meth:`check` raises that exception early, if it is there."""

    def __init__(self, fn: Callable[[], T], name: str) -> None:
        self._fn = fn
        self._value: T  # set by the thread, unless fn raised (then _error is)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = False

    def _run(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # handed to the main thread
            self._error = exc

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def check(self) -> None:
        if self._error is not None:
            raise self._error

    def result(self) -> T:
        self.start()
        self._thread.join()
        self.check()
        return self._value

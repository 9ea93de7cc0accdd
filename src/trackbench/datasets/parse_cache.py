"""Parsed input files kept per process: a file checked before tracking is not parsed again by the
forked camera workers (they inherit the cache), and a file changed on disk since is parsed again."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")


class ParseCache(Generic[T]):
    """Parses by file (its resolved path, mtime and size) and the options that change the parse."""

    def __init__(self) -> None:
        self._parsed: dict[tuple[Hashable, ...], T] = {}

    @staticmethod
    def _key(path: Path, options: tuple[Hashable, ...]) -> tuple[Hashable, ...]:
        stat = path.stat()
        return (str(path.resolve()), stat.st_mtime_ns, stat.st_size, *options)

    def get(self, path: Path, make: Callable[[], T], *options: Hashable) -> T:
        """The file's parse with these options: ``make()`` the first time, kept after."""
        key = self._key(path, options)
        if key not in self._parsed:
            self._parsed[key] = make()
        return self._parsed[key]

    def peek(self, path: Path, *options: Hashable) -> T | None:
        """The file's parse if it is kept (None: not parsed yet, or changed since)."""
        return self._parsed.get(self._key(path, options))

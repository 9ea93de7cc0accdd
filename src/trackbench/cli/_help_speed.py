"""``trackbench --help`` without Hydra's quadratic cost.

Hydra's help lists every config group; for each of them (81 here: ours plus Hydra's own and
the launchers') it deep-copies its whole config repository, ConfigStore included, which is
most of a second. For a help request only, one copy per (config, overrides) is reused: the
listing reads the repository and never changes it. hydra-core is pinned to 1.3.x; where its
internals differ, nothing is changed and help is just slower.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from typing import Any

HELP_FLAGS = ("--help", "-h", "--hydra-help")


def wants_help(argv: Sequence[str]) -> bool:
    return any(arg in HELP_FLAGS for arg in argv)


def reuse_config_repository() -> bool:
    """Memoize Hydra's per-call repository copy (help only). True if it was applied."""
    try:
        from hydra._internal.config_loader_impl import ConfigLoaderImpl
    except ImportError:
        return False
    original = getattr(ConfigLoaderImpl, "_parse_overrides_and_create_caching_repo", None)
    if original is None or getattr(original, "_trackbench_memo", False):
        return False

    @functools.wraps(original)
    def memo(self: Any, config_name: Any, overrides: Any) -> Any:
        key = (config_name, tuple(overrides))
        cache = self.__dict__.setdefault("_trackbench_repos", {})
        if key not in cache:
            cache[key] = original(self, config_name, overrides)
        return cache[key]

    memo._trackbench_memo = True  # type: ignore[attr-defined]
    ConfigLoaderImpl._parse_overrides_and_create_caching_repo = memo  # type: ignore[method-assign]
    return True


def speed_up_help(argv: Sequence[str] | None = None) -> None:
    if wants_help(sys.argv[1:] if argv is None else argv):
        reuse_config_repository()

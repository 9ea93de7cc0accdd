"""Hydra's composition errors as one line.

A misspelt key (``tracker.n_inti=3``), a config that does not exist (``tracker=ocsrt``) or an
override Hydra cannot parse stop Hydra before trackbench runs; Hydra prints several lines and
exits 1. Here they become trackbench's one line (``<prog>: error: ...``, naming the key and the
closest existing name) and exit code 2, like every other bad input. ``HYDRA_FULL_ERROR=1``
still gives Hydra's own report. hydra-core is pinned to 1.3.x; where its internals differ,
nothing is changed and Hydra reports the error itself.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable, Iterable
from typing import Any


def compose_error_line(exc: BaseException) -> str | None:
    """One line for Hydra's composition errors; None for any other exception."""
    from hydra.errors import ConfigCompositionException, MissingConfigException, OverrideParseException

    if isinstance(exc, MissingConfigException) and exc.missing_cfg_file and exc.options:
        group, _, name = exc.missing_cfg_file.rpartition("/")
        options = sorted(exc.options)
        return (
            f"{group.replace('/', '.')}={name}: no such config{_did_you_mean(name, options)}; "
            f"choose one of {', '.join(options)}"
        )
    if isinstance(exc, OverrideParseException):
        return f"cannot parse an override: {_first_line(exc)}"
    if isinstance(exc, ConfigCompositionException):
        cause = exc.__cause__
        key, full_key = getattr(cause, "key", None), getattr(cause, "full_key", None)
        parent = getattr(cause, "parent_node", None)
        if "not in struct" in str(cause) and isinstance(key, str) and full_key:
            prefix = full_key[: -len(key)]
            siblings = [str(k) for k in parent] if parent is not None and hasattr(parent, "keys") else []
            return f"{full_key}: no such config key{_did_you_mean(key, siblings, prefix)}"
        line = _first_line(exc)
        return f"{line} ({_first_line(cause)})" if cause is not None else line
    return None


def _did_you_mean(name: str, known: Iterable[str], prefix: str = "") -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {prefix}{close[0]}?)" if close else ""


def _first_line(exc: BaseException) -> str:
    return next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)


def report_in_one_line(prog: str) -> bool:
    """Route Hydra's composition errors through :func:`compose_error_line`. True if applied."""
    try:
        import hydra._internal.utils as hydra_utils
    except ImportError:
        return False
    original: Callable[[Callable[[], Any]], Any] | None = getattr(hydra_utils, "run_and_report", None)
    if original is None or getattr(original, "_trackbench_one_line", False):
        return False

    def run_and_report(func: Callable[[], Any]) -> Any:
        def guarded() -> Any:
            try:
                return func()
            except Exception as exc:
                line = compose_error_line(exc)
                if line is None or _full_error_wanted():
                    raise
                print(f"{prog}: error: {line}", file=sys.stderr)
                sys.exit(2)

        return original(guarded)

    run_and_report._trackbench_one_line = True  # type: ignore[attr-defined]
    hydra_utils.run_and_report = run_and_report
    return True


def _full_error_wanted() -> bool:
    import os

    return os.environ.get("HYDRA_FULL_ERROR") == "1"

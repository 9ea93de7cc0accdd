"""Options for boxmot's C++ trackers: the very values the Python build of the same kind gets.

boxmot's native wrappers start from the kind's bundled YAML defaults and override them with
the options given; those YAML values differ from the Python constructors' (NOTES.md). So every
key the native schema accepts is filled here: from the keyword arguments our Python builder
passes, else from the Python class's own constructor default (an option we leave at its
default in Python is left at the same default in C++), else from the small table below. No
boxmot import: the adapter hands in the class, the kwargs and the schema's keys.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable, Mapping
from typing import Any

from trackbench.errors import TrackbenchError

# Keys the native wrappers accept beyond their YAML schema (boxmot's ``native_only_keys``).
NATIVE_ONLY_KEYS: dict[str, tuple[str, ...]] = {
    "ocsort": ("iou_threshold", "max_obs"),
    "bytetrack": ("max_obs",),
    "botsort": ("max_obs",),
    "sfsort": ("frame_height", "frame_rate", "frame_width", "max_obs"),
    "occluboost": ("max_obs",),
}

# Native-only keys with no Python counterpart. SFSORT's frame_rate is stored by the C++ build
# and never read.
_NATIVE_ONLY_VALUES: dict[str, dict[str, Any]] = {"sfsort": {"frame_rate": 30}}

# Kalman noise/timing options: the C++ builds accept only their defaults, and boxmot drops them
# before the C++ constructor; the Python builds use the same defaults.
_KALMAN_PREFIX = "kf_"
_KALMAN_KEYS = ("variable_dt",)


def python_defaults(cls: type) -> dict[str, Any]:
    """Constructor defaults of ``cls`` and its bases (a subclass's default wins)."""
    defaults: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for p in inspect.signature(init).parameters.values():
            if p.default is not inspect.Parameter.empty:
                defaults[p.name] = p.default
    return defaults


def native_options(kind: str, cls: type, kwargs: Mapping[str, Any], schema_keys: Iterable[str]) -> dict[str, Any]:
    """Every option of the C++ ``kind``, valued as the Python build ``cls(**kwargs)``."""
    defaults = python_defaults(cls)
    extra = _NATIVE_ONLY_VALUES.get(kind, {})
    options: dict[str, Any] = {}
    for key in (*schema_keys, *NATIVE_ONLY_KEYS[kind]):
        if key.startswith(_KALMAN_PREFIX) or key in _KALMAN_KEYS:
            continue
        if key in kwargs:
            options[key] = kwargs[key]
        elif key in extra:
            options[key] = extra[key]
        elif key in defaults:
            options[key] = defaults[key]
        else:
            raise TrackbenchError(f"internal: no explicit value for the C++ {kind} option {key!r}")
    # boxmot's Python BaseTracker raises max_obs to max_age + 5 where max_age >= max_obs; the
    # C++ builds take max_obs as given. OC-SORT's re-update after a gap needs the observation
    # before the gap in that history: with the smaller one, a track lost for 49+ frames is
    # re-found without it and the two builds drift apart.
    max_age = kwargs.get("max_age", defaults.get("max_age"))
    if "max_obs" in options and max_age is not None and max_age >= options["max_obs"]:
        options["max_obs"] = max_age + 5
    if kind == "occluboost":
        # The C++ build takes a float ratio and an integer area; None means "keep every box".
        ratio = options["aspect_ratio_thresh"]
        options["aspect_ratio_thresh"] = math.inf if ratio is None else float(ratio)
        options["min_box_area"] = int(options["min_box_area"])
    return options

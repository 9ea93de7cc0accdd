"""A trial's config composed once per shape of its overrides, not once per trial.

Hydra's launchers compose every job's config from scratch (``load_sweep_config``): the defaults
list, every YAML file read and merged again, ~55 ms a job. A study's trials differ only in
the values of the searched keys, so :class:`SweepConfigs` composes the first trial of each
shape (the overrides with their searched values left out) the usual way, and every later
trial of that shape by setting its values on a copy, as Hydra's last step sets them
(``OmegaConf.update(..., merge=True)``), with the two entries that name the overrides
(``hydra.overrides.task``, ``hydra.job.override_dirname``) made again. An override that is
not a plain value of an existing key (a config group, ``+``/``~``, a dict, a sweep) makes the
trial composed the usual way. ``tests/test_sweep_configs.py`` holds the two ways equal.

No ``from __future__ import annotations``: Hydra executes plugin modules before they are in
``sys.modules``.
"""

import copy
import os
from dataclasses import dataclass
from typing import Any

from hydra._internal.config_loader_impl import get_overrides_dirname
from hydra.core.config_loader import ConfigLoader
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, OverrideType
from omegaconf import DictConfig, OmegaConf

_PLAIN = (int, float, bool, str, type(None))


@dataclass(frozen=True)
class _Plan:
    shape: tuple[str, ...]  # the overrides, each value override as its key alone
    parsed: tuple[Override, ...]
    values: tuple[int, ...]  # positions of the value overrides


def _plan(overrides: list[str]) -> _Plan | None:
    """How a job's overrides split into a shape and values (None: compose it the usual way)."""
    parsed = tuple(OverridesParser.create().parse_overrides(overrides))
    values = []
    shape = []
    for i, o in enumerate(parsed):
        plain_value = (
            o.type == OverrideType.CHANGE
            and o.package is None
            and not o.is_sweep_override()
            and not o.is_hydra_override()
            and "." in o.key_or_group
            and isinstance(o.value(), _PLAIN)
        )
        if plain_value:
            values.append(i)
            shape.append("=" + o.key_or_group)
        else:
            shape.append(str(o.input_line))
    keys = [parsed[i].key_or_group for i in values]
    # What else may touch a value's key: not a config group's choice (``tracker=bytetrack``).
    others = [o.key_or_group for i, o in enumerate(parsed) if i not in values and not _choice(o)]
    for key in keys:  # a value set twice, or under a key another override touches: the usual way
        overlap = [k for k in keys + others if k == key or k.startswith(key + ".") or key.startswith(k + ".")]
        if len(overlap) > 1:
            return None
    return _Plan(tuple(shape), parsed, tuple(values))


def _choice(o: Override) -> bool:
    """A config group's choice (``tracker=bytetrack``, ``dataset/files=x``), or a top-level leaf."""
    return o.type == OverrideType.CHANGE and "." not in o.key_or_group and isinstance(o.value(), str)


# Per process (a parallel launcher's worker serves many trials): the first config of each shape.
_COMPOSED: dict[tuple[Any, ...], DictConfig] = {}


class SweepConfigs(ConfigLoader):
    """A config loader whose ``load_sweep_config`` reuses the composition of earlier trials of the
    same shape; everything else is the wrapped loader's."""

    def __init__(self, loader: ConfigLoader) -> None:
        self._loader = loader
        self.enabled = True  # False: every trial composed the usual way (runner.reuse_workers=false)

    def load_configuration(self, *args: Any, **kwargs: Any) -> DictConfig:
        return self._loader.load_configuration(*args, **kwargs)

    def compute_defaults_list(self, *args: Any, **kwargs: Any) -> Any:
        return self._loader.compute_defaults_list(*args, **kwargs)

    def get_search_path(self) -> Any:
        return self._loader.get_search_path()

    def get_sources(self) -> Any:
        return self._loader.get_sources()

    def list_groups(self, *args: Any, **kwargs: Any) -> Any:
        return self._loader.list_groups(*args, **kwargs)

    def get_group_options(self, *args: Any, **kwargs: Any) -> Any:
        return self._loader.get_group_options(*args, **kwargs)

    def load_sweep_config(self, master_config: DictConfig, sweep_overrides: list[str]) -> DictConfig:
        plan = _plan(list(sweep_overrides)) if self.enabled else None
        if plan is None:
            return self._loader.load_sweep_config(master_config, sweep_overrides)
        key = (
            str(master_config.hydra.job.config_name),
            tuple(str(o) for o in master_config.hydra.overrides.hydra),
            plan.shape,
            os.getcwd(),  # hydra.runtime.cwd
            tuple(sorted(os.environ.items())),  # hydra.job.env_copy reads it
        )
        first = _COMPOSED.get(key)
        if first is None:
            config = self._loader.load_sweep_config(master_config, sweep_overrides)
            _COMPOSED[key] = copy.deepcopy(config)
            return config
        config = copy.deepcopy(first)
        for i in plan.values:
            o = plan.parsed[i]
            OmegaConf.update(config, o.key_or_group, o.value(), merge=True)
        task = [o for o in plan.parsed if not o.is_hydra_override()]
        kept = len(config.hydra.overrides.task) - len(task)  # the entries the config files wrote
        config.hydra.overrides.task = [*list(config.hydra.overrides.task)[:kept], *(o.input_line for o in task)]
        naming = config.hydra.job.config.override_dirname
        config.hydra.job.override_dirname = get_overrides_dirname(
            overrides=task, kv_sep=naming.kv_sep, item_sep=naming.item_sep, exclude_keys=naming.exclude_keys
        )
        OmegaConf.copy_cache(from_config=master_config, to_config=config)
        return config

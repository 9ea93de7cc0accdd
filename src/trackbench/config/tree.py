"""A composed Hydra/OmegaConf node as the plain, resolved dict every loader here takes."""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf


def plain_tree(node: DictConfig, *, drop: tuple[str, ...] = (), throw_on_missing: bool = True) -> dict[str, Any]:
    """``node`` resolved into plain containers (a missing value raises, naming its key, unless
    ``throw_on_missing`` is False), without the top-level keys in ``drop``."""
    tree = OmegaConf.to_container(node, resolve=True, throw_on_missing=throw_on_missing)
    if not isinstance(tree, dict):
        raise TypeError(f"expected a mapping at the config's root, got {type(tree).__name__}")
    return {str(k): v for k, v in tree.items() if k not in drop}

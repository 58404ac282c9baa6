"""Resolving plug-in objects named in configuration."""

from __future__ import annotations

import importlib
from typing import Any

from lsi_rig.core.errors import ConfigError


def resolve(target: str) -> Any:
    """Import ``'module:attribute'`` (dotted attribute allowed)."""
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise ConfigError(f"'{target}' is not of the form 'module:attribute'")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import module '{module_name}' ({exc})") from exc
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(f"module '{module_name}' has no attribute '{attr}'") from None
    return obj

"""Rig configuration: schema and loading.

Exports are resolved lazily: device packages import ``lsi_rig.config.base`` for their config
models while ``lsi_rig.config.schema`` imports those models, so this package must not import
the schema at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lsi_rig.config.load import dump_rig, load_rig
    from lsi_rig.config.schema import RigConfig

__all__ = ["RigConfig", "dump_rig", "load_rig"]


def __getattr__(name: str) -> Any:
    if name in ("dump_rig", "load_rig"):
        from lsi_rig.config import load

        return getattr(load, name)
    if name == "RigConfig":
        from lsi_rig.config.schema import RigConfig

        return RigConfig
    raise AttributeError(f"module 'lsi_rig.config' has no attribute {name!r}")

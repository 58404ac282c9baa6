"""Rig configuration: the schema (composed of each device kind's config models) and loading."""

from __future__ import annotations

from lsi_rig.config.load import dump_rig, load_rig
from lsi_rig.config.schema import RigConfig

__all__ = ["RigConfig", "dump_rig", "load_rig"]

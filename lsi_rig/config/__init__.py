"""Rig configuration: schema and loading."""

from lsi_rig.config.load import dump_rig, load_rig
from lsi_rig.config.schema import RigConfig

__all__ = ["RigConfig", "dump_rig", "load_rig"]

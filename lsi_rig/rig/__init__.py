"""Assembling a rig: the backend registry, protocol emulators and :class:`Rig` itself.

This is the only layer that reads a whole :class:`~lsi_rig.config.schema.RigConfig` and turns it
into devices; the engine sees the devices only through their protocols.
"""

from __future__ import annotations

from lsi_rig.rig.build import Rig, build_rig

__all__ = ["Rig", "build_rig"]

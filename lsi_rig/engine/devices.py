"""What the engine needs of a rig: its clock and one device of each kind, by protocol only.

A :class:`~lsi_rig.rig.Rig` satisfies this structurally; so do the mocks of the engine tests.
The engine never sees the rig's configuration or how the devices were built.
"""

from __future__ import annotations

from typing import Protocol

from lsi_rig.core.clock import Clock
from lsi_rig.detector.protocol import Detector
from lsi_rig.display.protocol import SceneDisplay
from lsi_rig.dmd.protocol import Dmd
from lsi_rig.sync.protocol import SyncController


class RigDevices(Protocol):
    """The devices a capture runs on (``sync`` is None on rigs without a trigger controller)."""

    @property
    def clock(self) -> Clock: ...

    @property
    def display(self) -> SceneDisplay: ...

    @property
    def dmd(self) -> Dmd: ...

    @property
    def detector(self) -> Detector: ...

    @property
    def sync(self) -> SyncController | None: ...

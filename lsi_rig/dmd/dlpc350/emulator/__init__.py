"""Protocol-level DLPC350 emulator: a pyusb backend plus a video sink, fed to the World.

``start_emulator(world)`` returns a handle whose ``usb_backend`` goes into the rig config as the
pyusb backend (endpoint ``"dlpc350_usb_backend"``) and whose ``video_sink`` replaces the HDMI
window (endpoint ``"dlpc350_video_sink"``). The real driver code then runs unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lsi_rig.dmd.dlpc350.emulator.device import Dlpc350Controller, Faults, Registers
from lsi_rig.dmd.dlpc350.emulator.projection import WorldProjection, decode_pass
from lsi_rig.dmd.dlpc350.emulator.usb_backend import Dlpc350UsbBackend, UsbTransfer
from lsi_rig.dmd.dlpc350.video import MemoryVideoSink

__all__ = [
    "Dlpc350Controller",
    "Dlpc350Emulator",
    "Dlpc350UsbBackend",
    "Faults",
    "Registers",
    "UsbTransfer",
    "decode_pass",
    "start_emulator",
]


@dataclass
class Dlpc350Emulator:
    """A running emulator: endpoints for the rig, state and logs for tests."""

    usb_backend: Dlpc350UsbBackend
    video_sink: MemoryVideoSink
    controller: Dlpc350Controller
    projection: WorldProjection

    @property
    def faults(self) -> Faults:
        return self.controller.faults

    @property
    def endpoints(self) -> dict[str, Any]:
        return {"dlpc350_usb_backend": self.usb_backend, "dlpc350_video_sink": self.video_sink}

    def close(self) -> None:
        self.projection.on_stop()
        self.video_sink.close()


def start_emulator(world: Any | None = None) -> Dlpc350Emulator:
    """Create an emulated LightCrafter 4500 attached to ``world`` (None: no physics)."""
    sink = MemoryVideoSink()
    projection = WorldProjection(world, sink)

    def video_hz() -> float | None:
        frames, hz = sink.snapshot()
        return hz if frames is not None else None

    controller = Dlpc350Controller(
        video_hz=video_hz, on_start=projection.on_start, on_stop=projection.on_stop
    )
    return Dlpc350Emulator(Dlpc350UsbBackend(controller), sink, controller, projection)

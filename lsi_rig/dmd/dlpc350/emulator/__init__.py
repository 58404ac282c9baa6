"""Protocol-level DLPC350 emulator: a pyusb backend plus a video sink, fed to the World.

``start_emulator(world)`` returns a handle whose ``usb_backend`` goes into the rig config as the
pyusb backend (endpoint ``"dlpc350_usb_backend"``) and whose ``video_sink`` replaces the HDMI
window (endpoint ``"dlpc350_video_sink"``). The real driver code then runs unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lsi_rig.dmd.dlpc350.emulator.device import Dlpc350Controller, DmdFault, Faults, Registers
from lsi_rig.dmd.dlpc350.emulator.projection import WorldProjection, decode_pass
from lsi_rig.dmd.dlpc350.emulator.usb_backend import Dlpc350UsbBackend, UsbTransfer
from lsi_rig.dmd.dlpc350.video import MemoryVideoSink

__all__ = [
    "Dlpc350Controller",
    "Dlpc350Emulator",
    "Dlpc350UsbBackend",
    "DmdFault",
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

    def inject(self, fault: DmdFault | str, *, after_s: float = 0.0) -> float:
        """Make ``fault`` happen ``after_s`` seconds of world time from now (0: now); returns
        its world time. The USB-level faults take effect at the first transfer at or after that
        time; a video unlock also stops the world's sequence exactly then (no more patterns,
        no more trigger edges), as losing HDMI lock does. Without a world, it happens now."""
        world = self.projection.world
        kind = DmdFault(fault)
        at_s = (world.clock.now_s() if world is not None else 0.0) + max(0.0, after_s)
        self.controller.schedule(kind, at_s if world is not None else float("-inf"))
        if kind is DmdFault.VIDEO_UNLOCK:
            self.projection.video_lost_at(at_s)
        self.controller.apply_due()
        return at_s

    @property
    def endpoints(self) -> dict[str, Any]:
        return {"dlpc350_usb_backend": self.usb_backend, "dlpc350_video_sink": self.video_sink}

    def close(self) -> None:
        self.projection.on_stop()
        self.video_sink.close()


def start_emulator(world: Any | None = None, *, power_up: str = "default") -> Dlpc350Emulator:
    """Create an emulated LightCrafter 4500 attached to ``world`` (None: no physics).

    ``power_up="foreign"`` starts it in the state another program may leave a board in
    (:meth:`Registers.foreign`): the driver must set and read back every setting."""
    sink = MemoryVideoSink()
    projection = WorldProjection(world, sink)

    def video_hz() -> float | None:
        frames, hz = sink.snapshot()
        return hz if frames is not None else None

    def video_size() -> tuple[int, int] | None:
        frames, _ = sink.snapshot()
        return None if frames is None else (int(frames.shape[2]), int(frames.shape[1]))

    if power_up not in ("default", "foreign"):
        raise ValueError(f"power_up must be 'default' or 'foreign', got {power_up!r}")
    controller = Dlpc350Controller(
        video_hz=video_hz,
        on_start=projection.on_start,
        on_stop=projection.on_stop,
        video_size=video_size,
        now_s=world.clock.now_s if world is not None else None,
        registers=Registers.foreign() if power_up == "foreign" else None,
    )
    return Dlpc350Emulator(Dlpc350UsbBackend(controller), sink, controller, projection)

"""What a device factory may use besides its own config section."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lsi_rig.core.clock import Clock

if TYPE_CHECKING:
    from lsi_rig.config.schema import RigConfig


@dataclass
class BackendContext:
    """What a factory may use besides its own config section.

    ``world`` is the shared simulated world (None on a real rig). ``endpoints`` carries the
    addresses of running protocol emulators (e.g. ``"daq_grpc_address"``,
    ``"dlpc350_usb_backend"``, ``"sync_port"``) for config values set to ``"emulator"``.
    """

    rig: RigConfig
    clock: Clock
    world: Any | None = None
    endpoints: dict[str, Any] = field(default_factory=dict)

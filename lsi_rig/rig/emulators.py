"""Start the protocol-level emulators a rig asks for (``--rig emulated``).

Each emulator reads the rig's shared world; its endpoint is put into ``ctx.endpoints`` so device
settings with the value ``"emulator"`` connect the *real* backends to it.
"""

from __future__ import annotations

import contextlib
from typing import Any

from lsi_rig.config.schema import RigConfig
from lsi_rig.core.backend_context import BackendContext
from lsi_rig.core.errors import ConfigError


def start_emulators(config: RigConfig, ctx: BackendContext) -> dict[str, Any]:
    """Start emulators; return their handles (each has ``close()``) by their config name
    (``dlpc350_usb``, ``daq_grpc``, ``sync_pty``), in start order."""
    wanted = config.emulators
    if wanted is None:
        return {}
    if ctx.world is None:
        raise ConfigError("emulators need the rig's 'world' section")
    handles: dict[str, Any] = {}
    try:
        if wanted.dlpc350_usb:
            from lsi_rig.dmd.dlpc350.emulator import start_emulator

            dmd = start_emulator(ctx.world)
            handles["dlpc350_usb"] = dmd
            ctx.endpoints["dlpc350_usb_backend"] = dmd.usb_backend
            ctx.endpoints["dlpc350_video_sink"] = dmd.video_sink
        if wanted.daq_grpc:
            from lsi_rig.detector.grpc_double import Wiring, start_server

            detector = config.devices.detector
            wiring = Wiring.for_config(detector) if detector.backend == "nidaqmx" else None
            daq = start_server(ctx.world, address="127.0.0.1:0", wiring=wiring)
            handles["daq_grpc"] = daq
            ctx.endpoints["daq_grpc_address"] = daq.address
        if wanted.sync_pty:
            from lsi_rig.sync.emulator import start_pty_emulator

            sync = start_pty_emulator(ctx.world)
            handles["sync_pty"] = sync
            ctx.endpoints["sync_port"] = sync.port
    except BaseException:
        for handle in reversed(list(handles.values())):
            with contextlib.suppress(Exception):
                handle.close()
        raise
    return handles

"""Backend registry: (device kind, backend name) -> factory, resolved lazily.

A factory is ``create(config_section, ctx: BackendContext) -> device``. Modules are imported only
when their backend is chosen, so hardware SDKs (pyusb, nidaqmx, pyserial, Qt) load only when a
rig uses them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lsi_rig.clock import Clock
from lsi_rig.config.schema import RigConfig
from lsi_rig.errors import ConfigError

FACTORIES: dict[tuple[str, str], str] = {
    ("display", "sim"): "lsi_rig.display.sim:create",
    ("display", "window"): "lsi_rig.display.window:create",
    ("dmd", "sim"): "lsi_rig.dmd.sim:create",
    ("dmd", "dlpc350"): "lsi_rig.dmd.dlpc350.backend:create",
    ("detector", "sim"): "lsi_rig.detector.sim:create",
    ("detector", "nidaqmx"): "lsi_rig.detector.nidaqmx_backend:create",
    ("sync", "sim"): "lsi_rig.sync.sim:create",
    ("sync", "serial"): "lsi_rig.sync.serial_backend:create",
}


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


def factory_for(kind: str, backend: str) -> Callable[[Any, BackendContext], Any]:
    try:
        target = FACTORIES[(kind, backend)]
    except KeyError:
        raise ConfigError(f"devices.{kind}.backend: no backend named '{backend}'") from None
    factory = resolve(target)
    if not callable(factory):
        raise ConfigError(f"backend factory {target} is not callable")
    return factory  # type: ignore[no-any-return]

"""Backend registry: (device kind, backend name) -> factory, resolved lazily.

A factory is ``create(config_section, ctx: BackendContext) -> device``. Modules are imported only
when their backend is chosen, so hardware SDKs (pyusb, nidaqmx, pyserial, Qt) load only when a
rig uses them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lsi_rig.core.backend_context import BackendContext
from lsi_rig.core.errors import ConfigError
from lsi_rig.core.plugins import resolve

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


def factory_for(kind: str, backend: str) -> Callable[[Any, BackendContext], Any]:
    try:
        target = FACTORIES[(kind, backend)]
    except KeyError:
        raise ConfigError(f"devices.{kind}.backend: no backend named '{backend}'") from None
    factory = resolve(target)
    if not callable(factory):
        raise ConfigError(f"backend factory {target} is not callable")
    return factory  # type: ignore[no-any-return]

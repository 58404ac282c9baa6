"""Backend registry: (device kind, backend name) -> factory, resolved lazily.

A factory is ``create(config_section, ctx: BackendContext) -> device``. Built-in backends are
this package's own modules, imported only when their backend is chosen, so hardware SDKs
(pyusb, nidaqmx, pyserial, Qt) load only when a rig uses them. Any other backend name is a
plug-in registered by an installed package in the entry-point group ``lsi_rig.backends.<kind>``
(:mod:`lsi_rig.core.plugins`); nothing a rig file says is ever imported as a module path.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from lsi_rig.core.backend_context import BackendContext
from lsi_rig.core.errors import ConfigError
from lsi_rig.core.plugins import backend_group, load_plugin

#: Built-in backends: (kind, name) -> (module, factory attribute). Our own code, not config.
BUILTIN: dict[tuple[str, str], tuple[str, str]] = {
    ("display", "sim"): ("lsi_rig.display.sim", "create"),
    ("display", "window"): ("lsi_rig.display.window", "create"),
    ("dmd", "sim"): ("lsi_rig.dmd.sim", "create"),
    ("dmd", "dlpc350"): ("lsi_rig.dmd.dlpc350.backend", "create"),
    ("detector", "sim"): ("lsi_rig.detector.sim", "create"),
    ("detector", "nidaqmx"): ("lsi_rig.detector.nidaqmx_backend", "create"),
    ("sync", "sim"): ("lsi_rig.sync.sim", "create"),
    ("sync", "serial"): ("lsi_rig.sync.serial_backend", "create"),
}


def factory_for(kind: str, backend: str) -> Callable[[Any, BackendContext], Any]:
    """The factory of a built-in backend or of a registered plug-in."""
    builtin = BUILTIN.get((kind, backend))
    if builtin is not None:
        module, attr = builtin
        factory = getattr(importlib.import_module(module), attr)
    else:
        try:
            factory = load_plugin(backend_group(kind), backend)
        except ValueError as exc:
            raise ConfigError(f"devices.{kind}.backend: {exc}") from None
        except ConfigError as exc:
            raise ConfigError(f"devices.{kind}.backend: {exc}") from exc
    if not callable(factory):
        raise ConfigError(f"devices.{kind}.backend '{backend}': its factory is not callable")
    return factory  # type: ignore[no-any-return]

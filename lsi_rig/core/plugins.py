"""Plug-ins: code a rig file may *name*, but never import by itself.

A rig file is data. It names a plug-in (a pyusb backend, a device backend) by a short name; the
code behind the name comes from an installed Python package that declared it as an entry point
(``importlib.metadata``), so nothing is imported unless the operator installed a package that
offers it. A ``module:attribute`` string in a rig file is refused: it would make any importable
module run (``usb_backend: 'tempfile:mkdtemp'`` creates a folder before any check).

Entry-point groups (declare them in the plug-in package's ``pyproject.toml``)::

    [project.entry-points."lsi_rig.usb_backends"]
    my-lcr = "my_package.usb:make_backend"     # usb.backend.IBackend or a zero-argument factory

    [project.entry-points."lsi_rig.backends.dmd"]        # also .detector, .display, .sync
    my-dmd = "my_package.dmd:create"           # create(config, ctx: BackendContext) -> device

and write the name (``usb_backend: my-lcr``, ``devices.dmd: {backend: my-dmd, options: {...}}``).
"""

from __future__ import annotations

import re
from importlib import metadata
from typing import Any

from lsi_rig.core.errors import ConfigError

USB_BACKENDS_GROUP = "lsi_rig.usb_backends"
DEVICE_KINDS = ("dmd", "detector", "display", "sync")


def backend_group(kind: str) -> str:
    """Entry-point group of device backends of one kind, e.g. ``lsi_rig.backends.dmd``."""
    if kind not in DEVICE_KINDS:
        raise ValueError(f"unknown device kind {kind!r}")
    return f"lsi_rig.backends.{kind}"


#: A plug-in name as written in a rig file: letters, digits, ``_ . -``; no ``:`` or ``/``.
PLUGIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}")

HOW_TO_REGISTER = (
    "rig files never import code; install a package that registers the plug-in as an entry "
    'point in group \'{group}\' ([project.entry-points."{group}"] NAME = "module:attr" in its '
    "pyproject.toml) and write NAME here (see docs/rigs.md, 'Plug-ins')"
)


def check_plugin_name(value: str, *, group: str) -> str:
    """Refuse anything that is not a plain plug-in name (``module:attr`` above all), without
    importing or loading anything."""
    if PLUGIN_NAME.fullmatch(value) is None:
        kind = "'module:attribute'" if ":" in value else "a plug-in name"
        raise ValueError(
            f"{value!r} is not {'allowed' if ':' in value else kind}: "
            + HOW_TO_REGISTER.format(group=group)
        )
    return value


def plugin_names(group: str) -> list[str]:
    """Names registered in ``group`` by installed packages (reads metadata, imports nothing)."""
    return sorted({ep.name for ep in metadata.entry_points(group=group)})


def _entry_point(group: str, name: str) -> metadata.EntryPoint:
    found = list(metadata.entry_points(group=group, name=name))
    if not found:
        installed = ", ".join(plugin_names(group)) or "none installed"
        raise ConfigError(
            f"no plug-in named '{name}' in entry-point group '{group}' ({installed}); "
            + HOW_TO_REGISTER.format(group=group)
        )
    targets = {ep.value for ep in found}
    if len(targets) > 1:
        raise ConfigError(
            f"plug-in name '{name}' in group '{group}' is registered by several packages "
            f"({', '.join(sorted(targets))}); uninstall one"
        )
    return found[0]


def is_registered(group: str, name: str) -> bool:
    """Whether an installed package registered ``name`` in ``group`` (imports nothing)."""
    return bool(list(metadata.entry_points(group=group, name=name)))


def load_plugin(group: str, name: str) -> Any:
    """The object a registered plug-in names (this imports the plug-in's module)."""
    check_plugin_name(name, group=group)
    ep = _entry_point(group, name)
    try:
        return ep.load()
    except Exception as exc:  # a broken plug-in is a configuration problem, in one line
        dist = getattr(getattr(ep, "dist", None), "name", None) or "unknown package"
        raise ConfigError(
            f"plug-in '{name}' (group '{group}', {ep.value} from {dist}) failed to load: "
            f"{type(exc).__name__}: {exc}"
        ) from exc

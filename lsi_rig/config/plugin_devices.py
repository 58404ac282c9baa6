"""Device sections whose backend is a plug-in, and the choice between built-in and plug-in.

``devices.<kind>.backend`` is either a built-in name (``sim``, ``dlpc350``, ...) or the name of
a plug-in registered by an installed package in the entry-point group
``lsi_rig.backends.<kind>`` (:mod:`lsi_rig.core.plugins`). A plug-in section carries its own
settings under ``options``, which the plug-in validates; the schema checks the name is
registered (reading package metadata only: nothing is imported while a rig file loads).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import ConfigDict, Discriminator, Field, Tag, field_validator

from lsi_rig.core.plugins import (
    HOW_TO_REGISTER,
    backend_group,
    check_plugin_name,
    is_registered,
    plugin_names,
)
from lsi_rig.core.strict import StrictModel
from lsi_rig.detector.config import NidaqmxConfig, SimDetectorConfig
from lsi_rig.display.config import SimDisplayConfig, WindowDisplayConfig
from lsi_rig.dmd.config import Dlpc350Config, SimDmdConfig
from lsi_rig.sync.config import NoSyncConfig, SerialSyncConfig, SimSyncConfig

#: Tag of the plug-in branch of each device union (hidden from error locations).
PLUGIN_TAG = "plugin"
#: Options a plug-in section may carry (its own settings; the plug-in validates them).
MAX_PLUGIN_OPTIONS = 200


class PluginDeviceConfig(StrictModel):
    """A device backend from an installed plug-in package."""

    model_config = ConfigDict(allow_inf_nan=False)
    kind: ClassVar[str] = ""
    builtin: ClassVar[tuple[str, ...]] = ()

    backend: str = Field(..., description="name registered in 'lsi_rig.backends.<kind>'")
    options: dict[Annotated[str, Field(max_length=100)], Any] = Field(
        default_factory=dict, description="the plug-in's own settings (it validates them)"
    )

    @field_validator("backend")
    @classmethod
    def _registered(cls, value: str) -> str:
        group = backend_group(cls.kind)
        check_plugin_name(value, group=group)
        if not is_registered(group, value):
            plugins = ", ".join(plugin_names(group)) or "none installed"
            raise ValueError(
                f"no backend named '{value}' (built-in: {', '.join(cls.builtin)}; plug-ins "
                f"in '{group}': {plugins}); " + HOW_TO_REGISTER.format(group=group)
            )
        return value

    @field_validator("options")
    @classmethod
    def _few_options(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > MAX_PLUGIN_OPTIONS:
            raise ValueError(f"{len(value)} options; at most {MAX_PLUGIN_OPTIONS}")
        return value


class PluginDmdConfig(PluginDeviceConfig):
    kind = "dmd"
    builtin = ("sim", "dlpc350")


class PluginDetectorConfig(PluginDeviceConfig):
    kind = "detector"
    builtin = ("sim", "nidaqmx")


class PluginDisplayConfig(PluginDeviceConfig):
    kind = "display"
    builtin = ("sim", "window")


class PluginSyncConfig(PluginDeviceConfig):
    kind = "sync"
    builtin = ("none", "sim", "serial")


def _tagger(builtin: tuple[str, ...]) -> Any:
    def tag(value: Any) -> str | None:
        backend = (
            value.get("backend") if isinstance(value, dict) else getattr(value, "backend", None)
        )
        if backend is None:
            return None
        return str(backend) if backend in builtin else PLUGIN_TAG

    return tag


def _discriminator(builtin: tuple[str, ...]) -> Discriminator:
    return Discriminator(
        _tagger(builtin),
        custom_error_type="missing_backend",
        custom_error_message=f"needs a 'backend' key ({', '.join(builtin)} or a plug-in name)",
    )


DmdChoice = Annotated[
    Annotated[SimDmdConfig, Tag("sim")]
    | Annotated[Dlpc350Config, Tag("dlpc350")]
    | Annotated[PluginDmdConfig, Tag(PLUGIN_TAG)],
    _discriminator(PluginDmdConfig.builtin),
]
DetectorChoice = Annotated[
    Annotated[SimDetectorConfig, Tag("sim")]
    | Annotated[NidaqmxConfig, Tag("nidaqmx")]
    | Annotated[PluginDetectorConfig, Tag(PLUGIN_TAG)],
    _discriminator(PluginDetectorConfig.builtin),
]
DisplayChoice = Annotated[
    Annotated[SimDisplayConfig, Tag("sim")]
    | Annotated[WindowDisplayConfig, Tag("window")]
    | Annotated[PluginDisplayConfig, Tag(PLUGIN_TAG)],
    _discriminator(PluginDisplayConfig.builtin),
]
SyncChoice = Annotated[
    Annotated[NoSyncConfig, Tag("none")]
    | Annotated[SimSyncConfig, Tag("sim")]
    | Annotated[SerialSyncConfig, Tag("serial")]
    | Annotated[PluginSyncConfig, Tag(PLUGIN_TAG)],
    _discriminator(PluginSyncConfig.builtin),
]

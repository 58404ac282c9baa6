"""Loading rig files: built-in names (``sim``, ``emulated``) or a path to a YAML file.

Every error names the file, the key path and what is wrong, in one line per problem.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from lsi_rig.config.plugin_devices import PLUGIN_TAG
from lsi_rig.config.schema import RigConfig
from lsi_rig.config.yaml_load import MAX_RIG_BYTES, load_rig_yaml
from lsi_rig.core.errors import ConfigError

BUILTIN_RIGS = ("sim", "sim-ideal", "emulated")


def _read_text(spec: str | Path) -> tuple[str, str]:
    """Return (text, label) for a built-in rig name or a file path."""
    if isinstance(spec, str) and spec in BUILTIN_RIGS:
        ref = resources.files("lsi_rig.config") / "rigs" / f"{spec}.yaml"
        return ref.read_text(encoding="utf-8"), f"built-in rig '{spec}'"
    path = Path(spec)
    if not path.exists():
        raise ConfigError(
            f"rig file {path}: not found (use a path to a YAML file or one of: "
            f"{', '.join(BUILTIN_RIGS)})"
        )
    try:
        if path.stat().st_size > MAX_RIG_BYTES:
            raise ConfigError(
                f"rig file {path}: {path.stat().st_size} bytes is far too large for a rig file "
                f"(limit {MAX_RIG_BYTES})"
            )
        return path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"rig file {path}: cannot read ({exc})") from exc


def _format_location(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def format_validation_error(label: str, exc: ValidationError) -> str:
    """One line per problem: '<file>: <key.path>: <what is wrong>'."""
    lines = []
    for err in exc.errors():
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x in _UNION_TAGS))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (remove it or check its spelling)"
        elif err["type"] == "value_error":
            msg = msg.removeprefix("Value error, ")
        lines.append(f"{label}: {_format_location(loc)}: {msg}")
    return "\n".join(lines)


# pydantic inserts the discriminator value into error locations; hide it from users.
_UNION_TAGS = {"sim", "window", "dlpc350", "nidaqmx", "serial", "none", PLUGIN_TAG}


def parse_rig(data: Any, label: str) -> RigConfig:
    if not isinstance(data, dict):
        raise ConfigError(
            f"{label}: top level must be a mapping of keys, got {type(data).__name__}"
        )
    try:
        return RigConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(label, exc)) from None


def load_rig(spec: str | Path) -> RigConfig:
    """Load and validate a rig: a built-in name or a YAML path."""
    text, label = _read_text(spec)
    data = load_rig_yaml(text, label)
    if data is None:
        raise ConfigError(f"{label}: file is empty")
    return parse_rig(data, label)


def dump_rig(config: RigConfig) -> str:
    """The resolved rig (all defaults filled in) as YAML, as stored in session files."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)

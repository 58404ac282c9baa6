"""``lsi-rig inspect``: what a session file holds (human-readable or JSON)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer


def register(app: typer.Typer) -> None:
    app.command("inspect")(inspect)


def _lines(summary: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key, value in summary.items():
        if isinstance(value, dict):
            out.append(f"{prefix}{key}:")
            out.extend(_lines(value, prefix + "  "))
        else:
            out.append(f"{prefix}{key}: {value}")
    return out


def inspect(
    path: Annotated[Path, typer.Argument(help="session file (.h5)")],
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Summarise a session file: status, rig, masks, scenes, records and flags.

    Says when the file needs `lsi-rig recover` (its writer died with it open).
    """
    from lsi_rig.storage import open_session

    with open_session(path) as reader:
        summary = reader.summary()
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=str))
        return
    advice = summary.pop("needs_recovery", None)
    typer.echo("\n".join(_lines(summary)))
    if advice:
        typer.echo(f"note: {advice}")

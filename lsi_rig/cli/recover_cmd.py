"""``lsi-rig recover``: finish session files whose writer died, so any HDF5 tool opens them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("recover")(recover)


def recover(
    paths: Annotated[list[Path], typer.Argument(help="session file(s) (.h5) to recover")],
) -> None:
    """Finish the session file of a killed capture so any HDF5 tool opens it.

    Status interrupted, datasets trimmed to the committed records, HDF5's open-for-writing mark
    cleared. Nothing committed is lost; a file that is already finished is left as it is.
    """
    from lsi_rig.storage import recover_session

    for path in paths:
        typer.echo(recover_session(path).line())

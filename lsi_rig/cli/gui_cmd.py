"""``lsi-rig gui``: the desktop app (PyQt6 + pyqtgraph)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("gui")(gui)


def gui(
    rig: Annotated[
        str, typer.Option("--rig", help="built-in rig (sim, sim-ideal, emulated) or YAML")
    ] = "sim",
    masks: Annotated[
        str | None,
        typer.Option(
            "--masks",
            help="demo:hadamard32, CHECKPOINT.pt, MASKS.npy/.npz, PNG dir (default: demo masks)",
            show_default=False,
        ),
    ] = None,
    images: Annotated[
        list[Path] | None,
        typer.Option("--images", help="image files or folders (default: procedural demo faces)"),
    ] = None,
    repeats: Annotated[
        int | None,
        typer.Option(min=1, help="records per scene (default: the rig's)", show_default=False),
    ] = None,
    sessions_dir: Annotated[
        Path | None,
        typer.Option(help="folder for new session files (default: the rig's sessions_dir)"),
    ] = None,
    log_file: Annotated[
        Path | None, typer.Option(help="the app's log file (default: per-user data folder)")
    ] = None,
    no_connect: Annotated[
        bool, typer.Option("--no-connect", help="do not connect the rig at start")
    ] = False,
) -> None:
    """Open the desktop app: run the rig, watch vectors and decoded faces, review sessions."""
    from lsi_rig.config import load_rig
    from lsi_rig.decode.model_masks import load_masks
    from lsi_rig.gui.defaults import DEFAULT_MASKS
    from lsi_rig.gui.scene_choice import SceneChoice, SceneKind

    rig_config = load_rig(rig)  # bad input: one line, exit 2, before any window opens
    mask_set = load_masks(masks or DEFAULT_MASKS)
    if images:
        choice = SceneChoice(SceneKind.FILES, tuple(images))
        choice.source()  # every file checked now
    else:
        choice = SceneChoice()

    from lsi_rig.gui.app import run_gui
    from lsi_rig.gui.main_window import GuiOptions

    options = GuiOptions(
        rig_config=rig_config,
        rig_label=rig,
        mask_set=mask_set,
        scenes=choice,
        sessions_dir=sessions_dir,
        log_path=log_file,
        connect=not no_connect,
        repeats=repeats,
    )
    code = run_gui(options)
    if code:
        raise typer.Exit(code)

"""Errors in the app read exactly like the CLI's; internal errors point at the log, no traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lsi_rig.cli.app import main

pytestmark = [pytest.mark.gui, pytest.mark.timeout(120)]


def _bad_masks(tmp_path: Path) -> dict[str, str]:
    """One of each way a mask source can be wrong."""
    non_binary = tmp_path / "grey.npy"
    np.save(non_binary, np.full((4, 8, 8), 0.5))
    flat = tmp_path / "flat.npy"
    np.save(flat, np.ones((8, 8)))
    empty = tmp_path / "no_pngs"
    empty.mkdir()
    (empty / "readme.txt").write_text("no masks here")
    text = tmp_path / "masks.txt"
    text.write_text("0 1 0 1")
    return {
        "non-binary values": str(non_binary),
        "2-D array": str(flat),
        "folder without PNGs": str(empty),
        "unsupported suffix": str(text),
        "missing file": str(tmp_path / "nowhere.npy"),
    }


def _cli_line(capsys, spec: str, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    """What ``lsi-rig capture`` prints for these masks (the installed typer/click CLI)."""
    image = tmp_path / "face.png"
    if not image.exists():
        Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(image)
    capsys.readouterr()
    code = main(
        ["capture", "--rig", "sim", "--masks", spec, "--images", str(image),
         "--out", str(tmp_path / "cli.h5")]
    )  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert not (tmp_path / "cli.h5").exists()
    prefix = "lsi-rig: error: "
    assert err[0].startswith(prefix)
    return err[0][len(prefix) :]


def test_a_bad_mask_file_shows_the_cli_line_and_writes_nothing(
    qtbot, make_window, tmp_path, capsys
) -> None:
    window = make_window()
    sessions = window.flow.sessions_dir
    before = window.inputs.mask_set
    for what, spec in _bad_masks(tmp_path).items():
        window.masks_dock.spec.setCurrentText(spec)
        window.masks_dock.load_button.click()
        dialog = window.errors.last
        assert dialog is not None and dialog.isVisible(), what
        assert dialog.text() == _cli_line(capsys, spec, tmp_path), what
        assert "Traceback" not in dialog.text()
        dialog.close()
        assert window.inputs.mask_set is before, what  # the loaded masks are kept
    window.flow.start()  # still captures through the good masks afterwards
    qtbot.waitUntil(lambda: window.session_dock.start.isEnabled() and window.capture.job is not None
                    and window.capture.job.state.is_final, timeout=30_000)  # fmt: skip
    (path,) = sorted(sessions.rglob("*.h5"))  # the only file: the good capture
    assert before.name.replace(":", "_").split("[")[0] in path.name


def test_bad_scene_files_show_the_scene_error(qtbot, make_window, tmp_path) -> None:
    from lsi_rig.gui.scene_choice import SceneChoice, SceneKind

    window = make_window()
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    window.inputs._scenes_chosen(SceneChoice(SceneKind.FILES, (broken,)))
    window.flow.start()
    message = window.errors.shown[-1]
    assert str(broken) in message and "\n" not in message
    assert window.capture.job is None
    assert not window.flow.sessions_dir.exists() or not any(window.flow.sessions_dir.rglob("*"))


def test_cli_gui_refuses_bad_masks_with_one_line_and_no_window(tmp_path, capsys) -> None:
    spec = _bad_masks(tmp_path)["non-binary values"]
    code = main(["gui", "--masks", spec, "--sessions-dir", str(tmp_path / "s")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and spec in err[0]
    assert not (tmp_path / "s").exists()
    code = main(["gui", "--rig", str(tmp_path / "no_such_rig.yaml")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "no_such_rig.yaml" in err[0]


def test_an_internal_error_names_the_log_file_not_a_traceback(make_window, tmp_path) -> None:
    from lsi_rig.gui.errors import install_excepthook

    window = make_window()
    previous = sys.excepthook
    install_excepthook(window.errors)
    try:
        try:
            raise RuntimeError("the redraw went wrong")
        except RuntimeError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        sys.excepthook = previous
    text = window.errors.shown[-1]
    assert "RuntimeError: the redraw went wrong" in text
    assert str(tmp_path / "gui.log") in text
    assert "Traceback" not in text and 'File "' not in text


def test_a_rig_that_cannot_be_built_shows_its_line(qtbot, make_window, tmp_path) -> None:
    bad = tmp_path / "rig.yaml"
    bad.write_text("name: broken\ndevices:\n  dmd: {backend: sim, frobnicate: 1}\n")
    window = make_window()
    window.rigs._switch_rig(str(bad))
    message = window.errors.shown[-1]
    assert message.startswith(f"{bad}: devices.dmd.frobnicate: unknown key")
    assert window.rigs.rig_config.name == "sim"  # the working rig stays selected

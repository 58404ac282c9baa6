"""Bad input: one clear error line, non-zero exit, and no session file left behind."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lsi_rig.cli.app import main


@pytest.fixture
def images(tmp_path: Path) -> Path:
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(
            folder / f"{name}.png"
        )
    return folder


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = main(list(args))
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    return code, err


def _capture(
    tmp_path: Path,
    images: Path,
    *,
    rig: str = "sim-ideal",
    masks: str = "demo:hadamard16:16",
    out: Path | None = None,
) -> list[str]:
    return [
        "capture",
        "--rig",
        rig,
        "--masks",
        masks,
        "--images",
        str(images),
        "--out",
        str(out or tmp_path / "out.h5"),
        "--quiet",
    ]


def _assert_one_error(code: int, err: list[str], *needles: str) -> None:
    assert code == 2
    assert len(err) == 1, err
    assert err[0].startswith("lsi-rig: error: ")
    for needle in needles:
        assert needle in err[0], err[0]


def test_malformed_yaml(tmp_path: Path, images: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rig = tmp_path / "rig.yaml"
    rig.write_text("name: broken\nworld: {seed: 1\n")
    code, err = _run(capsys, *_capture(tmp_path, images, rig=str(rig)))
    _assert_one_error(code, err, str(rig), "malformed YAML", "line")
    assert not (tmp_path / "out.h5").exists()


def test_unknown_key(tmp_path: Path, images: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rig = tmp_path / "rig.yaml"
    rig.write_text("name: typo\nworld: {optics: {blurr_sigma_um: 3}}\n")
    code, err = _run(capsys, *_capture(tmp_path, images, rig=str(rig)))
    _assert_one_error(code, err, str(rig), "world.optics.blurr_sigma_um", "unknown key")
    assert not (tmp_path / "out.h5").exists()


@pytest.mark.parametrize(
    ("array", "needle"),
    [
        (np.zeros((4, 16)), "shape"),
        (np.full((4, 16, 16), 0.5), "binary"),
        (np.where(np.eye(16)[None].repeat(4, 0) > 0, np.nan, 1.0), "NaN"),
    ],
    ids=["wrong-shape", "non-binary", "nan"],
)
def test_bad_masks(
    tmp_path: Path, images: Path, capsys: pytest.CaptureFixture[str], array: np.ndarray, needle: str
) -> None:
    path = tmp_path / "masks.npy"
    np.save(path, array)
    code, err = _run(capsys, *_capture(tmp_path, images, masks=str(path)))
    _assert_one_error(code, err, "masks.npy")
    assert needle.lower() in err[0].lower()
    assert not (tmp_path / "out.h5").exists()


def test_missing_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.png"
    code, err = _run(capsys, *_capture(tmp_path, missing))
    _assert_one_error(code, err, "nope.png")
    assert not (tmp_path / "out.h5").exists()


def test_corrupt_image(tmp_path: Path, images: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = (images / "b.png").read_bytes()
    (images / "b.png").write_bytes(data[: len(data) // 2])
    code, err = _run(capsys, *_capture(tmp_path, images))
    _assert_one_error(code, err, "b.png")
    assert not (tmp_path / "out.h5").exists()


def test_unwritable_output(
    tmp_path: Path,
    images: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    real_access = os.access
    if real_access(locked, os.W_OK):  # root writes anywhere: make the OS answer as for a user
        monkeypatch.setattr(
            os, "access", lambda p, mode: False if Path(p) == locked else real_access(p, mode)
        )
    try:
        code, err = _run(capsys, *_capture(tmp_path, images, out=locked / "out.h5"))
        _assert_one_error(code, err, str(locked), "not writable")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_output_folder_missing(
    tmp_path: Path, images: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "no" / "such" / "dir" / "out.h5"
    code, err = _run(capsys, *_capture(tmp_path, images, out=out))
    _assert_one_error(code, err, "does not exist")
    assert not out.parent.exists()


def test_existing_output_is_not_overwritten(
    tmp_path: Path, images: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.h5"
    out.write_bytes(b"precious")
    code, err = _run(capsys, *_capture(tmp_path, images, out=out))
    _assert_one_error(code, err, "exists", "--overwrite")
    assert out.read_bytes() == b"precious"


def test_output_parent_is_a_file(
    tmp_path: Path, images: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    code, err = _run(capsys, *_capture(tmp_path, images, out=blocker / "out.h5"))
    _assert_one_error(code, err, "is not a folder")


def test_file_creation_failure_leaves_nothing(
    tmp_path: Path, images: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The folder is writable but the OS refuses the name (too long): the writer's own error
    path must report it and leave no partial file."""
    out = tmp_path / ("x" * 300 + ".h5")
    code, err = _run(capsys, *_capture(tmp_path, images, out=out))
    assert code == 2 and len(err) == 1 and err[0].startswith("lsi-rig: error: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images"]

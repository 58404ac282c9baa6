"""``--calibration`` on capture and batch: the rig's current calibration applies by default, the
session embeds it and stores calibrated vectors beside the raw ones, ``none`` turns it off, and a
calibration made for another rig or mask set is refused in one line before any file exists."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lsi_rig.cli.app import main
from lsi_rig.config import load_rig
from lsi_rig.masks import load_masks
from lsi_rig.storage import open_session

from ..calibration.conftest import synthetic_calibration

MASKS = "demo:hadamard16:32"
GAIN = 2e-5


@pytest.fixture
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder whose calibration/ holds a current calibration of the sim rig."""
    monkeypatch.chdir(tmp_path)
    images = tmp_path / "faces"
    images.mkdir()
    rng = np.random.default_rng(3)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(
            images / f"f{i}.png"
        )
    synthetic_calibration(load_rig("sim"), load_masks(MASKS), tmp_path / "calibration", gain=GAIN)
    return tmp_path


def _capture(*extra: str, out: str = "s.h5", masks: str = MASKS) -> int:
    return main(
        ["capture", "--rig", "sim", "--masks", masks, "--images", "faces", "--out", out,
         "--size", "32", "--quiet", *extra]
    )  # fmt: skip


def test_the_current_calibration_applies_by_default(bench: Path) -> None:
    assert _capture() == 0
    with open_session(bench / "s.h5") as reader:
        assert reader.has_calibrated
        snapshot = reader.calibration()
        assert snapshot is not None and snapshot.rig_name == "sim"
        assert reader.calibration_sha256 == snapshot.sha256
        raw = reader.vectors()
        calibrated = reader.vectors("calibrated")
    offset = snapshot.arrays["response_offset"]
    np.testing.assert_allclose(calibrated, (raw - offset) / GAIN, rtol=1e-5)


def test_none_captures_uncalibrated(bench: Path) -> None:
    assert _capture("--calibration", "none") == 0
    with open_session(bench / "s.h5") as reader:
        assert not reader.has_calibrated and reader.calibration() is None


def test_a_calibration_for_other_masks_or_another_rig_is_refused(
    bench: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other_rig = synthetic_calibration(
        load_rig("sim-ideal"), load_masks(MASKS), bench / "elsewhere", make_current=False
    )
    cases = [
        ("demo:hadamard16:64", (), "mask set"),
        (MASKS, ("--calibration", str(other_rig.folder)), "rig"),
        (MASKS, ("--calibration", str(bench / "no-such-folder")), "no such folder"),
    ]
    for masks, extra, needle in cases:
        code = _capture(*extra, masks=masks)
        lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert code == 2 and len(lines) == 1, (masks, extra, lines)
        assert lines[0].startswith("lsi-rig: error: ") and needle in lines[0], lines
        assert not (bench / "s.h5").exists()


def test_batch_applies_the_calibration_too(bench: Path) -> None:
    code = main(
        ["batch", "--rig", "sim", "--masks", MASKS, "--images", "faces", "--out", "b.h5",
         "--size", "32", "--quiet", "--no-report"]
    )  # fmt: skip
    assert code == 0
    with open_session(bench / "b.h5") as reader:
        assert reader.has_calibrated and reader.vectors("calibrated").shape == (3, 32)

"""On a real bench the gain knob is the operator's: the wizard asks once per setting, reopens
the devices at it, and asks to set it back; a refusal cancels with one line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lsi_rig.calibration import CalibrationCancelled, CalibrationError
from lsi_rig.calibration import capture as capture_module
from lsi_rig.calibration.capture import Capturer
from lsi_rig.config import load_rig
from lsi_rig.config.schema import RigConfig


@dataclass
class BenchRig:
    """Stands in for a rig of real devices (no simulated world)."""

    config: RigConfig
    world: None = None
    closed: bool = False
    log: list[str] = field(default_factory=list)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> list[BenchRig]:
    built: list[BenchRig] = []

    def build(config: RigConfig) -> BenchRig:
        rig = BenchRig(config)
        built.append(rig)
        return rig

    monkeypatch.setattr(capture_module, "build_rig", build)
    return built


def test_a_sweep_asks_once_per_setting_and_restores(bench: list[BenchRig], tmp_path: Path) -> None:
    config = load_rig("sim")
    original = BenchRig(config)
    asked: list[str] = []
    capturer = Capturer(original, config, tmp_path, operator=lambda m: asked.append(m) or True)  # type: ignore[arg-type, func-returns-value]
    assert not capturer.detector_settable
    with capturer.rig_at(gain_db=50, range_v=10.0) as rig:
        assert rig.config.devices.detector.gain_db == 50 and original.closed
    with capturer.rig_at(gain_db=50, range_v=10.0) as again:
        assert again is rig  # the knob is already there: no second question
    with capturer.rig_at(gain_db=60, range_v=5.0) as other:
        assert other.config.devices.detector.range_v == 5.0 and rig.closed
    with capturer.rig_at(gain_db=40, range_v=10.0) as home:  # the rig file's setting
        assert home.config.devices.detector.gain_db == 40 and other.closed
    assert asked == [
        "set the PDA100A2 gain knob to 50 dB and the DAQ range to ±10 V",
        "set the PDA100A2 gain knob to 60 dB and the DAQ range to ±5 V",
        "set the PDA100A2 gain knob back to 40 dB and the DAQ range to ±10 V",
    ]
    capturer.restore_detector()  # nothing more to restore
    assert len(asked) == 3 and capturer.rig is home


def test_a_refused_knob_change_cancels(bench: list[BenchRig], tmp_path: Path) -> None:
    config = load_rig("sim")
    capturer = Capturer(BenchRig(config), config, tmp_path, operator=lambda m: False)  # type: ignore[arg-type]
    refused = "needs the operator to set the PDA100A2 gain knob to 30 dB"
    with (
        pytest.raises(CalibrationCancelled, match=refused),
        capturer.rig_at(gain_db=30, range_v=10.0),
    ):
        pass
    assert bench == []
    borrowed = Capturer(BenchRig(config), config, tmp_path, operator=lambda m: True, owns_rig=False)  # type: ignore[arg-type]
    with (
        pytest.raises(CalibrationError, match="needs the rig to itself"),
        borrowed.rig_at(gain_db=30, range_v=10.0),
    ):
        pass

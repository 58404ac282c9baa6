"""PDA100A2 gain knob rules (hardware.md §3): settling vs exposure, saturation margins."""

from __future__ import annotations

import numpy as np
import pytest

import lsi_rig.config.schema  # noqa: F401  (import order)
from lsi_rig.core.flags import RecordFlags
from lsi_rig.detector import gain_check as gc
from lsi_rig.detector.config import NidaqmxConfig
from lsi_rig.world.config import PhotodiodeConfig, WorldConfig

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize(
    ("gain_db", "exposure_us", "settle_us", "slow"),
    [
        (40, 235.0, 1.1 / 150e3 * 1e6, False),  # 7.33 µs ≤ 58.75 µs
        (50, 250.0, 1.1 / 45e3 * 1e6, False),  # 24.4 µs ≤ 62.5 µs
        (60, 250.0, 100.0, True),  # 1.1/11 kHz = 100 µs > 62.5 µs
        (60, 400.0, 100.0, False),  # exactly at the limit (100 ≤ 100) is allowed
        (70, 694.4, 550.0, True),  # video 60 Hz with 70 dB: 550 µs > 173.6 µs
    ],
)
def test_settling_rule_numbers(gain_db, exposure_us, settle_us, slow):
    check = gc.check_bandwidth(gain_db, exposure_us)
    assert check.settle_us == pytest.approx(settle_us, rel=1e-12)
    assert check.allowed_settle_us == pytest.approx(0.25 * exposure_us)
    assert check.slow is slow
    assert check.min_exposure_us == pytest.approx(4 * settle_us)


def test_slow_message_names_the_fix():
    check = gc.check_bandwidth(60, 250.0)
    assert "use gain ≤ 50 dB" in check.message
    assert "≥ 400 µs" in check.message
    assert "use gain ≤ 10 dB" in gc.check_bandwidth(70, 1.0).message  # 0.22 µs ≤ 0.25 µs
    none_fast = gc.check_bandwidth(70, 0.1)  # even 0 dB needs 0.1 µs > 0.025 µs
    assert "no gain setting is fast enough" in none_fast.message


def test_bandwidth_table_from_rig_world():
    custom = {g: 1e6 for g in range(0, 71, 10)} | {40: 4.4e3}
    world = WorldConfig(photodiode=PhotodiodeConfig(bandwidth_hz=custom))
    table = gc.bandwidth_table(world)
    assert table[40] == 4.4e3
    assert gc.check_bandwidth(40, 1000.0, table).slow is False  # 250 µs ≤ 250 µs
    assert gc.check_bandwidth(40, 999.0, table).slow is True
    assert gc.bandwidth_table(None)[70] == 2e3  # defaults from lsi_rig.world.config
    assert gc.output_max_v(None) == 10.0


def test_unknown_gain():
    with pytest.raises(ValueError, match="not a knob setting"):
        gc.check_bandwidth(45, 100.0)
    with pytest.raises(ValueError, match="not a knob setting"):
        NidaqmxConfig(gain_db=45)


@pytest.mark.parametrize(
    ("samples", "output_max", "range_v", "flags", "words"),
    [
        ([1.0, 8.9, np.nan], 10.0, 10.0, RecordFlags.NONE, None),
        ([1.0, 9.01], 10.0, 10.0, RecordFlags.NEAR_SATURATION, "above 90 % of the PDA100A2"),
        ([10.0], 10.0, 10.0, RecordFlags.SATURATED | RecordFlags.NEAR_SATURATION, "reached"),
        ([4.4], 10.0, 5.0, RecordFlags.NONE, None),
        ([4.6], 10.0, 5.0, RecordFlags.NEAR_SATURATION, "DAQ range (5 V)"),
        ([4.6], 5.0, 10.0, RecordFlags.NEAR_SATURATION, "output maximum (5 V)"),
    ],
)
def test_saturation_margins(samples, output_max, range_v, flags, words):
    got, message = gc.saturation_flags(np.array(samples), output_max=output_max, range_v=range_v)
    assert got == flags
    if words is None:
        assert message is None
    else:
        assert words in message

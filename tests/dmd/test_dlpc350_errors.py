"""Failures give clear errors and never hang: NACK, silence, disconnect, no device, no video,
validation errors, a sequencer that does not follow Stop/Start, bad backend settings."""

from __future__ import annotations

import logging

import pytest

from lsi_rig.core.backend_context import BackendContext
from lsi_rig.core.clock import SimClock
from lsi_rig.core.errors import ConfigError, DeviceError, DeviceNotFoundError, DeviceTimeoutError
from lsi_rig.dmd.config import Dlpc350Config
from lsi_rig.dmd.dlpc350.backend import Dlpc350Dmd, create
from lsi_rig.dmd.dlpc350.driver import Dlpc350Driver
from lsi_rig.dmd.dlpc350.emulator import Dlpc350Emulator, start_emulator
from lsi_rig.dmd.dlpc350.link import Dlpc350Link
from lsi_rig.dmd.dlpc350.lut import LutEntry, TriggerType, video_lut
from lsi_rig.dmd.dlpc350.plan import VideoPlan, plan_video_sequence
from lsi_rig.dmd.dlpc350.usb_transport import UsbHidTransport, resolve_usb_backend

from .conftest import random_sequence

pytestmark = pytest.mark.timeout(60)


def ctx_for(emulator: Dlpc350Emulator) -> BackendContext:
    return BackendContext(rig=None, clock=SimClock(), endpoints=emulator.endpoints)  # type: ignore[arg-type]


def test_nack_names_the_command(dmd: Dlpc350Dmd, emulator: Dlpc350Emulator) -> None:
    emulator.faults.nack_commands.add(0x1A31)
    with pytest.raises(DeviceError, match=r"refused PATTERN_CONFIG \(0x1A31\) \(NACK"):
        dmd.load_sequence(random_sequence(24))


def test_nack_on_read(dmd: Dlpc350Dmd, emulator: Dlpc350Emulator) -> None:
    emulator.faults.nack_commands.add(0x1A0C)
    with pytest.raises(DeviceError, match=r"read MAIN_STATUS \(0x1A0C\) failed \(NACK\)"):
        dmd.status()


def test_silence_times_out(dmd: Dlpc350Dmd, emulator: Dlpc350Emulator) -> None:
    emulator.faults.silent = True
    with pytest.raises(DeviceTimeoutError, match="no answer within 200 ms"):
        dmd.load_sequence(random_sequence(24))
    assert emulator.usb_backend.timeouts_ms == {200}  # every transfer had the configured timeout


def test_disconnect_mid_session(dmd: Dlpc350Dmd, emulator: Dlpc350Emulator) -> None:
    emulator.faults.disconnected = True
    with pytest.raises(DeviceError, match="disconnected"):
        dmd.status()


def test_device_not_found_hints() -> None:
    emulator = start_emulator(None)
    emulator.faults.disconnected = True
    with pytest.raises(DeviceNotFoundError) as info:
        create(Dlpc350Config(usb_backend="emulator"), ctx_for(emulator))
    message = str(info.value)
    assert "0451:6401" in message and "udev" in message and 'ATTR{idVendor}=="0451"' in message
    assert "Zadig" in message and "WinUSB" in message


def test_kernel_driver_detached_and_interface_claimed(emulator: Dlpc350Emulator) -> None:
    transport = UsbHidTransport(emulator.usb_backend, timeout_ms=100)
    assert not emulator.usb_backend.kernel_driver_active and emulator.usb_backend.claimed
    transport.close()
    assert emulator.usb_backend.kernel_driver_active and not emulator.usb_backend.claimed


def test_video_not_locked(dmd: Dlpc350Dmd, emulator: Dlpc350Emulator) -> None:
    emulator.faults.video_locked = False
    with pytest.raises(DeviceTimeoutError, match="no video signal locked"):
        dmd.load_sequence(random_sequence(24))
    assert all(m.command != 0x1A1B for m in emulator.usb_backend.messages)  # never switched
    assert not dmd.status().healthy


def test_start_not_confirmed(dmd: Dlpc350Dmd, emulator: Dlpc350Emulator) -> None:
    dmd.load_sequence(random_sequence(24))
    emulator.faults.ignore_state_commands = True
    emulator.usb_backend.clear_log()
    with pytest.raises(DeviceError, match="did not reach START after 5 attempts"):
        dmd.start()
    starts = [m for m in emulator.usb_backend.messages if m.command == 0x1A24 and not m.is_read]
    assert len(starts) == 5


def test_validation_running_forever(dmd: Dlpc350Dmd, emulator: Dlpc350Emulator) -> None:
    emulator.faults.validation_busy_polls = 10**6
    with pytest.raises(DeviceTimeoutError, match="validation still running"):
        dmd.load_sequence(random_sequence(24))


def _driver(emulator: Dlpc350Emulator) -> Dlpc350Driver:
    emulator.video_sink.show(__import__("numpy").zeros((1, 1140, 912, 3), "uint8"), 60.0)
    return Dlpc350Driver(Dlpc350Link(UsbHidTransport(emulator.usb_backend)), clock=SimClock())


def _plan(exposure: int, period: int, lut: list[LutEntry]) -> VideoPlan:
    base = plan_video_sequence(len(lut), 60.0)
    return VideoPlan(
        n_patterns=len(lut),
        patterns_per_frame=base.patterns_per_frame,
        n_frames=1,
        vsync_hz=60.0,
        exposure_us=exposure,
        period_us=period,
        strategy="lut",
        lut=tuple(lut),
        patterns_per_trig_out_2=len(lut),
    )


def test_validation_error_bits_block_start(emulator: Dlpc350Emulator) -> None:
    driver = _driver(emulator)
    with pytest.raises(DeviceError, match="exposure or frame period invalid") as info:
        driver.program_video_sequence(_plan(100, 100, video_lut(24, 24)), video_lock_timeout_s=1)
    assert "0x01" in str(info.value)
    bad = [*video_lut(23, 24), LutEntry(TriggerType.NO_TRIGGER, 30)]
    with pytest.raises(DeviceError, match="invalid pattern number") as info:
        driver.program_video_sequence(_plan(694, 694, bad), video_lock_timeout_s=1)
    with pytest.raises(DeviceError, match="did not reach START"):
        driver.start()  # the firmware refuses to start a sequence that failed validation


def test_validation_warnings_logged(
    emulator: Dlpc350Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    driver = _driver(emulator)
    lut = video_lut(24, 24)
    lut[5] = LutEntry(TriggerType.NO_TRIGGER, 5, trig_out_prev=True, insert_black=True)
    with caplog.at_level(logging.WARNING):
        result = driver.program_video_sequence(_plan(400, 500, lut), video_lock_timeout_s=1)
    assert result is None
    text = caplog.text
    assert "TRIG_OUT_1" in text and "black vector missing" in text and "230" in text
    assert emulator.controller.regs.validation == 0b11100
    driver.start()
    assert driver.main_status().running


def test_settings_refused_while_running(dmd: Dlpc350Dmd, emulator: Dlpc350Emulator) -> None:
    dmd.load_sequence(random_sequence(24))
    dmd.start()
    with pytest.raises(DeviceError, match="NACK"):
        dmd.driver.link.write(0x1A29, bytes(8))
    dmd.load_sequence(random_sequence(48))  # load stops first, so this works
    assert emulator.controller.regs.n_entries == 48


def test_usb_backend_settings() -> None:
    """Plug-in backends by name are tested in tests/integration/test_plugins.py."""
    assert resolve_usb_backend(None) is None
    with pytest.raises(ConfigError, match="no DLPC350 emulator is running"):
        resolve_usb_backend("emulator", {})
    for spec in ("math:pi", "no_such_module_xyz:backend", "tests.dmd.conftest:emulator"):
        with pytest.raises(ConfigError, match="rig files never import code"):
            resolve_usb_backend(spec)
    with pytest.raises(ConfigError, match="no plug-in named 'not-installed'"):
        resolve_usb_backend("not-installed")


def test_vsync_too_fast_for_one_pattern_per_frame() -> None:
    with pytest.raises(ConfigError, match="235"):
        plan_video_sequence(24, 180.0)

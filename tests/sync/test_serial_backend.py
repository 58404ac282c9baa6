"""The real pyserial backend against the pty emulator: commands, retries, faults, errors."""

from __future__ import annotations

import time

import pytest

from lsi_rig.core.backend_context import BackendContext
from lsi_rig.core.clock import SimClock
from lsi_rig.core.errors import ConfigError, DeviceError, DeviceNotFoundError, DeviceTimeoutError
from lsi_rig.sync.config import SerialSyncConfig
from lsi_rig.sync.emulator import PtyEmulator, start_pty_emulator
from lsi_rig.sync.protocol import SyncController, SyncStatus
from lsi_rig.sync.serial_backend import SerialSync, create
from lsi_rig.sync.wire import (
    ErrorCode,
    SyncCommandError,
    SyncDisconnectedError,
    SyncProtocolError,
)
from tests.sync.conftest import TIMEOUT_S, commands
from tests.sync.world_stub import StubWorld

NON_IDEMPOTENT = [
    ("arm", (10, 1000, 100), "ARM 10 1000 100"),
    ("fire", (), "FIRE"),
    ("abort", (), "ABORT"),
    ("reset_edge_count", (), "EDGES:RESET"),
]


def test_identify_and_describe(sync: SerialSync, emulator: PtyEmulator) -> None:
    assert isinstance(sync, SyncController)
    assert sync.identify() == "LSISYNC,emulator-1.1.0,1.1"
    desc = sync.describe()
    assert desc["port"] == emulator.port
    assert desc["firmware_version"] == "emulator-1.1.0"
    assert desc["protocol_version"] == "1.1"
    assert sync.has_edge_gate
    assert emulator.received == ["@0 *IDN?", "@1 *IDN?"]  # connect, then identify()


def test_pulse_train_lifecycle(sync: SerialSync, world: StubWorld) -> None:
    assert sync.status() == SyncStatus(False, False, 0, 0, raw=sync.status().raw)
    sync.arm(5, 1000.2, 99.7)  # rounded to whole microseconds on the wire
    st = sync.status()
    assert (st.armed, st.firing, st.pulses_remaining) == (True, False, 5)
    sync.fire()
    world.clock.sleep_s(2.5e-3)  # pulses 0, 1, 2 have started
    st = sync.status()
    assert (st.armed, st.firing, st.pulses_remaining) == (False, True, 2)
    with pytest.raises(SyncCommandError, match="ERR 5") as info:
        sync.arm(3, 1000, 100)
    assert info.value.code == ErrorCode.BUSY
    world.clock.sleep_s(2e-3)  # last pulse started at 4 ms, ends at 4.1 ms
    st = sync.status()
    assert (st.armed, st.firing, st.pulses_remaining) == (False, False, 0)
    sync.arm(3, 1000, 100)
    sync.abort()
    assert sync.status().armed is False


def test_fire_without_arm_is_refused(sync: SerialSync, emulator: PtyEmulator) -> None:
    with pytest.raises(SyncCommandError, match=r"refused '@\d+ FIRE': ERR 6 ARM first") as info:
        sync.fire()
    assert info.value.code == ErrorCode.NOT_ARMED
    assert commands(emulator).count("FIRE") == 1  # an ERR reply is an answer: no re-send


def test_out_of_range_train_is_rejected_before_sending(
    sync: SerialSync, emulator: PtyEmulator
) -> None:
    with pytest.raises(SyncCommandError, match="period_us must be") as info:
        sync.arm(10, 20, 5)
    assert info.value.code == ErrorCode.OUT_OF_RANGE
    with pytest.raises(SyncCommandError, match="not an integer"):
        sync.arm(2.5, 1000, 100)  # type: ignore[arg-type]
    assert not any("ARM" in c for c in commands(emulator))


def test_edge_counts_follow_the_world(sync: SerialSync, world: StubWorld) -> None:
    world.missing = (3,)  # 9 edges per 10-pattern pass
    world.clock.sleep_s(0.0042)
    assert sync.edge_count() == 4  # edges at 0, 1, 2, 4 ms: pattern 3 has none
    sync.reset_edge_count()
    t_reset = world.clock.now_s()
    world.clock.sleep_s(0.0305)
    expected = len(world.trigger_edges(t_reset, world.clock.now_s()).trig1_rising_s)
    assert expected == 27
    assert sync.edge_count() == expected
    assert sync.status().edge_count == expected
    world.clock.sleep_s(0.001)
    assert sync.edge_count() == 28


def test_query_is_resent_after_silence(sync: SerialSync, emulator: PtyEmulator) -> None:
    emulator.inject("silence", command="STATUS?")
    assert sync.status().pulses_remaining == 0
    assert commands(emulator)[-2:] == ["STATUS?", "STATUS?"]


def test_query_is_resent_after_garbage(sync: SerialSync, emulator: PtyEmulator) -> None:
    emulator.inject("garbage", command="EDGES?")
    assert sync.edge_count() == 0
    assert commands(emulator)[-2:] == ["EDGES?", "EDGES?"]


def test_query_gives_up_after_its_retries(sync: SerialSync, emulator: PtyEmulator) -> None:
    emulator.inject("silence", times=3, command="EDGES?")
    with pytest.raises(DeviceTimeoutError, match=f"{emulator.port}.*EDGES\\?"):
        sync.edge_count()
    assert commands(emulator).count("EDGES?") == 3
    assert sync.edge_count() == 0  # the link still works afterwards


@pytest.mark.parametrize(("method", "args", "wire_text"), NON_IDEMPOTENT)
def test_commands_are_never_resent(
    sync: SerialSync, emulator: PtyEmulator, method: str, args: tuple, wire_text: str
) -> None:
    if method == "fire":
        sync.arm(10, 1000, 100)
    emulator.inject("silence", command=wire_text.split()[0])
    with pytest.raises(DeviceTimeoutError) as info:
        getattr(sync, method)(*args)
    assert emulator.port in str(info.value)
    assert wire_text.split()[0] in str(info.value)
    assert commands(emulator).count(wire_text) == 1
    emulator.inject("garbage", command=wire_text.split()[0])
    if method == "fire":
        sync.abort()
        sync.arm(10, 1000, 100)
    with pytest.raises(SyncProtocolError, match="garbage reply"):
        getattr(sync, method)(*args)
    assert commands(emulator).count(wire_text) == 2


def test_late_reply_is_not_taken_for_the_next_answer(
    sync: SerialSync, emulator: PtyEmulator, world: StubWorld
) -> None:
    emulator.inject("slow", command="EDGES:RESET", delay_s=2 * TIMEOUT_S)
    world.clock.sleep_s(0.0105)
    with pytest.raises(DeviceTimeoutError):
        sync.reset_edge_count()
    time.sleep(TIMEOUT_S)  # let the late "OK" arrive; it must be dropped by its tag
    assert sync.edge_count() == 0  # the reset did happen on the device
    emulator.inject("stale", command="EDGES?")  # a comment and a wrongly tagged OK first
    assert sync.edge_count() == 0


def test_slow_reply_within_the_deadline(sync: SerialSync, emulator: PtyEmulator) -> None:
    emulator.inject("slow", command="STATUS?", delay_s=TIMEOUT_S / 4)
    assert sync.status().armed is False
    assert commands(emulator).count("STATUS?") == 1


def test_injected_error_reply(sync: SerialSync, emulator: PtyEmulator) -> None:
    emulator.inject("error", command="STATUS?", error_code=ErrorCode.UNKNOWN_COMMAND)
    with pytest.raises(SyncCommandError, match="ERR 1 injected fault"):
        sync.status()


def test_overlong_and_unterminated_replies(sync: SerialSync, emulator: PtyEmulator) -> None:
    emulator.inject("garbage", times=3, payload=b"A" * 300 + b"\n")
    with pytest.raises(SyncProtocolError, match="longer than 128 bytes"):
        sync.edge_count()
    emulator.inject("garbage", times=3, payload=b"@9 OK 12")
    with pytest.raises(DeviceTimeoutError, match="partial line b'@9 OK 12'"):
        sync.edge_count()


def test_disconnect_gives_a_clear_error_and_never_hangs(
    sync: SerialSync, emulator: PtyEmulator
) -> None:
    emulator.inject("disconnect", command="STATUS?")
    with pytest.raises(SyncDisconnectedError, match=f"{emulator.port} was disconnected"):
        sync.status()
    with pytest.raises(SyncDisconnectedError, match="disconnected"):
        sync.edge_count()
    sync.close()
    sync.close()


def test_disconnect_between_requests(sync: SerialSync, emulator: PtyEmulator) -> None:
    emulator.close()  # the USB cable is pulled while idle
    with pytest.raises(SyncDisconnectedError, match="disconnected"):
        sync.arm(1, 1000, 100)


def test_use_after_close(sync: SerialSync) -> None:
    sync.close()
    with pytest.raises(DeviceError, match="is closed"):
        sync.status()


def test_connect_checks_the_protocol_version() -> None:
    with (
        start_pty_emulator(StubWorld(), protocol_version=(2, 0)) as emu,
        pytest.raises(DeviceError, match=r"speaks protocol 2\.0.*1\.1"),
    ):
        SerialSync(emu.port, timeout_s=TIMEOUT_S)
    with (
        start_pty_emulator(StubWorld(), protocol_version=(1, 3)) as emu,
        SerialSync(emu.port, timeout_s=TIMEOUT_S) as dev,
    ):
        assert dev.describe()["protocol_version"] == "1.3"


def test_connect_to_a_silent_or_foreign_device() -> None:
    with start_pty_emulator(StubWorld()) as emu:
        emu.inject("silence", times=3)
        with pytest.raises(DeviceTimeoutError, match=r"did not answer \*IDN\?"):
            SerialSync(emu.port, timeout_s=0.1, query_retries=2)
        assert commands(emu) == ["*IDN?"] * 3
        emu.inject("garbage", times=1, payload=b"@0 OK ACME,SCOPE,1\n")
        with pytest.raises(SyncProtocolError, match="not an LSISYNC"):
            SerialSync(emu.port, timeout_s=0.1, query_retries=0)


def test_missing_port() -> None:
    with pytest.raises(DeviceNotFoundError, match="'/dev/ttyNOPE9' not found"):
        SerialSync("/dev/ttyNOPE9")


def test_port_in_use(sync: SerialSync, emulator: PtyEmulator) -> None:
    with pytest.raises(DeviceNotFoundError, match="in use by another program"):
        SerialSync(emulator.port, timeout_s=TIMEOUT_S)


def test_create_resolves_the_emulator_endpoint(emulator: PtyEmulator) -> None:
    cfg = SerialSyncConfig(port="emulator", timeout_s=TIMEOUT_S)
    ctx = BackendContext(rig=None, clock=SimClock(), endpoints={"sync_port": emulator.port})  # type: ignore[arg-type]
    with create(cfg, ctx) as dev:
        assert dev.port == emulator.port
        assert dev.edge_count() == 0
    with pytest.raises(ConfigError, match=r"devices\.sync\.port is 'emulator'"):
        create(cfg, BackendContext(rig=None, clock=SimClock()))  # type: ignore[arg-type]


def test_config_defaults_from_minimal_yaml_fields() -> None:
    cfg = SerialSyncConfig.model_validate({"backend": "serial", "port": "/dev/ttyACM0"})
    assert (cfg.baudrate, cfg.timeout_s, cfg.query_retries, cfg.open_settle_s) == (
        115200,
        1.0,
        2,
        0.0,
    )

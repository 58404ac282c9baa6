"""Device state is set, never assumed (issue 7 §10): a LightCrafter left in a foreign state at
power-up (standby, test-pattern source, swapped data channels, flips, frozen buffer, inverted
data and triggers, manual LEDs) shows the right masks on the right bit planes once the driver has
set and read back every setting; a board refusing one gives one clear DeviceError."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from lsi_rig.core.backend_context import BackendContext
from lsi_rig.core.errors import DeviceError
from lsi_rig.dmd.config import Dlpc350Config
from lsi_rig.dmd.dlpc350.backend import Dlpc350Dmd, create
from lsi_rig.dmd.dlpc350.emulator import Dlpc350Emulator, Registers, decode_pass, start_emulator
from lsi_rig.dmd.dlpc350.lut import video_lut
from lsi_rig.dmd.dlpc350.packing import pack_frames, place_masks
from lsi_rig.dmd.sequence import PatternSequence
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.world import World, WorldConfig

pytestmark = pytest.mark.timeout(60)

SHAPE = (16, 16)
GOOD = Registers()


def _sequence(n: int = 20) -> PatternSequence:
    bits = np.random.default_rng(n).random((n, *SHAPE)) < 0.5
    return PatternSequence.build(MaskSet(bits, "random", "test"), exposure_us=694.0)


def _device(emulator: Dlpc350Emulator, world: World, **cfg: Any) -> Dlpc350Dmd:
    ctx = BackendContext(rig=None, clock=world.clock, world=world, endpoints=emulator.endpoints)  # type: ignore[arg-type]
    return create(Dlpc350Config(usb_backend="emulator", usb_timeout_ms=200, **cfg), ctx)


@pytest.fixture
def world() -> World:
    return World(WorldConfig(seed=1))


def _expected_mirrors(world: World, sequence: PatternSequence) -> np.ndarray:
    return np.packbits(world.masks_to_mirrors(sequence.bits()), axis=-1)


def _run(emulator: Dlpc350Emulator, world: World, **cfg: Any) -> tuple[Dlpc350Dmd, np.ndarray]:
    dmd = _device(emulator, world, **cfg)
    sequence = _sequence()
    dmd.load_sequence(sequence)
    dmd.start()
    return dmd, _expected_mirrors(world, sequence)


BOARD_FIELDS = [
    "power_mode",
    "source_select",
    "pixel_format",
    "port_clock",
    "channel_swap",
    "flip_long",
    "flip_short",
    "buffer_freeze",
    "invert_data",
    "led_pwm_invert",
    "led_enable",
    "display_mode",
    "trigger_mode",
    "trig_out_1",
    "trig_out_2",
]


class TestForeignBoard:
    def test_driver_fixes_a_board_left_in_a_foreign_state(self, world: World) -> None:
        emulator = start_emulator(world, power_up="foreign")
        regs = emulator.controller.regs
        assert regs.channel_swap == 5 and regs.power_mode == 1 and regs.flip_long == 1
        dmd, expected = _run(emulator, world)
        try:
            for name in BOARD_FIELDS:
                assert getattr(regs, name) == getattr(GOOD, name) or name == "display_mode", name
            assert regs.display_mode == 1 and regs.led_current == b"\0\0\0"
            assert dmd.status().running and dmd.status().healthy
            # every mask reached the world on its own bit plane, unflipped, not inverted
            assert emulator.projection.last_pass is not None
            assert np.array_equal(emulator.projection.last_pass, expected)
        finally:
            dmd.close()

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("channel_swap", 1),
            ("channel_swap", 4),
            ("flip_long", 1),
            ("flip_short", 1),
            ("buffer_freeze", 1),
            ("invert_data", 1),
            ("led_enable", 0x00),
            ("power_mode", 1),
            ("source_select", 0x01),
            ("pixel_format", 2),
            ("port_clock", 2),
        ],
    )
    def test_each_foreign_setting_matters_and_is_fixed(
        self, world: World, field: str, value: int
    ) -> None:
        frames = pack_frames(_sequence(30).bits(), place_masks(SHAPE))
        lut = video_lut(30, 24)
        good, _ = decode_pass(frames, lut, regs=GOOD)
        bad_regs = replace(GOOD, **{field: value})
        if bad_regs.video_path_ok:  # the emulator models what the setting does to the masks
            bad, _ = decode_pass(frames, lut, invert_data=bool(bad_regs.invert_data), regs=bad_regs)
            assert not np.array_equal(bad, good), field
        emulator = start_emulator(world)
        setattr(emulator.controller.regs, field, value)
        dmd, expected = _run(emulator, world)
        try:
            assert getattr(emulator.controller.regs, field) == getattr(GOOD, field)
            assert np.array_equal(emulator.projection.last_pass, expected)
        finally:
            dmd.close()


class TestRefusals:
    @pytest.mark.parametrize(
        ("command", "name"),
        [
            (0x1A37, "DATA_CHANNEL_SWAP (0x1A37)"),
            (0x1008, "FLIP_LONG_AXIS (0x1008)"),
            (0x100A, "BUFFER_FREEZE (0x100A)"),
            (0x1A00, "SOURCE_SELECT (0x1A00)"),
            (0x0B01, "LED_CURRENT (0x0B01)"),
            (0x1A1D, "TRIG_OUT_1 (0x1A1D)"),
        ],
    )
    def test_nack_names_the_setting(self, world: World, command: int, name: str) -> None:
        emulator = start_emulator(world)
        emulator.faults.nack_commands.add(command)
        dmd = _device(emulator, world)
        try:
            with pytest.raises(DeviceError) as err:
                dmd.load_sequence(_sequence())
            assert name in str(err.value) and "\n" not in str(err.value)
        finally:
            dmd.close()

    @pytest.mark.parametrize(
        ("command", "kept", "needle"),
        [
            (0x1A37, b"\x05", "DATA_CHANNEL_SWAP (0x1A37) (data channels ABC"),
            (0x1009, b"\x01", "FLIP_SHORT_AXIS (0x1009) (no short-axis flip)"),
            (0x1A30, b"\x01", "INVERT_DATA (0x1A30)"),
            (0x1A07, b"\x07", "LED_ENABLE (0x1A07)"),
            (0x1A1B, b"\x00", "DISPLAY_MODE (0x1A1B) (pattern mode)"),
            (0x1A29, bytes(8), "EXPOSURE_PERIOD (0x1A29)"),
        ],
    )
    def test_a_setting_that_does_not_stick_is_an_error(
        self, world: World, command: int, kept: bytes, needle: str
    ) -> None:
        emulator = start_emulator(world)
        emulator.faults.sticky[command] = kept
        dmd = _device(emulator, world)
        try:
            with pytest.raises(DeviceError, match="did not take") as err:
                dmd.load_sequence(_sequence())
            assert needle in str(err.value) and f"reads back {kept.hex()}" in str(err.value)
        finally:
            dmd.close()

    def test_video_of_the_wrong_rate_or_size_is_refused(self, world: World) -> None:
        emulator = start_emulator(world)
        dmd = _device(emulator, world)
        try:
            emulator.controller.video_hz = lambda: 50.0
            with pytest.raises(DeviceError, match=r"runs at 50\.00 Hz but devices\.dmd\.vsync_hz"):
                dmd.load_sequence(_sequence())
            emulator.controller.video_hz = lambda: 60.0
            emulator.controller.video_size = lambda: (1280, 800)
            with pytest.raises(DeviceError, match="sends 1280x800; set a 912x1140 mode"):
                dmd.load_sequence(_sequence())
        finally:
            dmd.close()


@pytest.fixture
def configured(world: World) -> Iterator[tuple[Dlpc350Emulator, Dlpc350Dmd]]:
    emulator = start_emulator(world)
    dmd = _device(emulator, world, data_channel_swap="BAC", led_current=(10, 20, 30))
    yield emulator, dmd
    dmd.close()


def test_configured_swap_and_led_current_are_written(
    configured: tuple[Dlpc350Emulator, Dlpc350Dmd],
) -> None:
    emulator, dmd = configured
    dmd.load_sequence(_sequence())
    regs = emulator.controller.regs
    assert regs.channel_swap == 4 and regs.led_current == bytes([10, 20, 30])
    assert dmd.describe()["board_settings"]["LED currents"] == "0a141e"

"""End to end: the real DLPC350 backend on the emulator, read by the simulated detector from the
shared World, gives the same samples as the SimDmd path for the same seed and scene."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from lsi_rig.config.load import parse_rig
from lsi_rig.detector.protocol import AcquisitionRequest
from lsi_rig.dmd.dlpc350.backend import Dlpc350Dmd
from lsi_rig.dmd.dlpc350.packing import pack_frames, place_masks
from lsi_rig.dmd.sequence import PatternKind, PatternSequence
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.rig import build_rig

pytestmark = pytest.mark.timeout(120)

WORLD: dict[str, Any] = {
    "seed": 7,
    "monitor": {"response_time_s": 0.0},
    "noise": {"shot": False, "amplifier": False, "daq": False, "quantisation": False},
}


def rig_config(dmd: dict[str, Any], emulated: bool) -> Any:
    data: dict[str, Any] = {
        "name": "emulated-dmd" if emulated else "sim",
        "world": WORLD,
        "devices": {
            "display": {"backend": "sim"},
            "dmd": dmd,
            "detector": {"backend": "sim", "gain_db": 40, "range_v": 10.0, "mode": "per_pattern"},
            "sync": {"backend": "none"},
        },
    }
    if emulated:
        data["emulators"] = {"dlpc350_usb": True}
    return parse_rig(data, "test")


def capture(config: Any, sequence: PatternSequence, scene: np.ndarray) -> tuple[np.ndarray, Any]:
    with build_rig(config) as rig:
        rig.display.show(scene)
        rig.clock.sleep_s(1.0)
        timing = rig.dmd.load_sequence(sequence)
        rig.dmd.start()
        rig.detector.arm(
            AcquisitionRequest(
                n_patterns=timing.n_patterns,
                exposure_us=timing.exposure_us,
                period_us=timing.period_us,
                sequence_period_us=timing.sequence_period_us,
                timeout_s=1.0,
            )
        )
        reading = rig.detector.read()
        status = rig.dmd.status() if isinstance(rig.dmd, Dlpc350Dmd) else None
        rig.dmd.stop()
        return reading.samples_v, (timing, status, reading)


@pytest.mark.parametrize(("n_masks", "shape"), [(20, (32, 32)), (60, (64, 64))])
def test_emulated_dlpc350_matches_sim(n_masks: int, shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(3)
    masks = MaskSet(rng.random((n_masks, *shape)) < 0.5, "random", "test")
    sequence = PatternSequence.build(masks, exposure_us=694.0, reference_every=16)
    scene = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)

    emulated = rig_config({"backend": "dlpc350", "usb_backend": "emulator"}, emulated=True)
    got, (timing, status, reading) = capture(emulated, sequence, scene)
    assert timing.exposure_us == 694.0 and status.running and status.healthy
    expected, _ = capture(rig_config({"backend": "sim"}, emulated=False), sequence, scene)

    assert got.shape == (sequence.n_patterns,) and np.isfinite(got).all()
    dark = got[sequence.positions(PatternKind.DARK)]
    bright = got[sequence.positions(PatternKind.BRIGHT)]
    assert bright.min() > 10 * max(dark.max(), 1e-6)  # the patterns really reached the world
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    assert reading.edges_seen == sequence.n_patterns


def test_emulator_decodes_frames_through_the_lut() -> None:
    from lsi_rig.dmd.dlpc350.emulator import decode_pass
    from lsi_rig.dmd.dlpc350.lut import video_lut

    bits = np.random.default_rng(0).random((30, 16, 16)) < 0.5
    placement = place_masks((16, 16))
    frames = pack_frames(bits, placement)
    packed, pass_frames = decode_pass(frames, video_lut(30, 24))
    assert pass_frames == 2 and packed.shape == (30, 1140, 114)
    mirrors = np.unpackbits(packed, axis=-1, count=912).astype(bool)
    k, c0, r0 = placement.block_size, placement.col0, placement.row0
    expected = np.zeros((30, 1140, 912), dtype=bool)
    expected[:, r0 : r0 + 32 * k, c0 : c0 + 16 * k] = bits.repeat(2 * k, 1).repeat(k, 2)
    assert np.array_equal(mirrors, expected)
    # frame stream: a 24-entry LUT over 2 host frames = one pass of 48 patterns
    streamed, stream_frames = decode_pass(frames, video_lut(24, 24))
    assert stream_frames == 2 and streamed.shape[0] == 48
    assert np.array_equal(streamed[:30], packed) and not streamed[30:].any()

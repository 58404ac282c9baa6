"""Scene -> DMD optics: normalisation, imperfections, registration."""

from __future__ import annotations

import numpy as np
import pytest

from lsi_rig.world.geometry import MirrorArea
from tests.world.conftest import QUIET, make_world, run_pass

WHITE = np.full((64, 64, 3), 255, dtype=np.uint8)


def on_power(world, masks: np.ndarray, image: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    world.show_scene(image)
    world.clock.sleep_s(1.0)
    world.load_patterns(masks, level="mask", exposure_us=250, period_us=250)
    assert world.scene is not None and world.patterns is not None
    return world.on_power_w(world.scene, world.patterns)


@pytest.mark.parametrize(
    "optics",
    [
        {},
        {"blur_sigma_um": 30.0},
        {"vignetting": 0.2},
        {"rotation_deg": 3.0},
        {"scale": 1.1, "offset_um": (40.0, -25.0)},
    ],
)
def test_white_scene_all_on_gives_white_power(optics: dict) -> None:
    world = make_world(optics=optics)
    p = on_power(world, np.ones((1, 32, 32), dtype=bool), WHITE)
    assert p[0] == pytest.approx(50e-6, rel=1e-9)


def test_diamond_odd_rows_are_shifted_half_a_column() -> None:
    world = make_world()
    area = MirrorArea.of(world.mask_geometry((256, 256)))
    stripes = np.zeros((256, 256), dtype=float)
    stripes[:, ::2] = 1.0
    raw = world.optics.raw_power(stripes, area)
    even, odd = raw[58, 200:204], raw[59, 200:204]
    # a scene pixel is 2 columns x 4 rows: each mirror collects 1/8 of a pixel's area; odd rows
    # are shifted half a column, so their mirrors straddle the stripe edges
    np.testing.assert_allclose(even, [1 / 8, 1 / 8, 0, 0], atol=1e-14)
    np.testing.assert_allclose(odd, [1 / 8, 1 / 16, 0, 1 / 16], atol=1e-14)


def test_vignetting_darkens_corners() -> None:
    world = make_world(optics={"vignetting": 0.3})
    area = MirrorArea.of(world.mask_geometry((32, 32)))
    raw = world.optics.raw_power(np.ones((32, 32)), area)
    centre = raw[570, 456]
    corner = raw[area.row0, area.col0]
    assert corner / centre == pytest.approx(0.7, abs=0.01)


def test_leak_and_ambient_add_pattern_independent_power() -> None:
    world = make_world(
        noise=QUIET,
        optics={"off_state_leak": 0.01, "ambient_w": 1e-7},
        photodiode={"dark_offset_v": 0.0},
    )
    world.show_scene(WHITE)
    world.clock.sleep_s(1.0)
    masks = np.zeros((2, 32, 32), dtype=bool)
    masks[1] = True
    run_pass(world, masks)
    volts = world.expected_pattern_volts()
    per_w = 0.30 * 1.51e5
    total = world.mirror_power_w(world.scene, world.patterns.area)[1]  # type: ignore[arg-type,union-attr]
    assert volts[0] == pytest.approx((0.01 * total + 1e-7) * per_w, rel=1e-12)
    assert volts[1] == pytest.approx((0.01 * total + 0.99 * 50e-6 + 1e-7) * per_w, rel=1e-12)


def test_blur_spreads_light_across_an_edge() -> None:
    dark = {"black_level": 0.0}
    world = make_world(optics={"blur_sigma_um": 50.0, "diamond_geometry": False}, monitor=dark)
    half = np.zeros((64, 64, 3), dtype=np.uint8)
    half[:, 32:] = 255
    masks = np.zeros((2, 32, 32), dtype=bool)
    masks[0, :, :16] = True
    masks[1, :, 16:] = True
    p = on_power(world, masks, half)
    sharp = on_power(make_world(optics={"diamond_geometry": False}, monitor=dark), masks, half)
    assert sharp[0] == 0.0
    # a blurred step leaks sigma/sqrt(2 pi) of its width across the edge
    leaked = 50.0 / np.sqrt(2 * np.pi) / (544 * 10.8 / 2)
    assert p[0] / p[1] == pytest.approx(leaked / (1 - leaked), rel=0.05)
    assert p[0] + p[1] == pytest.approx(sharp[0] + sharp[1], rel=0.01)


def test_small_rotation_is_close_to_axis_aligned() -> None:
    image = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    masks = np.random.default_rng(2).integers(0, 2, (6, 16, 16)).astype(bool)
    aligned = on_power(make_world(), masks, image)
    rotated = on_power(make_world(optics={"rotation_deg": 1e-6}), masks, image)
    np.testing.assert_allclose(rotated, aligned, rtol=2e-3)
    turned = on_power(make_world(optics={"rotation_deg": 10.0}), masks, image)
    assert np.max(np.abs(turned - aligned) / aligned) > 5e-3


def test_trace_channels() -> None:
    world = make_world(noise=QUIET)
    world.show_scene(WHITE)
    t0 = run_pass(world, np.ones((4, 8, 8), dtype=bool), exposure_us=250, period_us=500)
    trace = world.sample_trace(t0, 2e-3, 100e3, ("trig_out_1", "trig_out_2", "photodiode"))
    assert trace.shape == (3, 200)
    high1 = trace[0] > 1.65
    assert high1[:25].all() and not high1[25:50].any() and high1[50:75].all()
    high2 = trace[1] > 1.65
    assert high2[:25].all() and not high2[25:].any()
    assert trace[0].max() == pytest.approx(3.3, abs=1e-3)
    with pytest.raises(Exception, match="unknown channel"):
        world.sample_trace(t0, 1e-3, 100e3, ("bogus",))

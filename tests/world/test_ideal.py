"""The ideal world reproduces the official LSI simulation Σ_c mask·image01_c exactly."""

from __future__ import annotations

import numpy as np

from lsi_rig.world import MirrorArea, World, WorldConfig
from tests.world.conftest import random_image, run_pass


def official_measurement(masks: np.ndarray, image: np.ndarray) -> np.ndarray:
    img01 = image.astype(np.float64) / 255.0
    flat = masks.reshape(masks.shape[0], -1).astype(np.float64)
    return sum(flat @ img01[..., c].ravel() for c in range(3))


def test_ideal_256_equals_official_simulation(rng: np.random.Generator) -> None:
    world = World(WorldConfig(ideal=True))
    image = random_image(rng)
    masks = rng.integers(0, 2, (48, 256, 256)).astype(bool)
    world.show_scene(image)
    t0 = run_pass(world, masks)
    sampled = world.sample_per_pattern(t0)
    expected = official_measurement(masks, image) * world.ideal_scale_v((256, 256))
    assert sampled.edges_seen == 48 and not sampled.saturated
    np.testing.assert_allclose(sampled.samples_v, expected, rtol=1e-9)
    np.testing.assert_allclose(world.expected_pattern_volts(), expected, rtol=1e-9)


def test_ideal_scale_is_documented_formula() -> None:
    world = World(WorldConfig(ideal=True))
    world.set_detector(gain_db=30, range_v=10.0)
    expected = 50e-6 * 0.30 * 4.75e4 / (3 * 256 * 256)
    assert abs(world.ideal_scale_v((256, 256)) / expected - 1) < 1e-12
    assert world.ideal_scale_v((32, 32)) == world.ideal_scale_v((256, 256))  # per 256² pixel


def test_ideal_32_block_sums_align(rng: np.random.Generator) -> None:
    world = World(WorldConfig(ideal=True))
    image = random_image(rng)
    masks = rng.integers(0, 2, (40, 32, 32)).astype(bool)
    world.show_scene(image)
    t0 = run_pass(world, masks)
    volts = world.sample_per_pattern(t0).samples_v
    blocks = (image.astype(np.float64) / 255).sum(-1).reshape(32, 8, 32, 8).sum(axis=(1, 3))
    expected = masks.reshape(40, -1).astype(np.float64) @ blocks.ravel()
    np.testing.assert_allclose(volts / world.ideal_scale_v((32, 32)), expected, rtol=1e-9)
    view = world.detector_view((32, 32))
    np.testing.assert_allclose(view / world.ideal_scale_v((32, 32)), blocks, rtol=1e-9)


def test_mirror_level_matches_mask_level(rng: np.random.Generator) -> None:
    world = World(WorldConfig(ideal=True))
    world.show_scene(random_image(rng))
    masks = rng.integers(0, 2, (8, 32, 32)).astype(bool)
    masks[0] = True
    t0 = run_pass(world, masks)
    by_mask = world.sample_per_pattern(t0).samples_v
    world.load_patterns(
        world.masks_to_mirrors(masks), level="mirror", exposure_us=250, period_us=250
    )
    assert world.patterns is not None and world.patterns.geometry is not None
    assert world.patterns.geometry.block_size == 17
    world.start_sequence()
    t1 = world.next_sequence_start_s(world.clock.now_s())
    assert t1 is not None
    np.testing.assert_allclose(world.sample_per_pattern(t1).samples_v, by_mask, rtol=1e-12)


def test_irregular_mirror_patterns_use_general_path(rng: np.random.Generator) -> None:
    world = World(WorldConfig(ideal=True))
    world.show_scene(random_image(rng))
    masks = rng.integers(0, 2, (4, 32, 32)).astype(bool)
    masks[0] = True
    mirrors = world.masks_to_mirrors(masks)
    mirrors[1, 500, 400] = not mirrors[1, 500, 400]  # one mirror breaks the block structure
    world.load_patterns(mirrors, level="mirror", exposure_us=250, period_us=250)
    assert world.patterns is not None and world.patterns.packed is not None
    volts = world.expected_pattern_volts()
    mirror_power = world.mirror_power_w(world.scene, world.patterns.area)[0]  # type: ignore[arg-type]
    gain = 0.30 * 1.51e5
    expected = np.array([mirror_power[m].sum() for m in mirrors]) * gain
    np.testing.assert_allclose(volts, expected, rtol=1e-12)


def test_mirror_level_with_dark_border_registers_like_mask_level(rng: np.random.Generator) -> None:
    world = World(WorldConfig(ideal=True))
    world.show_scene(random_image(rng))
    masks = rng.integers(0, 2, (6, 32, 32)).astype(bool)
    masks[:, :3] = False  # learned masks may never light their border
    masks[:, :, -2:] = False
    t0 = run_pass(world, masks)
    by_mask = world.sample_per_pattern(t0).samples_v
    world.load_patterns(
        world.masks_to_mirrors(masks), level="mirror", exposure_us=250, period_us=250
    )
    assert world.patterns is not None
    assert world.patterns.area == MirrorArea.of(world.mask_geometry((32, 32)))
    world.start_sequence()
    t1 = world.next_sequence_start_s(world.clock.now_s())
    assert t1 is not None
    np.testing.assert_allclose(world.sample_per_pattern(t1).samples_v, by_mask, rtol=1e-12)

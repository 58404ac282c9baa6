"""PSNR/SSIM of a decoded face against the scene shown."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lsi_rig.decode.quality import fit_levels, psnr_db, score_against_scene, ssim


def test_psnr_of_known_errors() -> None:
    a = np.full((8, 8), 100.0)
    assert psnr_db(a, a) == math.inf
    assert psnr_db(a, a + 1.0) == pytest.approx(20 * math.log10(255.0))
    assert psnr_db(a, a + 10.0) == pytest.approx(20 * math.log10(25.5))
    with pytest.raises(ValueError, match="shape"):
        psnr_db(a, np.zeros((4, 4)))


def test_ssim_is_one_for_identical_images_and_drops_with_noise() -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (64, 64, 3)).astype(np.float64)
    assert ssim(image, image) == pytest.approx(1.0)
    slightly = ssim(image, np.clip(image + rng.normal(0, 5, image.shape), 0, 255))
    badly = ssim(image, np.clip(image + rng.normal(0, 60, image.shape), 0, 255))
    assert 1.0 > slightly > badly > 0.0
    flat = np.full((32, 32), 128.0)
    c1 = (0.01 * 255) ** 2  # flat images: only the luminance term of SSIM is left
    expected = (2 * 128 * 178 + c1) / (128**2 + 178**2 + c1)
    assert ssim(flat, flat + 50) == pytest.approx(expected)


def test_grey_decoders_are_scored_on_luminance_after_a_level_fit() -> None:
    rng = np.random.default_rng(2)
    scene = rng.integers(0, 256, (256, 256, 3)).astype(np.uint8)
    luma = scene.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    stretched = np.clip(np.round(0.5 * luma + 40), 0, 255).astype(np.uint8)
    decoded = np.repeat(stretched[..., None], 3, axis=-1)
    score = score_against_scene(scene, decoded)
    assert score.grey and score.psnr_db > 45 and score.ssim > 0.99
    colour = score_against_scene(scene, scene)
    assert not colour.grey and colour.psnr_db == math.inf
    fitted = fit_levels(np.array([0.0, 1.0, 2.0]), np.array([10.0, 12.0, 14.0]))
    np.testing.assert_allclose(fitted, [10.0, 12.0, 14.0])


def test_the_scene_is_resized_to_the_decoded_size() -> None:
    scene = np.zeros((512, 512, 3), np.uint8)
    scene[:, 256:] = 200
    decoded = np.zeros((256, 256, 3), np.uint8)
    decoded[:, 128:] = 200
    assert score_against_scene(scene, decoded).psnr_db > 25

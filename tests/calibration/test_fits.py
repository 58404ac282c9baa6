"""The fits on synthetic data with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lsi_rig.calibration.affine import GRID, Affine
from lsi_rig.calibration.monitor_fit import fit_monitor, ramp_levels
from lsi_rig.calibration.registration_fit import (
    fit_flat_field,
    fit_registration,
    locate_dots,
    reconstruct,
    walsh_chunks,
    walsh_order,
)
from lsi_rig.calibration.response_fit import (
    fit_response,
    official_simulation,
    r_squared,
    scale_factor,
)
from lsi_rig.calibration.targets import dot_target, response_images
from lsi_rig.core.errors import MaskError
from lsi_rig.masks.maskset import MaskSet


@pytest.mark.parametrize(
    ("gammas", "black", "weights"),
    [((2.2, 2.2, 2.2), 0.002, (1, 1, 1)), ((1.8, 2.0, 2.6), 0.02, (0.9, 1.0, 0.8))],
)
def test_monitor_fit_recovers_gamma_black_and_balance(
    gammas: tuple[float, ...], black: float, weights: tuple[float, ...]
) -> None:
    levels = np.array(ramp_levels(10))
    k = 2.0  # volts of a full-white pixel everywhere, all mirrors on
    lum = lambda v, g: black + (1 - black) * (v / 255.0) ** g  # noqa: E731
    ramps = np.array(
        [
            k * (w * lum(levels, g) + (sum(weights) - w) * black)
            for g, w in zip(gammas, weights, strict=True)
        ]
    )
    black_v = k * black * sum(weights)
    rng = np.random.default_rng(1)
    fit = fit_monitor(levels, ramps + rng.normal(0, 2e-4, ramps.shape), black_v)
    for channel, g in zip(fit.channels, gammas, strict=True):
        assert channel.gamma == pytest.approx(g, rel=5e-3)
    assert fit.black_level == pytest.approx(black, abs=3e-4)
    np.testing.assert_allclose(fit.balance, np.array(weights) / max(weights), atol=2e-3)
    lut = fit.lut()
    assert lut.shape == (3, 256) and lut[:, 0].tolist() == [0, 0, 0]
    assert lut[:, 255].min() == pytest.approx(1.0)  # the dimmest channel's full scale


def test_official_simulation_matches_the_lsi_formula() -> None:
    """lsi-model.md §5.1: img01 = uint8/255, Σ_c img_c @ round(clamp(W.T, 0, 1))."""
    rng = np.random.default_rng(2)
    masks = MaskSet(rng.random((6, 256, 256)) < 0.4, "m", "test")
    images = [rng.integers(0, 256, (256, 256, 3), dtype=np.uint8) for _ in range(2)]
    ours = official_simulation(masks, images)
    wq = torch.from_numpy(masks.flat(np.float64)).T  # [65536, n]
    for k, image in enumerate(images):
        img = torch.from_numpy(image.astype(np.float64) / 255.0).permute(2, 0, 1).reshape(3, -1)
        theirs = (img[0] @ wq + img[1] @ wq + img[2] @ wq).numpy()
        np.testing.assert_allclose(ours[k], theirs, rtol=1e-12)


def test_official_simulation_upsamples_coarse_masks() -> None:
    rng = np.random.default_rng(3)
    coarse = MaskSet(rng.random((4, 32, 32)) < 0.5, "c", "test")
    fine = MaskSet(np.kron(coarse.bits, np.ones((1, 8, 8), dtype=bool)), "f", "test")
    image = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
    np.testing.assert_allclose(
        official_simulation(coarse, [image]), official_simulation(fine, [image]), rtol=1e-12
    )
    with pytest.raises(MaskError, match="divide 256"):
        official_simulation(MaskSet(np.ones((1, 30, 30), bool), "x", "t"), [image])


def test_response_fit_recovers_per_mask_gain_and_offset() -> None:
    rng = np.random.default_rng(4)
    official = rng.uniform(0, 1e5, (10, 32))
    gain = rng.uniform(8e-6, 1.2e-5, 32)
    offset = rng.uniform(-1e-3, 2e-2, 32)
    measured = official * gain + offset + rng.normal(0, 1e-4, official.shape)
    fit = fit_response(measured, official)
    np.testing.assert_allclose(fit.gain, gain, rtol=2e-3)
    np.testing.assert_allclose(fit.offset, offset, atol=5e-4)
    assert fit.r2_pooled > 0.9999
    np.testing.assert_allclose(fit.calibrate(measured), official, atol=50)
    assert r_squared(official, official) == 1.0
    assert scale_factor(1.02 * official, official) == pytest.approx(1.02)
    with pytest.raises(ValueError, match="same light"):
        fit_response(np.ones((3, 2)), np.ones((3, 2)))


def test_response_images_are_documented_and_deterministic() -> None:
    first, again = response_images(10), response_images(10)
    assert [s.scene_id for s in first][:3] == [
        "response-black",
        "response-grey50",
        "response-white",
    ]
    assert [s.sha256 for s in first] == [s.sha256 for s in again]
    assert len({s.sha256 for s in response_images(14)}) == 14


def _block_picture(linear: np.ndarray, order: int) -> np.ndarray:
    b = linear.shape[0] // order
    return linear.reshape(order, b, order, b).sum(axis=(1, 3))


@pytest.mark.parametrize("order", [32, 64])
def test_dots_locate_a_known_affine(order: int) -> None:
    """Render the target through a known map on a fine grid, integrate it onto the
    reconstruction's blocks, and fit: the affine comes back to a few hundredths of a pixel."""
    import math

    target = dot_target(GRID / order)
    t = math.radians(2.0)
    m = 1.03 * np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    c = np.array([128.0, 128.0])
    truth = Affine(m, c - m @ c + np.array([3.3, -4.1]))
    fine = 4 * GRID
    coords = (np.arange(fine) + 0.5) / 4
    mx, my = np.meshgrid(coords, coords)
    s = truth.inverse().apply(np.stack([mx, my], axis=-1))
    img = np.zeros((fine, fine))
    for cx, cy in target.centres:
        img = np.maximum(
            img, np.exp(-((s[..., 0] - cx) ** 2 + (s[..., 1] - cy) ** 2) / (2 * target.sigma_px**2))
        )
    picture = _block_picture(img**2.2, order)  # a monitor gamma does not move centroids
    affine = Affine.identity()
    for _ in range(2):
        dots = locate_dots(picture, target, affine)
        affine, residuals = fit_registration(dots)
    assert affine.max_distance(truth) < 0.05
    assert np.nanmax(np.abs(residuals)) < 0.1


def test_flat_field_fit_recovers_vignetting() -> None:
    order = 32
    x = (np.arange(order) + 0.5) * GRID / order - GRID / 2
    r2 = x[None, :] ** 2 + x[:, None] ** 2
    vignetting = 1 - 0.15 * r2 / (2 * (GRID / 2) ** 2)
    noisy = vignetting * (1 + np.random.default_rng(5).normal(0, 0.005, vignetting.shape))
    flat = fit_flat_field(noisy)
    assert flat.coverage == 1.0
    grid = (np.arange(GRID) + 0.5) - GRID / 2
    truth = 1 - 0.15 * (grid[None] ** 2 + grid[:, None] ** 2) / (2 * (GRID / 2) ** 2)
    np.testing.assert_allclose(flat.map, truth / truth.mean(), atol=3e-3)
    assert flat.ref == pytest.approx(flat.map.min())
    half = noisy.copy()
    half[:, :4] = 0.0  # the monitor image misses a strip: not lit, not used, not covered
    part = fit_flat_field(half)
    assert part.coverage == pytest.approx(1 - 4 / order)
    assert not part.valid[:, :5].any()


def test_walsh_chunks_land_on_the_target_masks_grid() -> None:
    assert walsh_order((256, 256), 32) == 32 and walsh_order((256, 256), 64) == 64
    assert walsh_order((16, 16), 32) == 16
    with pytest.raises(ValueError, match="multiples of 8"):
        walsh_order((12, 12))
    chunks = list(walsh_chunks(32, (64, 64)))
    assert [c.n for c in chunks] == [1024] and chunks[0].shape == (64, 64)
    assert [c.n for c in walsh_chunks(64, (256, 256))] == [1024] * 4
    # a picture measured with the upsampled patterns reconstructs the block sums
    rng = np.random.default_rng(6)
    scene = rng.random((64, 64))
    vector = np.concatenate([c.flat() @ scene.ravel() for c in chunks])
    np.testing.assert_allclose(reconstruct(vector, 32), _block_picture(scene, 32), atol=1e-9)

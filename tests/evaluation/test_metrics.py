"""Each Table 1 metric against values computed by hand on tiny inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lsi_rig.evaluation import metrics as M
from lsi_rig.evaluation.groundtruth import TruthItem
from lsi_rig.evaluation.runner import majority_baseline, psnr_references
from lsi_rig.scenes import Scene


def test_psnr_by_hand() -> None:
    truth = np.zeros((4, 4, 3), np.uint8)
    pred = np.full((4, 4, 3), 10, np.uint8)  # MSE 100
    assert M.psnr_db(truth, pred) == pytest.approx(10 * math.log10(255**2 / 100), abs=1e-9)
    pred[0, 0, 0] = 20  # MSE (47·100 + 400) / 48
    assert M.psnr_db(truth, pred) == pytest.approx(10 * math.log10(255**2 / (5100 / 48)), abs=1e-9)
    assert M.psnr_db(truth, truth) == math.inf
    with pytest.raises(ValueError, match=r"\[H, W, 3\]"):
        M.psnr_db(truth, pred[:2])


def test_grey_and_mean_scenes_by_hand() -> None:
    image = np.zeros((2, 2, 3), np.uint8)
    image[0, 0] = (10, 20, 40)  # mean 23.33 → 23
    image[1, 1] = (255, 0, 0)  # 85
    grey = M.grey_scene(image)
    assert grey[0, 0].tolist() == [23, 23, 23] and grey[1, 1].tolist() == [85, 85, 85]
    assert grey[0, 1].tolist() == [0, 0, 0]
    # squared errors: (13² + 3² + 17²) + (170² + 85² + 85²) over 12 values
    mse = (169 + 9 + 289 + 28900 + 7225 + 7225) / 12
    assert M.psnr_db(image, grey) == pytest.approx(10 * math.log10(255**2 / mse), abs=1e-9)
    neutral = np.full((2, 2, 3), 77, np.uint8)
    assert M.psnr_db(neutral, M.grey_scene(neutral)) == math.inf  # grey scenes lose nothing
    pair = np.stack([np.zeros((2, 2, 3), np.uint8), np.full((2, 2, 3), 101, np.uint8)])
    assert np.all(M.mean_scene(pair) == 50)  # 50.5 rounds to even
    with pytest.raises(ValueError, match="K ≥ 1"):
        M.mean_scene(pair[:0])


def test_psnr_references_by_hand() -> None:
    black = np.zeros((2, 2, 3), np.uint8)
    red = np.zeros((2, 2, 3), np.uint8)
    red[..., 0] = 30  # grey version 10 everywhere: MSE (20² + 10² + 10²) / 3 = 200
    items = [TruthItem(Scene("a", black)), TruthItem(Scene("b", red))]
    floor, grey = psnr_references(items)
    # mean scene: (15, 0, 0); each scene's MSE against it is 15² / 3 = 75
    assert floor == pytest.approx(10 * math.log10(255**2 / 75), abs=1e-9)
    assert grey == math.inf  # the black scene is its own grey version
    items = [TruthItem(Scene("b", red)), TruthItem(Scene("c", red[:1]))]
    floor, grey = psnr_references(items)
    assert math.isnan(floor)  # no pixel-wise mean of scenes of two sizes
    assert grey == pytest.approx(10 * math.log10(255**2 / 200), abs=1e-9)


def test_ssim_of_constant_images_is_the_luminance_term() -> None:
    # zero variances: SSIM = (2ab + C1) / (a² + b² + C1), C1 = (0.01·255)²
    a, b = np.full((16, 16, 3), 100, np.uint8), np.full((16, 16, 3), 110, np.uint8)
    c1 = (0.01 * 255) ** 2
    assert M.ssim(a, b) == pytest.approx((2 * 100 * 110 + c1) / (100**2 + 110**2 + c1), abs=1e-9)
    assert M.ssim(a, a) == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    y = np.clip(x.astype(int) + rng.integers(-40, 40, x.shape), 0, 255).astype(np.uint8)
    assert 0.0 < M.ssim(x, y) < 1.0
    assert M.ssim(x, y) == pytest.approx(M.ssim(y, x))  # symmetric


def test_ssim_averages_the_channels() -> None:
    a = np.full((16, 16, 3), 100, np.uint8)
    b = a.copy()
    b[..., 0] = 200  # channel 0 differs, channels 1 and 2 are identical
    c1 = (0.01 * 255) ** 2
    red = (2 * 100 * 200 + c1) / (100**2 + 200**2 + c1)
    assert M.ssim(a, b) == pytest.approx((red + 1 + 1) / 3, abs=1e-9)


def test_attribute_accuracy_by_hand() -> None:
    probs = np.array([[0.9, 0.2, 0.6], [0.4, 0.7, 0.1], [0.5, 0.5, 0.5]])
    truth = np.array([[1, 0, -1], [1, 1, 0], [-1, -1, -1]], np.int8)
    per_image = M.attribute_accuracies(probs, truth)
    assert per_image[:2] == pytest.approx([1.0, 2 / 3]) and math.isnan(per_image[2])
    assert M.attribute_accuracy(probs, truth) == pytest.approx(5 / 6)
    # exactly 0.5 is "absent" (sigmoid > 0.5 is present)
    assert M.attribute_accuracy(np.array([[0.5, 0.5]]), np.array([[0, 1]], np.int8)) == 0.5
    assert M.prior_accuracy(truth[:2], np.array([0.8, 0.1, 0.3])) == pytest.approx((1 + 2 / 3) / 2)
    with pytest.raises(ValueError):
        M.attribute_accuracy(probs[:, :2], truth)


def test_majority_baseline_by_hand() -> None:
    truth = np.array([[1, 0], [1, 1], [0, 0]], np.int8)  # majorities: 1, 0
    assert majority_baseline(truth) == pytest.approx((1.0 + 0.5 + 0.5) / 3)


def test_segmentation_f1_by_hand() -> None:
    scores = M.SegmentationScores(n_classes=4)
    scores.add(np.array([[0, 1], [1, 2]]), np.array([[0, 1], [2, 2]]))
    # class 0: P = R = 1; class 1: P = 1, R = 1/2; class 2: P = 1/2, R = 1; class 3 absent -> 0
    f1 = scores.f1()
    assert f1.tolist() == pytest.approx([0.9999, 0.6666, 0.6666, 0.0], abs=1e-4)
    assert scores.total() == pytest.approx((0.9999 + 0.6666 + 0.6666) / 4, abs=1e-4)
    assert scores.total_without_background() == pytest.approx((0.6666 + 0.6666) / 3, abs=1e-4)
    scores.add(np.array([[3]]), np.array([[3]]))  # accumulates over images
    assert scores.confusion.sum() == 5 and scores.f1()[3] == pytest.approx(0.9999, abs=1e-4)
    with pytest.raises(ValueError, match="shape"):
        scores.add(np.zeros((2, 2)), np.zeros((2, 3)))


def test_landmark_nme_by_hand() -> None:
    truth = np.array([[[0.0, 0.0], [3.0, 4.0]]])  # box diagonal 5
    pred = np.array([[[0.0, 1.0], [3.0, 4.0]]])  # errors 1 and 0
    assert M.landmark_nme(pred, truth).tolist() == pytest.approx([10.0])
    two = M.landmark_nme(np.concatenate([pred, truth]), np.concatenate([truth, truth]))
    assert two.tolist() == pytest.approx([10.0, 0.0])
    with pytest.raises(ValueError, match="zero diagonal"):
        M.landmark_nme(pred, np.zeros_like(truth))

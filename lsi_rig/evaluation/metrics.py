"""The paper's Table 1 metrics, computed as the official LSI code does.

evaluation-and-finetuning.md §1: PSNR/SSIM of the reconstruction against the scene; attribute
accuracy = mean over images of the fraction of correct attributes (probability > 0.5) among those
the ground truth has; segmentation F1 from one confusion matrix over every pixel of every image,
per class, then ``total`` (mean over all 19 classes, absent ones counting 0 as in
``Metrics.get_table``) and ``total(-bg)`` (classes 1–18); landmark NME = mean point error over
the diagonal of the ground-truth landmarks' bounding box × 100, averaged over images.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

N_CLASSES = 19
F1_EPS = 1e-4  # Metrics.get_table's eps in every denominator


def _check_images(truth: np.ndarray, pred: np.ndarray) -> None:
    if truth.shape != pred.shape or truth.ndim != 3 or truth.shape[2] != 3:
        raise ValueError(f"images must both be [H, W, 3], got {truth.shape} and {pred.shape}")


def psnr_db(truth: np.ndarray, pred: np.ndarray) -> float:
    """PSNR of uint8 RGB images with peak 255 (inf when identical)."""
    _check_images(truth, pred)
    if np.array_equal(truth, pred):
        return float("inf")
    return float(peak_signal_noise_ratio(truth, pred, data_range=255))


def grey_scene(image: np.ndarray) -> np.ndarray:
    """The scene as a colour-blind camera sees it: every channel (R + G + B) / 3, rounded.

    One photodiode behind the DMD sums the three channels, so no measurement carries hue; the
    PSNR of this image against the scene is what a perfect reconstruction without colour
    priors would score — a reference for reading PSNR, not a bound (a decoder that knows faces
    can guess skin and hair colours)."""
    _check_images(image, image)
    grey = np.rint(image.astype(np.float64).mean(axis=2))
    return np.repeat(grey[..., None], 3, axis=2).astype(np.uint8)


def mean_scene(images: np.ndarray) -> np.ndarray:
    """The pixel-wise mean of uint8 images [K, H, W, 3], rounded: the reconstruction of a
    decoder that ignores its measurements (the PSNR floor next to the grey-scene ceiling)."""
    stack = np.asarray(images)
    if stack.ndim != 4 or stack.shape[0] == 0:
        raise ValueError(f"images must be [K, H, W, 3] with K ≥ 1, got {stack.shape}")
    _check_images(stack[0], stack[0])
    return np.rint(stack.astype(np.float64).mean(axis=0)).astype(np.uint8)


def ssim(truth: np.ndarray, pred: np.ndarray) -> float:
    """Mean SSIM of uint8 RGB images: Wang et al.'s settings (11×11 Gaussian window σ = 1.5,
    K1 = 0.01, K2 = 0.03, population covariances), per channel, averaged."""
    _check_images(truth, pred)
    return float(
        structural_similarity(
            truth,
            pred,
            data_range=255,
            channel_axis=2,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
        )
    )


def attribute_accuracies(probabilities: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per image, the fraction of correct attributes among the known ones (truth 0/1; −1 is
    unknown); NaN for an image without any known attribute. probabilities, truth: [B, 40]."""
    p = np.asarray(probabilities, dtype=np.float64)
    t = np.asarray(truth)
    if p.shape != t.shape or p.ndim != 2:
        raise ValueError(f"probabilities {p.shape} and truth {t.shape} must both be [B, 40]")
    known = t >= 0
    correct = ((p > 0.5) == (t == 1)) & known
    counts = known.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, correct.sum(axis=1) / np.maximum(counts, 1), np.nan)


def attribute_accuracy(probabilities: np.ndarray, truth: np.ndarray) -> float:
    """Mean of :func:`attribute_accuracies` over the images that have ground truth."""
    per_image = attribute_accuracies(probabilities, truth)
    return float(np.nanmean(per_image)) if np.any(~np.isnan(per_image)) else float("nan")


def prior_accuracy(truth: np.ndarray, priors: np.ndarray) -> float:
    """What answering ``priors`` (probabilities [40]) for every image scores: the baseline."""
    t = np.asarray(truth)
    return attribute_accuracy(np.broadcast_to(np.asarray(priors, float), t.shape), t)


@dataclass
class SegmentationScores:
    """Confusion matrix over every pixel of every image (rows: truth, columns: prediction)."""

    n_classes: int = N_CLASSES
    confusion: np.ndarray = field(
        default_factory=lambda: np.zeros((N_CLASSES, N_CLASSES), np.int64)
    )

    def __post_init__(self) -> None:
        if self.confusion.shape != (self.n_classes, self.n_classes):
            self.confusion = np.zeros((self.n_classes, self.n_classes), np.int64)

    def add(self, truth: np.ndarray, pred: np.ndarray) -> None:
        t, p = np.asarray(truth).astype(np.int64), np.asarray(pred).astype(np.int64)
        if t.shape != p.shape:
            raise ValueError(f"segmentation maps differ in shape: {t.shape} vs {p.shape}")
        valid = (t >= 0) & (t < self.n_classes) & (p >= 0) & (p < self.n_classes)
        index = self.n_classes * t[valid] + p[valid]
        self.confusion += np.bincount(index, minlength=self.n_classes**2).reshape(
            self.n_classes, self.n_classes
        )

    def f1(self) -> np.ndarray:
        """Per-class F1 [n_classes] (``get_table``: eps 1e-4, rounded to 4 decimals)."""
        tp = np.diag(self.confusion).astype(np.float64)
        precision = tp / (F1_EPS + self.confusion.sum(axis=0))
        recall = tp / (F1_EPS + self.confusion.sum(axis=1))
        return np.round(2 * precision * recall / (F1_EPS + precision + recall), 4)

    def total(self) -> float:
        return float(self.f1().mean())

    def total_without_background(self) -> float:
        return float(self.f1()[1:].mean())


def landmark_nme(pred_px: np.ndarray, truth_px: np.ndarray) -> np.ndarray:
    """Per image NME × 100: mean ‖pred − truth‖ / diagonal of the truth's bounding box.
    pred_px, truth_px: [B, 68, 2] pixels (x = column)."""
    p, t = np.asarray(pred_px, np.float64), np.asarray(truth_px, np.float64)
    if p.shape != t.shape or p.ndim != 3 or p.shape[2] != 2:
        raise ValueError(f"landmarks must both be [B, K, 2], got {p.shape} and {t.shape}")
    diagonal = np.linalg.norm(t.max(axis=1) - t.min(axis=1), axis=1)
    if np.any(diagonal <= 0):
        raise ValueError("ground-truth landmarks of an image all coincide (zero diagonal)")
    return np.linalg.norm(p - t, axis=2).mean(axis=1) / diagonal * 100.0

"""How close a decoded face is to the scene that was shown: PSNR and SSIM (8-bit images).

Provisional home (the evaluation package brings the official metrics with the demo model): the
live view needs the numbers today. SSIM is Wang et al. (2004) with the usual constants
(K1 = 0.01, K2 = 0.03, Gaussian window σ = 1.5 px), computed per channel and averaged. A decoder
that outputs grey (the linear Hadamard reconstruction) is compared with the scene's luminance,
not with its colours, and after a least-squares gain and offset fit: its brightness scale is
arbitrary (a display stretch), so the score measures the picture, not the missing colour or the
stretch. The live view says when a score was fitted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter

DATA_RANGE = 255.0
_K1, _K2, _SIGMA = 0.01, 0.03, 1.5
_LUMA = np.array([0.299, 0.587, 0.114])


def psnr_db(reference: np.ndarray, estimate: np.ndarray, data_range: float = DATA_RANGE) -> float:
    """Peak signal-to-noise ratio in dB (inf for identical images)."""
    ref, est = _pair(reference, estimate)
    mse = float(np.mean((ref - est) ** 2))
    return float("inf") if mse == 0 else float(10.0 * np.log10(data_range**2 / mse))


def ssim(reference: np.ndarray, estimate: np.ndarray, data_range: float = DATA_RANGE) -> float:
    """Mean structural similarity of [H, W] or [H, W, C] images (1.0 for identical images)."""
    ref, est = _pair(reference, estimate)
    if ref.ndim == 2:
        ref, est = ref[..., None], est[..., None]
    c1, c2 = (_K1 * data_range) ** 2, (_K2 * data_range) ** 2
    scores = []
    for ch in range(ref.shape[-1]):
        x, y = ref[..., ch], est[..., ch]
        mx, my = gaussian_filter(x, _SIGMA), gaussian_filter(y, _SIGMA)
        vx = gaussian_filter(x * x, _SIGMA) - mx * mx
        vy = gaussian_filter(y * y, _SIGMA) - my * my
        cxy = gaussian_filter(x * y, _SIGMA) - mx * my
        num = (2 * mx * my + c1) * (2 * cxy + c2)
        den = (mx * mx + my * my + c1) * (vx + vy + c2)
        scores.append(float(np.mean(num / den)))
    return float(np.mean(scores))


def _pair(reference: np.ndarray, estimate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ref = np.asarray(reference, dtype=np.float64)
    est = np.asarray(estimate, dtype=np.float64)
    if ref.shape != est.shape:
        raise ValueError(f"images differ in shape: {ref.shape} vs {est.shape}")
    return ref, est


@dataclass(frozen=True)
class SceneScore:
    psnr_db: float
    ssim: float
    grey: bool  # compared on luminance after a gain/offset fit (the decoder outputs grey)


def is_grey(image: np.ndarray) -> bool:
    img = np.asarray(image)
    return img.ndim == 2 or bool(
        (img[..., 0] == img[..., 1]).all() and (img[..., 1] == img[..., 2]).all()
    )


def score_against_scene(scene: np.ndarray, decoded: np.ndarray) -> SceneScore:
    """PSNR/SSIM of a decoded uint8 RGB image against the uint8 RGB scene shown (the scene is
    resized to the decoded image's size first)."""
    decoded = np.asarray(decoded)
    scene = _resized(np.asarray(scene), decoded.shape[:2])
    grey = is_grey(decoded)
    if grey:
        ref = scene.astype(np.float64) @ _LUMA
        est = fit_levels(decoded[..., 0] if decoded.ndim == 3 else decoded, ref)
    else:
        ref, est = scene.astype(np.float64), decoded.astype(np.float64)
    return SceneScore(psnr_db(ref, est), ssim(ref, est), grey)


def fit_levels(estimate: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``a·estimate + b`` with (a, b) minimising the squared error to ``reference``."""
    x = np.asarray(estimate, dtype=np.float64).ravel()
    y = np.asarray(reference, dtype=np.float64).ravel()
    design = np.stack([x, np.ones_like(x)], axis=1)
    (a, b), *_ = np.linalg.lstsq(design, y, rcond=None)
    return (a * np.asarray(estimate, dtype=np.float64) + b).reshape(np.shape(estimate))


def _resized(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if image.shape[:2] == tuple(shape):
        return image
    from PIL import Image

    resized = Image.fromarray(image).resize((shape[1], shape[0]), Image.Resampling.LANCZOS)
    return np.asarray(resized)

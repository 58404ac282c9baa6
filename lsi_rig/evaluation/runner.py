"""The Table 1 protocol for any :class:`~lsi_rig.models.api.VectorDecoder`, one count at a time."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from lsi_rig.evaluation import metrics as M
from lsi_rig.evaluation.groundtruth import TruthItem
from lsi_rig.evaluation.identity import DlibIdentity, RecognitionRate
from lsi_rig.models.api import DecodeResult, VectorDecoder

log = logging.getLogger(__name__)

PIXEL_VALUES = 256 * 256  # pixels of the 256×256 image: the paper's compression numerator


@dataclass
class CountResult:
    """The scores of one decoder (one measurement count) on one image set."""

    model: str
    n: int
    images: int
    psnr_db: float
    ssim: float
    psnr_mean_scene_db: float | None = None
    psnr_grey_scene_db: float | None = None
    attribute_accuracy: float | None = None
    attribute_majority_baseline: float | None = None
    segmentation_f1: np.ndarray | None = None  # [19]
    landmark_nme: float | None = None
    recognition: RecognitionRate | None = None
    decode_ms_per_vector: float = 0.0
    per_image: dict[str, list[float]] = field(default_factory=dict)

    @property
    def compression_ratio(self) -> float:
        return PIXEL_VALUES / self.n

    @property
    def segmentation_f1_total(self) -> float | None:
        return None if self.segmentation_f1 is None else float(self.segmentation_f1.mean())

    @property
    def segmentation_f1_total_bg(self) -> float | None:
        return None if self.segmentation_f1 is None else float(self.segmentation_f1[1:].mean())


def majority_baseline(truth: np.ndarray) -> float:
    """Accuracy of always answering each attribute's most common value in ``truth`` [B, 40]."""
    known = truth >= 0
    positive = ((truth == 1) & known).sum(axis=0)
    majority = positive * 2 > known.sum(axis=0)
    return M.attribute_accuracy(np.broadcast_to(majority.astype(float), truth.shape), truth)


def psnr_references(truth: Sequence[TruthItem]) -> tuple[float, float]:
    """Mean PSNR of the scenes' pixel-wise mean (a decoder that ignores its measurements) and
    of each scene's own grey version (a perfect colour-blind reconstruction): the floor and
    the colour-blind reference PSNR is read between (docs/evaluate.md)."""
    images = [t.scene.image for t in truth]
    if len({im.shape for im in images}) != 1:
        floor = float("nan")  # scenes of different sizes have no pixel-wise mean
    else:
        average = M.mean_scene(np.stack(images))
        floor = float(np.mean([M.psnr_db(im, average) for im in images]))
    grey = float(np.mean([M.psnr_db(im, M.grey_scene(im)) for im in images]))
    return floor, grey


def evaluate_decoder(
    decoder: VectorDecoder,
    vectors: np.ndarray,
    truth: Sequence[TruthItem],
    *,
    batch: int = 50,
    identity: DlibIdentity | None = None,
    on_batch: Callable[[DecodeResult, int], None] | None = None,
) -> CountResult:
    """Decode ``vectors`` [K, n] (simulation units, one per truth item) and score them."""
    if len(vectors) != len(truth):
        raise ValueError(f"{len(vectors)} vectors for {len(truth)} ground-truth items")
    psnr, ssim, acc, nme = [], [], [], []
    seg = M.SegmentationScores()
    have_seg = all(t.segmentation is not None for t in truth)
    have_lm = all(t.landmarks_px is not None for t in truth)
    have_att = any(t.attributes is not None for t in truth)
    tasks = {"image"} | ({"attributes"} if have_att else set())
    tasks |= ({"segmentation"} if have_seg else set()) | ({"landmarks"} if have_lm else set())
    pairs: list[tuple[np.ndarray, np.ndarray]] = []
    decode_s = 0.0
    for start in range(0, len(truth), batch):
        items = truth[start : start + batch]
        t0 = time.perf_counter()
        out = decoder.decode(np.asarray(vectors[start : start + batch], np.float32), tasks=tasks)
        decode_s += time.perf_counter() - t0
        assert out.image is not None
        for k, item in enumerate(items):
            psnr.append(M.psnr_db(item.scene.image, out.image[k]))
            ssim.append(M.ssim(item.scene.image, out.image[k]))
            if identity is not None:
                pairs.append((item.scene.image, out.image[k]))
        if have_att and out.attribute_probabilities is not None:
            for k, item in enumerate(items):
                if item.attributes is not None:
                    acc.append(
                        M.attribute_accuracy(
                            out.attribute_probabilities[k : k + 1], item.attributes[None]
                        )
                    )
        if have_seg and out.segmentation is not None:
            for k, item in enumerate(items):
                seg.add(item.segmentation, out.segmentation[k])  # type: ignore[arg-type]
        if have_lm and out.landmarks_px is not None:
            gt = np.stack([item.landmarks_px for item in items])  # type: ignore[misc]
            nme.extend(M.landmark_nme(out.landmarks_px, gt).tolist())
        if on_batch is not None:
            on_batch(out, start)
    labelled = (
        np.stack([t.attributes for t in truth if t.attributes is not None]) if have_att else None
    )
    floor, grey = psnr_references(truth)
    result = CountResult(
        model=decoder.name,
        n=decoder.n_measurements,
        images=len(truth),
        psnr_db=float(np.mean(psnr)),
        ssim=float(np.mean(ssim)),
        psnr_mean_scene_db=floor,
        psnr_grey_scene_db=grey,
        attribute_accuracy=float(np.nanmean(acc)) if acc else None,
        attribute_majority_baseline=majority_baseline(labelled) if labelled is not None else None,
        segmentation_f1=seg.f1() if have_seg else None,
        landmark_nme=float(np.mean(nme)) if nme else None,
        recognition=identity.recognition_rate(pairs) if identity is not None else None,
        decode_ms_per_vector=decode_s / len(truth) * 1e3,
        per_image={"psnr_db": psnr, "ssim": ssim, "attribute_accuracy": acc, "landmark_nme": nme},
    )
    log.info("n=%d: PSNR %.2f dB, SSIM %.3f", result.n, result.psnr_db, result.ssim)
    return result

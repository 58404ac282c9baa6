"""Training the demo model: the paper's recipe in miniature, on CPU, reproducibly.

Stage 1 (shared by every count): an autoencoder on procedural faces — an image encoder (the
'inversion encoder' of the paper) to a 128-d latent, the generator back to 64×64 RGB, an
auxiliary 1×1 parsing head on its features and linear attribute/landmark heads on the latent.
Stage 2 (per measurement count n): learned binary masks + measurement encoder, first regressing
the image encoder's latents (no generator in the loop: cheap), then end to end through the
frozen generator and auxiliary head (image, parsing, attribute and landmark losses). Stage 3
(shared): the shipped parsing head, trained on what the generator makes of every count's
decoded measurements, with class weights so the small parts (eyes, brows, nose, lips, ears)
are learned and not drowned by background and skin. Every measurement is perturbed by the
rig-noise model of ``physics``.

Reproducible: one seed drives the face set, the initial weights and every batch and noise draw;
a fixed thread count and step counts fixed by the config (``--minutes`` scales them, it is not a
wall-clock cut-off), so the same seed and budget give the same weights on the same machine (the
CPU kernels used here are deterministic for a fixed thread count; a test trains twice and
compares bytes). ``torch.use_deterministic_algorithms`` is not switched on: it changes nothing
for these CPU ops but makes convolutions 4–5× slower.
"""

from __future__ import annotations

import logging
import math
import resource
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from lsi_rig.models.demo import network as N
from lsi_rig.models.demo.data import FaceSet, build_face_set
from lsi_rig.models.demo.physics import noisy, perturbed_blocks

log = logging.getLogger(__name__)

#: wall minutes of the default schedule on an idle 2-core machine (measured: 9.6 min, 1 128 CPU s)
DEFAULT_MINUTES = 10.0
Progress = Callable[[str, int, int, float], None]  # stage, step, total, loss


@dataclass(frozen=True)
class TrainConfig:
    counts: tuple[int, ...] = (4, 16, 32, 64, 128)
    seed: int = 0
    faces: int = 16_000
    stage1_steps: int = 900
    stage1_batch: int = 64
    latent_steps: int = 2_000
    latent_batch: int = 256
    image_steps: int = 150
    image_batch: int = 64
    parsing_steps: int = 300
    parsing_batch: int = 64
    lr: float = 2e-3
    mask_lr: float = 1e-2
    parsing_lr: float = 3e-3
    threads: int = 2
    workers: int = 2

    def for_minutes(self, minutes: float) -> TrainConfig:
        """The same schedule with every step count scaled to ``minutes`` of an idle 2-core
        laptop (the defaults take ≈ ``DEFAULT_MINUTES``)."""
        k = minutes / DEFAULT_MINUTES
        return replace(
            self,
            stage1_steps=max(1, round(self.stage1_steps * k)),
            latent_steps=max(1, round(self.latent_steps * k)),
            image_steps=max(1, round(self.image_steps * k)),
            parsing_steps=max(1, round(self.parsing_steps * k)),
        )


@dataclass
class SharedNets:
    image_encoder: N.ImageEncoder
    generator: N.Generator
    parsing: N.AuxiliaryParsingHead
    heads: N.LatentHeads


@dataclass
class CountNets:
    n: int
    mask: N.CoarseBinaryMask
    encoder: N.MeasurementEncoder
    heads: N.LatentHeads


@dataclass
class TrainResult:
    config: TrainConfig
    shared: SharedNets
    counts: dict[int, CountNets]
    parsing: N.ParsingHead  # the shipped head (stage 3)
    known_attributes: np.ndarray  # bool [40]
    losses: dict[str, list[float]] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "config": asdict(self.config),
            "timings_s": self.timings_s,
            "final_losses": {k: v[-1] for k, v in self.losses.items() if v},
        }


class _Batches:
    """Seeded random batches of the face set as float tensors."""

    def __init__(self, data: FaceSet, generator: torch.Generator) -> None:
        self.data = data
        self.gen = generator
        self.linear = torch.from_numpy(data.blocks_linear)
        self.gamma = torch.from_numpy(data.blocks_gamma)
        self.images = torch.from_numpy(data.images)
        self.seg = torch.from_numpy(data.segmentation)
        self.lm = N.px_to_landmarks(torch.from_numpy(data.landmarks_px))
        self.att = torch.from_numpy(data.attributes)

    def index(self, batch: int) -> torch.Tensor:
        return torch.randint(len(self.data), (batch,), generator=self.gen)

    def image(self, idx: torch.Tensor) -> torch.Tensor:
        return self.images[idx].float() / 255.0

    def blocks(self, idx: torch.Tensor) -> torch.Tensor:
        return perturbed_blocks(self.linear[idx], self.gamma[idx], self.gen)


def _attribute_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    known = labels >= 0
    target = labels.clamp(min=0).float()
    loss = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    return (loss * known).sum() / known.sum().clamp(min=1)


def _image_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(pred, target) + 0.1 * F.l1_loss(pred, target)


W_IMAGE, W_SEG, W_ATTR, W_LM, W_LATENT = 10.0, 0.3, 0.3, 100.0, 1.0


def _head_losses(
    heads: N.LatentHeads, z: torch.Tensor, b: _Batches, idx: torch.Tensor
) -> torch.Tensor:
    att_logits, lm = heads(z)
    return W_ATTR * _attribute_loss(att_logits, b.att[idx]) + W_LM * F.mse_loss(lm, b.lm[idx])


def train_shared(
    b: _Batches,
    cfg: TrainConfig,
    progress: Progress | None = None,
    losses: list[float] | None = None,
) -> SharedNets:
    nets = SharedNets(N.ImageEncoder(), N.Generator(), N.AuxiliaryParsingHead(), N.LatentHeads())
    params = [p for m in asdict_modules(nets) for p in m.parameters()]
    opt = torch.optim.Adam(params, lr=cfg.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=cfg.stage1_steps)
    for m in asdict_modules(nets):
        m.train()
    for step in range(cfg.stage1_steps):
        idx = b.index(cfg.stage1_batch)
        image = b.image(idx)
        z = nets.image_encoder(image)
        z_in = z + 0.1 * torch.randn(z.shape, generator=b.gen)  # a smooth latent space
        rgb, feats = nets.generator(z_in)
        seg = nets.parsing(feats)
        loss = (
            W_IMAGE * _image_loss(rgb, image)
            + W_SEG * F.cross_entropy(seg, b.seg[idx].long())
            + _head_losses(nets.heads, z, b, idx)
            + 1e-3 * z.pow(2).mean()
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        _report(progress, losses, "shared", step, cfg.stage1_steps, float(loss.detach()))
    for m in asdict_modules(nets):
        m.eval()
    return nets


def asdict_modules(nets: SharedNets | CountNets) -> list[torch.nn.Module]:
    return [v for v in vars(nets).values() if isinstance(v, torch.nn.Module)]


def _report(
    progress: Progress | None,
    losses: list[float] | None,
    stage: str,
    step: int,
    total: int,
    loss: float,
) -> None:
    if losses is not None:
        losses.append(loss)
    if progress is not None and ((step + 1) % 25 == 0 or step == total - 1):
        progress(stage, step + 1, total, loss)


@torch.no_grad()
def image_latents(shared: SharedNets, b: _Batches, batch: int = 512) -> torch.Tensor:
    out = []
    for start in range(0, len(b.data), batch):
        idx = torch.arange(start, min(start + batch, len(b.data)))
        out.append(shared.image_encoder(b.image(idx)))
    return torch.cat(out)


def train_count(
    n: int,
    b: _Batches,
    latents: torch.Tensor,
    shared: SharedNets,
    cfg: TrainConfig,
    progress: Progress | None = None,
    losses: list[float] | None = None,
) -> CountNets:
    nets = CountNets(n, N.CoarseBinaryMask(n), N.MeasurementEncoder(n), N.LatentHeads())
    nets.heads.load_state_dict(shared.heads.state_dict())
    groups = [
        {"params": list(nets.mask.parameters()), "lr": cfg.mask_lr},
        {"params": list(nets.encoder.parameters()) + list(nets.heads.parameters()), "lr": cfg.lr},
    ]
    total = cfg.latent_steps + cfg.image_steps
    opt = torch.optim.Adam(groups)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, [cfg.mask_lr, cfg.lr], total_steps=total)
    for module in asdict_modules(shared):
        module.requires_grad_(False)
    nets.encoder.train()
    stage = f"n={n}"
    for step in range(total):
        end_to_end = step >= cfg.latent_steps
        idx = b.index(cfg.image_batch if end_to_end else cfg.latent_batch)
        m = noisy(nets.mask(b.blocks(idx)), b.gen)
        z = nets.encoder(m)
        loss = W_LATENT * F.mse_loss(z, latents[idx]) + _head_losses(nets.heads, z, b, idx)
        if end_to_end:
            rgb, feats = shared.generator(z)
            seg = shared.parsing(feats)
            loss = loss + W_IMAGE * _image_loss(rgb, b.image(idx))
            loss = loss + W_SEG * F.cross_entropy(seg, b.seg[idx].long())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        _report(progress, losses, stage, step, total, float(loss.detach()))
    nets.encoder.eval()
    for module in asdict_modules(shared):
        module.requires_grad_(True)
    return nets


def parsing_class_weights(segmentation: np.ndarray) -> torch.Tensor:
    """Cross-entropy weights per class ∝ frequency^−½, scaled so the frequency-weighted mean is 1.

    Background and skin cover ~80 % of the pixels and an eye < 0.2 %: unweighted, a head learns
    to never answer the small parts (F1 0); weights ∝ 1/frequency over-paint them. The square
    root sits between. Classes absent from ``segmentation`` count as frequency 10⁻⁵."""
    counts = np.bincount(segmentation.reshape(-1), minlength=N.N_CLASSES)[: N.N_CLASSES]
    freq = counts / max(1, counts.sum())
    weights = np.maximum(freq, 1e-5) ** -0.5
    weights /= float((weights * freq).sum()) or 1.0
    return torch.from_numpy(weights.astype(np.float32))


def train_parsing(
    b: _Batches,
    shared: SharedNets,
    counts: dict[int, CountNets],
    cfg: TrainConfig,
    progress: Progress | None = None,
    losses: list[float] | None = None,
) -> N.ParsingHead:
    """Stage 3: the shipped parsing head on the frozen generator's features and RGB for the
    decoded measurements of each count in turn (noise on, as the decoder will see them)."""
    head = N.ParsingHead()
    weights = parsing_class_weights(b.data.segmentation)
    opt = torch.optim.Adam(head.parameters(), lr=cfg.parsing_lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.parsing_lr, total_steps=cfg.parsing_steps)
    order = sorted(counts)
    head.train()
    for step in range(cfg.parsing_steps):
        nets = counts[order[step % len(order)]]
        idx = b.index(cfg.parsing_batch)
        with torch.no_grad():
            z = nets.encoder(noisy(nets.mask(b.blocks(idx)), b.gen))
            rgb, features = shared.generator(z)
        logits = head(features, rgb)
        loss = F.cross_entropy(logits, b.seg[idx].long(), weight=weights)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        _report(progress, losses, "parsing", step, cfg.parsing_steps, float(loss.detach()))
    return head.eval()


def set_prior_attributes(heads: N.LatentHeads, known: np.ndarray, priors: list[float]) -> None:
    """Attributes without ground truth answer the CelebA prior whatever the latent."""
    with torch.no_grad():
        for k, is_known in enumerate(known):
            if not is_known:
                heads.attributes.weight[k].zero_()
                heads.attributes.bias[k] = math.log(priors[k] / (1 - priors[k]))


def seed_everything(cfg: TrainConfig) -> torch.Generator:
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    return torch.Generator().manual_seed(cfg.seed)


def train_demo(
    cfg: TrainConfig, progress: Progress | None = None, data: FaceSet | None = None
) -> TrainResult:
    """Render the faces and run the three stages; returns the trained networks (eval mode)."""
    from lsi_rig.core.labels import ATTRIBUTE_NAMES
    from lsi_rig.models.demo.priors import CELEBA_PRIORS

    threads_before = torch.get_num_threads()
    t0, cpu0 = time.perf_counter(), _cpu_s()
    gen = seed_everything(cfg)
    timings: dict[str, float] = {}
    try:
        if data is None:
            data = build_face_set(cfg.faces, seed=cfg.seed, workers=cfg.workers)
        timings["render_s"] = time.perf_counter() - t0
        batches = _Batches(data, gen)
        losses: dict[str, list[float]] = {"shared": []}
        shared = train_shared(batches, cfg, progress, losses["shared"])
        timings["shared_s"] = time.perf_counter() - t0 - timings["render_s"]
        latents = image_latents(shared, batches)
        known = np.any(data.attributes >= 0, axis=0)
        priors = [CELEBA_PRIORS[name] for name in ATTRIBUTE_NAMES]
        set_prior_attributes(shared.heads, known, priors)
        counts = {}
        for n in cfg.counts:
            t_n = time.perf_counter()
            losses[f"n{n}"] = []
            counts[n] = train_count(n, batches, latents, shared, cfg, progress, losses[f"n{n}"])
            set_prior_attributes(counts[n].heads, known, priors)
            timings[f"n{n}_s"] = time.perf_counter() - t_n
        t_p = time.perf_counter()
        losses["parsing"] = []
        parsing = train_parsing(batches, shared, counts, cfg, progress, losses["parsing"])
        timings["parsing_s"] = time.perf_counter() - t_p
    finally:
        torch.set_num_threads(threads_before)
    timings["wall_s"] = time.perf_counter() - t0
    timings["cpu_s"] = _cpu_s() - cpu0
    return TrainResult(cfg, shared, counts, parsing, known, losses, timings)


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children (the render workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

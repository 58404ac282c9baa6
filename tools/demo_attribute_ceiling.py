"""How much can the demo camera's measurements tell about a face's attributes?

The demo model predicts attributes through a latent shared with the image (the paper's design).
To read its accuracy, this tool trains classifiers *directly* for attributes — the same
measurement encoder MLP and a linear head, BCE on the known attributes — from

* ``full``: all 1 024 block sums of the 32×32 grid the demo masks live on (R+G+B over each 8×8
  block, no noise): everything any demo mask set could measure;
* ``n``: n learned 1-bit masks on that grid, with the training rig-noise model;

and prints, on held-out training-family faces, the accuracy next to the majority baseline and
the attributes the measurements can or cannot see. Not run in CI (minutes of CPU); quoted in
docs/demo-model.md.

    python tools/demo_attribute_ceiling.py --faces 8000 --counts full,32,128
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch.nn import functional as F

from lsi_rig.core.labels import ATTRIBUTE_NAMES
from lsi_rig.models.demo import network as N
from lsi_rig.models.demo.data import FaceSet, build_face_set
from lsi_rig.models.demo.physics import noisy, perturbed_blocks

VALIDATION_START = 100_000  # face indices far beyond any training run's faces


def _measure(
    mask: N.CoarseBinaryMask | None, data: FaceSet, idx: torch.Tensor, gen: torch.Generator
) -> torch.Tensor:
    linear = torch.from_numpy(data.blocks_linear[idx.numpy()])
    gamma = torch.from_numpy(data.blocks_gamma[idx.numpy()])
    blocks = perturbed_blocks(linear, gamma, gen)
    if mask is None:  # one block sum per input, scaled like a half-on mask's measurement
        return blocks * (N.MEASUREMENT_SCALE / N.BLOCK**2 / 1.5)
    return noisy(mask(blocks), gen)


def train_classifier(
    count: int | None, train: FaceSet, steps: int, seed: int
) -> tuple[N.CoarseBinaryMask | None, N.MeasurementEncoder, torch.nn.Linear]:
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    mask = None if count is None else N.CoarseBinaryMask(count)
    encoder = N.MeasurementEncoder(N.MASK_GRID**2 if count is None else count)
    head = torch.nn.Linear(N.LATENT, N.N_ATTRIBUTES)
    groups = [{"params": [*encoder.parameters(), *head.parameters()], "lr": 2e-3}]
    rates = [2e-3]
    if mask is not None:
        groups.append({"params": list(mask.parameters()), "lr": 1e-2})
        rates.append(1e-2)
    opt = torch.optim.Adam(groups)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, rates, total_steps=steps)
    labels = torch.from_numpy(train.attributes)
    for _ in range(steps):
        idx = torch.randint(len(train), (256,), generator=gen)
        logits = head(encoder(_measure(mask, train, idx, gen)))
        known = labels[idx] >= 0
        loss = F.binary_cross_entropy_with_logits(
            logits, labels[idx].clamp(min=0).float(), reduction="none"
        )
        loss = (loss * known).sum() / known.sum().clamp(min=1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    encoder.eval()
    return mask, encoder, head


def per_attribute_accuracy(correct: np.ndarray, known: np.ndarray) -> np.ndarray:
    return (correct & known).sum(axis=0) / np.maximum(known.sum(axis=0), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faces", type=int, default=8000, help="training faces")
    parser.add_argument("--validation", type=int, default=1000, help="held-out faces")
    parser.add_argument("--counts", default="full,32,128", help="'full' and/or mask counts")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    train = build_face_set(args.faces, seed=args.seed)
    val = build_face_set(args.validation, seed=args.seed, start=VALIDATION_START)
    print(f"rendered {args.faces} + {args.validation} faces in {time.perf_counter() - t0:.0f} s")
    truth = val.attributes
    known = truth >= 0
    positive_rate = ((train.attributes == 1) & (train.attributes >= 0)).sum(0) / np.maximum(
        (train.attributes >= 0).sum(0), 1
    )
    majority = np.broadcast_to(positive_rate > 0.5, truth.shape)
    base = per_attribute_accuracy(majority == (truth == 1), known)
    attrs = np.flatnonzero(known.any(axis=0))
    overall = 100 * ((majority == (truth == 1)) & known).sum() / known.sum()
    print(f"majority baseline: {overall:.1f} %")
    for spec in args.counts.split(","):
        count = None if spec == "full" else int(spec)
        t = time.perf_counter()
        mask, encoder, head = train_classifier(count, train, args.steps, args.seed)
        with torch.no_grad():
            gen = torch.Generator().manual_seed(args.seed + 1)
            logits = head(encoder(_measure(mask, val, torch.arange(len(val)), gen))).numpy()
        correct = (logits > 0) == (truth == 1)
        acc = 100 * (correct & known).sum() / known.sum()
        per = per_attribute_accuracy(correct, known)
        gains = sorted(((per[k] - base[k], ATTRIBUTE_NAMES[k]) for k in attrs), reverse=True)
        seen = ", ".join(f"{name} +{100 * g:.0f}" for g, name in gains if g >= 0.02)
        print(f"{spec:>5}: {acc:.1f} % ({time.perf_counter() - t:.0f} s); above baseline: {seen}")


if __name__ == "__main__":
    main()

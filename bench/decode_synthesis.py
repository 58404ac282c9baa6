"""Reference vs fast StyleGAN-XL synthesis on this CPU (full-size config B, random weights).

Run:  python bench/decode_synthesis.py [--repeats N] [--threads 2] [--batch 1]

Prints per-stage wall times of both implementations, the speed ratio, peak RSS, and the
error of the fast path against the reference: max |Δ| of the float image and of the six
hooked feature maps, and the PSNR of the uint8 images converted as the official notebooks do
((img·0.5 + 0.5)·255, clamp, truncate). Random weights are not trained weights: errors with
the real ffhq256.pkl may differ (lsi-model.md §11).
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lsi_rig.models.generator import SynthesisNetwork
from lsi_rig.models.generator.fast_ops import cpu_has_native_bf16

HOOKED = ["L3_36_1024", "L9_52_1024", "L11_84_1024", "L13_148_919", "L15_276_256", "L16_256_256"]


def time_synthesis(
    net: SynthesisNetwork, ws: torch.Tensor, repeats: int = 1, capture=HOOKED
) -> dict:
    """Run ``repeats`` forwards with the net's current impl; best total and per-stage seconds.

    With ``repeats > 1`` an untimed warm-up run comes first.
    Returns ``{"total_s", "stages_s": {stage: s}, "image", "features"}`` (outputs of the last
    run), so callers can both time and compare.
    """
    best: dict | None = None
    if repeats > 1:
        net(ws[:1])  # warm-up: oneDNN kernel creation, plans, first-touch of buffers
    for _ in range(max(1, repeats)):
        stages: dict[str, float] = {}
        t0 = time.perf_counter()
        image, feats = net(ws, capture=[c for c in capture if c in net.layer_names], timings=stages)
        total = time.perf_counter() - t0
        if best is None or total < best["total_s"]:
            best = {"total_s": total, "stages_s": stages}
        best["image"], best["features"] = image, feats
    assert best is not None
    return best


def to_uint8(img: torch.Tensor) -> torch.Tensor:
    """Official notebook conversion: truncation, not rounding."""
    return ((img * 0.5 + 0.5) * 255).clamp(0, 255).to(torch.uint8)


def psnr_uint8(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = (to_uint8(a).double() - to_uint8(b).double()).square().mean().item()
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from tests.models.pkl_writer import make_generator_records

    t0 = time.perf_counter()
    net = SynthesisNetwork(make_generator_records("B", seed=args.seed))
    print(f"built config B with random weights in {time.perf_counter() - t0:.1f} s; "
          f"threads={args.threads} batch={args.batch} cpu={torch.backends.cpu.get_cpu_capability()}"
          f" native_bf16={cpu_has_native_bf16()}")  # fmt: skip
    ws = torch.randn(args.batch, net.num_ws, net.w_dim, generator=torch.Generator().manual_seed(1))
    rss0 = peak_rss_mb()

    net.set_impl("fast")
    fast = time_synthesis(net, ws, args.repeats)
    rss_fast = peak_rss_mb()
    fast_dtype = net.compute_dtype
    net.set_impl("reference")
    ref = time_synthesis(net, ws, args.repeats)
    rss_ref = peak_rss_mb()

    print(f"\n{'stage':<14}{'reference s':>13}{'fast s':>10}{'ratio':>8}")
    for stage, t_ref in ref["stages_s"].items():
        t_fast = fast["stages_s"][stage]
        print(f"{stage:<14}{t_ref:>13.3f}{t_fast:>10.3f}{t_ref / max(t_fast, 1e-9):>8.2f}")
    print(f"{'TOTAL':<14}{ref['total_s']:>13.2f}{fast['total_s']:>10.2f}"
          f"{ref['total_s'] / fast['total_s']:>8.2f}")  # fmt: skip
    print(f"\nfast dtype {fast_dtype}; speed-up reference/fast = "
          f"{ref['total_s'] / fast['total_s']:.2f}x")  # fmt: skip
    print(f"peak RSS: after build {rss0:.0f} MB, after fast {rss_fast:.0f} MB, "
          f"after reference {rss_ref:.0f} MB")  # fmt: skip
    d_img = (fast["image"] - ref["image"]).abs().max().item()
    print(f"\nimage: max|Δ| = {d_img:.3e} (ref range ±{ref['image'].abs().max().item():.3f}), "
          f"uint8 PSNR = {psnr_uint8(fast['image'], ref['image']):.2f} dB, "
          f"uint8 pixels differing = "
          f"{(to_uint8(fast['image']) != to_uint8(ref['image'])).sum().item()}")  # fmt: skip
    for name in HOOKED:
        a, b = fast["features"][name], ref["features"][name]
        rel = (a - b).abs().max().item() / max(b.abs().max().item(), 1e-12)
        print(f"  {name:<13} max|Δ| = {(a - b).abs().max().item():.3e}  relative {rel:.2e}")


if __name__ == "__main__":
    main()

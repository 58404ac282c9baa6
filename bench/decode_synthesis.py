"""Reference vs fast StyleGAN-XL synthesis on this CPU (full-size config B, random weights).

Run:  python bench/decode_synthesis.py [--repeats N] [--threads 2] [--batch 1] [--variants ...]

Variants of the fast path (``fast_ops.configure``):
  default   Winograd F(4×4,3×3) convs + blocked band-GEMM FIR, transformed weights cached for
            the smallest layers within DEFAULT_WEIGHT_CACHE_MB (what set_impl("fast") does)
  cacheall  the same with every layer's transformed weights cached (+1.92 GiB)
  nocache   the same with the weights transformed every frame
  wino6     F(6×6,3×3), all cached (+3.4 GiB)
  dense     the previous fast path: oneDNN dense conv + whole-tensor polyphase FIR

Prints per-stage wall times of the reference and each variant, the speed ratio, peak RSS
(the fast variants run first, so "after <first variant>" is that variant's own peak plus
the network), and the error of every variant against the reference: max |Δ| of the float
image and of the six hooked feature maps, and the PSNR of the uint8 images converted as the
official notebooks do ((img·0.5 + 0.5)·255, clamp, truncate). Random weights are not trained
weights: errors with the real ffhq256.pkl may differ (lsi-model.md §11). The machine is shared:
note `uptime` before trusting absolute times.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lsi_rig.models.generator import SynthesisNetwork
from lsi_rig.models.generator.fast_ops import configure, cpu_has_native_bf16

VARIANTS = {
    "default": {},
    "cacheall": {"weight_cache_mb": math.inf},
    "nocache": {"weight_cache_mb": 0.0},
    "wino6": {"winograd_tile": 6, "weight_cache_mb": math.inf},
    "dense": {"winograd_tile": None, "blocked_fir": False},
}

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


def set_variant(net: SynthesisNetwork, options: dict) -> float:
    """Fast path in fp32 with the variant's options; returns the MiB of cached weights."""
    net.set_impl("fast", dtype=torch.float32)  # clears cached weights and plans
    return configure(net.layers(), **options)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--variants", nargs="+", default=["default", "dense"], choices=list(VARIANTS))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from tests.models.pkl_writer import make_generator_records

    t0 = time.perf_counter()
    net = SynthesisNetwork(make_generator_records("B", seed=args.seed))
    print(f"built config B with random weights in {time.perf_counter() - t0:.1f} s; "
          f"threads={args.threads} batch={args.batch} cpu={torch.backends.cpu.get_cpu_capability()}"
          f" native_bf16={cpu_has_native_bf16()} load average={os.getloadavg()}")  # fmt: skip
    ws = torch.randn(args.batch, net.num_ws, net.w_dim, generator=torch.Generator().manual_seed(1))
    rss = {"build": peak_rss_mb()}

    runs = {}
    for name in args.variants:
        cached_mb = set_variant(net, VARIANTS[name])
        runs[name] = time_synthesis(net, ws, args.repeats)
        print(f"{name}: {runs[name]['total_s']:.2f} s, {cached_mb:.0f} MiB of cached weights")
        rss[name] = peak_rss_mb()
    net.set_impl("reference")
    ref = time_synthesis(net, ws, args.repeats)
    rss["reference"] = peak_rss_mb()

    names = list(runs)
    print(f"\n{'stage':<14}{'reference s':>13}" + "".join(f"{n + ' s':>11}" for n in names)
          + "".join(f"{'ref/' + n:>13}" for n in names))  # fmt: skip
    for stage, t_ref in ref["stages_s"].items():
        ts = [runs[n]["stages_s"][stage] for n in names]
        print(f"{stage:<14}{t_ref:>13.3f}" + "".join(f"{t:>11.3f}" for t in ts)
              + "".join(f"{t_ref / max(t, 1e-9):>13.2f}" for t in ts))  # fmt: skip
    print(f"{'TOTAL':<14}{ref['total_s']:>13.2f}"
          + "".join(f"{runs[n]['total_s']:>11.2f}" for n in names)
          + "".join(f"{ref['total_s'] / runs[n]['total_s']:>13.2f}" for n in names))  # fmt: skip
    print("\npeak RSS (MB, cumulative): " + ", ".join(f"after {k} {v:.0f}" for k, v in rss.items()))
    print(f"load average at the end: {os.getloadavg()}")
    for name in names:
        run = runs[name]
        d_img = (run["image"] - ref["image"]).abs().max().item()
        print(f"\n{name}: speed-up reference/{name} = {ref['total_s'] / run['total_s']:.2f}x; "
              f"image max|Δ| = {d_img:.3e} (ref range ±{ref['image'].abs().max().item():.3f}), "
              f"uint8 PSNR = {psnr_uint8(run['image'], ref['image']):.2f} dB, "
              f"uint8 values differing = "
              f"{(to_uint8(run['image']) != to_uint8(ref['image'])).sum().item()}")  # fmt: skip
        for layer in HOOKED:
            a, b = run["features"][layer], ref["features"][layer]
            rel = (a - b).abs().max().item() / max(b.abs().max().item(), 1e-12)
            print(f"  {layer:<13} max|Δ| = {(a - b).abs().max().item():.3e}  relative {rel:.2e}")


if __name__ == "__main__":
    main()

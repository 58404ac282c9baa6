"""Fast synthesis path: same mathematics as :mod:`.ops`, less arithmetic and memory traffic.

Why each trick is (near-)exact:

* **Polyphase upsampling.** Zero insertion followed by an FIR only ever multiplies every
  ``up``-th tap with a non-zero sample, so output phase *r* is a short convolution of the
  *original* signal with taps ``f[r], f[r+up], …``: ``up``× fewer multiplies and no
  zero-inserted tensor. Each phase is a plain depthwise conv (oneDNN's fast path; a conv with
  several outputs per group measured 10–20× slower) written into a strided output view.
* **Strided downsampling.** Filtering then keeping every ``down``-th sample equals a depthwise
  conv with stride ``down``: the discarded outputs are never computed.
* **Gains folded into filters.** ``lrelu(x)·g = lrelu(x·g)`` for g > 0, so the √2 activation gain
  and the up² filter gain ride on the upsampling taps; activation and clamp run in place.
* **Winograd F(4×4, 3×3) for the modulated 3×3 convs** (:mod:`.winograd`, :mod:`.fast_conv`):
  4× fewer multiplies as batched MKL GEMMs, styles on the input, demodulation and bias on the
  output, so the transformed weights are static and can be cached (:func:`configure`).
  Otherwise (bf16/fp16, ToRGB): weight normalisation computed once, **one dense conv for
  batch 1** (grouped per-sample conv otherwise) in NCHW.
* **Blocked up-FIR → lrelu → down-FIR** (:mod:`.fast_fir`) as band GEMMs on cache-sized
  blocks, in **channels-last** memory; the whole-tensor polyphase/strided passes below remain
  for ``blocked_fir=False`` and non-standard layers.
* Lower precision only on request or when the hardware has it natively (fp16 on CUDA, bf16 on
  CPUs with AVX-512-BF16/AMX). On AVX2-only CPUs bf16 is emulated and slower, so fp32 is kept.

Rounding differs from the reference only by summation order, the folded gains and the
Winograd transforms (≤ 1e-5 relative per conv, ~5e-6 on the hooked features in fp32); see
``bench/decode_synthesis.py`` for measured errors.
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from lsi_rig.models.generator import fast_fir, ops
from lsi_rig.models.generator.fast_conv import (
    DEFAULT_WEIGHT_CACHE_MB,
    ConvOptions,
    configure,
    winograd_modulated_conv,
    winograd_weight_mb,
)

if TYPE_CHECKING:
    from lsi_rig.models.generator.synthesis import SynthesisLayerModule

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_WEIGHT_CACHE_MB",
    "ConvOptions",
    "FastLayerState",
    "UpPlan",
    "configure",
    "cpu_has_native_bf16",
    "downsample_strided",
    "layer_forward_fast",
    "plan_upsample",
    "preferred_dtype",
    "upsample_polyphase",
    "winograd_weight_mb",
]


@functools.cache
def cpu_has_native_bf16() -> bool:
    """True when the CPU computes bf16 natively (AVX-512-BF16 or AMX), not by emulation."""
    flags: set[str] = set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags.update(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    capability = torch.backends.cpu.get_cpu_capability()
    native = bool(flags & {"avx512_bf16", "amx_bf16"}) or "AMX" in capability
    log.debug("cpu capability %s, native bf16 %s", capability, native)
    return native and torch.backends.mkldnn.is_available()


def preferred_dtype(device: torch.device) -> torch.dtype:
    if device.type == "cuda":
        return torch.float16
    return torch.bfloat16 if cpu_has_native_bf16() else torch.float32


def to_compute(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    return x.to(dtype=dtype, memory_format=torch.channels_last)


@dataclass(frozen=True)
class UpPlan:
    """Geometry of polyphase upsampling along one axis (see :func:`plan_upsample`).

    Output phase r (outputs r, r+up, …) is a plain correlation of the zero-padded input,
    starting at ``starts[r]``, with taps ``banks[r]``; it yields ``counts[r]`` samples.
    """

    up: int
    pad_lo: int
    pad_hi: int
    out_len: int
    starts: tuple[int, ...]
    counts: tuple[int, ...]
    banks: tuple[torch.Tensor, ...]


def plan_upsample(n_in: int, f: torch.Tensor, up: int, p0: int, p1: int, gain: float) -> UpPlan:
    """Phase filters and padding equivalent to zero-insert, pad p0/p1, convolve with f.

    Output n of the reference is ``Σ_k f[r + k·up] · x[a − k]`` with ``q = n + T − 1 − p0``,
    ``a = q // up``, ``r = q % up``: only every ``up``-th tap meets a non-zero sample.
    """
    taps = f.shape[0]
    out_len = n_in * up + p0 + p1 - taps + 1
    starts, counts, banks = [], [], []
    for n0 in range(up):
        q = n0 + taps - 1 - p0
        a0, r = q // up, q % up
        k_taps = max(0, -(-(taps - r) // up))
        idx = r + up * torch.arange(k_taps - 1, -1, -1)  # reversed: correlation taps
        banks.append((f.to(torch.float64)[idx] * gain).to(torch.float32))
        starts.append(a0 - k_taps + 1)
        counts.append(max(0, -(-(out_len - n0) // up)))
    pad_lo = max(0, -min(starts))
    ends = [s + c + b.shape[0] - 1 for s, c, b in zip(starts, counts, banks, strict=True)]
    pad_hi = max(0, max(ends) - n_in)
    starts = [s + pad_lo for s in starts]
    return UpPlan(up, pad_lo, pad_hi, out_len, tuple(starts), tuple(counts), tuple(banks))


def _pad_axis(x: torch.Tensor, lo: int, hi: int, axis: int) -> torch.Tensor:
    if lo == 0 and hi == 0:
        return x
    pads = [lo, hi, 0, 0] if axis == 3 else [0, 0, lo, hi]
    return F.pad(x, pads)


def upsample_polyphase(x: torch.Tensor, plan: UpPlan, axis: int) -> torch.Tensor:
    """Upsample ``x [B, C, H, W]`` along ``axis`` (2 = H, 3 = W): one depthwise conv per phase
    on the original samples, written interleaved into the output."""
    b, c, h, w = x.shape
    xp = _pad_axis(x, plan.pad_lo, plan.pad_hi, axis)
    shape = (b, c, h, plan.out_len) if axis == 3 else (b, c, plan.out_len, w)
    out = torch.empty(shape, dtype=x.dtype, device=x.device, memory_format=torch.channels_last)
    for r in range(plan.up):
        taps = plan.banks[r].to(dtype=x.dtype, device=x.device)
        k, n, s = taps.shape[0], plan.counts[r], plan.starts[r]
        dst = out[..., r :: plan.up] if axis == 3 else out[:, :, r :: plan.up]
        if n == 0:
            continue
        if k == 0:  # this phase only ever meets inserted zeros
            dst.zero_()
            continue
        weight = taps.repeat(c, 1)
        if axis == 3:
            dst.copy_(F.conv2d(xp[..., s : s + n + k - 1], weight[:, None, None], groups=c))
        else:
            dst.copy_(F.conv2d(xp[:, :, s : s + n + k - 1], weight[:, None, :, None], groups=c))
    return out


def downsample_strided(x: torch.Tensor, f: torch.Tensor, down: int, axis: int) -> torch.Tensor:
    """FIR (true convolution) then keep every ``down``-th sample, as one strided conv."""
    c = x.shape[1]
    taps = f.flip(0).to(dtype=x.dtype, device=x.device).repeat(c, 1)
    weight = taps[:, None, None, :] if axis == 3 else taps[:, None, :, None]
    stride = (1, down) if axis == 3 else (down, 1)
    return F.conv2d(x, weight, stride=stride, groups=c)


class FastLayerState:
    """Per-layer cache of prepared weights/filters for the fast path (cleared by set_impl)."""

    def __init__(self) -> None:
        self.items: dict[str, object] = {}
        self.options = ConvOptions()

    def clear(self) -> None:
        self.items.clear()

    def get(self, key: str, make):  # type: ignore[no-untyped-def]
        if key not in self.items:
            self.items[key] = make()
        return self.items[key]


def _demodulated(layer: SynthesisLayerModule, styles: torch.Tensor) -> torch.Tensor:
    """Per-sample weights; the styles-independent normalisation of W is computed once."""
    a = layer.attrs
    input_gain = layer.magnitude_ema.rsqrt()
    if a.is_torgb:
        return layer.weight.unsqueeze(0) * styles[:, None, :, None, None] * input_gain
    w = layer.fast.get(
        "w_norm",
        lambda: layer.weight * layer.weight.square().mean([1, 2, 3], keepdim=True).rsqrt(),
    )
    s = styles * styles.square().mean().rsqrt()
    wm = w.unsqueeze(0) * s[:, None, :, None, None]
    wm = wm * ((wm.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt() * input_gain)[..., None, None, None]
    return wm


def _conv(x: torch.Tensor, wm: torch.Tensor, bias: torch.Tensor, pad: int) -> torch.Tensor:
    batch = x.shape[0]
    dtype = x.dtype
    x = x.contiguous()  # NCHW: oneDNN's dense 3×3 conv measured 1.0–1.4× faster than NHWC here
    if batch == 1:
        return F.conv2d(x, wm[0].to(dtype), bias.to(dtype), padding=pad)
    c_in = x.shape[1]
    out = F.conv2d(
        x.reshape(1, -1, *x.shape[2:]),
        wm.reshape(-1, c_in, *wm.shape[3:]).to(dtype),
        bias.to(dtype).repeat(batch),
        padding=pad,
        groups=batch,
    )
    return out.reshape(batch, -1, *out.shape[2:])


def _modulated_conv(
    layer: SynthesisLayerModule, x: torch.Tensor, styles: torch.Tensor
) -> torch.Tensor:
    """Modulated conv + bias → channels-last; Winograd for 3×3 fp32 layers, else dense."""
    a = layer.attrs
    tile = layer.fast.options.winograd_tile
    if tile and a.conv_kernel == 3 and not a.is_torgb and x.dtype == torch.float32:
        return winograd_modulated_conv(layer, x, styles, tile)
    wm = _demodulated(layer, styles)
    x = _conv(x, wm, layer.bias, a.conv_kernel - 1)
    return x.contiguous(memory_format=torch.channels_last)  # depthwise FIRs: NHWC is 2–4× faster


def layer_forward_fast(
    layer: SynthesisLayerModule, x: torch.Tensor, w: torch.Tensor
) -> torch.Tensor:
    """One synthesis layer on the fast path; ``x`` is in compute dtype, channels-last."""
    a = layer.attrs
    dtype = x.dtype
    x = _modulated_conv(layer, x, layer.styles(w))
    gain, slope = ops.layer_gain_slope(a.is_torgb)
    fu, fd = layer.up_filter, layer.down_filter
    separable = (fu is None or fu.ndim == 1) and (fd is None or fd.ndim == 1)
    if not separable or fu is None:
        zero = torch.zeros_like(layer.bias, dtype=dtype)
        x = ops.filtered_lrelu_ref(
            x, fu, fd, zero, a.up_factor, a.down_factor, a.padding, gain, slope, a.conv_clamp
        )
        return x.to(dtype).contiguous(memory_format=torch.channels_last)
    px0, px1, py0, py1 = a.padding
    h_in, w_in = x.shape[2], x.shape[3]
    up = a.up_factor
    plan_w = layer.fast.get(f"up_w{w_in}", lambda: plan_upsample(w_in, fu, up, px0, px1, up * gain))
    plan_h = layer.fast.get(f"up_h{h_in}", lambda: plan_upsample(h_in, fu, up, py0, py1, up))
    if layer.fast.options.blocked_fir and fd is not None:
        g_h = math.lcm(up, a.down_factor, 8)
        band_w = layer.fast.get(f"band_w{w_in}", lambda: fast_fir.band_from_plan(plan_w, 16))
        band_h = layer.fast.get(f"band_h{h_in}", lambda: fast_fir.band_from_plan(plan_h, g_h))
        band_dn = layer.fast.get("band_dn", lambda: fast_fir.band_down(fd, a.down_factor))
        return fast_fir.filtered_lrelu_blocked(
            x,
            band_w,
            band_h,
            band_dn,
            fd,
            a.down_factor,
            slope,
            a.conv_clamp,  # type: ignore[arg-type]
        )
    x = upsample_polyphase(x, plan_w, axis=3)
    x = upsample_polyphase(x, plan_h, axis=2)
    if slope != 1:
        F.leaky_relu_(x, slope)
    if a.conv_clamp is not None and a.conv_clamp >= 0:
        x.clamp_(-a.conv_clamp, a.conv_clamp)
    if fd is not None:
        x = downsample_strided(x, fd, a.down_factor, axis=3)
        x = downsample_strided(x, fd, a.down_factor, axis=2)
    elif a.down_factor != 1:
        x = x[:, :, :: a.down_factor, :: a.down_factor]
    return x.contiguous(memory_format=torch.channels_last)

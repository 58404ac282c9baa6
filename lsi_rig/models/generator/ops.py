"""Reference (exact fp32) operations of the alias-free synthesis network.

These follow the semantics written down in lsi-model.md §6.5 literally, including the order of
floating-point operations, so that on the CPU they reproduce the official reference path. They
are slow on purpose (zero insertion, full-rate filtering); :mod:`.fast_ops` holds the
optimised equivalents, checked against these.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "filtered_lrelu_ref",
    "fourier_features",
    "fully_connected",
    "modulate_weights",
    "upfirdn2d_ref",
]


def fully_connected(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, weight_gain: float, bias_gain: float
) -> torch.Tensor:
    """Linear layer with equalised learning rate: y = x·(W·g_w)ᵀ + b·g_b."""
    w = weight * weight_gain
    b = bias if bias_gain == 1 else bias * bias_gain
    return torch.addmm(b.unsqueeze(0), x, w.t())


def fourier_features(
    t: torch.Tensor,
    weight: torch.Tensor,
    transform: torch.Tensor,
    freqs: torch.Tensor,
    phases: torch.Tensor,
    size: tuple[int, int],
    sampling_rate: float,
    bandwidth: float,
) -> torch.Tensor:
    """SynthesisInput: sinusoids rotated/translated by the style ``t`` ``[B, 4]``.

    ``t = (cos, sin, tx, ty)`` up to scale; returns ``[B, channels, height, width]``.
    """
    batch = t.shape[0]
    t = t / t[:, :2].norm(dim=1, keepdim=True)
    rot = torch.eye(3, device=t.device).unsqueeze(0).repeat([batch, 1, 1])
    rot[:, 0, 0] = t[:, 0]
    rot[:, 0, 1] = -t[:, 1]
    rot[:, 1, 0] = t[:, 1]
    rot[:, 1, 1] = t[:, 0]
    shift = torch.eye(3, device=t.device).unsqueeze(0).repeat([batch, 1, 1])
    shift[:, 0, 2] = -t[:, 2]
    shift[:, 1, 2] = -t[:, 3]
    total = rot @ shift @ transform.unsqueeze(0)
    f0 = freqs.unsqueeze(0)
    phase = phases.unsqueeze(0) + (f0 @ total[:, :2, 2:]).squeeze(2)
    freq = f0 @ total[:, :2, :2]
    amp = (1 - (freq.norm(dim=2) - bandwidth) / (sampling_rate / 2 - bandwidth)).clamp(0, 1)
    width, height = size
    theta = torch.eye(2, 3, device=t.device)
    theta[0, 0] = 0.5 * width / sampling_rate
    theta[1, 1] = 0.5 * height / sampling_rate
    grid = F.affine_grid(theta.unsqueeze(0), [1, 1, height, width], align_corners=False)
    # [1, H, W, 1, 2] @ [B, 1, 1, 2, C] -> [B, H, W, 1, C]
    x = (grid.unsqueeze(3) @ freq.permute(0, 2, 1).unsqueeze(1).unsqueeze(2)).squeeze(3)
    x = x + phase.unsqueeze(1).unsqueeze(2)
    x = torch.sin(x * (np.pi * 2))
    x = x * amp.unsqueeze(1).unsqueeze(2)
    x = x @ (weight / np.sqrt(weight.shape[0])).t()
    return x.permute(0, 3, 1, 2)


def modulate_weights(
    weight: torch.Tensor, styles: torch.Tensor, input_gain: torch.Tensor, demodulate: bool
) -> torch.Tensor:
    """Per-sample conv weights ``[B, C_out, C_in, k, k]`` (modulation, demodulation, input gain)."""
    w, s = weight, styles
    if demodulate:
        w = w * w.square().mean([1, 2, 3], keepdim=True).rsqrt()
        s = s * s.square().mean().rsqrt()
    wm = w.unsqueeze(0) * s.unsqueeze(1).unsqueeze(3).unsqueeze(4)
    if demodulate:
        dcoefs = (wm.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt()
        wm = wm * dcoefs.unsqueeze(2).unsqueeze(3).unsqueeze(4)
    return wm * input_gain


def modulated_conv2d_ref(x: torch.Tensor, wm: torch.Tensor, padding: int) -> torch.Tensor:
    """Grouped per-sample convolution with 'full' padding ``k - 1``, no bias."""
    batch, c_in = x.shape[0], x.shape[1]
    out = F.conv2d(
        x.reshape(1, -1, *x.shape[2:]),
        wm.reshape(-1, c_in, *wm.shape[3:]).to(x.dtype),
        padding=padding,
        groups=batch,
    )
    return out.reshape(batch, -1, *out.shape[2:])


def upfirdn2d_ref(
    x: torch.Tensor,
    f: torch.Tensor | None,
    up: int = 1,
    down: int = 1,
    padding: tuple[int, int, int, int] = (0, 0, 0, 0),
    gain: float = 1.0,
) -> torch.Tensor:
    """Upsample by zero insertion, pad (negative crops), FIR-filter (true convolution), decimate.

    ``f`` is 1-D (separable, applied along W then H) or 2-D; ``None`` is the identity filter.
    Gain scales the filter by ``gain ** (f.ndim / 2)`` so the whole op has gain ``gain``.
    """
    if f is None:
        f = torch.ones([1, 1], dtype=torch.float32, device=x.device)
    batch, channels, height, width = x.shape
    px0, px1, py0, py1 = padding
    x = x.reshape(batch, channels, height, 1, width, 1)
    x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1])
    x = x.reshape(batch, channels, height * up, width * up)
    x = F.pad(x, [max(px0, 0), max(px1, 0), max(py0, 0), max(py1, 0)])
    x = x[
        :,
        :,
        max(-py0, 0) : x.shape[2] - max(-py1, 0),
        max(-px0, 0) : x.shape[3] - max(-px1, 0),
    ]
    f = (f * (gain ** (f.ndim / 2))).to(x.dtype).flip(list(range(f.ndim)))
    f = f[None, None].repeat([channels, 1] + [1] * f.ndim)
    if f.ndim == 4:
        x = F.conv2d(x, f, groups=channels)
    else:
        x = F.conv2d(x, f.unsqueeze(2), groups=channels)
        x = F.conv2d(x, f.unsqueeze(3), groups=channels)
    return x[:, :, ::down, ::down]


def filtered_lrelu_ref(
    x: torch.Tensor,
    fu: torch.Tensor | None,
    fd: torch.Tensor | None,
    bias: torch.Tensor,
    up: int,
    down: int,
    padding: tuple[int, int, int, int],
    gain: float,
    slope: float,
    clamp: float | None,
    channel_block: int | None = None,
) -> torch.Tensor:
    """Bias → upsample (gain up²) → leaky ReLU·gain, clamp → downsample (alias-free activation).

    Every step is per channel, so ``channel_block`` can bound the memory of the up-sampled
    intermediates (485 ch × 585² fp32 is 660 MB in one piece). The default (all channels at
    once) is what the official code does; oneDNN's depthwise kernels round differently for
    other channel counts (last-ulp differences), so blocking gives up bit-exact parity.
    """
    blocks = []
    block = channel_block or x.shape[1]
    for c0 in range(0, x.shape[1], block):
        xb = x[:, c0 : c0 + block] + bias[c0 : c0 + block].reshape(1, -1, 1, 1)
        xb = upfirdn2d_ref(xb, fu, up=up, padding=padding, gain=up**2)
        xb = F.leaky_relu(xb, slope)
        if gain != 1:
            xb = xb * gain
        if clamp is not None and clamp >= 0:
            xb = xb.clamp(-clamp, clamp)
        blocks.append(upfirdn2d_ref(xb, fd, down=down))
        del xb
    return blocks[0] if len(blocks) == 1 else torch.cat(blocks, dim=1)


def layer_gain_slope(is_torgb: bool) -> tuple[float, float]:
    """ToRGB is linear (gain 1, slope 1); other layers use lrelu 0.2 with gain √2."""
    return (1.0, 1.0) if is_torgb else (float(np.sqrt(2)), 0.2)


def torgb_style_gain(in_channels: int, conv_kernel: int) -> float:
    return 1 / math.sqrt(in_channels * conv_kernel**2)

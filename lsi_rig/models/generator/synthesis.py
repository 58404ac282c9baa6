"""StyleGAN-XL synthesis network rebuilt from :class:`GeneratorRecords` (our code, no pickle code).

``ws [B, num_ws, w_dim]`` → image ``[B, 3, H, W]`` ≈ [−1, 1] plus named feature maps for the
downstream heads. Two implementations share the same tensors: ``"reference"`` (exact fp32
semantics of lsi-model.md §6.5) and ``"fast"`` (polyphase/strided FIR, channels-last, optional
reduced precision; see :mod:`.fast_ops`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from dataclasses import asdict

import torch
from torch import nn

from lsi_rig.core.errors import ModelError
from lsi_rig.models.generator import fast_ops, ops
from lsi_rig.models.generator.records import GeneratorRecords, InputAttrs, LayerAttrs

log = logging.getLogger(__name__)

__all__ = ["SynthesisNetwork"]

IMPLS = ("reference", "fast")


class _Affine(nn.Module):
    """Style affine (FullyConnectedLayer, linear): w ``[B, w_dim]`` → styles."""

    weight: torch.Tensor
    bias: torch.Tensor

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, wg: float, bg: float) -> None:
        super().__init__()
        self.register_buffer("weight", weight)
        self.register_buffer("bias", bias)
        self.weight_gain, self.bias_gain = wg, bg

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return ops.fully_connected(w, self.weight, self.bias, self.weight_gain, self.bias_gain)


class SynthesisInputModule(nn.Module):
    weight: torch.Tensor
    transform: torch.Tensor
    freqs: torch.Tensor
    phases: torch.Tensor
    affine: _Affine

    def __init__(self, attrs: InputAttrs, t: dict[str, torch.Tensor]) -> None:
        super().__init__()
        self.attrs = attrs
        for key in ("weight", "transform", "freqs", "phases"):
            self.register_buffer(key, t[f"input.{key}"])
        self.affine = _Affine(
            t["input.affine.weight"],
            t["input.affine.bias"],
            attrs.affine_weight_gain,
            attrs.affine_bias_gain,
        )

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        a = self.attrs
        return ops.fourier_features(
            self.affine(w),
            self.weight,
            self.transform,
            self.freqs,
            self.phases,
            a.size,
            a.sampling_rate,
            a.bandwidth,
        )


class SynthesisLayerModule(nn.Module):
    """Modulated conv + alias-free filtered leaky ReLU (or the final ToRGB)."""

    weight: torch.Tensor
    bias: torch.Tensor
    magnitude_ema: torch.Tensor
    up_filter: torch.Tensor | None
    down_filter: torch.Tensor | None
    affine: _Affine

    def __init__(self, attrs: LayerAttrs, t: dict[str, torch.Tensor]) -> None:
        super().__init__()
        n = attrs.name
        self.attrs = attrs
        for key in ("weight", "bias", "magnitude_ema"):
            self.register_buffer(key, t[f"{n}.{key}"])
        self.register_buffer("up_filter", t.get(f"{n}.up_filter"))
        self.register_buffer("down_filter", t.get(f"{n}.down_filter"))
        self.affine = _Affine(
            t[f"{n}.affine.weight"],
            t[f"{n}.affine.bias"],
            attrs.affine_weight_gain,
            attrs.affine_bias_gain,
        )
        self.fast = fast_ops.FastLayerState()

    def styles(self, w: torch.Tensor) -> torch.Tensor:
        s = self.affine(w)
        if self.attrs.is_torgb:
            s = s * ops.torgb_style_gain(self.attrs.in_channels, self.attrs.conv_kernel)
        return s

    def forward_reference(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        a = self.attrs
        wm = ops.modulate_weights(
            self.weight, self.styles(w), self.magnitude_ema.rsqrt(), not a.is_torgb
        )
        x = ops.modulated_conv2d_ref(x, wm, a.conv_kernel - 1)
        del wm
        gain, slope = ops.layer_gain_slope(a.is_torgb)
        return ops.filtered_lrelu_ref(
            x,
            self.up_filter,
            self.down_filter,
            self.bias,
            a.up_factor,
            a.down_factor,
            a.padding,
            gain,
            slope,
            a.conv_clamp,
        )

    def forward_fast(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return fast_ops.layer_forward_fast(self, x, w)


class SynthesisNetwork(nn.Module):
    """Alias-free synthesis network of ``G_ema`` with named feature capture.

    ``layer_names`` come from the pickle (e.g. ``L0_36_1024`` … ``L17_256_3``); layer *i* is
    driven by ``ws[:, i + 1]``, the Fourier input by ``ws[:, 0]``.
    """

    def __init__(self, records: GeneratorRecords) -> None:
        super().__init__()
        a = records.attrs
        self.records_attrs = a
        self.provenance = dict(records.provenance)
        self.layer_names: list[str] = list(a.layer_names)
        self.num_ws, self.w_dim = a.num_ws, a.w_dim
        self.img_resolution, self.img_channels = a.img_resolution, a.img_channels
        self.output_scale = a.output_scale
        self.input = SynthesisInputModule(a.input, records.tensors)
        for la in a.layers:
            if hasattr(self, la.name):
                raise ModelError(f"synthesis layer name {la.name!r} clashes with an attribute")
            setattr(self, la.name, SynthesisLayerModule(la, records.tensors))
        self.impl = "reference"
        self.compute_dtype = torch.float32
        self.eval()

    # -- public API ------------------------------------------------------------------------
    def layers(self) -> list[SynthesisLayerModule]:
        return [getattr(self, n) for n in self.layer_names]

    def layer_output_shape(self, name: str) -> tuple[int, int, int]:
        """(C, H, W) of a layer's output, from the pickle attributes."""
        if name not in self.layer_names:
            raise ModelError(f"no synthesis layer named {name!r}; known: {self.layer_names}")
        la = getattr(self, name).attrs
        return la.out_channels, la.out_size[1], la.out_size[0]

    def set_impl(self, impl: str, dtype: torch.dtype | None = None) -> None:
        """Choose ``"reference"`` (exact fp32) or ``"fast"`` (optionally bf16/fp16 compute).

        ``dtype=None`` picks fp16 on CUDA, bf16 on CPUs with native bf16 (AVX-512-BF16/AMX),
        else fp32. Outputs are float32 either way.
        """
        if impl not in IMPLS:
            raise ModelError(f"synthesis impl {impl!r} unknown; use one of {IMPLS}")
        device = self.input.weight.device
        if impl == "reference":
            dtype = torch.float32
        elif dtype is None:
            dtype = fast_ops.preferred_dtype(device)
        if dtype not in (torch.float32, torch.bfloat16, torch.float16):
            raise ModelError(f"synthesis dtype {dtype} unsupported; use float32/bfloat16/float16")
        self.impl, self.compute_dtype = impl, dtype
        for layer in self.layers():
            layer.fast.clear()
        if impl == "fast":  # Winograd F(4) convs, weight cache within the default budget
            fast_ops.configure(self.layers())
        log.info("synthesis impl=%s dtype=%s on %s", impl, dtype, device)

    def attrs_json(self) -> dict:
        return asdict(self.records_attrs)

    @torch.no_grad()
    def forward(
        self,
        ws: torch.Tensor,
        capture: Collection[str] = (),
        *,
        timings: dict[str, float] | None = None,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """ws ``[B, num_ws, w_dim]`` → (image ``[B, C, H, W]`` float32, captured features).

        ``timings``, if given, receives wall seconds per stage (``input`` and each layer).
        """
        if ws.ndim != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ModelError(
                f"ws has shape {tuple(ws.shape)}, expected [B, {self.num_ws}, {self.w_dim}]"
            )
        unknown = set(capture) - set(self.layer_names)
        if unknown:
            raise ModelError(f"cannot capture unknown layers {sorted(unknown)}")
        device = self.input.weight.device
        w_all = ws.to(device=device, dtype=torch.float32).unbind(dim=1)
        fast = self.impl == "fast"
        t0 = time.perf_counter()
        x = self.input(w_all[0])
        if fast:
            x = fast_ops.to_compute(x, self.compute_dtype)
        if timings is not None:
            timings["input"] = time.perf_counter() - t0
        feats: dict[str, torch.Tensor] = {}
        for name, w in zip(self.layer_names, w_all[1:], strict=True):
            t0 = time.perf_counter()
            layer = getattr(self, name)
            x = layer.forward_fast(x, w) if fast else layer.forward_reference(x, w)
            if name in capture:
                feats[name] = x.to(torch.float32).contiguous()
            if timings is not None:
                timings[name] = time.perf_counter() - t0
        x = x.to(torch.float32)
        if self.output_scale != 1:
            x = x * self.output_scale
        return x.contiguous(), feats

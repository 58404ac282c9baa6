"""The digital half of the latent camera: measurement vector -> StyleGAN-XL latent offsets.

Mapping2StyleGAN turns the n photodiode values of one exposure series into 18 style vectors
(``l_cam``, [B, 18, 512]); adding the generator's average latent gives the ``ws`` that drive the
synthesis network. The module tree reproduces the official state-dict key names exactly (536
tensors for every n) so a trained ``latent_camera`` entry loads with ``strict=True``; the
arithmetic follows lsi-model.md §3 in fp32 (LayerNorm eps 1e-5, exact erf GELU, SiLU).

Two facts shape the code: the attention blocks see a sequence of length one, so softmax is 1 and
only the value rows of ``to_qkv`` matter (q/k rows are kept as dead weights for strict loading);
and the raw measurement is added back after both projection stages, so the absolute scale of the
measurement (volts, counts) matters and must match the units used in training.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

LAYERNORM_EPS = 1e-5


@dataclass(frozen=True)
class EncoderConfig:
    """Architecture of Mapping2StyleGAN; defaults are the only values the official runs used."""

    n_measurements: int
    n_styles: int = 18
    width: int = 512
    attention_features: int = 128
    coarse_spatial: int = 16
    mid_spatial: int = 32
    fine_spatial: int = 64
    n_coarse: int = 3
    n_mid: int = 4
    ff_mult: int = 2

    def attention_groups(self, style_index: int) -> int:
        """Attention groups of StyleBlock i: log2(spatial) - 1 (3, 4, 5 for coarse/mid/fine)."""
        if style_index < self.n_coarse:
            spatial = self.coarse_spatial
        elif style_index < self.n_coarse + self.n_mid:
            spatial = self.mid_spatial
        else:
            spatial = self.fine_spatial
        return spatial.bit_length() - 2


class DegenerateAttention(nn.Module):
    """Self-attention over a length-1 sequence: softmax of a 1x1 score is exactly 1.

    So Attention(x) = W_out (W_v x) + b_out with W_v = rows [2f, 3f) of ``to_qkv``; computing
    the dead q and k rows would only cost time.
    """

    def __init__(self, width: int, features: int) -> None:
        super().__init__()
        self.features = features
        self.to_qkv = nn.Linear(width, 3 * features, bias=False)
        self.to_out = nn.Linear(features, width)

    def forward(self, x: Tensor) -> Tensor:
        f = self.features
        value = F.linear(x, self.to_qkv.weight[2 * f : 3 * f])
        return self.to_out(value)


class StyleBlock(nn.Module):
    """Measurement -> one 512-wide style vector (lsi-model.md §3.1).

    ``convs`` holds G repeats of [LayerNorm, Attention, SiLU, Dropout(0)] so the state-dict
    indices are 4j and 4j+1; the residual spans the whole stack, not each group.
    """

    def __init__(self, n_in: int, width: int, attention_features: int, groups: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(n_in, eps=LAYERNORM_EPS)
        self.initial = nn.Sequential(nn.Linear(n_in, width), nn.SiLU())
        layers: list[nn.Module] = []
        for _ in range(groups):
            layers += [
                nn.LayerNorm(width, eps=LAYERNORM_EPS),
                DegenerateAttention(width, attention_features),
                nn.SiLU(),
                nn.Identity(),  # the official Dropout(p=0) slot: keeps the 4j indexing
            ]
        self.convs = nn.Sequential(*layers)
        self.linear = nn.Linear(width, width)

    def forward(self, x: Tensor) -> Tensor:
        hidden = self.initial(self.norm(x))
        return self.linear(self.convs(hidden) + hidden)


class SpatialGatingUnit(nn.Module):
    """gMLP gate: first half of the channels is the residual, the second half (normalised,
    mixed across tokens by a learned s x s matrix) gates it (lsi-model.md §3.3)."""

    def __init__(self, hidden: int, tokens: int) -> None:
        super().__init__()
        half = hidden // 2
        self.norm = nn.LayerNorm(half, eps=LAYERNORM_EPS)
        self.weight = nn.Parameter(torch.zeros(1, tokens, tokens))
        self.bias = nn.Parameter(torch.ones(1, tokens))

    def forward(self, u: Tensor) -> Tensor:
        residual, gate = u.chunk(2, dim=-1)
        gate = self.norm(gate)
        gate = torch.einsum("bnd,mn->bmd", gate, self.weight[0]) + self.bias[0, :, None]
        return gate * residual


class GMLPBlock(nn.Module):
    """Linear(w -> ff*w) -> exact GELU -> SGU -> Linear(w -> w)."""

    def __init__(self, width: int, tokens: int, ff_mult: int) -> None:
        super().__init__()
        hidden = width * ff_mult
        self.proj_in = nn.Sequential(nn.Linear(width, hidden), nn.GELU(approximate="none"))
        self.sgu = SpatialGatingUnit(hidden, tokens)
        self.proj_out = nn.Linear(hidden // 2, width)

    def forward(self, x: Tensor) -> Tensor:
        return self.proj_out(self.sgu(self.proj_in(x)))


class ResidualBranch(nn.Module):
    """x + fn(x), with no pre-norm (the official gMLPVision differs from gMLP here)."""

    def __init__(self, fn: nn.Module) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, x: Tensor) -> Tensor:
        return x + self.fn(x)


class GMLPTokens(nn.Module):
    """The official gMLPVision as it is used: ``patch_size`` is really the number of tokens."""

    def __init__(self, width: int, tokens: int, ff_mult: int, depth: int = 1) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            ResidualBranch(GMLPBlock(width, tokens, ff_mult)) for _ in range(depth)
        )

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


class Mapping2StyleGAN(nn.Module):
    """Measurement [B, n] -> l_cam [B, n_styles, width] (lsi-model.md §3.4)."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        n, w = config.n_measurements, config.width
        self.styles = nn.ModuleList(
            StyleBlock(n, w, config.attention_features, config.attention_groups(i))
            for i in range(config.n_styles)
        )
        self.proj_input_0_glp = GMLPTokens(w, config.n_coarse, config.ff_mult)
        self.proj_input_0_linear = nn.Linear(w * config.n_coarse, n)
        self.proj_input_1_glp = GMLPTokens(w, config.n_mid, config.ff_mult)
        self.proj_input_1_linear = nn.Linear(w * config.n_mid, n)
        self.out = GMLPTokens(w, config.n_styles, config.ff_mult)

    def forward(self, measurement: Tensor) -> Tensor:
        c = self.config
        mid_end = c.n_coarse + c.n_mid
        x = measurement
        coarse = [self.styles[i](x) for i in range(c.n_coarse)]
        tokens0 = self.proj_input_0_glp(torch.stack(coarse, dim=1))
        x2 = self.proj_input_0_linear(tokens0.flatten(1)) + x
        mid = [self.styles[i](x2) for i in range(c.n_coarse, mid_end)]
        tokens1 = self.proj_input_1_glp(torch.stack(mid, dim=1))
        x3 = self.proj_input_1_linear(tokens1.flatten(1)) + x  # raw measurement, not x2
        fine = [self.styles[i](x3) for i in range(mid_end, c.n_styles)]
        return self.out(torch.stack(coarse + mid + fine, dim=1))


def encoder_parameter_count(n_measurements: int) -> int:
    """Closed form for the default architecture (lsi-model.md §2.3): 12 838 n + 28 198 774."""
    return 12_838 * n_measurements + 28_198_774

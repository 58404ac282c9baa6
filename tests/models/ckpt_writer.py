"""Write random checkpoints in the official LSI format (lsi-model.md §2) for tests and benches.

The key table is spelled out here from the format description, independently of
``lsi_rig.models.encoder``, so a strict load of these files checks our module tree against the
documented format rather than against itself. Weights are scaled by 1/sqrt(fan_in) so
activations stay O(1) through the network, as a trained model's would.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

FULL_FEATURE_CHANNELS = (1024, 1024, 1024, 919, 256, 256)  # L3, L9, L11, L13, L15, L16
OFFICIAL_OPTS: dict[str, Any] = {
    "exp_dir": "experiments/real_ft",
    "encoding_size": None,  # filled with n
    "encoding_size_out": 512,
    "styles": 18,
    "b_coarse_n": 16,
    "b_mid_n": 32,
    "b_fine_n": 64,
    "b_multiply": 512,
    "b_attention_features": 128,
    "b_residual": True,
    "b_final_equal": False,
    "b_projection": "gmlp",
    "b_proj_aggregation": "sum",
    "b_out_strategy": "gmlp",
    "b_out_ff": 2,
    "b_out_depth": 1,
    "dropout": 0.0,
    "bits": 1,
    "clip_w": "clamp",
    "quantizing_strategy": "detach",
    "generative_model": "styleganxl",
    "ini_w": "ft",
    "cls": True,
    "landmarks": True,
    "segment": True,
    "checkpoint_path": None,
}


def encoder_key_shapes(n: int) -> dict[str, tuple[int, ...]]:
    """The 536 ``latent_camera`` keys and shapes for measurement length n."""
    shapes: dict[str, tuple[int, ...]] = {}
    for i in range(18):
        groups = 3 if i < 3 else 4 if i < 7 else 5
        p = f"styles.{i}."
        shapes[p + "norm.weight"] = (n,)
        shapes[p + "norm.bias"] = (n,)
        shapes[p + "initial.0.weight"] = (512, n)
        shapes[p + "initial.0.bias"] = (512,)
        for j in range(groups):
            shapes[f"{p}convs.{4 * j}.weight"] = (512,)
            shapes[f"{p}convs.{4 * j}.bias"] = (512,)
            shapes[f"{p}convs.{4 * j + 1}.to_qkv.weight"] = (384, 512)
            shapes[f"{p}convs.{4 * j + 1}.to_out.weight"] = (512, 128)
            shapes[f"{p}convs.{4 * j + 1}.to_out.bias"] = (512,)
        shapes[p + "linear.weight"] = (512, 512)
        shapes[p + "linear.bias"] = (512,)
    for block, tokens in (("proj_input_0_glp", 3), ("proj_input_1_glp", 4), ("out", 18)):
        p = f"{block}.layers.0.fn."
        shapes[p + "proj_in.0.weight"] = (1024, 512)
        shapes[p + "proj_in.0.bias"] = (1024,)
        shapes[p + "sgu.weight"] = (1, tokens, tokens)
        shapes[p + "sgu.bias"] = (1, tokens)
        shapes[p + "sgu.norm.weight"] = (512,)
        shapes[p + "sgu.norm.bias"] = (512,)
        shapes[p + "proj_out.weight"] = (512, 512)
        shapes[p + "proj_out.bias"] = (512,)
    shapes["proj_input_0_linear.weight"] = (n, 1536)
    shapes["proj_input_0_linear.bias"] = (n,)
    shapes["proj_input_1_linear.weight"] = (n, 2048)
    shapes["proj_input_1_linear.bias"] = (n,)
    return shapes


def _is_layernorm(key: str) -> bool:
    parts = key.split(".")
    return parts[-2] == "norm" or (parts[-3] == "convs" and int(parts[-2]) % 4 == 0)


def _random_state(shapes: dict[str, tuple[int, ...]], gen: torch.Generator) -> OrderedDict:
    state: OrderedDict[str, Tensor] = OrderedDict()
    for key, shape in shapes.items():
        noise = torch.randn(shape, generator=gen)
        if key.endswith("sgu.weight"):
            t = noise / shape[-1]  # token mixing close to an average over tokens
        elif key.endswith("sgu.bias"):
            t = 1.0 + 0.1 * noise  # official init: ones
        elif len(shape) >= 2:
            t = noise / math.sqrt(math.prod(shape[1:]))
        elif len(key.split(".")) >= 3 and _is_layernorm(key):
            t = (1.0 if key.endswith("weight") else 0.0) + 0.1 * noise
        else:
            t = 0.1 * noise
        state[key] = t
    return state


def head_key_shapes(
    channels: tuple[int, ...] = FULL_FEATURE_CHANNELS, num_ws: int = 18, w_dim: int = 512
) -> dict[str, dict[str, tuple[int, ...]]]:
    """Key shapes of the three heads for hooked feature channels (L3, L9, L11, L13, L15, L16)."""
    c3, _c9, c11, c13, c15, c16 = channels
    seg: dict[str, tuple[int, ...]] = {}
    for name, c_out, c_in in (
        ("conv_l3", c11, c3),
        ("conv_l9", c13, c11),
        ("conv_l11", c15, c13),
        ("conv_l13", c16, c15),
        ("conv_l16", 19, c16),
    ):
        seg[f"{name}.weight"] = (c_out, c_in, 3, 3)
        seg[f"{name}.bias"] = (c_out,)
    land = {
        "conv_l1.weight": (68, c3, 3, 3),
        "conv_l1.bias": (68,),
        "l1_latent.weight": (c3, num_ws * w_dim),
        "l1_latent.bias": (c3,),
        "l1.weight": (2, 64),
        "l1.bias": (2,),
    }
    cls = {"weight": (40, num_ws * w_dim), "bias": (40,)}
    return {"segmentation": seg, "landmarks": land, "cls": cls}


def make_checkpoint(
    n: int = 32,
    *,
    seed: int = 0,
    channels: tuple[int, ...] = FULL_FEATURE_CHANNELS,
    heads: tuple[str, ...] = ("segmentation", "landmarks", "cls"),
    opts_overrides: dict[str, Any] | None = None,
    latent_avg_scale: float = 0.5,
    training_extras: bool = False,
) -> dict[str, Any]:
    """An official-format checkpoint dict with random weights (heads not listed are None)."""
    gen = torch.Generator().manual_seed(seed)
    opts = dict(OFFICIAL_OPTS, encoding_size=n, **(opts_overrides or {}))
    ckpt: dict[str, Any] = {
        "mask": OrderedDict(weight=torch.rand((n, 65536), generator=gen) * 1.4 - 0.2),
        "latent_camera": _random_state(encoder_key_shapes(n), gen),
        "latent_avg": latent_avg_scale * torch.randn(512, generator=gen),
        "opts": opts,
    }
    for name, shapes in head_key_shapes(channels).items():
        ckpt[name] = _random_state(shapes, gen) if name in heads else None
    if training_extras:
        ckpt["global_step"] = 1234
        ckpt["best_val_loss"] = 0.5
        ckpt["optimizer"] = {"state": {}, "param_groups": [{"lr": 1e-4}]}
    return ckpt


def write_checkpoint(path: str | Path, n: int = 32, **kwargs: Any) -> Path:
    """Write :func:`make_checkpoint` with ``torch.save`` (what the official Coach does)."""
    path = Path(path)
    torch.save(make_checkpoint(n, **kwargs), path)
    return path


STAND_IN_LAYERS = (
    ("L0_10_16", 16, 10), ("L1_10_16", 16, 10), ("L2_10_16", 16, 10), ("L3_10_16", 16, 10),
    ("L4_14_16", 16, 14), ("L5_14_16", 16, 14), ("L6_14_16", 16, 14), ("L7_14_16", 16, 14),
    ("L9_14_16", 16, 14), ("L10_18_16", 16, 18), ("L11_18_16", 16, 18), ("L12_22_12", 12, 22),
    ("L13_22_12", 12, 22), ("L14_36_10", 10, 36), ("L15_36_8", 8, 36), ("L16_32_8", 8, 32),
    ("L17_32_3", 3, 32),
)  # fmt: skip
STAND_IN_CHANNELS = (16, 16, 16, 12, 8, 8)  # at children 4, 9, 11, 13, 15, 16


class StandInSynthesis(torch.nn.Module):
    """A tiny module with the SynthesisNetwork interface (not StyleGAN maths) for decoder tests.

    Each layer's output is a fixed random spatial pattern modulated by a projection of its ws
    row, so every feature depends on the latent and the decoder's plumbing can be checked.
    """

    def __init__(self, seed: int = 0, img_resolution: int = 32, layers=STAND_IN_LAYERS) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.layer_names = [name for name, _, _ in layers]
        self.num_ws, self.w_dim, self.img_resolution = len(layers) + 1, 512, img_resolution
        self.impl, self.dtype = "reference", None
        self._shapes = {name: (c, s, s) for name, c, s in layers}
        self.patterns = torch.nn.ParameterList(
            torch.nn.Parameter(torch.randn((c, s, s), generator=gen)) for _, c, s in layers
        )
        self.projections = torch.nn.ParameterList(
            torch.nn.Parameter(torch.randn((c, 512), generator=gen) / 22.6) for _, c, _ in layers
        )
        self.calls: list[tuple[str, ...]] = []

    def set_impl(self, impl: str, dtype: torch.dtype | None = None) -> None:
        self.impl, self.dtype = impl, dtype

    def layer_output_shape(self, name: str) -> tuple[int, int, int]:
        return self._shapes[name]

    def forward(self, ws: Tensor, capture=()) -> tuple[Tensor, dict[str, Tensor]]:
        self.calls.append(tuple(capture))
        feats: dict[str, Tensor] = {}
        out = ws
        for i, name in enumerate(self.layer_names):
            scale = torch.tanh(ws[:, i + 1].float() @ self.projections[i].T)
            out = self.patterns[i][None] * scale[:, :, None, None]
            if name in capture:
                feats[name] = out
        return out, feats


# ---- a small but decoder-compatible StyleGAN-XL (17 layers, 18 ws of 512) via M1's writer ----

SMALL_CONFIG = "lsi_small"
SMALL_CHANNELS = (8, 8, 8, 6, 4, 4)  # at children 4, 9, 11, 13, 15, 16
SMALL_TAPS = ("L3_12_8", "L9_16_8", "L11_20_8", "L13_24_6", "L15_28_4", "L16_24_4")


def _small_rows() -> list[Any]:
    from tests.models.pkl_writer import LayerRow as r

    return [
        r("L0_12_8", 8, 8, 12, 12, 4, 4, 8, 1.0, 1.0, 1.5, 1.5, 3, 2, 2, 12, 12),
        r("L1_12_8", 8, 8, 12, 12, 4, 4, 8, 1.0, 1.1, 1.5, 1.4, 3, 2, 2, 12, 12),
        r("L2_12_8", 8, 8, 12, 12, 4, 4, 8, 1.1, 1.2, 1.4, 1.3, 3, 2, 2, 12, 12),
        r("L3_12_8", 8, 8, 12, 12, 4, 4, 8, 1.2, 1.2, 1.3, 1.3, 3, 2, 2, 12, 12),
        r("L4_16_8", 8, 8, 12, 16, 4, 8, 16, 1.2, 2.5, 1.3, 1.5, 3, 4, 2, 24, 12),
        r("L5_16_8", 8, 8, 16, 16, 8, 8, 16, 2.5, 2.5, 1.5, 1.5, 3, 2, 2, 12, 12),
        r("L6_16_8", 8, 8, 16, 16, 8, 8, 16, 2.5, 2.5, 1.5, 1.5, 3, 2, 2, 12, 12),
        r("L7_16_8", 8, 8, 16, 16, 8, 8, 16, 2.5, 2.5, 1.5, 1.5, 3, 2, 2, 12, 12),
        r("L9_16_8", 8, 8, 16, 16, 8, 8, 16, 2.5, 2.5, 1.5, 1.5, 3, 2, 2, 12, 12),
        r("L10_20_8", 8, 8, 16, 20, 8, 16, 32, 2.5, 5.0, 1.5, 3.0, 3, 4, 2, 24, 12),
        r("L11_20_8", 8, 8, 20, 20, 16, 16, 32, 5.0, 5.0, 3.0, 3.0, 3, 2, 2, 12, 12),
        r("L12_24_6", 8, 6, 20, 24, 16, 32, 64, 5.0, 10.0, 3.0, 6.0, 3, 4, 2, 24, 12),
        r("L13_24_6", 6, 6, 24, 24, 32, 32, 64, 10.0, 10.0, 6.0, 6.0, 3, 2, 2, 12, 12),
        r("L14_28_5", 6, 5, 24, 28, 32, 64, 128, 10.0, 20.0, 6.0, 12.0, 3, 4, 2, 24, 12),
        r("L15_28_4", 5, 4, 28, 28, 64, 64, 128, 20.0, 32.0, 12.0, 8.0, 3, 2, 2, 12, 12, True),
        r("L16_24_4", 4, 4, 28, 24, 64, 64, 128, 32.0, 32.0, 8.0, 8.0, 3, 2, 2, 12, 12, True),
        r("L17_24_3", 4, 3, 24, 24, 64, 64, 64, 32.0, 32.0, 8.0, 8.0, 1, 1, 1, 1, 1, True),
    ]  # fmt: skip


def _register_small_config() -> None:
    from tests.models import pkl_writer

    # (rows, input channels, input size, input sampling rate, bandwidth, w_dim)
    pkl_writer.CONFIGS.setdefault(SMALL_CONFIG, (_small_rows, 8, 12, 4.0, 1.0, 512))


def small_synthesis_network(seed: int = 0) -> Any:
    """M1's real SynthesisNetwork on random weights, shaped so the LSI heads can tap it."""
    from lsi_rig.models.generator import SynthesisNetwork
    from tests.models.pkl_writer import make_generator_records

    _register_small_config()
    return SynthesisNetwork(make_generator_records(SMALL_CONFIG, seed))


def write_small_generator_pickle(path: str | Path, seed: int = 0) -> Path:
    """The same network as :func:`small_synthesis_network`, as an NVIDIA-style pickle."""
    from tests.models.pkl_writer import write_generator_pickle

    _register_small_config()
    write_generator_pickle(path, config=SMALL_CONFIG, seed=seed)
    return Path(path)

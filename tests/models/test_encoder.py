"""Mapping2StyleGAN: key layout, parameter count, and maths against a literal reading of §3."""

from __future__ import annotations

import math

import pytest
import torch
from torch import Tensor

from lsi_rig.models.encoder import EncoderConfig, Mapping2StyleGAN, encoder_parameter_count
from tests.models.ckpt_writer import _random_state, encoder_key_shapes


@pytest.mark.parametrize("n", [4, 8, 32, 128, 512])
def test_parameter_count_matches_closed_form(n: int) -> None:
    with torch.device("meta"):
        encoder = Mapping2StyleGAN(EncoderConfig(n))
    assert sum(p.numel() for p in encoder.parameters()) == 12_838 * n + 28_198_774
    assert encoder_parameter_count(n) == 12_838 * n + 28_198_774


@pytest.mark.parametrize("n", [4, 256])
def test_state_dict_has_the_536_official_keys_and_shapes(n: int) -> None:
    with torch.device("meta"):
        state = Mapping2StyleGAN(EncoderConfig(n)).state_dict()
    official = encoder_key_shapes(n)
    assert len(official) == 536
    assert {k: tuple(v.shape) for k, v in state.items()} == official


def test_strict_load_of_random_official_state_dict() -> None:
    gen = torch.Generator().manual_seed(3)
    state = _random_state(encoder_key_shapes(16), gen)
    encoder = Mapping2StyleGAN(EncoderConfig(16))
    result = encoder.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    # q/k rows are dead weights but must be kept verbatim (strict round trip).
    assert torch.equal(
        encoder.styles[5].convs[1].to_qkv.weight, state["styles.5.convs.1.to_qkv.weight"]
    )
    state["styles.0.linear.extra"] = torch.zeros(1)
    with pytest.raises(RuntimeError, match="Unexpected key"):
        encoder.load_state_dict(state, strict=True)


# ---- a deliberately naive reference of lsi-model.md §3, written from the text ----------------


def _layer_norm(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + 1e-5) * weight + bias


def _silu(x: Tensor) -> Tensor:
    return x * torch.sigmoid(x)


def _gelu_erf(x: Tensor) -> Tensor:
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def _full_attention(x: Tensor, sd: dict[str, Tensor], p: str) -> Tensor:
    """Full single-head q/k/v attention on a length-1 sequence, softmax and all."""
    qkv = x[:, None, :] @ sd[p + "to_qkv.weight"].T  # [B, 1, 384]
    q, k, v = qkv[..., :128], qkv[..., 128:256], qkv[..., 256:]
    scores = (q @ k.transpose(1, 2)) * 128**-0.5  # [B, 1, 1]
    attn = torch.softmax(scores, dim=-1)
    out = (attn @ v)[:, 0, :]
    return out @ sd[p + "to_out.weight"].T + sd[p + "to_out.bias"]


def _style_block(x: Tensor, sd: dict[str, Tensor], i: int) -> Tensor:
    p = f"styles.{i}."
    h = _layer_norm(x, sd[p + "norm.weight"], sd[p + "norm.bias"])
    h = _silu(h @ sd[p + "initial.0.weight"].T + sd[p + "initial.0.bias"])
    groups = 3 if i < 3 else 4 if i < 7 else 5
    c = h
    for j in range(groups):
        c = _layer_norm(c, sd[f"{p}convs.{4 * j}.weight"], sd[f"{p}convs.{4 * j}.bias"])
        c = _silu(_full_attention(c, sd, f"{p}convs.{4 * j + 1}."))
    return (c + h) @ sd[p + "linear.weight"].T + sd[p + "linear.bias"]


def _gmlp(x: Tensor, sd: dict[str, Tensor], block: str) -> Tensor:
    p = f"{block}.layers.0.fn."
    u = _gelu_erf(x @ sd[p + "proj_in.0.weight"].T + sd[p + "proj_in.0.bias"])
    res, gate = u[..., :512], u[..., 512:]
    gate = _layer_norm(gate, sd[p + "sgu.norm.weight"], sd[p + "sgu.norm.bias"])
    w, b = sd[p + "sgu.weight"][0], sd[p + "sgu.bias"][0]
    tokens = x.shape[1]
    mixed = torch.zeros_like(gate)
    for m in range(tokens):
        for t in range(tokens):
            mixed[:, m, :] += w[m, t] * gate[:, t, :]
        mixed[:, m, :] += b[m]
    y = (mixed * res) @ sd[p + "proj_out.weight"].T + sd[p + "proj_out.bias"]
    return x + y


def _reference_forward(x: Tensor, sd: dict[str, Tensor]) -> Tensor:
    lat = [_style_block(x, sd, i) for i in range(3)]
    t0 = _gmlp(torch.stack(lat, 1), sd, "proj_input_0_glp").reshape(x.shape[0], -1)
    x2 = t0 @ sd["proj_input_0_linear.weight"].T + sd["proj_input_0_linear.bias"] + x
    lat += [_style_block(x2, sd, i) for i in range(3, 7)]
    t1 = _gmlp(torch.stack(lat[3:7], 1), sd, "proj_input_1_glp").reshape(x.shape[0], -1)
    x3 = t1 @ sd["proj_input_1_linear.weight"].T + sd["proj_input_1_linear.bias"] + x
    lat += [_style_block(x3, sd, i) for i in range(7, 18)]
    return _gmlp(torch.stack(lat, 1), sd, "out")


@pytest.mark.parametrize("n", [8, 128])
def test_forward_equals_naive_reference(n: int) -> None:
    gen = torch.Generator().manual_seed(n)
    sd = dict(_random_state(encoder_key_shapes(n), gen))
    encoder = Mapping2StyleGAN(EncoderConfig(n))
    encoder.load_state_dict(sd, strict=True)
    encoder.eval()
    # Large-scale input: the raw measurement is added back, so scale must flow through.
    x = torch.randn(3, n, generator=gen) * 50.0 + 10.0
    with torch.inference_mode():
        ours = encoder(x)
        ref = _reference_forward(x, sd)
    assert ours.shape == (3, 18, 512)
    assert ours.dtype == torch.float32
    torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-4)
    # The raw measurement's absolute scale matters (§3.4): doubling x changes the latent.
    with torch.inference_mode():
        assert not torch.allclose(encoder(2 * x), ours, atol=1e-2)


def test_batch_rows_are_independent() -> None:
    gen = torch.Generator().manual_seed(1)
    sd = _random_state(encoder_key_shapes(16), gen)
    encoder = Mapping2StyleGAN(EncoderConfig(16)).eval()
    encoder.load_state_dict(sd)
    x = torch.randn(4, 16, generator=gen)
    with torch.inference_mode():
        batch = encoder(x)
        single = encoder(x[2:3])
    torch.testing.assert_close(batch[2:3], single, rtol=1e-5, atol=1e-5)

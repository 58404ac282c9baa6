"""Training code on tiny configurations: the loss falls, a seed reproduces the weights, the
straight-through masks and the block-sum measurement are exact."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from lsi_rig.models.demo import network as N
from lsi_rig.models.demo.data import FaceSet, build_face_set
from lsi_rig.models.demo.physics import block_sums
from lsi_rig.models.demo.train import (
    TrainConfig,
    TrainResult,
    parsing_class_weights,
    train_demo,
)

TINY = TrainConfig(
    counts=(4,),
    faces=48,
    stage1_steps=20,
    stage1_batch=8,
    latent_steps=20,
    latent_batch=32,
    image_steps=4,
    image_batch=8,
    parsing_steps=6,
    parsing_batch=8,
    workers=1,
)


@pytest.fixture(scope="module")
def faces() -> FaceSet:
    return build_face_set(48, seed=0, workers=1)


def test_face_set_holds_what_training_needs(faces: FaceSet) -> None:
    assert len(faces) == 48
    assert faces.images.shape == (48, 3, 64, 64) and faces.images.dtype == np.uint8
    assert faces.segmentation.shape == (48, 64, 64) and faces.segmentation.max() < 19
    assert faces.landmarks_px.shape == (48, 68, 2)
    assert set(np.unique(faces.attributes).tolist()) == {-1, 0, 1}
    assert np.all(faces.blocks_gamma <= faces.blocks_linear + 1e-4)  # gamma 2.2 darkens
    again = build_face_set(4, seed=0, start=2, workers=1)
    assert np.array_equal(again.images, faces.images[2:6])


def test_block_sums_give_the_official_measurement_of_block_masks() -> None:
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
    grid = rng.random((5, 32, 32)) < 0.5
    masks = grid.repeat(8, axis=1).repeat(8, axis=2)  # 256×256 DMD masks
    img01 = image.astype(np.float64) / 255.0
    official = np.array([sum((img01[..., c] * m).sum() for c in range(3)) for m in masks])
    ours = grid.reshape(5, -1).astype(np.float64) @ block_sums(image).astype(np.float64)
    assert np.allclose(ours, official, rtol=1e-6)
    layer = N.CoarseBinaryMask(5)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(grid.reshape(5, -1).astype(np.float32)) * 0.8 + 0.1)
    m = layer(torch.from_numpy(block_sums(image))[None])
    assert np.allclose(m.detach().numpy()[0], official, rtol=1e-5)


def test_straight_through_masks_are_binary_with_identity_gradient() -> None:
    layer = N.CoarseBinaryMask(3)
    with torch.no_grad():
        layer.weight.copy_(torch.linspace(-0.5, 1.5, 3 * 1024).reshape(3, 1024))
    q = layer.binary()
    assert set(torch.unique(q.detach()).tolist()) == {0.0, 1.0}
    blocks = torch.ones(2, 1024)
    layer(blocks).sum().backward()
    assert torch.allclose(layer.weight.grad, torch.full((3, 1024), 2.0))


@pytest.fixture(scope="module")
def first(faces: FaceSet) -> TrainResult:
    return train_demo(TINY, data=faces)


@pytest.mark.slow
def test_loss_falls_and_seed_reproduces_weights(faces: FaceSet, first: TrainResult) -> None:
    shared, n4 = first.losses["shared"], first.losses["n4"]
    assert len(shared) == 20 and len(n4) == 24
    assert np.mean(shared[-5:]) < 0.8 * np.mean(shared[:5])
    assert np.mean(n4[-6:-4]) < np.mean(n4[:3])  # the latent phase learns
    second = train_demo(TINY, data=faces)
    a = first.counts[4].encoder.state_dict()
    b = second.counts[4].encoder.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert torch.equal(first.counts[4].mask.weight, second.counts[4].mask.weight)
    g1, g2 = first.shared.generator.state_dict(), second.shared.generator.state_dict()
    assert all(torch.equal(g1[k], g2[k]) for k in g1)
    p1, p2 = first.parsing.state_dict(), second.parsing.state_dict()
    assert all(torch.equal(p1[k], p2[k]) for k in p1)  # stage 3 reproduces too
    assert len(first.losses["parsing"]) == TINY.parsing_steps
    other = train_demo(replace(TINY, seed=1), data=faces)
    assert not torch.equal(other.counts[4].mask.weight, first.counts[4].mask.weight)


def test_parsing_class_weights_by_hand() -> None:
    seg = np.zeros((1, 10, 10), np.uint8)
    seg[0, :1, :4] = 2  # 4 % of the pixels; background 96 %; 17 classes absent
    w = parsing_class_weights(seg).numpy()
    assert w.shape == (19,)
    raw0, raw2 = 0.96**-0.5, 0.04**-0.5
    scale = raw0 * 0.96 + raw2 * 0.04  # frequency-weighted mean becomes 1
    assert w[0] == pytest.approx(raw0 / scale) and w[2] == pytest.approx(raw2 / scale)
    assert w[2] / w[0] == pytest.approx(np.sqrt(0.96 / 0.04))
    assert w[5] == pytest.approx(1e-5**-0.5 / scale)  # absent: floor frequency


def test_the_parsing_head_sees_rgb_and_features() -> None:
    head = N.ParsingHead()
    f32, f64 = torch.zeros(2, 16, 32, 32), torch.zeros(2, 12, 64, 64)
    rgb = torch.zeros(2, 3, 64, 64)
    base = head([f32, f64], rgb)
    assert base.shape == (2, 19, 64, 64)
    rgb[1, :, 30, 30] = 1.0  # one pixel of colour changes the logits around it only
    moved = (head([f32, f64], rgb) - base).abs().sum(dim=1)
    assert moved[0].max() == 0 and moved[1, 30, 30] > 0
    assert moved[1, 29:32, 29:32].min() > 0 and moved[1, 33:, :].max() == 0


def test_unknown_attributes_answer_the_prior(first: TrainResult) -> None:
    from lsi_rig.core.labels import ATTRIBUTE_NAMES
    from lsi_rig.models.demo.priors import CELEBA_PRIORS

    result = first
    heads = result.counts[4].heads
    z = torch.randn(5, N.LATENT)
    probs = torch.sigmoid(heads(z)[0]).detach().numpy()
    k = ATTRIBUTE_NAMES.index("Young")
    assert not result.known_attributes[k] and result.known_attributes[ATTRIBUTE_NAMES.index("Male")]
    assert np.allclose(probs[:, k], CELEBA_PRIORS["Young"], atol=1e-6)

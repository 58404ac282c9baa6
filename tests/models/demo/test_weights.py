"""Demo weights on disk: safetensors + JSON round trip, packed masks, loud failures; the
shipped weights load and decode like any VectorDecoder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from lsi_rig.core.errors import ModelError
from lsi_rig.core.labels import SEGMENTATION_CLASSES
from lsi_rig.evaluation.metrics import SegmentationScores
from lsi_rig.masks.maskset import maskset_sha256
from lsi_rig.models.api import ALL_TASKS, VectorDecoder
from lsi_rig.models.demo import available_demo_counts, load_demo_decoder
from lsi_rig.models.demo import weights as W
from lsi_rig.models.demo.data import build_face_set
from lsi_rig.models.demo.export import export_result
from lsi_rig.models.demo.physics import block_sums
from lsi_rig.models.demo.train import TrainConfig, train_demo
from lsi_rig.scenes.faces import face_render

TINY = TrainConfig(
    counts=(4, 16),
    faces=32,
    stage1_steps=4,
    stage1_batch=8,
    latent_steps=4,
    latent_batch=8,
    image_steps=2,
    image_batch=8,
    parsing_steps=2,
    parsing_batch=8,
    workers=1,
)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    result = train_demo(TINY, data=build_face_set(32, seed=0, workers=1))
    export_result(result, folder)
    return folder


def test_packed_bits_round_trip() -> None:
    bits = np.random.default_rng(0).random((7, 32, 32)) < 0.5
    packed = W.pack_mask_bits(bits)
    assert packed.shape == (7, 128) and packed.dtype == np.uint8
    assert np.array_equal(W.unpack_mask_bits(packed), bits)
    big = W.dmd_masks(bits)
    assert big.shape == (7, 256, 256) and np.array_equal(big[:, ::8, ::8], bits)


def test_export_and_load_round_trip(tiny_model: Path) -> None:
    manifest = json.loads((tiny_model / "model.json").read_text())
    assert manifest["format"] == "lsi-rig-demo-model" and manifest["default_count"] == 16
    assert available_demo_counts(tiny_model) == (4, 16)
    assert sorted(p.name for p in tiny_model.iterdir()) == [
        "model.json",
        "n16.safetensors",
        "n4.safetensors",
        "shared.safetensors",
    ]
    assert not any(b"pickle" in p.read_bytes()[:64] for p in tiny_model.iterdir())
    decoder = load_demo_decoder(4, tiny_model)
    assert isinstance(decoder, VectorDecoder)
    masks = decoder.masks()
    assert masks.shape == (256, 256) and masks.n == 4
    assert (
        decoder.mask_sha256 == maskset_sha256(masks.bits) == manifest["counts"]["4"]["mask_sha256"]
    )
    out = decoder.decode(np.ones(4, np.float32) * 3e4)
    assert out.image is not None and out.image.shape == (1, 256, 256, 3)
    assert load_demo_decoder(None, tiny_model).n_measurements == 16


@pytest.mark.parametrize("damage", ["hash", "missing", "truncated", "keys", "manifest"])
def test_damaged_model_folders_fail_with_one_clear_message(
    tiny_model: Path, tmp_path: Path, damage: str
) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    for p in tiny_model.iterdir():
        (folder / p.name).write_bytes(p.read_bytes())
    manifest = json.loads((folder / "model.json").read_text())
    if damage == "hash":
        manifest["counts"]["4"]["mask_sha256"] = "0" * 64
        (folder / "model.json").write_text(json.dumps(manifest))
        match = "masks do not match"
    elif damage == "missing":
        (folder / "n4.safetensors").unlink()
        match = r"n4\.safetensors: missing"
    elif damage == "truncated":
        data = (folder / "shared.safetensors").read_bytes()
        (folder / "shared.safetensors").write_bytes(data[: len(data) // 2])
        match = "not a readable safetensors"
    elif damage == "keys":
        from safetensors.torch import load_file, save_file

        tensors = load_file(str(folder / "n4.safetensors"))
        tensors["encoder.net.0.weight"] = torch.zeros(3, 3)
        save_file(tensors, str(folder / "n4.safetensors"))
        match = "do not fit the demo architecture"
    else:
        manifest["version"] = 99
        (folder / "model.json").write_text(json.dumps(manifest))
        match = "version 99"
    with pytest.raises(ModelError, match=match):
        load_demo_decoder(4, folder)
    with pytest.raises(ModelError, match="no demo model here"):
        load_demo_decoder(4, tmp_path)


def test_bad_vectors_and_tasks_are_refused(tiny_model: Path) -> None:
    decoder = load_demo_decoder(4, tiny_model)
    with pytest.raises(ModelError, match="n=4"):
        decoder.decode(np.ones(5))
    with pytest.raises(ModelError, match="NaN"):
        decoder.decode(np.array([1.0, np.nan, 1.0, 1.0]))
    with pytest.raises(ModelError, match="unknown decode tasks"):
        decoder.resolve_tasks({"image", "depth"})
    with pytest.raises(ModelError, match="no 8-measurement version"):
        load_demo_decoder(8, tiny_model)


def test_shipped_weights_decode_a_held_out_face() -> None:
    counts = available_demo_counts()
    assert counts == (4, 16, 32, 64, 128)
    decoder = load_demo_decoder()
    assert decoder.n_measurements == 32 and decoder.name == "demo:32"
    assert decoder.available_tasks == ALL_TASKS
    assert sum(p.stat().st_size for p in Path(decoder.source).iterdir()) <= 20 * 1024 * 1024
    faces = [face_render(0, i) for i in range(8)]  # family 0: never used in training
    grid = decoder.model.grid_bits.reshape(32, -1).astype(np.float64)
    vectors = np.stack([grid @ block_sums(f.image).astype(np.float64) for f in faces])
    out = decoder.decode(vectors)
    assert out.image is not None and out.image.shape == (8, 256, 256, 3)
    assert out.segmentation is not None and out.segmentation.shape == (8, 256, 256)
    assert out.segmentation_logits is not None and out.segmentation_logits.shape == (
        8,
        19,
        256,
        256,
    )
    assert out.landmarks_px is not None and out.landmarks_px.shape == (8, 68, 2)
    assert out.attribute_probabilities is not None and out.attribute_probabilities.shape == (8, 40)
    assert out.l_cam.shape == (8, 128)
    truth = np.stack([f.landmarks_px for f in faces])
    assert np.abs(out.landmarks_px - truth).mean() < 8.0  # pixels
    errors = [
        np.abs(o.astype(int) - f.image.astype(int)).mean()
        for o, f in zip(out.image, faces, strict=True)
    ]
    assert np.mean(errors) < 40
    scores = SegmentationScores()
    for face, seg in zip(faces, out.segmentation, strict=True):
        scores.add(face.segmentation, seg)
    f1 = dict(zip(SEGMENTATION_CLASSES, scores.f1(), strict=True))
    # the small parts are found (a 1×1 head trained without class weights scored 0 on each)
    assert min(f1["nose"], f1["le"], f1["re"], f1["lr"], f1["rr"]) > 0.15
    assert min(f1["ulip"], f1["llip"], f1["lb"], f1["rb"]) > 0.05
    assert scores.total_without_background() > 0.28 and f1["face"] > 0.6
    again = decoder.decode(vectors)
    assert np.array_equal(again.image, out.image)  # deterministic

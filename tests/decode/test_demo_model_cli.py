"""The demo LSI model end to end through the installed CLI: capture through its masks
(``demo:lsi:N``), decode with ``--model demo:N``; wrong counts and mixed models are one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lsi_rig.cli.app import main
from lsi_rig.decode.model_masks import load_masks
from lsi_rig.models.demo import available_demo_counts, load_demo_decoder
from lsi_rig.storage import open_session


def _err(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


@pytest.fixture
def faces(tmp_path: Path) -> Path:
    from lsi_rig.scenes.procedural import face_scenes_with_truth

    folder = tmp_path / "faces"
    folder.mkdir()
    for scene, _ in face_scenes_with_truth(3, seed=4242):
        Image.fromarray(scene.image).save(folder / f"{scene.scene_id}.png")
    return folder


def test_masks_spec_gives_the_models_own_masks() -> None:
    for n in available_demo_counts():
        masks = load_masks(f"demo:lsi:{n}")
        assert masks.n == n and masks.shape == (256, 256)
        assert masks.sha256 == load_demo_decoder(n).mask_sha256
    assert load_masks("demo:lsi").n == load_demo_decoder().n_measurements


def test_capture_then_decode_with_the_demo_model(
    faces: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = tmp_path / "s.h5"
    assert main(["capture", "--rig", "sim", "--masks", "demo:lsi:16", "--images", str(faces),
                 "--out", str(session), "--quiet"]) == 0  # fmt: skip
    out = tmp_path / "decoded"
    assert main(["decode", str(session), "--model", "demo:16", "--out", str(out)]) == 0, _err(
        capsys
    )
    pngs = sorted(p.name for p in out.glob("*_rec.png"))
    assert len(pngs) == 3
    image = np.asarray(Image.open(out / pngs[0]))
    assert image.shape == (256, 256, 3) and image.std() > 5  # a face, not a flat field
    assert (out / "attributes.csv").read_text().count("\n") == 4  # header + 3 rows
    record = json.loads(next(out.glob("*.json")).read_text())
    assert record["vector_kind"] == "world_scaled"  # the sim rig's own scale, no calibration
    with open_session(session) as reader:
        assert reader.masks().sha256 == load_demo_decoder(16).mask_sha256


def test_wrong_demo_specs_are_one_line(
    faces: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = tmp_path / "s.h5"
    assert main(["capture", "--rig", "sim-ideal", "--masks", "demo:lsi:4", "--images",
                 str(faces), "--out", str(session), "--quiet"]) == 0  # fmt: skip
    capsys.readouterr()
    cases = [
        (["decode", str(session), "--model", "demo:7", "--out", str(tmp_path / "o")],
         "has 4, 16, 32, 64, 128 measurements"),
        (["decode", str(session), "--model", "demo:x", "--out", str(tmp_path / "o")],
         "whole number"),
        (["decode", str(session), "--model", "demo:16", "--out", str(tmp_path / "o")],
         "mask"),
        (["decode", str(session), "--model", "demo", "--checkpoint", "c.pt",
          "--out", str(tmp_path / "o")], "either --model"),
        (["capture", "--rig", "sim", "--masks", "demo:lsi:7", "--images", str(faces),
          "--out", str(tmp_path / "x.h5"), "--quiet"], "masks demo:lsi:7"),
        (["capture", "--rig", "sim", "--masks", "demo:lsi", "--complementary", "--images",
          str(faces), "--out", str(tmp_path / "x.h5"), "--quiet"], "without complements"),
    ]  # fmt: skip
    for argv, needle in cases:
        code = main(argv)
        lines = _err(capsys)
        assert code == 2 and len(lines) == 1, (argv, lines)
        assert needle in lines[0], (needle, lines[0])
    assert not (tmp_path / "o").exists() and not (tmp_path / "x.h5").exists()

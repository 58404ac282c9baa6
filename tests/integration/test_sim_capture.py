"""End to end on the simulated rig: engine + world + storage + reconstruction."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lsi_rig.cli.app import main
from lsi_rig.config import load_rig
from lsi_rig.demo.hadamard import psnr_db
from lsi_rig.detector.protocol import AcquisitionMode
from lsi_rig.jobs.capture import capture_session
from lsi_rig.jobs.plans import plan_from_config
from lsi_rig.masks import load_masks
from lsi_rig.recon import reconstruct_hadamard
from lsi_rig.rig import build_rig
from lsi_rig.scenes.procedural import demo_scenes
from lsi_rig.scenes.source import InMemoryScenes
from lsi_rig.storage import open_session


def test_hadamard32_on_ideal_rig_reconstructs_block_average(tmp_path: Path) -> None:
    """Acceptance: 32×32 Walsh–Hadamard on the ideal simulation reconstructs the scene's
    32×32 block average (R+G+B, as the detector weighs colours) with PSNR ≥ 40 dB."""
    rig_config = load_rig("sim-ideal")
    masks = load_masks("demo:hadamard32")
    scenes = demo_scenes(count=3)
    plan = plan_from_config(rig_config.acquisition, scenes=InMemoryScenes(scenes), masks=masks)
    with build_rig(rig_config) as rig:
        result = capture_session(rig_config, plan, tmp_path / "ideal.h5", rig=rig)
        scale = rig.world.ideal_scale_v((32, 32))
    assert result.status == "complete"
    with open_session(tmp_path / "ideal.h5") as reader:
        vectors = reader.vectors("offset_corrected")
    for scene, vector in zip(scenes, vectors, strict=True):
        recon = reconstruct_hadamard(vector.astype(np.float64), masks) / scale / 64.0
        image01 = scene.image.astype(np.float64) / 255.0
        block_average = image01.sum(axis=2).reshape(32, 8, 32, 8).mean(axis=(1, 3))
        assert recon.shape == (32, 32)
        assert psnr_db(block_average, recon) >= 40.0
        # float32 storage is the only error source in the ideal world
        np.testing.assert_allclose(recon, block_average, atol=1e-4 * block_average.max())


def test_capture_cli_then_inspect_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    folder = tmp_path / "faces"
    folder.mkdir()
    for scene in demo_scenes(count=2):
        Image.fromarray(scene.image).save(folder / f"{scene.scene_id}.png")
    out = tmp_path / "cap.h5"
    code = main(
        [
            "capture",
            "--rig",
            "sim",
            "--masks",
            "demo:hadamard16",
            "--images",
            str(folder),
            "--out",
            str(out),
            "--repeats",
            "2",
            "--quiet",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "4/4 records, status complete" in capsys.readouterr().out
    assert main(["inspect", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "complete"
    assert summary["n_records"] == 4
    with open_session(out) as reader:
        assert reader.scene_ids() == ["face_000", "face_000", "face_001", "face_001"]
        masks = reader.masks()
        assert masks.sha256 == load_masks("demo:hadamard16").sha256
        table = reader.records_table()
        assert set(table["gain_db"]) == {40.0}


def test_demo_decodes_faces_with_the_demo_lsi_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv

    from PIL import Image

    code = main(["demo", "--out-dir", str(tmp_path), "--scenes", "3", "--quiet"])
    assert code == 0, capsys.readouterr().err
    (session,) = tmp_path.rglob("*.h5")
    with open_session(session) as reader:
        assert reader.status == "complete" and reader.n_records == 3
        assert reader.masks().n == 32 and reader.masks().shape == (256, 256)
    folder = session.with_suffix("")
    pngs = sorted(folder.glob("face_*.png"))
    assert [p.stem for p in pngs] == ["face_000", "face_001", "face_002"]
    with Image.open(pngs[0]) as im:
        assert im.width == 4 * 256 + 3 * 6 and im.height > 256  # four panels side by side
        strip = np.asarray(im.convert("RGB"))
    recon = strip[16 : 16 + 256, 262 : 262 + 256]
    assert recon.std() > 8  # a decoded face, not an empty tile
    with (folder / "attributes.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3 * 40
    known = [r for r in rows if r["truth"] != ""]
    accuracy = np.mean([int(r["correct"]) for r in known])
    assert accuracy >= 0.7  # real predictions against the renderer's ground truth
    out = capsys.readouterr().out
    assert "demo model demo:32 (32 measurements, 1:2048) on 3 held-out faces: PSNR" in out
    assert "attributes" in out and "landmark NME" in out


def test_demo_with_walsh_hadamard_masks_reconstructs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["demo", "--masks", "demo:hadamard16", "--out-dir", str(tmp_path), "--scenes",
                 "2", "--quiet"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    (session,) = tmp_path.rglob("*.h5")
    pngs = sorted(session.with_suffix("").glob("*.png"))
    assert len(pngs) == 2
    from PIL import Image

    with Image.open(pngs[0]) as im:
        assert im.width > im.height  # side by side
    assert "reconstruction PSNR" in capsys.readouterr().out


def test_demo_refuses_masks_it_cannot_decode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    np.save(tmp_path / "random.npy", np.random.default_rng(0).random((8, 16, 16)) > 0.5)
    code = main(["demo", "--masks", str(tmp_path / "random.npy"), "--out-dir",
                 str(tmp_path / "out"), "--quiet"])  # fmt: skip
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2 and len(err) == 1 and "demo:lsi" in err[0], err
    assert not (tmp_path / "out").exists()


def test_raw_traces_are_kept_in_oversampled_mode(tmp_path: Path) -> None:
    config = load_rig("sim")
    detector = config.devices.detector.model_copy(update={"mode": AcquisitionMode.OVERSAMPLED})
    config = config.model_copy(
        update={"devices": config.devices.model_copy(update={"detector": detector})}
    )
    masks = load_masks("demo:hadamard16:16")
    plan = plan_from_config(
        config.acquisition,
        scenes=InMemoryScenes(demo_scenes(count=2)),
        masks=masks,
        keep_trace=True,
    )
    result = capture_session(config, plan, tmp_path / "traces.h5")
    assert result.status == "complete"
    with open_session(tmp_path / "traces.h5") as reader:
        record = reader.record(1)
        samples = reader.vectors("samples")
        n_patterns = reader.sequence_table()["kinds"].size
    assert record.trace_v is not None
    channels, n = record.trace_v.shape
    # photodiode + TRIG_OUT_1 at 200 kS/s over the pass (16 masks + 2 reference pairs)
    assert n_patterns == 20
    assert channels == 2 and n == round(200e3 * n_patterns * 250e-6)
    assert np.isfinite(record.trace_v).all()
    # the per-pattern values are window averages of the kept photodiode trace
    assert (
        record.trace_v[0].min() <= samples[1].min() and samples[1].max() <= record.trace_v[0].max()
    )

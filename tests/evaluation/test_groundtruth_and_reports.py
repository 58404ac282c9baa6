"""Ground truth sources, the report writers and the Dlib recognition rate."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from lsi_rig.core.errors import ConfigError
from lsi_rig.core.labels import ATTRIBUTE_NAMES
from lsi_rig.evaluation import identity as I
from lsi_rig.evaluation.groundtruth import (
    image_truth,
    parse_procedural,
    procedural_truth,
    read_celeba_attributes,
)
from lsi_rig.evaluation.report import markdown_table, write_reports
from lsi_rig.evaluation.runner import CountResult, evaluate_decoder, psnr_references
from lsi_rig.models.api import ALL_TASKS, DecodeResult
from lsi_rig.scenes import Scene


def test_procedural_specs() -> None:
    assert parse_procedural("procedural:500") == (500, 0)
    assert parse_procedural("procedural:5:42") == (5, 42)
    for bad in ("procedural", "procedural:x", "procedural:5:6:7", "proc:5"):
        with pytest.raises(ConfigError, match="procedural:K"):
            parse_procedural(bad)
    with pytest.raises(ConfigError, match="K must be 1…100000"):
        parse_procedural("procedural:0")
    items = procedural_truth(2, 3)
    assert [t.scene.scene_id for t in items] == ["face_000", "face_001"]
    assert items[0].attributes is not None and items[0].attributes.shape == (40,)
    assert items[0].attributes[ATTRIBUTE_NAMES.index("Young")] == -1


def _label_file(path: Path, rows: list[tuple[str, list[int]]], header: list[str]) -> Path:
    lines = [str(len(rows)), " ".join(header)]
    lines += [f"{name} " + " ".join(f"{v:2d}" for v in values) for name, values in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_celeba_label_file_by_stem(tmp_path: Path) -> None:
    values = [1 if k % 3 == 0 else -1 for k in range(40)]
    header = list(ATTRIBUTE_NAMES)
    header[0], header[1] = header[1], header[0]  # column order comes from the header
    path = _label_file(tmp_path / "list_attr_celeba.txt", [("000001.jpg", values)], header)
    table = read_celeba_attributes(path)
    expected = np.array([(v + 1) // 2 for v in values], np.int8)
    expected[[0, 1]] = expected[[1, 0]]
    assert np.array_equal(table["000001"], expected)
    scenes = [
        Scene("000001", np.zeros((4, 4, 3), np.uint8)),
        Scene("x", np.zeros((4, 4, 3), np.uint8)),
    ]
    items = image_truth(scenes, path)
    assert items[1].attributes is None and items[0].segmentation is None
    bad = _label_file(tmp_path / "bad.txt", [("a.jpg", values[:39])], list(ATTRIBUTE_NAMES))
    with pytest.raises(ConfigError, match=r"bad\.txt:3: expected a file name and 40 values"):
        read_celeba_attributes(bad)
    wrong = _label_file(tmp_path / "w.txt", [], ["Smiling"] * 40)
    with pytest.raises(ConfigError, match="line 2 must name the 40 CelebA attributes"):
        read_celeba_attributes(wrong)
    with pytest.raises(ConfigError, match="none of the 1 image stems"):
        image_truth(scenes[1:], path)


class _Oracle:
    """Returns the ground truth itself (or a corrupted copy): a decoder with known scores."""

    name = "oracle"
    n_measurements = 4
    available_tasks = ALL_TASKS
    mask_sha256 = None

    def __init__(self, items: list, corrupt: bool = False) -> None:
        self.items, self.corrupt = items, corrupt

    def resolve_tasks(self, tasks: object) -> frozenset[str]:
        return ALL_TASKS

    def decode(self, vectors: np.ndarray, tasks: object = None) -> DecodeResult:
        idx = [int(v[0]) for v in vectors]
        items = [self.items[i] for i in idx]
        image = np.stack([t.scene.image for t in items]).copy()
        lm = np.stack([t.landmarks_px for t in items]).copy()
        probs = np.stack([np.where(t.attributes == 1, 0.9, 0.1) for t in items])
        if self.corrupt:
            image[:, :, :, 0] = 0
            lm = lm + 2.0
            probs = 1.0 - probs
        return DecodeResult(
            l_cam=np.zeros((len(idx), 1)),
            ws=np.zeros((len(idx), 1)),
            image=image,
            attribute_probabilities=probs,
            landmarks_px=lm,
            segmentation=np.stack([t.segmentation for t in items]),
        )


def test_runner_scores_an_oracle_perfectly_and_a_corrupted_one_badly(tmp_path: Path) -> None:
    items = procedural_truth(5)
    vectors = np.arange(5, dtype=np.float32)[:, None].repeat(4, axis=1)
    best = evaluate_decoder(_Oracle(items), vectors, items, batch=2)  # type: ignore[arg-type]
    assert best.psnr_db == np.inf and best.ssim == pytest.approx(1.0)
    assert best.attribute_accuracy == 1.0 and best.landmark_nme == 0.0
    assert best.segmentation_f1 is not None and best.segmentation_f1_total_bg is not None
    present = np.unique(np.stack([t.segmentation for t in items]))
    assert np.all(best.segmentation_f1[present] > 0.999)
    worst = evaluate_decoder(_Oracle(items, True), vectors, items)  # type: ignore[arg-type]
    assert worst.psnr_db < 20 and worst.attribute_accuracy == 0.0 and worst.landmark_nme > 0
    assert worst.compression_ratio == 256 * 256 / 4  # the paper: 1:16384 at 4 measurements
    paths = write_reports([worst], tmp_path, {"model": "oracle", "rig": "none"})
    rows = list(csv.DictReader(paths["csv"].read_text().splitlines()))
    assert rows[0]["n"] == "4" and float(rows[0]["attribute_accuracy"]) == 0.0
    assert "| 4 | 1:16384 |" in paths["markdown"].read_text()
    assert json.loads(paths["json"].read_text())["meta"]["rig"] == "none"
    for key in ("psnr_db", "ssim", "attribute_accuracy", "landmark_nme"):
        png = tmp_path / "plots" / f"{key}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    seg_rows = list(csv.reader(paths["segmentation_csv"].read_text().splitlines()))
    assert seg_rows[0][:3] == ["n", "background", "neck"] and len(seg_rows[1]) == 22
    mixed = markdown_table([CountResult("m", 8, 1, 20.0, 0.5), worst])
    assert "landmark NME" in mixed and "| 8 | 1:8192 | 20.00 | – | – | 0.500 | – |" in mixed
    assert "| mean-scene PSNR dB | grey-scene PSNR dB |" in mixed
    floor, grey = psnr_references(items)
    assert worst.psnr_mean_scene_db == best.psnr_mean_scene_db == pytest.approx(floor)
    assert worst.psnr_grey_scene_db == pytest.approx(grey) and 10 < floor < grey < 60
    assert float(rows[0]["psnr_grey_scene_db"]) == pytest.approx(grey)
    assert "landmark NME" not in markdown_table([CountResult("m", 8, 1, 20.0, 0.5)])


def test_dlib_recognition_rate_or_a_clear_error() -> None:
    assert I.cosine_distance(np.array([1.0, 0.0]), np.array([0.0, 2.0])) == pytest.approx(1.0)
    assert I.RecognitionRate(3, 4, 5).rate == 0.75
    if not I.identity_available():
        with pytest.raises(ConfigError, match=r"lsi-rig\[identity\]"):
            I.DlibIdentity()
        return
    from skimage import data

    checker = I.DlibIdentity()
    astronaut = data.astronaut()
    blank = np.full_like(astronaut, 128)
    flipped = np.ascontiguousarray(astronaut[:, ::-1])
    rate = checker.recognition_rate(
        [(astronaut, astronaut), (astronaut, blank), (astronaut, flipped)]
    )
    assert (rate.pairs, rate.detected) == (3, 2)  # no face in the blank image
    assert rate.verified >= 1 and rate.rate >= 0.5


def test_a_demo_face_is_recognised_by_id_and_pixels() -> None:
    from lsi_rig.evaluation.groundtruth import procedural_face_truth
    from lsi_rig.scenes.procedural import demo_scenes, face_scenes_with_truth

    ((scene, render),) = face_scenes_with_truth(1, start=3)
    item = procedural_face_truth(scene.scene_id, scene.image)
    assert item is not None and scene.scene_id == "face_003"
    assert item.attributes is not None and item.attributes.shape == (40,)
    known = item.attributes >= 0
    assert known.sum() == len(render.attributes)
    assert np.array_equal(item.segmentation, render.segmentation)
    altered = scene.image.copy()
    altered[0, 0] ^= 1
    assert procedural_face_truth(scene.scene_id, altered) is None  # other pixels: not trusted
    assert procedural_face_truth("face_004", scene.image) is None  # another face's name
    target = next(s for s in demo_scenes() if not s.scene_id.startswith("face_"))
    assert procedural_face_truth(target.scene_id, target.image) is None

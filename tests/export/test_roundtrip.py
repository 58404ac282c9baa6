"""Acceptance: an export loaded exactly as the official code loads it gives every vector back,
with its image and labels; importing the export gives the same vectors again."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lsi_rig.batch.ground_truth import batch_info
from lsi_rig.cli.app import main
from lsi_rig.core.flags import RecordFlags
from lsi_rig.export import ExportOptions, RepeatMode, export_session, import_measurements
from lsi_rig.storage import open_session

from ..batch.helpers import make_images, synthetic_session, write_attributes, write_manifest
from .official import finetune_pairs, load_attributes, notebook_items

N_SCENES = 24
FLAGGED = {2: int(RecordFlags.MISSING_EDGES), 9: int(RecordFlags.SATURATED)}


@pytest.fixture
def session(tmp_path: Path):  # type: ignore[no-untyped-def]
    stems = [f"{i:06d}" for i in range(N_SCENES)]
    images = make_images(tmp_path / "imgs", stems, size=24, fmt="jpg")
    labels = np.random.default_rng(3).choice(np.array([-1, 1], np.int8), (N_SCENES, 40))
    splits = ["train" if i % 4 else "test" for i in range(N_SCENES)]
    return synthetic_session(
        tmp_path / "s.h5", images, flags=FLAGGED, splits=splits, attributes=labels
    )


def _pixels(path: str | Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def test_official_loaders_get_every_unflagged_vector_with_its_image(
    session, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "export"
    result = export_session(session.path, out, ExportOptions(batch_size=4))
    kept = [i for i in range(N_SCENES) if i not in FLAGGED]  # one record per scene, in order
    expected = {session.scene_ids[i]: session.vectors[i] for i in kept}
    split_of = {session.scene_ids[i]: session.splits[i] for i in kept}
    n = session.vectors.shape[1]
    seen: dict[str, np.ndarray] = {}
    for split in ("train", "test"):
        for vector, image in finetune_pairs(str(out), n, split):
            stem = Path(image).stem
            assert split_of[stem] == split
            assert vector.dtype == np.float32 and vector.shape == (n,)
            assert vector.tobytes() == expected[stem].tobytes()  # bit-identical
            source = session.path.parent / "imgs" / f"{stem}.jpg"
            assert Path(image).read_bytes() == source.read_bytes()  # JPEG copied as is
            seen[stem] = vector
    assert sorted(seen) == sorted(expected)
    items = notebook_items(str(out), n)
    assert [s for s, _, _ in items] == sorted(expected)
    for stem, vector, image in items:
        assert vector.tobytes() == expected[stem].tobytes() and os.path.isfile(image)
    # folders hold exactly the same stems and nothing else (no hidden files)
    for split, folder in (("train", "Train"), ("test", "Test")):
        npz = os.listdir(out / "DMD_DATA" / "FineTune" / str(n) / folder)
        gt = os.listdir(out / "DMD_DATA" / f"DMD_{folder.upper()}SET" / "gt")
        stems = sorted(s for s, sp in split_of.items() if sp == split)
        assert sorted(f[:-4] for f in npz) == stems and sorted(f[:-4] for f in gt) == stems
        assert all(f.endswith(".npz") for f in npz) and all(f.endswith(".jpg") for f in gt)
    assert sorted(os.listdir(out)) == ["DMD_DATA", "datasets", "lsi-rig-export.json"]
    assert sorted(os.listdir(out / "datasets")) == ["images", "list_attr_celeba.txt", "real"]
    # labels: the official load_attributes lines up with the sorted measurement listing
    files = sorted(str(p) for p in (out / "datasets" / "real" / str(n)).glob("*.npz"))
    got = load_attributes(str(out / "datasets" / "list_attr_celeba.txt"), files)
    want = np.stack([session.attributes[session.scene_ids.index(Path(f).stem)] for f in files])
    assert np.array_equal(got, want)
    manifest = json.loads((out / "lsi-rig-export.json").read_text())
    assert manifest == result.manifest
    assert manifest["values"] == "offset_corrected_volts"
    assert "NOT on the official simulation's scale" in manifest["values_note"]
    assert manifest["counts"] == {"exported": 22, "train": 16, "test": 6, "records_used": 22}
    flagged = manifest["excluded"]["flagged"]
    assert [(f["record"], f["scene_id"], f["flags"]) for f in flagged] == [
        (2, "000002", ["MISSING_EDGES"]),
        (9, "000009", ["SATURATED"]),
    ]
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]
    assert not list(tmp_path.glob(".export.partial-*"))


def test_importing_the_export_gives_the_same_vectors_splits_and_labels(
    session, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "export"
    export_session(session.path, out, ExportOptions(batch_size=4))
    result = import_measurements(out, tmp_path / "back.h5")
    kept = [i for i in range(N_SCENES) if i not in FLAGGED]
    assert (result.records, result.scenes, result.images) == (22, 22, 22)
    with open_session(tmp_path / "back.h5") as reader:
        ids = reader.scene_ids()
        vectors = reader.vectors("offset_corrected")
        info = batch_info(reader.extra)
        assert reader.extra["provenance"]["kind"] == "imported"
        assert reader.attrs["rig_name"] == "imported" and reader.status == "complete"
        scenes = reader.scenes()
    assert ids == sorted(session.scene_ids[i] for i in kept)
    for scene_id, vector in zip(ids, vectors, strict=True):
        assert vector.tobytes() == session.vectors[session.scene_ids.index(scene_id)].tobytes()
    assert info is not None and info.splits == [session.splits[int(s)] for s in ids]
    assert info.attributes is not None
    assert np.array_equal(info.attributes, session.attributes[[int(s) for s in ids]])
    # the ground truth is part of the imported session: the exported JPEG, hashed
    assert scenes[0].path == str((out / "datasets" / "images" / f"{ids[0]}.jpg").resolve())
    assert len(scenes[0].sha256) == 64 and scenes[0].height == 24


def test_repeats_mean_and_all(tmp_path: Path) -> None:
    images = make_images(tmp_path / "imgs", ["a", "b", "c"], size=8)
    made = synthetic_session(
        tmp_path / "s.h5",
        images,
        repeats=3,
        flags={4: int(RecordFlags.DRIFT)},  # scene b, repeat 1
        splits=["train", "train", "test"],
    )
    mean = export_session(made.path, tmp_path / "mean", ExportOptions(format="npz", batch_size=1))
    data = np.load(tmp_path / "mean" / "vectors.npz", allow_pickle=False)
    assert data["stems"].tolist() == ["a", "b", "c"]
    assert data["n_records"].tolist() == [3, 2, 3] and data["repeats"].tolist() == [-1] * 3
    want_b = np.mean(made.vectors[[3, 5]], axis=0, dtype=np.float64).astype(np.float32)
    assert data["vectors"][1].tobytes() == want_b.tobytes()
    assert mean.manifest["items"][1]["records"] == [3, 5]
    every = export_session(
        made.path,
        tmp_path / "all",
        ExportOptions(repeats=RepeatMode.ALL, include_flagged=True, batch_size=1),
    )
    stems = [i["stem"] for i in every.manifest["items"]]
    assert stems == ["a_r0", "a_r1", "a_r2", "b_r0", "b_r1", "b_r2", "c_r0", "c_r1", "c_r2"]
    n = made.vectors.shape[1]
    pairs = finetune_pairs(str(tmp_path / "all"), n, "train")
    assert [Path(p).stem for _, p in pairs] == stems[:6]
    for k, (vector, _) in enumerate(pairs):
        assert vector.tobytes() == made.vectors[k].tobytes()
    imported = import_measurements(tmp_path / "all", tmp_path / "back.h5")
    assert imported.scenes == 3 and imported.records == 9  # repeats folded back into scenes
    with open_session(tmp_path / "back.h5") as reader:
        table = reader.records_table()
        assert table["repeat_index"].tolist() == [0, 1, 2] * 3
        assert reader.scene_ids() == ["a"] * 3 + ["b"] * 3 + ["c"] * 3
        assert reader.vectors().tobytes() == made.vectors.tobytes()


def test_npz_and_csv_formats_round_trip_exactly(session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kept = [i for i in range(N_SCENES) if i not in FLAGGED]
    export_session(session.path, tmp_path / "npz", ExportOptions(format="npz"))
    with np.load(tmp_path / "npz" / "vectors.npz", allow_pickle=False) as data:
        assert data["vectors"].tobytes() == session.vectors[kept].tobytes()
        assert data["stems"].tolist() == [session.scene_ids[i] for i in kept]
        assert data["splits"].tolist() == [session.splits[i] for i in kept]
        assert np.array_equal(data["attributes"], session.attributes[kept])
        assert len(data["attribute_names"]) == 40
    assert sorted(os.listdir(tmp_path / "npz")) == ["lsi-rig-export.json", "vectors.npz"]
    export_session(session.path, tmp_path / "csv", ExportOptions(format="csv"))
    lines = (tmp_path / "csv" / "vectors.csv").read_text().splitlines()
    header = lines[0].split(",")
    n = session.vectors.shape[1]
    assert header[:5] == ["stem", "scene_id", "split", "repeat", "n_records"]
    assert header[5 : 5 + n] == [f"v{i}" for i in range(n)] and len(header) == 5 + n + 40
    values = np.array([[float(v) for v in row.split(",")[5 : 5 + n]] for row in lines[1:]])
    assert values.astype(np.float32).tobytes() == session.vectors[kept].tobytes()


def test_cli_export_and_import(session, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "cli"
    assert main(["export", str(session.path), "--out", str(out), "--batch-size", "4"]) == 0
    captured = capsys.readouterr()
    assert f"{out}: 22 vector(s) (16 train, 6 test), values offset_corrected_volts" in captured.out
    assert "warning: values: the session has no calibrated vectors" in captured.err
    assert main(["import", str(out), "--out", str(tmp_path / "cli.h5")]) == 0
    assert "22 vector(s) of 8 values, 22 scene(s), 22 with ground-truth image" in (
        capsys.readouterr().out
    )
    assert main(["inspect", str(tmp_path / "cli.h5")]) == 0
    text = capsys.readouterr().out
    assert "rig_name: imported" in text and "name: unknown" in text


def test_a_real_batch_exports_for_the_official_loader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stems = [f"{i:06d}" for i in range(16)]
    make_images(tmp_path / "imgs", stems, size=16, fmt="jpg")
    rows = [[s, f"imgs/{s}.jpg", "test" if i < 8 else "train"] for i, s in enumerate(stems)]
    write_manifest(tmp_path / "m.csv", rows)
    write_attributes(tmp_path / "attr.txt", stems)
    args = ["batch", "--rig", "sim-ideal", "--masks", "demo:hadamard16:8", "--manifest",
            str(tmp_path / "m.csv"), "--labels", str(tmp_path / "attr.txt"), "--order",
            "shuffled", "--seed", "4", "--size", "16", "--out", str(tmp_path / "b.h5"),
            "--quiet", "--no-report"]  # fmt: skip
    assert main(args) == 0
    assert main(["export", str(tmp_path / "b.h5"), "--out", str(tmp_path / "x")]) == 0
    capsys.readouterr()
    with open_session(tmp_path / "b.h5") as reader:
        by_id = dict(zip(reader.scene_ids(), reader.vectors(), strict=True))
    for split in ("train", "test"):
        pairs = finetune_pairs(str(tmp_path / "x"), 8, split)
        assert len(pairs) == 8
        for vector, image in pairs:
            stem = Path(image).stem
            assert vector.tobytes() == by_id[stem].tobytes()
            assert (int(stem) < 8) == (split == "test")
            assert np.array_equal(_pixels(image), _pixels(tmp_path / "imgs" / f"{stem}.jpg"))

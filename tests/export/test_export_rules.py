"""What an export refuses, leaves out and warns about; calibrated values; the torch Dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from lsi_rig.cli.app import main
from lsi_rig.core.errors import SessionError
from lsi_rig.export import ExportOptions, VectorChoice, export_session, session_values
from lsi_rig.export.dataset import ExportDataset
from lsi_rig.export.stems import check_stems

from ..batch.helpers import make_images, synthetic_session


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def images(tmp_path: Path) -> list[Path]:
    return make_images(tmp_path / "imgs", [f"{i:03d}" for i in range(6)], size=8)


def test_the_output_folder_must_be_new_or_empty(tmp_path: Path, images: list[Path]) -> None:
    made = synthetic_session(tmp_path / "s.h5", images)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(SessionError, match="exists and is not empty"):
        export_session(made.path, tmp_path / "full", ExportOptions())
    assert _listing(tmp_path / "full") == ["keep.txt"]
    (tmp_path / "empty").mkdir()
    export_session(made.path, tmp_path / "empty", ExportOptions(batch_size=1))
    assert "lsi-rig-export.json" in _listing(tmp_path / "empty")
    with pytest.raises(SessionError, match="does not exist"):
        export_session(made.path, tmp_path / "no" / "dir", ExportOptions())


@pytest.mark.parametrize(
    ("stems", "needle"),
    [
        (["a.npz.x", "b"], "contains '.npz'"),
        (["Face", "face"], "differ only in case"),
        (["x", "x.k"], "sort differently as .npz and .jpg"),
        ([".hidden"], "starts with '.'"),
    ],
)
def test_stems_that_would_break_the_official_loaders(stems: list[str], needle: str) -> None:
    with pytest.raises(SessionError, match=needle.replace(".", r"\.")):
        check_stems(stems, images=True)


def test_sorted_pairing_is_only_required_with_images() -> None:
    check_stems(["x", "x.k"], images=False)
    check_stems(["000001", "000002", "a_b", "a"], images=True)


def test_a_stem_problem_leaves_nothing_behind(tmp_path: Path) -> None:
    images = make_images(tmp_path / "imgs", ["x", "x.k"], size=8)
    made = synthetic_session(tmp_path / "s.h5", images)
    with pytest.raises(SessionError, match="sort differently"):
        export_session(made.path, tmp_path / "out", ExportOptions())
    assert _listing(tmp_path) == ["imgs", "s.h5"]
    export_session(made.path, tmp_path / "npz", ExportOptions(format="npz"))  # no pairing there


def test_missing_and_changed_images_are_left_out_and_listed(
    tmp_path: Path, images: list[Path]
) -> None:
    made = synthetic_session(tmp_path / "s.h5", images)
    images[1].unlink()
    make_images(tmp_path / "imgs", ["002"], size=8, seed=42)  # changed since the capture
    result = export_session(made.path, tmp_path / "out", ExportOptions(batch_size=1))
    missing = result.manifest["excluded"]["missing_images"]
    assert [m["scene_id"] for m in missing] == ["001", "002"]
    assert "not found" in missing[0]["reason"] and "changed" in missing[1]["reason"]
    assert [i["stem"] for i in result.manifest["items"]] == ["000", "003", "004", "005"]
    assert any("2 scene(s) left out" in w for w in result.warnings)
    n = made.vectors.shape[1]
    assert len(list((tmp_path / "out" / "datasets" / "real" / str(n)).iterdir())) == 4
    # formats without images keep them
    npz = export_session(made.path, tmp_path / "npz", ExportOptions(format="npz"))
    assert npz.manifest["counts"]["exported"] == 6


def test_split_sizes_below_a_batch_are_warned_about(tmp_path: Path, images: list[Path]) -> None:
    made = synthetic_session(tmp_path / "s.h5", images, splits=["train"] * 6)
    result = export_session(made.path, tmp_path / "out", ExportOptions(batch_size=4))
    (warning,) = [w for w in result.warnings if "split holds" in w]
    assert "the test split holds 0 file(s), fewer than a training batch of 4" in warning
    n = made.vectors.shape[1]
    assert (tmp_path / "out" / "DMD_DATA" / "FineTune" / str(n) / "Test").is_dir()  # still there


def test_everything_flagged_is_an_error_naming_the_way_out(
    tmp_path: Path, images: list[Path]
) -> None:
    made = synthetic_session(tmp_path / "s.h5", images[:2], flags={0: 1, 1: 8})
    with pytest.raises(SessionError, match=r"no vector to export \(2 flagged.*--include-flagged"):
        export_session(made.path, tmp_path / "out", ExportOptions())
    assert not (tmp_path / "out").exists()
    done = export_session(
        made.path, tmp_path / "out", ExportOptions(include_flagged=True, batch_size=1)
    )
    assert done.manifest["counts"]["exported"] == 2


class FakeReader:
    def __init__(self, calibrated: bool) -> None:
        self.has_calibrated = calibrated
        self.asked: list[str] = []

    def vectors(self, kind: str) -> np.ndarray:
        self.asked.append(kind)
        return np.full((2, 3), 1.0 if kind == "calibrated" else 2.0)


def test_values_are_calibrated_when_the_session_has_them() -> None:
    reader: Any = FakeReader(calibrated=True)
    values = session_values(reader)
    assert values.kind == "calibrated" and reader.asked == ["calibrated"]
    assert values.vectors.dtype == np.float32 and values.vectors[0, 0] == 1.0
    raw = session_values(reader, VectorChoice.RAW)
    assert raw.kind == "offset_corrected_volts" and raw.vectors[0, 0] == 2.0
    assert "fallback" not in raw.note and "NOT on the official" in raw.note
    plain: Any = FakeReader(calibrated=False)
    fallback = session_values(plain)
    assert fallback.kind == "offset_corrected_volts" and plain.asked == ["offset_corrected"]
    assert "has no calibrated vectors" in fallback.note


def test_the_dataset_reads_vectors_images_and_labels(tmp_path: Path, images: list[Path]) -> None:
    labels = np.random.default_rng(0).choice(np.array([-1, 1], np.int8), (6, 40))
    splits = ["train", "test", "train", "train", "test", "train"]
    made = synthetic_session(tmp_path / "s.h5", images, splits=splits, attributes=labels)
    export_session(made.path, tmp_path / "li", ExportOptions(batch_size=1))
    train = ExportDataset(tmp_path / "li", "train", image_size=16)
    assert len(train) == 4 and len(ExportDataset(tmp_path / "li")) == 6
    item = train[1]
    assert item["stem"] == "002" and item["split"] == "train"
    assert torch.equal(item["vector"], torch.from_numpy(made.vectors[2]))
    assert item["image"].shape == (3, 16, 16) and item["image"].dtype == torch.float32
    assert float(item["image"].min()) >= 0.0 and float(item["image"].max()) <= 1.0
    assert torch.equal(item["attributes"], torch.from_numpy(labels[2].astype(np.float32)))
    batch = next(iter(torch.utils.data.DataLoader(train, batch_size=4)))
    assert batch["vector"].shape == (4, made.vectors.shape[1])
    export_session(made.path, tmp_path / "npz", ExportOptions(format="npz"))
    flat = ExportDataset(tmp_path / "npz", "test")
    assert [flat[k]["stem"] for k in range(len(flat))] == ["001", "004"]
    assert torch.equal(flat[1]["vector"], torch.from_numpy(made.vectors[4]))
    assert "image" not in flat[0]
    with pytest.raises(SessionError, match=r"no lsi-rig-export\.json"):
        ExportDataset(tmp_path)


def test_cli_export_errors(
    tmp_path: Path, images: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    made = synthetic_session(tmp_path / "s.h5", images)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    cases = [
        ([str(tmp_path / "none.h5"), "--out", str(tmp_path / "o")], "does not exist"),
        ([str(made.path), "--out", str(tmp_path / "full")], "not empty"),
        ([str(made.path), "--out", str(tmp_path / "o"), "--split", "val"], "split 'val'"),
    ]
    for args, needle in cases:
        assert main(["export", *args]) == 2
        err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert len(err) == 1 and needle in err[0], err
    assert not (tmp_path / "o").exists()
    assert _listing(tmp_path / "full") == ["x"]

"""Importing official ``datasets/real/<n>/*.npz`` folders: a session with no rig that the
reader, inspect, the report and the decode input accept; bad folders refused in one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lsi_rig.cli.app import main
from lsi_rig.core.errors import SessionError
from lsi_rig.decode.vectors import read_session_vectors
from lsi_rig.export import import_measurements, is_unknown_mask_set
from lsi_rig.masks import load_masks
from lsi_rig.storage import open_session

from ..batch.helpers import make_images


def _official(root: Path, n: int, stems: list[str], seed: int = 0) -> dict[str, np.ndarray]:
    folder = root / "datasets" / "real" / str(n)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    out = {}
    for stem in stems:
        vector = rng.random(n).astype(np.float32) * 100
        np.savez(folder / f"{stem}.npz", array=vector)
        out[stem] = vector
    return out


def test_official_folders_become_a_reviewable_session(tmp_path: Path) -> None:
    stems = ["182660", "182659", "200001"]
    vectors = _official(tmp_path, 32, stems)
    make_images(tmp_path / "datasets" / "images", stems[:2], size=20, fmt="jpg")
    (tmp_path / "datasets" / "real" / "32" / ".DS_Store").write_bytes(b"junk")  # ignored
    (tmp_path / "datasets" / "real" / "32" / "notes.txt").write_text("ignored")
    result = import_measurements(tmp_path, tmp_path / "real.h5")
    assert (result.n, result.records, result.scenes, result.images) == (32, 3, 3, 2)
    with open_session(tmp_path / "real.h5") as reader:
        assert reader.status == "complete" and reader.attrs["rig_name"] == "imported"
        assert reader.scene_ids() == sorted(stems)  # the notebook's sorted glob order
        got = reader.vectors("offset_corrected")
        for stem, row in zip(reader.scene_ids(), got, strict=True):
            assert row.tobytes() == vectors[stem].tobytes()
        assert reader.vectors("raw").tobytes() == got.tobytes()
        masks = reader.masks()
        assert is_unknown_mask_set(masks) and masks.n == 32 and masks.name == "unknown"
        provenance = reader.extra["provenance"]
        assert provenance["kind"] == "imported" and provenance["files"] == 3
        assert reader.extra["imported_files"] == [f"{s}.npz" for s in sorted(stems)]
        scenes = {s.scene_id: s for s in reader.scenes()}
        assert scenes["182659"].path.endswith("datasets/images/182659.jpg")
        assert scenes["200001"].path == "" and scenes["200001"].sha256 == ""
        table = reader.records_table()
        assert (table["t_start_ns"] == 0).all() and np.isnan(table["exposure_us"]).all()
    decoded = read_session_vectors(tmp_path / "real.h5")  # what lsi-rig decode reads
    assert [v.scene_id for v in decoded] == sorted(stems)


def test_several_vector_lengths_need_a_choice(tmp_path: Path) -> None:
    _official(tmp_path, 32, ["a", "b"])
    _official(tmp_path, 128, ["a"])
    with pytest.raises(SessionError, match=r"n = 32, 128.*--n"):
        import_measurements(tmp_path, tmp_path / "x.h5")
    with pytest.raises(SessionError, match=r"no 64/ folder"):
        import_measurements(tmp_path, tmp_path / "x.h5", n=64)
    result = import_measurements(tmp_path / "datasets" / "real", tmp_path / "x.h5", n=128)
    assert (result.n, result.records) == (128, 1)
    single = import_measurements(tmp_path / "datasets" / "real" / "32", tmp_path / "y.h5")
    assert (single.n, single.records) == (32, 2)


def test_known_masks_can_be_given(tmp_path: Path) -> None:
    _official(tmp_path, 16, ["a"])
    masks = load_masks("demo:hadamard16:16")
    import_measurements(tmp_path, tmp_path / "x.h5", masks=masks)
    with open_session(tmp_path / "x.h5") as reader:
        assert reader.masks().sha256 == masks.sha256
    with pytest.raises(SessionError, match="8 masks, but the vectors hold 16 values"):
        import_measurements(tmp_path, tmp_path / "y.h5", masks=masks.subset(8))


@pytest.mark.parametrize(
    ("write", "needle"),
    [
        (lambda f: np.savez(f / "a.npz", other=np.zeros(32)), "no 'array' entry"),
        (lambda f: np.savez(f / "a.npz", array=np.zeros(31, np.float32)), "length 31"),
        (lambda f: np.savez(f / "a.npz", array=np.zeros((2, 32), np.float32)), "holds 2 vectors"),
        (lambda f: np.savez(f / "a.npz", array=np.full(32, np.nan, np.float32)), "non-finite"),
        (lambda f: (f / "a.npz").write_bytes(b"not a zip"), "cannot read measurement file"),
        (
            lambda f: np.savez(f / "a.npz", array=np.array([{"x": 1}], dtype=object)),
            "cannot read measurement file",
        ),
    ],
)
def test_bad_measurement_files_are_refused_without_leaving_a_file(
    tmp_path: Path, write, needle: str
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "datasets" / "real" / "32"
    folder.mkdir(parents=True)
    np.savez(folder / "0.npz", array=np.zeros(32, np.float32))
    write(folder)
    with pytest.raises(SessionError, match=needle):
        import_measurements(tmp_path, tmp_path / "x.h5")
    assert not (tmp_path / "x.h5").exists()
    assert not list(tmp_path.glob(".x.h5*"))


def test_pickles_are_never_loaded(tmp_path: Path) -> None:
    folder = tmp_path / "datasets" / "real" / "8"
    folder.mkdir(parents=True)
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (marker.write_text, ("pwned",))

    np.savez(folder / "a.npz", array=np.array([Evil()], dtype=object))
    with pytest.raises(SessionError):
        import_measurements(tmp_path, tmp_path / "x.h5")
    assert not marker.exists()


def test_cli_import_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    _official(tmp_path / "ok", 8, ["a"])
    (tmp_path / "exists.h5").write_bytes(b"")
    cases = [
        ([str(tmp_path / "none"), "--out", str(tmp_path / "x.h5")], "not a folder"),
        ([str(tmp_path / "empty"), "--out", str(tmp_path / "x.h5")], "no measurement files"),
        ([str(tmp_path / "ok"), "--out", str(tmp_path / "x.txt")], "must end in .h5"),
        ([str(tmp_path / "ok"), "--out", str(tmp_path / "exists.h5")], "already exists"),
        ([str(tmp_path / "ok"), "--out", str(tmp_path / "x.h5"), "--masks", "demo:x"], "demo:x"),
    ]
    for args, needle in cases:
        assert main(["import", *args]) == 2
        err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert len(err) == 1 and needle in err[0], err
    assert not (tmp_path / "x.h5").exists()
    assert main(["import", str(tmp_path / "ok"), "--out", str(tmp_path / "x.h5")]) == 0
    assert main(["report", str(tmp_path / "x.h5")]) == 0
    assert "no record times (imported vectors)" in capsys.readouterr().out

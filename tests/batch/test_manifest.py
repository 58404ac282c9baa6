"""Manifests, split lists, CelebA label files and the scan order: what is read, and one clear
error naming the file and line for each way they can be wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lsi_rig.batch.celeba import read_celeba_attributes
from lsi_rig.batch.manifest import (
    manifest_from_images,
    read_list_file,
    read_manifest_csv,
    select,
)
from lsi_rig.batch.order import ScanOrder, choose_seed, scene_order
from lsi_rig.core.errors import SceneError

from .helpers import ATTRIBUTE_NAMES, make_images, write_attributes, write_manifest


def test_manifest_columns_any_order_paths_relative_labels_kept(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "m.csv"
    path.write_text(
        "\ufeffSplit,ID,gender,Path\n"  # Excel's BOM, any case, any order
        "TEST,000002,f,img/000002.jpg\n"
        "\n"
        "train,000001,m,/abs/000001.jpg\n",
        encoding="utf-8",
    )
    m = read_manifest_csv(path)
    assert m.ids == ["000002", "000001"]
    assert [e.split for e in m.entries] == ["test", "train"]
    assert m.entries[0].path == tmp_path / "sub" / "img" / "000002.jpg"
    assert m.entries[1].path == Path("/abs/000001.jpg")
    assert m.label_names == ("gender",)
    assert [e.labels for e in m.entries] == [{"gender": "f"}, {"gender": "m"}]
    assert [e.row for e in m.entries] == [0, 1]
    assert m.split_counts() == {"train": 1, "test": 1}


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("", ["empty", "id,path,split"]),
        ("id,path\na,a.png\n", ["missing column 'split'"]),
        ("id,path,split,id\na,a.png,test,b\n", ["column 'id' appears twice"]),
        ("id,path,split\n", ["no scenes"]),
        ("id,path,split\na,a.png,val\n", ["line 2", "split 'val'", "train, test"]),
        ("id,path,split\na,a.png\n", ["line 2", "2 fields", "header has 3"]),
        ("id,path,split\n,a.png,test\n", ["line 2", "is empty"]),
        ("id,path,split\na/b,a.png,test\n", ["line 2", "'a/b'", "path separator"]),
        ("id,path,split\n.a,a.png,test\n", ["line 2", "starts with '.'"]),
        ("id,path,split\n a,a.png,test\n", ["white space"]),
        ("id,path,split\na,,test\n", ["line 2", "empty path"]),
        ("id,path,split\nA,a.png,test\na,b.png,train\n", ["'a' (row 2) repeats row 1"]),
        ('id,path,split\n"a,a.png,test\n', ["malformed CSV"]),
    ],
)
def test_bad_manifests_fail_with_one_line(tmp_path: Path, text: str, needles: list[str]) -> None:
    path = tmp_path / "m.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SceneError) as info:
        read_manifest_csv(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    for needle in needles:
        assert needle in message, message


def test_manifest_file_problems(tmp_path: Path) -> None:
    with pytest.raises(SceneError, match="not found"):
        read_manifest_csv(tmp_path / "none.csv")
    with pytest.raises(SceneError, match="is a folder"):
        read_manifest_csv(tmp_path)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"id,path,split\n\xe9t\xe9,a.png,test\n")
    with pytest.raises(SceneError, match="not UTF-8"):
        read_manifest_csv(latin)


def test_a_list_file_selects_by_id_file_name_or_path_in_manifest_order(tmp_path: Path) -> None:
    rows = [[f"{i:06d}", f"{i:06d}.jpg", "test"] for i in range(6)]
    m = read_manifest_csv(write_manifest(tmp_path / "m.csv", rows))
    listing = tmp_path / "test.txt"
    listing.write_text("# the test split\n000004\n\n000001.jpg  # a comment\nceleba/000003.jpg\n")
    picked = select(m, read_list_file(listing), where="list")
    assert picked.ids == ["000001", "000003", "000004"]  # manifest order, not list order
    assert [e.row for e in picked.entries] == [1, 3, 4]
    with pytest.raises(SceneError, match=r"'999999.jpg' and 1 more not in .*6 scenes"):
        select(m, ["000001", "999999.jpg", "x"], where="list")
    (tmp_path / "empty.txt").write_text("# nothing\n\n")
    with pytest.raises(SceneError, match="no entries"):
        read_list_file(tmp_path / "empty.txt")


def test_images_folder_manifest(tmp_path: Path) -> None:
    make_images(tmp_path / "imgs", ["b10", "b2", "a"])
    m = manifest_from_images([tmp_path / "imgs"], split="train")
    assert m.ids == ["a", "b2", "b10"]  # natural order
    assert {e.split for e in m.entries} == {"train"}
    with pytest.raises(SceneError, match="split 'val'"):
        manifest_from_images([tmp_path / "imgs"], split="val")
    make_images(tmp_path / "hidden", [".x"])
    with pytest.raises(SceneError, match=r"starts with '\.'"):
        manifest_from_images([tmp_path / "hidden" / ".x.png"])


def test_celeba_attributes_by_stem(tmp_path: Path) -> None:
    stems = ["000001", "000002", "000003"]
    values = write_attributes(tmp_path / "attr.txt", stems)
    table = read_celeba_attributes(tmp_path / "attr.txt")
    assert table.names == tuple(ATTRIBUTE_NAMES)
    assert table.stems == tuple(stems)
    assert table.values.dtype == np.int8 and np.array_equal(table.values, values)
    got, missing = table.for_scenes(["000003", "nope", "000001"])
    assert np.array_equal(got[0], values[2]) and np.array_equal(got[2], values[0])
    assert not got[1].any() and missing == ["nope"]


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("", ["count line"]),
        ("two\nA B\nx.jpg 1 1\n", ["line 1", "not the number"]),
        ("1\n\nx.jpg\n", ["line 2", "no attribute names"]),
        ("2\nA B\nx.jpg 1 -1\n", ["announces 2 images but 1 follow"]),
        ("1\nA B\nx.jpg 1\n", ["line 3", "1 values, expected 2"]),
        ("1\nA B\nx.jpg 1 0\n", ["line 3", "1 or -1"]),
        ("1\nA B\nx.jpg 1 yes\n", ["line 3", "1 or -1"]),
        ("2\nA B\nx.jpg 1 1\nx.png -1 1\n", ["line 4", "repeats line 3"]),
    ],
)
def test_bad_label_files(tmp_path: Path, text: str, needles: list[str]) -> None:
    path = tmp_path / "attr.txt"
    path.write_text(text)
    with pytest.raises(SceneError) as info:
        read_celeba_attributes(path)
    assert str(path) in str(info.value)
    for needle in needles:
        assert needle in str(info.value), str(info.value)


def test_shuffled_order_is_a_seeded_permutation() -> None:
    fixed = scene_order(50, ScanOrder.FIXED, None)
    assert fixed.tolist() == list(range(50))
    a = scene_order(50, ScanOrder.SHUFFLED, 7)
    assert sorted(a.tolist()) == list(range(50)) and a.tolist() != list(range(50))
    assert np.array_equal(a, scene_order(50, ScanOrder.SHUFFLED, 7))
    assert not np.array_equal(a, scene_order(50, ScanOrder.SHUFFLED, 8))
    assert choose_seed(ScanOrder.FIXED, 5) is None
    assert choose_seed(ScanOrder.SHUFFLED, 5) == 5
    drawn = choose_seed(ScanOrder.SHUFFLED, None)
    assert isinstance(drawn, int) and 0 <= drawn < 2**31
    with pytest.raises(ValueError, match="seed"):
        scene_order(3, ScanOrder.SHUFFLED, None)

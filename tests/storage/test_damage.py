"""Damaged data is refused on open: one line naming the file and what is damaged, never a
traceback and never an allocation larger than the file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import h5py
import numpy as np
import pytest

from lsi_rig.core.errors import SessionError
from lsi_rig.storage import SessionWriter, open_session
from tests.storage.proc import run_probe
from tests.storage.sample_data import make_metadata, make_record


def _session(path: Path, n: int = 6) -> Path:
    md = make_metadata()
    with SessionWriter(path, md) as w:
        for i in range(n):
            w.append(make_record(i, md))
    return path


def _damage(path: Path, edit: Callable[[h5py.File], None]) -> Path:
    with h5py.File(path, "r+") as f:
        edit(f)
    return path


def _xor(f: h5py.File, name: str, index: tuple[int, int], bits: int) -> None:
    f[name][index] = f[name][index] ^ bits


def _set(f: h5py.File, name: str, value: int) -> None:
    f[name][()] = value


def _refused(path: Path, *needles: str) -> str:
    with pytest.raises(SessionError) as info:
        open_session(path)
    text = str(info.value)
    assert "\n" not in text and path.name in text, text
    for needle in needles:
        assert needle in text, text
    return text


class TestMaskHash:
    def test_one_flipped_bit_is_refused_on_open(self, tmp_path: Path) -> None:
        path = _session(tmp_path / "s.h5")
        for row, col, bit in ((0, 0, 1), (7, 3, 0x80), (15, 7, 0x10)):
            copy = tmp_path / f"flip_{row}_{col}.h5"
            copy.write_bytes(path.read_bytes())
            _damage(copy, lambda f, r=row, c=col, b=bit: _xor(f, "masks/bits_packed", (r, c), b))
            _refused(copy, "the masks are damaged")

    def test_edited_hash_attribute_is_refused(self, tmp_path: Path) -> None:
        path = _damage(
            _session(tmp_path / "s.h5"), lambda f: f["masks"].attrs.__setitem__("sha256", "0" * 64)
        )
        _refused(path, "the masks are damaged")

    def test_inspect_and_vector_reading_refuse_it(self, tmp_path: Path) -> None:
        path = _session(tmp_path / "s.h5")
        _damage(path, lambda f: _xor(f, "masks/bits_packed", (2, 1), 0xFF))
        for mode in ("api", "inspect"):
            (result,) = run_probe(mode, [path], timeout_s=60)
            if mode == "api":
                assert result["outcome"] == "refused" and "masks are damaged" in result["error"]
            else:
                assert result["rc"] == 2 and len(result["stderr"]) == 1, result
                assert result["stderr"][0].startswith("lsi-rig: error: ")
                assert "masks are damaged" in result["stderr"][0]


class TestStructure:
    CASES: ClassVar[dict[str, tuple[Callable[[h5py.File], None], str]]] = {
        "negative n_records": (
            lambda f: f["run/n_records"].__setitem__((), -3),
            "/run/n_records is negative",
        ),
        "n_records past the rows": (
            lambda f: f["run/n_records"].__setitem__((), 7),
            "/run/n_records=7 but the datasets hold 6 rows",
        ),
        "bits_packed a group": (
            lambda f: (f.__delitem__("masks/bits_packed"), f.create_group("masks/bits_packed")),
            "/masks/bits_packed is a group, not a dataset",
        ),
        "bits_packed wrong dtype": (
            lambda f: _replace(f, "masks/bits_packed", np.zeros((16, 8), np.float64)),
            "/masks/bits_packed has dtype float64",
        ),
        "bits_packed wrong shape": (
            lambda f: _replace(f, "masks/bits_packed", np.zeros((16, 9), np.uint8)),
            "/masks/bits_packed has shape (16, 9)",
        ),
        "mask count attribute huge": (
            lambda f: f["masks"].attrs.__setitem__("n", 10**12),
            "attribute n=1000000000000 is out of range",
        ),
        "mask height not a number": (
            lambda f: f["masks"].attrs.__setitem__("height", "tall"),
            "attribute 'height' is missing or not a number",
        ),
        "missing vector_v": (
            lambda f: f.__delitem__("records/vector_v"),
            "missing /records/vector_v",
        ),
        "missing run group": (lambda f: f.__delitem__("run"), "missing /run"),
        "table wrong dtype": (
            lambda f: _replace(f, "records/table", np.zeros(6, np.float32), maxshape=(None,)),
            "/records/table has dtype float32",
        ),
        "samples_v wrong width": (
            lambda f: _replace(
                f, "records/samples_v", np.zeros((6, 3), np.float32), maxshape=(None, 3)
            ),
            "/records/samples_v has shape (6, 3)",
        ),
        "samples_v integers": (
            lambda f: _replace(
                f, "records/samples_v", np.zeros((6, 26), np.int32), maxshape=(None, 26)
            ),
            "/records/samples_v has dtype int32",
        ),
        "status not a string": (
            lambda f: _replace(f, "run/status", np.float64(1.0)),
            "/run/status has dtype float64",
        ),
        "sequence index out of range": (
            lambda f: f["sequence/mask_index"].__setitem__(0, 99),
            "/sequence/mask_index holds indices outside 0..15",
        ),
        "a mask shown twice": (
            lambda f: f["sequence/mask_index"].__setitem__(3, int(f["sequence/mask_index"][2])),
            "does not show each of the 16 masks once",
        ),
        "unknown pattern kind": (
            lambda f: f["sequence/kinds"].__setitem__(0, 7),
            "unknown pattern codes",
        ),
        "scene columns differ": (
            lambda f: _replace(f, "scenes/height", np.zeros(5, np.int32)),
            "/scenes columns differ in length",
        ),
        "huge declared static dataset": (
            lambda f: f["config"].create_dataset("huge", shape=(10**10,), dtype=np.float64),
            "/config/huge declares 80000000000 bytes",
        ),
        "calibrated_v without calibration": (
            lambda f: f["records"].create_dataset("calibrated_v", data=np.zeros((6, 16), "f4")),
            "/records/calibrated_v without a calibration snapshot",
        ),
    }

    @pytest.mark.parametrize("case", sorted(CASES))
    def test_refused_with_one_line(self, tmp_path: Path, case: str) -> None:
        edit, needle = self.CASES[case]
        path = _damage(_session(tmp_path / "s.h5"), edit)
        _refused(path, needle)

    def test_huge_declared_record_count_allocates_nothing(self, tmp_path: Path) -> None:
        """Rows may be declared (unallocated chunks) far beyond the file: the counter must
        also fit in the file's bytes before anything is read."""
        path = _session(tmp_path / "s.h5")

        def grow(f: h5py.File) -> None:
            for name in ("table", "samples_v", "vector_v"):
                f["records"][name].resize(10**9, axis=0)
            f["run/n_records"][()] = 10**9

        _damage(path, grow)
        _refused(path, "/run/n_records=1000000000 needs")

    def test_log_counter_past_its_bytes(self, tmp_path: Path) -> None:
        path = _damage(_session(tmp_path / "s.h5"), lambda f: _set(f, "log/n_bytes", 10**9))
        with open_session(path) as r, pytest.raises(SessionError, match="/log/n_bytes=1000000000"):
            r.log_lines()


def _replace(f: h5py.File, name: str, data: np.ndarray, **kwargs: object) -> None:
    del f[name]
    f.create_dataset(name, data=data, **kwargs)  # type: ignore[arg-type]


class TestByteFlips:
    def test_random_flips_never_crash_or_hang(self, tmp_path: Path) -> None:
        """Flip one byte anywhere: the reader either refuses with a SessionError or reads a
        file it can fully validate; never another exception, never a hang."""
        path = _session(tmp_path / "s.h5", n=20)
        data = bytearray(path.read_bytes())
        rng = np.random.default_rng(2026)
        folder = tmp_path / "flips"
        folder.mkdir()
        files = []
        for k, pos in enumerate(sorted(rng.choice(len(data), size=60, replace=False))):
            flipped = bytearray(data)
            flipped[pos] ^= 1 << int(rng.integers(8))
            files.append(folder / f"flip_{k:02d}_{pos}.h5")
            files[-1].write_bytes(bytes(flipped))
        results = run_probe("api", files, timeout_s=180)
        outcomes = {r["outcome"] for r in results}
        assert outcomes <= {"refused", "opened"}, [r for r in results if r["outcome"] == "crashed"]
        assert all(r["seconds"] < 10 for r in results)
        assert "refused" in outcomes  # metadata is checksummed: some flips must be caught

"""Opening a damaged, truncated or foreign file never blocks: one clear refusal within seconds.

HDF5's SWMR reader retries a metadata block whose checksum fails with a doubling sleep; on a
truncated copy that never ends (and ignores Ctrl-C). Every case runs in a child process under
a timeout that fails the test.
"""

from __future__ import annotations

import os
import shutil
import zlib
from pathlib import Path

import h5py
import numpy as np
import pytest

from lsi_rig.core.errors import SessionError
from lsi_rig.storage import SessionWriter, open_session
from tests.storage.proc import WriterProcess, run_probe
from tests.storage.sample_data import make_metadata, make_record

PER_FILE_S = 10.0


def cut_points(size: int) -> list[int]:
    """Cuts from the empty file through the superblock, the object headers (200 B..24 kB, the
    range that hung) and the record chunks, to one byte short of the end."""
    small = [0, 1, 7, 8, 16, 40, 47, 48, 100, 200, 256, 300, 500, 512, 800, 1000, 1024, 1500]
    mid = [2000, 2048, 3000, 4096, 5000, 6000, 8000, 10000, 12000, 16000, 20000, 24000]
    late = [size // 4, size // 2, 3 * size // 4, size - 4096, size - 1000, size - 100]
    return sorted({c for c in (*small, *mid, *late, size - 8, size - 1) if 0 <= c < size})


def _closed_session(path: Path, n: int = 40) -> Path:
    md = make_metadata(trace_shape=(1, 64))
    with SessionWriter(path, md) as w:
        for i in range(n):
            w.append(make_record(i, md))
    return path


def _killed_session(path: Path, n: int = 30) -> Path:
    child = WriterProcess(path, n, pace_ms=0.0)
    try:
        child.wait_for("done")
    finally:
        child.kill()
    return path


def _cuts(source: Path, folder: Path) -> list[Path]:
    data = source.read_bytes()
    folder.mkdir()
    out = []
    for c in cut_points(len(data)):
        cut = folder / f"cut_{c:07d}.h5"
        cut.write_bytes(data[:c])
        out.append(cut)
    return out


def _assert_all_refused(results: list[dict[str, object]], needle: str = "") -> None:
    for r in results:
        assert r["seconds"] < PER_FILE_S, r
        assert r["outcome"] == "refused", r
        error = str(r["error"])
        assert "\n" not in error and Path(str(r["file"])).name in error, r
        assert needle in error, r


class TestTruncatedSessions:
    def test_closed_session_every_cut_is_refused_quickly(self, tmp_path: Path) -> None:
        source = _closed_session(tmp_path / "good.h5")
        cuts = _cuts(source, tmp_path / "cuts")
        assert len(cuts) >= 30
        results = run_probe("api", cuts, timeout_s=120)
        _assert_all_refused(results[2:])  # 0 and 1 byte: "empty" / "not HDF5", checked below
        assert all("truncated" in str(r["error"]) for r in results[4:]), results
        assert "is empty (0 bytes)" in str(results[0]["error"])

    def test_killed_writer_every_cut_is_refused_quickly(self, tmp_path: Path) -> None:
        """A killed writer leaves HDF5's "open for writing" mark, so these open in SWMR mode:
        the path that hung."""
        source = _killed_session(tmp_path / "killed.h5")
        with open(source, "rb") as fh:
            assert fh.read(12)[11] & 0x05, "the killed file should still be marked open"
        cuts = _cuts(source, tmp_path / "cuts")
        results = run_probe("api", cuts, timeout_s=120)
        _assert_all_refused(results[4:], needle="truncated")
        with open_session(source) as reader:  # the uncut file still opens
            assert reader.n_records == 30

    def test_message_says_how_much_is_missing(self, tmp_path: Path) -> None:
        source = _closed_session(tmp_path / "s.h5")
        size = source.stat().st_size
        source.write_bytes(source.read_bytes()[:1000])
        with pytest.raises(SessionError, match=rf"s\.h5 is truncated \(1000 of {size} bytes\)"):
            open_session(source)


class TestForeignFiles:
    def _foreign(self, folder: Path) -> dict[str, Path]:
        from PIL import Image

        files: dict[str, Path] = {}
        png = folder / "photo.h5"
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(png, format="PNG")
        files["png"] = png
        files["empty"] = folder / "empty.h5"
        files["empty"].write_bytes(b"")
        files["text"] = folder / "notes.h5"
        files["text"].write_text("not hdf5 at all\n" * 100)
        files["random"] = folder / "noise.h5"
        files["random"].write_bytes(np.random.default_rng(3).bytes(50_000))
        files["zlib"] = folder / "packed.h5"
        files["zlib"].write_bytes(zlib.compress(b"\x89HDF\r\n\x1a\n" * 1000))
        files["signature_only"] = folder / "sig.h5"
        files["signature_only"].write_bytes(b"\x89HDF\r\n\x1a\n")
        files["bad_version"] = folder / "version.h5"
        files["bad_version"].write_bytes(b"\x89HDF\r\n\x1a\n" + bytes([9]) + bytes(200))
        for name, libver in (("hdf5_v0", "earliest"), ("hdf5_latest", "latest")):
            path = folder / f"{name}.h5"
            with h5py.File(path, "w", libver=libver) as f:
                f["x"] = np.arange(10)
            files[name] = path
        userblock = folder / "userblock.h5"
        with h5py.File(userblock, "w", userblock_size=512) as f:
            f["x"] = np.arange(3)
        files["userblock"] = userblock
        return files

    def test_each_is_one_line_within_seconds(self, tmp_path: Path) -> None:
        files = self._foreign(tmp_path)
        results = {Path(str(r["file"])).name: r for r in run_probe("api", list(files.values()), 60)}
        expected = {
            "png": "is not an HDF5 file",
            "empty": "is empty (0 bytes)",
            "text": "is not an HDF5 file",
            "random": "is not an HDF5 file",
            "zlib": "is not an HDF5 file",
            "signature_only": "truncated",
            "bad_version": "damaged HDF5 header",
            "hdf5_v0": "is an HDF5 file but not an lsi-rig session",
            "hdf5_latest": "is an HDF5 file but not an lsi-rig session",
            "userblock": "is an HDF5 file but not an lsi-rig session",
        }
        for key, needle in expected.items():
            r = results[files[key].name]
            assert r["outcome"] == "refused" and r["seconds"] < PER_FILE_S, (key, r)
            assert needle in str(r["error"]) and files[key].name in str(r["error"]), (key, r)

    def test_folder_fifo_device_and_missing(self, tmp_path: Path) -> None:
        with pytest.raises(SessionError, match="is a folder, not a session file"):
            open_session(tmp_path)
        with pytest.raises(SessionError, match="does not exist; check the path"):
            open_session(tmp_path / "absent.h5")
        if hasattr(os, "mkfifo"):  # opening a FIFO for reading would block until a writer came
            fifo = tmp_path / "pipe.h5"
            os.mkfifo(fifo)
            with pytest.raises(SessionError, match="is not a regular file"):
                open_session(fifo)
        if Path("/dev/null").exists():
            with pytest.raises(SessionError, match="is not a regular file"):
                open_session("/dev/null")

    def test_copy_of_a_live_file_is_read_not_refused(self, tmp_path: Path) -> None:
        """A complete copy of a killed writer's file (same bytes) opens; only missing bytes
        are refused."""
        source = _killed_session(tmp_path / "killed.h5", n=5)
        copy = tmp_path / "copy.h5"
        shutil.copyfile(source, copy)
        with open_session(copy) as reader:
            assert reader.n_records == 5

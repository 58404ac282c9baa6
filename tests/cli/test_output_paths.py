"""Output-path checks in one place (``lsi_rig.core.paths``): used by the writer, capture, demo,
decode output folders and recover. Each refusal is one line naming the path; nothing is
created by a refused check."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lsi_rig.core.errors import SessionError
from lsi_rig.core.paths import check_output_dir, check_output_path, make_output_dir


class TestSessionFilePath:
    def test_accepts_a_new_file(self, tmp_path: Path) -> None:
        assert check_output_path(tmp_path / "s.h5", overwrite=False) == tmp_path / "s.h5"
        assert check_output_path(tmp_path / "S.HDF5", overwrite=False)
        assert check_output_path(tmp_path / "any.name", overwrite=False, suffixes=None)

    @pytest.mark.parametrize(
        ("make", "needle"),
        [
            (lambda t: t / "s.txt", "session files must end in .h5 or .hdf5"),
            (lambda t: t / "missing" / "s.h5", "does not exist; create it"),
            (lambda t: (t / "f").write_text("x") and t / "f" / "s.h5", "is not a folder"),
            (lambda t: (t / "d.h5").mkdir() or t / "d.h5", "a folder has that name"),
            (lambda t: (t / "e.h5").write_text("x") and t / "e.h5", "already exists"),
            (lambda t: t / ("x" * 300 + ".h5"), "unusable path"),
        ],
        ids=["suffix", "no-folder", "parent-file", "is-folder", "exists", "name-too-long"],
    )
    def test_refusals(self, tmp_path: Path, make, needle: str) -> None:
        path = make(tmp_path)
        before = sorted(p.name for p in tmp_path.iterdir())
        with pytest.raises(SessionError) as info:
            check_output_path(path, overwrite=False)
        assert needle in str(info.value) and "\n" not in str(info.value)
        assert str(path)[:50] in str(info.value)
        assert sorted(p.name for p in tmp_path.iterdir()) == before

    def test_existing_file_with_overwrite(self, tmp_path: Path) -> None:
        (tmp_path / "e.h5").write_text("x")
        assert check_output_path(tmp_path / "e.h5", overwrite=True)

    def test_unwritable_folder(self, tmp_path: Path, monkeypatch) -> None:
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, m: False if Path(p) == tmp_path else real(p, m))
        with pytest.raises(SessionError, match="is not writable; fix its permissions"):
            check_output_path(tmp_path / "s.h5", overwrite=False)


class TestOutputFolder:
    def test_existing_and_creatable(self, tmp_path: Path) -> None:
        assert check_output_dir(tmp_path) == tmp_path
        deep = tmp_path / "a" / "b" / "c"
        assert check_output_dir(deep) == deep and not (tmp_path / "a").exists()
        assert make_output_dir(deep).is_dir()

    def test_a_file_in_the_way(self, tmp_path: Path) -> None:
        blocker = tmp_path / "blocker"
        blocker.write_text("x")
        with pytest.raises(SessionError, match="blocker is a file, not a folder"):
            check_output_dir(blocker, what="demo --out-dir")
        with pytest.raises(SessionError, match=r"sub/deeper: .*blocker is a file, not a folder"):
            check_output_dir(blocker / "sub" / "deeper")
        with pytest.raises(SessionError, match="is a file"):
            make_output_dir(blocker / "sub")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]

    def test_unwritable(self, tmp_path: Path, monkeypatch) -> None:
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, m: False if Path(p) == tmp_path else real(p, m))
        with pytest.raises(SessionError, match="is not writable; fix its permissions"):
            check_output_dir(tmp_path)
        with pytest.raises(SessionError, match=r"cannot create it, .* is not writable"):
            check_output_dir(tmp_path / "new")

"""Every way a CLI run can end, against the installed typer/click (no mocked framework):
usage errors are one line naming the command and its help, exit 2; user errors one
``lsi-rig: error:`` line and exit 2; Ctrl-C ``lsi-rig: interrupted`` and exit 130 with the
capture's records kept; a bug one line naming the saved traceback and exit 1."""

from __future__ import annotations

import importlib.metadata
import os
import signal
import subprocess
import time
from pathlib import Path

import h5py
import pytest

from lsi_rig.cli.app import log_dir, main
from lsi_rig.storage import RunStatus, open_session
from tests.cli.helpers import REPO, err_lines, lsi_rig_command, run_cli, write_images
from tests.storage.fs import small_tmpfs

CAPTURE = ["capture", "--rig", "sim-ideal", "--masks", "demo:hadamard16:16", "--quiet"]


def _usage_error(done: subprocess.CompletedProcess[str], needle: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    lines = err_lines(done)
    assert "Traceback" not in done.stderr and len(lines) == 1, done.stderr
    assert needle in lines[0], lines
    assert lines[0].startswith("lsi-rig") and ": error: " in lines[0], lines
    assert lines[0].endswith(" --help')"), lines


def test_framework_is_the_one_installed() -> None:
    """These tests mean something only against the typer the pinned range resolves to."""
    version = tuple(int(p) for p in importlib.metadata.version("typer").split(".")[:2])
    assert (0, 12) <= version < (1, 0)


class TestUsageErrors:
    @pytest.mark.parametrize(
        ("args", "needle"),
        [
            (["capture", "--rig", "sim"], "Missing option '--masks'"),
            (["bogus"], "No such command 'bogus'"),
            (["inspect", "--frobnicate", "x.h5"], "No such option: --frobnicate"),
            (["inspect"], "Missing argument"),
            (["recover"], "Missing argument"),
            (["capture", *CAPTURE[1:], "--images", ".", "--out", "o.h5", "--repeats", "abc"],
             "Invalid value for '--repeats'"),
            (["capture", *CAPTURE[1:], "--images", ".", "--out", "o.h5", "--repeats", "0"],
             "Invalid value for '--repeats'"),
            (["capture", *CAPTURE[1:], "--images", ".", "--out", "o.h5", "--repeats",
              str(10**12)], "less than or equal to 100000"),
            (["capture", *CAPTURE[1:], "--images", ".", "--out", "o.h5", "--averages", "1e12"],
             "Invalid value for '--averages'"),
            (["capture", *CAPTURE[1:], "--images", ".", "--out", "o.h5", "--averages", "20000"],
             "less than or equal to 10000"),
            (["capture", *CAPTURE[1:], "--images", ".", "--out", "o.h5", "--size", "60000"],
             "less than or equal to 4096"),
            (["capture", *CAPTURE[1:], "--images", ".", "--out", "o.h5", "--size", "-5"],
             "greater than or equal to 0"),
            (["capture", *CAPTURE[1:], "--images", ".", "--out", "o.h5", "--exposure-us", "0"],
             "Invalid value for '--exposure-us'"),
            (["capture", *CAPTURE[1:], "--images", ".", "--out", "o.h5", "--reference-every",
              "0"], "Invalid value for '--reference-every'"),
            (["demo", "--scenes", "0"], "Invalid value for '--scenes'"),
            (["demo", "--scenes", "99999999"], "less than or equal to 10000"),
            (["models", "convert"], "Missing"),
        ],
        ids=lambda v: "_".join(v)[:40] if isinstance(v, list) else None,
    )  # fmt: skip
    def test_in_process(self, args: list[str], needle: str, capsys, tmp_path: Path) -> None:
        code = main(args)
        err = capsys.readouterr().err
        _usage_error(subprocess.CompletedProcess(args, code, "", err), needle)
        assert not (tmp_path / "o.h5").exists() and not (REPO / "o.h5").exists()

    def test_installed_console_script(self, tmp_path: Path) -> None:
        for args, needle in (
            (["capture", "--rig", "sim"], "Missing option '--masks'"),
            (["frobnicate"], "No such command"),
            (["capture", *CAPTURE[1:], "--images", ".", "--out", "o.h5", "--size", "-5"], "0<="),
        ):
            done = run_cli(*args, cwd=tmp_path)
            if needle == "0<=":  # click's range text differs between releases; the code not
                assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
                continue
            _usage_error(done, needle)

    def test_help_and_no_arguments(self) -> None:
        assert run_cli("--help").returncode == 0
        done = run_cli()
        assert done.returncode in (0, 2) and "Traceback" not in done.stderr
        assert "capture" in done.stdout + done.stderr


class TestUserErrors:
    def _one_line(self, code: int, err: str, *needles: str) -> str:
        lines = [line for line in err.splitlines() if line.strip()]
        assert code == 2 and len(lines) == 1, (code, lines)
        assert lines[0].startswith("lsi-rig: error: ")
        for needle in needles:
            assert needle in lines[0], lines[0]
        return lines[0]

    def test_missing_and_foreign_session_files(self, tmp_path: Path, capsys) -> None:
        png = tmp_path / "photo.h5"
        png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
        for args, needle in (
            (["inspect", str(tmp_path / "absent.h5")], "does not exist"),
            (["inspect", str(png)], "is not an HDF5 file"),
            (["inspect", str(tmp_path)], "is a folder"),
            (["recover", str(png)], "is not an HDF5 file"),
        ):
            self._one_line(main(args), capsys.readouterr().err, needle, str(args[1]))

    def test_demo_out_dir_that_is_a_file(self, tmp_path: Path, capsys) -> None:
        blocker = tmp_path / "afile"
        blocker.write_text("x")
        code = main(["demo", "--out-dir", str(blocker), "--quiet"])
        self._one_line(code, capsys.readouterr().err, "demo --out-dir", "is a file, not a folder")
        self._one_line(main(["demo", "--out-dir", str(blocker / "sub"), "--quiet"]),
                       capsys.readouterr().err, "is a file, not a folder")  # fmt: skip
        assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]

    def test_demo_out_dir_read_only(self, tmp_path: Path, capsys) -> None:
        with small_tmpfs(tmp_path / "ro", 1024) as disk:
            if disk is None:
                pytest.skip("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)")
            if subprocess.run(["mount", "-o", "remount,ro", str(disk)]).returncode != 0:
                pytest.skip("cannot remount read-only")
            line = self._one_line(main(["demo", "--out-dir", str(disk), "--quiet"]),
                                  capsys.readouterr().err, str(disk), "not writable")  # fmt: skip
            assert "fix its permissions" in line
            line = self._one_line(main(["demo", "--out-dir", str(disk / "new"), "--quiet"]),
                                  capsys.readouterr().err, "cannot create it")  # fmt: skip
            assert list(disk.iterdir()) == []

    def test_zero_byte_mask_file_is_one_line(self, tmp_path: Path, capsys) -> None:
        """A zero-byte .npy used to end in typer's bare Abort (EOFError inside the command)."""
        images = write_images(tmp_path / "img", 2)
        empty = tmp_path / "masks.npy"
        empty.write_bytes(b"")
        os.environ["LSI_RIG_LOG_DIR"] = str(tmp_path / "logs")
        try:
            code = main([*CAPTURE[:3], "--masks", str(empty), "--quiet", "--images", str(images),
                         "--out", str(tmp_path / "o.h5")])  # fmt: skip
        finally:
            del os.environ["LSI_RIG_LOG_DIR"]
        lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert code in (1, 2) and len(lines) == 1, lines  # 2 once the loader names the file
        assert lines[0].startswith("lsi-rig: ") and "Abort" not in lines[0]
        assert not (tmp_path / "o.h5").exists()


class TestInternalErrors:
    def test_bug_is_one_line_and_a_saved_traceback(
        self, tmp_path: Path, capsys, monkeypatch
    ) -> None:
        import lsi_rig.storage as storage

        def broken(*args: object, **kwargs: object) -> None:
            raise ZeroDivisionError("deliberate bug for the test")

        monkeypatch.setattr(storage, "open_session", broken)
        monkeypatch.setenv("LSI_RIG_LOG_DIR", str(tmp_path / "logs"))
        assert log_dir() == tmp_path / "logs"
        code = main(["inspect", str(tmp_path / "x.h5")])
        lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert code == 1 and len(lines) == 1, lines
        assert lines[0].startswith("lsi-rig: internal error (a bug, please report it): "
                                   "ZeroDivisionError: deliberate bug for the test; full "
                                   "traceback in ")  # fmt: skip
        (report,) = (tmp_path / "logs").glob("crash-*.log")
        assert str(report) in lines[0]
        text = report.read_text()
        assert "Traceback (most recent call last)" in text and "def broken" not in text
        assert "raise ZeroDivisionError" in text and "command: lsi-rig inspect" in text

    def test_default_log_dir_follows_xdg(self, monkeypatch, tmp_path: Path) -> None:
        monkeypatch.delenv("LSI_RIG_LOG_DIR", raising=False)
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
        if os.name == "posix" and os.uname().sysname == "Linux":
            assert log_dir() == tmp_path / "state" / "lsi-rig"


class TestInterrupt:
    def test_sigint_ends_the_capture_interrupted_with_records_kept(self, tmp_path: Path) -> None:
        images = write_images(tmp_path / "img", 300)
        out = tmp_path / "int.h5"
        args = ["capture", "--rig", "sim", "--masks", "demo:hadamard16:64", "--images",
                str(images), "--out", str(out), "--size", "32", "--quiet"]  # fmt: skip
        env = dict(os.environ, PYTHONPATH=str(REPO))
        proc = subprocess.Popen(
            [*lsi_rig_command(), *args],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 120
            seen = 0
            while seen < 3 and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.1)
                if out.exists():
                    try:
                        with open_session(out) as reader:
                            seen = reader.n_records
                    except Exception:
                        continue
            assert seen >= 3 and proc.poll() is None, "capture ended before it could be stopped"
            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=30)
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert proc.returncode == 130, stderr[-2000:]
        assert lines[-1] == "lsi-rig: interrupted" and "Traceback" not in stderr, lines
        with open_session(out) as reader:
            assert reader.status is RunStatus.INTERRUPTED and not reader.needs_recovery
            n = reader.n_records
            assert seen <= n < 300
            assert reader.vectors("samples").shape == (n, reader.shape.n_patterns)
            assert reader.log_lines()[-1].endswith(f"session closed: interrupted, {n} records")
        with h5py.File(out, "r") as f:  # closed properly: plain h5py opens it
            assert f.attrs["status"] == "interrupted" and int(f.attrs["n_records"]) == n

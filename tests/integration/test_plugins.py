"""A rig file never imports code by itself: ``module:attr`` strings are refused before anything
runs, and plug-ins come only from entry points of installed distributions (a real
``*.dist-info`` on ``sys.path``), imported when the rig is built, not when the file is read."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lsi_rig.cli.app import main
from lsi_rig.config import load_rig
from lsi_rig.core.backend_context import BackendContext
from lsi_rig.core.clock import SimClock
from lsi_rig.core.errors import ConfigError
from lsi_rig.core.plugins import USB_BACKENDS_GROUP, backend_group, plugin_names
from lsi_rig.dmd.config import Dlpc350Config
from lsi_rig.dmd.dlpc350.backend import create as create_dlpc350
from lsi_rig.dmd.dlpc350.emulator import start_emulator
from lsi_rig.engine import AcquisitionEngine
from lsi_rig.jobs.plans import plan_from_config
from lsi_rig.masks import load_masks
from lsi_rig.rig import build_rig
from lsi_rig.scenes.procedural import demo_scenes
from lsi_rig.scenes.source import InMemoryScenes

from .plugin_dist import installed_plugin

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def markers(tmp_path: Path) -> Path:
    folder = tmp_path / "markers"
    folder.mkdir()
    return folder


@pytest.fixture
def plugin(tmp_path: Path, markers: Path) -> Iterator[Path]:
    with installed_plugin(tmp_path / "site", markers) as root:
        yield root


@pytest.fixture
def private_tmp(tmp_path: Path) -> Iterator[Path]:
    """``tempfile`` writes here during the test, so 'tempfile:mkdtemp' running would show."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    old = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = old


def _rig(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "rig.yaml"
    path.write_text("name: plug\nworld: {seed: 1}\n" + body)
    return path


DMD_WITH = "devices:\n  dmd: {{backend: dlpc350, usb_backend: '{}'}}\n"
SYNC_WITH = "devices:\n  sync: {{backend: '{}'}}\n"


class TestRigStringsImportNothing:
    @pytest.mark.parametrize(
        "body",
        [
            DMD_WITH.format("tempfile:mkdtemp"),
            DMD_WITH.format("lsi_stray_module:thing"),
            DMD_WITH.format("os:system"),
            DMD_WITH.format("lsi_test_plugin:make_backend"),  # a real plug-in's target, by path
            SYNC_WITH.format("lsi_stray_module:thing"),
            SYNC_WITH.format("lsi_test_plugin:create_sync"),
            "devices:\n  detector: {backend: 'tempfile:mkdtemp'}\n",
            "devices:\n  display: {backend: 'lsi_stray_module:thing', options: {}}\n",
        ],
    )
    def test_module_paths_are_refused_before_anything_runs(
        self, tmp_path: Path, plugin: Path, markers: Path, private_tmp: Path, body: str
    ) -> None:
        with pytest.raises(ConfigError) as err:
            load_rig(_rig(tmp_path, body))
        message = str(err.value)
        assert "rig files never import code" in message and "entry-points" in message, message
        assert "\n" not in message
        assert list(markers.iterdir()) == []  # neither the stray module nor the plug-in ran
        assert list(private_tmp.iterdir()) == []  # tempfile.mkdtemp did not run

    def test_cli_refuses_tempfile_mkdtemp_in_one_line(
        self,
        tmp_path: Path,
        private_tmp: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        images = tmp_path / "images"
        images.mkdir()
        Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(images / "a.png")
        out = tmp_path / "out.h5"
        rig = _rig(tmp_path, DMD_WITH.format("tempfile:mkdtemp"))
        code = main(
            ["capture", "--rig", str(rig), "--masks", "demo:hadamard16:4",
             "--images", str(images), "--out", str(out), "--quiet"]
        )  # fmt: skip
        err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert code == 2 and len(err) == 1, err
        assert "devices.dmd.usb_backend" in err[0] and "never import code" in err[0]
        assert not out.exists() and list(private_tmp.iterdir()) == []


class TestEntryPointPlugins:
    def test_groups_list_the_installed_distribution(self, plugin: Path, markers: Path) -> None:
        assert plugin_names(USB_BACKENDS_GROUP) == ["broken-lcr", "fake-lcr"]
        assert plugin_names(backend_group("sync")) == ["counting-sync"]
        assert list(markers.iterdir()) == []  # listing reads metadata only

    def test_unknown_name_lists_what_is_installed(self, tmp_path: Path, plugin: Path) -> None:
        with pytest.raises(ConfigError) as err:
            load_rig(_rig(tmp_path, DMD_WITH.format("fake-lrc")))
        message = str(err.value)
        assert "devices.dmd.usb_backend" in message and "no pyusb backend plug-in" in message
        assert "broken-lcr, fake-lcr" in message
        with pytest.raises(ConfigError, match=r"built-in: none, sim, serial.*counting-sync"):
            load_rig(_rig(tmp_path, SYNC_WITH.format("countingsync")))

    def test_usb_backend_plugin_is_imported_only_when_the_dmd_is_built(
        self, plugin: Path, markers: Path
    ) -> None:
        cfg = Dlpc350Config(usb_backend="fake-lcr", video_output="emulator")
        assert list(markers.iterdir()) == []  # validated by name, not imported
        video = start_emulator(None)
        ctx = BackendContext(rig=None, clock=SimClock(), endpoints=video.endpoints)  # type: ignore[arg-type]
        device = create_dlpc350(cfg, ctx)
        try:
            assert (markers / "plugin-imported").read_text() == "yes"
            assert device.describe()["firmware"]["firmware_tag"] == "LSI-RIG EMULATED DLPC350"
            assert not device.status().running
        finally:
            device.close()

    def test_broken_plugin_is_one_config_error(self, plugin: Path) -> None:
        from lsi_rig.dmd.dlpc350.usb_transport import resolve_usb_backend

        Dlpc350Config(usb_backend="broken-lcr")  # registered: accepted by the schema
        with pytest.raises(ConfigError, match=r"plug-in 'broken-lcr'.*failed to load.*Module"):
            resolve_usb_backend("broken-lcr")

    def test_device_backend_plugin_runs_a_capture(
        self, tmp_path: Path, plugin: Path, markers: Path
    ) -> None:
        sim = load_rig("sim").model_dump(mode="json")
        sim["devices"]["sync"] = {"backend": "counting-sync", "options": {"pin": 3}}
        path = tmp_path / "rig.yaml"
        import yaml

        path.write_text(yaml.safe_dump(sim))
        config = load_rig(path)
        assert list(markers.iterdir()) == []
        plan = plan_from_config(
            config.acquisition,
            scenes=InMemoryScenes(demo_scenes(count=2)),
            masks=load_masks("demo:hadamard16:8"),
        )
        records = []
        with build_rig(config) as rig:
            import lsi_test_plugin  # type: ignore[import-not-found]

            assert lsi_test_plugin.CREATED == [{"pin": 3}]
            summary = AcquisitionEngine(rig).run(plan, _ListSink(records))
        assert summary.records_written == 2 and len(records) == 2
        assert summary.flag_counts == {}


class _ListSink:
    def __init__(self, out: list[object]) -> None:
        self.out = out

    def append(self, record: object) -> int:
        self.out.append(record)
        return len(self.out) - 1

"""A real installed distribution for plug-in tests: a package plus its ``*.dist-info`` (METADATA
and ``entry_points.txt``) in a folder put on ``sys.path``, exactly what pip leaves behind.

Importing the package writes a marker file, so a test can prove *when* (and whether) any code
named by a rig file ran.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PACKAGE = "lsi_test_plugin"
STRAY_MODULE = "lsi_stray_module"  # importable, but registered nowhere

ENTRY_POINTS = """\
[lsi_rig.usb_backends]
fake-lcr = lsi_test_plugin:make_backend
broken-lcr = lsi_test_plugin.missing:make_backend

[lsi_rig.backends.sync]
counting-sync = lsi_test_plugin:create_sync
"""

PACKAGE_SOURCE = '''\
"""Plug-in package used by the tests (installed into a temporary sys.path folder)."""
import os
from pathlib import Path

Path(os.environ["LSI_PLUGIN_MARKER_DIR"], "plugin-imported").write_text("yes")
CREATED = []


def make_backend():
    from lsi_rig.dmd.dlpc350.emulator import start_emulator

    return start_emulator(None).usb_backend


def create_sync(config, ctx):
    from lsi_rig.sync.sim import SimSync

    CREATED.append(dict(config.options))
    return SimSync(ctx.world)
'''

STRAY_SOURCE = """\
import os
from pathlib import Path

Path(os.environ["LSI_PLUGIN_MARKER_DIR"], "stray-imported").write_text("yes")
thing = object()
"""


@contextmanager
def installed_plugin(root: Path, marker_dir: Path) -> Iterator[Path]:
    """Install the test distribution under ``root`` and put it on ``sys.path``."""
    import os

    package = root / PACKAGE
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(PACKAGE_SOURCE)
    (root / f"{STRAY_MODULE}.py").write_text(STRAY_SOURCE)
    info = root / "lsi_test_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lsi-test-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(ENTRY_POINTS))
    (info / "RECORD").write_text("")
    old_env = os.environ.get("LSI_PLUGIN_MARKER_DIR")
    os.environ["LSI_PLUGIN_MARKER_DIR"] = str(marker_dir)
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        yield root
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.split(".")[0] in (PACKAGE, STRAY_MODULE)]:
            del sys.modules[name]
        importlib.invalidate_caches()
        if old_env is None:
            os.environ.pop("LSI_PLUGIN_MARKER_DIR", None)
        else:
            os.environ["LSI_PLUGIN_MARKER_DIR"] = old_env

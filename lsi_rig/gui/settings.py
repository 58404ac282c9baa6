"""Persistent app settings (dock layout, window geometry, recent files) through QSettings.

Always the INI format in the user scope, so a test can redirect every read and write with
``QSettings.setPath(IniFormat, UserScope, tmp)`` and never touch the operator's settings.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import QSettings

from lsi_rig.gui.defaults import APPLICATION, ORGANIZATION, RECENT_FILES


def app_settings() -> QSettings:
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
    )


def recent_files() -> list[Path]:
    value = app_settings().value("session/recent", [])
    items = [value] if isinstance(value, str) else list(value or [])
    return [Path(p) for p in items if p][:RECENT_FILES]


def add_recent_file(path: Path) -> list[Path]:
    path = Path(path).absolute()
    files = [path, *(p for p in recent_files() if p != path)][:RECENT_FILES]
    app_settings().setValue("session/recent", [str(p) for p in files])
    return files

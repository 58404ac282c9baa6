"""Screenshot of an X display as a compositor would show it: every mapped top-level window
pasted in stacking order over the root window.

Under Xvfb without a compositing window manager, Qt's child dialogs read back black from the
root window although the windows themselves hold their pixels; grabbing each window (``xwd
-id``) and stacking them gives what an operator sees on a real desktop.

    python tools/xshot.py OUT.png        (DISPLAY must be set; needs xwininfo, xwd, convert)
"""

from __future__ import annotations

import io
import re
import subprocess
import sys

from PIL import Image

CONVERT = "/usr/bin/convert"  # ImageMagick itself
_CHILD = re.compile(r"^\s+(0x[0-9a-f]+) .*?\s(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(-?\d+)\+(-?\d+)\s*$")


def grab(window: str | None) -> Image.Image:
    """One window's pixels (None: the root window)."""
    which = ["-root"] if window is None else ["-id", window]
    xwd = subprocess.run(["xwd", "-silent", *which], capture_output=True, check=True)
    png = subprocess.run([CONVERT, "xwd:-", "png:-"], input=xwd.stdout, capture_output=True,
                         check=True)  # fmt: skip
    return Image.open(io.BytesIO(png.stdout)).convert("RGB")


def viewable(window: str) -> bool:
    info = subprocess.run(["xwininfo", "-id", window], capture_output=True, text=True)
    return "Map State: IsViewable" in info.stdout


def main(out: str) -> None:
    screen = grab(None)
    tree = subprocess.run(["xwininfo", "-root", "-children"], capture_output=True, text=True)
    children = [m.groups() for line in tree.stdout.splitlines() if (m := _CHILD.match(line))]
    for window, w, h, x, y in reversed(children):  # xwininfo lists the topmost first
        if int(w) < 16 or int(h) < 16 or not viewable(window):
            continue
        try:
            screen.paste(grab(window), (int(x), int(y)))
        except subprocess.CalledProcessError:  # the window went away meanwhile
            continue
    screen.save(out)


if __name__ == "__main__":
    main(sys.argv[1])

"""PNG figures of the steps: matplotlib's object API on the Agg canvas (no pyplot state, so
steps can draw in worker threads)."""

from __future__ import annotations

import io
from collections.abc import Callable

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def render_png(draw: Callable[[Figure], None], *, size_in: tuple[float, float] = (11, 4)) -> bytes:
    """Draw into a fresh figure and return it as PNG bytes."""
    figure = Figure(figsize=size_in, dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    draw(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()

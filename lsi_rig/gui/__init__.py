"""The desktop app (PyQt6 + pyqtgraph): a thin client of the job, decode and storage services.

The only package that imports Qt widgets or pyqtgraph. Captures run in the capture job's own
thread, rigs are built and polled in a worker thread, decoding runs in the live decoder's
thread; the GUI thread only draws, from a redraw timer reading the latest state.
"""

#!/usr/bin/env bash
# Screenshots of the real desktop app under Xvfb, driven with xdotool, for README and docs/gui.md.
#
#   tools/screenshots.sh [OUT_DIR]        (default docs/screenshots)
#
# Needs Debian packages: xvfb xdotool x11-apps x11-utils imagemagick libxcb-cursor0
# libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
# libxcb-shape0 libegl1. No window manager: windows go exactly where xdotool puts them (and
# have no title bars); tools/xshot.py stacks them as a compositor would.
# One 2480x1080 X screen: the app's window fills the left 1920x1080 (a lab PC's monitor) and
# the scene window sits at the top right, beside it, where a second monitor would be. Settings,
# log and sessions go to a temporary folder (never the user's).
set -euo pipefail

OUT=${1:-docs/screenshots}
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/lsi-rig-shots.XXXXXX)
DISPLAY_NUMBER=${DISPLAY_NUMBER:-173}
export DISPLAY=":$DISPLAY_NUMBER" QT_QPA_PLATFORM=xcb
export XDG_DATA_HOME="$WORK/data" XDG_RUNTIME_DIR="$WORK/run"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

Xvfb "$DISPLAY" -screen 0 2480x1080x24 -nolisten tcp -noreset >"$WORK/xvfb.log" 2>&1 &
XVFB=$!
APP=""
cleanup() {
    if [ -n "$APP" ]; then kill "$APP" 2>/dev/null || true; wait "$APP" 2>/dev/null || true; fi
    kill "$XVFB" 2>/dev/null || true
    wait "$XVFB" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 300); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
xdpyinfo >/dev/null 2>&1 || { echo "Xvfb $DISPLAY did not start (see $WORK/xvfb.log)" >&2; exit 1; }

shot() {  # shot NAME: the whole X screen in one grab (main window and scene window agree)
    sleep 0.6
    xwd -root -silent | /usr/bin/convert xwd:- "$OUT/$1.png"
    echo "wrote $OUT/$1.png"
}

dialog_shot() {  # dialog_shot NAME: windows stacked as a compositor shows them; without a
    sleep 0.6    # window manager a Qt dialog reads back black from the root window
    python "$(dirname "$0")/xshot.py" "$OUT/$1.png"
    echo "wrote $OUT/$1.png"
}

main_window() {  # the app's main window id, once it is mapped
    for _ in $(seq 120); do
        local id
        id=$(xdotool search --onlyvisible --name "^lsi-rig — rig" 2>/dev/null | head -1 || true)
        if [ -n "$id" ]; then echo "$id"; return; fi
        sleep 0.25
    done
    echo "no main window" >&2
    exit 1
}

RUN=0
start_app() {  # start_app ARGS...: a fresh app (fresh settings), its window at 0,0, 1920x1080
    RUN=$((RUN + 1))
    kill -0 "$XVFB" 2>/dev/null || { echo "Xvfb $DISPLAY has gone away" >&2; exit 1; }
    XDG_CONFIG_HOME="$WORK/config-$RUN" lsi-rig gui --sessions-dir "$WORK/sessions" \
        --log-file "$WORK/gui-$RUN.log" "$@" >"$WORK/app-$RUN.log" 2>&1 &
    APP=$!
    WIN=$(main_window)
    xdotool windowmove "$WIN" 0 0 windowsize "$WIN" 1920 1080
    sleep 0.5
    focus
}

stop_app() {  # Ctrl+Q, then wait (at most 30 s) for the app to be gone
    key ctrl+q
    for _ in $(seq 120); do kill -0 "$APP" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$APP" 2>/dev/null; then echo "the app did not quit" >&2; exit 1; fi
    wait "$APP" 2>/dev/null || true
    APP=""
}

wait_log() {  # wait_log TEXT: until this app's log has a line containing TEXT
    for _ in $(seq 240); do grep -q "$1" "$WORK/gui-$RUN.log" 2>/dev/null && return; sleep 0.25; done
    echo "timed out waiting for '$1' in the log" >&2
    exit 1
}

focus() { xdotool windowfocus --sync "$WIN" 2>/dev/null || true; }

key() {  # real key presses (XTEST) into the app's window (xdotool --window loses modifiers)
    focus
    xdotool key "$@"
}

# 1. The sim rig connected, nothing captured yet.
start_app --rig sim --repeats 400
wait_log "rig sim connected"
shot 01-ready

# 2. F5: demo faces on the scene window, bars moving, reconstructions arriving.
key F5
wait_log "capture started"
sleep 1.0
shot 02-capturing

# 3. Esc stops it: the file is closed 'interrupted' with every record kept.
key Escape
wait_log "capture interrupted\|capture ended"
sleep 1.0
shot 03-stopped

# 4. Review the file just written (Ctrl+O, type its path), step to another record.
SESSION=$(find "$WORK/sessions" -name '*.h5' | head -1)
key ctrl+o
sleep 1.5
xdotool type --delay 5 "$SESSION"
xdotool key Return
wait_log "review: opened"
WIN=$(main_window)
for _ in 1 2 3 4 5 6 7; do key Next; sleep 0.1; done
shot 04-review
stop_app

# 5. The emulated rig: real DLPC350, NI-DAQmx and serial drivers against the emulators.
start_app --rig emulated --repeats 5
wait_log "rig emulated connected"
key F5
wait_log "capture started"
sleep 3.0
shot 05-emulated
key Escape
wait_log "capture interrupted\|capture ended"
stop_app

# 6. A bad mask file: the dialog shows the line the CLI prints.
python - "$WORK/grey.npy" <<'PY'
import sys
import numpy as np
np.save(sys.argv[1], np.full((4, 8, 8), 0.5))
PY
start_app --rig sim
wait_log "rig sim connected"
key ctrl+m
sleep 1.5
xdotool type --delay 5 "$WORK/grey.npy"
xdotool key Return
sleep 1.5
dialog_shot 06-bad-masks
xdotool key Return  # closes the dialog
stop_app
# 7. The Masks panel (behind the Scene tab at the bottom right of a fresh layout).
start_app --rig emulated
wait_log "rig emulated connected"
xdotool mousemove 1625 1044 click 1
sleep 0.5
shot 07-masks
stop_app
echo "screenshots in $OUT"

"""What the stand-ins that keep files share (imported from beside them):
one JSON line appended per stored item or request, under one lock for the
whole process, and the status a test writes into a --control file.
Python 3 standard library only."""
import json
import threading

_LOCK = threading.Lock()


def append_json_line(path, obj):
    """Appends obj as one compact JSON line to path (nothing when path is empty)."""
    if not path:
        return
    with _LOCK, open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(obj, separators=(",", ":")) + "\n")


def read_status(path):
    """The HTTP status written in the control file at path, or None (no path,
    no file, empty, or not a number)."""
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None

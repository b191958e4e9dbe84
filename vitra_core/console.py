"""What a person sees on the terminal, and where third-party noise goes instead (the CLI's quiet mode).

MediaPipe's C++ (absl/TFLite: "W0000 ... inference_feedback_manager.cc", "INFO: Created TensorFlow Lite
XNNPACK delegate") writes to file descriptor 2 directly, before absl's logging is initialised, so neither
Python's logging nor GLOG_minloglevel / TF_CPP_MIN_LOG_LEVEL / ABSL_MIN_LOG_LEVEL silence it (measured with
mediapipe 0.10.14). `captured_output` therefore points fd 2 itself at a log file for the duration of the
work, and `sys.stderr` with it (Python warnings, library loggers, Dagster's console logger); the terminal's
stderr stays reachable as `terminal()`, which is where progress bars and one-line errors go.
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

MAX_LOG_BYTES = 10 * 1024 * 1024  # then the log is rotated once to <name>.1

_terminal: TextIO | None = None
_log_file: Path | None = None
_verbose = False
_own_bytes = 0  # what `to_log` wrote: not library output, so it alone does not earn the "library output" line


def terminal() -> TextIO:
    """The person's stderr: the terminal while output is captured, else `sys.stderr` as it is now."""
    return _terminal or sys.stderr


def capturing() -> Path | None:
    """The log file third-party output goes to now, or None when nothing is captured."""
    return _log_file


def verbose() -> bool:
    """True when the person asked to see everything (`vitra --verbose`)."""
    return _verbose


def detailed_logs() -> bool:
    """Whether libraries may log at DEBUG: the output goes to the log file, or the person asked for it."""
    return _verbose or _log_file is not None


def to_log(text: str) -> None:
    """Write `text` to the log file (e.g. the traceback behind a one-line error); to stderr when not capturing."""
    global _own_bytes
    stream = sys.stderr
    stream.flush()
    if _log_file is None:
        print(text, file=stream)
        return
    before = os.fstat(2).st_size
    print(text, file=stream)
    stream.flush()
    _own_bytes += os.fstat(2).st_size - before


def progress(iterable=None, **kwargs):
    """A tqdm bar on the terminal (not the log); `disable=None` (the default here) shows it only on a tty."""
    from tqdm import tqdm

    kwargs.setdefault("disable", None)
    kwargs.setdefault("dynamic_ncols", True)
    return tqdm(iterable, file=terminal(), **kwargs)


def _rotate(log_file: Path) -> None:
    if log_file.exists() and log_file.stat().st_size > MAX_LOG_BYTES:
        os.replace(log_file, log_file.with_name(log_file.name + ".1"))


@contextmanager
def captured_output(log_file: Path | None, show_everything: bool = False) -> Iterator[TextIO]:
    """Send fd 2 and `sys.stderr` to `log_file` (appended, one header line per call) while the body runs;
    yields the terminal stream. With `show_everything` (or no log file) nothing is redirected."""
    global _terminal, _log_file, _verbose, _own_bytes
    if show_everything or log_file is None:
        previous = _verbose
        _verbose = show_everything
        try:
            yield sys.stderr
        finally:
            _verbose = previous
        return
    log_file.parent.mkdir(parents=True, exist_ok=True)
    _rotate(log_file)
    log = open(log_file, "a", buffering=1, encoding="utf-8", errors="replace")
    log.write(f"\n===== {time.strftime('%Y-%m-%d %H:%M:%S')} pid {os.getpid()}: {' '.join(sys.argv)}\n")
    log.flush()
    header_end = os.fstat(log.fileno()).st_size
    old_stderr = sys.stderr
    for stream in (sys.stdout, old_stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    saved_fd = os.dup(2)
    try:
        on_fd2 = old_stderr.fileno() == 2
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        on_fd2 = False  # e.g. click's CliRunner: the person's stream is a Python object, keep writing to it
    shown = open(os.dup(saved_fd), "w", buffering=1, encoding=getattr(old_stderr, "encoding", None) or "utf-8",
                 errors="replace") if on_fd2 else old_stderr
    os.dup2(log.fileno(), 2)
    sys.stderr = log
    _terminal, _log_file, _own_bytes = shown, log_file, 0
    try:
        yield shown
    finally:
        for stream in (sys.stderr, log):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        sys.stderr = old_stderr
        _terminal, _log_file = None, None
        if os.fstat(log.fileno()).st_size - _own_bytes > header_end:
            shown.write(f"(library output: {log_file}; `vitra --verbose` shows it here)\n")
            shown.flush()
        if shown is not old_stderr:
            shown.close()
        log.close()

"""`cimic index --watch`: rebuild when the corpus changes, once it has been quiet for a moment."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path


def watch(
    corpus_dir: Path,
    on_change: Callable[[], None],
    debounce: float = 2.0,
    stop: threading.Event | None = None,
) -> None:
    """Call on_change after corpus_dir changes and then stays unchanged for `debounce` seconds.

    Runs until `stop` is set (or Ctrl-C). Editors write files in bursts; the debounce turns a burst
    into one rebuild.
    """
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    stop = stop or threading.Event()
    changed = threading.Event()
    last = [0.0]

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            last[0] = time.monotonic()
            changed.set()

    observer = Observer()
    observer.schedule(Handler(), str(corpus_dir), recursive=True)
    observer.start()
    try:
        while not stop.is_set():
            if changed.is_set() and time.monotonic() - last[0] >= debounce:
                changed.clear()
                on_change()
            stop.wait(0.1)
    except KeyboardInterrupt:
        pass
    finally:
        observer.stop()
        observer.join()

"""Locates and starts the Gradio UI of app.py for `cimic serve` (Gradio is imported only here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def find_app() -> Path:
    """app.py in the working directory, else beside the source tree of this package."""
    for candidate in (Path.cwd() / "app.py", Path(__file__).resolve().parents[2] / "app.py"):
        if candidate.is_file():
            return candidate
    from .errors import CimicError

    raise CimicError("app.py not found; run `cimic serve` from the project directory")


def serve(argv: list[str]) -> None:
    """Run app.py's main with these command-line arguments."""
    path = find_app()
    spec = importlib.util.spec_from_file_location("cimic_app", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    module.main(argv)

"""Lazy package exports (PEP 562): a package names what it offers without importing the heavy modules
(torch, mediapipe, mujoco, transformers, cv2) behind those names until one is first used.

    __getattr__, __dir__, __all__ = lazy_exports(__name__, {"loader": ["EpisodeWindowDataset"], ...})

`from package import Name` works as before; only the import of the package itself becomes cheap, so
loading the Dagster definitions (which reach many packages for their settings) costs no model library.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable


def lazy_exports(package: str, exports: dict[str, list[str]]) -> tuple[Callable[[str], object], Callable[[], list[str]], list[str]]:
    """`__getattr__`, `__dir__` and `__all__` for `package`; `exports` maps a submodule to the names it provides."""
    where = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> object:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{where[name]}"), name)
        setattr(sys.modules[package], name, value)  # resolved once; later lookups are plain attributes
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(where))

    return __getattr__, __dir__, sorted(where)

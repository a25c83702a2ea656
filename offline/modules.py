"""Each program (or policy pack) imports its own modules, as in a process of its own.

The Pulumi CLI starts a fresh language host per preview, so a program's ``import components``
finds the ``components`` next to its ``__main__.py``. Run in one process after another program
(the tests, a corpus, a copy of a project), Python's module cache would hand it the first
program's ``components`` instead. :func:`own_modules` puts the program's directory first on
``sys.path`` and, for the run, sets aside the cached modules of the names that directory
provides but that were loaded from elsewhere; the program's own modules are kept for its next
run, and what was set aside comes back afterwards. Installed packages (the standard library,
site-packages) are never set aside.
"""

from __future__ import annotations

import contextlib
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

_OWN: dict[Path, dict[str, ModuleType]] = {}
"""Per directory: the modules a program imported from it, kept between its runs."""
_INSTALLED = tuple(
    Path(p).resolve() for p in {sysconfig.get_path(k) for k in ("stdlib", "platstdlib", "purelib", "platlib")} if p
)


def _provided(directory: Path) -> set[str]:
    """Top-level module names importable from ``directory``."""
    names = set()
    for entry in directory.iterdir():
        if entry.suffix == ".py" and entry.stem != "__main__":
            names.add(entry.stem)
        elif entry.is_dir() and entry.name.isidentifier():
            names.add(entry.name)
    return names


def _locations(module: ModuleType) -> list[Path]:
    file = getattr(module, "__file__", None)
    if file:
        return [Path(file).resolve()]
    return [Path(p).resolve() for p in getattr(module, "__path__", [])]


def _from(name: str, module: ModuleType, directory: Path) -> bool:
    """Whether ``name`` was imported from ``directory`` itself: its top-level module is a file or
    package directly in it (a project or pack nested in a subdirectory has modules of its own)."""
    top = name.partition(".")[0]
    file, package = directory / f"{top}.py", directory / top
    return any(p == file or p.is_relative_to(package) for p in _locations(module))


def _installed(module: ModuleType) -> bool:
    locations = _locations(module)
    return not locations or any(p.is_relative_to(i) for p in locations for i in _INSTALLED)


@contextlib.contextmanager
def own_modules(directory: Path) -> Iterator[None]:
    """Run the body with ``directory`` first on ``sys.path`` and its own modules in the cache."""
    directory = directory.resolve()
    provided = _provided(directory)

    def ours(name: str) -> bool:
        return name.partition(".")[0] in provided

    set_aside = {
        name: module
        for name, module in list(sys.modules.items())
        if ours(name) and module is not None and not _from(name, module, directory) and not _installed(module)
    }
    for name in set_aside:
        del sys.modules[name]
    for name, module in _OWN.get(directory, {}).items():
        sys.modules.setdefault(name, module)
    saved_path = list(sys.path)
    sys.path.insert(0, str(directory))
    try:
        yield
    finally:
        sys.path[:] = saved_path
        own = {
            name: module
            for name, module in list(sys.modules.items())
            if ours(name) and module is not None and _from(name, module, directory)
        }
        _OWN[directory] = own
        if set_aside:
            for name in own:
                del sys.modules[name]
            sys.modules.update(set_aside)

"""Files that hold a secret (keys, passwords, device secrets): readable by Millet's user only.

Every such file is created with mode 0600 from the first byte (``os.open`` with the mode, never
written first and restricted after) and re-restricted when it already existed with a wider mode, so
a secret is never readable by another local user, not even for an instant. A folder made for such
files is created 0700; an existing folder is left as it is (it may be one the operator shares,
such as the data directory they chose). ``tests/core/test_private_files.py`` lists every place
Millet writes a file and checks that those holding secrets come through here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import IO

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path) -> Path:
    """Create ``path`` with mode 0700 (parents with the default mode) unless it exists; return it."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    return path


def open_private(path: Path, *, append: bool = False, newline: str | None = None) -> IO[str]:
    """Open a text file for writing (truncating, or appending) with mode 0600, whatever it had."""
    private_folder(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)  # the mode argument applies only to a file it creates
    return os.fdopen(fd, "w", newline=newline)


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text`` (readers see the old or the new file, never half)."""
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    with open_private(draft) as handle:
        handle.write(text)
    os.replace(draft, path)


def create_private_once(path: Path, make: Callable[[], str]) -> str:
    """The file's text, writing ``make()`` first if it does not exist yet.

    Linking the finished draft is atomic and fails if the file appeared meanwhile, so of processes
    starting together exactly one writes and all of them read the same text.
    """
    if not path.exists():
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        with open_private(draft) as handle:
            handle.write(make())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            with suppress(FileNotFoundError):
                draft.unlink()
    restrict(path)
    return path.read_text()


def restrict(path: Path) -> None:
    """Make an existing file 0600 if others may read it (for files another program created, or an
    older install left wider); a file already private is not touched."""
    if path.stat().st_mode & 0o077:
        path.chmod(FILE_MODE)


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (so a program that fills it later, such as
    SQLite, finds it private: SQLite gives its WAL and shared-memory files the database's mode)."""
    private_folder(path.parent)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))

"""Files in the data directory hold personal data: only their owner may read them, from the
moment they exist.

Every directory is created 0700 and every file 0600 by the call that creates it (`os.open` and
`os.makedirs` with the mode), never created first and tightened afterwards. SQLite creates a
database's `-wal` and `-shm` files with the mode of the database file itself, so a database is
created empty here (0600) before SQLite opens it. Files and directories of an older install
that are open to others are tightened when they are next opened.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
OPEN_TO_OTHERS = 0o077

log = logging.getLogger("bewijsketen.files")


def private_dir(path: Path) -> Path:
    """The directory, created 0700 if missing (its parents as the umask says)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(path, PRIVATE_DIR)
    except FileExistsError:
        _tighten_dir(path)
    return path


def _tighten_dir(path: Path) -> None:
    info = os.stat(path)
    if not stat.S_ISDIR(info.st_mode) or not info.st_mode & OPEN_TO_OTHERS:
        return
    # Never narrow a directory shared on purpose (a sticky /tmp) or someone else's.
    if info.st_mode & stat.S_ISVTX or info.st_uid != os.getuid():
        log.warning("%s is open to group or others; keep the data directory private", path)
        return
    os.chmod(path, PRIVATE_DIR)


def private_file(path: Path) -> Path:
    """The file, created empty and 0600 if missing; an existing one open to others is
    tightened (it is the project's own: the data directory holds nothing else)."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    try:
        if os.fstat(fd).st_mode & OPEN_TO_OTHERS:
            os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Replaces the file's content atomically (write beside, then rename); 0600 throughout."""
    private_dir(path.parent)
    # mkstemp creates the file 0600.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

"""Atomic file writes: a reader (or a crash) never sees half a file, and a full disk keeps the previous version."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FULL = (errno.ENOSPC, errno.EDQUOT)  # no space left on the device, or the user's quota is spent


class DiskFull(OSError):
    """A write failed for want of space (or quota); the file's previous version, if any, is left as it was."""

    def __str__(self) -> str:  # the plain sentence, without OSError's "[Errno 28] ..." decoration
        return self.strerror or super().__str__()


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` in one rename, on error it vanishes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_bytes_atomic(path: str | os.PathLike, data: bytes | memoryview) -> None:
    """Write `data` to `path` atomically. Raises DiskFull (an OSError) when the disk or quota is full."""
    try:
        with atomic_path(path) as tmp:
            _write_file(tmp, data)
    except OSError as err:
        if err.errno in FULL and not isinstance(err, DiskFull):
            raise DiskFull(err.errno, f"disk full: could not write {path} (the previous version is kept)",
                           str(path)) from err
        raise


def _write_file(path: Path, data: bytes | memoryview) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        # With delayed allocation (ext4, XFS) or a network file system, a full disk may surface only here: the
        # rename must not publish a file whose bytes never reached the disk.
        os.fsync(f.fileno())


def folder_size(folder: str | Path) -> int:
    """Bytes of the files under `folder` (0 if it does not exist yet)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:  # a temporary file renamed or removed meanwhile
                pass
    return total

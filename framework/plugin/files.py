"""Reading the files a user or a run directory names: regular files only, of bounded size.

A path may name anything: a device that never ends (``/dev/zero``), a FIFO that
blocks, a symlink planted in a run directory. Files are opened without blocking,
checked to be regular files and read up to a limit, so that a wrong path is one
line naming the file and what is wrong with it, never a hang or a flood.
Messages never hold what the file contains.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from nnfw.errors import UsageError

MiB = 1 << 20
CONFIG_LIMIT = 1 * MiB  # a config file, settings.toml, summary.json, provenance.json
DATA_LIMIT = 4096 * MiB  # a data file a data set plugin reads


def read_bytes(path: str | Path, limit: int, label: str, links: bool = True) -> bytes:
    """The whole content of the regular file ``path``, at most ``limit`` bytes.

    Raises :class:`~nnfw.UsageError`, one line starting with ``label`` (how messages
    name the file), when the path does not exist, is no regular file (a folder, a
    device, a FIFO), cannot be read, or holds more than ``limit`` bytes (counted as it
    is read: files in ``/proc`` say they are empty). With ``links=False`` a symbolic link is
    refused too (nnfw never writes one in a run directory: one there was planted).
    """
    return bytes(_read_all(path, limit, label, links))


def _read_all(path: str | Path, limit: int, label: str, links: bool) -> bytearray:
    """The file's content as :func:`read_bytes` reads it, gathered in one growing buffer
    (a big data file is held once, not once in pieces and again joined)."""
    content = bytearray()
    for chunk in _chunks(path, limit, label, links):
        content += chunk
    return content


def _chunks(path: str | Path, limit: int, label: str, links: bool) -> Iterator[bytes]:
    """The file's content a piece at a time, checked as :func:`read_bytes` checks it."""
    with _regular_file(path, label, links) as fd:
        size = 0
        while chunk := os.read(fd, min(limit + 1 - size, 16 * MiB)):
            size += len(chunk)
            if size > limit:
                raise UsageError(f"{label}: larger than {_size(limit)}, the most nnfw reads "
                                 "for such a file")
            yield chunk


def read_prefix(path: str | Path, size: int, label: str, links: bool = True) -> bytes:
    """The first ``size`` bytes of the regular file ``path`` (checked as :func:`read_bytes`);
    a UsageError when it is shorter."""
    with _regular_file(path, label, links) as fd:
        data = os.pread(fd, size, 0) if size else b""
    if len(data) < size:
        raise UsageError(f"{label}: {len(data)} bytes, shorter than the {size} expected; the file "
                         "was cut")
    return data


@contextlib.contextmanager
def _regular_file(path: str | Path, label: str, links: bool) -> Iterator[int]:
    """A descriptor of ``path`` opened for reading, never blocking, checked to be a regular file
    (and, unless ``links``, not reached through a symbolic link)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags if links else flags | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise UsageError(f"{label}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{label}: is a directory, not a file") from None
    except PermissionError:
        raise UsageError(f"{label}: permission denied") from None
    except ValueError:
        raise UsageError(f"{label}: cannot be read (the path holds a NUL character)") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP and not links:
            raise UsageError(f"{label}: is a symbolic link, which nnfw never writes in a run "
                             "directory; it is not read") from None
        raise UsageError(f"{label}: cannot be read ({_reason(exc)})") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise UsageError(f"{label}: is a directory, not a file")
        if not stat.S_ISREG(mode):
            raise UsageError(f"{label}: is not a regular file (a device, FIFO or socket)")
        yield fd
    except OSError as exc:
        raise UsageError(f"{label}: cannot be read ({_reason(exc)})") from None
    finally:
        os.close(fd)


def read_text(path: str | Path, limit: int, label: str, links: bool = True) -> str:
    """The file's text (UTF-8, a leading byte-order mark dropped), read as :func:`read_bytes`."""
    data = _read_all(path, limit, label, links)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{label}: not a text file (it is not UTF-8 text)") from None


def read_data_text(path: str | Path, label: str | None = None) -> str:
    """The text of a data file a data set plugin reads (at most 4 GiB, a regular file):
    the way for plugins to read the files users name; messages start with ``label``
    (default: the path)."""
    return read_text(path, DATA_LIMIT, label or shown_path(path))


def fingerprint(path: str | Path, limit: int = DATA_LIMIT) -> dict[str, object]:
    """What identifies a file's content: its size and SHA-256 (read as :func:`read_bytes`)."""
    digest, size = hashlib.sha256(), 0
    for chunk in _chunks(path, limit, shown_path(path), links=True):
        digest.update(chunk)
        size += len(chunk)
    return {"size": size, "sha256": digest.hexdigest()}


def shown_path(path: str | Path) -> str:
    """A path as a one-line message shows it: as it is, or quoted when it holds a new line
    or another character that is not printable."""
    text = str(path)
    return text if text.isprintable() else repr(text)


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or type(exc).__name__


def _size(limit: int) -> str:
    return f"{limit // MiB} MiB" if limit >= MiB else f"{limit} bytes"

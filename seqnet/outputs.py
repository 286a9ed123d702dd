"""What commands write: never over an input, one writer at a time, whole or not at all.

Every output of seqnet goes through here:

* :func:`atomic_path` / :func:`staged_dir` write a file / a folder under a hidden
  temporary name beside the target and rename it into place only on success, so a
  reader never sees half an output and a failure leaves nothing behind.  Errors while
  writing (a full disk, a read-only folder) name the user's path, never the temporary
  one; new files and folders follow the umask.
* :func:`claim` is held by a command for as long as it writes an output: it refuses an
  output path that is one of the command's inputs (or, for an output folder, holds one),
  and takes an exclusive lock (``.<name>.lock`` beside the output, ``flock``) so that a
  second command aimed at the same output fails at once, naming the process that holds
  it.  The lock goes away with its process, however that process ends.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from seqnet.errors import ConfigError, opt

#: Lock files this process holds (a command may claim what a function it calls claims again).
_HELD: dict[Path, int] = {}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def public_name(path: str | os.PathLike) -> str:
    """The user's name of a path that may be inside a temporary output: ``.x.partial-ab/
    .metrics.json.123.tmp`` -> ``x/metrics.json``."""
    parts = []
    for part in Path(path).parts:
        part = re.sub(r"^\.(.+)\.partial-[^/]+$", r"\1", part)
        part = re.sub(r"^\.(.+)\.[^./]+\.tmp$", r"\1", part)
        parts.append(part)
    return str(Path(*parts)) if parts else str(path)


def _named_after_target(exc: OSError) -> OSError:
    """``exc`` with its file names given as the user's paths."""
    names = [public_name(n) if n else n for n in (exc.filename, exc.filename2)]
    if names == [exc.filename, exc.filename2]:
        return exc
    return OSError(exc.errno, exc.strerror, *[n for n in names if n is not None])


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only on success.

    Readers never see a half-written file, and a failure leaves no file behind.  An
    OSError while writing names ``path``, not the temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    # mkstemp creates 0600; give the final file the permissions a plain open() would.
    os.chmod(tmp, 0o666 & ~_umask())
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except OSError as exc:
        raise _named_after_target(exc) from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def check_out_dir(out: str | os.PathLike, overwrite: bool) -> Path:
    """Refuse to clobber an existing non-empty output directory unless ``overwrite``.

    Raises
    ------
    ConfigError
        When ``out`` exists and is a file, or a non-empty directory and not ``overwrite``.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{opt('out')} {out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ConfigError(f"{opt('out')} {out}: directory exists and is not empty; pass {opt('overwrite')} "
                          "or choose another directory")
    return out


@contextlib.contextmanager
def staged_dir(out: str | os.PathLike) -> Iterator[Path]:
    """Yield a private hidden scratch directory beside ``out``; on success it replaces ``out``.

    On any exception the scratch directory is removed and ``out`` is left as it was, so a
    failed command leaves no half-written output directory.  Two commands aimed at the same
    ``out`` never share a scratch directory.  The directory follows the umask (``mkdtemp``
    alone makes it private), and an OSError names paths inside ``out``, not the scratch.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    try:
        yield tmp
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _named_after_target(exc) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json_atomic(path: str | os.PathLike, obj) -> None:
    """Write ``obj`` as indented JSON atomically (NaN is not allowed: use None)."""
    write_text_atomic(path, json.dumps(obj, indent=2, allow_nan=False) + "\n")


def save_torch(obj, path: str | os.PathLike) -> None:
    """``torch.save`` to ``path`` atomically; a failed write (full disk) is an OSError naming ``path``."""
    import torch

    with atomic_path(path) as tmp:
        try:
            torch.save(obj, tmp)
        except RuntimeError as exc:  # torch's zip writer reports a full disk this way
            free = shutil.disk_usage(Path(path).parent).free
            reason = os.strerror(errno.ENOSPC) if free < (1 << 20) else f"write failed ({str(exc).splitlines()[0]})"
            raise OSError(errno.ENOSPC if free < (1 << 20) else errno.EIO, reason, str(path)) from None


# ----------------------------------------------------------------------------- claims


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def check_not_input(out: str | os.PathLike, inputs: Mapping[str, object], *, param: str = "out",
                    folder: bool = False) -> None:
    """ConfigError when the output ``out`` would replace an input (symlinks followed).

    Parameters
    ----------
    out : path
        The output.
    inputs : mapping
        Parameter name (``"param"`` or ``"param:label"`` when a parameter names several)
        -> input path; values that are not existing paths (``"shuffle"``, None) are
        skipped.
    param : str
        The parameter naming ``out``, for the message. Default is ``"out"``.
    folder : bool
        ``out`` is a folder that will be replaced: no input may lie inside it either.
        Default is False.

    An input folder (a run directory, a motifs folder) may receive new outputs, but none
    of its existing files may be replaced.
    """
    out = Path(out)
    for name, value in inputs.items():
        if value is None or isinstance(value, bool) or not Path(str(value)).exists():
            continue
        src = Path(str(value))
        key, _, label = name.partition(":")
        what = opt(key) + (f" {label}" if label else "")
        if _same_file(out, src):
            raise ConfigError(f"{opt(param)} {out} is the {what} input: an output never replaces an input; "
                              "choose another path")
        if folder and out.exists() and out.resolve() in src.resolve().parents:
            raise ConfigError(f"{opt(param)} {out} holds the {what} input {src}: the output folder would replace "
                              "it; choose another folder")
        if src.is_dir() and out.exists() and src.resolve() in out.resolve().parents:
            raise ConfigError(f"{opt(param)} {out} is part of the {what} input {src}: an output never replaces "
                              "an input; choose another path")


def _holder(lock_path: Path) -> str:
    try:
        text = lock_path.read_text().strip()
    except OSError:
        text = ""
    return text or "another process"


@contextlib.contextmanager
def lock(out: str | os.PathLike, *, param: str = "out") -> Iterator[None]:
    """Hold ``.<name>.lock`` beside ``out`` exclusively inside the ``with``.

    Raises
    ------
    ConfigError
        When another process holds it (the message names that process's pid and command).
    """
    out = Path(out)
    lock_path = (out.parent.resolve() / f".{out.name}.lock")
    if lock_path in _HELD:  # this process already holds it
        yield
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ConfigError(f"{opt(param)} {out}: {_holder(lock_path)} is writing it; wait for it to finish or "
                              "choose another path") from None
        try:  # the previous holder may have removed the file between our open and flock
            if os.stat(lock_path).st_ino == os.fstat(fd).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"seqnet (pid {os.getpid()}: {' '.join(['seqnet', *sys.argv[1:]])[:200]})".encode())
    _HELD[lock_path] = fd
    try:
        yield
    finally:
        del _HELD[lock_path]
        with contextlib.suppress(FileNotFoundError):
            lock_path.unlink()
        os.close(fd)


@contextlib.contextmanager
def claim(out: str | os.PathLike, inputs: Mapping[str, object] | None = None, *, param: str = "out",
          folder: bool = False) -> Iterator[Path]:
    """Check that ``out`` replaces no input, then lock it for the ``with`` (see :func:`lock`)."""
    check_not_input(out, inputs or {}, param=param, folder=folder)
    with lock(out, param=param):
        yield Path(out)

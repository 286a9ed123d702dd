"""Token cache: each FASTA file is parsed once, later runs memory-map its tokens.

A cache entry holds what :func:`seqnet.io.fasta.read_fasta_tokens` returns for one file
and one alphabet: ``tokens.npy`` (``uint8``, all records concatenated: 1 byte per base,
not the 16 of a float DNA one-hot column), ``lengths.npy`` and ``ids.json``.  Its key is
the BLAKE2b digest of the file's bytes (as stored, gzip or not), the alphabet's name and
letters and the cache format version, so an edited input gets a new entry and a stale
one is never read (modification times play no part).  A new entry is keyed by the
digest of the very bytes that were parsed, so a file rewritten between hashing and
parsing cannot file its new tokens under its old content.  A named pipe or a process
substitution (``<(zcat x.fa.gz)``) is read once: its bytes are hashed and parsed from
memory.  Entries are written to a private temporary directory and renamed
into place, so concurrent runs and killed runs never see half an entry.

Where: ``tokens/`` in seqnet's cache folder (``$SEQNET_CACHE``, else
``$XDG_CACHE_HOME/seqnet``, else ``~/.cache/seqnet``; the genome ``.fai`` fallback lives
there too).  ``SEQNET_TOKEN_CACHE=0`` turns the token cache off.  Files smaller than
:data:`MIN_BYTES` are not cached (parsing them takes milliseconds).  An entry can be
deleted at any time; ``rm -r`` of the folder clears the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from seqnet.alphabets import Alphabet
from seqnet.utils import cache_root

__all__ = ["MIN_BYTES", "cache_dir", "cache_key", "bytes_key", "fasta_tokens"]

#: Files below this size (bytes on disk) are parsed every time.
MIN_BYTES = 1 << 20
#: Bump when the entry layout or the parser's output changes.
FORMAT = 1


def cache_dir() -> Path | None:
    """The token cache folder, or None when ``SEQNET_TOKEN_CACHE=0`` turns it off."""
    if os.environ.get("SEQNET_TOKEN_CACHE", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    return cache_root() / "tokens"


def _key(digest, alphabet: Alphabet) -> str:
    digest.update(f"|{alphabet.name}|{alphabet.letters}|v{FORMAT}".encode())
    return digest.hexdigest()


def cache_key(path: str | Path, alphabet: Alphabet) -> str:
    """Hex key of ``path``'s content read with ``alphabet`` (BLAKE2b, 20 bytes).

    Reads the file: for a regular file only (a pipe would be used up).
    """
    with open(path, "rb") as fh:
        digest = hashlib.file_digest(fh, lambda: hashlib.blake2b(digest_size=20))
    return _key(digest, alphabet)


def bytes_key(data: bytes, alphabet: Alphabet) -> str:
    """Hex key of a file's bytes ``data`` (as stored) read with ``alphabet``; equals
    :func:`cache_key` of a file holding ``data``."""
    return _key(hashlib.blake2b(data, digest_size=20), alphabet)


def fasta_tokens(
    path: str | Path, alphabet: Alphabet, *, min_bytes: int | None = None
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """:func:`~seqnet.io.fasta.read_fasta_tokens` through the cache.

    The file is read once at most (a cache hit on a regular file only hashes it), so a
    named pipe or ``<(zcat x.fa.gz)`` works, and its entry is keyed by the bytes read.

    Parameters
    ----------
    path : str or Path
        FASTA file, plain or gzip.
    alphabet : Alphabet
    min_bytes : int or None
        Cache only files at least this large; None uses :data:`MIN_BYTES`.

    Returns
    -------
    ids : list of str
    tokens : numpy.ndarray, shape=(sum(lengths),), dtype=uint8
        Memory-mapped read-only on a cache hit.
    lengths : numpy.ndarray, shape=(N,), dtype=int64

    Raises
    ------
    InputError
        As :func:`~seqnet.io.fasta.read_fasta_tokens` (bad files are never cached).
    """
    from seqnet.io.fasta import is_regular_file, read_fasta_tokens, read_raw

    root = cache_dir()
    if root is None:
        return read_fasta_tokens(path, alphabet)
    limit = MIN_BYTES if min_bytes is None else min_bytes
    if is_regular_file(path):
        if Path(path).stat().st_size < limit:
            return read_fasta_tokens(path, alphabet)
        # Hashing streams the file, so a hit never holds the whole file in memory.
        hit = _read_entry(root / cache_key(path, alphabet))
        data = None if hit is not None else read_raw(path)
    else:
        data = read_raw(path)  # a pipe: read once, then hashed and parsed from memory
        if len(data) < limit:
            return read_fasta_tokens(path, alphabet, data=data)
        hit = _read_entry(root / bytes_key(data, alphabet))
    if hit is not None:
        return hit
    entry = root / bytes_key(data, alphabet)
    shutil.rmtree(entry, ignore_errors=True)  # a damaged entry: rebuild it
    ids, tokens, lengths = read_fasta_tokens(path, alphabet, data=data)
    _write_entry(entry, ids, tokens, lengths, source=str(path))
    return ids, tokens, lengths


def _read_entry(entry: Path) -> tuple[list[str], np.ndarray, np.ndarray] | None:
    try:
        ids = json.loads((entry / "ids.json").read_text())
        tokens = np.load(entry / "tokens.npy", mmap_mode="r")
        lengths = np.load(entry / "lengths.npy")
    except (OSError, ValueError):
        return None
    if len(ids) != len(lengths) or int(lengths.sum()) != tokens.size:
        return None
    return ids, tokens, lengths


def _write_entry(entry: Path, ids: list[str], tokens: np.ndarray, lengths: np.ndarray, source: str) -> None:
    """Write an entry atomically; a cache that cannot be written is skipped, not fatal."""
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    except OSError:
        return
    try:
        np.save(tmp / "tokens.npy", np.ascontiguousarray(tokens))
        np.save(tmp / "lengths.npy", lengths)
        (tmp / "ids.json").write_text(json.dumps(ids))
        (tmp / "source.txt").write_text(source + "\n")
        os.replace(tmp, entry)
    except OSError:
        pass  # another run finished the same entry first, or the disk is full
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

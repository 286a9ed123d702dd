"""Image arrays from CSV, NPZ and IDX files.

Formats (detected from the content; gzip is decompressed first):

* **CSV** (comma-separated; tab-separated when the first line has tabs and no commas):
  one image per line, its pixels in row-major order (channel by channel for several
  channels), then its label.  A first line with no number in it is a header and skipped.
  For prediction the label column may be left out.
* **NPZ** (``numpy.savez``): array ``x`` of shape ``(N, H, W)``, ``(N, C, H, W)`` or
  ``(N, P)`` (flat pixels), and ``y`` of shape ``(N,)`` with the labels.
* **IDX** (the MNIST distribution format): an images file ``(N, H, W)``; the labels come
  in a second IDX file ``(N,)``, given as ``labels``.

The image shape is ``C x H x W`` (``28x28`` means ``1x28x28``); flat pixels need it, or
it is inferred when the pixel count is a perfect square (one channel).  Image ids are the
0-based positions in the file (``"0"``, ``"1"``, ...).

Examples
--------
>>> im = read_images("mnist_5k.csv.gz")            # doctest: +SKIP
>>> im.x.shape, im.labels.names[:3]                # doctest: +SKIP
((5000, 1, 28, 28), ['0', '1', '2'])
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seqnet.errors import ConfigError, InputError, opt
from seqnet.io.fasta import _show, decompressed, read_raw
from seqnet.io.tables import Labels, labels_from_cells

__all__ = ["Images", "parse_shape", "format_shape", "read_images", "read_idx"]

# IDX type codes -> big-endian numpy dtypes.
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


@dataclass
class Images:
    """Images with optional labels.

    Attributes
    ----------
    ids : list of str
        ``"0"``, ``"1"``, ...: each image's position in the file.
    x : numpy.ndarray, shape (N, C, H, W), dtype float32
        Pixel values as in the file.
    labels : Labels or None
        Targets (see :func:`seqnet.io.tables.read_labels` for how the task is decided),
        None when the file has none.
    fmt : str
        ``"csv"``, ``"npz"`` or ``"idx"``.
    """

    ids: list[str]
    x: np.ndarray
    labels: Labels | None
    fmt: str

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(C, H, W)``."""
        return tuple(int(v) for v in self.x.shape[1:])


def parse_shape(text: str | tuple | list | None, source: str | None = None) -> tuple[int, int, int] | None:
    """``"28x28"`` -> ``(1, 28, 28)``; ``"3x32x32"`` -> ``(3, 32, 32)``; a list as in a config.

    Raises
    ------
    ConfigError
        For anything else.
    """
    if text is None:
        return None
    source = opt("image_shape") if source is None else source
    if isinstance(text, (list, tuple)):
        parts = list(text)
    else:
        parts = re.split(r"[x,X*]", str(text).strip())
    try:
        dims = [int(p) for p in parts]
    except (TypeError, ValueError):
        dims = []
    if len(dims) not in (2, 3) or min(dims) < 1 or any(isinstance(p, bool) for p in parts):
        raise ConfigError(f"{source} {text!r}: expected HxW or CxHxW with positive integers, e.g. 28x28 or 3x32x32")
    return tuple(dims) if len(dims) == 3 else (1, dims[0], dims[1])


def format_shape(shape) -> str:
    """``(1, 28, 28)`` -> ``"28x28"``; ``(3, 32, 32)`` -> ``"3x32x32"``."""
    c, h, w = shape
    return f"{h}x{w}" if c == 1 else f"{c}x{h}x{w}"


def _read_bytes(path: str | Path) -> bytes:
    """The file's bytes, gunzipped; read once, so a named pipe works too."""
    return decompressed(path, read_raw(path))


def _looks_idx(data: bytes) -> bool:
    return len(data) >= 4 and data[0] == 0 and data[1] == 0 and data[2] in _IDX_TYPES and 1 <= data[3] <= 4


def read_idx(path: str | Path, data: bytes | None = None) -> np.ndarray:
    """Read an IDX file (MNIST format; gzip ok) into an array of its declared shape.

    Raises
    ------
    InputError
        For a file that is not IDX, or whose data is shorter or longer than the header says.
    """
    if data is None:
        data = _read_bytes(path)
    if not _looks_idx(data):
        raise InputError(f"{path}: not an IDX file (expected the magic bytes 00 00 <type> <dims>)")
    dtype = np.dtype(_IDX_TYPES[data[2]])
    ndim = data[3]
    head = 4 + 4 * ndim
    if len(data) < head:
        raise InputError(f"{path}: truncated IDX header")
    dims = [int.from_bytes(data[4 + 4 * k : 8 + 4 * k], "big") for k in range(ndim)]
    expected = math.prod(dims) * dtype.itemsize
    found = len(data) - head
    if found != expected:
        raise InputError(
            f"{path}: IDX header declares shape {'x'.join(map(str, dims))} ({expected} bytes of data), "
            f"found {found} bytes{' (truncated file?)' if found < expected else ''}"
        )
    return np.frombuffer(data, dtype=dtype, offset=head).reshape(dims).astype(dtype.newbyteorder("="))


def _shape_for(n_pixels: int, shape: tuple[int, int, int] | None, path, where: str) -> tuple[int, int, int]:
    """The image shape for flat rows of ``n_pixels``: ``shape`` checked, or a perfect square."""
    if shape is not None:
        if math.prod(shape) != n_pixels:
            raise InputError(
                f"{path}: {where}: {n_pixels} pixels per image do not match the image shape "
                f"{format_shape(shape)} ({math.prod(shape)} pixels)"
            )
        return shape
    side = math.isqrt(n_pixels)
    if side * side != n_pixels:
        raise InputError(
            f"{path}: {where}: cannot infer the image shape from {n_pixels} pixels per image (not a perfect square); "
            f"give {opt('image_shape')} HxW or CxHxW"
        )
    return (1, side, side)


def _check_finite(path, x: np.ndarray, ids_offset: int = 0) -> None:
    bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
    if bad.any():
        raise InputError(f"{path}: image {int(np.flatnonzero(bad)[0]) + ids_offset} has a pixel that is not a finite number")


def _read_csv(path, data: bytes, shape, need_labels: bool, task: str) -> tuple[np.ndarray, Labels | None]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not a CSV, NPZ or IDX image file (byte 0x{exc.object[exc.start]:02x} at offset {exc.start} is not "
            f"text, and the file does not start like NPZ or IDX)"
        ) from None
    lines = text.splitlines()
    keep = np.flatnonzero([bool(ln.strip()) for ln in lines])
    if keep.size == 0:
        raise InputError(f"{path}: empty file; expected one image per line (pixels, then the label)")
    first = lines[keep[0]]
    sep = "\t" if "\t" in first and "," not in first else ","
    cells0 = [c.strip() for c in first.split(sep)]
    if not any(_is_number(c) for c in cells0):
        keep = keep[1:]  # a header row
        if keep.size == 0:
            raise InputError(f"{path}: no image rows below the header")
    body = pd.Series([lines[i] for i in keep], dtype=object)
    counts = body.str.count(sep).to_numpy() + 1
    n_cols = int(counts[0])
    bad = np.flatnonzero(counts != n_cols)
    if bad.size:
        i = int(bad[0])
        raise InputError(
            f"{path}: line {keep[i] + 1}: expected {n_cols} values as on line {keep[0] + 1}, found {counts[i]}"
        )
    where = f"line {keep[0] + 1}"
    n_shape = math.prod(shape) if shape is not None else None
    if n_shape is None or n_cols == n_shape + 1:
        has_labels = True
        if n_cols < 2:
            raise InputError(f"{path}: {where}: expected the pixels then a label, found 1 value")
    elif n_cols == n_shape:
        if need_labels:
            raise InputError(
                f"{path}: {where}: labels missing: found {n_cols} values, the pixels of one {format_shape(shape)} "
                f"image; expected the pixels then a label"
            )
        has_labels = False
    else:
        raise InputError(
            f"{path}: {where}: expected {n_shape} pixels (image shape {format_shape(shape)}) then a label, "
            f"found {n_cols} values"
        )
    n_pix = n_cols - 1 if has_labels else n_cols
    shape = _shape_for(n_pix, shape, path, where)
    frame = pd.read_csv(io.StringIO("\n".join(body)), sep=sep, header=None, dtype=str, na_filter=False,
                        engine="c", usecols=None)
    pixels = frame.iloc[:, :n_pix]
    try:
        x = pixels.to_numpy(dtype=np.float32)
    except ValueError:
        numbers = pixels.apply(lambda col: pd.to_numeric(col.str.strip(), errors="coerce")).to_numpy(dtype=np.float64)
        i, j = np.argwhere(np.isnan(numbers))[0]
        raise InputError(
            f"{path}: line {keep[i] + 1}, column {j + 1}: expected a pixel value (a number), "
            f"found {_show(pixels.iat[i, j])}"
        ) from None
    _check_finite_rows(path, x, keep)
    labels = None
    if has_labels:
        values = frame.iloc[:, [n_pix]].apply(lambda col: col.str.strip())
        empty = np.flatnonzero((values.iloc[:, 0] == "").to_numpy())
        if empty.size:
            raise InputError(f"{path}: line {keep[empty[0]] + 1}, column {n_cols}: empty label")
        labels = labels_from_cells(values, ["label"], path=path, lines=keep + 1, task=task)
    return x.reshape((len(x),) + tuple(shape)), labels


def _check_finite_rows(path, x: np.ndarray, keep: np.ndarray) -> None:
    bad = ~np.isfinite(x)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputError(f"{path}: line {keep[i] + 1}, column {j + 1}: expected a finite pixel value, found {x[i, j]}")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _label_values(path, y: np.ndarray, n: int, what: str, task: str) -> Labels:
    """Labels from an array ``y`` ``(n,)`` read from ``path``."""
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise InputError(f"{path}: {what} has shape {tuple(y.shape)}; expected ({n},), one label per image")
    if y.dtype.kind == "f":
        if not np.isfinite(y).all():
            raise InputError(f"{path}: {what}[{int(np.flatnonzero(~np.isfinite(y))[0])}] is not a finite number")
        whole = (y == np.round(y)).all()
        strings = [str(int(v)) if whole else repr(float(v)) for v in y]
    elif y.dtype.kind in "iub":
        strings = [str(int(v)) for v in y]
    elif y.dtype.kind in "US":
        strings = [v.decode() if isinstance(v, bytes) else str(v) for v in y.tolist()]
    else:
        raise InputError(f"{path}: {what} has dtype {y.dtype}; expected numbers or strings")
    values = pd.DataFrame({0: pd.Series(strings, dtype=object).str.strip()})
    empty = np.flatnonzero((values[0] == "").to_numpy())
    if empty.size:
        raise InputError(f"{path}: {what}[{empty[0]}] is an empty label")
    return labels_from_cells(values, ["label"], path=f"{path} ({what})", lines=np.arange(n), task=task)


def _read_npz(path, data: bytes, shape, need_labels: bool, task: str) -> tuple[np.ndarray, Labels | None]:
    try:
        arrays = np.load(io.BytesIO(data), allow_pickle=False)
        names = list(arrays.files)
        if "x" not in names:
            raise InputError(
                f"{path}: no array 'x' in the NPZ file (arrays: {', '.join(names) or 'none'}); expected 'x' (images) "
                f"and 'y' (labels)"
            )
        x = arrays["x"]
        y = arrays["y"] if "y" in names else None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputError(f"{path}: not a readable NPZ file ({type(exc).__name__})") from None
    except ValueError as exc:  # object arrays need pickle: refused
        raise InputError(f"{path}: cannot read the NPZ arrays without unpickling objects ({exc}); store numbers or strings") from None
    if x.dtype.kind not in "iufb":
        raise InputError(f"{path}: array 'x' has dtype {x.dtype}; expected numbers")
    n = len(x) if x.ndim else 0
    if x.ndim == 2:
        img_shape = _shape_for(x.shape[1], shape, path, "array 'x'")
        x = x.reshape((n,) + img_shape)
    elif x.ndim == 3:
        x = x[:, None]
    elif x.ndim != 4:
        raise InputError(
            f"{path}: array 'x' has shape {tuple(x.shape)}; expected (N, H, W), (N, C, H, W) or (N, pixels)"
        )
    if shape is not None and tuple(x.shape[1:]) != tuple(shape):
        raise InputError(
            f"{path}: array 'x' holds {format_shape(x.shape[1:])} images; expected {format_shape(shape)}"
        )
    if n == 0:
        raise InputError(f"{path}: array 'x' holds no images")
    x = x.astype(np.float32)
    _check_finite(path, x)
    labels = None
    if y is not None:
        labels = _label_values(path, y, n, "array 'y'", task)
    elif need_labels:
        raise InputError(f"{path}: labels missing: no array 'y' in the NPZ file (arrays: {', '.join(names)})")
    return x, labels


def read_images(
    path: str | Path,
    *,
    shape: tuple[int, int, int] | str | None = None,
    labels: str | Path | None = None,
    need_labels: bool = True,
    task: str = "auto",
) -> Images:
    """Read images (and their labels) from a CSV, NPZ or IDX file.

    Parameters
    ----------
    path : str or Path
        The images file (gzip ok).
    shape : tuple of int or str or None
        Image shape ``(C, H, W)`` or ``"HxW"`` / ``"CxHxW"``; None infers it (a perfect
        square of pixels for flat rows). Default is None.
    labels : str or Path or None
        IDX labels file, for IDX images (CSV and NPZ carry their labels). Default is None.
    need_labels : bool
        Fail when the file has no labels. Default is True.
    task : str
        How to read the labels: ``"auto"``, ``"classification"`` or ``"regression"``
        (see :func:`seqnet.io.tables.read_labels`). Default is ``"auto"``.

    Returns
    -------
    Images

    Raises
    ------
    InputError
        For ragged rows, non-numeric pixels, a shape that does not match, missing labels
        or a damaged file, naming the line / array and what was expected.
    ConfigError
        For ``labels`` given with CSV or NPZ images.
    """
    shape = parse_shape(shape) if isinstance(shape, str) else (tuple(shape) if shape is not None else None)
    data = _read_bytes(path)
    if data[:4] == b"PK\x03\x04":
        fmt = "npz"
    elif _looks_idx(data):
        fmt = "idx"
    else:
        fmt = "csv"
    if labels is not None and fmt != "idx":
        raise ConfigError(f"{opt('labels')} goes with IDX images; {path} is {fmt.upper()}, which carries its labels in the file")
    if fmt == "csv":
        x, lab = _read_csv(path, data, shape, need_labels, task)
    elif fmt == "npz":
        x, lab = _read_npz(path, data, shape, need_labels, task)
    else:
        arr = read_idx(path, data)
        if arr.ndim != 3:
            raise InputError(f"{path}: IDX images must have 3 dimensions (N, H, W), found {arr.ndim}")
        x = arr[:, None].astype(np.float32)
        if shape is not None and tuple(x.shape[1:]) != tuple(shape):
            raise InputError(f"{path}: holds {format_shape(x.shape[1:])} images; expected {format_shape(shape)}")
        _check_finite(path, x)
        lab = None
        if labels is not None:
            y = read_idx(labels)
            lab = _label_values(labels, y, len(x), "labels", task)
        elif need_labels:
            raise InputError(f"{path}: labels missing: IDX images need {opt('labels')} LABELS-idx1-ubyte")
    return Images(ids=[str(i) for i in range(len(x))], x=x, labels=lab, fmt=fmt)

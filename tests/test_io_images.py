"""Image reading: CSV, NPZ and IDX, shapes, labels, and every bad-input path."""

from __future__ import annotations

import gzip
import re
import struct

import numpy as np
import pytest

from conftest import write
from seqnet.errors import ConfigError, InputError
from seqnet.io.images import format_shape, parse_shape, read_idx, read_images


def idx_bytes(a: np.ndarray) -> bytes:
    """An IDX file of unsigned bytes, as MNIST ships them."""
    return struct.pack(">BBBB", 0, 0, 0x08, a.ndim) + b"".join(struct.pack(">I", d) for d in a.shape) + \
        a.astype(np.uint8).tobytes()


def csv_rows(x: np.ndarray, y) -> str:
    return "".join(",".join(map(str, row)) + f",{label}\n" for row, label in zip(x.reshape(len(x), -1), y))


@pytest.fixture
def pixels():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(6, 4, 4)), ["3", "1", "3", "0", "1", "3"]


def test_parse_and_format_shape(flag_spelling):
    assert parse_shape("28x28") == (1, 28, 28) and parse_shape("3x32x32") == (3, 32, 32)
    assert parse_shape([1, 8, 8]) == (1, 8, 8) and parse_shape(None) is None
    assert format_shape((1, 28, 28)) == "28x28" and format_shape((3, 4, 5)) == "3x4x5"
    for bad in ("28", "0x5", "axb", "1x2x3x4"):
        with pytest.raises(ConfigError, match=re.escape(f"--image-shape {bad!r}: expected HxW or CxHxW")):
            parse_shape(bad)


def test_csv_labels_and_inferred_shape(tmp_path, pixels):
    x, y = pixels
    path = write(tmp_path / "im.csv", csv_rows(x, y))
    im = read_images(path)
    assert im.fmt == "csv" and im.x.shape == (6, 1, 4, 4) and im.x.dtype == np.float32
    np.testing.assert_array_equal(im.x[:, 0], x)
    assert im.labels.task_type == "multiclass" and im.labels.names == ["0", "1", "3"]
    np.testing.assert_array_equal(im.labels.y, [2, 1, 2, 0, 1, 2])
    assert im.ids == [str(i) for i in range(6)]


def test_csv_gzip_header_and_explicit_shape(tmp_path, pixels):
    x, y = pixels
    header = ",".join(f"p{i}" for i in range(16)) + ",label\n"
    path = tmp_path / "im.csv.gz"
    path.write_bytes(gzip.compress((header + csv_rows(x, y)).encode()))
    im = read_images(path, shape="2x8")
    assert im.x.shape == (6, 1, 2, 8)
    np.testing.assert_array_equal(im.x.reshape(6, -1), x.reshape(6, -1))


def test_csv_without_labels_for_predict(tmp_path, pixels):
    x, _ = pixels
    path = write(tmp_path / "im.csv", "".join(",".join(map(str, r)) + "\n" for r in x.reshape(6, -1)))
    im = read_images(path, shape=(1, 4, 4), need_labels=False)
    assert im.labels is None and im.x.shape == (6, 1, 4, 4)
    with pytest.raises(InputError, match=re.escape(f"{path}: line 1: labels missing: found 16 values, the pixels of one 4x4 image")):
        read_images(path, shape=(1, 4, 4))


def test_csv_regression_labels(tmp_path, pixels):
    x, _ = pixels
    path = write(tmp_path / "im.csv", csv_rows(x, ["0.5", "1.25", "3", "2", "0", "1"]))
    lab = read_images(path).labels
    assert lab.task_type == "regression" and lab.names == ["label"]
    np.testing.assert_allclose(lab.y[:, 0], [0.5, 1.25, 3, 2, 0, 1])


def test_csv_errors(tmp_path, pixels, flag_spelling):
    x, y = pixels
    rows = csv_rows(x, y).splitlines()
    ragged = write(tmp_path / "ragged.csv", "\n".join(rows[:3] + [rows[3].rsplit(",", 2)[0]] + rows[4:]) + "\n")
    with pytest.raises(InputError, match=re.escape(f"{ragged}: line 4: expected 17 values as on line 1, found 15")):
        read_images(ragged)
    cells = rows[2].split(",")
    cells[5] = "bright"
    bad = write(tmp_path / "bad.csv", "\n".join(rows[:2] + [",".join(cells)] + rows[3:]) + "\n")
    with pytest.raises(InputError, match=re.escape(f"{bad}: line 3, column 6: expected a pixel value (a number), found 'bright'")):
        read_images(bad)
    good = write(tmp_path / "good.csv", "\n".join(rows) + "\n")
    with pytest.raises(InputError, match=re.escape(f"{good}: line 1: expected 25 pixels (image shape 5x5) then a label, found 17 values")):
        read_images(good, shape="5x5")
    square = write(tmp_path / "odd.csv", "1,2,3,0\n4,5,6,1\n")
    with pytest.raises(InputError, match=re.escape("cannot infer the image shape from 3 pixels per image (not a perfect square); give --image-shape")):
        read_images(square)
    empty_label = write(tmp_path / "nolabel.csv", "1,2,3,4,1\n1,2,3,4,\n")
    with pytest.raises(InputError, match=re.escape(f"{empty_label}: line 2, column 5: empty label")):
        read_images(empty_label)
    with pytest.raises(InputError, match=re.escape(f"{tmp_path / 'none.csv'}: no such file")):
        read_images(tmp_path / "none.csv")
    with pytest.raises(InputError, match="empty file"):
        read_images(write(tmp_path / "empty.csv", "\n"))


def test_npz(tmp_path, pixels):
    x, y = pixels
    path = tmp_path / "im.npz"
    np.savez(path, x=x.astype(np.uint8), y=np.array(y))
    im = read_images(path)
    assert im.fmt == "npz" and im.x.shape == (6, 1, 4, 4) and im.labels.names == ["0", "1", "3"]
    np.savez(path, x=x.reshape(6, 1, 4, 4).astype(np.float32) / 255, y=np.array([0, 1, 0, 1, 1, 0]))
    im = read_images(path)
    assert im.labels.task_type == "binary" and im.x.max() <= 1
    np.savez(path, x=x.reshape(6, 16), y=np.array(y))
    assert read_images(path, shape="4x4").x.shape == (6, 1, 4, 4)


def test_npz_errors(tmp_path, pixels, flag_spelling):
    x, y = pixels
    path = tmp_path / "im.npz"
    np.savez(path, images=x)
    with pytest.raises(InputError, match=re.escape(f"{path}: no array 'x' in the NPZ file (arrays: images); expected 'x' (images) and 'y' (labels)")):
        read_images(path)
    np.savez(path, x=x)
    with pytest.raises(InputError, match=re.escape(f"{path}: labels missing: no array 'y' in the NPZ file (arrays: x)")):
        read_images(path)
    assert read_images(path, need_labels=False).labels is None
    np.savez(path, x=x, y=np.array(y[:4]))
    with pytest.raises(InputError, match=re.escape(f"{path}: array 'y' has shape (4,); expected (6,), one label per image")):
        read_images(path)
    np.savez(path, x=x, y=np.array(y))
    with pytest.raises(InputError, match=re.escape(f"{path}: array 'x' holds 4x4 images; expected 5x5")):
        read_images(path, shape="5x5")
    bad = x.astype(np.float32)
    bad[2, 1, 1] = np.nan
    np.savez(path, x=bad, y=np.array(y))
    with pytest.raises(InputError, match=re.escape(f"{path}: image 2 has a pixel that is not a finite number")):
        read_images(path)
    with pytest.raises(ConfigError, match="--labels goes with IDX images"):
        read_images(path, labels=path)


def test_idx_gzip_and_labels(tmp_path, pixels, flag_spelling):
    x, y = pixels
    images = tmp_path / "train-images-idx3-ubyte.gz"
    images.write_bytes(gzip.compress(idx_bytes(x)))
    labels = tmp_path / "train-labels-idx1-ubyte"
    labels.write_bytes(idx_bytes(np.array([int(v) for v in y])))
    np.testing.assert_array_equal(read_idx(labels), [3, 1, 3, 0, 1, 3])
    im = read_images(images, labels=labels)
    assert im.fmt == "idx" and im.x.shape == (6, 1, 4, 4) and im.labels.names == ["0", "1", "3"]
    np.testing.assert_array_equal(im.x[:, 0], x)
    with pytest.raises(InputError, match=re.escape(f"{images}: labels missing: IDX images need --labels LABELS-idx1-ubyte")):
        read_images(images)
    short = tmp_path / "short-labels"
    short.write_bytes(idx_bytes(np.array([1, 2, 3])))
    with pytest.raises(InputError, match=re.escape(f"{short}: labels has shape (3,); expected (6,), one label per image")):
        read_images(images, labels=short)


def test_idx_truncated_and_not_idx(tmp_path, pixels):
    x, _ = pixels
    trunc = tmp_path / "t.idx"
    trunc.write_bytes(idx_bytes(x)[:-5])
    with pytest.raises(InputError, match=re.escape(f"{trunc}: IDX header declares shape 6x4x4 (96 bytes of data), found 91 bytes (truncated file?)")):
        read_images(trunc, labels=trunc)
    not_idx = write(tmp_path / "labels.txt", "1\n2\n")
    with pytest.raises(InputError, match="not an IDX file"):
        read_idx(not_idx)
    binary = tmp_path / "junk.bin"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(InputError, match=re.escape(f"{binary}: not a CSV, NPZ or IDX image file")):
        read_images(binary)

"""Inputs that can be read only once: named pipes (``mkfifo``) and process substitution
(``<(zcat x.fa.gz)``, seen as ``/dev/fd/N``).

Each reader must read such a file exactly once.  A second open of a FIFO whose writer has
finished blocks forever, so every read here runs under a time limit (:func:`within`) and
a reader that opens the pipe twice fails the test instead of hanging it.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from conftest import write
from seqnet import cache
from seqnet.alphabets import DNA
from seqnet.errors import InputError

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes (os.mkfifo)")

# Seconds a read of a few kilobytes may take before it counts as hung.
LIMIT = int(os.environ.get("SEQNET_TEST_PIPE_LIMIT", "60"))

GOOD = ">a desc\nACGT\nacgt\n>b\nGGNN\n>chr1:5-9\nTTAA\n"
BAD = ">a\nACGT\n>b\nACGU\n"  # 'U' is not DNA: the fast reader hands over to the careful one


@contextlib.contextmanager
def fifo(path: Path, data: bytes):
    """A named pipe at ``path`` that a writer thread fills with ``data`` once."""
    os.mkfifo(path)

    def feed():
        with contextlib.suppress(BrokenPipeError), open(path, "wb") as fh:
            fh.write(data)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        yield path
    finally:
        if writer.is_alive():  # nobody read the pipe: let the writer through
            with contextlib.suppress(OSError):
                os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
        writer.join(LIMIT)


def within(pipes, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` in a thread; fails the test when it is still running after
    :data:`LIMIT` seconds (a reader waiting on a second open of one of ``pipes``)."""
    out: dict = {}

    def run():
        try:
            out["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            out["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(LIMIT)
    if worker.is_alive():
        for pipe in pipes:  # release the reader stuck in open(), so the thread ends
            with contextlib.suppress(OSError):
                os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(LIMIT)
        pytest.fail(f"{getattr(fn, '__name__', fn)} hung: it opened a pipe a second time")
    if "error" in out:
        raise out["error"]
    return out["value"]


@pytest.fixture
def token_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQNET_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SEQNET_TOKEN_CACHE", raising=False)
    return tmp_path / "cache" / "tokens"


def _tokens_equal(a, b):
    assert a[0] == b[0]
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[2], b[2])


# ----------------------------------------------------------------------------- FASTA


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_fasta_pipe_gives_the_tokens_of_the_file(tmp_path, gz):
    from seqnet.io.fasta import read_fasta, read_fasta_tokens

    data = gzip.compress(GOOD.encode()) if gz else GOOD.encode()
    regular = tmp_path / "x.fa"
    regular.write_bytes(data)
    expected = read_fasta_tokens(regular, DNA)
    with fifo(tmp_path / "pipe.fa", data) as pipe:
        _tokens_equal(within([pipe], read_fasta_tokens, pipe, DNA), expected)
    with fifo(tmp_path / "pipe2.fa", data) as pipe:
        assert within([pipe], read_fasta, pipe) == read_fasta(regular)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_fasta_pipe_with_a_bad_record_gives_the_one_line_error(tmp_path, gz):
    from seqnet.io.fasta import read_fasta_tokens

    data = gzip.compress(BAD.encode()) if gz else BAD.encode()
    with fifo(tmp_path / "bad.fa", data) as pipe:
        with pytest.raises(InputError) as info:
            within([pipe], read_fasta_tokens, pipe, DNA)
    message = str(info.value)
    assert "\n" not in message
    assert re.fullmatch(re.escape(f"{pipe}: record 'b'") + r".*'U'.*position 4.*", message), message


def test_fasta_pipe_truncated_gzip(tmp_path):
    from seqnet.io.fasta import read_fasta_tokens

    data = gzip.compress("".join(f">r{k}\nACGT\n" for k in range(200)).encode())[:-12]
    with fifo(tmp_path / "cut.fa.gz", data) as pipe:
        with pytest.raises(InputError, match=re.escape(f"{pipe}: truncated or corrupt gzip file")):
            within([pipe], read_fasta_tokens, pipe, DNA)


def test_fasta_pipe_through_the_token_cache_is_keyed_by_the_bytes_read(tmp_path, token_cache):
    regular = write(tmp_path / "x.fa", GOOD)
    expected = cache.fasta_tokens(regular, DNA, min_bytes=0)  # makes the entry of these bytes
    key = cache.cache_key(regular, DNA)
    assert key == cache.bytes_key(GOOD.encode(), DNA)
    with fifo(tmp_path / "pipe.fa", GOOD.encode()) as pipe:
        got = within([pipe], cache.fasta_tokens, pipe, DNA, min_bytes=0)
    _tokens_equal(got, expected)
    assert isinstance(got[1], np.memmap)  # the entry of the same bytes: a hit
    other = GOOD.replace("ACGT", "TTTT")
    with fifo(tmp_path / "pipe2.fa", other.encode()) as pipe:
        ids, tokens, _ = within([pipe], cache.fasta_tokens, pipe, DNA, min_bytes=0)
    assert not isinstance(tokens, np.memmap)  # new bytes: parsed, never the old entry
    assert tokens[:4].tolist() == [3, 3, 3, 3]
    assert sorted(p.name for p in token_cache.iterdir()) == sorted([key, cache.bytes_key(other.encode(), DNA)])
    with fifo(tmp_path / "bad.fa", BAD.encode()) as pipe:
        with pytest.raises(InputError, match=re.escape(f"{pipe}: record 'b'")):
            within([pipe], cache.fasta_tokens, pipe, DNA, min_bytes=0)


# ----------------------------------------------------------------------------- other readers


def test_bed_and_tables_through_pipes(tmp_path):
    from seqnet.io.bed import read_bed
    from seqnet.io.tables import read_labels, read_table

    bed = "chr1\t10\t20\tp1\nchr2\t5\t9\n"
    with fifo(tmp_path / "peaks.bed", gzip.compress(bed.encode())) as pipe:
        got = within([pipe], read_bed, pipe)
    assert [(iv.chrom, iv.start, iv.end, iv.name, iv.line) for iv in got] == [
        ("chr1", 10, 20, "p1", 1), ("chr2", 5, 9, None, 2)]
    labels = "id\tCTCF\nb\t0\na\t1\n"
    with fifo(tmp_path / "labels.tsv", labels.encode()) as pipe:
        lab = within([pipe], read_labels, pipe, ["a", "b"])
    assert lab.task_type == "binary" and lab.y[:, 0].tolist() == [1.0, 0.0]
    with fifo(tmp_path / "t.csv", b"id,x\nA,1\nB,x y\n") as pipe:
        frame = within([pipe], read_table, pipe)
    assert frame["x"].tolist() == ["1", "x y"]
    with fifo(tmp_path / "bad.tsv", b"id\tCTCF\na\t1\nb\n") as pipe:
        with pytest.raises(InputError, match=re.escape(f"{pipe}: line 3: expected 2 columns as in the header, found 1")):
            within([pipe], read_labels, pipe, ["a", "b"])


def test_timeseries_matrix_and_conditions_through_pipes(tmp_path):
    from seqnet.io.timeseries import read_timeseries

    expr = "gene\tt0\tt1\tt2\ng1\t0\t1\t2\ng2\t1\tNA\t3\n"
    cond = "condition\tseries\ttime\nt0\ts\t0\nt1\ts\t1\nt2\ts\t2\n"
    expected = read_timeseries(write(tmp_path / "e.tsv", expr), write(tmp_path / "c.tsv", cond), standardize="none")
    with fifo(tmp_path / "pe.tsv", expr.encode()) as pe, fifo(tmp_path / "pc.tsv", cond.encode()) as pc:
        got = within([pe, pc], read_timeseries, pe, pc, standardize="none")
    assert got.ids == expected.ids
    np.testing.assert_array_equal(got.x, expected.x)
    np.testing.assert_array_equal(got.mask, expected.mask)


def test_images_and_idx_labels_through_pipes(tmp_path):
    import struct

    from seqnet.io.images import read_images

    rows = "".join(",".join(str(v) for v in range(k, k + 4)) + f",{k % 2}\n" for k in range(4))
    with fifo(tmp_path / "im.csv.gz", gzip.compress(rows.encode())) as pipe:
        im = within([pipe], read_images, pipe)
    assert im.x.shape == (4, 1, 2, 2) and im.labels.y[:, 0].tolist() == [0.0, 1.0, 0.0, 1.0]
    pixels = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    idx = struct.pack(">BBBBIII", 0, 0, 8, 3, 2, 3, 3) + pixels.tobytes()
    labels = struct.pack(">BBBBI", 0, 0, 8, 1, 2) + bytes([1, 0])
    with fifo(tmp_path / "x.idx", idx) as px, fifo(tmp_path / "y.idx", gzip.compress(labels)) as py:
        im = within([px, py], read_images, px, labels=py)
    np.testing.assert_array_equal(im.x[:, 0], pixels)
    assert im.labels.y[:, 0].tolist() == [1.0, 0.0]


def test_genome_pipe_is_refused_in_one_line(tmp_path):
    from seqnet.io.genome import open_genome

    with fifo(tmp_path / "genome.fa", b">chr1\nACGT\n") as pipe:
        with pytest.raises(InputError) as info:
            within([pipe], open_genome, pipe)
    assert str(info.value) == (
        f"{pipe}: not a regular file (a pipe?); a genome FASTA is read at random positions through its "
        f"index: save it to a file"
    )


# ----------------------------------------------------------------------------- the command line


def test_train_positives_from_a_pipe_matches_the_file(cli, sim, tiny_config, tmp_path):
    """``seqnet train --positives FIFO --negatives shuffle`` trains on the same data."""
    common = ["--negatives", "shuffle", "--config", tiny_config, "--seed", 3, "--task-name", "t",
              "--epochs", "1", "--quiet", "--device", "cpu"]
    from_file = cli("train", "--positives", sim.positives_fasta, "--out", tmp_path / "a", *common)
    assert from_file.exit_code == 0, from_file.output
    with fifo(tmp_path / "pos.fa", Path(sim.positives_fasta).read_bytes()) as pipe:
        from_pipe = within([pipe], cli, "train", "--positives", pipe, "--out", tmp_path / "b", *common)
    assert from_pipe.exit_code == 0, from_pipe.output
    assert (tmp_path / "a" / "metrics.json").read_text() == (tmp_path / "b" / "metrics.json").read_text()


def test_train_bad_pipe_gives_the_record_error(cli, tiny_config, tmp_path):
    with fifo(tmp_path / "pos.fa", BAD.encode()) as pipe:
        result = within([pipe], cli, "train", "--positives", pipe, "--negatives", "shuffle", "--config",
                        tiny_config, "--out", tmp_path / "run", "--quiet")
    assert result.exit_code == 1
    assert re.fullmatch(re.escape(f"Error: {pipe}: record 'b'") + r".*'U'.*position 4.*\n", result.stderr), result.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(shutil.which("bash") is None or not Path("/dev/fd").exists(), reason="needs bash and /dev/fd")
@pytest.mark.parametrize("bad", [False, True], ids=["good", "bad-record"])
def test_train_from_process_substitution(sim, tiny_config, tmp_path, bad):
    """``seqnet train --positives <(gzip -dc pos.fa.gz)``: the pipe is read once."""
    pos = tmp_path / "pos.fa.gz"
    pos.write_bytes(gzip.compress(BAD.encode() if bad else Path(sim.positives_fasta).read_bytes()))
    script = ('"$PY" -m seqnet train --positives <(gzip -dc "$POS") --negatives shuffle --config "$CFG" '
              '--epochs 1 --quiet --device cpu --out "$OUT"')
    env = {**os.environ, "PY": sys.executable, "POS": str(pos), "CFG": str(tiny_config), "OUT": str(tmp_path / "run"),
           "OMP_NUM_THREADS": "1"}
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=300)
    if bad:
        assert done.returncode == 1
        assert re.fullmatch(r"Error: /dev/fd/\d+: record 'b'.*'U'.*position 4.*\n", done.stderr), done.stderr
    else:
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "run" / "metrics.json").exists()

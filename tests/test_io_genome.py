"""Tests for seqnet.io.bed (BED, windows), seqnet.io.genome (genome index, read-only folders,
extraction) and seqnet.io.background (sampling)."""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import numpy as np
import pytest

from conftest import write
from seqnet.errors import ConfigError, InputError
from seqnet.io.fasta import parse_coordinate_id
from seqnet.io.background import sample_background
from seqnet.io.bed import Interval, read_bed, recenter
from seqnet.io.genome import chrom_sizes, extract, open_genome

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _random_dna(rng: np.random.Generator, n: int, gc: float = 0.5) -> str:
    p = [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2]
    return "".join(rng.choice(list("ACGT"), size=n, p=p))


def _fasta_text(chroms: dict[str, str], width: int = 60) -> str:
    out = []
    for name, seq in chroms.items():
        out.append(f">{name} description\n")
        out.extend(seq[i : i + width] + "\n" for i in range(0, len(seq), width))
    return "".join(out)


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("SEQNET_CACHE", str(folder))
    return folder


@pytest.fixture()
def genome_seqs():
    rng = np.random.default_rng(7)
    chr1 = list(_random_dna(rng, 5000).lower())  # soft-masked stretch below
    chr1[:1000] = [c.upper() for c in chr1[:1000]]
    chr1[2000:2100] = "N" * 100
    chr2 = "N" * 50 + _random_dna(rng, 2950)
    return {"chr1": "".join(chr1), "chr2": chr2, "chrM": _random_dna(rng, 90)}


@pytest.fixture()
def genome_path(tmp_path, genome_seqs, cache):
    path = tmp_path / "genome" / "genome.fa"
    path.parent.mkdir()
    path.write_text(_fasta_text(genome_seqs))
    return path


def _readonly(folder: Path):
    """Make ``folder`` read-only; skip where the file system ignores the mode.

    seqnet treats a folder without write bits as read-only even for root (who could
    write there anyway), so this works in root containers too.
    """
    folder.chmod(0o555)
    if folder.stat().st_mode & 0o222:
        folder.chmod(0o755)
        pytest.skip("chmod has no effect on this file system")
    return folder


# ----------------------------------------------------------------------------- read_bed


def test_read_bed(tmp_path):
    path = tmp_path / "p.bed"
    path.write_text(
        "track name=peaks\nbrowser position chr1\n# comment\n\n"
        "chr1\t10\t20\n"
        "chr2\t0\t5\tpeak2\t900\t+\n"
        "chr1 30 40 spaced\n"
    )
    ivs = read_bed(path)
    assert ivs == [
        Interval("chr1", 10, 20, None, 5),
        Interval("chr2", 0, 5, "peak2", 6),
        Interval("chr1", 30, 40, "spaced", 7),
    ]
    assert ivs[1].id == "chr2:0-5"


def test_read_bed_keeps_sequences_named_like_track_lines(tmp_path):
    """Only the words ``track`` / ``browser`` start a header line: ``trackA`` is a sequence."""
    path = write(tmp_path / "p.bed", "track\ttype=bed\ntrackA\t5\t9\nbrowser2\t1\t3\nbrowser\nchr1\t1\t2\n")
    assert read_bed(path) == [
        Interval("trackA", 5, 9, None, 2),
        Interval("browser2", 1, 3, None, 3),
        Interval("chr1", 1, 2, None, 5),
    ]


def test_read_bed_gzip(tmp_path):
    path = tmp_path / "p.bed.gz"
    path.write_bytes(gzip.compress(b"chr1\t1\t2\n"))
    assert read_bed(path) == [Interval("chr1", 1, 2, None, 1)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "chr1\t1\t5\nchr1\t100\n",
            "line 2: expected at least 3 tab-separated columns (chrom, start, end), found 2",
        ),
        ("chrom\tstart\tend\n", "line 1, column 2 (start): expected an integer, found 'start'"),
        ("chr1\t1\t2.5\n", "line 1, column 3 (end): expected an integer, found '2.5'"),
        ("\nchr1\t-5\t10\n", "line 2: start -5 is negative"),
        ("chr1\t10\t10\n", "line 1: end 10 is not after start 10"),
        ("chr1\t10\t5\n", "line 1: end 5 is not after start 10"),
        ("# only a comment\n", "no intervals found"),
        ("", "no intervals found"),
    ],
)
def test_read_bed_errors(tmp_path, text, message):
    path = tmp_path / "bad.bed"
    path.write_text(text)
    with pytest.raises(InputError, match=re.escape(f"{path}: {message}")):
        read_bed(path)


def test_read_bed_missing_and_binary(tmp_path):
    path = tmp_path / "none.bed"
    with pytest.raises(InputError, match=re.escape(f"{path}: no such file")):
        read_bed(path)
    path.write_bytes(b"\x00\x01\x02\x03")
    with pytest.raises(InputError, match=re.escape(f"{path}: not a text BED file")):
        read_bed(path)


# ----------------------------------------------------------------------------- open_genome


def test_open_genome_builds_fai_beside(genome_path, genome_seqs, cache):
    genome = open_genome(genome_path)
    assert Path(f"{genome_path}.fai").exists()
    assert not cache.exists()
    assert chrom_sizes(genome) == {k: len(v) for k, v in genome_seqs.items()}
    assert chrom_sizes(str(genome_path)) == chrom_sizes(genome)
    assert genome["chr1"][995:1005] == genome_seqs["chr1"][995:1005]


def test_open_genome_read_only_folder_uses_cache(genome_path, genome_seqs, cache):
    folder = _readonly(genome_path.parent)
    try:
        genome = open_genome(genome_path)
        assert not Path(f"{genome_path}.fai").exists()
        cached = list((cache / "fai").glob("genome.fa.*.fai"))
        assert len(cached) == 1
        assert chrom_sizes(genome)["chr2"] == len(genome_seqs["chr2"])
        # Reopening reuses the cached index.
        mtime = cached[0].stat().st_mtime_ns
        open_genome(genome_path)
        assert cached[0].stat().st_mtime_ns == mtime
    finally:
        folder.chmod(0o755)


def test_open_genome_uses_existing_fai_in_read_only_folder(genome_path, cache):
    open_genome(genome_path)  # writes the .fai beside
    folder = _readonly(genome_path.parent)
    try:
        open_genome(genome_path)
        assert not cache.exists()
    finally:
        folder.chmod(0o755)


def test_open_genome_bgzip_in_read_only_folder(tmp_path, genome_seqs, cache):
    from Bio import bgzf

    path = tmp_path / "gz" / "genome.fa.gz"
    path.parent.mkdir()
    with bgzf.BgzfWriter(str(path), "wb") as fh:
        fh.write(_fasta_text(genome_seqs).encode())
    folder = _readonly(path.parent)
    try:
        genome = open_genome(path)
        assert genome["chr2"][40:60] == genome_seqs["chr2"][40:60]
        assert len(list((cache / "fai").glob("*.gzi"))) == 1
    finally:
        folder.chmod(0o755)


def test_open_genome_plain_gzip(tmp_path, genome_seqs):
    path = tmp_path / "genome.fa.gz"
    path.write_bytes(gzip.compress(_fasta_text(genome_seqs).encode()))
    with pytest.raises(
        InputError,
        match=re.escape(
            f"{path}: gzip-compressed genome is not bgzip (no random access); bgzip it"
        ),
    ) as info:
        open_genome(path)
    assert "or decompress it" in str(info.value)


def test_open_genome_errors(tmp_path, cache):
    missing = tmp_path / "none.fa"
    with pytest.raises(InputError, match=re.escape(f"{missing}: no such file")):
        open_genome(missing)
    with pytest.raises(InputError, match=re.escape(f"{tmp_path}: is a directory")):
        open_genome(tmp_path)
    empty = tmp_path / "empty.fa"
    empty.write_text("")
    with pytest.raises(InputError, match=re.escape(f"{empty}: empty file")):
        open_genome(empty)
    bed = tmp_path / "peaks.bed"
    bed.write_text("chr1\t1\t100\n")
    with pytest.raises(
        InputError,
        match=re.escape(f"{bed}: line 1: expected a FASTA header starting with '>', found 'chr1"),
    ):
        open_genome(bed)
    binary = tmp_path / "bin.fa"
    binary.write_bytes(b"\x00\x01\x02junk")
    with pytest.raises(InputError, match=re.escape(f"{binary}: not a text FASTA file")):
        open_genome(binary)
    late = tmp_path / "late.fa"
    late.write_bytes(b">chr1\nACGT\nAC\xff\xfe\n")
    with pytest.raises(InputError, match=re.escape(f"{late}: not a text FASTA file")):
        open_genome(late)


def test_open_genome_damaged_index(genome_path):
    open_genome(genome_path)
    fai = Path(f"{genome_path}.fai")
    fai.write_text("chr1\tnot an index\n")
    message = f"{genome_path}: cannot read its index {fai} ("
    with pytest.raises(InputError, match=re.escape(message)):
        open_genome(genome_path)


def test_open_genome_ragged_lines_and_duplicates(tmp_path, cache):
    ragged = tmp_path / "ragged.fa"
    ragged.write_text(">chr1\nACGTACGT\nACG\nACGTACGT\n")
    with pytest.raises(InputError, match=re.escape(f"{ragged}: cannot index genome FASTA (")):
        open_genome(ragged)
    dup = tmp_path / "dup.fa"
    dup.write_text(">chr1\nACGT\n>chr1 again\nACGT\n")
    with pytest.raises(InputError, match=re.escape(f"{dup}: duplicate sequence name 'chr1'")):
        open_genome(dup)


# ----------------------------------------------------------------------------- stale indexes


EDITS = {
    "shorter": lambda s: {**s, "chr1": s["chr1"][:4000]},
    "renamed": lambda s: {"chrX" if k == "chr1" else k: v for k, v in s.items()},
    "rewrapped": None,  # same sequences, 61 bases a line
    "same-size": lambda s: {"chr1": s["chr1"][:-60], "chr2": s["chr1"][-60:] + s["chr2"], "chrM": s["chrM"]},
}


def _edit(path: Path, seqs: dict[str, str], edit: str) -> dict[str, str]:
    """Rewrite the genome in place; return its new sequences."""
    new = seqs if EDITS[edit] is None else EDITS[edit](seqs)
    path.write_text(_fasta_text(new, width=61 if edit == "rewrapped" else 60))
    return new


def _check_reads(genome, seqs: dict[str, str]) -> None:
    assert chrom_sizes(genome) == {k: len(v) for k, v in seqs.items()}
    for name, seq in seqs.items():
        assert genome[name][:] == seq


@pytest.mark.parametrize("edit", list(EDITS))
def test_open_genome_rebuilds_a_stale_fai_that_looks_newer(genome_path, genome_seqs, cache, edit):
    open_genome(genome_path)
    fai = Path(f"{genome_path}.fai")
    size = genome_path.stat().st_size
    new = _edit(genome_path, genome_seqs, edit)
    if edit == "same-size":
        assert genome_path.stat().st_size == size
    later = genome_path.stat().st_mtime_ns + 10**9
    os.utime(fai, ns=(later, later))  # the old index looks newer than the edited genome
    genome = open_genome(genome_path)
    _check_reads(genome, new)
    assert fai.stat().st_mtime_ns != later  # rebuilt in place
    assert not cache.exists()


def test_open_genome_keeps_a_current_fai(genome_path, genome_seqs, cache):
    """Changed bases on the same lines leave the index right: it is reused, not rebuilt."""
    open_genome(genome_path)
    fai = Path(f"{genome_path}.fai")
    new = {**genome_seqs, "chr2": genome_seqs["chr2"][::-1]}
    genome_path.write_text(_fasta_text(new))
    earlier = genome_path.stat().st_mtime_ns
    os.utime(fai, ns=(earlier, earlier))
    _check_reads(open_genome(genome_path), new)
    assert fai.stat().st_mtime_ns == earlier


def test_open_genome_stale_fai_in_read_only_folder_goes_to_the_cache(genome_path, genome_seqs, cache):
    open_genome(genome_path)
    fai = Path(f"{genome_path}.fai")
    old = fai.read_bytes()
    new = _edit(genome_path, genome_seqs, "renamed")
    later = genome_path.stat().st_mtime_ns + 10**9
    os.utime(fai, ns=(later, later))
    folder = _readonly(genome_path.parent)
    try:
        _check_reads(open_genome(genome_path), new)
        assert fai.read_bytes() == old  # the read-only folder is left alone
        assert len(list((cache / "fai").glob("genome.fa.*.fai"))) == 1
    finally:
        folder.chmod(0o755)


def test_open_genome_rebuilds_a_stale_fai_in_the_cache(genome_path, genome_seqs, cache):
    """Same path, size and modification time (the cache name's key): the content decides."""
    folder = _readonly(genome_path.parent)
    try:
        open_genome(genome_path)
    finally:
        folder.chmod(0o755)
    cached = list((cache / "fai").glob("genome.fa.*.fai"))
    assert len(cached) == 1
    st = genome_path.stat()
    new = _edit(genome_path, genome_seqs, "same-size")
    assert genome_path.stat().st_size == st.st_size
    os.utime(genome_path, ns=(st.st_atime_ns, st.st_mtime_ns))
    folder = _readonly(genome_path.parent)
    try:
        genome = open_genome(genome_path)
    finally:
        folder.chmod(0o755)
    assert list((cache / "fai").glob("genome.fa.*.fai")) == cached  # the same entry, rebuilt
    _check_reads(genome, new)
    assert not Path(f"{genome_path}.fai").exists()


def test_open_genome_rebuilds_stale_bgzip_indexes(tmp_path, genome_seqs, cache):
    from Bio import bgzf

    path = tmp_path / "genome.fa.gz"

    def write(seqs):
        with bgzf.BgzfWriter(str(path), "wb") as fh:
            fh.write(_fasta_text(seqs).encode())

    write(genome_seqs)
    open_genome(path)
    new = EDITS["same-size"](genome_seqs)
    write(new)
    later = path.stat().st_mtime_ns + 10**9
    for index in (Path(f"{path}.fai"), Path(f"{path}.gzi")):
        os.utime(index, ns=(later, later))
    _check_reads(open_genome(path), new)


def test_open_genome_refuses_an_index_it_cannot_make_match(genome_path, monkeypatch):
    from seqnet.io import genome as genome_mod

    monkeypatch.setattr(genome_mod, "index_problem", lambda genome: "no '>chr1' header line ends at byte 6")
    with pytest.raises(InputError) as info:
        open_genome(genome_path)
    assert str(info.value) == (
        f"{genome_path}: its rebuilt index {genome_path}.fai does not match the genome "
        f"(no '>chr1' header line ends at byte 6)"
    )


BASE = ">chr1\nACGTAC\nACG\n>chr2\nAC\n"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (BASE, None),
        (">chr1\nTTTTTT\nNNN\n>chr2\nGG\n\n\n", None),  # other bases, blank lines at the end
        (">chr1\nACGTAC\nACGTAC\nA\n>chr2\nAC\n", "line 2 of 'chr1' is not 3 bases long at byte 13"),
        (">chr1\nACGTAC\nACG\n>chr3\nAC\n", "no '>chr2' header line ends at byte 23"),
        (">chr1\nACGTAC\nACG\n\n>chr2\nAC\n", "no '>chr2' header line ends at byte 23"),
        (">chr1\nACGTA\nACGTA\n>chr2\nAC\n", "line 1 of 'chr1' is not 6 bases long at byte 6"),
        (">chr1\nACGTAC\nACG\n>chr2\nACGT\n", "line 1 of 'chr2' is not 2 bases long at byte 23"),
        (BASE + ">chr3\nA\n", "the file goes on after 'chr2', its last sequence"),
    ],
)
def test_index_problem(tmp_path, text, problem):
    """The index of BASE checked against the file rewritten as ``text``."""
    import pyfaidx

    from seqnet.io.genome import index_problem

    path = write(tmp_path / "g.fa", BASE)
    open_genome(path).close()
    path.write_text(text)
    later = path.stat().st_mtime_ns + 10**9
    os.utime(f"{path}.fai", ns=(later, later))
    with pyfaidx.Fasta(str(path), as_raw=True) as genome:
        assert index_problem(genome) == problem


@pytest.mark.parametrize(
    "text",
    [
        "\n>chr1 x\r\nACGTAC\r\nACG\r\n\n>chr2\nAC",  # CRLF, blank lines, no final newline
        ">chr1\nACGTAC\nACG\n>empty\n>chr2\nA\n",  # an empty sequence
        ">chr1\n" + "ACGT" * 50 + "\n>chr2\n" + "AC\n" * 7 + "A\n",
    ],
)
def test_index_problem_none_for_the_index_pyfaidx_builds(tmp_path, text):
    from seqnet.io.genome import index_problem

    with open_genome(write(tmp_path / "g.fa", text)) as genome:
        assert index_problem(genome) is None


# ----------------------------------------------------------------------------- recenter / extract


@pytest.mark.parametrize(
    ("start", "end", "length", "expected"),
    [
        (100, 200, 50, (125, 175)),
        (100, 200, 200, (50, 250)),
        (100, 201, 50, (125, 175)),  # half a base off: rounds down
        (0, 3, 2, (0, 2)),
        (10, 11, 5, (8, 13)),
        (0, 10, 100, (-45, 55)),
    ],
)
def test_recenter(start, end, length, expected):
    out = recenter(Interval("c", start, end, "n", 4), length)
    assert (out.start, out.end) == expected
    assert out.end - out.start == length
    assert (out.chrom, out.name, out.line) == ("c", "n", 4)


def test_recenter_bad_length():
    with pytest.raises(ConfigError, match="positive"):
        recenter(Interval("c", 0, 10), 0)


def test_extract_exact(genome_path, genome_seqs):
    genome = open_genome(genome_path)
    ivs = [Interval("chr1", 990, 1010), Interval("chr2", 0, 60), Interval("chr1", 4990, 5000)]
    ids, seqs = extract(genome, ivs, None, source="peaks.bed")
    assert ids == ["chr1:990-1010", "chr2:0-60", "chr1:4990-5000"]
    chr1, chr2 = genome_seqs["chr1"], genome_seqs["chr2"]
    assert seqs == [chr1[990:1010], chr2[0:60], chr1[4990:]]
    ids, seqs = extract(genome, [Interval("chr1", 100, 200)], 20, source="peaks.bed")
    assert ids == ["chr1:140-160"]
    assert seqs == [genome_seqs["chr1"][140:160]]


def test_extract_pads_edges_with_n(genome_path, genome_seqs):
    genome = open_genome(genome_path)
    chr1 = genome_seqs["chr1"]
    ivs = [Interval("chr1", 0, 10), Interval("chr1", 4990, 5000), Interval("chrM", 40, 50)]
    ids, seqs = extract(genome, ivs, 30, source="p.bed")
    assert ids == ["chr1:-10-20", "chr1:4980-5010", "chrM:30-60"]
    assert seqs[0] == "N" * 10 + chr1[:20]
    assert seqs[1] == chr1[4980:] + "N" * 10
    assert all(len(s) == 30 for s in seqs)
    # A window longer than the whole chromosome is padded on both sides.
    _, (seq,) = extract(genome, [Interval("chrM", 0, 90)], 100, source="p.bed")
    assert seq == "N" * 5 + genome_seqs["chrM"] + "N" * 5


def test_extract_unknown_chromosome(genome_path):
    genome = open_genome(genome_path)
    with pytest.raises(
        InputError,
        match=re.escape(
            "peaks.bed: line 7: unknown chromosome 'chrZ' (genome has: chr1, chr2, chrM)"
        ),
    ):
        ivs = [Interval("chr1", 0, 5, None, 3), Interval("chrZ", 0, 5, None, 7)]
        extract(genome, ivs, None, source="peaks.bed")


def test_extract_past_chromosome_end(genome_path):
    genome = open_genome(genome_path)
    with pytest.raises(
        InputError,
        match=re.escape(
            "peaks.bed: line 2: interval chr2:2900-3100 ends past the end of chr2 (3000 bp)"
        ),
    ):
        extract(genome, [Interval("chr2", 2900, 3100, None, 2)], 100, source="peaks.bed")
    # Intervals built in code (line 0) are named by position.
    with pytest.raises(InputError, match=re.escape("windows: interval 1: interval chr2:2900-3100")):
        extract(genome, [Interval("chr2", 2900, 3100)], None, source="windows")


def test_unknown_chromosome_list_is_cut(tmp_path, cache):
    path = tmp_path / "many.fa"
    path.write_text("".join(f">c{i}\nACGT\n" for i in range(9)))
    genome = open_genome(path)
    message = "(genome has: c0, c1, c2, c3, c4, ... (9 in all))"
    with pytest.raises(InputError, match=re.escape(message)):
        extract(genome, [Interval("x", 0, 1, None, 1)], None, source="b.bed")


# ----------------------------------------------------------------------------- sample_background


def _gc(seqs):
    return np.array([sum(c in "GCgc" for c in s) / len(s) for s in seqs])


def test_background_windows_are_valid(genome_path, genome_seqs):
    genome = open_genome(genome_path)
    peaks = [Interval("chr1", 500, 700), Interval("chr1", 3000, 3300), Interval("chr2", 1000, 1100)]
    ids, seqs = sample_background(genome, 30, 100, exclude=peaks, seed=3)
    assert len(ids) == len(seqs) == 30 and len(set(ids)) == 30
    taken = []
    for rid, seq in zip(ids, seqs):
        chrom, start, end = parse_coordinate_id(rid)
        assert end - start == 100 and seq == genome_seqs[chrom][start:end]
        assert "N" not in seq.upper()
        assert not any(p.chrom == chrom and p.start < end and start < p.end for p in peaks)
        taken.append((chrom, start, end))
    taken.sort()
    for (c1, _, e1), (c2, s2, _) in zip(taken, taken[1:]):
        assert c1 != c2 or e1 <= s2  # windows do not overlap each other


def test_background_is_deterministic(genome_path):
    genome = open_genome(genome_path)
    a = sample_background(genome, 20, 50, exclude=[], seed=1)
    b = sample_background(genome, 20, 50, exclude=[], seed=1)
    c = sample_background(genome, 20, 50, exclude=[], seed=2)
    assert a == b
    assert a[0] != c[0]


def test_background_chroms_and_n_fraction(genome_path, genome_seqs):
    genome = open_genome(genome_path)
    ids, _ = sample_background(genome, 10, 100, exclude=[], chroms=["chr2"], seed=0)
    assert all(i.startswith("chr2:") for i in ids)
    # chr2 has 29 or 30 tiles of 100 bp; with Ns allowed every one of them is usable.
    ids, _ = sample_background(genome, 29, 100, exclude=[], chroms=["chr2"], max_n_fraction=1.0)
    assert len(ids) == 29
    _, seqs = sample_background(genome, 60, 100, exclude=[], max_n_fraction=0.3, seed=4)
    assert max(s.count("N") for s in seqs) <= 30
    with pytest.raises(ConfigError, match="unknown chromosome 'chrX' in chroms"):
        sample_background(genome, 1, 10, exclude=[], chroms=["chrX"])


def test_background_gc_matched(tmp_path, cache):
    rng = np.random.default_rng(0)
    # Blocks of 2 kb with GC from 0.25 to 0.75; positives are GC-rich (0.65).
    blocks = [_random_dna(rng, 2000, gc) for gc in rng.uniform(0.25, 0.75, size=100)]
    path = tmp_path / "gc.fa"
    path.write_text(_fasta_text({"chrA": "".join(blocks)}))
    genome = open_genome(path)
    positives = [_random_dna(rng, 100, 0.65) for _ in range(200)]
    _, plain = sample_background(genome, 200, 100, exclude=[], seed=5)
    _, matched = sample_background(genome, 200, 100, exclude=[], gc_like=positives, seed=5)
    target = _gc(positives).mean()
    assert abs(_gc(matched).mean() - target) < 0.02
    assert abs(_gc(plain).mean() - target) > 0.1
    # Same bins as sample_background (20 bins, exact edges go up): the counts match.
    def hist(seqs):
        return np.bincount(np.floor(_gc(seqs) * 20 + 1e-9).astype(int), minlength=21)

    np.testing.assert_array_equal(hist(matched), hist(positives))


def test_background_too_small(genome_path):
    genome = open_genome(genome_path)
    message = r"genome\.fa: found only \d+ background windows of 1000 bp"
    with pytest.raises(InputError, match=message) as info:
        sample_background(genome, 50, 1000, exclude=[Interval("chr1", 0, 10)])
    assert "but 50 were asked for" in str(info.value)


def test_background_gc_bin_short_spills_to_nearest_bins(genome_path):
    genome = open_genome(genome_path)
    positives = ["GGGGGCCCCC" * 10] * 5  # GC 1.0: nothing in a random genome
    ids, seqs = sample_background(genome, 5, 100, exclude=[], gc_like=positives)
    assert len(seqs) == 5
    # Filled from the GC-richest windows the genome has, not at random.
    _, plain = sample_background(genome, 5, 100, exclude=[], seed=1)
    assert _gc(seqs).min() >= _gc(plain).max() - 1e-9 or _gc(seqs).mean() > _gc(plain).mean() + 0.05


def test_spill_quotas():
    from seqnet.io.background import _spill_quotas

    got = _spill_quotas(np.array([0, 3, 5, 0]), np.array([2, 1, 2, 9]))
    np.testing.assert_array_equal(got, [2, 1, 2, 3])
    assert got.sum() == 8


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": -1}, "must be >= 0"),
        ({"length": 0}, "positive"),
        ({"max_n_fraction": 1.5}, "between 0 and 1"),
        ({"gc_bins": 0}, "gc_bins"),
        ({"gc_like": []}, "gc_like is empty"),
    ],
)
def test_background_bad_options(genome_path, kwargs, message):
    genome = open_genome(genome_path)
    args = {"n": 5, "length": 50, "exclude": [], **kwargs}
    with pytest.raises(ConfigError, match=message):
        sample_background(genome, **args)


# ----------------------------------------------------------------------------- real data


def test_real_pseudo_genome(cache):
    folder = DATA / "chipseq_oct4_mafk"
    if not (folder / "pseudo_genome.fa").exists() or not (folder / "scores.bed").exists():
        pytest.skip(f"shared data not available ({folder})")
    had_fai = Path(f"{folder / 'pseudo_genome.fa'}.fai").exists()
    genome = open_genome(folder / "pseudo_genome.fa")
    assert chrom_sizes(genome) == {"pseudo1": 1_559_400, "pseudo2": 40_000}
    # The shared folder is read-only: nothing may be written beside the genome.
    assert Path(f"{folder / 'pseudo_genome.fa'}.fai").exists() == had_fai
    scores = read_bed(folder / "scores.bed")
    assert [(iv.chrom, iv.start, iv.end) for iv in scores] == [
        ("pseudo1", 0, 779_400),
        ("pseudo2", 0, 20_000),
    ]
    part = Interval("pseudo1", 1000, 1200, None, 1)
    ids, seqs = extract(genome, [part, scores[1]], None, source=str(folder / "scores.bed"))
    assert ids == ["pseudo1:1000-1200", "pseudo2:0-20000"]
    assert len(seqs[0]) == 200 and len(seqs[1]) == 20_000
    # Oct4 peaks were concatenated 200 bp each: window 5 of pseudo1 is the 6th peak.
    oct4 = folder / "oct4_train.fa"
    if oct4.exists():
        from seqnet.io.fasta import read_fasta

        _, peaks = read_fasta(oct4)
        assert seqs[0] == peaks[5]

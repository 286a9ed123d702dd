"""`seqnet prepare`: BED + genome, FASTA and sequence tables in, positives / negatives FASTA out."""

from __future__ import annotations

import gzip
import json
from collections import Counter

import numpy as np
import pytest
from conftest import TINY, write


def _dinucleotides(seq: str) -> Counter:
    return Counter(seq[i : i + 2] for i in range(len(seq) - 1))


@pytest.mark.parametrize("command", ["prepare", "summarize"])
def test_help(cli, command):
    result = cli(command, "--help")
    assert result.exit_code == 0
    assert "Usage: " in result.output and command in result.output


@pytest.fixture(scope="module")
def genome(tmp_path_factory):
    """Two random 3 kb chromosomes and four 60 bp peaks."""
    d = tmp_path_factory.mktemp("genome")
    rng = np.random.default_rng(5)
    seqs = ["".join(rng.choice(list("ACGT"), 3000)) for _ in range(2)]
    fa = write(d / "genome.fa", "".join(f">chr{i + 1}\n" + "\n".join(s[j : j + 60] for j in range(0, 3000, 60)) + "\n"
                                        for i, s in enumerate(seqs)))
    bed = write(d / "peaks.bed", "chr1\t100\t160\tp1\nchr1\t1000\t1060\tp2\nchr2\t500\t560\tp3\nchr2\t2000\t2300\tp4\n")
    return fa, bed, seqs


def test_positives_shuffle(cli, sim, tmp_path):
    from seqnet.io.fasta import read_fasta

    pos, neg = tmp_path / "pos.fa", tmp_path / "neg.fa.gz"
    result = cli("prepare", "--positives", sim.positives_fasta, "--negatives", "shuffle", "--seed", 4,
                 "--out-positives", pos, "--out-negatives", neg)
    assert result.exit_code == 0, result.output
    assert "wrote 150 positives" in result.output and "150 negatives (shuffle)" in result.output
    assert read_fasta(pos) == read_fasta(sim.positives_fasta)
    with gzip.open(neg) as fh:
        assert fh.read(1) == b">"
    ids, seqs = read_fasta(pos)
    neg_ids, neg_seqs = read_fasta(neg)
    assert neg_ids == [f"{i}_shuf" for i in ids]
    for s, t in zip(seqs, neg_seqs):
        assert _dinucleotides(s.upper()) == _dinucleotides(t) and s.upper() != t


def test_prepared_files_train_like_shuffle(cli, sim, tiny_config, tmp_path):
    """Training on prepared shuffled negatives = training with --negatives shuffle (same seed)."""
    pos, neg = tmp_path / "pos.fa", tmp_path / "neg.fa"
    assert cli("prepare", "--positives", sim.positives_fasta, "--negatives", "shuffle", "--seed", 2,
               "--out-positives", pos, "--out-negatives", neg).exit_code == 0
    common = ["--config", tiny_config, "--seed", 2, "--task-name", "t", *TINY]
    a = cli("train", "--positives", pos, "--negatives", neg, "--out", tmp_path / "a", *common)
    b = cli("train", "--positives", sim.positives_fasta, "--negatives", "shuffle", "--out", tmp_path / "b", *common)
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    assert (tmp_path / "a" / "metrics.json").read_text() == (tmp_path / "b" / "metrics.json").read_text()


@pytest.mark.parametrize("negatives", ["genome", "shuffle"])
def test_bed_matches_train_input(cli, genome, tmp_path, negatives):
    """The prepared windows are the ones `seqnet train --bed` reads."""
    from seqnet.kinds.sequence_loaders import load_bed
    from seqnet.encode import encode
    from seqnet.io.fasta import read_fasta

    fa, bed, _ = genome
    pos, neg = tmp_path / "pos.fa", tmp_path / "neg.fa"
    result = cli("prepare", "--bed", bed, "--genome", fa, "--negatives", negatives, "--length", 50, "--seed", 1,
                 "--out-positives", pos, "--out-negatives", neg)
    assert result.exit_code == 0, result.output
    ids, seqs = read_fasta(pos)
    neg_ids, neg_seqs = read_fasta(neg)
    assert ids == ["chr1:105-155", "chr1:1005-1055", "chr2:505-555", "chr2:2125-2175"]
    data = load_bed(bed, fa, negatives, length=50, seed=1)
    assert data.ids == ids + neg_ids
    assert np.array_equal(data.tokens, np.stack([encode(s) for s in seqs + neg_seqs]))


def test_bed_tile(cli, genome, tmp_path):
    from seqnet.io.fasta import read_fasta

    fa, bed, seqs = genome
    pos, neg = tmp_path / "pos.fa", tmp_path / "neg.fa"
    result = cli("prepare", "--bed", bed, "--genome", fa, "--tile", "--length", 100, "--negatives", "shuffle",
                 "--out-positives", pos, "--out-negatives", neg)
    assert result.exit_code == 0, result.output
    ids, got = read_fasta(pos)
    # 60 bp peaks are shorter than a window: one centred window each; the 300 bp one gives 3 tiles
    assert ids == ["chr1:80-180", "chr1:980-1080", "chr2:480-580", "chr2:2000-2100", "chr2:2100-2200", "chr2:2200-2300"]
    assert got[3] == seqs[1][2000:2100]


def test_table_with_labels(cli, tmp_path):
    from seqnet.io.fasta import read_fasta

    table = tmp_path / "B.seq.gz"
    with gzip.open(table, "wt") as fh:
        fh.write("FoldID\tEventID\tseq\tBound\nB\ta\tACGTAC\t1\nB\tb\tGGGCCA\t0\nB\tc\tTTTAAA\t1\n")
    pos, neg = tmp_path / "pos.fa", tmp_path / "neg.fa"
    result = cli("prepare", "--table", table, "--id-column", "EventID", "--label-column", "Bound",
                 "--out-positives", pos, "--out-negatives", neg)
    assert result.exit_code == 0, result.output
    assert read_fasta(pos) == (["a", "c"], ["ACGTAC", "TTTAAA"])
    assert read_fasta(neg) == (["b"], ["GGGCCA"])
    assert "rows labelled 0 in Bound" in result.output


def test_table_all_positive_with_shuffle(cli, tmp_path):
    from seqnet.io.fasta import read_fasta

    table = write(tmp_path / "AC.tsv", "id\tseq\tBound\nx\tACGTACGTAA\t1\ny\tCCGGTTAACC\t1\n")
    pos, neg = tmp_path / "pos.fa", tmp_path / "neg.fa"
    result = cli("prepare", "--table", table, "--label-column", "Bound", "--negatives", "shuffle",
                 "--out-positives", pos, "--out-negatives", neg)
    assert result.exit_code == 0, result.output
    assert read_fasta(neg)[0] == ["x_shuf", "y_shuf"]


def test_negatives_fasta_copied(cli, sim, tmp_path):
    from seqnet.io.fasta import read_fasta

    pos, neg = tmp_path / "pos.fa", tmp_path / "neg.fa"
    result = cli("prepare", "--positives", sim.positives_fasta, "--negatives", sim.negatives_fasta,
                 "--out-positives", pos, "--out-negatives", neg)
    assert result.exit_code == 0, result.output
    assert read_fasta(neg) == read_fasta(sim.negatives_fasta)


def test_paired_shuffled_negatives_share_split_groups():
    from seqnet.kinds.sequence_loaders import _paired_groups

    groups, chroms = _paired_groups(["chr1:1-5", "chr2:1-5"], ["chr2:1-5_shuf", "other", "chr1:1-5_shuf"])
    assert groups.tolist() == [0, 1, 1, 3, 0]
    assert chroms == ["chr1", "chr2", "chr2", None, "chr1"]


# ----------------------------------------------------------------------------- errors


@pytest.fixture
def files(tmp_path, sim):
    table = write(tmp_path / "t.tsv", "id\tseq\tlabel\na\tACGT\t1\nb\tGGCC\t2\n")
    return {
        "pos": sim.positives_fasta,
        "table": table,
        "out": ["--out-positives", tmp_path / "o_pos.fa", "--out-negatives", tmp_path / "o_neg.fa"],
        "tmp": tmp_path,
    }


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "name the positives one way: --positives POS.fa, --bed PEAKS.bed --genome GENOME.fa, or --table SEQS.tsv"),
        (["--positives", "{pos}", "--table", "{table}"], "(got --positives and --table)"),
        (["--positives", "{pos}", "--genome", "{pos}", "--negatives", "shuffle"], "--genome goes with --bed"),
        (["--positives", "{pos}", "--length", "50", "--negatives", "shuffle"], "--length goes with --bed"),
        (["--positives", "{pos}", "--label-column", "x", "--negatives", "shuffle"], "--label-column goes with --table"),
        (["--positives", "{pos}", "--negatives", "genome"], "--negatives genome needs --bed PEAKS.bed --genome GENOME.fa"),
        (["--positives", "{pos}"], "name the negatives: --negatives shuffle, --negatives genome (with --bed) or --negatives NEG.fa"),
        (["--bed", "{table}", "--negatives", "shuffle"], "--bed needs --genome GENOME.fa"),
        (["--table", "{table}", "--seq-column", "sequence", "--negatives", "shuffle"],
         "t.tsv: no column 'sequence' (columns: id, seq, label); name the column with --seq-column"),
        (["--table", "{table}", "--label-column", "label"], "t.tsv: line 3, column 'label': expected 0 or 1, found '2'"),
        (["--positives", "{tmp}/missing.fa", "--negatives", "shuffle"], "missing.fa: no such file"),
    ],
)
def test_errors(cli, files, args, message):
    args = [a.format(**files) for a in args]
    result = cli("prepare", *args, *files["out"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (files["tmp"] / "o_pos.fa").exists() and not (files["tmp"] / "o_neg.fa").exists()


def test_error_table_negatives_twice(cli, tmp_path):
    table = write(tmp_path / "t.tsv", "id\tseq\tBound\na\tACGT\t1\nb\tGGCC\t0\n")
    result = cli("prepare", "--table", table, "--label-column", "Bound", "--negatives", "shuffle",
                 "--out-positives", tmp_path / "p.fa", "--out-negatives", tmp_path / "n.fa")
    assert result.exit_code == 1
    assert "t.tsv: 1 rows are labelled 0 in column 'Bound' and are the negatives; drop --negatives shuffle" in result.stderr


def test_error_table_no_positives(cli, tmp_path):
    table = write(tmp_path / "t.tsv", "id\tseq\tBound\na\tACGT\t0\n")
    result = cli("prepare", "--table", table, "--label-column", "Bound",
                 "--out-positives", tmp_path / "p.fa", "--out-negatives", tmp_path / "n.fa")
    assert result.exit_code == 1
    assert "t.tsv: no rows labelled 1 in column 'Bound'; expected some positives" in result.stderr


def test_error_table_empty_sequence_and_duplicate_id(cli, tmp_path):
    out = ["--negatives", "shuffle", "--out-positives", tmp_path / "p.fa", "--out-negatives", tmp_path / "n.fa"]
    empty = write(tmp_path / "e.tsv", "id\tseq\na\tACGT\nb\t\n")
    result = cli("prepare", "--table", empty, *out)
    assert result.exit_code == 1 and "e.tsv: line 3, column 'seq': empty sequence" in result.stderr
    dup = write(tmp_path / "d.tsv", "id\tseq\na\tACGT\na\tACGA\n")
    result = cli("prepare", "--table", dup, *out)
    assert result.exit_code == 1 and "d.tsv: duplicate id 'a' (lines 2 and 3)" in result.stderr


def test_error_invalid_letter_and_id_clash(cli, sim, tmp_path):
    out = ["--out-positives", tmp_path / "p.fa", "--out-negatives", tmp_path / "n.fa"]
    bad = write(tmp_path / "bad.fa", ">r1\nACGTJ\n")
    result = cli("prepare", "--positives", bad, "--negatives", "shuffle", *out)
    assert result.exit_code == 1 and "bad.fa: record 'r1'" in result.stderr and "'J'" in result.stderr
    result = cli("prepare", "--positives", sim.positives_fasta, "--negatives", sim.positives_fasta, *out)
    assert result.exit_code == 1
    assert "record ids also occur among the positives" in result.stderr
    assert not (tmp_path / "p.fa").exists()


def test_error_same_output_file(cli, sim, tmp_path):
    result = cli("prepare", "--positives", sim.positives_fasta, "--negatives", "shuffle",
                 "--out-positives", tmp_path / "x.fa", "--out-negatives", tmp_path / "x.fa")
    assert result.exit_code == 1
    assert "--out-positives and --out-negatives name the same file" in result.stderr


def test_error_bed_outside_genome(cli, genome, tmp_path):
    fa, _, _ = genome
    bed = write(tmp_path / "far.bed", "chr1\t2900\t3100\n")
    result = cli("prepare", "--bed", bed, "--genome", fa, "--negatives", "genome",
                 "--out-positives", tmp_path / "p.fa", "--out-negatives", tmp_path / "n.fa")
    assert result.exit_code == 1
    assert "far.bed: line 1: interval chr1:2900-3100 ends past the end of chr1 (3000 bp)" in result.stderr
    assert json.dumps(sorted(p.name for p in tmp_path.iterdir())) == json.dumps(["far.bed"])


# ----------------------------------------------------------------------------- duplicate BED windows


@pytest.fixture(scope="module")
def dup_peaks(tmp_path_factory):
    """A genome with 30 planted peaks; the BED lists peak 3 twice and peak 7 again with
    other coordinates that re-centre to the same 50 bp window."""
    d = tmp_path_factory.mktemp("dups")
    rng = np.random.default_rng(11)
    chrom = list("".join(rng.choice(list("ACGT"), 12000)))
    lines = []
    for k in range(30):
        start = 200 + k * 380
        chrom[start + 24 : start + 36] = list("GGGGCCCCGGGG")
        lines.append(f"chr1\t{start}\t{start + 60}\tpeak{k}\n")
    fa = write(d / "genome.fa", ">chr1\n" + "\n".join("".join(chrom[i : i + 60]) for i in range(0, 12000, 60)) + "\n")
    with_dups = lines[:5] + [lines[3]] + lines[5:9] + [f"chr1\t{200 + 7 * 380 - 1}\t{200 + 7 * 380 + 61}\tpeak7b\n"] + lines[9:]
    return fa, write(d / "dups.bed", "".join(with_dups)), write(d / "unique.bed", "".join(lines))


DUP_WARNING = ("warning: {bed}: dropped 2 duplicate windows (first: line 6, chr1:1345-1395, the same window as "
               "line 4); each window is used once")


def test_bed_windows_drop_duplicates_and_warn(dup_peaks, caplog):
    from seqnet.kinds.sequence_loaders import bed_windows

    fa, bed, unique = dup_peaks
    with caplog.at_level("WARNING", logger="seqnet"):
        _, intervals, ids, seqs = bed_windows(bed, fa, length=50)
    assert [r.getMessage() for r in caplog.records] == [DUP_WARNING.format(bed=bed)]
    _, want_intervals, want_ids, want_seqs = bed_windows(unique, fa, length=50)
    assert ids == want_ids and seqs == want_seqs and len(set(ids)) == 30
    assert [iv.line for iv in intervals] == [1, 2, 3, 4, 5] + list(range(7, 11)) + list(range(12, 33))
    assert [(iv.chrom, iv.start, iv.end) for iv in intervals] == [(iv.chrom, iv.start, iv.end) for iv in want_intervals]


def test_bed_windows_tiles_drop_duplicates(tmp_path, genome, caplog):
    from seqnet.kinds.sequence_loaders import bed_windows

    fa, _, _ = genome
    bed = write(tmp_path / "regions.bed", "chr1\t0\t300\nchr1\t100\t300\nchr1\t0\t200\n")
    with caplog.at_level("WARNING", logger="seqnet"):
        _, tiles, ids, _ = bed_windows(bed, fa, length=100, tile=True)
    assert ids == ["chr1:0-100", "chr1:100-200", "chr1:200-300"]
    assert [iv.line for iv in tiles] == [1, 1, 1]
    assert [r.getMessage() for r in caplog.records] == [
        f"warning: {bed}: dropped 4 duplicate windows (first: line 2, chr1:100-200, the same window as line 1); "
        f"each window is used once"]


def test_bed_without_duplicates_does_not_warn(dup_peaks, caplog):
    from seqnet.kinds.sequence_loaders import bed_windows

    fa, _, unique = dup_peaks
    with caplog.at_level("WARNING", logger="seqnet"):
        bed_windows(unique, fa, length=50)
    assert caplog.records == []


def test_prepare_duplicate_bed_then_train_on_the_files(cli, dup_peaks, tiny_config, tmp_path):
    """prepare writes each window once, so train accepts the FASTA it wrote."""
    from seqnet.io.fasta import read_fasta

    fa, bed, _ = dup_peaks
    pos, neg = tmp_path / "pos.fa", tmp_path / "neg.fa"
    result = cli("prepare", "--bed", bed, "--genome", fa, "--negatives", "genome", "--length", 50, "--seed", 1,
                 "--out-positives", pos, "--out-negatives", neg)
    assert result.exit_code == 0, result.output
    assert DUP_WARNING.format(bed=bed) + "\n" in result.stderr
    ids, _ = read_fasta(pos)
    neg_ids, _ = read_fasta(neg)
    assert len(ids) == len(set(ids)) == 30 and len(neg_ids) == 30
    trained = cli("train", "--positives", pos, "--negatives", neg, "--config", tiny_config, "--out", tmp_path / "run",
                  *TINY)
    assert trained.exit_code == 0, trained.output
    assert (tmp_path / "run" / "model.pt").is_file()


def _train_bed(cli, bed, genome, config, out):
    return cli("train", "--bed", bed, "--genome", genome, "--negatives", "shuffle", "--length", 50, "--config", config,
               "--seed", 4, "--task-name", "t", "--epochs", "1", "--batch-size", "32", "--out", out)


def test_train_bed_with_duplicates_trains_on_unique_windows(cli, dup_peaks, tiny_config, tmp_path):
    fa, bed, unique = dup_peaks
    result = _train_bed(cli, bed, fa, tiny_config, tmp_path / "dups")
    assert result.exit_code == 0, result.output
    warning = DUP_WARNING.format(bed=bed)
    assert result.stderr.count(warning) == 1
    assert (tmp_path / "dups" / "train.log").read_text().count(warning) == 1
    # the same windows as the BED without the duplicates: the same run
    clean = _train_bed(cli, unique, fa, tiny_config, tmp_path / "unique")
    assert clean.exit_code == 0, clean.output
    assert "duplicate windows" not in clean.stderr
    assert (tmp_path / "dups" / "metrics.json").read_text() == (tmp_path / "unique" / "metrics.json").read_text()


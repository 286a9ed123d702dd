"""seqnet variants: windows, REF checks, scores equal to predict, outputs and bad input."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest

from apply_helpers import make_genome, make_run, write_vcf

L = 60


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("variants")
    seqs = make_genome(root / "genome.fa")
    return {"root": root, "genome": root / "genome.fa", "seqs": seqs, "run": make_run(root / "run", length=L)}


def _other(base):
    return {"A": "C", "C": "G", "G": "T", "T": "A", "N": "A"}[base]


def _written_windows(seqs, rows, tmp_path, name):
    """Reference and alternative windows of SNVs / indels built by hand, as FASTA."""
    ref, alt = [], []
    for chrom, pos, r, a in rows:
        p = pos - 1
        s = p - L // 2
        ref.append(seqs[chrom][s : s + L])
        alt.append((seqs[chrom][s:p] + a + seqs[chrom][p + len(r) :])[:L])
    paths = []
    for label, windows in (("ref", ref), ("alt", alt)):
        path = tmp_path / f"{name}_{label}.fa"
        path.write_text("".join(f">w{k}\n{w}\n" for k, w in enumerate(windows)))
        paths.append(path)
    return paths


@pytest.mark.parametrize("strand", ["plus", "both"])
def test_diff_equals_predict_on_written_windows(world, tmp_path, strand):
    from seqnet.apply.variants import variant_effects
    from seqnet.inputs import InputSpec
    from seqnet.predict import predict_table

    rng = np.random.default_rng(5)
    seqs = world["seqs"]
    rows = []
    while len(rows) < 60:
        chrom = "chr2" if rng.random() < 0.5 else "chr1"
        pos = int(rng.integers(L, len(seqs[chrom]) - L))
        base = seqs[chrom][pos - 1]
        if base != "N":
            rows.append((chrom, pos, base, _other(base)))
    rows += [("chr2", 500, seqs["chr2"][499:503], seqs["chr2"][499]),  # deletion: the right flank extends
             ("chr2", 700, seqs["chr2"][699], seqs["chr2"][699] + "GATTACA")]  # insertion: it is trimmed
    vcf = write_vcf(tmp_path / "v.vcf", [f"{c} {p} . {r} {a}" for c, p, r, a in rows])
    result = variant_effects(world["run"], vcf, world["genome"], tmp_path / "out", strand=strand, null=0,
                             device="cpu")
    table = result["table"]
    assert (table.ref_status == "match").all()
    ref_fa, alt_fa = _written_windows(seqs, rows, tmp_path, strand)
    kw = dict(rc_average=strand == "both", device="cpu")
    p_ref = predict_table(world["run"], InputSpec(fasta=ref_fa), **kw)
    p_alt = predict_table(world["run"], InputSpec(fasta=alt_fa), **kw)
    for task in ("a", "b"):
        np.testing.assert_allclose(table[f"{task}_diff"], p_alt[task] - p_ref[task], atol=1e-6, rtol=0)
        np.testing.assert_allclose(table[f"{task}_ref"], p_ref[task], atol=1e-6, rtol=0)
        lr = np.log(p_ref[task] / (1 - p_ref[task]))
        la = np.log(p_alt[task] / (1 - p_alt[task]))
        np.testing.assert_allclose(table[f"{task}_logit_diff"], la - lr, atol=1e-4)
        np.testing.assert_allclose(table[f"{task}_log2_ratio"], np.log2(p_alt[task] / p_ref[task]), atol=1e-4)


def test_statuses_outputs_and_counts(world, cli, tmp_path):
    import vcfpy

    seqs = world["seqs"]
    b = lambda c, p: seqs[c][p - 1]  # noqa: E731
    rows = [
        f"chr1 500 rs1 {b('chr1', 500)} {_other(b('chr1', 500))},<DEL>",   # match + symbolic
        f"chr1 600 . {_other(b('chr1', 600))} {b('chr1', 600)}",           # mismatch
        "chr1 1200 . N A",                                                 # N in the genome (and REF)
        f"chr1 5 . {b('chr1', 5)} {_other(b('chr1', 5))}",                 # edge
        "chrZ 50 . A C",                                                   # unknown chromosome
        f"chr2 100 . {b('chr2', 100)} *",                                  # symbolic
        f"chr2 300 . {b('chr2', 300)} .",                                  # no ALT
    ]
    vcf = write_vcf(tmp_path / "v.vcf", rows)
    out = tmp_path / "out"
    result = cli("variants", world["run"], "--vcf", vcf, "--genome", world["genome"], "--out", out, "--null", 50,
                 "--device", "cpu")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "variants.tsv", sep="\t")
    assert list(table.columns[:6]) == ["id", "chrom", "pos", "ref", "alt", "ref_status"]
    assert list(table.columns[6:13]) == [f"a_{f}" for f in ("ref", "alt", "diff", "logit_diff", "log2_ratio", "z", "p")]
    assert list(table.ref_status) == ["match", "skipped", "mismatch", "N", "edge", "skipped", "skipped", "skipped"]
    assert table.id.iloc[0] == "rs1" and table.id.iloc[2] == f"chr1:600:{_other(b('chr1', 600))}:{b('chr1', 600)}"
    assert table.a_diff.notna().tolist() == [True] + [False] * 7
    assert 0 < table.a_p.iloc[0] <= 1 and np.isfinite(table.a_z.iloc[0])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ref_status"] == {"match": 1, "mismatch": 1, "N": 1, "edge": 1, "skipped": 4}
    assert summary["skipped"]["symbolic ALT"]["count"] == 2 and summary["skipped"]["no ALT allele"]["count"] == 1
    assert summary["skipped"]["chromosome not in the genome"] == {"count": 1, "first_line": 7}
    assert summary["null"]["n"] == 50 and summary["mismatches_not_scored"] == 2
    assert "--allow-mismatch scores them" in result.stderr
    records = list(vcfpy.Reader.from_path(str(out / "variants.vcf")))
    assert [r.POS for r in records] == [500, 600, 1200, 5, 50, 100, 300]  # input order
    assert records[0].INFO["SEQNET_STATUS"] == ["match", "skipped"]
    assert records[0].INFO["SEQNET_a_DIFF"][0] == pytest.approx(table.a_diff.iloc[0], rel=1e-5)
    assert records[0].INFO["SEQNET_a_DIFF"][1] is None

    again = tmp_path / "again"
    assert cli("variants", world["run"], "--vcf", vcf, "--genome", world["genome"], "--out", again, "--null", 0,
               "--allow-mismatch").exit_code == 0
    scored = pd.read_csv(again / "variants.tsv", sep="\t")
    assert scored.a_diff.notna().tolist() == [True, False, True, True, False, False, False, False]
    assert scored.a_z.isna().all()  # --null 0: no z-scores


def test_each_reference_window_is_predicted_once(world, tmp_path, monkeypatch):
    import seqnet.apply.variants as V
    import seqnet.apply.windows as W

    c = world["seqs"]["chr2"][399]
    vcf = write_vcf(tmp_path / "v.vcf", [f"chr2 400 . {c} {','.join(x for x in 'ACGT' if x != c)}",
                                         f"chr2 400 . {c} {c}TT", f"chr2 900 . {world['seqs']['chr2'][899]} A"])
    plain, shared = [], []
    real_plain, real_bank = V.window_logits, W.bank_logits
    monkeypatch.setattr(V, "window_logits", lambda tm, tok, **kw: plain.append(len(tok)) or real_plain(tm, tok, **kw))
    monkeypatch.setattr(W, "bank_logits", lambda bank, chunks, n, *a, **kw: shared.append((n, len(a[1])))
                        or real_bank(bank, chunks, n, *a, **kw))
    V.variant_effects(world["run"], vcf, world["genome"], tmp_path / "plain", null=0, device="cpu", shared=False)
    assert plain == [2, 5]  # 2 reference windows, 5 alternative ones
    plain.clear()
    V.variant_effects(world["run"], vcf, world["genome"], tmp_path / "shared", null=0, device="cpu")
    assert shared == [(2, 4)] and plain == [1]  # 2 windows, 4 SNV edits; the insertion's window on its own
    a = pd.read_csv(tmp_path / "plain" / "variants.tsv", sep="\t")
    b = pd.read_csv(tmp_path / "shared" / "variants.tsv", sep="\t")
    np.testing.assert_allclose(a.a_diff, b.a_diff, atol=1e-6)


@pytest.mark.parametrize("unknown", ["zeros", "uniform"])
def test_shared_path_equals_plain_path(world, tmp_path, unknown):
    from seqnet.apply.variants import plan_alleles, score_variants
    from seqnet.checkpoint import load
    from seqnet.io.genome import chrom_sizes, open_genome
    from seqnet.io.vcf import read_vcf

    run = make_run(tmp_path / "run", length=L, seed=4, unknown=unknown, filter_width=13)
    seqs = world["seqs"]
    rows = [f"chr1 {p} . {seqs['chr1'][p - 1]} {_other(seqs['chr1'][p - 1])}" for p in range(900, 1100, 7)]
    rows += [f"chr1 {p} . {seqs['chr1'][p - 1:p + 2]} {seqs['chr1'][p - 1]}" for p in (950, 2000)]
    rows += [f"chr2 {p} . {seqs['chr2'][p - 1]} {_other(seqs['chr2'][p - 1])}" for p in (100, 101, 1500)]
    vcf = write_vcf(tmp_path / "v.vcf", rows)
    tm = load(run)
    fa = open_genome(world["genome"])
    sizes = chrom_sizes(fa)
    alleles = plan_alleles(read_vcf(vcf), fa, sizes, L, vcf="v.vcf", allow_mismatch=True)
    out = [score_variants(tm, alleles, fa, sizes, genome="g", strand="both", null=30, seed=1, batch_size=7,
                          device="cpu", shared=flag) for flag in (True, False)]
    assert out[0][1]["shared_trunk"] and not out[1][1]["shared_trunk"]
    for field in ("ref", "alt", "diff", "logit_diff", "z"):
        np.testing.assert_allclose(out[0][0][field], out[1][0][field], atol=2e-5, err_msg=field)


def test_ism_maps_of_top_variants(world, cli, tmp_path):
    from seqnet.attribution import in_silico_mutagenesis
    from seqnet.checkpoint import load
    from seqnet.encode import encode
    from seqnet.kinds.sequence import SequenceInputs

    seqs = world["seqs"]
    rows = [f"chr2 {p} . {seqs['chr2'][p - 1]} {_other(seqs['chr2'][p - 1])}" for p in (200, 450, 800)]
    vcf = write_vcf(tmp_path / "v.vcf", rows)
    out = tmp_path / "out"
    assert cli("variants", world["run"], "--vcf", vcf, "--genome", world["genome"], "--out", out, "--ism", 2,
               "--null", 0).exit_code == 0
    data = np.load(out / "ism" / "ism.npz")
    assert data["ism"].shape == (2, 4, L) and int(data["variant_offset"]) == L // 2
    assert len(list((out / "ism").glob("*.png"))) == 2
    table = pd.read_csv(out / "variants.tsv", sep="\t")
    k = int(np.argmax(np.abs(table[["a_diff", "b_diff"]].to_numpy()).max(axis=1)))
    pos = int(table.pos.iloc[k])
    tm = load(world["run"])
    window = encode(seqs["chr2"][pos - 1 - L // 2 : pos - 1 - L // 2 + L])
    target = tm.names.index(str(data["target"][0]))
    expected = in_silico_mutagenesis(tm.model, SequenceInputs(window[None], "dna"), target=target)
    np.testing.assert_allclose(data["ism"][0], expected[0], atol=1e-6)


def _gz(path):
    out = path.with_suffix(".vcf.gz")
    out.write_bytes(gzip.compress(path.read_bytes()))
    return out


@pytest.mark.parametrize("rows,header,message", [
    (["chr1 500 . A C"], False, "v.vcf: line 1: expected a VCF header starting '##fileformat=VCFv4.x'"),
    (["chr1 0 . A C"], True, "v.vcf: line 3: POS 0; VCF positions are 1-based (>= 1)"),
    (["chr2 1700 . AC A"], True, "v.vcf: line 3: POS 1700 (REF AC) is past the end of chr2 (1700 bp)"),
    (["chr2 1800 . A C"], True, "v.vcf: line 3: POS 1800 (REF A) is past the end of chr2 (1700 bp)"),
    (["chr1 500 . AZ C"], True, "v.vcf: line 3: REF 'AZ' has letters other than A, C, G, T, N"),
    (["chr1 500 . A C"], "gzip", "v.vcf.gz: gzip-compressed but not bgzip; recompress it with bgzip"),
])
def test_bad_vcf_is_one_line_naming_file_and_line(world, cli, tmp_path, rows, header, message):
    vcf = write_vcf(tmp_path / "v.vcf", rows, header=header is not False)
    if header == "gzip":
        vcf = _gz(vcf)
    out = tmp_path / "out"
    result = cli("variants", world["run"], "--vcf", vcf, "--genome", world["genome"], "--out", out)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.stderr
    assert not out.exists() and not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_protein_model_is_refused(world, cli, tmp_path):
    run = make_run(tmp_path / "prot", alphabet="protein", length=30, filter_width=5)
    vcf = write_vcf(tmp_path / "v.vcf", ["chr1 500 . A C"])
    result = cli("variants", run, "--vcf", vcf, "--genome", world["genome"], "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {run}: seqnet variants reads a DNA genome; this model reads protein sequences"


def test_indel_windows_keep_the_length(world):
    from seqnet.alphabets import get_alphabet
    from seqnet.apply.variants import Allele, allele_windows
    from seqnet.encode import decode
    from seqnet.io.genome import open_genome

    s = world["seqs"]["chr2"]
    fa = open_genome(world["genome"])
    dele = Allele(0, 3, "chr2", 301, ".", s[300:305], s[300], "match", scored=True)
    ins = Allele(1, 4, "chr2", 301, ".", s[300], s[300] + "A" * 40, "match", scored=True)
    ref, ref_of, alt = allele_windows([dele, ins], fa, L, get_alphabet("dna"), "g")
    assert len(ref) == 1 and list(ref_of) == [0, 0]
    assert decode(ref[0]) == s[270:330]
    assert decode(alt[0]) == s[270:301] + s[305:334]  # 4 bases deleted: 4 more on the right
    assert decode(alt[1]) == s[270:301] + "A" * 29  # the insertion runs to the window's end


@pytest.mark.parametrize("command", ["scan", "variants"])
def test_help(cli, command):
    result = cli(command, "--help")
    assert result.exit_code == 0 and "Usage: " in result.output

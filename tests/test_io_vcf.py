"""Reading VCF files (vcfpy underneath) and writing the annotated copy."""

from __future__ import annotations

import gzip

import pytest

from apply_helpers import write_vcf
from seqnet.errors import InputError
from seqnet.io.vcf import info_key, read_vcf, write_annotated


def test_records_alleles_and_kinds(tmp_path):
    vcf = write_vcf(tmp_path / "v.vcf", [
        "chr1 10 rs1 a C,<DEL>", "chr1 20 . AT A", "chr2 5 . A *", "chr2 6 . A .", "chr2 7 . A G]chr1:5]",
        "chr2 8 . N acg",
    ])
    recs = read_vcf(vcf)
    assert [r.line for r in recs] == [3, 4, 5, 6, 7, 8]
    assert recs[0].ref == "A" and recs[0].alts == ["C", "<DEL>"] and recs[0].kinds == ["sequence", "symbolic"]
    assert recs[1].id == "." and recs[1].alts == ["A"]
    assert [r.kinds for r in recs[2:5]] == [["symbolic"], ["none"], ["symbolic"]]
    assert recs[5].alts == ["ACG"]


def test_blank_lines_do_not_end_the_file(tmp_path):
    vcf = write_vcf(tmp_path / "v.vcf", ["chr1 10 . A C"])
    vcf.write_text(vcf.read_text() + "\nchr1\t11\t.\tA\tG\t.\t.\t.\n")
    assert [r.pos for r in read_vcf(vcf)] == [10, 11]


def test_bgzip_is_read(tmp_path):
    from Bio import bgzf

    plain = write_vcf(tmp_path / "v.vcf", ["chr1 10 . A C"])
    with bgzf.BgzfWriter(str(tmp_path / "v.vcf.gz"), "wb") as fh:
        fh.write(plain.read_bytes())
    assert read_vcf(tmp_path / "v.vcf.gz")[0].pos == 10


@pytest.mark.parametrize("rows,header,message", [
    (["chr1 10 . A C"], False, "v.vcf: line 1: expected a VCF header starting '##fileformat=VCFv4.x', found 'chr1"),
    (["chr1 0 . A C"], True, "v.vcf: line 3: POS 0; VCF positions are 1-based (>= 1)"),
    (["chr1 x . A C"], True, "v.vcf: line 3: POS 'x' is not a whole number"),
    (["chr1 5 . AXG C"], True, "v.vcf: line 3: REF 'AXG' has letters other than A, C, G, T, N"),
    (["chr1 5 . A C-"], True, "v.vcf: line 3: ALT 'C-' has letters other than A, C, G, T, N"),
    (["chr1\t5\t.\tA"], True, "v.vcf: line 3: expected at least 8 tab-separated columns"),
])
def test_bad_records_name_the_line(tmp_path, rows, header, message):
    vcf = write_vcf(tmp_path / "v.vcf", [], header=header)
    vcf.write_text(vcf.read_text().rstrip("\n") + ("\n" if header else "") + "\n".join(
        r if "\t" in r else "\t".join(r.split() + ["."] * 3) for r in rows) + "\n")
    with pytest.raises(InputError) as info:
        read_vcf(vcf)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_plain_gzip_is_refused(tmp_path):
    plain = write_vcf(tmp_path / "v.vcf", ["chr1 10 . A C"])
    (tmp_path / "v.vcf.gz").write_bytes(gzip.compress(plain.read_bytes()))
    with pytest.raises(InputError, match=r"v.vcf.gz: gzip-compressed but not bgzip; recompress it with bgzip"):
        read_vcf(tmp_path / "v.vcf.gz")


def test_missing_chrom_line_and_missing_file(tmp_path):
    vcf = tmp_path / "v.vcf"
    vcf.write_text("##fileformat=VCFv4.2\nchr1\t1\t.\tA\tC\t.\t.\t.\n")
    with pytest.raises(InputError, match="v.vcf: line 2: expected the '#CHROM POS ID REF ALT QUAL FILTER INFO' header"):
        read_vcf(vcf)
    with pytest.raises(InputError, match="nope.vcf: no such file"):
        read_vcf(tmp_path / "nope.vcf")


def test_annotated_copy_reads_back_with_vcfpy(tmp_path):
    import vcfpy

    src = write_vcf(tmp_path / "v.vcf", ["chr1 10 rs1 A C,G . PASS DP=3;FLAG", "chr1 20 . A T . . SEQNET_OLD=1"])
    out = tmp_path / "out.vcf"
    decl = [("SEQNET_STATUS", "A", "String", "status"), (info_key("CTCF/x", "diff"), "A", "Float", "diff")]
    write_annotated(src, out, decl, {3: "SEQNET_STATUS=match,edge;SEQNET_CTCF_x_DIFF=0.5,.",
                                     4: "SEQNET_STATUS=match;SEQNET_CTCF_x_DIFF=-1"})
    reader = vcfpy.Reader.from_path(str(out))
    assert "SEQNET_CTCF_x_DIFF" in reader.header.info_ids()
    recs = list(reader)
    assert recs[0].INFO["SEQNET_STATUS"] == ["match", "edge"]
    assert recs[0].INFO["SEQNET_CTCF_x_DIFF"] == [0.5, None]
    assert recs[0].INFO["DP"] == 3 and recs[0].INFO["FLAG"] is True
    assert "SEQNET_OLD" not in recs[1].INFO and recs[1].INFO["SEQNET_CTCF_x_DIFF"] == [-1.0]
    # every other column byte for byte
    src_rows = [l.split("\t")[:7] for l in src.read_text().splitlines() if not l.startswith("#")]
    out_rows = [l.split("\t")[:7] for l in out.read_text().splitlines() if not l.startswith("#")]
    assert src_rows == out_rows

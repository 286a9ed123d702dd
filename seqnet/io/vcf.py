"""VCF in, annotated VCF out: the variants ``seqnet variants`` scores.

Parser: vcfpy (bihealth/vcfpy, maintained, pure Python).  It was chosen over pysam and
cyvcf2 because it installs wherever torch does (no htslib to build), and because it
parses one record line at a time (``Reader.parser.parse_line``), so every error can
name its line: htslib-based readers report a malformed record through messages on
stderr, without its line.  vcfpy parses the header (meta lines, ``#CHROM`` line,
samples) and every record line; seqnet keeps the line accounting and the checks a
genome needs (POS >= 1, REF letters, ALT kinds) itself, because vcfpy stops reading at
a blank line and fails on breakend alleles.

The annotated copy keeps every byte of every record but the INFO column, where the new
fields are appended (a record's own INFO fields, declared or not, come through as they
were; vcfpy's writer would refuse undeclared ones), and adds their ``##INFO`` lines to
the header before ``#CHROM``.  Fields written by an earlier run (``SEQNET_*``) are
replaced.

Compressed input must be bgzip (``bgzip file.vcf``; what tabix and bcftools expect): a
plain-gzip VCF is refused with a one-line error, like a plain-gzip genome.
"""

from __future__ import annotations

import gzip
import io
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from seqnet.errors import InputError

__all__ = ["VcfRecord", "read_vcf", "write_annotated", "info_key", "INFO_PREFIX"]

#: Prefix of the INFO fields seqnet adds.
INFO_PREFIX = "SEQNET_"

_REF = re.compile(r"[ACGTNacgtn]+")
_ALT = re.compile(r"[ACGTNacgtn]+")
_SHOW = 40


@dataclass
class VcfRecord:
    """One VCF record: where it is and its alleles.

    Attributes
    ----------
    line : int
        1-based line of the file.
    chrom : str
    pos : int
        1-based position of REF's first base.
    id : str
        The ID column as written (``.`` when none).
    ref : str
        REF, upper case.
    alts : list of str
        ALT alleles as written (upper case for sequence alleles).
    kinds : list of str
        Per ALT: ``"sequence"`` (letters ACGTN), ``"symbolic"`` (``<DEL>``, ``*``,
        breakends) or ``"none"`` (``.``: no ALT allele).
    """

    line: int
    chrom: str
    pos: int
    id: str
    ref: str
    alts: list[str]
    kinds: list[str]


def _show(text: str) -> str:
    text = text.rstrip("\r\n")
    return repr(text if len(text) <= _SHOW else text[:_SHOW] + "...")


def _is_bgzf(head: bytes) -> bool:
    """A gzip member with the BGZF extra field (``BC``), as bgzip writes them."""
    return len(head) >= 16 and head[3] & 4 and head[12:14] == b"BC"


def _open(path: str | Path) -> io.TextIOBase:
    """The VCF's text (plain or bgzip); InputError for a missing file or plain gzip."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{path}: no such file")
    if p.is_dir():
        raise InputError(f"{path}: is a directory; expected a VCF file")
    with open(p, "rb") as fh:
        head = fh.read(18)
    if head[:2] == b"\x1f\x8b":
        if not _is_bgzf(head):
            raise InputError(f"{path}: gzip-compressed but not bgzip; recompress it with bgzip "
                             f"(gunzip it, then bgzip the .vcf), as tabix and bcftools expect")
        return io.TextIOWrapper(gzip.open(p, "rb"), encoding="utf-8", errors="replace", newline="")
    return open(p, encoding="utf-8", errors="replace", newline="")


def _header(path, lines: Iterator[tuple[int, str]]):
    """The vcfpy Reader of the header lines, the header text and the line after it."""
    import vcfpy

    first = next(lines, None)
    if first is None or not first[1].startswith("##fileformat=VCF"):
        found = "an empty file" if first is None else _show(first[1])
        raise InputError(f"{path}: line 1: expected a VCF header starting '##fileformat=VCFv4.x', found {found}")
    text = [first[1]]
    for n, line in lines:
        if line.startswith("##"):
            text.append(line)
            continue
        if not line.startswith("#CHROM"):
            raise InputError(f"{path}: line {n}: expected the '#CHROM POS ID REF ALT QUAL FILTER INFO' header "
                             f"line before the records, found {_show(line)}")
        text.append(line)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reader = vcfpy.Reader.from_stream(io.StringIO("".join(text)), path=str(path))
        except Exception as exc:  # vcfpy raises several types for a bad header
            raise InputError(f"{path}: malformed VCF header ({str(exc).splitlines()[0]})") from None
        return reader, text
    raise InputError(f"{path}: no '#CHROM POS ID REF ALT QUAL FILTER INFO' header line")


def _alt_kind(path, n: int, alt: str) -> str:
    if alt == ".":
        return "none"
    if alt == "*" or alt.startswith("<") or "[" in alt or "]" in alt or alt.startswith(".") or alt.endswith("."):
        return "symbolic"
    if not _ALT.fullmatch(alt):
        raise InputError(f"{path}: line {n}: ALT {_show(alt)} has letters other than A, C, G, T, N "
                         f"(symbolic alleles are written <...>)")
    return "sequence"


def _record(path, n: int, line: str, parser) -> VcfRecord:
    """One record line, checked; InputError naming the line otherwise."""
    fields = line.rstrip("\r\n").split("\t")
    if len(fields) < 8:
        raise InputError(f"{path}: line {n}: expected at least 8 tab-separated columns (CHROM POS ID REF ALT "
                         f"QUAL FILTER INFO), found {len(fields)}")
    chrom, pos_text, rid, ref, alt = fields[:5]
    try:
        pos = int(pos_text)
    except ValueError:
        raise InputError(f"{path}: line {n}: POS {_show(pos_text)} is not a whole number") from None
    if pos < 1:
        raise InputError(f"{path}: line {n}: POS {pos}; VCF positions are 1-based (>= 1)")
    if not _REF.fullmatch(ref):
        raise InputError(f"{path}: line {n}: REF {_show(ref)} has letters other than A, C, G, T, N")
    alts = alt.split(",")
    kinds = [_alt_kind(path, n, a) for a in alts]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parser.parse_line(line)
    except Exception as exc:  # vcfpy's own checks (columns vs samples, INFO syntax)
        if "symbolic" not in kinds:  # vcfpy cannot parse breakends; those are skipped anyway
            raise InputError(f"{path}: line {n}: malformed record ({str(exc).splitlines()[0]})") from None
    alts = [a.upper() if k == "sequence" else a for a, k in zip(alts, kinds)]
    return VcfRecord(n, chrom, pos, rid, ref.upper(), alts, kinds)


def _numbered(handle) -> Iterator[tuple[int, str]]:
    for n, line in enumerate(handle, start=1):
        yield n, line


def read_vcf(path: str | Path) -> list[VcfRecord]:
    """The records of a VCF file (plain or bgzip), in file order.

    Blank lines are skipped.  Records are not checked against a genome here (see
    :mod:`seqnet.apply.variants`).

    Raises
    ------
    InputError
        No such file, plain gzip, a missing or malformed header, or a record with fewer
        than 8 columns, a POS that is not a whole number >= 1, a REF with letters other
        than ACGTN, or an ALT that is neither ACGTN letters nor symbolic.
    """
    with _open(path) as handle:
        lines = _numbered(handle)
        reader, _ = _header(path, lines)
        parser = reader.parser
        try:
            return [_record(path, n, line, parser) for n, line in lines if line.strip()]
        except UnicodeDecodeError:
            raise InputError(f"{path}: not a text VCF file") from None


def info_key(task: str, field: str) -> str:
    """The INFO key of ``field`` for ``task``: ``SEQNET_<task>_<FIELD>`` (characters VCF
    does not allow in keys become ``_``)."""
    return f"{INFO_PREFIX}{re.sub(r'[^0-9A-Za-z_.]', '_', task)}_{field.upper()}"


def _info_cell(old: str, added: str) -> str:
    kept = [f for f in old.split(";") if f and f != "." and not f.startswith(INFO_PREFIX)]
    return ";".join(kept + [added]) if added else (";".join(kept) or ".")


def write_annotated(source: str | Path, out: str | Path, declarations: list[tuple[str, str, str, str]],
                    info: dict[int, str]) -> None:
    """Copy VCF ``source`` to ``out`` with INFO fields added.

    Parameters
    ----------
    source : path
        The VCF :func:`read_vcf` read.
    out : path
        Plain-text VCF to write (the caller makes it atomic).
    declarations : list of (id, number, type, description)
        ``##INFO`` lines to add (earlier ``SEQNET_*`` declarations are dropped).
    info : dict of int to str
        Line number -> ``KEY=value;...`` to append to that record's INFO column.
    """
    with _open(source) as handle, open(out, "w", encoding="utf-8", newline="") as dst:
        for n, line in _numbered(handle):
            if line.startswith("##INFO=<ID=" + INFO_PREFIX):
                continue
            if line.startswith("#CHROM"):
                for key, number, kind, text in declarations:
                    dst.write(f'##INFO=<ID={key},Number={number},Type={kind},Description="{text}">\n')
                dst.write(line)
            elif line.startswith("#") or not line.strip():
                dst.write(line)
            else:
                end = "\n" if line.endswith("\n") else ""
                fields = line.rstrip("\r\n").split("\t")
                fields[7] = _info_cell(fields[7], info.get(n, ""))
                dst.write("\t".join(fields) + end)

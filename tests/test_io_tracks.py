"""Track writers: bedGraph, BigWig (read back with pyBigWig) and merged peaks."""

from __future__ import annotations

import numpy as np

from seqnet.io.tracks import PeakWriter, TrackWriter


def test_bedgraph_and_bigwig_hold_the_same_intervals(tmp_path):
    import pyBigWig

    w = TrackWriter(tmp_path / "t.bedGraph", tmp_path / "t.bw", [("chr1", 1000), ("chr2", 500)])
    w.add("chr1", np.array([10, 60]), np.array([60, 110]), np.array([0.25, 0.5]))
    w.add("chr1", np.array([110]), np.array([160]), np.array([0.125]))
    w.add("chr2", np.array([0]), np.array([20]), np.array([1.0]))
    w.close()
    lines = (tmp_path / "t.bedGraph").read_text().splitlines()
    assert lines == ["chr1\t10\t60\t0.25", "chr1\t60\t110\t0.5", "chr1\t110\t160\t0.125", "chr2\t0\t20\t1"]
    bw = pyBigWig.open(str(tmp_path / "t.bw"))
    assert bw.chroms() == {"chr1": 1000, "chr2": 500}
    assert bw.intervals("chr1") == ((10, 60, 0.25), (60, 110, 0.5), (110, 160, 0.125))
    assert bw.intervals("chr2") == ((0, 20, 1.0),)


def test_peaks_merge_overlapping_windows(tmp_path):
    p = PeakWriter(tmp_path / "p.bed", "CTCF", 0.5)
    p.add("chr1", np.array([0, 10, 20, 100]), np.array([30, 40, 50, 130]), np.array([0.6, 0.9, 0.4, 0.7]))
    p.add("chr1", np.array([125]), np.array([155]), np.array([0.8]))
    p.add("chr2", np.array([0]), np.array([30]), np.array([0.2]))
    p.close()
    rows = [l.split("\t") for l in (tmp_path / "p.bed").read_text().splitlines()]
    assert [r[:4] for r in rows] == [["chr1", "0", "40", "CTCF_peak1"], ["chr1", "100", "155", "CTCF_peak2"]]
    assert rows[0][4] == "900" and rows[0][6] == "0.9" and rows[1][6] == "0.8"

"""Time-series reading: conditions, the common grid, replicates, missing values, errors."""

from __future__ import annotations

import gzip
import re

import numpy as np
import pytest

from conftest import write
from seqnet.errors import ConfigError, InputError
from seqnet.io.timeseries import TimeGrid, read_conditions, read_timeseries

CONDITIONS = (
    "condition\tseries\ttime\n"
    "a0\ta\t0\na10\ta\t10\na20\ta\t20\n"
    "b0\tb\t0\nb30\tb\t30\nb60\tb\t60\nb90\tb\t90\n"
    "x1\tx\t5\n"  # a single array: not a time course
)


@pytest.fixture
def files(tmp_path):
    expr = write(
        tmp_path / "expr.tsv",
        "gene\ta0\ta10\ta20\tb0\tb30\tb60\tb90\tx1\n"
        "g1\t0\t1\t2\t0\t3\t6\t9\t7\n"
        "g2\t1\t\t3\tNA\t1\t2\tnan\t0\n"
        "g3\t\t\t\t1\t1\t1\t1\t1\n",
    )
    cond = write(tmp_path / "conditions.tsv", CONDITIONS)
    return expr, cond


def test_grid_interpolation_and_mask(files):
    expr, cond = files
    ts = read_timeseries(expr, cond, standardize="none")
    assert ts.ids == ["g1", "g2", "g3"]
    assert ts.grid.series == ["a", "b"] and ts.left_out == ["x"]
    assert ts.grid.n_points == 4  # the longest series has 4 time points
    assert ts.x.shape == ts.mask.shape == (3, 4, 2) and ts.x.dtype == np.float32
    # g1, series a: 0, 1, 2 at times 0, 10, 20 -> grid 0, 6.67, 13.3, 20
    np.testing.assert_allclose(ts.x[0, :, 0], [0, 2 / 3, 4 / 3, 2], rtol=1e-6)
    np.testing.assert_allclose(ts.x[0, :, 1], [0, 3, 6, 9])
    assert ts.mask[0].all()
    # g2, series a: the missing middle value is interpolated between measurements
    np.testing.assert_allclose(ts.x[1, :, 0], [1, 1 + 2 / 3, 1 + 4 / 3, 3], rtol=1e-6)
    # g2, series b: measured at 30 and 60 only -> observed between them, 0 and masked outside
    np.testing.assert_array_equal(ts.mask[1, :, 1], [False, True, True, False])
    np.testing.assert_allclose(ts.x[1, :, 1], [0, 1, 2, 0])
    # g3, series a: no measurement at all -> all masked, all 0 (never a fake value)
    assert not ts.mask[2, :, 0].any() and (ts.x[2, :, 0] == 0).all()


def test_series_selection_time_points_and_grid_reuse(files):
    expr, cond = files
    ts = read_timeseries(expr, cond, series=["b", "x"], time_points=7, standardize="none")
    assert ts.grid.series == ["b", "x"] and ts.left_out == ["a"] and ts.x.shape == (3, 7, 2)
    np.testing.assert_allclose(ts.x[0, :, 0], np.linspace(0, 9, 7))
    # predict time: the stored grid is used as it is, whatever the new file covers
    grid = TimeGrid.from_dict(ts.grid.to_dict())
    again = read_timeseries(expr, cond, grid=grid.to_dict(), standardize="none")
    np.testing.assert_array_equal(again.x, ts.x)
    with pytest.raises(InputError, match=re.escape("no series 'zz' among the columns of")):
        read_timeseries(expr, cond, series=["zz"])
    with pytest.raises(ConfigError, match="time points must be an integer >= 2"):
        read_timeseries(expr, cond, time_points=1)


def test_replicates_are_averaged_and_unsorted_times(tmp_path):
    expr = write(tmp_path / "e.csv", "id,t20,t0,t10,t10r\ng,4,0,1,3\n")
    cond = write(tmp_path / "c.tsv", "condition\tseries\ttime\nt20\ts\t20\nt0\ts\t0\nt10\ts\t10\nt10r\ts\t10.0\n")
    ts = read_timeseries(expr, cond, standardize="none", time_points=3)
    np.testing.assert_allclose(ts.x[0, :, 0], [0, 2, 4])  # (1 + 3) / 2 at t = 10


def test_standardize_gene_and_series(files):
    expr, cond = files
    ts = read_timeseries(expr, cond, series=["a", "b"], standardize="gene")
    v = np.array([0, 1, 2, 0, 3, 6, 9], dtype=float)
    z = (v - v.mean()) / v.std(ddof=1)
    assert ts.x[0, 0, 0] == pytest.approx(z[0], rel=1e-5) and ts.x[0, -1, 1] == pytest.approx(z[-1], rel=1e-5)
    ts = read_timeseries(expr, cond, series=["a", "b"], standardize="series")
    np.testing.assert_allclose(ts.x[0, :, 1], [-1.161895, -0.387298, 0.387298, 1.161895], rtol=1e-5)
    assert (ts.x[2, :, 1] == 0).all() and ts.mask[2, :, 1].all()  # a constant series is only centred
    with pytest.raises(ConfigError, match="standardize must be one of gene, series, none"):
        read_timeseries(expr, cond, standardize="feature")


def test_gzip_matrix(tmp_path, files):
    expr, cond = files
    gz = tmp_path / "expr.tsv.gz"
    gz.write_bytes(gzip.compress(expr.read_bytes()))
    np.testing.assert_array_equal(read_timeseries(gz, cond).x, read_timeseries(expr, cond).x)


def test_error_non_numeric_cell(tmp_path, files):
    _, cond = files
    expr = write(tmp_path / "bad.tsv", "gene\ta0\ta10\ta20\ng1\t0\t1\t2\ng2\t1\tup\t3\n")
    with pytest.raises(InputError, match=re.escape(f"{expr}: line 3, column 'a10': expected a number, found 'up'")):
        read_timeseries(expr, cond)


def test_error_ragged_row(tmp_path, files):
    _, cond = files
    expr = write(tmp_path / "ragged.tsv", "gene\ta0\ta10\ta20\ng1\t0\t1\t2\ng2\t1\t3\n")
    with pytest.raises(InputError, match=re.escape(f"{expr}: line 3: expected 4 columns as in the header, found 3")):
        read_timeseries(expr, cond)


def test_error_column_without_condition(tmp_path, files):
    _, cond = files
    expr = write(tmp_path / "e.tsv", "gene\ta0\ta10\tq7\ng1\t0\t1\t2\n")
    with pytest.raises(InputError, match=re.escape(f"{expr}: 1 of 3 columns have no row in {cond} (first: 'q7')")):
        read_timeseries(expr, cond)


def test_error_duplicate_gene(tmp_path, files):
    _, cond = files
    expr = write(tmp_path / "e.tsv", "gene\ta0\ta10\ta20\ng1\t0\t1\t2\ng1\t1\t2\t3\n")
    with pytest.raises(InputError, match=re.escape(f"{expr}: duplicate id 'g1' (lines 2 and 3)")):
        read_timeseries(expr, cond)


@pytest.mark.parametrize(
    "text, message",
    [
        ("condition\tseries\na0\ta\n", "expected 3 columns (condition, series, time), found 2"),
        ("condition\tseries\ttime\na0\ta\tlate\n", "line 2, column 'time': expected a time (a number), found 'late'"),
        ("condition\tseries\ttime\na0\t\t3\n", "line 2, column 'series': empty cell; expected a series name"),
        ("condition\tseries\ttime\n", "no condition rows below the header"),
    ],
)
def test_error_bad_conditions(tmp_path, text, message):
    cond = write(tmp_path / "c.tsv", text)
    with pytest.raises(InputError, match=re.escape(f"{cond}: {message}")):
        read_conditions(cond)


def test_error_no_time_course(tmp_path):
    expr = write(tmp_path / "e.tsv", "gene\tx1\ng1\t3\n")
    cond = write(tmp_path / "c.tsv", "condition\tseries\ttime\nx1\tx\t5\n")
    with pytest.raises(InputError, match=re.escape("no series with at least 3 time points among the columns")):
        read_timeseries(expr, cond)
    assert read_timeseries(expr, cond, series=["x"]).x.shape == (1, 2, 1)  # named: used anyway


def test_matrix_value_too_large_for_float32(tmp_path):
    expr = write(tmp_path / "e.tsv", "gene\tt0\tt1\tt2\ng1\t0\t1e39\t2\n")
    cond = write(tmp_path / "c.tsv", "condition\tseries\ttime\nt0\ts\t0\nt1\ts\t1\nt2\ts\t2\n")
    with pytest.raises(InputError, match=re.escape(f"{expr}: line 2, column 't1': '1e39' is too large")):
        read_timeseries(expr, cond)

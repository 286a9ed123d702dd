"""Run reports: figures of a training run or an evaluation, and one self-contained HTML page.

* :mod:`~seqnet.report.plots` — ``history.png``, ROC / PR curves per task, confusion matrix;
* :mod:`~seqnet.report.html` — ``report.html`` with every figure embedded.
"""

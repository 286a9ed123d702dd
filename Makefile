# Two commands for a fresh machine:
#   make demo   set up .venv, train on the bundled example data, print held-out AUROC, then
#               find the motifs the model learned (report: runs/demo_motifs/report.html)
#   make test   set up .venv, run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.seqnet-installed
# The tested PyTorch; installed first so that no newer CUDA build gets pulled in.
TORCH  ?= torch==2.13.0

.PHONY: install demo test clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(TORCH)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,workflow]'
	touch $(STAMP)

demo: install
	$(BIN)/seqnet train --positives data/demo/positives.fa.gz --negatives data/demo/negatives.fa.gz \
		--out runs/demo --overwrite --seed 0
	$(BIN)/seqnet predict runs/demo --fasta data/demo/new_sequences.fa --out runs/demo/new_sequences.predictions.tsv
	@echo "predictions for data/demo/new_sequences.fa:"
	@cat runs/demo/new_sequences.predictions.tsv
	$(BIN)/seqnet motifs runs/demo --fasta data/demo/positives.fa.gz --negatives data/demo/negatives.fa.gz \
		--out runs/demo_motifs --overwrite
	@echo "motif report: $(CURDIR)/runs/demo_motifs/report.html (open it in a browser)"

test: install
	$(BIN)/python -m pytest -q

clean:
	rm -rf runs .pytest_cache

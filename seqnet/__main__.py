"""``python -m seqnet`` runs the command line (so ``torchrun -m seqnet`` works too)."""

from seqnet.cli import main

if __name__ == "__main__":
    main()

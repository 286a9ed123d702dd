"""Applying a trained sequence model to a genome: tracks (:mod:`seqnet.apply.scan`),
variant effects (:mod:`seqnet.apply.variants`) and the computation that overlapping
inputs share (:mod:`seqnet.apply.trunk`)."""

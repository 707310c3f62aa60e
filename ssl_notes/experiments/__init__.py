"""The machinery of each chapter's checks: one module per chapter of the book.

A chapter keeps the claim, the call, the printed table, the asserts and the figure;
the sweeps, integrators and helper definitions behind them live here, documented and
unit-tested (``tests/experiments/``), each returning a small result object. The
modules are named after their chapters:

- :mod:`ssl_notes.experiments.data_matrix`:
  Losses as a trace (the data matrix C of eq. (7));
- :mod:`ssl_notes.experiments.lemma1`:
  Lemma 1 (gradient inner products of different outputs);
- :mod:`ssl_notes.experiments.proposition1`:
  Proposition 1 (the unconstrained dynamics collapse);
- :mod:`ssl_notes.experiments.proposition2`:
  Proposition 2 (a Frobenius-norm budget still collapses);
- :mod:`ssl_notes.experiments.proposition3`:
  Proposition 3 (operator-norm and orthonormality constraints);
- :mod:`ssl_notes.experiments.example1_half_moons`:
  Example 1 (the two moons);
- :mod:`ssl_notes.experiments.theorem1`:
  Theorem 1 and Conjecture 1 (wide networks are almost linear);
- :mod:`ssl_notes.experiments.theorem2`:
  Theorem 2 (the constrained flow at every width);
- :mod:`ssl_notes.experiments.theorem3`:
  Theorem 3 (the output dynamics for z = 1);
- :mod:`ssl_notes.experiments.closed_form`:
  The flow in closed form;
- :mod:`ssl_notes.experiments.linear_ssl_pca`:
  What linear SSL learns (PCA);
- :mod:`ssl_notes.experiments.mnist_experiment`:
  The MNIST experiment;
- :mod:`ssl_notes.experiments.beyond_two_losses`:
  Beyond the two losses (InfoNCE, remarks and footnotes of the paper);
- :mod:`ssl_notes.experiments.bridge`:
  From the linear theory to real training.
"""

__all__: list[str] = []

"""Evaluation metrics. A metric maps (images, EvalContext) to a dict of named
floats; `registry.py` names them for `config.eval.metrics` and says which
method capability each needs (sampled images, or a translator to run)."""

"""What the metrics of one evaluation share: the config, the mesh, the method
and state being evaluated, and the Inception features (one pass for all)."""

from gan_jax.metrics.feature_metrics import FeatureEvaluation

INCEPTION_METRICS = ('fid', 'is', 'kid', 'pr')


class EvalContext:

  def __init__(self, config, mesh, progress: bool = False, method=None, state=None):
    self.config, self.mesh, self.progress = config, mesh, progress
    self.method, self.state = method, state  # translation metrics run the method
    self._features = None

  @property
  def features(self) -> FeatureEvaluation:
    if self._features is None:
      self._features = FeatureEvaluation(self.config, self.mesh, self.progress)
    return self._features

  def check_ready(self) -> None:
    """Loads the Inception weights now if a metric needs them, so that a missing or
    bad weight file is reported before any sampling or training."""
    if any(m in INCEPTION_METRICS for m in self.config.eval.metrics):
      _ = self.features

  def protocol(self, num_samples: int):
    return None if self._features is None else self._features.protocol(num_samples)

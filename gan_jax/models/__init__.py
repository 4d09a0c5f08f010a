"""Flax modules only: generators, discriminators, feature networks (shapes in,
shapes out; no losses, no optimizers). `registry.py` names them for configs."""

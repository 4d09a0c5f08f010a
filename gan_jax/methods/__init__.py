"""Training schemes. A method is a class built from (config, data_info) with

  init(rng) -> state                       the whole TrainState pytree
  train_step(state, batch) -> (state, m)   pure; jitted by train.py, never here
  sample_inputs(rng, n, labels) -> inputs  what `generate` consumes
  generate(state, inputs) -> images        in [-1, 1]; EMA weights if kept
  networks(state) -> {name: params}        for --mode=summary

Translation methods (translation.Translator: pix2pix, cyclegan) read two-domain
data (`build_source`) and add translate(state, images, direction); they have
no noise input.

A method never touches files, devices or logging.
"""

from gan_jax.registry import Registry

METHODS = Registry('method')

from gan_jax.methods import cyclegan, gan, pix2pix  # noqa: E402,F401  pylint: disable=g-import-not-at-top

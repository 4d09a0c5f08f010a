"""Training schemes. `base.py` is the contract (a Method, and the capabilities
GeneratesFromNoise and TranslatesImages), `network.py` the per-network state,
`phases.py` the train step as phases; one file per scheme; `registry.py` names
them for `config.method`."""

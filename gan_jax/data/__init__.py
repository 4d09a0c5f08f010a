"""Data sources and the deterministic batch pipeline.

A source is a random-access collection of images (uint8, already at the
configured size and channel count) with optional integer labels; `sources.py`
builds the one `config.data.source` names:
  tfds:<name>[/<config>]   TensorFlow Datasets through `tfds.data_source`
  folder:<path>            a folder of images; class subfolders become labels
  embedded:<name>          built offline from data shipped inside packages
`two_domain.py` reads the paired and unpaired data of translation methods.
The pipeline (`pipeline.py`) draws the batch of step s as a pure function of
(seed, s), so a resumed run sees exactly the batches an uninterrupted run would.
"""

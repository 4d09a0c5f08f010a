"""Experiment files: one per paper x dataset, each with get_config(arg) (and
optionally get_sweep(arg)). Shared paper settings are imported as
`experiments.<file>`, with the repository root on sys.path (as it is for
launch.py, the tests and the bench scripts)."""

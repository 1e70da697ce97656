"""The offline demo site, used by `newsarchive demo`, the tests and the benches: not the pipeline."""

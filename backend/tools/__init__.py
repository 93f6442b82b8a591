"""Tools apart from the service: the command line, benchmarks, the evaluation and migrations."""

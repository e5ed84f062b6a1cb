"""stackprobe's benchmark: ``python -m benchmarks.bench`` (``tox -e bench``)."""

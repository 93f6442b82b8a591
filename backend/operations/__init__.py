"""Operations: the broker and Celery inspect (queue depth, workers), queue depth history,
the worker registry, health checks, Flower links, Prometheus metrics, beat maintenance,
and the administrators' operations and account lifecycle actions."""

"""The task ledger: the task table (every task's queue, route, limits and labels), the one
write path for task state, task views, cancel, retry and the administrators' task browser;
completion webhooks."""

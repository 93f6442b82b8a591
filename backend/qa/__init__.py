"""Questions and answers: asking, the worker's answering (retrieval, sentence rerank,
extractive answers or an LLM), and conversations."""

"""API routers, one per area: auth, uploads, questions, documents, tasks, system."""

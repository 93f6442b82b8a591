"""Reports: usage summaries per user and period, and their CSV exports."""

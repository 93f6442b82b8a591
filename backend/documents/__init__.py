"""Documents: the upload store, each user's document library, the processing pipeline
(extract, clean, chunk, embed, store) and `ingest/`, the text extraction it runs."""

#!/usr/bin/env bash
# Back up the database (pg_dump, or the SQLite file), the upload store and the vectors (a Qdrant
# server snapshot, or a copy of the embedded shard) into one timestamped folder:
# scripts/backup.sh [DEST]. The services may stay up: the shard is copied by the process that
# holds it (the worker), flushed and with no write in between.
# Redis needs no dump here: it holds queues and results only, persisted by its AOF.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
DEST=${1:-backups}/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$DEST"

eval "$("$PY" - <<'PY'
import shlex
from backend.config import get_settings
s = get_settings()
for k, v in {"DB_URL": s.sqlalchemy_url, "UPLOADS": s.upload_dir, "QDRANT_URL_SET": s.qdrant_url,
             "QDRANT_KEY": s.qdrant_api_key, "VECTORS": s.vector_dir,
             "COLLECTION": s.qdrant_collection}.items():
    print(f"{k}={shlex.quote(str(v))}")
PY
)"

case $DB_URL in
  postgresql*) pg_dump --format=custom --no-owner --dbname="${DB_URL/+psycopg2/}" --file="$DEST/database.dump" ;;
  sqlite*) "$PY" -c "import sqlite3,sys; s=sqlite3.connect(sys.argv[1]); d=sqlite3.connect(sys.argv[2]); s.backup(d)" \
             "${DB_URL#sqlite:///}" "$DEST/qa.db" ;;
esac
[ -d "$UPLOADS" ] && tar -C "$UPLOADS" -czf "$DEST/uploads.tar.gz" .

if [ -n "$QDRANT_URL_SET" ]; then
  "$PY" - "$QDRANT_URL_SET" "$QDRANT_KEY" "$COLLECTION" "$DEST" <<'PY'
import sys, httpx
url, key, collection, dest = sys.argv[1:]
headers = {"api-key": key} if key else {}
snap = httpx.post(f"{url}/collections/{collection}/snapshots", headers=headers, timeout=600).json()
name = snap["result"]["name"]
with httpx.stream("GET", f"{url}/collections/{collection}/snapshots/{name}", headers=headers, timeout=600) as r:
    r.raise_for_status()
    with open(f"{dest}/qdrant-{collection}.snapshot", "wb") as f:
        for chunk in r.iter_bytes():
            f.write(chunk)
PY
elif [ -f "$VECTORS/edge_config.json" ]; then
  "$PY" -m backend.cli backup-vectors "$(cd "$DEST" && pwd)/vectors"
  tar -C "$DEST/vectors" -czf "$DEST/vectors.tar.gz" .
  rm -rf "$DEST/vectors"
fi
echo "Backup written to $DEST"

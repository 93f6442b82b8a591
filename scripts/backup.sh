#!/usr/bin/env bash
# Back up the database (pg_dump, or the SQLite file), the upload store and the vectors (a Qdrant
# server snapshot, or the local folder) into one timestamped folder: scripts/backup.sh [DEST].
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
             "QDRANT_KEY": s.qdrant_api_key, "QDRANT_LOCAL": s.qdrant_local_path,
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
elif [ -d "$QDRANT_LOCAL" ]; then
  # Local mode: copy the folder only while no process holds its lock (qdrant-client keeps an
  # exclusive flock on <folder>/.lock while open); a copy taken under a running worker could be
  # torn. Stop the workers and the API, or use a Qdrant server.
  if "$PY" - "$QDRANT_LOCAL" <<'PY'
import fcntl, os, sys
lock = os.path.join(sys.argv[1], ".lock")
if os.path.exists(lock):
    with open(lock, "r+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            sys.exit(1)
PY
  then
    tar -C "$QDRANT_LOCAL" -czf "$DEST/qdrant-local.tar.gz" .
  else
    echo "backup: WARNING: the Qdrant folder $QDRANT_LOCAL is in use; vectors NOT backed up" \
         "(stop the workers and the API, then run again)" >&2
  fi
fi
echo "Backup written to $DEST"

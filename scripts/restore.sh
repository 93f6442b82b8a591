#!/usr/bin/env bash
# Restore a folder written by scripts/backup.sh into the configured database, upload store and
# vector store: scripts/restore.sh [--force] BACKUP_DIR
# Without --force it refuses to touch a target that already holds data. The embedded vector
# store is never restored while a process (the worker) holds it: stop it first. A backup
# without vectors is fine: `make run` rebuilds them from the restored passages.
set -euo pipefail

usage() { echo "usage: scripts/restore.sh [--force] BACKUP_DIR" >&2; exit 2; }
say() { echo "restore: $*"; }
die() { echo "restore: $*" >&2; exit 1; }

FORCE=0
SRC=""
for arg in "$@"; do
  case $arg in
    -f|--force) FORCE=1 ;;
    -h|--help) usage ;;
    -*) echo "restore: unknown option $arg" >&2; usage ;;
    *) [ -z "$SRC" ] || usage; SRC=$arg ;;
  esac
done
[ -n "$SRC" ] || usage
[ -d "$SRC" ] || die "$SRC is not a folder"
SRC=$(cd "$SRC" && pwd)
cd "$(dirname "$0")/.."
PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}

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
PG_URL=${DB_URL/+psycopg2/}
SQLITE_FILE=${DB_URL#sqlite:///}
SNAPSHOT="$SRC/qdrant-$COLLECTION.snapshot"

# Exit 0 when the embedded vector store is free, 1 when a process holds its owner lock.
vectors_free() {
  "$PY" - "$VECTORS" <<'PY'
import fcntl, os, sys
lock = os.path.join(sys.argv[1], "owner.lock")
if not os.path.exists(lock):
    sys.exit(0)
with open(lock, "r+") as f:
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        sys.exit(1)
    fcntl.flock(f, fcntl.LOCK_UN)
PY
}

# --- check everything before changing anything
refuse=()
case $DB_URL in
  postgresql*)
    [ -f "$SRC/database.dump" ] || die "$SRC has no database.dump (a SQLite backup has qa.db)"
    tables=$(psql "$PG_URL" -XtAc \
      "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'") \
      || die "cannot connect to the database; create it first (createdb) and check DATABASE_URL"
    [ "$tables" = 0 ] || refuse+=("the database already has $tables tables")
    ;;
  sqlite*)
    [ -f "$SRC/qa.db" ] || die "$SRC has no qa.db (a PostgreSQL backup has database.dump)"
    [ ! -s "$SQLITE_FILE" ] || refuse+=("the SQLite file $SQLITE_FILE exists")
    ;;
  *) die "unsupported database URL: ${DB_URL%%:*}" ;;
esac
if [ -f "$SRC/uploads.tar.gz" ] && [ -d "$UPLOADS" ] && [ -n "$(ls -A "$UPLOADS")" ]; then
  refuse+=("the upload store $UPLOADS is not empty")
fi
if [ -n "$QDRANT_URL_SET" ]; then
  if [ -f "$SNAPSHOT" ]; then
    points=$("$PY" - "$QDRANT_URL_SET" "$QDRANT_KEY" "$COLLECTION" <<'PY'
import sys, httpx
url, key, collection = sys.argv[1:]
r = httpx.get(f"{url}/collections/{collection}", headers={"api-key": key} if key else {}, timeout=30)
print(0 if r.status_code == 404 else r.raise_for_status().json()["result"].get("points_count") or 0)
PY
) || die "cannot reach Qdrant at $QDRANT_URL_SET"
    [ "$points" = 0 ] || refuse+=("the Qdrant collection $COLLECTION holds $points points")
  fi
elif [ -f "$SRC/vectors.tar.gz" ] && [ -d "$VECTORS" ]; then
  vectors_free || die "the vector store $VECTORS is in use: stop the worker first"
  [ -z "$(ls -A "$VECTORS" | grep -vx 'owner.lock' || true)" ] \
    || refuse+=("the vector store $VECTORS is not empty")
fi
if [ ${#refuse[@]} -gt 0 ] && [ "$FORCE" = 0 ]; then
  for reason in "${refuse[@]}"; do echo "restore: refusing: $reason" >&2; done
  echo "restore: nothing was changed; run again with --force to replace it" >&2
  exit 3
fi

# --- database
case $DB_URL in
  postgresql*)
    pg_restore --clean --if-exists --no-owner --exit-on-error --single-transaction \
      --dbname="$PG_URL" "$SRC/database.dump"
    say "database restored from database.dump"
    ;;
  sqlite*)
    mkdir -p "$(dirname "$SQLITE_FILE")"
    "$PY" -c "import sqlite3,sys; s=sqlite3.connect(sys.argv[1]); d=sqlite3.connect(sys.argv[2]); s.backup(d)" \
      "$SRC/qa.db" "$SQLITE_FILE"
    say "database restored from qa.db into $SQLITE_FILE"
    ;;
esac

# --- upload store
if [ -f "$SRC/uploads.tar.gz" ]; then
  mkdir -p "$UPLOADS"
  find "$UPLOADS" -mindepth 1 -delete
  tar -C "$UPLOADS" -xzf "$SRC/uploads.tar.gz"
  say "upload store restored into $UPLOADS"
else
  say "no uploads.tar.gz in the backup: upload store left as it is"
fi

# --- vectors
if [ -n "$QDRANT_URL_SET" ]; then
  if [ -f "$SNAPSHOT" ]; then
    "$PY" - "$QDRANT_URL_SET" "$QDRANT_KEY" "$COLLECTION" "$SNAPSHOT" <<'PY'
import sys, httpx
url, key, collection, snapshot = sys.argv[1:]
headers = {"api-key": key} if key else {}
with open(snapshot, "rb") as f:
    r = httpx.post(f"{url}/collections/{collection}/snapshots/upload",
                   params={"priority": "snapshot", "wait": "true"}, headers=headers,
                   files={"snapshot": (snapshot.rsplit("/", 1)[-1], f)}, timeout=3600)
r.raise_for_status()
PY
    say "Qdrant collection $COLLECTION recovered from $(basename "$SNAPSHOT")"
  else
    say "no qdrant-$COLLECTION.snapshot in the backup: vectors left as they are"
  fi
elif [ -f "$SRC/vectors.tar.gz" ]; then
  mkdir -p "$VECTORS"
  # Hold the owner lock while replacing the shard, so no worker opens it half-written.
  "$PY" - "$VECTORS" "$SRC/vectors.tar.gz" <<'PY'
import fcntl, os, shutil, sys, tarfile
folder, archive = sys.argv[1:]
with open(os.path.join(folder, "owner.lock"), "a+") as lock:
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        sys.exit(f"restore: the vector store {folder} is in use: stop the worker first")
    for name in os.listdir(folder):
        if name != "owner.lock":
            path = os.path.join(folder, name)
            shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if os.path.normpath(m.name) != "owner.lock"]
        tar.extractall(folder, members=members, filter="data")
PY
  say "vector store restored into $VECTORS"
else
  say "no vectors in the backup: make run rebuilds them from the restored passages"
fi
say "done; restart the API and the workers"

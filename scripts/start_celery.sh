#!/usr/bin/env bash
# Start the seed's Celery layout in the background: three workers (docs, qa + high_priority,
# users), beat and Flower, each with a pid file (run/) and a log (logs/<name>.log).
#
# Several worker processes need a Qdrant server (QDRANT_URL): the embedded vector store belongs to
# one process only. On one machine without a Qdrant server use `make run` (one worker, all queues).
#
#   ./scripts/start_celery.sh        ./scripts/celery_status.sh        ./scripts/stop_celery.sh
#
# Environment: PYTHON, LOG_DIR (logs), PID_DIR (run), DOCS_CONCURRENCY (2), QA_CONCURRENCY (4),
# USERS_CONCURRENCY (2), LOGLEVEL (info), NO_FLOWER=1, NO_BEAT=1.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
LOG_DIR=${LOG_DIR:-logs}
PID_DIR=${PID_DIR:-run}
LOGLEVEL=${LOGLEVEL:-info}
CELERY=("$PY" -m celery -A workers.celery_app:celery_app)
mkdir -p "$LOG_DIR" "$PID_DIR"

# What the settings say (environment and .env), read once.
eval "$("$PY" - <<'PY'
import shlex
from backend.config import get_settings
from backend.operations.flower import ensure_password
s = get_settings()
password, made = ensure_password(s)
if made:
    import sys
    print(f"Flower: user {s.flower_user}, password {password} (kept in {s.flower_password_file})",
          file=sys.stderr)
for key, value in {
    "QDRANT_URL_SET": s.qdrant_url, "FLOWER_AUTH": f"{s.flower_user}:{password}",
    "FLOWER_PORT_SET": s.flower_port, "FLOWER_ADDRESS_SET": s.flower_address,
    "DATA_DIR_SET": s.data_dir,
}.items():
    print(f"{key}={shlex.quote(str(value))}")
PY
)"

if [ -z "$QDRANT_URL_SET" ]; then
  echo "QDRANT_URL is not set: the embedded vector store belongs to one process, so three workers" >&2
  echo "cannot share it. Point QDRANT_URL at a Qdrant server, or use 'make run' (one worker)." >&2
  exit 2
fi

running() {  # pid file -> true when its process is alive
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

start() {  # name, command...
  local name=$1; shift
  local pidfile="$PID_DIR/$name.pid" log="$LOG_DIR/$name.log"
  if running "$pidfile"; then
    echo "$name is already running (pid $(cat "$pidfile"))"
    return
  fi
  nohup "$@" >>"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  echo "started $name (pid $!, log $log)"
}

worker() {  # name, queues, concurrency
  start "celery-$1" "${CELERY[@]}" worker --loglevel="$LOGLEVEL" --queues="$2" \
    --concurrency="$3" --hostname="$1@%h"
}

worker worker-docs document_processing "${DOCS_CONCURRENCY:-2}"
worker worker-qa high_priority,question_answering "${QA_CONCURRENCY:-4}"
worker worker-users user_management "${USERS_CONCURRENCY:-2}"

if [ -z "${NO_BEAT:-}" ]; then
  mkdir -p "$DATA_DIR_SET"
  start celery-beat "${CELERY[@]}" beat --loglevel="$LOGLEVEL" \
    --schedule="$DATA_DIR_SET/celerybeat-schedule"
fi

if [ -z "${NO_FLOWER:-}" ]; then
  # Flower reads every FLOWER_* variable as one of its own options: pass only the login.
  start celery-flower env -u FLOWER_USER -u FLOWER_PASSWORD -u FLOWER_PORT -u FLOWER_URL \
    FLOWER_BASIC_AUTH="$FLOWER_AUTH" "${CELERY[@]}" flower --port="$FLOWER_PORT_SET" --address="$FLOWER_ADDRESS_SET"
fi
echo "Check with ./scripts/celery_status.sh; stop with ./scripts/stop_celery.sh"

#!/usr/bin/env bash
# Show each process started by start_celery.sh and ping the workers through the broker.
# Exit status 0 when every started process runs and every worker answered, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
PID_DIR=${PID_DIR:-run}
status=0
workers=()

shopt -s nullglob
pidfiles=("$PID_DIR"/celery-*.pid)
if [ ${#pidfiles[@]} -eq 0 ]; then
  echo "No Celery processes were started (no pid files in $PID_DIR/)."
  exit 1
fi

echo "Processes:"
for pidfile in "${pidfiles[@]}"; do
  name=$(basename "$pidfile" .pid)
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    printf '  %-22s running  (pid %s)\n' "$name" "$pid"
    case $name in celery-worker-*) workers+=("${name#celery-}") ;; esac
  else
    printf '  %-22s STOPPED  (stale pid %s)\n' "$name" "$pid"
    status=1
  fi
done

echo "Workers answering a ping:"
replies=$("$PY" -m celery -A workers.celery_app:celery_app inspect ping --timeout "${PING_TIMEOUT:-5}" 2>&1)
for worker in "${workers[@]}"; do
  if grep -Eq -- "->[[:space:]]+$worker@" <<<"$replies"; then
    printf '  %-22s pong\n' "$worker"
  else
    printf '  %-22s NO REPLY\n' "$worker"
    status=1
  fi
done
exit $status

#!/usr/bin/env bash
# Stop what start_celery.sh started: SIGTERM (Celery's warm shutdown: running tasks finish),
# then SIGKILL whatever is still alive after STOP_TIMEOUT seconds (default 60).
set -uo pipefail
cd "$(dirname "$0")/.."

PID_DIR=${PID_DIR:-run}
TIMEOUT=${STOP_TIMEOUT:-60}
shopt -s nullglob
pidfiles=("$PID_DIR"/celery-*.pid)
[ ${#pidfiles[@]} -eq 0 ] && { echo "Nothing to stop (no pid files in $PID_DIR/)."; exit 0; }

declare -A pids
for pidfile in "${pidfiles[@]}"; do
  name=$(basename "$pidfile" .pid)
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    pids[$name]=$pid
    kill -TERM "$pid" && echo "stopping $name (pid $pid)"
  else
    rm -f "$pidfile"
  fi
done

deadline=$((SECONDS + TIMEOUT))
for name in "${!pids[@]}"; do
  pid=${pids[$name]}
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$name did not stop within ${TIMEOUT}s; killing it and its pool"
    pkill -KILL -P "$pid" 2>/dev/null
    kill -KILL "$pid" 2>/dev/null
  else
    echo "stopped $name"
  fi
  rm -f "$PID_DIR/$name.pid"
done

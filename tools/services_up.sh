#!/usr/bin/env bash
# Make sure RabbitMQ and PostgreSQL answer on loopback; start them if installed and down.
# Fails (never skips) when either cannot be reached.
set -euo pipefail

rabbit_up() { timeout 20 rabbitmqctl -q await_startup >/dev/null 2>&1 && timeout 20 rabbitmqctl -q status >/dev/null 2>&1; }
pg_up() { pg_isready -h 127.0.0.1 -p 5432 -t 5 >/dev/null 2>&1; }

if ! command -v rabbitmqctl >/dev/null; then echo "RabbitMQ is not installed (apt-get install rabbitmq-server)" >&2; exit 1; fi
if ! rabbit_up; then
  echo "starting RabbitMQ"
  (ulimit -n 20000 2>/dev/null || true; rabbitmq-server -detached) || true
  for _ in $(seq 1 60); do rabbit_up && break; sleep 2; done
  rabbit_up || { echo "RabbitMQ did not come up" >&2; exit 1; }
fi
# The tests create their own virtual host per checkout (tests/support/infrastructure.py).

if ! command -v pg_ctlcluster >/dev/null; then echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; fi
if ! pg_up; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "PostgreSQL did not come up" >&2; exit 1; }
fi
# The tests connect as postgres over TCP without a password (trust on loopback, as set up here).
psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null || {
  echo "cannot connect to PostgreSQL as postgres on 127.0.0.1 (set POSTGRES_USER/POSTGRES_PASSWORD)" >&2; exit 1; }
echo "RabbitMQ and PostgreSQL are up"

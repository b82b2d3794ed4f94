#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL server; its URL is in $LAYERWISE_TEST_POSTGRES_URL.
# Installs Debian's postgresql package when the server is missing and we are root (CI, fresh machines);
# the server and its data are removed when the command ends.
set -euo pipefail

find_initdb() {
  command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true
}

initdb_bin=$(find_initdb)
if [ -z "$initdb_bin" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing PostgreSQL (Debian package) for the test suite..." >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  initdb_bin=$(find_initdb)
fi
if [ -z "$initdb_bin" ]; then
  if [ -n "${CI:-}" ]; then
    echo "error: PostgreSQL is required in CI and could not be installed" >&2
    exit 1
  fi
  echo "warning: PostgreSQL not found; the PostgreSQL half of the suite will be skipped" >&2
  exec "$@"
fi
bin=$(dirname "$(readlink -f "$initdb_bin")")

dir=$(mktemp -d)
run_pg() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$dir"
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run_pg "$bin/initdb" -D "$dir/data" -U layerwise --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
run_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null
cleanup() {
  run_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
run_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U layerwise layerwise_test
export LAYERWISE_TEST_POSTGRES_URL="postgresql://layerwise@127.0.0.1:$port/layerwise_test"
"$@"

#!/usr/bin/env bash
# Builds (once) and runs FerretDB 1.24 on its SQLite backend: the MongoDB wire protocol for the
# MongoDB tests on machines without MongoDB. Users run real MongoDB (compose.yaml).
#   FERRETDB_ADDR  listen address        (default 127.0.0.1:27017)
#   FERRETDB_DIR   SQLite data directory (default ./data/ferretdb)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="${FERRETDB_BIN:-$root/.cache/bin/ferretdb}"
if [ ! -x "$bin" ] || [ "$root/tools/ferretdb/main.go" -nt "$bin" ] || [ "$root/tools/ferretdb/go.sum" -nt "$bin" ]; then
  echo "building FerretDB into $bin" >&2
  (cd "$root/tools/ferretdb" && go build -o "$bin" .)
fi
[ "${1:-}" = "--build-only" ] && exit 0
addr="${FERRETDB_ADDR:-127.0.0.1:27017}"
dir="${FERRETDB_DIR:-$root/data/ferretdb}"
echo "FerretDB: export MONGODB_URL=mongodb://$addr/" >&2
exec "$bin" -listen "$addr" -dir "$dir"

#!/usr/bin/env bash
# The demo: installs what is missing, builds sessionctl, starts a throwaway redis-server
# on a free loopback port, seeds a few users' sessions, and shows `list` and a dry-run revocation.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product sessionctl >&2
bin="$(swift build -c release --show-bin-path)/sessionctl"
echo "demo: the sessionctl binary is $bin" >&2

dir="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 16379)"
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --daemonize yes \
  --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done

# A few users' sessions, as a web application writes them.
{
  for s in 4f1c9a 7b2e11 c03d5e; do
    echo "SET session:$s '{\"user_id\":\"alice\",\"csrf\":\"$s\"}' EX 3600"
    echo "SET user:alice:$s session:$s EX 3600"
  done
  echo "SET session:91aa07 '{\"user_id\":\"bob\"}' EX 1800"
  echo "SET user:bob:91aa07 session:91aa07 EX 1800"
  echo "SET session:e5e5e5 '{\"user_id\":\"张三\"}'"
  echo "SET user:张三:e5e5e5 session:e5e5e5"
  echo "SET user:alice:stale session:gone"
  echo "SET user:alice:evil config:main"
} | redis-cli -p "$port" >/dev/null

export SESSIONCTL_URL="redis://127.0.0.1:$port"
run() { echo; echo "\$ sessionctl $*"; "$bin" "$@"; }
run ping
run users
run list alice 张三
run --json list bob
run revoke-user alice --dry-run

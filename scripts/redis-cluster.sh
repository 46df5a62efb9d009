#!/usr/bin/env bash
# A throwaway 3-master Redis Cluster on loopback for tests, from the local
# redis-server and redis-cli. No persistence; state lives under $DIR.
#
#   scripts/redis-cluster.sh start   # prints OVATION_TEST_REDIS_CLUSTER=...
#   scripts/redis-cluster.sh stop
#
# Ports: REDIS_CLUSTER_PORTS (default "7101 7102 7103").
set -euo pipefail

PORTS=(${REDIS_CLUSTER_PORTS:-7101 7102 7103})
DIR=${REDIS_CLUSTER_DIR:-/tmp/ovation-redis-cluster}
HOST=127.0.0.1

nodes() {
  local list=()
  for p in "${PORTS[@]}"; do list+=("$HOST:$p"); done
  (IFS=,; echo "${list[*]}")
}

cluster_ok() {
  for p in "${PORTS[@]}"; do
    redis-cli -h "$HOST" -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
  done
}

start() {
  mkdir -p "$DIR"
  for p in "${PORTS[@]}"; do
    if redis-cli -h "$HOST" -p "$p" ping >/dev/null 2>&1; then
      # Only reuse a node this script started; anything else on the port is not ours.
      [[ -f "$DIR/$p.pid" ]] || { echo "port $p is taken by a server this script did not start" >&2; exit 1; }
      continue
    fi
    rm -f "$DIR/nodes-$p.conf"
    redis-server --port "$p" --bind "$HOST" --daemonize yes \
      --cluster-enabled yes --cluster-config-file "$DIR/nodes-$p.conf" --cluster-node-timeout 5000 \
      --save "" --appendonly no --dir "$DIR" \
      --pidfile "$DIR/$p.pid" --logfile "$DIR/$p.log"
  done
  for p in "${PORTS[@]}"; do
    for _ in $(seq 50); do
      redis-cli -h "$HOST" -p "$p" ping >/dev/null 2>&1 && break
      sleep 0.1
    done
  done
  if ! cluster_ok; then
    local addrs=()
    for p in "${PORTS[@]}"; do addrs+=("$HOST:$p"); done
    redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes >"$DIR/create.log" 2>&1 || {
      cat "$DIR/create.log" >&2
      exit 1
    }
    for _ in $(seq 100); do
      cluster_ok && break
      sleep 0.1
    done
    cluster_ok || { echo "cluster did not reach cluster_state:ok" >&2; exit 1; }
  fi
  echo "OVATION_TEST_REDIS_CLUSTER=$(nodes)"
}

stop() {
  for p in "${PORTS[@]}"; do
    local pidfile="$DIR/$p.pid"
    [[ -f "$pidfile" ]] || continue
    local pid
    pid=$(cat "$pidfile")
    # Stop only the server this script started on that port.
    if kill -0 "$pid" 2>/dev/null && grep -q redis-server "/proc/$pid/comm" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$pidfile" "$DIR/nodes-$p.conf"
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac

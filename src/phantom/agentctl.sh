#!/bin/sh
# Runs many Consul client agents in one container, one process each.
#   agentctl start JOIN...   reads "NAME PORT" lines on stdin, starts one agent per line
#   agentctl kill NAME...    SIGKILL: the agent never says goodbye
#   agentctl rss             resident memory (kB) of every agent still running
d=/run/phantom
case "$1" in
start)
  shift
  joins=""; for j in "$@"; do joins="$joins -retry-join=$j"; done
  while read -r name port; do
    mkdir -p "$d/$name"
    consul agent -node="$name" -data-dir="$d/$name" -bind=0.0.0.0 -serf-lan-port="$port" \
      -config-dir=/run/phantom-config -retry-interval=1s $joins > "$d/$name/log" 2>&1 &
    echo $! > "$d/$name/pid"
  done ;;
kill)
  shift
  for name in "$@"; do kill -9 "$(cat "$d/$name/pid")" 2>/dev/null; rm -rf "${d:?}/$name"; done ;;
rss)
  for f in "$d"/*/pid; do [ -f "$f" ] && awk '/VmRSS/ {print $2}' "/proc/$(cat "$f")/status" 2>/dev/null; done ;;
*) echo "usage: agentctl start JOIN... | kill NAME... | rss" >&2; exit 2 ;;
esac

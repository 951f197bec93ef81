#!/bin/sh
# consul-template reads CONSUL_HTTP_ADDR itself; the rest of the settings reach the template through env.
set -e
: "${CONSUL_HTTP_ADDR:?set CONSUL_HTTP_ADDR to the Consul agent or server the LB generates from}"
export LB_SERVER_CHECKS="${LB_SERVER_CHECKS:-off}"
case "$LB_SERVER_CHECKS" in on|off) ;; *) echo "LB_SERVER_CHECKS must be on or off, got $LB_SERVER_CHECKS" >&2; exit 2 ;; esac
exec consul-template -config /etc/lb/consul-template.hcl "$@"

#!/bin/sh
# consul-template reads CONSUL_HTTP_ADDR itself; the rest of the settings reach the template through env.
set -e
: "${CONSUL_HTTP_ADDR:?set CONSUL_HTTP_ADDR to the Consul agent or server the LB generates from}"
export LB_SERVER_CHECKS="${LB_SERVER_CHECKS:-off}"
case "$LB_SERVER_CHECKS" in on|off) ;; *) echo "LB_SERVER_CHECKS must be on or off, got $LB_SERVER_CHECKS" >&2; exit 2 ;; esac
# LB_ROUTES="10.244.1.0/24=172.18.0.3 ...": the pods' networks behind each node, as a flat data-centre
# network would route them. Consul hands out pod IPs; beside the cluster they are reachable only this
# way (needs --cap-add NET_ADMIN, and only this container's own routing table changes).
for r in ${LB_ROUTES:-}; do
  cidr=${r%%=*}; via=${r#*=}
  case "$cidr" in *[!0-9./]*|'') echo "LB_ROUTES: bad network '$cidr'" >&2; exit 2 ;; esac
  case "$via" in *[!0-9.]*|'') echo "LB_ROUTES: bad gateway '$via'" >&2; exit 2 ;; esac
  ip route replace "$cidr" via "$via"
done
exec consul-template -config /etc/lb/consul-template.hcl "$@"

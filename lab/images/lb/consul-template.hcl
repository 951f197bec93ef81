# Retries never end: an LB whose generator cannot reach Consul keeps serving the last config it rendered
# (stale), which is the failure the lab measures. consul-template's default (12 attempts) would exit and
# take HAProxy down with it, a different and louder failure than the platform's.
consul {
  retry {
    enabled     = true
    attempts    = 0
    backoff     = "250ms"
    max_backoff = "5s"
  }
}

template {
  source      = "/etc/lb/haproxy.ctmpl"
  destination = "/etc/lb/haproxy.cfg"
}

# HAProxy is consul-template's child: it starts after the first render, and SIGUSR2 makes its master load
# the new config into a fresh worker while the old one finishes its connections.
exec {
  command       = ["haproxy", "-W", "-db", "-f", "/etc/lb/haproxy.cfg"]
  reload_signal = "SIGUSR2"
  kill_signal   = "SIGTERM"
  kill_timeout  = "5s"
}

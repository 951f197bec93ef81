#!/usr/bin/env bash
# Installs a Docker engine that can run privileged containers on a Debian bookworm host as root.
# Why trixie: bookworm's docker.io (20.10) cannot apply caps when CAP_SYS_RESOURCE is missing from the
# bounding set (seen on these machines); trixie's 26.x can. The pin keeps the rest of the system on
# its own release: only docker.io, docker-cli, docker-buildx and containerd come from trixie.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "install-docker: must run as root" >&2; exit 2; }
command -v apt-get >/dev/null || { echo "install-docker: not a Debian-like system (no apt-get)" >&2; exit 2; }

# Reuse the machine's own mirror: whatever URI its bookworm sources already use.
mirror=$(grep -rhoE '^(URIs:|deb) +[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
  | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
[ -n "$mirror" ] || { echo "install-docker: no Debian mirror found in /etc/apt/sources" >&2; exit 2; }

src=/etc/apt/sources.list.d/outage-lab-trixie.sources
if [ ! -f "$src" ]; then
  cat >"$src" <<SRC
Types: deb
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  cat >/etc/apt/preferences.d/outage-lab-trixie <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends docker.io/trixie docker-cli/trixie docker-buildx/trixie >/dev/null
# The Debian package may try to start dockerd via systemd; these machines have no systemd as PID 1.
echo "install-docker: installed $(dockerd --version)"

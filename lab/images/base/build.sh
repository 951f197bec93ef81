#!/usr/bin/env bash
# Debian trixie minbase, made with debootstrap from the machine's own Debian mirror and imported into
# Docker: without a container registry this is the only way to get a first layer.
set -euo pipefail
: "${BUILD_TAG:?}" "${LAB_CACHE:?}"
mirror=$(grep -rhoE '^(URIs:|deb) +[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
  | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
[ -n "$mirror" ] || { echo "no Debian mirror in /etc/apt sources" >&2; exit 1; }
if ! command -v debootstrap >/dev/null; then
  # The one host package a local build needs; install it where we may, explain where we may not.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "STEP installing debootstrap"
    apt-get install -y -qq --no-install-recommends debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
  else
    echo "debootstrap is missing: install it (apt-get install debootstrap) or use --source pull" >&2; exit 1
  fi
fi
root=$(mktemp -d "${TMPDIR:-/tmp}/lab-base.XXXXXX")
trap 'rm -rf "$root"' EXIT
echo "STEP debootstrap trixie (minbase)"
debootstrap --variant=minbase --include=ca-certificates trixie "$root" "$mirror"
# Slim it: docs and apt lists are dead weight in every derived image.
rm -rf "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/var/cache/apt/*.bin
# Derived images install from the same mirror the host uses.
printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" \
  > "$root/etc/apt/sources.list.d/debian.sources"
rm -f "$root/etc/apt/sources.list"
echo "STEP docker import"
tar -C "$root" -c . | docker import --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' - "$BUILD_TAG" >/dev/null

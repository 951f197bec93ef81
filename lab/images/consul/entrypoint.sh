#!/bin/sh
# Behaves as an entrypoint of plain `consul`, but also accepts `consul agent ...` as arguments, as the
# upstream image's entrypoint does, so a container spec written for hashicorp/consul runs unchanged.
if [ "$1" = consul ]; then shift; fi
exec consul "$@"

#!/bin/sh
# Accept both `server ...` and `vault server ...` as arguments, as the upstream image's entrypoint does,
# so a container spec written for hashicorp/vault runs unchanged here.
if [ "$1" = vault ]; then shift; fi
exec vault "$@"

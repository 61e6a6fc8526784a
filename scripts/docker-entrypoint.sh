#!/bin/sh
# The image's entry point. A Fly volume (and a fresh Docker volume) is mounted at DATA_DIR owned by root,
# which the service's user could not write: as root, this gives that one directory to `app`, then runs the
# command as `app` (uid 10001) with no capabilities left, so the service and Chromium never run as root
# (and Chromium keeps its sandbox). Started as any other user, it runs the command unchanged.
set -eu
if [ "$(id -u)" = "0" ]; then
  data="${DATA_DIR:-/data}"
  mkdir -p "$data"
  chown app:app "$data"
  chmod 0700 "$data"
  export HOME=/home/app
  exec setpriv --reuid=app --regid=app --init-groups --inh-caps=-all --bounding-set=-all -- "$@"
fi
exec "$@"

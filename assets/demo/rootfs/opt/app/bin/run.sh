#!/bin/sh
# strata demo entrypoint: serve /srv/www with busybox httpd.
set -e
case "${1:-}" in
  --serve) exec httpd -f -v -p "${PORT:-8080}" -h /srv/www ;;
  --version) cat /opt/app/VERSION ;;
  *) exec "$@" ;;
esac

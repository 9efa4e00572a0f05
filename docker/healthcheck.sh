#!/bin/bash
# The image's HEALTHCHECK: GET /healthz over bash's /dev/tcp, so the image
# needs no curl. Healthy when the answer's status is 200 within the
# HEALTHCHECK timeout.
set -u
host=${SHEETSYNC_BIND:-127.0.0.1}
case "$host" in
0.0.0.0 | "") host=127.0.0.1 ;;
:: | "[::]") host=::1 ;;
esac
exec 3<>"/dev/tcp/$host/${SHEETSYNC_PORT:-8080}" || exit 1
printf 'GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
read -r _ status _ <&3 || exit 1
[ "$status" = 200 ]

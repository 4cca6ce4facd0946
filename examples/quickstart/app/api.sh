#!/bin/sh
# A stand-in API: it checks that both secrets arrived, then serves a status page.
set -eu
[ -r "$DB_PASSWORD_FILE" ] || { echo "api: cannot read $DB_PASSWORD_FILE" >&2; exit 1; }
[ -n "${PAYMENT_API_KEY:-}" ] || { echo "api: PAYMENT_API_KEY is not set" >&2; exit 1; }
echo "status: ok, database $DB_HOST, log level $LOG_LEVEL" > /www/index.html
echo "api: serving on port 8080"
exec httpd -f -p 8080 -h /www

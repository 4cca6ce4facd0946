#!/bin/sh
# A stand-in database: it refuses to start without its password file, like the official images do.
set -eu
if [ ! -r "$DB_PASSWORD_FILE" ]; then
  echo "db: cannot read the password file $DB_PASSWORD_FILE" >&2
  exit 1
fi
echo "db: started for user $DB_USER with a $(wc -c < "$DB_PASSWORD_FILE")-byte password"
exec sleep 2147483647

#!/bin/sh
# Restore a backup of deploy/backup.sh into DATABASE_URL (and the uploads into
# MEDIA_ROOT). Every table in the dump is dropped and recreated (pg_restore
# --clean --if-exists) in one transaction: stop web, worker, beat and relay first.
#
#   DATABASE_URL=postgres://user:pass@host:5432/db deploy/restore.sh --yes DUMP [MEDIA_TAR]
#
# Without --yes it only says what it would replace.
set -eu

confirmed=0
if [ "${1:-}" = "--yes" ]; then
  confirmed=1
  shift
fi
dump="${1:?usage: restore.sh --yes DUMP [MEDIA_TAR]}"
media="${2:-}"
: "${DATABASE_URL:?set DATABASE_URL}"
MEDIA_ROOT="${MEDIA_ROOT:-/media}"

[ -f "$dump" ] || { echo "no such dump: $dump" >&2; exit 2; }
[ -z "$media" ] || [ -f "$media" ] || { echo "no such archive: $media" >&2; exit 2; }

target="$(printf '%s' "$DATABASE_URL" | sed 's#://\([^:/@]*\):[^@]*@#://\1:***@#')"
if [ "$confirmed" != 1 ]; then
  echo "would replace the portal's tables in $target with $dump" >&2
  [ -z "$media" ] || echo "and extract $media into $MEDIA_ROOT" >&2
  echo "run again with --yes to do it" >&2
  exit 2
fi

pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
  --dbname="$DATABASE_URL" "$dump"
echo "restored $dump into $target"

if [ -n "$media" ]; then
  mkdir -p "$MEDIA_ROOT"
  tar -xzf "$media" -C "$MEDIA_ROOT"
  echo "restored $media into $MEDIA_ROOT"
fi

#!/bin/sh
# Back up the portal: the database (pg_dump custom format) and the uploads
# (MEDIA_ROOT as .tar.gz), into BACKUP_DIR; remove backups older than
# BACKUP_KEEP_DAYS. The compose service `backup` runs this every 24 hours.
#
#   DATABASE_URL=postgres://user:pass@host:5432/db  (required)
#   BACKUP_DIR=/backups  MEDIA_ROOT=/media  BACKUP_KEEP_DAYS=14
#
# Prints the paths of the files it wrote. Restore with deploy/restore.sh.
set -eu

: "${DATABASE_URL:?set DATABASE_URL}"
BACKUP_DIR="${BACKUP_DIR:-/backups}"
MEDIA_ROOT="${MEDIA_ROOT:-/media}"
BACKUP_KEEP_DAYS="${BACKUP_KEEP_DAYS:-14}"

umask 077
mkdir -p "$BACKUP_DIR"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"

# Written under a temporary name and renamed when complete, so a crash never
# leaves a truncated file that looks like a backup.
dump="$BACKUP_DIR/portal-$stamp.dump"
pg_dump --format=custom --no-owner --no-privileges --dbname="$DATABASE_URL" --file="$dump.partial"
mv "$dump.partial" "$dump"
echo "$dump"

if [ -d "$MEDIA_ROOT" ]; then
  media="$BACKUP_DIR/media-$stamp.tar.gz"
  tar -czf "$media.partial" -C "$MEDIA_ROOT" .
  mv "$media.partial" "$media"
  echo "$media"
fi

# Rotation: keep BACKUP_KEEP_DAYS days of backups.
find "$BACKUP_DIR" -maxdepth 1 -type f \( -name 'portal-*.dump' -o -name 'media-*.tar.gz' \) \
  -mtime +"$BACKUP_KEEP_DAYS" -print -delete | sed 's/^/removed /'

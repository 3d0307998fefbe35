#!/usr/bin/env bash
# Back up Kabinet: the PostgreSQL database (pg_dump -Fc) and the private files (attachments,
# bills, e-mail files; the S3 bucket's objects when one is configured) into DEST/<date>/,
# with manifest.json (row counts per table, files, SHA-256 of each) and SHA256SUMS.
# The folder is written as DEST/.<date>.tmp and renamed only when complete and verified, so a
# dated folder is always a whole backup. Exits non-zero on any failure. See docs/backup.md.
#
#   deploy/backup.sh [--env FILE] [--keep N] [--python PATH] DEST
#
#   --env FILE     read the portal's environment from FILE (e.g. /etc/kabinet/kabinet.env)
#   --keep N       afterwards delete all but the newest N (at least 1) backups in DEST
#   --python PATH  the release's Python (default: .venv/bin/python beside this script's repo)
set -euo pipefail
umask 077  # the backup holds personal data: readable by its owner only

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
ENV_FILE="" KEEP="" DEST=""

# shellcheck source=deploy/pg-client.sh
. "$ROOT/deploy/pg-client.sh"

usage() { sed -n '7,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --env) ENV_FILE="$2"; shift 2 ;;
    --keep) KEEP="$2"; shift 2 ;;
    --python) PY="$2"; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "backup: unknown option $1" >&2; usage ;;
    *) DEST="$1"; shift ;;
  esac
done
[ -n "$DEST" ] || usage
case "$KEEP" in ''|*[!0-9]*) [ -z "$KEEP" ] || { echo "backup: --keep needs a number" >&2; exit 2; } ;; esac
# --keep 0 would delete the backup just made too (head -n -0 lists every folder).
[ -z "$KEEP" ] || [ "$KEEP" -ge 1 ] || { echo "backup: --keep must be at least 1 (the new backup is kept)" >&2; exit 2; }
if [ -n "$ENV_FILE" ]; then set -a; . "$ENV_FILE"; set +a; fi
need_pg_client backup

mkdir -p "$DEST"
# One backup at a time per destination; then what a killed run left (.tmp) can go.
exec 9>"$DEST/.lock"
flock -n 9 || { echo "backup: another backup into $DEST is running" >&2; exit 1; }
find "$DEST" -mindepth 1 -maxdepth 1 -type d -name '.*.tmp' -exec rm -rf {} +
NAME="$(date -u +%Y-%m-%dT%H%M%SZ)"
TMP="$DEST/.$NAME.tmp"
FINAL="$DEST/$NAME"
[ ! -e "$FINAL" ] || { echo "backup: $FINAL already exists" >&2; exit 1; }
trap 'rm -rf "$TMP"' EXIT

started=$(date +%s)
echo "backup: writing $TMP"
"$PY" "$ROOT/manage.py" backup_manifest "$TMP"
echo "backup: verifying what was written (sha256sum -c)"
(cd "$TMP" && sha256sum --quiet --strict -c SHA256SUMS)
sync -f "$TMP" 2>/dev/null || sync
mv "$TMP" "$FINAL"
trap - EXIT
echo "backup: done in $(( $(date +%s) - started )) s: $FINAL"

if [ -n "$KEEP" ]; then
  # Dated names sort by time; the hidden .tmp folders of failed runs are not matched.
  mapfile -t old < <(find "$DEST" -mindepth 1 -maxdepth 1 -type d -name '[0-9][0-9][0-9][0-9]-*' | sort | head -n "-$KEEP")
  for dir in "${old[@]}"; do
    echo "backup: removing old $dir"
    rm -rf "$dir"
  done
fi

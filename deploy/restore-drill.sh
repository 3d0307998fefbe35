#!/usr/bin/env bash
# Restore drill: prove that a backup made by deploy/backup.sh restores. Restores the dump into
# a fresh throw-away database (kabinet_restore_<timestamp>) on loopback and the files into a
# temporary folder, checks that the release's migrations are all applied
# (`migrate --check`), recounts everything the manifest lists and prints backup vs restored.
# The throw-away database and folder are removed at the end, whatever happens. Exits 0 when
# every figure matches, 1 otherwise. Touches nothing of production: the portal's commands run
# with an empty environment, pointed only at the copies. See docs/backup.md.
#
#   deploy/restore-drill.sh [--host H] [--port P] [--user U] [--python PATH] BACKUP_DIR
#
#   --host, --port, --user   the PostgreSQL server for the throw-away database
#                            (default 127.0.0.1, 5432, $PGUSER or postgres); the user needs CREATEDB
#   --python PATH            the release's Python (default: .venv/bin/python of this repo)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
HOST=127.0.0.1 PORT=5432 USER_NAME="${PGUSER:-postgres}" BACKUP=""

# shellcheck source=deploy/pg-client.sh
. "$ROOT/deploy/pg-client.sh"

usage() { sed -n '9,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --host) HOST="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --user) USER_NAME="$2"; shift 2 ;;
    --python) PY="$2"; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "drill: unknown option $1" >&2; usage ;;
    *) BACKUP="$1"; shift ;;
  esac
done
[ -n "$BACKUP" ] || usage
BACKUP="$(cd "$BACKUP" && pwd)"
need_pg_client drill
for part in manifest.json database.dump SHA256SUMS; do
  [ -f "$BACKUP/$part" ] || { echo "drill: $BACKUP/$part is missing: not a backup" >&2; exit 1; }
done

DB="kabinet_restore_$(date -u +%Y%m%d%H%M%S)_$$"
WORK="$(mktemp -d -t kabinet-restore.XXXXXX)"
PG=(-h "$HOST" -p "$PORT" -U "$USER_NAME")
cleanup() {
  status=$?
  echo "==> cleaning up: dropping $DB, removing $WORK"
  dropdb "${PG[@]}" --if-exists "$DB" || status=1
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

started=$(date +%s)
step() { echo "==> [$(( $(date +%s) - started )) s] $*"; }

step "checking the dump against the manifest's SHA-256"
grep "  database.dump\$" "$BACKUP/SHA256SUMS" | (cd "$BACKUP" && sha256sum --quiet --strict -c -)

step "creating the throw-away database $DB on $HOST:$PORT"
createdb "${PG[@]}" "$DB"

step "restoring the dump (pg_restore --no-owner)"
pg_restore "${PG[@]}" --dbname "$DB" --no-owner --no-privileges --exit-on-error "$BACKUP/database.dump"

step "restoring the files into $WORK"
mkdir -p "$WORK/data/files" "$WORK/attachments"
[ ! -d "$BACKUP/files/default" ] || cp -a "$BACKUP/files/default/." "$WORK/data/files/"
[ ! -d "$BACKUP/files/attachments" ] || cp -a "$BACKUP/files/attachments/." "$WORK/attachments/"

# Only the copies: no production variable (Redis, broker, S3, SMS gateway) reaches the drill.
DJANGO_ENV=(
  env -i "PATH=$PATH" "HOME=$WORK" "LANG=C.UTF-8"
  "DATABASE_URL=postgres://$USER_NAME@$HOST:$PORT/$DB"
  "KABINET_DATA_DIR=$WORK/data" "KABINET_ATTACHMENTS_DIR=$WORK/attachments"
  "DJANGO_SECRET_KEY=restore-drill-$DB"
)
[ -z "${PGPASSWORD:-}" ] || DJANGO_ENV+=("PGPASSWORD=$PGPASSWORD")

step "checking that the release's migrations are all applied (migrate --check)"
"${DJANGO_ENV[@]}" "$PY" "$ROOT/manage.py" migrate --check --noinput

step "recounting the restored copy against $BACKUP/manifest.json"
if "${DJANGO_ENV[@]}" "$PY" "$ROOT/manage.py" backup_check "$BACKUP/manifest.json"; then
  echo "==> OK: the backup restores, in $(( $(date +%s) - started )) s"
else
  echo "==> FAIL: the restored copy differs from the backup" >&2
  exit 1
fi

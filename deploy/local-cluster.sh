#!/usr/bin/env bash
# Kabinet as production runs it, on this machine's loopback, from Debian's packages:
#
#   https://127.0.0.1:8443  nginx (self-signed certificate), deploy/nginx/kabinet.conf
#       ├─ gunicorn-a  127.0.0.1:8101  ┐ deploy/systemd/kabinet-gunicorn@.service's command,
#       └─ gunicorn-b  127.0.0.1:8102  ┘ 2 sync workers each
#   celery-worker, celery-beat          deploy/systemd/kabinet-celery-*.service's commands
#   s3         127.0.0.1:9000            moto_server: the S3-compatible store of the shared files
#                                        (KABINET_S3_*, bucket `kabinet`), kept across restarts by
#                                        moto's recorder ($DIR/s3-recording.jsonl, replayed on start)
#   PostgreSQL 127.0.0.1:5432 (database kabinet_cluster), Redis DB 3, RabbitMQ broker:
#   the machine's own, started if down and left running by `down`.
#
# Every process gets only the variables of $DIR/cluster.env: deploy/kabinet.env.example with
# the values filled in for loopback (DJANGO_DEBUG=0, Secure cookies, HSTS, behind a proxy, JSON
# logs), and its unit's Environment= (gunicorn: PROMETHEUS_MULTIPROC_DIR=$DIR/metrics-gunicorn-a…).
#
#   deploy/local-cluster.sh up            start everything (migrate, collectstatic, demo data)
#   deploy/local-cluster.sh down          stop what `up` started, by pidfile; nothing else
#   deploy/local-cluster.sh status        one line per process; exits 3 if any is stopped
#   deploy/local-cluster.sh kill NAME     SIGKILL that process and its group (a crash)
#   deploy/local-cluster.sh start NAME    start it again with the same environment
#   deploy/local-cluster.sh install       only install the Debian packages it needs
#   deploy/local-cluster.sh services      only start PostgreSQL, Redis and RabbitMQ if down (tests)
#
# NAMEs: s3 nginx gunicorn-a gunicorn-b celery-worker celery-beat.
# Overrides (e.g. for a second cluster beside a developer's): KABINET_CLUSTER_DIR (state dir,
# /tmp/kabinet-cluster), KABINET_CLUSTER_PORT_BASE (8100: gunicorn on +1 and +2, plain-HTTP
# redirect on +80, S3 on +900), KABINET_CLUSTER_HTTPS_PORT (8443), KABINET_CLUSTER_DB (kabinet_cluster),
# KABINET_CLUSTER_REDIS_DB (3), KABINET_CLUSTER_AMQP_VHOST (/, created when another).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${KABINET_CLUSTER_DIR:-/tmp/kabinet-cluster}
PORT_BASE=${KABINET_CLUSTER_PORT_BASE:-8100}
HTTPS_PORT=${KABINET_CLUSTER_HTTPS_PORT:-8443}
HTTP_PORT=$((PORT_BASE + 80))
S3_PORT=$((PORT_BASE + 900))
S3_BUCKET=kabinet
DB=${KABINET_CLUSTER_DB:-kabinet_cluster}
REDIS_DB=${KABINET_CLUSTER_REDIS_DB:-3}
VHOST=${KABINET_CLUSTER_AMQP_VHOST:-/}
PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_PORT=6379
VENV=$ROOT/.venv
ENV_FILE=$DIR/cluster.env
# s3 first (the app stores files there from its first request), nginx last.
NAMES=(s3 gunicorn-a gunicorn-b celery-worker celery-beat nginx)

say() { printf 'local-cluster: %s\n' "$*"; }
die() { printf 'local-cluster: %s\n' "$*" >&2; exit 1; }

# Poll CHECK (a command) every 0.2 s for up to SECONDS; fail naming WHAT.
wait_until() {
    local what=$1 seconds=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || die "$what did not come up within ${seconds} s (logs in $DIR)"
        sleep 0.2
    done
}

# --- Debian packages ---------------------------------------------------------------------

# command -> package
declare -A PACKAGES=(
    [nginx]=nginx [openssl]=openssl [curl]=curl [pg_isready]=postgresql-client
    [pg_ctlcluster]=postgresql [redis-server]=redis-server [redis-cli]=redis-tools
    [rabbitmq-server]=rabbitmq-server [setsid]=util-linux [systemd-analyze]=systemd
)

install_packages() {
    local missing=() cmd
    for cmd in "${!PACKAGES[@]}"; do
        command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${PACKAGES[$cmd]}")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    say "installing from Debian: ${missing[*]}"
    local sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    command -v apt-get >/dev/null 2>&1 || die "apt-get is missing: install ${missing[*]} by hand"
    "${sudo[@]}" apt-get update -qq
    # policy-rc.d or not, nothing the package starts is ours: `up` starts what it needs.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# --- the machine's services: started when down, never stopped ------------------------------

# The machine's servers outlive the cluster: started with nothing inherited from whoever ran
# this (KABINET_CLUSTER_DIR in their environment would make them look like the cluster's).
MACHINE_ENV=(env -i PATH="/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" HOME="${HOME:-/root}" LANG=C.UTF-8)

pg_up() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }
rabbit_up() { (: </dev/tcp/127.0.0.1/5672) 2>/dev/null; }

machine_services() {
    if ! pg_up; then
        say "starting PostgreSQL"
        "${MACHINE_ENV[@]}" pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
        wait_until PostgreSQL 60 pg_up
    fi
    if ! redis_up; then
        say "starting Redis"
        mkdir -p /var/lib/redis /var/log/redis
        "${MACHINE_ENV[@]}" redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --dir /var/lib/redis \
            --logfile /var/log/redis/redis-server.log
        wait_until Redis 30 redis_up
    fi
    if ! rabbit_up; then
        say "starting RabbitMQ"
        "${MACHINE_ENV[@]}" rabbitmq-server -detached
        wait_until RabbitMQ 120 rabbit_up
    fi
}

# The cluster's own database and vhost on the machine's servers.
cluster_database() {
    if [ "$VHOST" != / ] && ! rabbitmqctl -q list_vhosts | grep -qx "$VHOST"; then
        rabbitmqctl -q add_vhost "$VHOST"
        rabbitmqctl -q set_permissions -p "$VHOST" guest '.*' '.*' '.*'
    fi
    # psql interpolates :'db' as a quoted literal (in input, not in -c).
    if [ "$(psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -tA -v db="$DB" <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")" != 1 ]; then
        createdb -h "$PG_HOST" -p "$PG_PORT" -U postgres "$DB"
    fi
}

# --- configuration -----------------------------------------------------------------------

secret_key() {
    [ -s "$DIR/secret_key" ] || (umask 077 && openssl rand -base64 48 | tr -d '\n=' >"$DIR/secret_key")
    cat "$DIR/secret_key"
}

# A Fernet key (32 random bytes, URL-safe base64) for KABINET_PD_KEYS, kept like the secret key.
pd_key() {
    [ -s "$DIR/pd_key" ] || (umask 077 && openssl rand 32 | base64 | tr '+/' '-_' | tr -d '\n' >"$DIR/pd_key")
    cat "$DIR/pd_key"
}

# deploy/kabinet.env.example with loopback values: a variable of the template that is not
# filled in here and still says REPLACE-ME (the SMS gateway's login…) is commented out.
write_env() {
    local amqp_vhost=$VHOST
    [ "$VHOST" = / ] && amqp_vhost=""
    declare -A values=(
        [DJANGO_DEBUG]=0
        [DJANGO_SECRET_KEY]=$(secret_key)
        [KABINET_PD_KEYS]=$(pd_key)
        [DJANGO_ALLOWED_HOSTS]=127.0.0.1,localhost
        [DJANGO_CSRF_TRUSTED_ORIGINS]=https://127.0.0.1:$HTTPS_PORT,https://localhost:$HTTPS_PORT
        [KABINET_PUBLIC_URL]=https://127.0.0.1:$HTTPS_PORT
        [KABINET_WEBAUTHN_RP_ID]=localhost
        [KABINET_WEBAUTHN_ORIGINS]=https://localhost:$HTTPS_PORT
        [KABINET_DATA_DIR]=$DIR/data
        [KABINET_STATIC_ROOT]=$DIR/static
        [DATABASE_URL]=postgres://postgres@$PG_HOST:$PG_PORT/$DB
        [REDIS_URL]=redis://127.0.0.1:$REDIS_PORT/$REDIS_DB
        [CELERY_BROKER_URL]=amqp://guest:guest@127.0.0.1:5672/$amqp_vhost
        [KABINET_SMS_BACKEND]=file
        [KABINET_SMS_OUTBOX]=$DIR/sms-outbox.jsonl
        [KABINET_EMAIL_BACKEND]=django.core.mail.backends.filebased.EmailBackend
        [KABINET_EMAIL_DIR]=$DIR/mail
        [KABINET_EXCHANGE_IN_DIR]=$DIR/exchange/in
        [KABINET_EXCHANGE_OUT_DIR]=$DIR/exchange/out
        [KABINET_CACHE_PREFIX]=cluster$HTTPS_PORT
        [KABINET_S3_BUCKET]=$S3_BUCKET
        [KABINET_S3_ENDPOINT_URL]=http://127.0.0.1:$S3_PORT
        [KABINET_S3_REGION]=us-east-1
        [KABINET_S3_ACCESS_KEY_ID]=cluster
        [KABINET_S3_SECRET_ACCESS_KEY]=cluster-secret
    )
    local line name seen=" " tmp=$ENV_FILE.tmp
    {
        echo "# Written by deploy/local-cluster.sh from deploy/kabinet.env.example; rewritten by every \`up\`."
        while IFS= read -r line; do
            name=${line%%=*}
            if [[ $line =~ ^[A-Z][A-Z0-9_]*= ]] && [ -n "${values[$name]+set}" ]; then
                echo "$name=${values[$name]}"
                seen+="$name "
            elif [[ $line =~ ^[A-Z][A-Z0-9_]*= && $line == *REPLACE-ME* ]]; then
                echo "# not used on loopback: $line"
            else
                echo "$line"
            fi
        done <"$ROOT/deploy/kabinet.env.example"
        for name in "${!values[@]}"; do
            [[ $seen == *" $name "* ]] || echo "$name=${values[$name]}"
        done
    } >"$tmp"
    chmod 600 "$tmp"
    mv "$tmp" "$ENV_FILE"
}

certificate() {
    [ -s "$DIR/tls/cert.pem" ] && return 0
    mkdir -p "$DIR/tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=127.0.0.1" \
        -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        -keyout "$DIR/tls/key.pem" -out "$DIR/tls/cert.pem" 2>/dev/null
    chmod 600 "$DIR/tls/key.pem"
}

# The production site with loopback ports, names and paths; each rewrite must match, so a
# change to deploy/nginx/kabinet.conf that the cluster would silently miss fails here.
write_nginx_conf() {
    local site=$ROOT/deploy/nginx/kabinet.conf out=$DIR/nginx/kabinet.conf expression
    local rewrites=(
        "s#^\( *\)listen 80;#\1listen 127.0.0.1:$HTTP_PORT;#"
        "\#^ *listen \[::\]:80;#d"
        "s#^\( *\)listen 443 ssl http2;#\1listen 127.0.0.1:$HTTPS_PORT ssl http2;#"
        "\#^ *listen \[::\]:443 ssl http2;#d"
        "s#server_name lk.example.ru;#server_name 127.0.0.1 localhost;#"
        "s#return 301 https://\$host\$request_uri;#return 301 https://\$host:$HTTPS_PORT\$request_uri;#"
        "s#/etc/ssl/kabinet/fullchain.pem#$DIR/tls/cert.pem#"
        "s#/etc/ssl/kabinet/privkey.pem#$DIR/tls/key.pem#"
        "s#server 127.0.0.1:8001 #server 127.0.0.1:$((PORT_BASE + 1)) #"
        "s#server 127.0.0.1:8002 #server 127.0.0.1:$((PORT_BASE + 2)) #"
        "s#alias /var/lib/kabinet/static/;#alias $DIR/static/;#"
        "s#/var/log/nginx/kabinet.access.log#$DIR/nginx-access.log#"
        "s#/var/log/nginx/kabinet.error.log#$DIR/nginx.log#"
    )
    mkdir -p "$DIR/nginx/tmp"
    cp "$site" "$out"
    for expression in "${rewrites[@]}"; do
        sed -i "$expression" "$out"
        # A rewrite that matched nothing leaves the file unchanged from the previous step.
        if sed "$expression" "$site" | cmp -s - "$site"; then
            die "deploy/nginx/kabinet.conf changed: the cluster's rewrite '$expression' matches nothing"
        fi
    done
    local user_line=""
    [ "$(id -u)" = 0 ] && user_line="user $(id -un);"  # workers read the state dir (mode 700)
    cat >"$DIR/nginx/nginx.conf" <<EOF
# Written by deploy/local-cluster.sh: a minimal nginx.conf around the production site.
$user_line
worker_processes 2;
pid $DIR/nginx.pid;
error_log $DIR/nginx.log;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log $DIR/nginx-access.log;
    client_body_temp_path $DIR/nginx/tmp/body;
    proxy_temp_path $DIR/nginx/tmp/proxy;
    fastcgi_temp_path $DIR/nginx/tmp/fastcgi;
    uwsgi_temp_path $DIR/nginx/tmp/uwsgi;
    scgi_temp_path $DIR/nginx/tmp/scgi;
    include $out;
}
EOF
    local out
    out=$(nginx -t -q -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx" 2>&1) || die "nginx -t failed: $out"
}

# ExecStart of a unit in deploy/systemd, on this checkout: the cluster runs the command
# production runs, with the instance's port (%i), this host (%H), the state dir and fewer workers.
unit_command() {
    local unit=$1 instance=${2:-}
    sed -n 's/^ExecStart=//p' "$ROOT/deploy/systemd/$unit" |
        sed -e "s#/srv/kabinet/.venv#$VENV#g" -e "s#/var/lib/kabinet#$DIR/data#g" \
            -e "s#%i#$instance#g" -e "s#%H#$(hostname)#g" \
            -e 's#--workers [0-9]*#--workers 2#' -e 's#--concurrency [0-9]*#--concurrency 2#'
}

# Environment= of a unit as `env NAME=value…`, to go before its command: a run-time directory
# of the instance (/run/kabinet/X-%i, the unit's RuntimeDirectory=) becomes $DIR/X-NAME.
unit_environment() {
    local unit=$1 name=$2
    printf 'env'
    sed -n 's/^Environment=//p' "$ROOT/deploy/systemd/$unit" |
        sed -e "s#^\([A-Z_]*\)=/run/kabinet/\([a-z]*\)-%i\$#\1=$DIR/\2-$name#" | tr '\n' ' ' | sed 's/^/ /'
}

command_of() {
    case $1 in
        gunicorn-a | gunicorn-b)
            local port=$((PORT_BASE + 1))
            [ "$1" = gunicorn-b ] && port=$((PORT_BASE + 2))
            echo "$(unit_environment kabinet-gunicorn@.service "$1") $(unit_command kabinet-gunicorn@.service $port)"
            ;;
        celery-worker) unit_command kabinet-celery-worker.service | sed "s#--hostname worker@#--hostname worker$HTTPS_PORT@#" ;;
        celery-beat) unit_command kabinet-celery-beat.service ;;
        s3) echo "env MOTO_ENABLE_RECORDING=1 MOTO_RECORDER_FILEPATH=$DIR/s3-recording.jsonl $VENV/bin/moto_server -H 127.0.0.1 -p $S3_PORT" ;;
        *) die "unknown NAME '$1' (one of: ${NAMES[*]})" ;;
    esac
}

# --- processes ---------------------------------------------------------------------------

# A command with the variables of an environment file and nothing inherited, as systemd's
# EnvironmentFile= gives them: CLEAN_ENV FILE COMMAND...
# shellcheck disable=SC2016  # $0 and $@ are the inner shell's
CLEAN_ENV=(env -i PATH="/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" HOME="${HOME:-/root}" LANG=C.UTF-8
    bash -c 'set -a; . "$0"; set +a; exec "$@"')

# Run a manage.py command (or any command) in the checkout with the cluster's environment.
in_env() { (cd "$ROOT" && "${CLEAN_ENV[@]}" "$ENV_FILE" "$@"); }

known() { [[ " ${NAMES[*]} " == *" $1 "* ]] || die "unknown NAME '$1' (one of: ${NAMES[*]})"; }

pid_of() { [ -s "$DIR/$1.pid" ] && cat "$DIR/$1.pid"; }

# Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. With the pid
# it names one process for good, whatever it execs into.
started_at() { [ -r "/proc/$1/stat" ] && sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f20; }

# Remember which process NAME's pid is, so that a pid reused after a crash is never taken for it.
remember() {
    local pid
    pid=$(pid_of "$1") && started_at "$pid" >"$DIR/$1.started"
}

# Alive and ours: the pidfile's process is the one this script started (same start time).
alive() {
    local pid
    pid=$(pid_of "$1") || return 1
    [ -s "$DIR/$1.started" ] && [ "$(started_at "$pid")" = "$(cat "$DIR/$1.started")" ]
}

log_has_since() { tail -c +"$(($2 + 1))" "$DIR/$1.log" 2>/dev/null | grep -q -- "$3"; }
http_ok() { curl -fs -o /dev/null -H "X-Forwarded-Proto: https" "http://127.0.0.1:$1/healthz"; }
s3_ok() { curl -fs -o /dev/null "http://127.0.0.1:$S3_PORT/moto-api/"; }
https_ok() { curl -fs -o /dev/null --cacert "$DIR/tls/cert.pem" "https://127.0.0.1:$HTTPS_PORT/healthz"; }

# Like wait_until, but a process that exits meanwhile (a port taken, a broken setting) fails at
# once, with the end of its log.
wait_started() {
    local name=$1 seconds=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@"; do
        if ! alive "$name"; then
            tail -n 20 "$DIR/$name.log" >&2
            die "$name exited while starting (log: $DIR/$name.log)"
        fi
        [ "$SECONDS" -lt "$deadline" ] || die "$name did not come up within ${seconds} s (log: $DIR/$name.log)"
        sleep 0.2
    done
}


start_one() {
    local name=$1
    known "$name"
    if alive "$name"; then
        say "$name is already running (pid $(pid_of "$name"))"
        return 0
    fi
    local log=$DIR/$name.log offset
    touch "$log"
    offset=$(stat -c %s "$log")
    if [ "$name" = nginx ]; then
        # nginx daemonizes into its own session and writes $DIR/nginx.pid itself.
        rm -f "$DIR/nginx.pid"
        nginx -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx" 2>>"$log"
        # The daemonized master writes its pidfile a moment after the command returns.
        wait_until "nginx's pidfile" 10 test -s "$DIR/nginx.pid"
        remember nginx
        wait_started nginx 30 https_ok
    else
        local -a command
        read -r -a command <<<"$(command_of "$name")"
        # setsid: a process group of its own, so `kill NAME` takes its workers too.
        (cd "$ROOT" && exec setsid "${CLEAN_ENV[@]}" "$ENV_FILE" "${command[@]}" >>"$log" 2>&1 </dev/null) &
        echo $! >"$DIR/$name.pid"
        remember "$name"
        case $name in
            gunicorn-a) wait_started "$name" 60 http_ok $((PORT_BASE + 1)) ;;
            gunicorn-b) wait_started "$name" 60 http_ok $((PORT_BASE + 2)) ;;
            celery-worker) wait_started "$name" 90 log_has_since "$name" "$offset" "ready\." ;;
            celery-beat) wait_started "$name" 60 log_has_since "$name" "$offset" "beat: Starting" ;;
            s3) wait_started "$name" 60 s3_ok && s3_restore ;;
        esac
    fi
    say "$name started (pid $(pid_of "$name"))"
}

# TERM to NAME's process group: nginx's fast shutdown, gunicorn's and Celery's graceful ones.
# Echoes the pid to wait for (nothing when NAME is not running).
terminate() {
    local name=$1 pid
    if ! alive "$name"; then
        rm -f "$DIR/$name.pid" "$DIR/$name.started"
        return 0
    fi
    pid=$(pid_of "$name")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    echo "$pid"
}

# Wait for the group to exit; KILL what is left after 40 s (above gunicorn's graceful timeout).
reap() {
    local name=$1 pid=$2
    local deadline=$((SECONDS + 40))
    while kill -0 -- "-$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    while kill -0 -- "-$pid" 2>/dev/null; do sleep 0.1; done
    rm -f "$DIR/$name.pid" "$DIR/$name.started"
    say "$name stopped"
}

kill_one() {
    local name=$1 pid
    known "$name"
    alive "$name" || die "$name is not running"
    pid=$(pid_of "$name")
    kill -KILL -- "-$pid"
    while kill -0 -- "-$pid" 2>/dev/null; do sleep 0.1; done
    say "$name killed (SIGKILL to process group $pid)"
}

# moto keeps objects in memory: every request is recorded in $DIR/s3-recording.jsonl
# (MOTO_ENABLE_RECORDING) and a restarted server replays it, so `kill s3` + `start s3`, or
# `down` + `up`, keep the files; then the bucket is made if it is not there yet.
s3_restore() {
    if [ -s "$DIR/s3-recording.jsonl" ]; then
        curl -fs -o /dev/null -X POST "http://127.0.0.1:$S3_PORT/moto-api/recorder/replay-recording" ||
            die "s3: replaying $DIR/s3-recording.jsonl failed"
    fi
    in_env "$VENV/bin/python" -c '
import os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["KABINET_S3_ENDPOINT_URL"], region_name=os.environ["KABINET_S3_REGION"],
                  aws_access_key_id=os.environ["KABINET_S3_ACCESS_KEY_ID"],
                  aws_secret_access_key=os.environ["KABINET_S3_SECRET_ACCESS_KEY"])
if os.environ["KABINET_S3_BUCKET"] not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
    s3.create_bucket(Bucket=os.environ["KABINET_S3_BUCKET"])
'
}

status() {
    local name state=0
    for name in "${NAMES[@]}"; do
        if alive "$name"; then
            printf '%-14s running  pid %s\n' "$name" "$(pid_of "$name")"
        else
            printf '%-14s stopped\n' "$name"
            state=3
        fi
    done
    printf 'https://127.0.0.1:%s  (certificate %s, environment %s)\n' "$HTTPS_PORT" "$DIR/tls/cert.pem" "$ENV_FILE"
    return $state
}

up() {
    install_packages
    [ -x "$VENV/bin/gunicorn" ] || make -C "$ROOT" venv >/dev/null
    mkdir -p "$DIR"
    owned_dir
    chmod 700 "$DIR"
    DIR=$(cd "$DIR" && pwd)
    ENV_FILE=$DIR/cluster.env
    machine_services
    cluster_database
    write_env
    certificate
    write_nginx_conf
    in_env .venv/bin/python manage.py check --deploy --fail-level WARNING >/dev/null
    start_one s3
    in_env .venv/bin/python manage.py migrate --noinput >"$DIR/migrate.log"
    in_env .venv/bin/python manage.py collectstatic --noinput >"$DIR/collectstatic.log"
    in_env .venv/bin/python manage.py load_demo >"$DIR/load_demo.log"
    local name
    for name in "${NAMES[@]:1}"; do start_one "$name"; done
    say "up: https://127.0.0.1:$HTTPS_PORT/ (self-signed: $DIR/tls/cert.pem)"
}

down() {
    local name pid
    # nginx first (no new requests), then the rest at once: each shuts down on its own; S3 last,
    # once nothing writes files any more.
    pid=$(terminate nginx)
    [ -z "$pid" ] || reap nginx "$pid"
    declare -A pids=()
    for name in "${NAMES[@]}"; do
        [ "$name" = nginx ] || [ "$name" = s3 ] || pids[$name]=$(terminate "$name")
    done
    for name in "${!pids[@]}"; do
        [ -z "${pids[$name]}" ] || reap "$name" "${pids[$name]}"
    done
    pid=$(terminate s3)
    [ -z "$pid" ] || reap s3 "$pid"
    say "down (PostgreSQL, Redis and RabbitMQ left running)"
}

# The state dir holds the secret key and the pidfiles `down` kills by: in /tmp another user
# could have made it first, or left a symlink to a place of their choosing.
owned_dir() {
    [ -O "$DIR" ] && [ ! -L "$DIR" ] ||
        die "$DIR is a symlink or not owned by $(id -un): remove it, or set KABINET_CLUSTER_DIR to a directory of yours"
}

[ $# -ge 1 ] || die "usage: $0 up|down|status|kill NAME|start NAME|install|services"
if [[ $1 != install && $1 != services ]] && { [ -e "$DIR" ] || [ -L "$DIR" ]; }; then owned_dir; fi
if [ -d "$DIR" ]; then DIR=$(cd "$DIR" && pwd); ENV_FILE=$DIR/cluster.env; fi
case $1 in
    up) up ;;
    down) down ;;
    status) status ;;
    install) install_packages ;;
    services) install_packages && machine_services ;;
    kill) [ $# -eq 2 ] || die "usage: $0 kill NAME"; kill_one "$2" ;;
    start)
        [ $# -eq 2 ] || die "usage: $0 start NAME"
        [ -s "$ENV_FILE" ] || die "no $ENV_FILE: run \`$0 up\` first"
        start_one "$2"
        ;;
    *) die "usage: $0 up|down|status|kill NAME|start NAME|install|services" ;;
esac

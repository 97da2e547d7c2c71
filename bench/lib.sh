# Shared by bench/compare and bench/validate-wrk (bash). Process control, ports, packages, nginx backends.
# Every process started here is recorded and stopped by pid in bench_cleanup (trap EXIT).

BENCH_PIDS=()
BENCH_PORTS=" "
BENCH_KEEP=${BENCH_KEEP:-0}

bench_log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
bench_die() { bench_log "error: $*"; exit 1; }

# bench_workdir: a private directory for configs, logs and pid files, readable by nginx workers.
bench_workdir() {
  BENCH_WORK="$(mktemp -d /tmp/pharos-bench.XXXXXX)"
  chmod 755 "$BENCH_WORK"
  mkdir -p "$BENCH_WORK/www" "$BENCH_WORK/runs" "$BENCH_WORK/tmp"
  chmod 755 "$BENCH_WORK/www"
}

# bench_cleanup: TERM every recorded pid, KILL what is left after 5 s, remove the work dir.
bench_cleanup() {
  local pid alive i
  for pid in "${BENCH_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for i in $(seq 1 50); do
    alive=0
    for pid in "${BENCH_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${BENCH_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${BENCH_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${BENCH_WORK-}" ] && [ -d "$BENCH_WORK" ]; then
    if [ "$BENCH_KEEP" = 1 ]; then bench_log "kept $BENCH_WORK"; else rm -rf "$BENCH_WORK"; fi
  fi
}

# bench_ensure_packages: installs haproxy, nginx (+ stream module) and wrk with apt-get when missing,
# without letting the packages start their services (policy-rc.d), as CI machines are fresh.
bench_ensure_packages() {
  local want=() created=0
  command -v haproxy >/dev/null 2>&1 || want+=(haproxy)
  command -v nginx >/dev/null 2>&1 || want+=(nginx)
  [ -f /usr/lib/nginx/modules/ngx_stream_module.so ] || want+=(libnginx-mod-stream)
  if [ "${1-}" = with-wrk ]; then command -v wrk >/dev/null 2>&1 || want+=(wrk); fi
  command -v taskset >/dev/null 2>&1 || want+=(util-linux)
  command -v ss >/dev/null 2>&1 || want+=(iproute2)
  [ "${#want[@]}" = 0 ] && return 0
  bench_log "installing ${want[*]} (apt-get)"
  command -v apt-get >/dev/null 2>&1 || bench_die "missing ${want[*]} and no apt-get to install them"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo -n"
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null && $sudo chmod 755 /usr/sbin/policy-rc.d && created=1
  fi
  $sudo apt-get update -qq >&2 || bench_die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${want[@]}" >&2 \
    || { [ "$created" = 1 ] && $sudo rm -f /usr/sbin/policy-rc.d; bench_die "apt-get install ${want[*]} failed"; }
  [ "$created" = 1 ] && $sudo rm -f /usr/sbin/policy-rc.d
  return 0
}

# bench_build: builds the jars when they are missing or older than a source file or pom.
bench_build() {
  local jar
  jar="$(ls "$ROOT"/proxy/target/pharos-proxy-*.jar 2>/dev/null | grep -v -e '-tests.jar' -e '-sources.jar' | head -n 1 || true)"
  if ! ls "$ROOT"/bench/target/pharos-bench-*.jar >/dev/null 2>&1 || [ ! -d "$ROOT/bench/target/lib" ] \
     || [ -z "$jar" ] || [ ! -d "$ROOT/proxy/target/lib" ] \
     || [ -n "$(find "$ROOT/pom.xml" "$ROOT/health/src/main" "$ROOT/proxy/src/main" "$ROOT/bench/src/main" \
                  -newer "$jar" -type f -print -quit 2>/dev/null)" ]; then
    bench_log "building the jars (./mvnw -q -DskipTests package)"
    (cd "$ROOT" && ./mvnw -q -B -DskipTests package) >&2 || bench_die "build failed"
  fi
}

# bench_port VAR: sets VAR to a free loopback TCP port below the ephemeral range, never the same twice
# per run (not in a subshell: the ports handed out are remembered).
bench_port() {
  local p used
  used="$(ss -Htan 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u | tr '\n' ' ')"
  while :; do
    p=$((20000 + RANDOM % 12000))
    case " $used " in *" $p "*) continue ;; esac
    case "$BENCH_PORTS" in *" $p "*) continue ;; esac
    BENCH_PORTS="$BENCH_PORTS$p "
    printf -v "$1" '%s' "$p"
    return 0
  done
}

# bench_wait_port PORT NAME PID [SECONDS]: waits until PORT accepts connections; fails if PID died.
bench_wait_port() {
  local port=$1 name=$2 pid=$3 limit=${4:-60} i
  for i in $(seq 1 $((limit * 10))); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { tail -20 "$BENCH_WORK/$name.log" >&2 || true; bench_die "$name (pid $pid) exited before listening on $port"; }
    sleep 0.1
  done
  tail -20 "$BENCH_WORK/$name.log" >&2 || true
  bench_die "$name did not listen on $port within ${limit}s"
}

# bench_cpu_prefix CPUS: the taskset prefix for a process pinned to CPUS (empty when pinning is off).
bench_cpu_prefix() {
  if [ "${BENCH_PIN:-1}" = 1 ] && [ -n "$1" ]; then echo "taskset -c $1"; fi
}

# bench_start NAME CPUS CMD...: starts CMD in the background (pinned), log in $BENCH_WORK/NAME.log.
# Sets BENCH_LAST_PID. The command must stay in the foreground (no daemonizing) so that its pid is ours.
bench_start() {
  local name=$1 cpus=$2
  shift 2
  # shellcheck disable=SC2046
  $(bench_cpu_prefix "$cpus") "$@" >"$BENCH_WORK/$name.log" 2>&1 &
  BENCH_LAST_PID=$!
  BENCH_PIDS+=("$BENCH_LAST_PID")
}

# bench_nginx_common: the part of every nginx config that keeps it inside the work dir.
bench_nginx_paths() {
  local n=$1
  cat <<EOF
  client_body_temp_path $BENCH_WORK/tmp/$n-body;
  proxy_temp_path $BENCH_WORK/tmp/$n-proxy;
  fastcgi_temp_path $BENCH_WORK/tmp/$n-fastcgi;
  uwsgi_temp_path $BENCH_WORK/tmp/$n-uwsgi;
  scgi_temp_path $BENCH_WORK/tmp/$n-scgi;
EOF
}

# bench_backend NAME PORT CPU: an nginx backend (one process, worker_processes 1) answering
# "return 200" with a ~100-byte body on every path, and /1m.bin, a 1 MiB static file.
bench_backend() {
  local name=$1 port=$2 cpu=$3
  [ -f "$BENCH_WORK/www/1m.bin" ] || { head -c 1048576 /dev/urandom >"$BENCH_WORK/www/1m.bin"; chmod 644 "$BENCH_WORK/www/1m.bin"; }
  cat >"$BENCH_WORK/$name.conf" <<EOF
worker_processes 1;
master_process off;
daemon off;
pid $BENCH_WORK/$name.pid;
error_log $BENCH_WORK/$name.error.log warn;
worker_rlimit_nofile ${NOFILE:-20000};
events { worker_connections $(( ${NOFILE:-20000} - 100 )); }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  sendfile on;
  tcp_nopush on;
  default_type text/plain;
$(bench_nginx_paths "$name")
  server {
    listen 127.0.0.1:$port backlog=4096;
    location / { return 200 "pharos-bench backend $name: this body is padded to be about one hundred bytes long....\n"; }
    location = /1m.bin { root $BENCH_WORK/www; default_type application/octet-stream; }
  }
}
EOF
  bench_start "$name" "$cpu" nginx -c "$BENCH_WORK/$name.conf"
  bench_wait_port "$port" "$name" "$BENCH_LAST_PID" 20
}

# bench_gen CPU ARGS...: runs the load generator pinned to CPU; prints its output.
bench_gen() {
  local cpu=$1
  shift
  # shellcheck disable=SC2046
  $(bench_cpu_prefix "$cpu") "$ROOT/bin/pharos-bench" "$@"
}

# bench_field LINE KEY: the value of KEY=value in a result: line.
bench_field() {
  printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# bench_machine: a Markdown description of this machine.
bench_machine() {
  local cpu mem
  cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
  mem="$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "- host: $(hostname), $(uname -srm)"
  echo "- CPU: ${cpu:-unknown}, $(nproc) online CPUs; RAM $mem"
  echo "- load average at start: ${BENCH_LOAD_START:-$(cut -d' ' -f1-3 /proc/loadavg)} (other jobs on the machine add noise)"
  echo "- haproxy: $(haproxy -v 2>/dev/null | head -n 1 | cut -d' ' -f1-3); nginx: $(nginx -v 2>&1 | sed 's/.*: //')"
  echo "- java: $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1) ($JAVA_HOME)"
  echo "- pharos commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
}

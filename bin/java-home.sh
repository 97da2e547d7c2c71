# Sourced by mvnw, .ci/run and bin/pharos: export JAVA_HOME pointing at a JDK >= 21.
# Order: $JAVA_HOME if it is >= 21, then the java on PATH, then the newest JDK under /usr/lib/jvm.
# POSIX sh, safe under `set -euf`.

pharos_java_major() {
  # prints the feature version of the java binary $1 (e.g. 17, 21, 25), or 0
  "$1" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n 1 | grep . || echo 0
}

pharos_pick_java_home() {
  pharos_min=21
  if [ -n "${JAVA_HOME-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ -x "$JAVA_HOME/bin/javac" ] \
     && [ "$(pharos_java_major "$JAVA_HOME/bin/java")" -ge "$pharos_min" ]; then
    return 0
  fi
  pharos_java="$(command -v java 2>/dev/null || true)"
  if [ -n "$pharos_java" ] && [ "$(pharos_java_major "$pharos_java")" -ge "$pharos_min" ]; then
    pharos_real="$(readlink -f "$pharos_java")"
    pharos_home="${pharos_real%/bin/java}"
    if [ -x "$pharos_home/bin/javac" ]; then JAVA_HOME="$pharos_home"; export JAVA_HOME; return 0; fi
  fi
  pharos_best="" pharos_best_v=0
  pharos_restore_f=0
  case "$-" in *f*) pharos_restore_f=1; set +f ;; esac
  for pharos_dir in /usr/lib/jvm/*; do
    [ -x "$pharos_dir/bin/java" ] && [ -x "$pharos_dir/bin/javac" ] || continue
    pharos_v="$(pharos_java_major "$pharos_dir/bin/java")"
    if [ "$pharos_v" -ge "$pharos_min" ] && [ "$pharos_v" -gt "$pharos_best_v" ]; then
      pharos_best="$pharos_dir" pharos_best_v="$pharos_v"
    fi
  done
  [ "$pharos_restore_f" = 1 ] && set -f
  if [ -n "$pharos_best" ]; then JAVA_HOME="$pharos_best"; export JAVA_HOME; return 0; fi
  echo "pharos: no JDK >= $pharos_min found (JAVA_HOME, PATH, /usr/lib/jvm). Install one, e.g. apt-get install openjdk-21-jdk-headless (or temurin-21/25), or set JAVA_HOME." >&2
  return 1
}

pharos_pick_java_home

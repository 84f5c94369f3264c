# Sourced by the registry benchmarks (bench-registry.sh, bench-lazy.sh, bench-toc.sh): Debian's
# docker-registry on 127.0.0.1:$port, storing under $work/data, and examples/throttle_proxy in
# front of it. The caller sets `work` (a temp directory) and `port`, and builds the release
# examples first.

# Writes the registry's config and starts it; returns once it accepts connections.
start_registry() {
  cat > "$work/config.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/data
http:
  addr: 127.0.0.1:$port
YML
  docker-registry serve "$work/config.yml" >>"$work/registry.log" 2>&1 &
  echo $! > "$work/pid"
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.1; done
  echo "registry did not start" >&2; exit 1
}

stop_registry() { kill "$(cat "$work/pid")"; wait "$(cat "$work/pid")" 2>/dev/null || true; rm -f "$work/pid"; }

# Starts the throttling proxy (RATE bytes/s, LATENCY ms) in front of the registry and sets
# `proxy_port`.
start_throttle() {
  ./target/release/examples/throttle_proxy "$port" "$1" "$2" > "$work/proxy.port" &
  echo $! > "$work/proxy.pid"
  for _ in $(seq 1 100); do [ -s "$work/proxy.port" ] && break; sleep 0.05; done
  proxy_port=$(cat "$work/proxy.port")
}

# Stops whatever of the above runs and removes `work`.
stop_all() {
  [ -f "$work/pid" ] && kill "$(cat "$work/pid")" 2>/dev/null
  [ -f "$work/proxy.pid" ] && kill "$(cat "$work/proxy.pid")" 2>/dev/null
  rm -rf "$work"
}

# The lab's network agent (lab/gpt371_lab/netd.py): floating IP NAT, SNAT through the router's gateway, security
# groups in each server's network namespace, strict mode. The external network `public` (172.24.4.0/24) is a
# bridge on this machine holding its gateway address, so the controller routes to floating IPs like DevStack's br-ex.
EXT_BRIDGE=gpt371-lab-ext
EXT_GATEWAY_CIDR=172.24.4.1/24

# The switches as netd reads them on every pass: a change applies within a second, no restart.
netd_mode() {
  local name
  for name in LAB_STRICT LAB_REACH_FIXED_IPS LAB_SECGROUPS; do
    [[ "${!name}" =~ ^[01]$ ]] || { log "$name must be 0 or 1, not '${!name}'"; exit 2; }
  done
  printf '{"reach_fixed_ips": %s, "secgroups": %s}\n' \
    "$([[ $LAB_REACH_FIXED_IPS == 1 ]] && echo true || echo false)" \
    "$([[ $LAB_SECGROUPS == 1 ]] && echo true || echo false)" >"$STATE/netmode.json.tmp"
  mv "$STATE/netmode.json.tmp" "$STATE/netmode.json"
  log "network: reach fixed IPs=$LAB_REACH_FIXED_IPS, security groups enforced=$LAB_SECGROUPS"
}

netd_up() {
  if ! ip link show "$EXT_BRIDGE" >/dev/null 2>&1; then
    ip link add "$EXT_BRIDGE" type bridge
    ip addr add "$EXT_GATEWAY_CIDR" dev "$EXT_BRIDGE"
  fi
  ip link set "$EXT_BRIDGE" up
  netd_mode
  PG_PORT="$PG_PORT" start_daemon netd python3 -m gpt371_lab.netd "$STATE/netmode.json"
}

netd_down() {
  stop_daemon netd
  python3 -m gpt371_lab.netd cleanup >>"$LOGS/netd.log" 2>&1 || true
  ip link del "$EXT_BRIDGE" 2>/dev/null || true
}

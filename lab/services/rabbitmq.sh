# The lab's RabbitMQ (Debian package), its own node, epmd and files; everything on 127.0.0.1.
rabbitmq_env() {
  export HOME="$STATE/rabbitmq" ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT=4370 \
    RABBITMQ_NODENAME=gpt371lab@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=5672 \
    RABBITMQ_DIST_PORT=25673 RABBITMQ_MNESIA_BASE="$STATE/rabbitmq/mnesia" \
    RABBITMQ_LOG_BASE="$LOGS/rabbitmq" RABBITMQ_ENABLED_PLUGINS_FILE="$STATE/rabbitmq/enabled_plugins" \
    RABBITMQ_CONFIG_FILE="$STATE/rabbitmq/rabbitmq" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

rabbitmq_up() {
  mkdir -p "$STATE/rabbitmq" "$LOGS/rabbitmq"
  echo '[].' >"$STATE/rabbitmq/enabled_plugins"
  echo 'loopback_users.guest = true' >"$STATE/rabbitmq/rabbitmq.conf"
  (rabbitmq_env; start_daemon epmd epmd -address 127.0.0.1 -port 4370)
  (rabbitmq_env; start_daemon rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server)
  local i
  for i in $(seq 1 60); do
    (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null && return 0
    pid_alive rabbitmq || fail_with_log "rabbitmq (process exited)" "$LOGS/rabbitmq.log"
    sleep 0.5
  done
  fail_with_log rabbitmq "$LOGS/rabbitmq.log"
}

rabbitmq_down() { stop_daemon rabbitmq; stop_daemon epmd; }

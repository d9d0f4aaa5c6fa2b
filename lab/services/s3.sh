# The lab's object storage (moto, IAM on): servers reach it at their subnet's gateway, port $S3_PORT (HTTP) and
# $S3_TLS_PORT (HTTPS, a certificate from the lab CA, $STATE/ca.pem).
S3_PORT=8333
S3_TLS_PORT=8334

s3_up() {
  # A new process means new keys: never let a stale state file stand for it.
  pid_alive s3 || rm -f "$STATE/s3.json"
  start_daemon s3 python3 -m gpt371_lab.s3_server "$STATE/s3.json" "$S3_PORT" "$S3_TLS_PORT" "$STATE"
  local i
  for i in $(seq 1 120); do
    [[ -s "$STATE/s3.json" ]] && return 0
    pid_alive s3 || fail_with_log "object storage (process exited)" "$LOGS/s3.log"
    sleep 0.5
  done
  fail_with_log "object storage" "$LOGS/s3.log"
}

s3_down() { stop_daemon s3; rm -f "$STATE/s3.json"; }

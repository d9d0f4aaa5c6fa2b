#!/bin/sh
# Per-boot set-up of a node container: host keys, authorized key from the
# environment (the lab's compute driver passes the keypair this way).
set -e
[ -f /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -A >/dev/null
if [ -n "${NODE_AUTHORIZED_KEY:-}" ]; then
  grep -qxF "$NODE_AUTHORIZED_KEY" /root/.ssh/authorized_keys 2>/dev/null \
    || printf '%s\n' "$NODE_AUTHORIZED_KEY" >> /root/.ssh/authorized_keys
  chmod 600 /root/.ssh/authorized_keys
fi
exec "$@"

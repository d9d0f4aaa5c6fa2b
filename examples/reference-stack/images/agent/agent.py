"""Stand-in for an agent worker: polls the API, writes a heartbeat file each cycle.
`python3 /app/agent.py check` is the healthcheck (heartbeat younger than 3 intervals)."""
import json
import os
import signal
import socket
import sys
import time
import urllib.request

HEARTBEAT = "/tmp/agent-heartbeat"
INTERVAL = float(os.environ.get("AGENT_INTERVAL", "2"))


def check():
    try:
        age = time.time() - os.stat(HEARTBEAT).st_mtime
    except OSError:
        sys.exit(1)
    sys.exit(0 if age < 3 * INTERVAL else 1)


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    api = os.environ.get("AGENT_API_URL", "http://api:8000/health")
    print("agent %s polling %s" % (socket.gethostname(), api), flush=True)
    while True:
        state = "ok"
        try:
            with urllib.request.urlopen(api, timeout=2) as resp:
                json.load(resp)
        except Exception as exc:  # noqa: BLE001 (an unreachable API is reported, not fatal)
            state = "api unreachable: %s" % exc
        with open(HEARTBEAT, "w", encoding="utf-8") as fh:
            fh.write(state)
        time.sleep(INTERVAL)


if __name__ == "__main__":
    check() if sys.argv[1:] == ["check"] else main()

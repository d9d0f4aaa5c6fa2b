"""Subprocess entry point: one moto backend served on http and https (same process, same state).

Usage: python moto_main.py CERT KEY
Prints one JSON line {"http": port, "https": port} when both listeners are up, then serves until
stdin closes (the parent died or asked us to stop) — so no orphan survives a crashed test run.
"""
import json
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server


def main():
    cert, key = sys.argv[1], sys.argv[2]
    app = DomainDispatcherApplication(create_backend_app)
    servers = [make_server("127.0.0.1", 0, app, threaded=True),
               make_server("127.0.0.1", 0, app, threaded=True, ssl_context=(cert, key))]
    for srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    print(json.dumps({"http": servers[0].server_port, "https": servers[1].server_port}), flush=True)
    sys.stdin.read()  # blocks until the parent closes our stdin
    for srv in servers:
        srv.shutdown()


if __name__ == "__main__":
    main()

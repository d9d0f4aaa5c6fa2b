"""TCP fault helpers: a listener that accepts and never answers, and a port nothing listens on."""
import socket
import threading


def closed_port():
    """A port that was free a moment ago. Binding then closing leaves nothing listening; the kernel
    hands out ephemeral ports round-robin, so it is not reused within a test session in practice."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HangListener:
    """Accepts connections and never sends a byte: a client's connect succeeds and its read hangs,
    which is what a firewalled / wedged server looks like. Tests use it to prove timeouts are bounded."""

    def __init__(self):
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.5)  # lets the accept loop notice stop()
        self.port = self._sock.getsockname()[1]
        self._conns = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hang-listener", daemon=True)

    def start(self):
        self._thread.start()
        return self.port

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _peer = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            self._conns.append(conn)  # held open, never read or written
            if len(self._conns) > 256:  # bound memory if a test loops
                self._conns.pop(0).close()

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()
        for c in self._conns:
            c.close()

"""TCP fault helpers: a listener that accepts and never answers, and a port nothing listens on."""
import socket
import threading


def closed_port():
    """A port that was free a moment ago. Binding then closing leaves nothing listening; the kernel
    hands out ephemeral ports round-robin, so it is not reused within a test session in practice."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Listener:
    """Accept loop on 127.0.0.1 in a daemon thread; each connection goes to ``handle(conn)``. The default
    handler serves it with ``serve(conn)`` in a thread of its own, then closes it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.5)  # lets the accept loop notice stop()
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def start(self):
        self.thread.start()
        return self.port

    def _accept(self):
        while not self.stopped.is_set():
            try:
                conn, _peer = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            self.handle(conn)

    def handle(self, conn):
        conn.settimeout(10)
        threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            self.serve(conn)
        except (OSError, ValueError):  # clients that reject a certificate hang up mid-handshake
            pass
        finally:
            conn.close()

    def serve(self, conn):
        raise NotImplementedError

    def stop(self):
        self.stopped.set()
        self.thread.join(timeout=5)
        self.sock.close()


class HangListener(Listener):
    """Accepts connections and never sends a byte: a client's connect succeeds and its read hangs,
    which is what a firewalled / wedged server looks like. Tests use it to prove timeouts are bounded."""

    def __init__(self):
        super().__init__()
        self._conns = []

    def handle(self, conn):
        self._conns.append(conn)  # held open, never read or written
        if len(self._conns) > 256:  # bound memory if a test loops
            self._conns.pop(0).close()

    def stop(self):
        super().stop()
        for conn in self._conns:
            conn.close()

#!/usr/bin/env python3
"""accept-loop: the benchmarks' TCP real server, as cheap as a listener can be.

A tcp health check only needs the handshake to complete, which the kernel does by itself; the
listener's one job is to take finished connections off the accept queue before it fills, since
a full queue drops SYNs (listen(2); TcpExt ListenOverflows in proc(5)) and each drop costs the
checker a 1 s SYN retransmit, i.e. a timeout that tandem did not cause. So: one blocking
accept4(2) + close(2) per connection, no event loop, no socket objects, no reads (the checker
resets each connection, so there is nothing to wait for).

Listens on 0.0.0.0 (every 127/8 address reaches it) on an ephemeral port, prints
{"tcpPort": N} on one line when ready, and runs until killed (SIGTERM) or until its
stdin closes, so a benchmark that dies without stopping it does not leave it listening.
"""
import json
import os
import socket
import sys
import threading

# BACKLOG: asked for in full; the kernel caps it at net.core.somaxconn (4096 by default since 5.4).
BACKLOG = 65535

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("0.0.0.0", 0))
listener.listen(BACKLOG)


def exit_at_end_of_stdin():
    """exit_at_end_of_stdin ends the process once the parent's end of stdin is closed (it exited)."""
    sys.stdin.buffer.read()
    os._exit(0)


threading.Thread(target=exit_at_end_of_stdin, daemon=True).start()
print(json.dumps({"tcpPort": listener.getsockname()[1]}), flush=True)

# _accept() is socket.accept() without wrapping the new descriptor in a socket object: it
# returns (fd, address) straight from accept4(2), so a connection costs two system calls.
accept = listener._accept
close = os.close
while True:
    try:
        close(accept()[0])
    except ConnectionAbortedError:
        pass  # accept(2) ECONNABORTED: the connection went before it was taken, nothing to close

#!/usr/bin/env python3
"""Raw-socket HTTP clients for tests/cli/serve.sh: the ones curl cannot play.

  serve_client.py PORT trickle-headers LIMIT   send a request's headers one byte per second
  serve_client.py PORT trickle-body LIMIT      send headers, then the body one byte per second
      Both print the seconds until the server closed the connection (or LIMIT if it never did).
  serve_client.py PORT slow-post SECONDS [XFF]  send a valid POST /v1/sentiment whose body takes
      SECONDS to arrive (in 10 pieces), then print the response status code (0 if none).
  serve_client.py PORT raw WAIT BYTES...  for each BYTES (Python escapes: \\r\\n), on a new
      connection: send it at once, read the answers until the server closes or WAIT seconds
      pass; print one line: each response as STATUS or STATUS:ERROR_CODE, then "closed" or
      "open".
  serve_client.py PORT conn-flood N FROM OTHER  open N connections from address FROM, each
      sending the start of a request and then nothing (a slow client holding slots); then time
      5 requests on new connections from address OTHER; print the slowest in ms (1000 for one
      not answered within a second) and how many of the N connections the server kept open.
  serve_client.py - drain-rounds R N PORT_FILE SERVER_COMMAND...  R times: start the server
      (it writes its port to PORT_FILE), open N keep-alive connections, each sending
      POST /v1/sentiment one after another until a response says "Connection: close" (then the
      server must close, and only then; at most 5 s), SIGTERM the server once every connection
      has had an answer, and wait for it to exit 0. Prints each failed round ("errors=E": E
      requests without a complete 200 answer or connections closed without being told) and
      then "failed=F".
  serve_client.py PORT many CONC FILE  POST /v1/sentiment {"text": LINE} for every line of FILE
      over CONC keep-alive connections at once (one thread each, lines dealt in turn); print
      one line per input line, in input order: STATUS, then the answer's label and score, or
      its error code (0 and "none" when no answer came).
"""
import codecs
import json
import socket
import sys
import threading
import time


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def closed(s, wait):
    """True if the peer closed (EOF or reset) within `wait` seconds."""
    s.settimeout(wait)
    try:
        return s.recv(4096) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def trickle(port, data, limit):
    s = connect(port)
    t0 = time.time()
    for i in range(len(data)):
        if time.time() - t0 > limit:
            break
        try:
            s.send(data[i:i + 1])
        except OSError:
            break
        if closed(s, 1.0):
            break
    print("%.1f" % (time.time() - t0))


def slow_post(port, seconds, xff):
    body = b'{"text": "' + b"a fine, moving film " * 10 + b'"}'
    head = ("POST /v1/sentiment HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n" % len(body))
    if xff:
        head += "X-Forwarded-For: %s\r\n" % xff
    s = connect(port)
    try:
        s.sendall((head + "\r\n").encode())
        n = 10
        step = (len(body) + n - 1) // n
        for i in range(0, len(body), step):
            s.sendall(body[i:i + step])
            time.sleep(seconds / n)
        s.settimeout(10)
        resp = b""
        while b"\r\n" not in resp:
            chunk = s.recv(4096)
            if not chunk:
                break
            resp += chunk
        parts = resp.split(b" ", 2)
        print(int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0)
    except OSError:
        print(0)


def read_response(s, buf):
    """One HTTP response from s (buf: bytes already read). Returns (status, headers, body, rest)
    or None if the connection ended first; headers is a dict of lower-case names."""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(buf) < n:
        chunk = s.recv(65536)
        if not chunk:
            return None
        buf += chunk
    return status, headers, buf[:n], buf[n:]


def raw(port, data, wait):
    s = connect(port)
    s.settimeout(wait)
    s.sendall(data)
    out, buf = [], b""
    state = "open"
    try:
        while True:
            r = read_response(s, buf)
            if r is None:
                state = "closed"
                break
            status, _, body, buf = r
            try:
                out.append("%d:%s" % (status, json.loads(body)["error"]["code"]))
            except (ValueError, KeyError, TypeError):
                out.append(str(status))
    except socket.timeout:
        pass
    except OSError:
        state = "closed"
    print(" ".join(out + [state]))


def conn_flood(port, n, src, other):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 100), hard))
    held = []
    for _ in range(n):
        s = socket.socket()
        s.bind((src, 0))
        s.settimeout(2)
        try:
            s.connect(("127.0.0.1", port))
            s.send(b"POST /v1/sentiment HTTP/1.1\r\nHost: t\r\n")
        except OSError:
            pass
        held.append(s)
    time.sleep(0.3)
    body = b'{"text":"a calm and friendly visitor"}'
    req = (b"POST /v1/sentiment HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
           b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    worst = 0.0
    for _ in range(5):
        t0 = time.time()
        ms = 1000.0
        try:
            s = socket.socket()
            s.bind((other, 0))
            s.settimeout(1)
            s.connect(("127.0.0.1", port))
            s.sendall(req)
            r = read_response(s, b"")
            if r and r[0] == 200:
                ms = (time.time() - t0) * 1000
            s.close()
        except OSError:
            pass
        worst = max(worst, ms)
    open_n = 0
    for s in held:
        s.setblocking(False)
        try:
            open_n += s.recv(1) != b""
        except BlockingIOError:
            open_n += 1
        except OSError:
            pass
        s.close()
    print("%.0f %d" % (worst, open_n))


def keepalive_client(port, deadline, req, result, lock, first):
    errors = told = 0
    try:
        s = connect(port)
    except OSError:
        s = None
        errors = 1
    buf = b""
    while s and time.time() < deadline:
        try:
            s.sendall(req)
            r = read_response(s, buf)
        except OSError:
            r = None
        if r is None or r[0] != 200 or not r[2].endswith(b"}"):
            errors += 1  # no complete answer, and the server had not said it would close
            break
        first.set()
        buf = r[3]
        if r[1].get("connection", "").lower() == "close":
            s.settimeout(2)
            try:
                told = int(buf == b"" and s.recv(1) == b"")  # closed right after, nothing more
            except OSError:
                told = 0
            errors += 1 - told
            break
    if s:
        s.close()
    first.set()
    with lock:
        result["errors"] += errors
        result["told"] += told


def keepalive_load(port, n, seconds, on_ready):
    """n keepalive_client threads; on_ready() once each had an answer; returns the result."""
    import threading
    body = b'{"text":"a long and gentle goodbye"}'
    req = (b"POST /v1/sentiment HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
           b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    deadline = time.time() + seconds
    result, lock = {"errors": 0, "told": 0}, threading.Lock()
    firsts = [threading.Event() for _ in range(n)]
    threads = [threading.Thread(target=keepalive_client, args=(port, deadline, req, result, lock, e))
               for e in firsts]
    for t in threads:
        t.start()
    for e in firsts:
        e.wait(max(0.0, deadline - time.time()))
    on_ready()
    for t in threads:
        t.join()
    return "errors=%d told=%d untold=%d" % (result["errors"], result["told"],
                                            n - result["told"] - min(result["errors"], n))


def drain_rounds(rounds, n, port_file, cmd):
    """rounds x (start the server cmd, n keep-alive clients, SIGTERM once all are served,
    wait for the exit); prints one line per failed round, then "failed=F"."""
    import os
    import signal
    import subprocess
    failed = 0
    for i in range(rounds):
        if os.path.exists(port_file):
            os.unlink(port_file)
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        t0 = time.time()
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if time.time() - t0 > 10 or proc.poll() is not None:
                break
            time.sleep(0.01)
        try:
            port = int(open(port_file).read())
            res = keepalive_load(port, n, 5, lambda: proc.send_signal(signal.SIGTERM))
        except (OSError, ValueError) as e:
            res = "no server: %s" % e
        try:
            rc = proc.wait(8)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        if res != "errors=0 told=%d untold=0" % n or rc != 0:
            failed += 1
            print("round %d: %s, exit %d" % (i + 1, res, rc))
    print("failed=%d" % failed)


def many(port, conc, path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        texts = [line.rstrip("\n") for line in f]
    out = [None] * len(texts)

    def client(k):
        s, buf = None, b""
        for i in range(k, len(texts), conc):
            body = json.dumps({"text": texts[i]}, ensure_ascii=True).encode()
            req = (b"POST /v1/sentiment HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                   b"Content-Length: %d\r\n\r\n" % len(body)) + body
            r = None
            for _ in range(2):  # once more on a new connection if the kept one was closed
                try:
                    if s is None:
                        s, buf = connect(port), b""
                        s.settimeout(30)
                    s.sendall(req)
                    r = read_response(s, buf)
                except OSError:
                    r = None
                if r is not None:
                    break
                s = None
            if r is None:
                out[i] = "0 none"
                continue
            status, headers, rbody, buf = r
            try:
                j = json.loads(rbody)
                out[i] = "%d %s" % (status, j["error"]["code"] if "error" in j else
                                    "%s %s" % (j["label"], j["score"]))
            except (ValueError, KeyError, TypeError):
                out[i] = "%d unparsed" % status
            if headers.get("connection", "").lower() == "close":
                s = None

    threads = [threading.Thread(target=client, args=(k,)) for k in range(conc)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("\n".join(out))


def main():
    port, mode = int(sys.argv[1]) if sys.argv[1] != "-" else 0, sys.argv[2]
    if mode == "trickle-headers":
        req = (b"POST /v1/sentiment HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
               b"Content-Length: 13\r\n\r\n{\"text\":\"ok\"}")
        trickle(port, req, float(sys.argv[3]))
    elif mode == "trickle-body":
        s_head = (b"POST /v1/sentiment HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000\r\n\r\n")
        s = connect(port)
        s.sendall(s_head)
        t0 = time.time()
        limit = float(sys.argv[3])
        body = b'{"text":"' + b"a" * 990
        for i in range(len(body)):
            if time.time() - t0 > limit:
                break
            try:
                s.send(body[i:i + 1])
            except OSError:
                break
            if closed(s, 1.0):
                break
        print("%.1f" % (time.time() - t0))
    elif mode == "slow-post":
        slow_post(port, float(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "")
    elif mode == "conn-flood":
        conn_flood(port, int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif mode == "drain-rounds":
        drain_rounds(int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6:])
    elif mode == "many":
        many(port, int(sys.argv[3]), sys.argv[4])
    elif mode == "raw":
        for arg in sys.argv[4:]:
            raw(port, codecs.decode(arg, "unicode_escape").encode("latin-1"), float(sys.argv[3]))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Raw-socket HTTP clients for tests/cli/serve.sh: the ones curl cannot play.

  serve_client.py PORT trickle-headers LIMIT   send a request's headers one byte per second
  serve_client.py PORT trickle-body LIMIT      send headers, then the body one byte per second
      Both print the seconds until the server closed the connection (or LIMIT if it never did).
  serve_client.py PORT slow-post SECONDS [XFF]  send a valid POST /v1/sentiment whose body takes
      SECONDS to arrive (in 10 pieces), then print the response status code (0 if none).
  serve_client.py PORT raw BYTES [WAIT]  send BYTES (Python escapes: \\r\\n) at once, read the
      answers until the server closes or WAIT seconds (default 3) pass; print each response as
      STATUS or STATUS:ERROR_CODE, then "closed" or "open".
  serve_client.py PORT conn-flood N FROM OTHER  open N connections from address FROM, each
      sending the start of a request and then nothing (a slow client holding slots); then time
      5 requests on new connections from address OTHER; print the slowest in ms (1000 for one
      not answered within a second) and how many of the N connections the server kept open.
"""
import codecs
import json
import socket
import sys
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


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
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
    elif mode == "raw":
        data = codecs.decode(sys.argv[3], "unicode_escape").encode("latin-1")
        raw(port, data, float(sys.argv[4]) if len(sys.argv) > 4 else 3.0)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()

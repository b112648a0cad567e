#!/usr/bin/env python3
"""replicas.py - deploy/nginx-senti.conf and deploy/prometheus.yml, filled in for a given
set of replicas, as files nginx and Prometheus run as they are.

The shipped files name example ports (8081..8083) and system paths. This script takes them
as templates rather than keeping a second copy: it replaces the upstream's server lines by
one per replica (keeping their max_fails/fail_timeout), the listen address, and the access
log path, wraps the result in a minimal nginx main configuration (pid, error log, temporary
folders under DIR, so nginx runs unprivileged with `-p DIR -c DIR/nginx.conf`), and writes
the Prometheus configuration with one target per replica. A template line it cannot find is
an error, so the files and the test that uses this (tests/cli/replicas.sh) cannot drift apart.

    deploy/replicas.py --dir DIR --listen 127.0.0.1:8080 \\
        --replica 127.0.0.1:8081 --replica 127.0.0.1:8082 --replica 127.0.0.1:8083 \\
        [--workers 1] [--user root] [--scrape-interval 15s]
    nginx -p DIR -c DIR/nginx.conf            # or: nginx -t -p DIR -c DIR/nginx.conf
    prometheus --config.file=DIR/prometheus.yml
"""
import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

MAIN = """# written by deploy/replicas.py from deploy/nginx-senti.conf
{user}worker_processes {workers};
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    include {dir}/senti.conf;
}}
"""


def sub_once(pattern, repl, text, what, flags=0):
    out, n = re.subn(pattern, repl, text, count=1, flags=flags)
    if n != 1:
        sys.exit("replicas.py: %s not found in the template" % what)
    return out


def render_nginx(template, listen, replicas, access_log):
    block = re.search(r"upstream senti \{.*?\n\}", template, re.S)
    if not block:
        sys.exit("replicas.py: 'upstream senti { ... }' not found in the template")
    up = block.group(0)
    servers = re.findall(r"^( *)server \S+( [^;\n]*)?;\n", up, re.M)
    if not servers:
        sys.exit("replicas.py: no server line in the upstream")
    indent, params = servers[0]
    lines = "".join("%sserver %s%s;\n" % (indent, r, params or "") for r in replicas)
    new_up = re.sub(r"(^ *server \S+( [^;\n]*)?;\n)+", lambda m: lines, up, count=1, flags=re.M)
    out = template.replace(up, new_up)
    out = sub_once(r"^(\s*)listen \S+;", r"\g<1>listen %s;" % listen, out, "'listen PORT;'", re.M)
    out = sub_once(r"access_log \S+ senti_json;", "access_log %s senti_json;" % access_log, out,
                   "'access_log PATH senti_json;'")
    return out


def render_prometheus(template, replicas, interval, rules):
    out = sub_once(r"- targets: \[[^\]]*\]", "- targets: [%s]" % ", ".join('"%s"' % r for r in replicas),
                   template, "'- targets: [...]'")
    out = sub_once(r"^  - alerts\.yml$", "  - %s" % rules, out, "'- alerts.yml'", re.M)
    if interval:
        out = sub_once(r"scrape_interval: \S+", "scrape_interval: %s" % interval, out, "'scrape_interval'")
        out = sub_once(r"evaluation_interval: \S+", "evaluation_interval: %s" % interval, out,
                       "'evaluation_interval'")
        out = sub_once(r"scrape_timeout: \S+", "scrape_timeout: %s" % interval, out, "'scrape_timeout'")
    return "# written by deploy/replicas.py from deploy/prometheus.yml\n" + out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", required=True, help="folder for the generated files, logs and nginx's temporary files")
    ap.add_argument("--listen", required=True, help="nginx's address, HOST:PORT")
    ap.add_argument("--replica", action="append", required=True, help="a replica's HOST:PORT (repeat)")
    ap.add_argument("--workers", default="auto", help="nginx worker_processes (default auto)")
    ap.add_argument("--user", help="nginx's worker user (only when nginx starts as root)")
    ap.add_argument("--scrape-interval", help="Prometheus scrape and evaluation interval, and scrape timeout (default: the template's)")
    a = ap.parse_args()
    d = os.path.abspath(a.dir)
    for sub in ("tmp", "tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    with open(os.path.join(HERE, "nginx-senti.conf"), encoding="utf-8") as f:
        conf = render_nginx(f.read(), a.listen, a.replica, os.path.join(d, "access.log"))
    with open(os.path.join(HERE, "prometheus.yml"), encoding="utf-8") as f:
        prom = render_prometheus(f.read(), a.replica, a.scrape_interval, os.path.join(HERE, "alerts.yml"))
    user = "user %s;\n" % a.user if a.user else ""
    files = {"senti.conf": conf, "nginx.conf": MAIN.format(user=user, workers=a.workers, dir=d),
             "prometheus.yml": prom}
    for name, text in files.items():
        tmp = os.path.join(d, name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, os.path.join(d, name))


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# The Kubernetes manifests (deploy/k8s/*.yaml) cannot run here: deploy/k8s/check.py parses
# them (python3-yaml) and holds them to `senti serve --help` (options, variables, probe
# paths, ports, grace period >= preStop + drain). Then copies with one drift each must fail it.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
PY=/usr/bin/python3 # Debian's, with python3-yaml
if ! $PY -c 'import yaml' 2>/dev/null; then
    echo "the manifest check needs python3-yaml (make deps-test)"
    not_ok "python3-yaml installed"
    finish
    exit 1
fi
"$SENTI" serve --help > "$TMP/help.txt"
$PY deploy/k8s/check.py "$TMP/help.txt" deploy/k8s/*.yaml > "$TMP/check.out" 2>&1
rc=$?
sed 's/^/    /' "$TMP/check.out"
is_zero() { [ "$1" = 0 ]; }
check "deploy/k8s/*.yaml agree with senti serve --help ($(grep -c '^ok' "$TMP/check.out") checks)" is_zero $rc

# drift NAME SED: the manifest edited by SED must fail the check
drift() {
    sed "$2" deploy/k8s/senti.yaml > "$TMP/drift.yaml"
    if cmp -s deploy/k8s/senti.yaml "$TMP/drift.yaml"; then not_ok "$1 (the edit changed nothing)"; return; fi
    expect_status "$1 is caught" 1 $PY deploy/k8s/check.py "$TMP/help.txt" "$TMP/drift.yaml" deploy/k8s/redis.yaml
}
drift "an option serve does not have (--drain-timout)" 's/--drain-timeout=/--drain-timout=/'
drift "a variable serve does not read (SENTI_CACHE_SIZE)" 's/SENTI_CACHE_BYTES:/SENTI_CACHE_SIZE:/'
drift "a readiness probe on a path serve does not answer" 's|path: /readyz, port: http}|path: /ready, port: http}|'
drift "a grace period shorter than the drain" 's/terminationGracePeriodSeconds: 30/terminationGracePeriodSeconds: 20/'
drift "--redis naming no Service" 's|redis://senti-redis:|redis://redis:|'
drift "broken YAML" 's/^  replicas: 3/ replicas: [3/'
finish

/*
 * main.c - `senti serve`: configuration, start-up, the signal loop, reload and drain.
 *
 * Every option is one row of `options[]`: its flag, its environment variable, its default,
 * its help line and where it goes. Defaults are applied first, then the environment, then
 * the flags, so a flag wins; the help text and the start-up "config" log line are generated
 * from the same table and cannot drift from what is parsed.
 *
 * Signals are blocked in every thread (the HTTP threads inherit the mask) and taken by the
 * main thread with sigtimedwait, which also wakes 10 times a second to cut connections past
 * their deadline (serve_reap). SIGHUP reloads the model; SIGTERM/SIGINT drain and exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve/log.h"
#include "serve/serve.h"
#include "serve/web.h"

#define LOAD(p) __atomic_load_n(&(p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELAXED)

/* ---- options ----------------------------------------------------------------------------- */

/* O_FLAG: a flag without a value (sets 1; its variable takes on/off like O_BOOL) */
typedef enum { O_STR, O_ULONG, O_SIZE, O_DUR, O_DOUBLE, O_BOOL, O_FLAG, O_MODEL } otype;

typedef struct optdef {
    const char *name;
    int code; /* getopt value: a short option letter, or >= 0x2000 */
    otype type;
    const char *env;
    const char *def;  /* default, as it would be written on the command line; NULL: unset */
    const char *arg;  /* metavariable in the help */
    const char *help;
    size_t off;       /* offset in serve_config (unused for O_MODEL) */
    unsigned long lo, hi;
} optdef;

#define OFF(f) offsetof(serve_config, f)

static const optdef options[] = {
    {"host", 0x2001, O_STR, "SENTI_HOST", "127.0.0.1", "ADDR",
     "address to listen on (0.0.0.0 or :: for every interface)", OFF(host), 0, 0},
    {"port", 'p', O_ULONG, "SENTI_PORT", "8080", "N", "TCP port; 0 picks a free one (see --port-file)",
     OFF(port), 0, 65535},
    {"port-file", 0x2002, O_STR, "SENTI_PORT_FILE", NULL, "FILE",
     "write the bound port here once listening (written atomically)", OFF(port_file), 0, 0},
    {"threads", 't', O_ULONG, "SENTI_THREADS", "0", "N",
     "HTTP event-loop threads, each scoring its own requests (0: one per core)", OFF(threads), 0, 1024},
    {"model", 'm', O_MODEL, "SENTI_MODEL", NULL, "M",
     "default (embedded), a model file, or KIND:PATH (linear:FILE, vader:DIR)", 0, 0, 0},
    {"lexicon", 0x1001, O_MODEL, "SENTI_VADER_LEXICON", NULL, "DIR", "folder of the VADER lexicons", 0, 0, 0},
    {"max-bytes", 0x1002, O_MODEL, "SENTI_MAX_BYTES", NULL, "N",
     "bytes of each text considered (default 1048576)", 0, 0, 0},
    {"max-tokens", 0x1003, O_MODEL, "SENTI_MAX_TOKENS", NULL, "N",
     "tokens of each text considered (default 65536)", 0, 0, 0},
    {"model-map", 0x201f, O_STR, "SENTI_MODEL_MAP", "auto", "auto|on|off",
     "map the model file instead of reading it into memory: no copy (a reload of a large "
     "transformer file does not hold two), but the file must then be replaced by rename (mv), "
     "never rewritten in place; auto maps files of 64 MiB or more",
     OFF(model_map), 0, 0},
    {"max-body", 0x2003, O_SIZE, "SENTI_MAX_BODY", "1M", "SIZE",
     "largest request body; larger gets 413 (suffixes k, M, G)", OFF(max_body), 2, 1ul << 30},
    {"max-batch", 0x2004, O_ULONG, "SENTI_MAX_BATCH", "1000", "N", "most texts in one batch request (else 413)",
     OFF(max_batch), 1, 10000000},
    {"max-inflight", 0x2005, O_ULONG, "SENTI_MAX_INFLIGHT", "1024", "N",
     "scoring requests in progress at once; more get 503 + Retry-After", OFF(max_inflight), 1, 1000000},
    {"max-connections", 0x2006, O_ULONG, "SENTI_MAX_CONNECTIONS", "4096", "N",
     "open client connections at once (further connections wait in the kernel backlog)",
     OFF(max_connections), 1, 1000000},
    {"max-client-connections", 0x2019, O_ULONG, "SENTI_MAX_CLIENT_CONNECTIONS", "256", "N",
     "open connections one client may hold, the client as --rate sees it (its address, or the one a "
     "trusted proxy names); more are closed at once (0: no limit)",
     OFF(max_client_connections), 0, 1000000},
    {"request-timeout", 0x2007, O_DUR, "SENTI_REQUEST_TIMEOUT", "10s", "DUR",
     "a request must arrive and be answered within this (a slow client is cut, a slow batch gets 504)",
     OFF(request_timeout), 0, 0},
    {"idle-timeout", 0x2008, O_DUR, "SENTI_IDLE_TIMEOUT", "30s", "DUR", "keep-alive connections idle this long are closed",
     OFF(idle_timeout), 0, 0},
    {"shutdown-delay", 0x2018, O_DUR, "SENTI_SHUTDOWN_DELAY", "0", "DUR",
     "on SIGTERM, first answer /readyz with 503 for this long while still accepting (lets a load balancer notice)",
     OFF(shutdown_delay), 0, 0},
    {"drain-timeout", 0x2009, O_DUR, "SENTI_DRAIN_TIMEOUT", "20s", "DUR",
     "on SIGTERM, wait at most this long for requests in flight and for keep-alive connections "
     "to close (each is closed after an answer that says Connection: close, or at --idle-timeout)",
     OFF(drain_timeout), 0, 0},
    {"cache-entries", 0x200a, O_ULONG, "SENTI_CACHE_ENTRIES", "100000", "N",
     "response cache size in entries (0: no cache)", OFF(cache_entries), 0, 100000000},
    {"cache-bytes", 0x200b, O_SIZE, "SENTI_CACHE_BYTES", "64M", "SIZE", "response cache size in bytes",
     OFF(cache_bytes), 1, 1ul << 40},
    {"cache-ttl", 0x200c, O_DUR, "SENTI_CACHE_TTL", "10m", "DUR", "cached results expire after this (0: never)",
     OFF(cache_ttl), 0, 0},
    {"redis", 0x200d, O_STR, "SENTI_REDIS", NULL, "URL",
     "also share cached results through Redis, redis://HOST[:PORT][/DB] (if it is down: local cache only)",
     OFF(redis_url), 0, 0},
    {"redis-timeout", 0x200e, O_DUR, "SENTI_REDIS_TIMEOUT", "50ms", "DUR", "Redis connect and command timeout",
     OFF(redis_timeout), 0, 0},
    {"rate", 0x200f, O_DOUBLE, "SENTI_RATE", "0", "R",
     "requests per second allowed per client, token bucket (0: no limit); 429 + Retry-After beyond",
     OFF(rate), 0, 0},
    {"burst", 0x2010, O_DOUBLE, "SENTI_BURST", "0", "N", "bucket size: requests a client may send at once (0: max(1, rate))",
     OFF(burst), 0, 0},
    {"rate-clients", 0x2011, O_ULONG, "SENTI_RATE_CLIENTS", "65536", "N", "clients tracked by the rate limiter (LRU)",
     OFF(rate_clients), 16, 100000000},
    {"proxy-header", 0x2012, O_STR, "SENTI_PROXY_HEADER", NULL, "NAME",
     "take the client address from this header (e.g. X-Forwarded-For, last element) when the peer is a trusted proxy",
     OFF(proxy_header), 0, 0},
    {"trusted-proxies", 0x2013, O_STR, "SENTI_TRUSTED_PROXIES", "127.0.0.1,::1", "LIST",
     "comma-separated peer addresses whose --proxy-header is believed", OFF(trusted_proxies), 0, 0},
    {"log", 0x2014, O_STR, "SENTI_LOG", "stderr", "DEST", "log destination: stderr, stdout, none or a file",
     OFF(log_dest), 0, 0},
    {"log-level", 0x2015, O_STR, "SENTI_LOG_LEVEL", "info", "LEVEL", "debug, info, warn, error or off",
     OFF(log_level), 0, 0},
    {"access-log", 0x2016, O_BOOL, "SENTI_ACCESS_LOG", "on", "on|off",
     "one JSON line per request at level info (failures are logged at warn either way)", OFF(access_log), 0, 0},
    {"no-ui", 0x201a, O_FLAG, "SENTI_NO_UI", NULL, "",
     "no web page: GET / and the page's files answer 404 (the API is unchanged)", OFF(no_ui), 0, 0},
    {"batch-max", 0x201b, O_ULONG, "SENTI_BATCH_MAX", "0", "N",
     "texts scored together in one model call, see batching below (0: the model's choice, "
     "senti_model_batch_hint: 1 for linear and vader, 16 for transformer; 1: no queue). "
     "Not --max-batch, the texts one batch request may hold",
     OFF(batch_max), 0, 4096},
    {"batch-wait", 0x201c, O_DUR, "SENTI_BATCH_WAIT", "0", "DUR",
     "how long a worker waits for more texts after the first of a batch arrived, e.g. 2ms "
     "(0: it takes what is queued and goes; see batching)",
     OFF(batch_wait), 0, 0},
    {"batch-workers", 0x201d, O_ULONG, "SENTI_BATCH_WORKERS", "0", "N",
     "threads scoring batches, each one batch at a time on one core (0: one per core)",
     OFF(batch_workers), 0, 1024},
    {"batch-wait-always", 0x201e, O_FLAG, "SENTI_BATCH_WAIT_ALWAYS", NULL, "",
     "wait --batch-wait for more texts even with every worker idle (a lone request then waits too)",
     OFF(batch_wait_always), 0, 0},
    {"fault-delay", 0x2017, O_ULONG, "SENTI_FAULT_DELAY_US", "0", "US",
     "testing only: sleep this many microseconds before scoring each text", OFF(fault_delay_us), 0, 10000000},
};
#define N_OPTIONS (sizeof options / sizeof *options)

static void print_help(FILE *f) {
    fputs("usage: senti serve [OPTIONS]\n"
          "\n"
          "Run the sentiment HTTP service. Texts are scored on the thread that reads them\n"
          "(one event loop per core, keep-alive connections), or, for models that run faster\n"
          "per text in batches, gathered into batches by a queue (see batching below); results\n"
          "are cached by model and exact text, clients are rate limited, and everything is\n"
          "measured in /metrics and logged as JSON lines. Each option may also come from the environment variable shown;\n"
          "a flag wins over the environment. The effective configuration is logged at start-up.\n"
          "\n"
          "endpoints (bodies are JSON, Content-Type: application/json):\n"
          "  POST /v1/sentiment        {\"text\": \"...\"}\n"
          "                            -> {\"label\",\"score\",\"scores\":{class: p}, model values,\n"
          "                                \"model\",\"cached\"}\n"
          "  POST /v1/sentiment/batch  {\"texts\": [\"...\", ...]} or {\"items\": [{\"id\": ..., \"text\": \"...\"}]}\n"
          "                            -> {\"model\", \"results\": [{[\"id\"], \"label\", ..., \"cached\"}]}\n"
          "                               in input order\n"
          "  GET  /v1/models           the loaded model: name, kind, version, digest, generation,\n"
          "                            labels, and its card (the model file's metadata)\n"
          "  GET  /healthz             200 while the process runs\n"
          "  GET  /readyz              200 when serving; 503 while draining\n"
          "  GET  /metrics             Prometheus text format (requests, latency histograms,\n"
          "                            cache, rate limiting, model info, process)\n"
          "  POST /v1/explain          {\"text\": \"...\"} -> the result and \"contributions\": what each\n"
          "                            word or n-gram (byte span) adds toward each class; not cached\n"
          "  GET  /v1/stats            the counters the web page charts (requests, latency buckets,\n"
          "                            cache), as JSON\n"
          "  GET  /                    the web page: try a text, score a file, watch the service\n"
          "                            (embedded; --no-ui turns it off)\n"
          "\n"
          "errors are {\"error\": {\"code\", \"message\"}} with status\n"
          "  400 malformed JSON, missing or non-string text    404 unknown path\n"
          "  405 wrong method (Allow: says which)              413 body over --max-body or batch over --max-batch\n"
          "  415 body not sent as application/json             429 over --rate (Retry-After: seconds)\n"
          "  503 over --max-inflight, or draining              504 not done within --request-timeout\n"
          "  400 (501 for a transfer coding other than chunked), then the connection is closed:\n"
          "      framing a proxy in front could read differently (two Content-Lengths that\n"
          "      disagree, Content-Length with Transfer-Encoding, whitespace before a colon)\n"
          "\n"
          "options:\n", f);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const optdef *o = &options[i];
        char left[64];
        if (o->code < 128)
            snprintf(left, sizeof left, "-%c, --%s %s", o->code, o->name, o->arg);
        else
            snprintf(left, sizeof left, "    --%s %s", o->name, o->arg);
        fprintf(f, "  %-28s %s\n", left, o->help);
        fprintf(f, "  %-28s [%s", "", o->env);
        if (o->def) fprintf(f, ", default %s", o->def);
        fputs("]\n", f);
    }
    fputs("  -h, --help                   this help\n"
          "\n"
          "DUR is a number with s (default), ms, us, m or h: 250ms, 2s, 1.5, 10m.\n"
          "A client is its peer address, unless --proxy-header is set and the peer is listed in\n"
          "--trusted-proxies. /healthz, /readyz and /metrics are exempt from --rate and\n"
          "--max-inflight. A request gets --request-timeout from its first byte (for a new\n"
          "connection, from the accept) to send its body and be answered: a client trickling\n"
          "bytes is disconnected at that point, and a batch still scoring then gets 504.\n"
          "\n"
          "batching (--batch-max N > 1; by default the model decides, senti_model_batch_hint):\n"
          "  A /v1/sentiment text that misses the cache waits in a queue; a worker (--batch-workers)\n"
          "  takes up to --batch-max queued texts and scores them in one model call on one core.\n"
          "  Batches form while the workers are busy: what arrives meanwhile is taken together.\n"
          "  With --batch-wait > 0 a worker also waits that long after the first text arrived for\n"
          "  more, but only while another worker is scoring: with every worker idle a lone text\n"
          "  is scored at once (--batch-wait-always waits anyway). The default is 0: with one\n"
          "  worker per core a waiting worker leaves its core idle, and measured here 0 gave as\n"
          "  many or more requests/s than 2ms (docs/SERVE.md). A text still queued at\n"
          "  --request-timeout gets 504 and is never scored; on SIGTERM queued texts are scored\n"
          "  and answered before the exit (those left at --drain-timeout get 503); a batch in\n"
          "  flight during a reload finishes on the old model. /v1/sentiment/batch requests are\n"
          "  batches already: their texts go straight to the model, on the thread that read them.\n"
          "  linear and vader models (about a microsecond a text) default to --batch-max 1: no\n"
          "  queue, whose hand-over between threads would cost more than it saves; transformer\n"
          "  models (milliseconds a text, several times faster per text in batches) to their hint.\n"
          "  Metrics: senti_queue_batch_size (texts per model call), senti_queue_wait_seconds,\n"
          "  senti_queue_depth, senti_queue_workers_busy, senti_queue_timeouts_total,\n"
          "  senti_queue_batch_max.\n"
          "\n"
          "signals:\n"
          "  SIGTERM, SIGINT  /readyz answers 503 (for --shutdown-delay while still accepting), then\n"
          "                   stop accepting connections, close idle keep-alive ones, let requests in\n"
          "                   flight finish (at most --drain-timeout), exit 0; a second signal stops at once\n"
          "  SIGHUP           reload the model from the same spec (a file replaced in place is read\n"
          "                   again; a mapped one, see --model-map, must be replaced by rename);\n"
          "                   requests in flight finish on the old model, new ones use the new\n"
          "                   one; if the new model cannot be opened the old one stays, and the error\n"
          "                   is logged and counted (senti_model_reloads_total{result=\"failure\"})\n"
          "\n"
          "log lines (JSON): {\"time\",\"level\",\"msg\", ...}; access lines have msg \"request\" and\n"
          "method, path, status, bytes, duration_us, cache (hit|miss|partial|off), client,\n"
          "request_id (the client's X-Request-Id if plain, else generated; echoed in the response).\n"
          "\n"
          "examples:\n"
          "  senti serve --port 8080\n"
          "  senti serve --model vader:/data/vader --rate 50 --burst 100\n"
          "  SENTI_PORT=0 SENTI_PORT_FILE=/run/senti/port SENTI_CACHE_ENTRIES=0 senti serve\n"
          "  curl -s localhost:8080/v1/sentiment -H 'Content-Type: application/json' \\\n"
          "       -d '{\"text\": \"a wonderful, moving film\"}'\n"
          "  kill -HUP $(pidof senti)      # reload the model\n", f);
}

/* Apply one value (from the defaults, the environment or a flag). */
static int apply(serve_config *cfg, const optdef *o, const char *v, const char *src) {
    void *p = (char *)cfg + o->off;
    switch (o->type) {
    case O_STR:
        *(const char **)p = v && *v ? v : NULL;
        return 0;
    case O_ULONG: {
        unsigned long x;
        if (cli_parse_uint(src, v, o->lo, o->hi, &x)) return -1;
        *(unsigned long *)p = x;
        return 0;
    }
    case O_SIZE: {
        long long x = parse_size(v);
        if (x < (long long)o->lo || (unsigned long long)x > o->hi) {
            fprintf(stderr, "senti serve: %s expects a size from %lu to %lu bytes (e.g. 64k, 8M), not '%s'\n",
                    src, o->lo, o->hi, v);
            return -1;
        }
        *(long long *)p = x;
        return 0;
    }
    case O_DUR: {
        double x = parse_duration(v);
        if (x < 0 || x > 86400 * 365) {
            fprintf(stderr, "senti serve: %s expects a duration such as 250ms, 2s, 1.5 or 10m, not '%s'\n",
                    src, v);
            return -1;
        }
        *(double *)p = x;
        return 0;
    }
    case O_DOUBLE: {
        char *end;
        double x = strtod(v, &end);
        if (end == v || *end || !(x >= 0) || x > 1e12) {
            fprintf(stderr, "senti serve: %s expects a number >= 0, not '%s'\n", src, v);
            return -1;
        }
        *(double *)p = x;
        return 0;
    }
    case O_BOOL:
    case O_FLAG:
        if (o->type == O_FLAG && !v) v = "on";
        if (!strcmp(v, "on") || !strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes")) *(int *)p = 1;
        else if (!strcmp(v, "off") || !strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no")) *(int *)p = 0;
        else {
            fprintf(stderr, "senti serve: %s expects on or off, not '%s'\n", src, v);
            return -1;
        }
        return 0;
    case O_MODEL:
        return cli_model_opt(&cfg->model, o->code, v) < 0 ? -1 : 0;
    }
    return -1;
}

static int parse_config(serve_config *cfg, int argc, char **argv, int *help) {
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (options[i].def && apply(cfg, &options[i], options[i].def, options[i].name)) return -1;
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const char *v = getenv(options[i].env);
        /* the library reads SENTI_VADER_LEXICON itself; listing it here is for the help */
        if (v && *v && options[i].code != 0x1001 && apply(cfg, &options[i], v, options[i].env)) return -1;
    }
    struct option longopts[N_OPTIONS + 2];
    char shortopts[64] = "h";
    size_t sl = 1;
    for (size_t i = 0; i < N_OPTIONS; i++) {
        longopts[i] = (struct option){options[i].name, options[i].type == O_FLAG ? no_argument : required_argument,
                                      0, options[i].code};
        if (options[i].code < 128 && sl + 3 < sizeof shortopts) {
            shortopts[sl++] = (char)options[i].code;
            shortopts[sl++] = ':';
        }
    }
    shortopts[sl] = 0;
    longopts[N_OPTIONS] = (struct option){"help", no_argument, 0, 'h'};
    longopts[N_OPTIONS + 1] = (struct option){0, 0, 0, 0};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (c == 'h') {
            *help = 1;
            return 0;
        }
        const optdef *o = NULL;
        for (size_t i = 0; i < N_OPTIONS; i++)
            if (options[i].code == c) o = &options[i];
        if (!o) {
            fputs("usage: senti serve [OPTIONS]   (senti serve --help explains them)\n", stderr);
            return -1;
        }
        char src[64];
        snprintf(src, sizeof src, "--%s", o->name);
        if (apply(cfg, o, optarg, src)) return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "senti serve: unexpected argument '%s' (serve takes options only)\n", argv[optind]);
        return -1;
    }
    if (!cfg->threads) cfg->threads = (unsigned long)cli_ncpu();
    if (!cfg->batch_workers) cfg->batch_workers = (unsigned long)cli_ncpu();
    if (!cfg->model_map || (strcmp(cfg->model_map, "auto") && strcmp(cfg->model_map, "on") &&
                            strcmp(cfg->model_map, "off"))) {
        fprintf(stderr, "senti serve: --model-map expects auto, on or off\n");
        return -1;
    }
    if (cfg->batch_wait > 10) {
        fprintf(stderr, "senti serve: --batch-wait is at most 10s\n");
        return -1;
    }
    if (cfg->burst <= 0) cfg->burst = cfg->rate >= 1 ? cfg->rate : 1;
    if (cfg->request_timeout <= 0) cfg->request_timeout = 1e-3;
    if (cfg->idle_timeout <= 0) cfg->idle_timeout = 1e-3;
    return 0;
}

/* The effective configuration as one log line. */
static void log_config(const serve_config *cfg) {
    sbuf b = {0};
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const optdef *o = &options[i];
        const void *p = (const char *)cfg + o->off;
        sb_put(&b, ",\"", 2);
        sb_str(&b, o->name);
        sb_put(&b, "\":", 2);
        switch (o->type) {
        case O_STR: {
            const char *s = *(const char *const *)p;
            if (s) sb_json_str(&b, s, strlen(s));
            else sb_str(&b, "null");
            break;
        }
        case O_ULONG: sb_printf(&b, "%lu", *(const unsigned long *)p); break;
        case O_SIZE: sb_printf(&b, "%lld", *(const long long *)p); break;
        case O_DUR:
        case O_DOUBLE: sb_double(&b, *(const double *)p); break;
        case O_BOOL:
        case O_FLAG: sb_str(&b, *(const int *)p ? "true" : "false"); break;
        case O_MODEL:
            if (o->code == 'm') {
                const char *s = cfg->model.spec ? cfg->model.spec : "default";
                sb_json_str(&b, s, strlen(s));
            } else if (o->code == 0x1001) {
                const char *s = cfg->model.opts.lexicon_dir;
                if (s) sb_json_str(&b, s, strlen(s));
                else sb_str(&b, "null");
            } else if (o->code == 0x1002) {
                sb_printf(&b, "%u", cfg->model.opts.max_text_bytes ? cfg->model.opts.max_text_bytes
                                                                  : SENTI_DEFAULT_MAX_TEXT_BYTES);
            } else {
                sb_printf(&b, "%u", cfg->model.opts.max_tokens ? cfg->model.opts.max_tokens
                                                              : SENTI_DEFAULT_MAX_TOKENS);
            }
            break;
        }
    }
    if (!b.oom) slog_write(SLOG_INFO, "config", b.p, b.len);
    sb_free(&b);
}

/* ---- start-up pieces ------------------------------------------------------------------------ */

static int listen_on(const char *host, unsigned long port, int *out_fd, int *out_port, char *err,
                     size_t errsz) {
    char ps[16];
    snprintf(ps, sizeof ps, "%lu", port);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host, ps, &hints, &res);
    if (rc) {
        snprintf(err, errsz, "cannot resolve --host '%s': %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1, e = 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 1024) == 0) break;
        e = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, errsz, "cannot listen on %s port %lu: %s", host, port, strerror(e));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *out_port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                         : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    *out_fd = fd;
    return 0;
}

static int write_port_file(const char *path, int port) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static char **split_list(const char *s) {
    size_t n = 1;
    for (const char *p = s; p && *p; p++) n += *p == ',';
    char **v = calloc(n + 1, sizeof *v);
    if (!v || !s) return v;
    size_t k = 0;
    const char *p = s;
    while (*p) {
        size_t l = strcspn(p, ",");
        const char *a = p, *z = p + l;
        while (a < z && *a == ' ') a++;
        while (z > a && z[-1] == ' ') z--;
        if (z > a && (v[k] = strndup(a, (size_t)(z - a)))) k++;
        p += l;
        if (*p == ',') p++;
    }
    return v;
}

static void free_list(char **v) {
    for (char **p = v; p && *p; p++) free(*p);
    free(v);
}

/* Raise the descriptor limit to what we may, and keep max-connections below it. */
static void fit_fd_limit(serve_config *cfg) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur > 128 && cfg->max_connections > rl.rlim_cur - 64) {
        slog(SLOG_WARN, "--max-connections lowered to fit the descriptor limit",
             ",\"max_connections\":%llu,\"nofile\":%llu", (unsigned long long)(rl.rlim_cur - 64),
             (unsigned long long)rl.rlim_cur);
        cfg->max_connections = (unsigned long)(rl.rlim_cur - 64);
    }
}

static void log_model(const char *msg, const serve_model *sm, double ms) {
    sbuf b = {0};
    sb_str(&b, ",\"name\":");
    sb_str(&b, sm->name_json);
    sb_str(&b, ",\"kind\":");
    sb_json_str(&b, senti_model_kind(sm->m), strlen(senti_model_kind(sm->m)));
    sb_printf(&b, ",\"digest\":\"%s\",\"generation\":%u,\"file\":\"%s\",\"load_ms\":", sm->digest,
              sm->generation, sm->mapped ? "mapped" : "in memory");
    sb_double(&b, ms);
    if (!b.oom) slog_write(SLOG_INFO, msg, b.p, b.len);
    sb_free(&b);
}

static void reload(server *S) {
    char err[512];
    serve_model *nm;
    uint64_t t0 = now_ns();
    unsigned gen = S->generation + 1;
    if (serve_model_open(&S->cfg, gen, &nm, err, sizeof err)) {
        __atomic_fetch_add(&S->reloads_failed, 1, __ATOMIC_RELAXED);
        slog_s(SLOG_ERROR, "model reload failed; still serving the current model", "error", err);
        return;
    }
    pthread_mutex_lock(&S->model_lock);
    serve_model *old = S->model;
    S->model = nm;
    S->generation = gen;
    pthread_mutex_unlock(&S->model_lock);
    serve_model_release(old); /* freed when the last request using it is done */
    __atomic_fetch_add(&S->reloads_ok, 1, __ATOMIC_RELAXED);
    log_model("model reloaded", nm, (double)(now_ns() - t0) * 1e-6);
}

/* During the drain: wait until the clock passes until (ns), or, with until_idle, until no
 * request is in flight and every connection is closed, whichever comes first; SIGHUP still
 * reloads the model. Connections close as their clients are told (each answer while
 * draining carries "Connection: close") or reach their deadline: stopping the daemon with
 * one still open could cut a request its client has just sent. Returns 1 if SIGINT or
 * SIGTERM (a second signal) cut the wait short. */
static int drain_wait(server *S, const sigset_t *sigs, uint64_t until, int until_idle) {
    struct timespec tick = {0, 20 * 1000 * 1000};
    while (now_ns() < until &&
           !(until_idle && LOAD(S->inflight) == 0 && LOAD(S->connections) == 0)) {
        int sig = sigtimedwait(sigs, NULL, &tick);
        if (sig == SIGINT || sig == SIGTERM) return 1;
        if (sig == SIGHUP) reload(S);
        serve_reap(S);
    }
    return 0;
}

static const double latency_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                        0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
static const double predict_bounds[] = {1e-6,   2.5e-6, 5e-6,   1e-5, 2.5e-5, 5e-5,
                                        1e-4,   2.5e-4, 5e-4,   1e-3, 5e-3,   0.01, 0.1};
static const double batch_bounds[] = {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
static const double model_batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096};
static const double queue_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01,
                                      0.025,  0.05,    0.1,    0.25,  0.5,   1,     2.5, 10};

/* The queue in front of the model, if the model (or --batch-max) asks for batches. */
static int start_batcher(server *S, char *err, size_t errsz) {
    unsigned long hint = (unsigned long)senti_model_batch_hint(S->model->m);
    S->batch_max = S->cfg.batch_max ? S->cfg.batch_max : hint;
    slog(SLOG_INFO, "batching",
         ",\"batch_max\":%lu,\"model_hint\":%lu,\"workers\":%lu,\"wait_ms\":%.3f,\"queue\":%s", S->batch_max,
         hint, S->batch_max > 1 ? S->cfg.batch_workers : 0UL, S->cfg.batch_wait * 1e3,
         S->batch_max > 1 ? "true" : "false");
    if (S->batch_max <= 1) return 0;
    batcher_stats st = {&S->model_batch, &S->queue_wait, &S->predict_latency, &S->texts_scored,
                        &S->queue_expired};
    if (batcher_new(S->cfg.batch_workers, S->batch_max, S->cfg.batch_wait, S->cfg.batch_wait_always,
                    S->cfg.fault_delay_us, &st, &S->batcher)) {
        snprintf(err, errsz, "cannot start %lu batch workers", S->cfg.batch_workers);
        return -1;
    }
    return 0;
}

int cmd_serve(int argc, char **argv) {
    static server srv;
    server *S = &srv;
    int help = 0;
    if (parse_config(&S->cfg, argc, argv, &help)) return CLI_USAGE;
    if (help) {
        print_help(stdout);
        return CLI_OK;
    }
    char err[512];
    if (slog_open(S->cfg.log_dest, S->cfg.log_level, err, sizeof err)) {
        cli_error("serve", "%s", err);
        return CLI_USAGE;
    }
    int rc = CLI_FAIL;
    S->listen_fd = -1;
    S->start_time = unix_now();
    pthread_mutex_init(&S->model_lock, NULL);
    pthread_mutex_init(&S->conns_lock, NULL);
    for (int r = 0; r < RT_N; r++)
        hist_init(&S->latency[r], latency_bounds, sizeof latency_bounds / sizeof *latency_bounds, 1e-9);
    hist_init(&S->predict_latency, predict_bounds, sizeof predict_bounds / sizeof *predict_bounds, 1e-9);
    hist_init(&S->batch_size, batch_bounds, sizeof batch_bounds / sizeof *batch_bounds, 1);
    hist_init(&S->model_batch, model_batch_bounds, sizeof model_batch_bounds / sizeof *model_batch_bounds, 1);
    hist_init(&S->queue_wait, queue_bounds, sizeof queue_bounds / sizeof *queue_bounds, 1e-9);
    log_config(&S->cfg);
    web_init();
    fit_fd_limit(&S->cfg);

    /* Block the signals before any thread starts, so that only sigtimedwait sees them. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    uint64_t t0 = now_ns();
    if (serve_model_open(&S->cfg, 1, &S->model, err, sizeof err)) {
        slog_s(SLOG_ERROR, "cannot open the model", "error", err);
        cli_error("serve", "cannot open model '%s': %s", S->cfg.model.spec ? S->cfg.model.spec : "default", err);
        goto out;
    }
    S->generation = 1;
    log_model("model loaded", S->model, (double)(now_ns() - t0) * 1e-6);
    if (cache_new(S->cfg.cache_entries, (size_t)S->cfg.cache_bytes, S->cfg.cache_ttl, &S->cache) ||
        rl_new(S->cfg.rate, S->cfg.burst, S->cfg.rate_clients, &S->rl) ||
        connlimit_new(S->cfg.max_client_connections, &S->connlimit) ||
        !(S->trusted = split_list(S->cfg.trusted_proxies))) {
        slog_s(SLOG_ERROR, "out of memory", "where", "start-up");
        goto out;
    }
    if (redis_pool_new(S->cfg.redis_url, S->cfg.redis_timeout, S->cfg.cache_ttl, &S->redis, err, sizeof err)) {
        cli_error("serve", "%s", err);
        rc = CLI_USAGE;
        goto out;
    }
    if (start_batcher(S, err, sizeof err)) {
        slog_s(SLOG_ERROR, "cannot start the batch workers", "error", err);
        goto out;
    }
    if (listen_on(S->cfg.host, S->cfg.port, &S->listen_fd, &S->port, err, sizeof err) ||
        serve_http_start(S, err, sizeof err)) {
        slog_s(SLOG_ERROR, "cannot start the HTTP server", "error", err);
        cli_error("serve", "%s", err);
        goto out;
    }
    if (S->cfg.port_file && write_port_file(S->cfg.port_file, S->port)) {
        slog_s(SLOG_ERROR, "cannot write --port-file", "path", S->cfg.port_file);
        goto out;
    }
    slog(SLOG_INFO, "listening", ",\"host\":\"%s\",\"port\":%d,\"threads\":%lu,\"pid\":%d",
         S->cfg.host, S->port, S->cfg.threads, (int)getpid());

    /* ---- the signal loop ---- */
    struct timespec tick = {0, 100 * 1000 * 1000};
    for (;;) {
        int sig = sigtimedwait(&sigs, NULL, &tick);
        if (sig == SIGHUP) reload(S);
        else if (sig == SIGINT || sig == SIGTERM) {
            slog(SLOG_INFO, "draining", ",\"signal\":\"%s\",\"in_flight\":%llu",
                 sig == SIGINT ? "SIGINT" : "SIGTERM", (unsigned long long)LOAD(S->inflight));
            break;
        }
        serve_reap(S);
    }

    /* ---- drain: not ready; after --shutdown-delay no new connections; requests in flight
     * or already sent finish, answered with Connection: close; connections close once told ---- */
    STORE(S->draining, 1);
    int forced = 0;
    if (S->cfg.shutdown_delay > 0)
        forced = drain_wait(S, &sigs, now_ns() + (uint64_t)(S->cfg.shutdown_delay * 1e9), 0);
    serve_http_quiesce(S);
    if (!forced) forced = drain_wait(S, &sigs, now_ns() + (uint64_t)(S->cfg.drain_timeout * 1e9), 1);
    uint64_t left = LOAD(S->inflight), open_conns = LOAD(S->connections);
    /* texts still queued (a drain cut short) get 503 and their connections are resumed:
     * libmicrohttpd must not be stopped with a connection suspended */
    batcher_stop(S->batcher);
    serve_http_stop(S);
    if (left)
        slog(SLOG_WARN, forced ? "stopped by a second signal" : "drain timeout: requests abandoned",
             ",\"in_flight\":%llu", (unsigned long long)left);
    slog(SLOG_INFO, "stopped", ",\"requests_abandoned\":%llu,\"connections_closed_open\":%llu",
         (unsigned long long)left, (unsigned long long)open_conns);
    rc = CLI_OK;
out:
    batcher_stop(S->batcher);
    serve_http_stop(S);
    batcher_free(S->batcher);
    if (S->listen_fd >= 0) close(S->listen_fd);
    serve_model_release(S->model);
    cache_free(S->cache);
    rl_free(S->rl);
    connlimit_free(S->connlimit);
    redis_pool_free(S->redis);
    free_list(S->trusted);
    slog_close();
    return rc;
}

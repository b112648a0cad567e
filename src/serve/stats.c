/*
 * stats.c - the /metrics page (Prometheus text format 0.0.4).
 *
 * Names follow the Prometheus conventions (base units, _total for counters, _seconds and
 * _bytes suffixes); deploy/grafana-dashboard.json and deploy/alerts.yml use only these,
 * which tests/cli/serve.sh checks against a live scrape.
 */
#include <stdio.h>
#include <string.h>

#include "serve/serve.h"

#define LOAD(p) __atomic_load_n(&(p), __ATOMIC_RELAXED)

static void counter(sbuf *b, const char *name, const char *help, uint64_t v) {
    metric_head(b, name, "counter", help);
    sb_printf(b, "%s %llu\n", name, (unsigned long long)v);
}

static void gauge(sbuf *b, const char *name, const char *help, double v) {
    metric_head(b, name, "gauge", help);
    sb_printf(b, "%s ", name);
    sb_double(b, v);
    sb_put(b, "\n", 1);
}

void serve_metrics_render(server *S, sbuf *b) {
    sb_reserve(b, 16384);

    metric_head(b, "senti_build_info", "gauge", "senti version (value 1).");
    sb_printf(b, "senti_build_info{version=\"%s\"} 1\n", senti_version());

    serve_model *sm = serve_model_acquire(S);
    metric_head(b, "senti_model_info", "gauge", "The loaded model (value 1): kind, name, version, digest.");
    sb_str(b, "senti_model_info{kind=\"");
    sb_label(b, senti_model_kind(sm->m));
    sb_str(b, "\",name=\"");
    sb_label(b, sm->name);
    sb_str(b, "\",version=\"");
    sb_label(b, sm->version);
    sb_printf(b, "\",digest=\"%s\"} 1\n", sm->digest);
    gauge(b, "senti_model_generation", "Model generation: 1 at start, +1 per successful reload.",
          sm->generation);
    gauge(b, "senti_model_loaded_timestamp_seconds", "When the current model was loaded (unix time).",
          sm->loaded_at);
    serve_model_release(sm);
    metric_head(b, "senti_model_reloads_total", "counter", "Model reloads (SIGHUP) by result.");
    sb_printf(b, "senti_model_reloads_total{result=\"success\"} %llu\n",
              (unsigned long long)LOAD(S->reloads_ok));
    sb_printf(b, "senti_model_reloads_total{result=\"failure\"} %llu\n",
              (unsigned long long)LOAD(S->reloads_failed));
    gauge(b, "senti_ready", "1 when the service accepts traffic (model loaded, not draining).",
          LOAD(S->draining) ? 0 : 1);

    metric_head(b, "senti_http_requests_total", "counter", "HTTP requests answered, by route and status code.");
    for (int r = 0; r < RT_N; r++)
        for (int s = 100; s < 600; s++) {
            uint64_t v = LOAD(S->requests[r][s]);
            /* code 200 always, so that the series exist before the first request */
            if (v || s == 200)
                sb_printf(b, "senti_http_requests_total{route=\"%s\",code=\"%d\"} %llu\n",
                          serve_route_names[r], s, (unsigned long long)v);
        }
    metric_head(b, "senti_http_request_duration_seconds", "histogram",
                "Time from request headers to the end of the response, by route.");
    for (int r = 0; r < RT_N; r++) {
        char labels[64];
        snprintf(labels, sizeof labels, "route=\"%s\"", serve_route_names[r]);
        hist_render(b, "senti_http_request_duration_seconds", labels, &S->latency[r]);
    }
    gauge(b, "senti_http_requests_in_flight", "Requests being received, scored or answered.",
          (double)LOAD(S->inflight));
    gauge(b, "senti_http_max_in_flight", "The in-flight limit of scoring requests (--max-inflight).",
          (double)S->cfg.max_inflight);
    gauge(b, "senti_http_connections", "Open client connections.", (double)LOAD(S->connections));
    counter(b, "senti_http_connections_refused_total",
            "Connections closed at once (or requests refused with 429 through a trusted proxy) because "
            "the client had --max-client-connections open.",
            LOAD(S->refused_client));
    counter(b, "senti_http_rate_limited_total", "Requests refused with 429 by the per-client rate limit.",
            LOAD(S->rate_limited));
    counter(b, "senti_http_overloaded_total", "Requests refused with 503 by the in-flight limit.",
            LOAD(S->overloaded));
    counter(b, "senti_http_aborted_total", "Requests whose connection ended before the response was sent.",
            LOAD(S->aborted));
    metric_head(b, "senti_http_connection_timeouts_total", "counter",
                "Connections cut at their deadline: phase=request (--request-timeout), idle (--idle-timeout).");
    sb_printf(b, "senti_http_connection_timeouts_total{phase=\"request\"} %llu\n",
              (unsigned long long)LOAD(S->timeouts_request));
    sb_printf(b, "senti_http_connection_timeouts_total{phase=\"idle\"} %llu\n",
              (unsigned long long)LOAD(S->timeouts_idle));
    gauge(b, "senti_rate_limit_clients", "Clients with a token bucket.", (double)rl_clients(S->rl));

    metric_head(b, "senti_prediction_duration_seconds", "histogram", "Time to score one text (cache misses only).");
    hist_render(b, "senti_prediction_duration_seconds", "", &S->predict_latency);
    metric_head(b, "senti_batch_size", "histogram", "Texts per batch request.");
    hist_render(b, "senti_batch_size", "", &S->batch_size);
    counter(b, "senti_texts_scored_total", "Texts scored by the model (cache misses).", LOAD(S->texts_scored));

    /* the queue in front of the model (--batch-max > 1); the series exist, empty, without it */
    gauge(b, "senti_queue_batch_max", "Texts per model call at most (--batch-max, or the model's hint); 1: no queue.",
          (double)S->batch_max);
    gauge(b, "senti_queue_depth", "Texts waiting in the queue for a batch.", (double)batcher_depth(S->batcher));
    gauge(b, "senti_queue_workers_busy", "Batch workers scoring a batch now.", (double)batcher_busy(S->batcher));
    metric_head(b, "senti_queue_batch_size", "histogram", "Texts per model call from the queue.");
    hist_render(b, "senti_queue_batch_size", "", &S->model_batch);
    metric_head(b, "senti_queue_wait_seconds", "histogram",
                "Time a text waited in the queue before its batch was scored.");
    hist_render(b, "senti_queue_wait_seconds", "", &S->queue_wait);
    counter(b, "senti_queue_timeouts_total",
            "Texts answered 504 because --request-timeout passed while they were queued (never scored).",
            LOAD(S->queue_expired));

    cache_stats cs;
    cache_get_stats(S->cache, &cs);
    counter(b, "senti_cache_hits_total", "Local response cache hits.", cs.hits);
    counter(b, "senti_cache_misses_total", "Local response cache misses.", cs.misses);
    counter(b, "senti_cache_evictions_total", "Entries evicted to stay within --cache-entries / --cache-bytes.",
            cs.evictions);
    counter(b, "senti_cache_expirations_total", "Entries dropped after --cache-ttl.", cs.expirations);
    gauge(b, "senti_cache_entries", "Entries in the local response cache.", (double)cs.entries);
    gauge(b, "senti_cache_bytes", "Bytes held by the local response cache.", (double)cs.bytes);
    gauge(b, "senti_cache_max_entries", "--cache-entries (0: cache off).",
          S->cache ? (double)S->cfg.cache_entries : 0);
    gauge(b, "senti_cache_max_bytes", "--cache-bytes.", S->cache ? (double)S->cfg.cache_bytes : 0);
    redis_render_metrics(S->redis, b);

    process_metrics_render(b, S->start_time);
}

/* ---- GET /v1/stats: what the web page's Watch tab charts ---------------------------------- */

/* The scoring routes' latency as one histogram: the bucket bounds (seconds) and the counts
 * per bucket (not cumulative; the last is +Inf). The routes share their bounds (main.c). */
static void stats_latency(server *S, sbuf *b) {
    static const int routes[] = {RT_SENTIMENT, RT_BATCH, RT_EXPLAIN};
    const hist *h0 = &S->latency[RT_SENTIMENT];
    sb_str(b, ",\"latency\":{\"bounds\":[");
    for (int i = 0; i < h0->n; i++) {
        if (i) sb_put(b, ",", 1);
        sb_double(b, h0->bounds[i]);
    }
    sb_str(b, "],\"counts\":[");
    for (int i = 0; i <= h0->n; i++) {
        uint64_t v = 0;
        for (size_t r = 0; r < sizeof routes / sizeof *routes; r++) v += LOAD(S->latency[routes[r]].counts[i]);
        sb_printf(b, "%s%llu", i ? "," : "", (unsigned long long)v);
    }
    sb_str(b, "]}");
}

void serve_stats_json(server *S, sbuf *b) {
    sb_reserve(b, 1024);
    sb_str(b, "{\"time\":");
    sb_double(b, unix_now());
    sb_str(b, ",\"uptime\":");
    sb_double(b, unix_now() - S->start_time);
    sb_str(b, ",\"requests\":{");
    for (int r = 0; r < RT_N; r++) {
        uint64_t n = 0, err = 0;
        for (int s = 100; s < 600; s++) {
            uint64_t v = LOAD(S->requests[r][s]);
            n += v;
            if (s >= 400) err += v;
        }
        sb_str(b, r ? "," : "");
        sb_json_str(b, serve_route_names[r], strlen(serve_route_names[r]));
        sb_printf(b, ":{\"total\":%llu,\"errors\":%llu}", (unsigned long long)n, (unsigned long long)err);
    }
    cache_stats cs;
    cache_get_stats(S->cache, &cs);
    sb_printf(b, "},\"texts_scored\":%llu,\"cache\":{\"enabled\":%s,\"hits\":%llu,\"misses\":%llu}",
              (unsigned long long)LOAD(S->texts_scored), S->cache ? "true" : "false",
              (unsigned long long)cs.hits, (unsigned long long)cs.misses);
    sb_printf(b, ",\"in_flight\":%llu,\"connections\":%llu,\"rate_limited\":%llu",
              (unsigned long long)LOAD(S->inflight), (unsigned long long)LOAD(S->connections),
              (unsigned long long)LOAD(S->rate_limited));
    stats_latency(S, b);
    sb_put(b, "}", 1);
}

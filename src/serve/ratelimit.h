/*
 * ratelimit.h - token bucket per client.
 *
 * Each client (an address string) has a bucket of at most `burst` tokens that refills at
 * `rate` tokens per second; a request takes one token or is refused. Buckets live in a
 * sharded hash table bounded by max_clients: when it is full, the bucket idle the longest
 * is dropped (a client that comes back starts with a full bucket again; a bucket idle for
 * burst/rate seconds is full anyway, so only clients that were limited within that time
 * can gain from being dropped, and only under an address flood larger than max_clients).
 */
#ifndef SENTI_SERVE_RATELIMIT_H
#define SENTI_SERVE_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

typedef struct ratelimit ratelimit;

/* rate <= 0 disables limiting (rl_new returns 0 and *out = NULL). */
int rl_new(double rate, double burst, size_t max_clients, ratelimit **out);
void rl_free(ratelimit *rl);
/* 1: allowed (a token taken). 0: refused, *retry_after = seconds until a token is there. */
int rl_take(ratelimit *rl, const char *client, uint64_t now, double *retry_after);
size_t rl_clients(ratelimit *rl);

#endif

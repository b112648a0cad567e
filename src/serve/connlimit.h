/*
 * connlimit.h - open connections counted per client, so that one client cannot take every
 * connection slot (--max-client-connections).
 *
 * A client is what the rate limiter calls a client: the peer address, or, for a trusted
 * proxy with --proxy-header, the address the proxy names. Counts live in a hash table with
 * one entry per client that has a connection open (so it is bounded by --max-connections);
 * an entry is dropped when its count falls to zero.
 */
#ifndef SENTI_SERVE_CONNLIMIT_H
#define SENTI_SERVE_CONNLIMIT_H

#include <stddef.h>

typedef struct connlimit connlimit;

/* limit 0 disables counting (returns 0 and *out = NULL). -1 when out of memory. */
int connlimit_new(unsigned long limit, connlimit **out);
void connlimit_free(connlimit *cl);
/* 1 if the client has fewer than limit connections now (a cheap check before accepting). */
int connlimit_room(connlimit *cl, const char *client);
/* Count one more connection of the client: 1, or 0 (not counted) if that would pass the
 * limit; out of memory counts nothing and returns 1 (never refuse because of the counter). */
int connlimit_take(connlimit *cl, const char *client, int *counted);
/* One connection of the client closed (only after a take that set *counted). */
void connlimit_give(connlimit *cl, const char *client);

#endif

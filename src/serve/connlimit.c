/* connlimit.c - per-client connection counts (see connlimit.h): a chained hash table of
 * 1024 buckets behind one mutex; taken once when a connection opens (or is attributed to a
 * proxied client) and once when it closes, which is rare next to requests. */
#include "serve/connlimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define CL_BUCKETS 1024
#define CL_KEY_MAX 64

typedef struct centry {
    struct centry *next;
    unsigned long n;
    char key[CL_KEY_MAX];
} centry;

struct connlimit {
    unsigned long limit;
    pthread_mutex_t lock;
    centry *table[CL_BUCKETS];
};

int connlimit_new(unsigned long limit, connlimit **out) {
    *out = NULL;
    if (!limit) return 0;
    connlimit *cl = calloc(1, sizeof *cl);
    if (!cl) return -1;
    cl->limit = limit;
    pthread_mutex_init(&cl->lock, NULL);
    *out = cl;
    return 0;
}

void connlimit_free(connlimit *cl) {
    if (!cl) return;
    for (size_t i = 0; i < CL_BUCKETS; i++)
        for (centry *e = cl->table[i], *nx; e; e = nx) {
            nx = e->next;
            free(e);
        }
    pthread_mutex_destroy(&cl->lock);
    free(cl);
}

/* The slot where client's entry is or would be linked (under the lock). */
static centry **find(connlimit *cl, const char *client) {
    size_t klen = strnlen(client, CL_KEY_MAX - 1);
    centry **pp = &cl->table[XXH3_64bits(client, klen) & (CL_BUCKETS - 1)];
    while (*pp && !(!strncmp((*pp)->key, client, klen) && !(*pp)->key[klen])) pp = &(*pp)->next;
    return pp;
}

int connlimit_room(connlimit *cl, const char *client) {
    pthread_mutex_lock(&cl->lock);
    centry *e = *find(cl, client);
    int room = !e || e->n < cl->limit;
    pthread_mutex_unlock(&cl->lock);
    return room;
}

int connlimit_take(connlimit *cl, const char *client, int *counted) {
    *counted = 0;
    pthread_mutex_lock(&cl->lock);
    centry **pp = find(cl, client);
    if (!*pp && (*pp = calloc(1, sizeof **pp)))
        memcpy((*pp)->key, client, strnlen(client, CL_KEY_MAX - 1));
    int ok = 1;
    if (*pp) {
        if ((*pp)->n >= cl->limit) ok = 0;
        else (*pp)->n++, *counted = 1;
    }
    pthread_mutex_unlock(&cl->lock);
    return ok;
}

void connlimit_give(connlimit *cl, const char *client) {
    pthread_mutex_lock(&cl->lock);
    centry **pp = find(cl, client), *e = *pp;
    if (e && e->n && --e->n == 0) {
        *pp = e->next;
        free(e);
    }
    pthread_mutex_unlock(&cl->lock);
}

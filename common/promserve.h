/*
 * promserve.h: a daemon's Prometheus endpoint (`metricsListen`): a small
 * HTTP server on its own thread answering GET /metrics with the text the
 * daemon last published, so a scrape never waits for the daemon's loop
 * and the loop never waits for a scrape. Other paths answer 404, other
 * methods 405. The build picks one implementation: promserve_mhd.c
 * (libmicrohttpd) where the library is built in, promserve_none.c (every
 * start fails, saying so) elsewhere, as in the Windows build of
 * hvpolicy-node (docs/metrics.md). Called by controller/metrics.c and
 * node/nodemetrics.c.
 */
#ifndef HVP_PROMSERVE_H
#define HVP_PROMSERVE_H

#include <stdbool.h>

#include "strbuf.h"

#define PROMSERVE_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct promserve promserve;

/* Whether this build can serve metrics at all. */
bool promserve_available(void);
/* Serves on listen ("tcp://HOST:PORT", HOST an IPv4 address or "*").
 * NULL with *err (owned) when the address is malformed or cannot be
 * bound, or the build has no HTTP server. */
promserve *promserve_start(const char *listen, char **err);
/* Replaces the text scrapes get, taking text's buffer (text is
 * released: strbuf_init it to use it again). */
void promserve_publish(promserve *p, strbuf *text);
void promserve_stop(promserve **p);

#endif

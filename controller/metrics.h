/*
 * metrics.h: the controller's Prometheus endpoint (metricsListen). An HTTP
 * server on its own thread (common/promserve.h) answers GET /metrics with
 * the last text the loop published; the loop renders that text from its
 * own state every METRICS_REFRESH_MS, so a scrape never waits for the
 * loop and the loop never waits for a scrape. docs/metrics.md lists every
 * metric. Called by main.c (start, stop, every loop pass).
 */
#ifndef HVP_METRICS_H
#define HVP_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#define METRICS_REFRESH_MS 1000

struct server;

typedef struct metrics metrics;

/* Serves on listen ("tcp://HOST:PORT", HOST an IPv4 address or "*").
 * NULL with *err when it cannot bind. */
metrics *metrics_start(const char *listen, char **err);
/* Follows apply-to-converged timing at every pass; renders and publishes
 * the text when it is due. */
void metrics_tick(metrics *m, struct server *s);
void metrics_stop(metrics **m);

#endif

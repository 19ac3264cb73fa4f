/*
 * connguard.c: descriptor limit and connection cap (connguard.h).
 *
 * Why: libzmq 4.3.4 accepts connections in its I/O thread. Its TCP
 * listener treats EMFILE as "ignore this connection", but its IPC
 * listener asserts that accept() failed only with EAGAIN, EINTR,
 * ECONNABORTED, EPROTO or ENFILE (src/ipc_listener.cpp, accept()), so
 * once idle TCP connections have used every descriptor, the next CLI
 * call on the control socket aborts the controller ("Too many open
 * files (src/ipc_listener.cpp:325)"). Unbinding the node port to stop
 * accepting is no way out: accepted sessions are children of their
 * listener (src/stream_listener_base.cpp, create_engine()), so unbinding
 * would drop every node.
 *
 * How: a socket monitor (zmq_socket_monitor) reports ZMQ_EVENT_ACCEPTED
 * with the new descriptor and ZMQ_EVENT_DISCONNECTED when libzmq closes
 * one. A thread of ours reads those events as they come (not the event
 * loop, which may be busy) and keeps the set of open descriptors; a new
 * connection past the cap is shut down (shutdown(2), never close: the
 * descriptor stays libzmq's), libzmq sees it end and closes it. A
 * connection libzmq ends without an event (a session it replaced) is
 * found by a sweep that drops descriptors that are no longer TCP
 * sockets. The cap leaves CONNGUARD_RESERVE_MIN + limit /
 * CONNGUARD_RESERVE_DIV descriptors, more than a burst of connections
 * can take while the thread catches up.
 */
#include "connguard.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "log.h"
#include "platform.h"
#include "xalloc.h"

#define CONNGUARD_MAX_WATCH	4
#define CONNGUARD_MAX_FDS	(1L << 22)	/* bits in the open set */
#define CONNGUARD_POLL_MS	200
#define CONNGUARD_SWEEP_MS	1000

struct connguard {
	void *zctx;
	long limit;			/* descriptors, after raising */
	long cap;			/* TCP connections allowed open */
	void *socks[CONNGUARD_MAX_WATCH];	/* watched (main thread's) */
	void *pairs[CONNGUARD_MAX_WATCH];	/* monitor event readers */
	size_t npairs;
	void *thread;
	uint8_t *open_set;		/* bit per descriptor; thread only */
	long set_bits;
	atomic_long open;		/* connections open now */
	atomic_ulong refused;		/* shut down past the cap, ever */
	atomic_int stop;
	unsigned long refused_logged;	/* main thread only */
	bool at_cap_logged;
};

long
connguard_cap_for(long limit)
{
	long reserve = CONNGUARD_RESERVE_MIN + limit / CONNGUARD_RESERVE_DIV;

	return limit > reserve ? limit - reserve : 0;
}

connguard *
connguard_new(void *zctx, char **err)
{
	connguard *g;
	long before, after;

	if (platform_raise_nofile(&before, &after, err) == -1)
		return NULL;
	g = xcalloc(1, sizeof *g);
	g->zctx = zctx;
	g->limit = after;
	if (after < 0) {
		g->cap = -1;	/* no limit to guard */
		return g;
	}
	g->cap = connguard_cap_for(after);
	g->set_bits = after < CONNGUARD_MAX_FDS ? after : CONNGUARD_MAX_FDS;
	g->open_set = xcalloc((size_t)g->set_bits / 8 + 1, 1);
	if (before != after)
		log_info("descriptor limit raised from %ld to %ld (the hard "
		    "limit); at most %ld node and admin connections", before,
		    after, g->cap);
	else
		log_info("descriptor limit %ld (the hard limit); at most %ld "
		    "node and admin connections", after, g->cap);
	return g;
}

int
connguard_watch(connguard *g, void *sock, char **err)
{
	char endpoint[64];
	void *pair;
	int zero = 0;

	if (g->cap < 0)
		return 0;
	if (g->npairs == CONNGUARD_MAX_WATCH) {
		*err = xstrdup("connguard: too many sockets to watch");
		return -1;
	}
	snprintf(endpoint, sizeof endpoint, "inproc://hvp-connguard-%zu",
	    g->npairs);
	if (zmq_socket_monitor(sock, endpoint, ZMQ_EVENT_ACCEPTED |
	    ZMQ_EVENT_DISCONNECTED) == -1 ||
	    (pair = zmq_socket(g->zctx, ZMQ_PAIR)) == NULL) {
		*err = xasprintf("socket monitor: %s", zmq_strerror(zmq_errno()));
		return -1;
	}
	/* No high-water mark: libzmq's I/O thread blocks on a full monitor
	 * pipe, and no event may be lost. */
	zmq_setsockopt(pair, ZMQ_RCVHWM, &zero, sizeof zero);
	zmq_setsockopt(pair, ZMQ_LINGER, &zero, sizeof zero);
	if (zmq_connect(pair, endpoint) == -1) {
		*err = xasprintf("socket monitor %s: %s", endpoint,
		    zmq_strerror(zmq_errno()));
		zmq_close(pair);
		return -1;
	}
	g->socks[g->npairs] = sock;
	g->pairs[g->npairs++] = pair;
	return 0;
}

static bool
s_test(const connguard *g, long fd)
{
	return (g->open_set[fd / 8] >> (fd % 8)) & 1;
}

static void
s_set(connguard *g, long fd, bool on)
{
	if (on)
		g->open_set[fd / 8] |= (uint8_t)(1u << (fd % 8));
	else
		g->open_set[fd / 8] &= (uint8_t)~(1u << (fd % 8));
}

/* One monitor event: 6 bytes (event, value) then the endpoint. */
static void
s_event(connguard *g, void *pair)
{
	zmq_msg_t m;
	uint16_t event;
	uint32_t value;
	long fd;
	int more;

	zmq_msg_init(&m);
	if (zmq_msg_recv(&m, pair, ZMQ_DONTWAIT) == -1) {
		zmq_msg_close(&m);
		return;
	}
	more = zmq_msg_more(&m);
	if (zmq_msg_size(&m) >= 6) {
		memcpy(&event, zmq_msg_data(&m), 2);
		memcpy(&value, (char *)zmq_msg_data(&m) + 2, 4);
		fd = (long)value;
		if (fd >= 0 && fd < g->set_bits) {
			if (event == ZMQ_EVENT_ACCEPTED && !s_test(g, fd)) {
				s_set(g, fd, true);
				atomic_fetch_add(&g->open, 1);
			} else if (event == ZMQ_EVENT_DISCONNECTED &&
			    s_test(g, fd)) {
				s_set(g, fd, false);
				atomic_fetch_sub(&g->open, 1);
			}
			if (event == ZMQ_EVENT_ACCEPTED &&
			    atomic_load(&g->open) > g->cap &&
			    platform_shutdown_tcp(fd) == 0)
				atomic_fetch_add(&g->refused, 1);
		}
	}
	zmq_msg_close(&m);
	while (more) {		/* the endpoint frame */
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, pair, 0) == -1)
			more = 0;
		else
			more = zmq_msg_more(&m);
		zmq_msg_close(&m);
	}
}

/* Drops descriptors libzmq closed without an event. */
static void
s_sweep(connguard *g)
{
	for (long fd = 0; fd < g->set_bits; fd++) {
		if (g->open_set[fd / 8] == 0) {
			fd += 7 - fd % 8;
			continue;
		}
		if (s_test(g, fd) && !platform_fd_is_tcp(fd)) {
			s_set(g, fd, false);
			atomic_fetch_sub(&g->open, 1);
		}
	}
}

static void
s_run(void *arg)
{
	connguard *g = arg;
	zmq_pollitem_t items[CONNGUARD_MAX_WATCH];
	int64_t next_sweep = platform_mono_ms() + CONNGUARD_SWEEP_MS;

	for (size_t i = 0; i < g->npairs; i++)
		items[i] = (zmq_pollitem_t){ g->pairs[i], 0, ZMQ_POLLIN, 0 };
	while (!atomic_load(&g->stop)) {
		int rc = zmq_poll(items, (int)g->npairs, CONNGUARD_POLL_MS);

		if (rc == -1 && zmq_errno() == ETERM)
			break;
		for (size_t i = 0; rc > 0 && i < g->npairs; i++) {
			int ev = 0;
			size_t len = sizeof ev;

			/* Drain: events come in bursts under a flood. */
			while (zmq_getsockopt(g->pairs[i], ZMQ_EVENTS, &ev,
			    &len) == 0 && (ev & ZMQ_POLLIN))
				s_event(g, g->pairs[i]);
		}
		if (platform_mono_ms() >= next_sweep) {
			s_sweep(g);
			next_sweep = platform_mono_ms() + CONNGUARD_SWEEP_MS;
		}
	}
}

int
connguard_start(connguard *g, char **err)
{
	if (g->npairs == 0)
		return 0;
	if ((g->thread = zmq_threadstart(s_run, g)) == NULL) {
		*err = xstrdup("connguard: cannot start its thread");
		return -1;
	}
	return 0;
}

void
connguard_tick(connguard *g)
{
	unsigned long refused;
	long open;

	if (g == NULL || g->cap < 0)
		return;
	refused = atomic_load(&g->refused);
	open = atomic_load(&g->open);
	if (refused != g->refused_logged) {
		log_warnx("refused %lu new node connections: %ld open, at the "
		    "cap of %ld (descriptor limit %ld)",
		    refused - g->refused_logged, open, g->cap, g->limit);
		g->refused_logged = refused;
		g->at_cap_logged = true;
	} else if (g->at_cap_logged && open < g->cap) {
		log_info("accepting node connections again: %ld open, cap %ld",
		    open, g->cap);
		g->at_cap_logged = false;
	}
}

void
connguard_free(connguard **gp)
{
	connguard *g = *gp;

	if (g == NULL)
		return;
	/* Monitors first: one left without its reader would block the
	 * thread that emits the next event. */
	for (size_t i = 0; i < g->npairs; i++)
		zmq_socket_monitor(g->socks[i], NULL, 0);
	if (g->thread) {
		atomic_store(&g->stop, 1);
		zmq_threadclose(g->thread);
	}
	for (size_t i = 0; i < g->npairs; i++)
		zmq_close(g->pairs[i]);
	free(g->open_set);
	free(g);
	*gp = NULL;
}

long
connguard_cap(const connguard *g)
{
	return g->cap;
}

long
connguard_open(const connguard *g)
{
	return atomic_load(&g->open);
}

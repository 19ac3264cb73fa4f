/*
 * zmqbase.c: hvpolicy-zmqbase, the baseline of the controller's memory
 * figure (bench/bench-clusters, docs/performance.md): what libzmq alone
 * keeps for N CURVE connections, with none of hvpolicy's state. Two
 * roles, one process each, so the benchmark reads the server's resident
 * memory from outside as it reads the controller's:
 *
 *   hvpolicy-zmqbase serve --listen ENDPOINT
 *       a ROUTER with a CURVE server key and a ZAP handler that accepts
 *       every client (the controller's socket, options and allocator
 *       settings, without its checks); answers every message with 100
 *       bytes. Prints its public key (Z85) on the first line of standard
 *       output, then serves until SIGTERM.
 *   hvpolicy-zmqbase connect --connect ENDPOINT --server-key KEY
 *       [--connections N] [--first-bytes B] [--bytes B] [--period-ms MS]
 *       [--seconds S]
 *       N DEALER clients over CURVE: each sends one message of
 *       --first-bytes (a node's first inventory), then one of --bytes
 *       every --period-ms (a heartbeat), for --seconds (0: until killed).
 *
 * A bench tool, not part of the product: it uses libzmq directly.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "platform.h"
#include "xalloc.h"

#define S_REPLY_BYTES 100
#define S_RELEASE_MS (60 * 1000)

static volatile sig_atomic_t s_stop;

static void
s_on_signal(int sig)
{
	(void)sig;
	s_stop = 1;
}

static void
s_die(const char *what)
{
	fprintf(stderr, "hvpolicy-zmqbase: %s: %s\n", what,
	    zmq_strerror(zmq_errno()));
	exit(1);
}

/* RFC 27: version, request id, status "200", text, user id, metadata. */
static void
s_zap_answer(void *zap)
{
	zmq_msg_t part[8];
	int n = 0, more = 1;
	size_t len = sizeof more;

	while (more && n < 8) {
		zmq_msg_init(&part[n]);
		if (zmq_msg_recv(&part[n], zap, ZMQ_DONTWAIT) == -1) {
			zmq_msg_close(&part[n]);
			break;
		}
		zmq_getsockopt(zap, ZMQ_RCVMORE, &more, &len);
		n++;
	}
	if (n >= 2) {
		zmq_send(zap, "1.0", 3, ZMQ_SNDMORE);
		zmq_send(zap, zmq_msg_data(&part[1]), zmq_msg_size(&part[1]),
		    ZMQ_SNDMORE);
		zmq_send(zap, "200", 3, ZMQ_SNDMORE);
		zmq_send(zap, "OK", 2, ZMQ_SNDMORE);
		zmq_send(zap, "node", 4, ZMQ_SNDMORE);
		zmq_send(zap, "", 0, 0);
	}
	for (int i = 0; i < n; i++)
		zmq_msg_close(&part[i]);
}

static void
s_echo(void *router)
{
	static const char reply[S_REPLY_BYTES];
	zmq_msg_t id, body;

	zmq_msg_init(&id);
	zmq_msg_init(&body);
	if (zmq_msg_recv(&id, router, ZMQ_DONTWAIT) != -1 &&
	    zmq_msg_recv(&body, router, ZMQ_DONTWAIT) != -1) {
		zmq_send(router, zmq_msg_data(&id), zmq_msg_size(&id),
		    ZMQ_SNDMORE | ZMQ_DONTWAIT);
		zmq_send(router, reply, sizeof reply, ZMQ_DONTWAIT);
	}
	zmq_msg_close(&id);
	zmq_msg_close(&body);
}

static int
s_serve(const char *listen)
{
	char pub[41], sec[41];
	void *ctx, *zap, *router;
	int one = 1, zero = 0;
	int64_t next_release = platform_mono_ms() + S_RELEASE_MS;

	platform_tune_allocator();
	if (zmq_curve_keypair(pub, sec) == -1)
		s_die("zmq_curve_keypair");
	ctx = zmq_ctx_new();
	zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 65536);
	zap = zmq_socket(ctx, ZMQ_REP);
	if (zmq_bind(zap, "inproc://zeromq.zap.01") == -1)
		s_die("bind ZAP");
	router = zmq_socket(ctx, ZMQ_ROUTER);
	zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(router, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
	zmq_setsockopt(router, ZMQ_CURVE_SERVER, &one, sizeof one);
	zmq_setsockopt(router, ZMQ_CURVE_SECRETKEY, sec, 40);
	zmq_setsockopt(router, ZMQ_ZAP_DOMAIN, "node", 4);
	if (zmq_bind(router, listen) == -1)
		s_die("bind");
	printf("%s\n", pub);
	fflush(stdout);
	while (!s_stop) {
		zmq_pollitem_t it[2] = { { router, 0, ZMQ_POLLIN, 0 },
		    { zap, 0, ZMQ_POLLIN, 0 } };

		if (zmq_poll(it, 2, 1000) < 0 && zmq_errno() != EINTR)
			s_die("zmq_poll");
		if (it[0].revents & ZMQ_POLLIN)
			for (int k = 0; k < 256; k++)
				s_echo(router);
		if (it[1].revents & ZMQ_POLLIN)
			s_zap_answer(zap);
		if (platform_mono_ms() >= next_release) {
			platform_release_free_memory();
			next_release = platform_mono_ms() + S_RELEASE_MS;
		}
	}
	zmq_close(router);
	zmq_close(zap);
	zmq_ctx_term(ctx);
	return 0;
}

typedef struct s_client_opts {
	const char *connect, *server_key;
	long connections, first_bytes, bytes, period_ms, seconds;
} s_client_opts;

static int
s_connect(const s_client_opts *o)
{
	char pub[41], sec[41];
	void *ctx = zmq_ctx_new(), **socks;
	char *first = xcalloc(1, (size_t)o->first_bytes + 1);
	char *beat = xcalloc(1, (size_t)o->bytes + 1), buf[256];
	int64_t start = platform_mono_ms(), *next;
	int zero = 0;

	if (zmq_curve_keypair(pub, sec) == -1)
		s_die("zmq_curve_keypair");
	zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, (int)o->connections + 64);
	socks = xcalloc((size_t)o->connections + 1, sizeof *socks);
	next = xcalloc((size_t)o->connections + 1, sizeof *next);
	for (long i = 0; i < o->connections; i++) {
		void *d = zmq_socket(ctx, ZMQ_DEALER);

		if (d == NULL)
			s_die("zmq_socket");
		zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
		zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, o->server_key, 40);
		zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, pub, 40);
		zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, sec, 40);
		if (zmq_connect(d, o->connect) == -1)
			s_die("zmq_connect");
		zmq_send(d, first, (size_t)o->first_bytes, ZMQ_DONTWAIT);
		socks[i] = d;
		next[i] = start + o->period_ms * (i + 1) / o->connections;
	}
	while (!s_stop && (o->seconds == 0 ||
	    platform_mono_ms() - start < o->seconds * 1000)) {
		int64_t now = platform_mono_ms();

		for (long i = 0; i < o->connections; i++) {
			while (zmq_recv(socks[i], buf, sizeof buf,
			    ZMQ_DONTWAIT) >= 0)
				;
			if (now >= next[i]) {
				zmq_send(socks[i], beat, (size_t)o->bytes,
				    ZMQ_DONTWAIT);
				next[i] = now + o->period_ms;
			}
		}
		platform_sleep_ms(10);
	}
	for (long i = 0; i < o->connections; i++)
		zmq_close(socks[i]);
	zmq_ctx_term(ctx);
	free(socks);
	free(next);
	free(first);
	free(beat);
	return 0;
}

static long
s_number(const char *flag, const char *v)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (*v == '\0' || *end != '\0' || n < 0) {
		fprintf(stderr, "hvpolicy-zmqbase: %s wants a number, not '%s'\n",
		    flag, v);
		exit(64);
	}
	return n;
}

int
main(int argc, char **argv)
{
	s_client_opts o = { NULL, NULL, 1000, 50000, 200, 5000, 0 };
	const char *listen = NULL;

	signal(SIGTERM, s_on_signal);
	signal(SIGINT, s_on_signal);
	if (argc < 2) {
		fprintf(stderr, "usage: hvpolicy-zmqbase serve --listen EP | "
		    "connect --connect EP --server-key KEY [--connections N] "
		    "[--first-bytes B] [--bytes B] [--period-ms MS] "
		    "[--seconds S]\n");
		return 64;
	}
	for (int i = 2; i + 1 < argc; i += 2) {
		const char *f = argv[i], *v = argv[i + 1];

		if (strcmp(f, "--listen") == 0)
			listen = v;
		else if (strcmp(f, "--connect") == 0)
			o.connect = v;
		else if (strcmp(f, "--server-key") == 0)
			o.server_key = v;
		else if (strcmp(f, "--connections") == 0)
			o.connections = s_number(f, v);
		else if (strcmp(f, "--first-bytes") == 0)
			o.first_bytes = s_number(f, v);
		else if (strcmp(f, "--bytes") == 0)
			o.bytes = s_number(f, v);
		else if (strcmp(f, "--period-ms") == 0)
			o.period_ms = s_number(f, v) ? s_number(f, v) : 1;
		else if (strcmp(f, "--seconds") == 0)
			o.seconds = s_number(f, v);
		else {
			fprintf(stderr, "hvpolicy-zmqbase: unknown flag %s\n", f);
			return 64;
		}
	}
	if (strcmp(argv[1], "serve") == 0 && listen)
		return s_serve(listen);
	if (strcmp(argv[1], "connect") == 0 && o.connect && o.server_key &&
	    strlen(o.server_key) == 40 && o.connections > 0)
		return s_connect(&o);
	fprintf(stderr, "hvpolicy-zmqbase: serve needs --listen; connect needs "
	    "--connect, a 40-character --server-key and --connections >= 1\n");
	return 64;
}

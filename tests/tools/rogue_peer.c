/*
 * rogue_peer.c: a hostile node-key holder for the adversarial tests. It
 * connects to the controller's node port with a real key over CURVE,
 * presenting a routing id of its choice (another node's name), again and
 * again, and counts the messages that reach it. The controller must send
 * it nothing and must not drop the real owner of that name.
 *
 * usage: hvp-rogue-peer ENDPOINT CONTROLLER_KEY SECRET_KEY ROUTING_ID
 *        SECONDS RECONNECTS
 * Prints "received N" and exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "keys.h"
#include "platform.h"

static void *
s_connect(void *ctx, char **argv)
{
	void *s = zmq_socket(ctx, ZMQ_DEALER);
	char *err = NULL;
	int zero = 0;

	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
	zmq_setsockopt(s, ZMQ_ROUTING_ID, argv[4], strlen(argv[4]));
	if (keys_curve_client(s, argv[3], argv[2], &err) == -1) {
		fprintf(stderr, "rogue: %s\n", err);
		exit(1);
	}
	if (zmq_connect(s, argv[1]) == -1) {
		fprintf(stderr, "rogue: connect: %s\n", zmq_strerror(zmq_errno()));
		exit(1);
	}
	return s;
}

int
main(int argc, char **argv)
{
	void *ctx = zmq_ctx_new(), *s;
	long seconds, rounds, received = 0;

	if (argc != 7) {
		fprintf(stderr, "usage: hvp-rogue-peer ENDPOINT CONTROLLER_KEY "
		    "SECRET_KEY ROUTING_ID SECONDS RECONNECTS\n");
		return 64;
	}
	seconds = atol(argv[5]);
	rounds = atol(argv[6]) > 0 ? atol(argv[6]) : 1;
	for (long r = 0; r < rounds; r++) {
		int64_t end = platform_mono_ms() + seconds * 1000 / rounds;

		s = s_connect(ctx, argv);
		while (platform_mono_ms() < end) {
			zmq_pollitem_t it = { s, 0, ZMQ_POLLIN, 0 };
			zmq_msg_t m;

			if (zmq_poll(&it, 1, 100) != 1)
				continue;
			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, s, ZMQ_DONTWAIT) >= 0 &&
			    !zmq_msg_more(&m))
				received++;
			zmq_msg_close(&m);
		}
		zmq_close(s);
	}
	printf("received %ld\n", received);
	zmq_ctx_term(ctx);
	return 0;
}

/*
 * promserve_mhd.c: promserve.h over libmicrohttpd, whose internal polling
 * thread answers scrapes; the published text sits behind a mutex (C11
 * <threads.h>), copied out for each answer.
 */
#include "promserve.h"

#include <microhttpd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "log.h"
#include "platform.h"
#include "xalloc.h"

#define S_TIMEOUT_S 10		/* an idle scrape connection */
#define S_MAX_CONNECTIONS 64

struct promserve {
	struct MHD_Daemon *daemon;
	mtx_t lock;
	char *text;		/* under lock */
	size_t len;
};

bool
promserve_available(void)
{
	return true;
}

static enum MHD_Result
s_answer(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **state)
{
	promserve *p = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned code = MHD_HTTP_OK;
	char *body;
	size_t len;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)state;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		code = MHD_HTTP_METHOD_NOT_ALLOWED;
		body = xstrdup("GET /metrics\n");
		len = strlen(body);
	} else if (strcmp(url, "/metrics") != 0) {
		code = MHD_HTTP_NOT_FOUND;
		body = xstrdup("not found: the metrics are at /metrics\n");
		len = strlen(body);
	} else {
		mtx_lock(&p->lock);
		len = p->len;
		body = xmalloc(len + 1);
		memcpy(body, p->text ? p->text : "", len);
		mtx_unlock(&p->lock);
	}
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    PROMSERVE_CONTENT_TYPE);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* "tcp://HOST:PORT" into host and port. */
static int
s_endpoint(const char *listen, char **host, unsigned *port, char **err)
{
	const char *p = strncmp(listen, "tcp://", 6) == 0 ? listen + 6 : NULL;
	const char *colon = p ? strrchr(p, ':') : NULL;
	unsigned long v;
	char *end;

	if (colon == NULL || colon == p) {
		*err = xasprintf("metricsListen '%s': expected tcp://HOST:PORT",
		    listen);
		return -1;
	}
	v = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || v == 0 || v > 65535) {
		*err = xasprintf("metricsListen '%s': bad port", listen);
		return -1;
	}
	*host = xstrndup(p, (size_t)(colon - p));
	*port = (unsigned)v;
	return 0;
}

promserve *
promserve_start(const char *listen, char **err)
{
	promserve *p;
	void *addr = NULL;
	size_t alen = 0;
	char *host = NULL;
	unsigned port = 0;

	if (s_endpoint(listen, &host, &port, err) == -1)
		return NULL;
	if (platform_inet_addr(host, port, &addr, &alen, err) == -1) {
		free(host);
		return NULL;
	}
	free(host);
	p = xcalloc(1, sizeof *p);
	mtx_init(&p->lock, mtx_plain);
	p->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_ERROR_LOG, (uint16_t)port, NULL, NULL, s_answer, p,
	    MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)S_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)S_MAX_CONNECTIONS, MHD_OPTION_END);
	free(addr);
	if (p->daemon == NULL) {
		*err = xasprintf("metricsListen %s: cannot listen (address in "
		    "use?)", listen);
		promserve_stop(&p);
		return NULL;
	}
	log_info("metrics at http://%s/metrics", listen + 6);
	return p;
}

void
promserve_publish(promserve *p, strbuf *text)
{
	size_t len = text->len;
	char *data = strbuf_detach(text, NULL);

	mtx_lock(&p->lock);
	free(p->text);
	p->text = data;
	p->len = len;
	mtx_unlock(&p->lock);
}

void
promserve_stop(promserve **pp)
{
	promserve *p = pp ? *pp : NULL;

	if (p == NULL)
		return;
	if (p->daemon)
		MHD_stop_daemon(p->daemon);
	mtx_destroy(&p->lock);
	free(p->text);
	free(p);
	*pp = NULL;
}

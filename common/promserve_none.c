/*
 * promserve_none.c: promserve.h for builds without libmicrohttpd (the
 * Windows build of hvpolicy-node): there is no endpoint, and a config
 * that asks for one is refused at start with this reason.
 */
#include "promserve.h"

#include "xalloc.h"

bool
promserve_available(void)
{
	return false;
}

promserve *
promserve_start(const char *listen, char **err)
{
	*err = xasprintf("metricsListen %s: this build has no metrics "
	    "endpoint (it is built without libmicrohttpd)", listen);
	return NULL;
}

void
promserve_publish(promserve *p, strbuf *text)
{
	(void)p;
	strbuf_release(text);
}

void
promserve_stop(promserve **p)
{
	if (p)
		*p = NULL;
}

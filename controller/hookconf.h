/*
 * hookconf.h: the `webhooks:` section of the controller's config: a list
 * of endpoints, each with a name, a URL, the file of its HMAC secret, and
 * optional filters on event types and drift status. Pure parsing and
 * checking (the secret file is read here too); errors name the key path
 * and line. Called by controller/main.c at start; webhooks.c delivers.
 */
#ifndef HVP_HOOKCONF_H
#define HVP_HOOKCONF_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "ydoc.h"

#define HOOKCONF_MAX_ENDPOINTS 32
#define HOOKCONF_MAX_SECRET 4096
#define HOOKCONF_DEFAULT_MAX_BACKOFF_S 300

typedef struct hook_endpoint {
	char *name;		/* [A-Za-z0-9._-], unique */
	char *url;		/* http:// or https:// */
	uint8_t *secret;	/* the secret file's content, trailing white
				 * space removed */
	size_t secret_len;
	char *types;		/* ",drift,plan," or NULL (every type) */
	char *statuses;		/* ",open,failed," or NULL (every status) */
	int max_backoff_s;	/* cap of the retry delay */
	int timeout_s;		/* one request */
} hook_endpoint;

/* Reads the `webhooks` node of a parsed config (NULL: none). 0 with an
 * owned array (maybe empty), or -1 with diagnostics in d. */
int hookconf_parse(const ydoc *doc, const ynode *list, hook_endpoint **out,
    size_t *n, diag_list *d);
/* Loads `webhooks` from a config file (NULL file: none). */
int hookconf_load(const char *file, hook_endpoint **out, size_t *n,
    diag_list *d);
void hookconf_free(hook_endpoint **list, size_t n);
/* Frees one endpoint's fields (the secret wiped first) and zeroes it. */
void hookconf_endpoint_clear(hook_endpoint *e);

#endif

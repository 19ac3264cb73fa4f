/*
 * webhooks.c: event delivery to webhook endpoints (webhooks.h).
 *
 * Threads are C11 <threads.h>; each worker touches only its own store
 * connection, curl handle and (under its mutex) its view. The loop only
 * signals (webhooks_notify) and copies views: it never waits on a
 * request. Signature: HMAC-SHA256 of the exact body with the endpoint's
 * secret (libsodium crypto_auth_hmacsha256), hex, in X-Hvpolicy-Signature
 * as "sha256=HEX" (the form GitHub's X-Hub-Signature-256 made common).
 */
#include "webhooks.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>

#include "events.h"
#include "log.h"
#include "store.h"
#include "strbuf.h"
#include "xalloc.h"

#define S_BATCH 20
#define S_IDLE_MS 1000
#define S_STORE_RETRY_MS 5000

typedef struct s_worker {
	struct webhooks *set;
	hook_endpoint *e;	/* owned: &own */
	hook_endpoint own;
	thrd_t thread;
	bool started;
	/* A reloaded endpoint's worker starts once the worker it replaces
	 * has finished (one worker per endpoint name at a time: one cursor,
	 * one order). The loop's own. */
	struct s_worker *after;
	mtx_t lock;
	cnd_t wake;
	bool stop;		/* under lock */
	bool done;		/* the thread has ended, under lock */
	int64_t top;		/* newest event notified, under lock */
	webhook_view view;	/* under lock */
	/* A line for the log, written by the loop (the log is not the
	 * workers' to write: it keeps state for rate limiting). Under lock. */
	char note[256];
	bool note_warn;
} s_worker;

struct webhooks {
	char *data_dir;
	char *cluster;
	s_worker **workers;	/* the configured endpoints, in config order */
	size_t n;
	s_worker **retiring;	/* stopping: removed or replaced endpoints */
	size_t nretiring, cap_retiring;
};

/* ---- waiting ---- */

static struct timespec
s_deadline(int ms)
{
	struct timespec ts;

	timespec_get(&ts, TIME_UTC);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static bool
s_after(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}

/* Sleeps up to ms; with news, wakes early when an event after the cursor
 * is notified. False when stopping. */
static bool
s_wait(s_worker *k, int ms, bool news)
{
	struct timespec until = s_deadline(ms), now;
	bool go;

	mtx_lock(&k->lock);
	for (;;) {
		if (k->stop || (news && k->top > k->view.delivered))
			break;
		timespec_get(&now, TIME_UTC);
		if (s_after(&now, &until))
			break;
		cnd_timedwait(&k->wake, &k->lock, &until);
	}
	go = !k->stop;
	mtx_unlock(&k->lock);
	return go;
}

static bool
s_running(s_worker *k)
{
	bool go;

	mtx_lock(&k->lock);
	go = !k->stop;
	mtx_unlock(&k->lock);
	return go;
}

/* Leaves a line for the loop to log (a newer one replaces one not yet
 * logged). */
static void
s_note(s_worker *k, bool warn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
s_note(s_worker *k, bool warn, const char *fmt, ...)
{
	va_list ap;

	mtx_lock(&k->lock);
	va_start(ap, fmt);
	vsnprintf(k->note, sizeof k->note, fmt, ap);
	va_end(ap);
	k->note_warn = warn;
	mtx_unlock(&k->lock);
}

/* ---- one request ---- */

static size_t
s_discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

static void
s_sign(const hook_endpoint *e, const strbuf *body, char hex[65])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_init(&st, e->secret, e->secret_len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body->data,
	    body->len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, 65, mac, sizeof mac);
}

static struct curl_slist *
s_headers(const s_worker *k, const store_event *ev, const strbuf *body,
    int attempt)
{
	struct curl_slist *h = NULL;
	char line[256], sig[65];

	s_sign(k->e, body, sig);
	h = curl_slist_append(h, "Content-Type: application/json");
	snprintf(line, sizeof line, "Idempotency-Key: %s:%lld",
	    k->set->cluster, (long long)ev->seq);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof line, "X-Hvpolicy-Event: %lld",
	    (long long)ev->seq);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof line, "X-Hvpolicy-Event-Type: %s", ev->type);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof line, "X-Hvpolicy-Cluster: %s", k->set->cluster);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof line, "X-Hvpolicy-Delivery-Attempt: %d",
	    attempt);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof line, "X-Hvpolicy-Signature: sha256=%s", sig);
	h = curl_slist_append(h, line);
	/* No "Expect: 100-continue" round trip for small bodies. */
	h = curl_slist_append(h, "Expect:");
	return h;
}

/* libcurl's progress callback: a non-zero answer aborts the transfer, so
 * a stopping worker leaves a request to a silent endpoint within about a
 * second (libcurl calls it at least that often) rather than at its
 * timeout. */
static int
s_abort_if_stopping(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return s_running(arg) ? 0 : 1;
}

/* POSTs one event; 0 on a 2xx answer, else -1 with why in err. */
static int
s_post(s_worker *k, CURL *curl, const store_event *ev, int attempt,
    char *err, size_t errlen)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	struct curl_slist *h;
	long code = 0;
	CURLcode rc;
	strbuf body;
	jsonw j;

	strbuf_init(&body);
	jsonw_init(&j, &body, false);
	events_json(k->set->cluster, ev, &j);
	h = s_headers(k, ev, &body, attempt);
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, k->e->url);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body.len);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "hvpolicy-controller");
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)k->e->timeout_s);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, s_discard);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, s_abort_if_stopping);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, k);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	strbuf_release(&body);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", curl_err[0] ? curl_err :
		    curl_easy_strerror(rc));
		return -1;
	}
	if (code < 200 || code > 299) {
		snprintf(err, errlen, "HTTP %ld", code);
		return -1;
	}
	return 0;
}

/* ---- the worker ---- */

static void
s_save(s_worker *k, store *st)
{
	store_webhook_cursor c;
	char *err = NULL;

	mtx_lock(&k->lock);
	c.delivered = k->view.delivered;
	c.deliveries = k->view.deliveries;
	c.failures = k->view.failures;
	mtx_unlock(&k->lock);
	if (store_set_webhook_cursor(st, k->e->name, &c, &err) == -1) {
		s_note(k, true, "webhook %s: %s", k->e->name, err);
		free(err);
	}
}

/* After one try of event ev: the view and the cursor. Returns the
 * number of failed tries of this event so far. */
static int
s_record(s_worker *k, store *st, const store_event *ev, bool ok,
    const char *why)
{
	int attempt;

	mtx_lock(&k->lock);
	if (ok) {
		k->view.delivered = ev->seq;
		k->view.deliveries++;
		k->view.attempt = 0;
		k->view.last_error[0] = '\0';
	} else {
		k->view.failures++;
		k->view.attempt++;
		snprintf(k->view.last_error, sizeof k->view.last_error,
		    "event %lld: %s", (long long)ev->seq, why);
	}
	attempt = k->view.attempt;
	mtx_unlock(&k->lock);
	s_save(k, st);
	return attempt;
}

static int
s_backoff_ms(const s_worker *k, int attempt)
{
	int64_t ms = 1000LL << (attempt > 20 ? 20 : attempt - 1);
	int64_t cap = (int64_t)k->e->max_backoff_s * 1000;

	return (int)(ms < cap ? ms : cap);
}

/* Tries the events after the cursor once each, in order, until one
 * fails. False when stopping. */
static bool
s_deliver(s_worker *k, store *st, CURL *curl)
{
	store_event_filter f = { 0 };
	store_event *list = NULL;
	size_t n = 0;
	char *err = NULL, why[160];
	bool go = true;

	mtx_lock(&k->lock);
	f.after = k->view.delivered;
	mtx_unlock(&k->lock);
	f.types = k->e->types;
	f.statuses = k->e->statuses;
	f.limit = S_BATCH;
	if (store_list_events(st, &f, &list, &n, NULL, &err) == -1) {
		s_note(k, true, "webhook %s: %s", k->e->name, err);
		free(err);
		return s_wait(k, S_IDLE_MS, false);
	}
	if (n == 0)
		go = s_wait(k, S_IDLE_MS, true);
	for (size_t i = 0; go && i < n; i++) {
		int attempt = k->view.attempt + 1;	/* only we write it */

		if (s_post(k, curl, &list[i], attempt, why, sizeof why) == 0) {
			if (attempt > 1)
				s_note(k, false, "webhook %s: event %lld delivered "
				    "after %d tries", k->e->name,
				    (long long)list[i].seq, attempt);
			s_record(k, st, &list[i], true, NULL);
			go = s_running(k);
			continue;
		}
		if (!(go = s_running(k)))
			break;		/* aborted: not the endpoint's failure */
		attempt = s_record(k, st, &list[i], false, why);
		if (attempt == 1 || attempt % 10 == 0)
			s_note(k, true, "webhook %s: event %lld not delivered (try "
			    "%d): %s; retrying", k->e->name,
			    (long long)list[i].seq, attempt, why);
		go = s_wait(k, s_backoff_ms(k, attempt), false);
		break;
	}
	store_event_list_free(&list, n);
	return go;
}

static store *
s_open_store(s_worker *k)
{
	store *st;
	char *err = NULL;

	while ((st = store_open(k->set->data_dir, &err)) == NULL) {
		s_note(k, true, "webhook %s: %s", k->e->name, err);
		free(err);
		err = NULL;
		if (!s_wait(k, S_STORE_RETRY_MS, false))
			return NULL;
	}
	return st;
}

static int
s_main(void *arg)
{
	s_worker *k = arg;
	store_webhook_cursor c;
	store *st;
	CURL *curl;
	char *err = NULL;

	if ((st = s_open_store(k)) == NULL) {
		mtx_lock(&k->lock);
		k->done = true;
		mtx_unlock(&k->lock);
		return 0;
	}
	if (store_get_webhook_cursor(st, k->e->name, &c, &err) == -1) {
		s_note(k, true, "webhook %s: %s", k->e->name, err);
		free(err);
		memset(&c, 0, sizeof c);
	}
	mtx_lock(&k->lock);
	k->view.delivered = c.delivered;
	k->view.deliveries = c.deliveries;
	k->view.failures = c.failures;
	mtx_unlock(&k->lock);
	if ((curl = curl_easy_init()) == NULL)
		s_note(k, true, "webhook %s: cannot make a curl handle",
		    k->e->name);
	while (curl && s_deliver(k, st, curl))
		store_tick(st);	/* this connection's lock-wait budget */
	if (curl)
		curl_easy_cleanup(curl);
	store_free(&st);
	mtx_lock(&k->lock);
	k->done = true;
	mtx_unlock(&k->lock);
	return 0;
}

/* ---- one worker ---- */

/* A worker for e, whose fields it takes (e is left zeroed); not started. */
static s_worker *
s_worker_new(webhooks *w, hook_endpoint *e)
{
	s_worker *k = xcalloc(1, sizeof *k);

	k->set = w;
	k->own = *e;
	memset(e, 0, sizeof *e);
	k->e = &k->own;
	k->view.name = k->e->name;
	k->view.url = k->e->url;
	k->view.types = k->e->types;
	k->view.statuses = k->e->statuses;
	mtx_init(&k->lock, mtx_plain);
	cnd_init(&k->wake);
	return k;
}

static int
s_worker_start(s_worker *k)
{
	if (thrd_create(&k->thread, s_main, k) != thrd_success)
		return -1;
	k->started = true;
	log_info("webhook %s: delivering to %s", k->e->name, k->e->url);
	return 0;
}

static void
s_worker_stop(s_worker *k)
{
	mtx_lock(&k->lock);
	k->stop = true;
	cnd_signal(&k->wake);
	mtx_unlock(&k->lock);
}

/* Whether the thread has ended (or never began). */
static bool
s_worker_done(s_worker *k)
{
	bool done;

	if (!k->started)
		return true;
	mtx_lock(&k->lock);
	done = k->done;
	mtx_unlock(&k->lock);
	return done;
}

/* Joins (waiting for a thread still running) and frees. */
static void
s_worker_free(s_worker **kp)
{
	s_worker *k = *kp;

	if (k == NULL)
		return;
	if (k->started)
		thrd_join(k->thread, NULL);
	mtx_destroy(&k->lock);
	cnd_destroy(&k->wake);
	hookconf_endpoint_clear(&k->own);
	free(k);
	*kp = NULL;
}

/* Logs what the worker left to log. */
static void
s_worker_flush_note(s_worker *k)
{
	char note[sizeof k->note];
	bool warn;

	mtx_lock(&k->lock);
	memcpy(note, k->note, sizeof note);
	warn = k->note_warn;
	k->note[0] = '\0';
	mtx_unlock(&k->lock);
	if (note[0] && warn)
		log_warnx("%s", note);
	else if (note[0])
		log_info("%s", note);
}

/* ---- the set ---- */

webhooks *
webhooks_start(const char *data_dir, const char *cluster, hook_endpoint *list,
    size_t n, char **err)
{
	webhooks *w = xcalloc(1, sizeof *w);

	w->data_dir = xstrdup(data_dir);
	w->cluster = xstrdup(cluster);
	w->workers = xcalloc(n + 1, sizeof *w->workers);
	for (size_t i = 0; i < n; i++)
		w->workers[w->n++] = s_worker_new(w, &list[i]);
	hookconf_free(&list, n);	/* the emptied shells */
	for (size_t i = 0; i < w->n; i++) {
		if (s_worker_start(w->workers[i]) == -1) {
			*err = xasprintf("webhook %s: cannot start its thread",
			    w->workers[i]->e->name);
			webhooks_stop(&w);
			return NULL;
		}
	}
	return w;
}

static bool
s_str_same(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

/* Whether an endpoint's config is unchanged (its worker can go on). */
static bool
s_endpoint_same(const hook_endpoint *a, const hook_endpoint *b)
{
	return strcmp(a->name, b->name) == 0 && strcmp(a->url, b->url) == 0 &&
	    a->secret_len == b->secret_len &&
	    memcmp(a->secret, b->secret, a->secret_len) == 0 &&
	    s_str_same(a->types, b->types) &&
	    s_str_same(a->statuses, b->statuses) &&
	    a->max_backoff_s == b->max_backoff_s &&
	    a->timeout_s == b->timeout_s;
}

static void
s_retire(webhooks *w, s_worker *k)
{
	s_worker_stop(k);
	xgrow(&w->retiring, &w->cap_retiring, w->nretiring + 1,
	    sizeof *w->retiring);
	w->retiring[w->nretiring++] = k;
}

/* The worker for endpoint e (taking its fields) in the new set: the
 * running one when e is unchanged, else a new one, which waits for the
 * one it replaces. */
static s_worker *
s_reload_one(webhooks *w, hook_endpoint *e, webhooks_reload_counts *c)
{
	s_worker *old = NULL, *k;

	for (size_t i = 0; i < w->n && old == NULL; i++)
		if (w->workers[i] && strcmp(w->workers[i]->e->name, e->name) == 0) {
			old = w->workers[i];
			w->workers[i] = NULL;
		}
	if (old && s_endpoint_same(old->e, e)) {
		hookconf_endpoint_clear(e);
		c->kept++;
		return old;
	}
	k = s_worker_new(w, e);
	if (old == NULL) {
		c->added++;
		return k;
	}
	/* Until it starts, status shows where the old one was. */
	mtx_lock(&old->lock);
	k->view.delivered = old->view.delivered;
	k->view.deliveries = old->view.deliveries;
	k->view.failures = old->view.failures;
	mtx_unlock(&old->lock);
	/* A replacement that never started waits for what it waited for. */
	k->after = old->started ? old : old->after;
	s_retire(w, old);
	c->changed++;
	log_info("webhook %s: changed; its worker restarts", k->e->name);
	return k;
}

void
webhooks_reload(webhooks *w, hook_endpoint *list, size_t n,
    webhooks_reload_counts *c)
{
	s_worker **next = xcalloc(n + 1, sizeof *next);

	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < n; i++)
		next[i] = s_reload_one(w, &list[i], c);
	hookconf_free(&list, n);
	for (size_t i = 0; i < w->n; i++) {
		if (w->workers[i] == NULL)
			continue;
		log_info("webhook %s: removed from the config; delivery stops",
		    w->workers[i]->e->name);
		s_retire(w, w->workers[i]);
		c->removed++;
	}
	free(w->workers);
	w->workers = next;
	w->n = n;
	webhooks_notify(w, 0);	/* starts the new ones that can start */
}

/* Frees the retired workers whose threads ended; starts the workers
 * that were waiting for them. */
static void
s_reap(webhooks *w)
{
	size_t kept = 0;

	for (size_t i = 0; i < w->nretiring; i++) {
		s_worker *k = w->retiring[i];

		s_worker_flush_note(k);
		if (!s_worker_done(k)) {
			w->retiring[kept++] = k;
			continue;
		}
		for (size_t j = 0; j < w->n; j++)
			if (w->workers[j]->after == k)
				w->workers[j]->after = NULL;
		s_worker_free(&k);
	}
	w->nretiring = kept;
	for (size_t i = 0; i < w->n; i++) {
		s_worker *k = w->workers[i];

		if (k->started || k->after != NULL)
			continue;
		if (s_worker_start(k) == -1)
			log_warnx("webhook %s: cannot start its thread; trying "
			    "again", k->e->name);
	}
}

void
webhooks_notify(webhooks *w, int64_t top)
{
	if (w == NULL)
		return;
	s_reap(w);
	for (size_t i = 0; i < w->n; i++) {
		s_worker *k = w->workers[i];

		mtx_lock(&k->lock);
		if (top > k->top) {
			k->top = top;
			cnd_signal(&k->wake);
		}
		mtx_unlock(&k->lock);
		s_worker_flush_note(k);
	}
}

size_t
webhooks_count(const webhooks *w)
{
	return w ? w->n : 0;
}

void
webhooks_view(webhooks *w, size_t i, webhook_view *out)
{
	s_worker *k = w->workers[i];

	mtx_lock(&k->lock);
	*out = k->view;
	mtx_unlock(&k->lock);
}

void
webhooks_stop(webhooks **wp)
{
	webhooks *w = wp ? *wp : NULL;

	if (w == NULL)
		return;
	for (size_t i = 0; i < w->n; i++)
		s_worker_stop(w->workers[i]);
	for (size_t i = 0; i < w->n; i++)
		s_worker_free(&w->workers[i]);
	for (size_t i = 0; i < w->nretiring; i++)
		s_worker_free(&w->retiring[i]);
	free(w->workers);
	free(w->retiring);
	free(w->cluster);
	free(w->data_dir);
	free(w);
	*wp = NULL;
}

/*
 * zap.h: the controller's ZAP handler (ZeroMQ RFC 27): the one place that
 * decides which CURVE keys may connect and binds each key to a name. It
 * answers on inproc://zeromq.zap.01 with a REP socket in the controller's
 * context, from the controller's own poll loop (no thread): add
 * zap_socket() to zmq_poll and call zap_handle() when it is readable.
 * Callers: controller/main.c (startup, poll loop, SIGHUP).
 *
 * Decisions:
 * - CURVE, key in nodeKeys: accepted, User-Id = the node name (the key
 *   file's name); wire_recv() hands it to the controller with each message.
 * - CURVE, key in adminKeys: accepted, User-Id = "admin:NAME".
 * - A socket whose ZMQ_ZAP_DOMAIN is ZAP_DOMAIN_NODES admits node keys
 *   only, ZAP_DOMAIN_ADMIN admin keys only; any other domain node keys,
 *   then admin keys. Set the domains so neither kind reaches the other's
 *   port.
 * - Any other key: refused ("400") and logged with the key (public keys
 *   are not secret) and the peer address, once a minute per key at most.
 * - NULL mechanism (insecure mode, only consulted when the socket has a
 *   ZAP domain): accepted with an empty User-Id.
 * - PLAIN and anything else: refused.
 *
 * zap_new() must run before any CURVE socket of the context binds: libzmq
 * admits every key when no handler is bound.
 */
#ifndef HVP_ZAP_H
#define HVP_ZAP_H

#include <stddef.h>

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_DOMAIN_NODES "hvpolicy.nodes"
#define ZAP_DOMAIN_ADMIN "hvpolicy.admin"
#define ZAP_ADMIN_PREFIX "admin:"
#define ZAP_READER_PREFIX "admin-read:"

typedef struct zap zap;

/* Loads node_keys_dir (NULL: no node keys) and admin_keys_dir (NULL: no
 * admin keys) and binds the handler in zmq_ctx. NULL with an owned *err
 * when a directory cannot be loaded or the endpoint is taken. */
zap *zap_new(void *zmq_ctx, const char *node_keys_dir,
    const char *admin_keys_dir, char **err);
void zap_free(zap **z);
/* Loads the read-only admin keys (adminReadKeys; NULL: none), admitted
 * with User-Id "admin-read:NAME"; zap_reload re-reads them too. A key in
 * both directories is a full admin. */
int zap_set_read_keys(zap *z, const char *dir, char **err);
/* The REP socket to poll for ZMQ_POLLIN. Borrowed. */
void *zap_socket(zap *z);
/* Answers the pending requests (at most a bounded batch per call, so the
 * loop stays responsive; zmq_poll reports the rest). */
void zap_handle(zap *z);
/* Re-reads both directories (SIGHUP). When either fails to load, keeps
 * both current tables and returns -1 with *err; 0 otherwise. */
int zap_reload(zap *z, char **err);
size_t zap_node_key_count(const zap *z);
size_t zap_admin_key_count(const zap *z);

#endif

/*
 * restore.h: the controller's state at start, from the store: the current
 * policy revision, the newest serialization plan and every node's record
 * (role, acknowledgements, last inventory), all marked offline until they
 * speak to this process. Called by main.c once, after the store is open.
 */
#ifndef HVP_RESTORE_H
#define HVP_RESTORE_H

#include "server.h"

int restore_state(server *s, char **err);

#endif

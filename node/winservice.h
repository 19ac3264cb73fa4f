/*
 * winservice.h: hvpolicy-node as a Windows service (winsvc.c; winstub.c in
 * other builds). Called by node/main.c before anything else:
 *
 *   hvpolicy-node install-service --config FILE   registers the service
 *   hvpolicy-node uninstall-service                stops and removes it
 *   hvpolicy-node configure-service                sets recovery actions
 *                                                  and the event source of
 *                                                  the installed service
 *   hvpolicy-node run-service --config FILE        what the service control
 *                                                  manager starts
 */
#ifndef HVP_NODE_WINSERVICE_H
#define HVP_NODE_WINSERVICE_H

#include <stdbool.h>

#define WINSVC_INSTALL		"install-service"
#define WINSVC_UNINSTALL	"uninstall-service"
#define WINSVC_RUN		"run-service"
#define WINSVC_CONFIGURE	"configure-service"
#define WINSVC_NAME		"hvpolicy-node"

/* True when argv[1] is one of the commands above. */
bool winsvc_is_command(int argc, char **argv);
/* Runs it; returns the process exit code. */
int winsvc_main(int argc, char **argv);

/* Defined by common/platform_win.c: sets the terminate flag the daemon
 * installed with platform_signals_install (stop and shutdown requests). */
void platform_win_request_terminate(void);

#endif

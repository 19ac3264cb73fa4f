/*
 * ctlsock.c: binds the local control socket for this user and root only
 * (ctlsock.h).
 *
 * How the uid is checked: libzmq 4.3's IPC listener, built with
 * SO_PEERCRED (Linux; Debian's libzmq5 is), reads each accepted
 * connection's credentials and closes it unless its uid is in the set
 * given with ZMQ_IPC_FILTER_UID (src/ipc_listener.cpp, filter()). The
 * option is listed as deprecated in zmq.h but kept and working in 4.3;
 * a build without SO_PEERCRED refuses the option, and then the socket's
 * mode and directory are the only guard (logged at start).
 */
#include "ctlsock.h"

#include <stdlib.h>
#include <zmq.h>

#include "log.h"
#include "platform.h"
#include "xalloc.h"

/* Lets only uid and root connect; false when libzmq cannot check. */
static bool
s_filter_uids(void *sock)
{
	int uids[2] = { (int)platform_uid(), 0 };

	if (uids[0] < 0)
		return false;
	for (size_t i = 0; i < 2; i++)
		if (zmq_setsockopt(sock, ZMQ_IPC_FILTER_UID, &uids[i],
		    sizeof uids[i]) == -1)
			return false;
	return true;
}

int
ctlsock_bind(void *sock, const char *path, char **err)
{
	char *dir = platform_dirname(path), *endpoint, *user;
	unsigned old_mask;
	bool filtered;
	int rc;

	rc = platform_private_dir(dir, err);
	free(dir);
	if (rc == -1) {
		char *why = *err;

		*err = xasprintf("control socket %s: %s", path, why);
		free(why);
		return -1;
	}
	filtered = s_filter_uids(sock);
	endpoint = xasprintf("ipc://%s", path);
	old_mask = platform_umask(0077);
	rc = zmq_bind(sock, endpoint);
	platform_umask(old_mask);
	if (rc == -1) {
		*err = xasprintf("cannot bind %s: %s", endpoint,
		    zmq_strerror(zmq_errno()));
		free(endpoint);
		return -1;
	}
	free(endpoint);
	if (platform_check_private(path, err) == -1)
		return -1;
	user = platform_user_of(platform_uid());
	if (platform_uid() != 0) {
		char *both = xasprintf("%s and root", user);

		free(user);
		user = both;
	}
	if (filtered)
		log_info("control socket %s: only %s may connect (peer uid "
		    "checked)", path, user);
	else
		log_warnx("control socket %s: this libzmq cannot check a "
		    "peer's uid; the socket's mode and directory are the only "
		    "guard", path);
	free(user);
	return 0;
}

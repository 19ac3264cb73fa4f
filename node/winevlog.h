/*
 * winevlog.h: the daemon's log lines in the Windows Application log
 * (winevlog.c; winstub.c answers elsewhere). winevlog_open() registers the
 * `hvpolicy` event source and hooks the log module (log_set_hook): every
 * line eventid.h gives an ID goes to the Event Log as well as to standard
 * error. winevlog_register() writes the source's registry key (what the
 * MSI writes too) for install-service. Called by node/main.c and
 * winsvc.c.
 */
#ifndef HVP_NODE_WINEVLOG_H
#define HVP_NODE_WINEVLOG_H

void winevlog_open(void);
void winevlog_close(void);
/* 0, or -1 with an owned *err. */
int winevlog_register(const char *exe_path, char **err);

#endif

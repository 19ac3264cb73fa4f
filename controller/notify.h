/*
 * notify.h: the controller's messages to its service manager (notify.c):
 * ready, stopping, and the watchdog's keep-alive, over sd_notify(3).
 * Without systemd (no $NOTIFY_SOCKET, or built with HVP_SYSTEMD=OFF)
 * every call does nothing. Called by controller/main.c.
 */
#ifndef HVP_NOTIFY_H
#define HVP_NOTIFY_H

/* READY=1 with a STATUS= line: the store is open, the sockets bound. */
void notify_ready(const char *status);
/* STOPPING=1: shutdown has begun. */
void notify_stopping(void);
/* WATCHDOG=1 when the unit sets WatchdogSec= and half of it has passed
 * since the last one; call it from the main loop's tick. */
void notify_watchdog(void);

#endif

/*
 * notify.c: sd_notify(3) for Type=notify units (notify.h). The watchdog
 * interval comes from sd_watchdog_enabled(3) once; keep-alives go at
 * half of it, as sd_watchdog_enabled(3) advises, so one slow tick does
 * not get the controller killed but a loop stuck for the whole
 * WatchdogSec= does.
 */
#include "notify.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "platform.h"

#ifdef HVP_SYSTEMD
#include <systemd/sd-daemon.h>

static int64_t s_interval_ms = -1;	/* -1: not asked yet; 0: no watchdog */
static int64_t s_last_ms;

void
notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status ? status : "running");
}

void
notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void
notify_watchdog(void)
{
	uint64_t usec = 0;
	int64_t now = platform_mono_ms();

	if (s_interval_ms == -1)
		s_interval_ms = sd_watchdog_enabled(0, &usec) > 0 ?
		    (int64_t)(usec / 1000) : 0;
	if (s_interval_ms == 0 || now - s_last_ms < s_interval_ms / 2)
		return;
	s_last_ms = now;
	sd_notify(0, "WATCHDOG=1");
}

#else

void
notify_ready(const char *status)
{
	(void)status;
}

void
notify_stopping(void)
{
}

void
notify_watchdog(void)
{
}

#endif

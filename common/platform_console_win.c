/*
 * platform_console_win.c: the Windows console's width (platform.h), for
 * the CLI's table fitting. Kept apart from platform_win.c only so that
 * the two can be merged without conflict; built on Windows alone.
 */
#include "platform.h"

#include <windows.h>

unsigned
platform_stdout_columns(void)
{
	CONSOLE_SCREEN_BUFFER_INFO info;
	HANDLE h = GetStdHandle(STD_OUTPUT_HANDLE);

	if (h == NULL || h == INVALID_HANDLE_VALUE ||
	    !GetConsoleScreenBufferInfo(h, &info))
		return 0;
	return (unsigned)(info.srWindow.Right - info.srWindow.Left + 1);
}

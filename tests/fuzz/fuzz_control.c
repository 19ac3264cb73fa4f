/*
 * fuzz_control.c: the controller's admin-request handler: arbitrary bytes
 * as an AdminRequest payload, with a real store behind it.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	server *s = fuzz_server();

	control_request(s, NULL, "cli", 3, NULL, data, size);
	return 0;
}

/*
 * fuzz_control.c: the controller's admin-request handler: arbitrary bytes
 * as an AdminRequest payload, with a real store behind it.
 */
#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "fuzz_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const wire_rid rid = { 3, { 'c', 'l', 'i' } };
	server *s = fuzz_server();

	control_request(s, NULL, &rid, NULL, data, size);
	return 0;
}

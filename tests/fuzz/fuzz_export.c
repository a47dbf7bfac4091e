/*
 * libFuzzer target: exports/NAME.yml. Any bytes give an export definition
 * or a one-line error naming the file and line, never a crash or a leak.
 */
#include <stdint.h>

#include "pond/export.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pond_arena *a = pond_arena_new();
	if (!a)
		return 0;
	pond_error err = POND_ERROR_INIT;
	pond_export *e;
	(void)pond_export_parse(&e, "fuzz", (const char *)data, size, "exports/fuzz.yml", a, &err);
	pond_arena_free(&a);
	return 0;
}

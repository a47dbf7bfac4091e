/*
 * libFuzzer target: sources/NAME.yml. Any bytes give a source or a
 * one-line error naming the file and line, never a crash or a leak.
 */
#include <stdint.h>

#include "pond/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pond_arena *a = pond_arena_new();
	if (!a)
		return 0;
	pond_error err = POND_ERROR_INIT;
	pond_source *s;
	if (pond_source_parse(&s, "fuzz", (const char *)data, size, "sources/fuzz.yml", NULL, a, &err) == 0) {
		(void)pond_source_name(s);
		(void)pond_source_type(s);
		(void)pond_source_table(s);
	}
	pond_arena_free(&a);
	return 0;
}

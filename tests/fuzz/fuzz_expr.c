/*
 * libFuzzer target: the filter-expression parser (pond inspect --filter,
 * scan planning). Any text gives an expression or a one-line error, never
 * a crash or a leak.
 */
#include <stdint.h>
#include <string.h>

#include "pond/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pond_arena *a = pond_arena_new();
	char *text = pond_malloc(size + 1);
	if (a && text) {
		memcpy(text, data, size);
		text[size] = '\0';
		pond_error err = POND_ERROR_INIT;
		pond_expr *e;
		(void)pond_expr_parse(&e, text, a, &err);
	}
	pond_free(text);
	pond_arena_free(&a);
	return 0;
}

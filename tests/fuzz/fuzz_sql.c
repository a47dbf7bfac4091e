/*
 * libFuzzer target: pond's SQL lexer (script splitting, statement ends in
 * the shell, table-name finding). Any text must tokenize to the end
 * without reading past it, and splitting must give statements made only of
 * the input's own bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pond/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	const char *p = text;
	pond_sql_token t;
	size_t guard = 0;
	while (pond_sql_next_token(&p, &t)) {
		if (t.start < text || t.start + t.len > text + strlen(text) || ++guard > size + 1)
			abort();
	}
	(void)pond_sql_is_complete(text);
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	char **stmts;
	size_t n;
	if (a && pond_sql_split(text, a, &stmts, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++)
			if (strlen(stmts[i]) > strlen(text))
				abort();
	}
	pond_arena_free(&a);
	free(text);
	return 0;
}

/*
 * libFuzzer target: API pagination, the part that reads what a server
 * sends back: the JSON body (cursor and next-URL paths) and the Link
 * header, for every pagination kind. The first byte picks the kind, the
 * input up to a newline is the Link header, the rest the body. Never a
 * crash, a leak or a loop.
 */
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "ingest/ingest_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	pond_arena *a = pond_arena_new();
	char *text = pond_malloc(size);
	if (!a || !text) {
		pond_free(text);
		pond_arena_free(&a);
		return 0;
	}
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	char *nl = strchr(text, '\n');
	const char *body_text = nl ? nl + 1 : "";
	if (nl)
		*nl = '\0';
	ingest_paginate cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.type = (ingest_page_type)(data[0] % 6);
	cfg.start = data[0] & 0x40 ? 0 : 1;
	cfg.max_pages = 3;
	cfg.param = "page";
	cfg.path = "$.next.cursor";
	cfg.size_param = "limit";
	cfg.size = 10;
	ingest_pager p;
	pond__ingest_pager_init(&p, &cfg);
	json_t *body = json_loads(body_text, JSON_DECODE_ANY, NULL);
	pond_error err = POND_ERROR_INIT;
	for (int page = 0; page < 3 && !p.done; page++) {
		ingest_kv params[2];
		(void)pond__ingest_pager_params(&p, params, a);
		if (pond__ingest_pager_advance(&p, (size_t)page + 1, body, text, "https://api.example/v1/items", a, &err))
			break;
	}
	json_decref(body);
	pond_free(text);
	pond_arena_free(&a);
	return 0;
}

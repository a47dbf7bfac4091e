/*
 * libFuzzer target: the NEAR Lake source's readers of outside input. The
 * input is a JSON object read both as a block.json (at the height its
 * header claims, so the row is written) and as a shard_N.json of a fixed
 * block, with the rows of both tables written; a listing prefix is read
 * from the input's first line too. Never a crash, a leak or a loop.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ingest/near.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pond_arena *a = pond_arena_new();
	FILE *out = fopen("/dev/null", "w");
	char prefix[64];
	size_t n = size < sizeof(prefix) - 1 ? size : sizeof(prefix) - 1;
	memcpy(prefix, data, n);
	prefix[n] = '\0';
	char *nl = strchr(prefix, '\n');
	if (nl)
		*nl = '\0';
	int64_t height = 0;
	(void)pond__near_height_prefix(prefix, &height);
	json_t *doc = json_loadb((const char *)data, size, JSON_DISABLE_EOF_CHECK, NULL);
	if (a && out && doc) {
		pond_error err = POND_ERROR_INIT;
		json_t *h = json_object_get(json_object_get(doc, "header"), "height");
		near_block b = {0};
		(void)pond__near_block_row(out, &b, doc, json_is_integer(h) ? json_integer_value(h) : 1, "block.json", a,
		                           &err);
		near_block fixed = {12, "H", "2024-01-01T00:00:00.000000Z", 1};
		int64_t ntx = 0, nrx = 0;
		(void)pond__near_shard_rows(out, out, &ntx, &nrx, &fixed, doc, "shard_0.json", a, &err);
	}
	json_decref(doc);
	if (out)
		fclose(out);
	pond_arena_free(&a);
	return 0;
}

/*
 * libFuzzer target for outside metadata input: table metadata JSON (plain
 * or gzip) is parsed, validated, written, read again and must write the
 * same text; the same bytes are also read as a REST commit request and,
 * when they parse, applied to a small table.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pond/iceberg.h"

static void fuzz_metadata(const uint8_t *data, size_t size)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_metadata *md = NULL, *again = NULL;
	char *text = NULL, *text2 = NULL;
	if (pond_iceberg_metadata_parse(&md, data, size, "fuzz", &err))
		return;
	if (pond_iceberg_metadata_serialize(&text, md, false, &err) == 0 &&
	    pond_iceberg_metadata_parse(&again, text, strlen(text), "fuzz again", &err) == 0 &&
	    pond_iceberg_metadata_serialize(&text2, again, false, &err) == 0 && strcmp(text, text2) != 0)
		abort(); /* a round trip must be exact */
	pond_free(text);
	pond_free(text2);
	pond_iceberg_metadata_free(&again);
	pond_iceberg_metadata_free(&md);
}

static void fuzz_commit(const uint8_t *data, size_t size)
{
	static const char base_json[] =
		"{\"format-version\":2,\"table-uuid\":\"9c12d441-03fe-4693-9a96-a0705ddf69c1\",\"location\":\"/t\","
		"\"last-sequence-number\":1,\"last-updated-ms\":1,\"last-column-id\":2,\"current-schema-id\":0,"
		"\"schemas\":[{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"x\",\"required\":true,"
		"\"type\":\"long\"},{\"id\":2,\"name\":\"s\",\"required\":false,\"type\":\"string\"}]}],"
		"\"default-spec-id\":0,\"partition-specs\":[{\"spec-id\":0,\"fields\":[]}],\"last-partition-id\":999,"
		"\"default-sort-order-id\":0,\"sort-orders\":[{\"order-id\":0,\"fields\":[]}],\"current-snapshot-id\":5,"
		"\"snapshots\":[{\"snapshot-id\":5,\"sequence-number\":1,\"timestamp-ms\":1,\"manifest-list\":\"/m\","
		"\"summary\":{\"operation\":\"append\"}}]}";
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_commit *c = NULL;
	pond_iceberg_metadata *base = NULL, *out = NULL;
	if (pond_iceberg_commit_parse(&c, (const char *)data, size, &err))
		return;
	if (pond_iceberg_metadata_parse(&base, base_json, sizeof(base_json) - 1, "base", &err))
		abort();
	pond_iceberg_apply_options opts = POND_ICEBERG_APPLY_OPTIONS_INIT;
	opts.base_metadata_location = "/t/metadata/00000-x.metadata.json";
	opts.now_ms = 2;
	if (pond_iceberg_metadata_apply(&out, base, c->requirements, c->nrequirements, c->updates, c->nupdates, &opts,
	                                &err) == 0) {
		char *text = NULL;
		pond_iceberg_metadata *again = NULL;
		if (pond_iceberg_metadata_serialize(&text, out, false, &err) == 0 &&
		    pond_iceberg_metadata_parse(&again, text, strlen(text), "applied", &err) != 0)
			abort(); /* applied metadata must read back */
		pond_free(text);
		pond_iceberg_metadata_free(&again);
		pond_iceberg_metadata_free(&out);
	}
	for (size_t i = 0; i < c->nupdates; i++)
		json_decref(pond_iceberg_update_to_json(&c->updates[i]));
	pond_iceberg_metadata_free(&base);
	pond_iceberg_commit_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_metadata(data, size);
	fuzz_commit(data, size);
	return 0;
}

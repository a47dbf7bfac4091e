/*
 * libFuzzer target: the BigQuery source's readers of outside input. The
 * input is an API answer (JSON): its schema is parsed, its rows turned
 * into NDJSON lines, the DuckDB types and select list built; the same
 * text is also read as a service-account key, an error body and a
 * TIMESTAMP cell. Never a crash, a leak or a loop.
 */
#include <stdint.h>
#include <string.h>

#include "ingest/bigquery.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pond_arena *a = pond_arena_new();
	char *text = pond_malloc(size + 1);
	if (!a || !text) {
		pond_free(text);
		pond_arena_free(&a);
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	pond_error err = POND_ERROR_INIT;
	int64_t us;
	bq_key key;
	(void)pond__bq_timestamp_us(text, &us);
	(void)pond__bq_error_message(text, size, a);
	(void)pond__bq_key_parse(&key, text, size, "key.json", a, &err);
	json_error_t je;
	json_t *answer = json_loadb(text, size, 0, &je);
	bq_field *fields;
	size_t n;
	const json_t *schema = json_object_get(answer, "schema");
	if (schema && pond__bq_schema_parse(&fields, &n, schema, a, &err) == 0) {
		pond_buf b = POND_BUF_INIT;
		for (size_t i = 0; i < n; i++)
			pond__bq_duck_type(&b, &fields[i]);
		pond__bq_select(&b, fields, n);
		const json_t *rows = json_object_get(answer, "rows");
		for (size_t i = 0; i < json_array_size(rows); i++) {
			pond_buf_clear(&b);
			(void)pond__bq_row(&b, fields, n, json_array_get(rows, i), &err);
		}
		pond_buf_dispose(&b);
	}
	json_decref(answer);
	pond_free(text);
	pond_arena_free(&a);
	return 0;
}

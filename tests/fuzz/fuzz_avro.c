/*
 * libFuzzer target for the avro reader: the input is an object container
 * file read from memory, every record decoded (arena reset per record) and
 * re-encoded with the file's own schema, then the error path exercised.
 * Seeds: tests/fuzz/corpus/avro.
 */
#include <stddef.h>
#include <stdint.h>

#include "pond/avro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pond_error err = POND_ERROR_INIT;
	pond_avro_reader *r = NULL;
	if (pond_avro_reader_open_memory(&r, data, size, "fuzz.avro", &err) != 0)
		return 0;
	pond_arena *arena = pond_arena_new();
	pond_buf out = POND_BUF_INIT;
	const pond_avro_value *v;
	const pond_avro_node *root = pond_avro_schema_root(pond_avro_reader_schema(r));
	int n = 0;
	while (arena && pond_avro_reader_next(r, arena, &v, &err) == 1 && n++ < 100000) {
		pond_buf_clear(&out);
		/* What was read must encode again with the same schema. */
		if (pond_avro_encode(&out, root, v, &err) != 0 && err.code != POND_ENOMEM)
			__builtin_trap();
		pond_buf_clear(&out);
		pond_avro_value_to_json(&out, v);
		pond_arena_reset(arena);
	}
	pond_buf_dispose(&out);
	pond_arena_free(&arena);
	pond_avro_reader_close(&r);
	return 0;
}

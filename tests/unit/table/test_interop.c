/*
 * Interoperability: tables pond writes are read with the same rows by an
 * independent Iceberg reader (icebird, from the npm registry).
 */
#include "../test.h"

#include <jansson.h>
#include <stdlib.h>

#include "fixture.h"
#include "pond/table.h"

TEST(append_is_read_back_by_an_independent_iceberg_reader)
{
	table_fixture f;
	CHECK(fx_setup(&f, "interop") == 0);
	CHECK(fx_create_with(&f, "select range as id, 'n' || range as name, range * 1.5 as amount from range(100)",
	                     NULL) == 0);
	CHECK(fx_append(&f, "select 1000, 'last', 0.5") >= 0);
	pond_table *t = fx_load(&f);
	CHECK(t != NULL);
	const char *file = strrchr(t->metadata_location, '/') + 1;
	char *cmd = pond_arena_sprintf(f.a, "node tests/node/iceberg_read.mjs '%s' '%s' 2>&1", t->metadata->location, file);
	FILE *p = popen(cmd, "r");
	CHECK(p != NULL);
	char line[512];
	int rows = 0;
	long long id_sum = 0;
	bool saw_last = false;
	while (fgets(line, sizeof(line), p)) {
		json_t *row = json_loads(line, 0, NULL);
		CHECK_MSG(row != NULL, "not a JSON row: %s", line);
		json_t *row_id = json_object_get(row, "id");
		id_sum += json_is_string(row_id) ? atoll(json_string_value(row_id)) : json_integer_value(row_id);
		const char *name = json_string_value(json_object_get(row, "name"));
		saw_last |= name && strcmp(name, "last") == 0;
		rows++;
		json_decref(row);
	}
	int status = pclose(p);
	CHECK_INT(status, 0);
	CHECK_INT(rows, 101);
	CHECK_INT(id_sum, 4950 + 1000);
	CHECK(saw_last);
	pond_table_free(&t);
	fx_teardown(&f);
}

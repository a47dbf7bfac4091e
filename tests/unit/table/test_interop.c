/*
 * Interoperability: tables pond writes are read with the same rows by an
 * independent Iceberg reader (icebird, from the npm registry).
 */
#include "../test.h"

#include <stdlib.h>

#include "pond/table.h"

TEST(append_is_read_back_by_an_independent_iceberg_reader)
{
	pond_error err = POND_ERROR_INIT;
	pond_arena *a = pond_arena_new();
	const char *dir = pond_arena_sprintf(a, "%s/proj", pond_test_tmpdir());
	pond_project *project;
	pond_lake *lake;
	pond_table_ident id;
	CHECK_OK(pond_project_init(dir, "t", &err), &err);
	CHECK_OK(pond_project_load(&project, dir, &err), &err);
	CHECK_OK(pond_lake_open(&lake, project, NULL, &err), &err);
	CHECK_OK(pond_table_ident_parse(&id, a, "interop", &err), &err);
	const char *q = "select range as id, 'n' || range as name, range * 1.5 as amount from range(100)";
	pond_iceberg_schema *schema;
	CHECK_OK(pond_engine_query_schema(pond_lake_engine(lake), q, a, &schema, &err), &err);
	CHECK_OK(pond_table_create(lake, &id, schema, NULL, NULL, 0, NULL, &err), &err);
	pond_write_result r;
	CHECK_OK(pond_table_append_query(lake, &id, q, NULL, &r, &err), &err);
	CHECK_OK(pond_table_append_query(lake, &id, "select 1000, 'last', 0.5", NULL, &r, &err), &err);
	pond_table *t;
	CHECK_OK(pond_table_load(&t, lake, &id, &err), &err);
	const char *file = strrchr(t->metadata_location, '/') + 1;
	char *cmd = pond_arena_sprintf(a, "node tests/node/iceberg_read.mjs '%s' '%s' 2>&1", t->metadata->location, file);
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
	pond_lake_close(&lake);
	pond_project_free(&project);
	pond_arena_free(&a);
}

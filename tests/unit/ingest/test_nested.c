/*
 * Unit tests for nested input: the diff of the input's nested types
 * against the table's by the schema policy (new fields in structs at any
 * depth, in list elements and map values; freeze and discard naming the
 * dotted path) and the schema it evolves to; loads of nested NDJSON into a
 * real lake (older rows read NULL, a field the input lacks reads NULL, a
 * failing cast inside a struct names its path and commits nothing); and
 * flattening to a depth, with its name clash and config errors.
 */
#include "../test.h"

#include <jansson.h>
#include <stdio.h>

#include "ingest/ingest_internal.h"
#include "pond/ingest.h"
#include "../table/fixture.h"

static pond_iceberg_schema *schema_of(const char *fields_json, pond_arena *a)
{
	char *text = pond_arena_sprintf(a, "{\"type\":\"struct\",\"schema-id\":0,\"fields\":%s}", fields_json);
	json_error_t je;
	json_t *j = text ? json_loads(text, 0, &je) : NULL;
	pond_iceberg_schema *s = NULL;
	pond_error err = POND_ERROR_INIT;
	if (!j || pond_iceberg_schema_from_json(&s, j, a, "schema", &err) != 0)
		fprintf(stderr, "    bad schema: %s\n", j ? err.msg : je.text);
	json_decref(j);
	return s;
}

/* The table: user {name, age}, items list<{sku}>, attrs map<string, {v}>,
 * u {a {b}}: 14 ids. */
static const char table_fields[] =
	"[{\"id\":1,\"name\":\"id\",\"required\":false,\"type\":\"long\"},"
	"{\"id\":2,\"name\":\"user\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
	"{\"id\":3,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
	"{\"id\":4,\"name\":\"age\",\"required\":false,\"type\":\"long\"}]}},"
	"{\"id\":5,\"name\":\"items\",\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":6,"
	"\"element-required\":false,\"element\":{\"type\":\"struct\",\"fields\":["
	"{\"id\":7,\"name\":\"sku\",\"required\":false,\"type\":\"string\"}]}}},"
	"{\"id\":8,\"name\":\"attrs\",\"required\":false,\"type\":{\"type\":\"map\",\"key-id\":9,\"key\":\"string\","
	"\"value-id\":10,\"value-required\":false,\"value\":{\"type\":\"struct\",\"fields\":["
	"{\"id\":11,\"name\":\"v\",\"required\":false,\"type\":\"long\"}]}}},"
	"{\"id\":12,\"name\":\"u\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
	"{\"id\":13,\"name\":\"a\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
	"{\"id\":14,\"name\":\"b\",\"required\":false,\"type\":\"long\"}]}}]}}]";

/* The input: each nested part has one field more; user.age is a string
 * (a conflict for the cast, not for the diff); "extra" is new at the top. */
static const char source_fields[] =
	"[{\"id\":0,\"name\":\"id\",\"required\":false,\"type\":\"long\"},"
	"{\"id\":0,\"name\":\"User\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
	"{\"id\":0,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
	"{\"id\":0,\"name\":\"age\",\"required\":false,\"type\":\"string\"},"
	"{\"id\":0,\"name\":\"email\",\"required\":false,\"type\":\"string\"}]}},"
	"{\"id\":0,\"name\":\"items\",\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":0,"
	"\"element-required\":false,\"element\":{\"type\":\"struct\",\"fields\":["
	"{\"id\":0,\"name\":\"sku\",\"required\":false,\"type\":\"string\"},"
	"{\"id\":0,\"name\":\"price\",\"required\":false,\"type\":\"double\"}]}}},"
	"{\"id\":0,\"name\":\"attrs\",\"required\":false,\"type\":{\"type\":\"map\",\"key-id\":0,\"key\":\"string\","
	"\"value-id\":0,\"value-required\":false,\"value\":{\"type\":\"struct\",\"fields\":["
	"{\"id\":0,\"name\":\"v\",\"required\":false,\"type\":\"long\"},"
	"{\"id\":0,\"name\":\"w\",\"required\":false,\"type\":\"string\"}]}}},"
	"{\"id\":0,\"name\":\"u\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
	"{\"id\":0,\"name\":\"a\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
	"{\"id\":0,\"name\":\"b\",\"required\":false,\"type\":\"long\"},"
	"{\"id\":0,\"name\":\"c\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
	"{\"id\":0,\"name\":\"d\",\"required\":false,\"type\":\"boolean\"}]}}]}}]}},"
	"{\"id\":0,\"name\":\"extra\",\"required\":false,\"type\":\"string\"}]";

static const char *const new_paths[] = {"User.email", "items.element.price", "attrs.value.w", "u.a.c", "extra"};

/* The field at a dotted path, through list elements and map values. */
static const pond_iceberg_field *field_at(const pond_iceberg_type *st, const char *path, pond_arena *a)
{
	char *p = pond_arena_strdup(a, path), *save = NULL;
	const pond_iceberg_type *t = st;
	const pond_iceberg_field *f = NULL;
	for (char *seg = strtok_r(p, ".", &save); seg; seg = strtok_r(NULL, ".", &save)) {
		if (t->id == POND_ICEBERG_LIST && strcmp(seg, "element") == 0) {
			t = t->element;
			continue;
		}
		if (t->id == POND_ICEBERG_MAP && strcmp(seg, "value") == 0) {
			t = t->value;
			continue;
		}
		if (t->id != POND_ICEBERG_STRUCT || !(f = pond__ingest_find_field(t, seg)))
			return NULL;
		t = f->type;
	}
	return f;
}

TEST(ingest_nested_diff_evolve_adds_fields_at_every_depth_with_fresh_ids)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_schema *table = schema_of(table_fields, a), *src = schema_of(source_fields, a);
	CHECK(table && src);
	pond_iceberg_metadata *md = NULL;
	CHECK_OK(pond_iceberg_metadata_create(&md, table, NULL, NULL, "/tmp/nested", NULL, 0, &err), &err);
	CHECK_INT(md->last_column_id, 14);
	const pond_iceberg_type *root = pond_iceberg_metadata_current_schema(md)->root;
	pond_ingest_write w = POND_INGEST_WRITE_INIT;
	w.table = "raw.events";
	pond_ingest_result res;
	memset(&res, 0, sizeof(res));
	res.arena = pond_arena_new();
	pond_schema_change *change = NULL;
	CHECK_OK(pond__ingest_new_fields("events.ndjson", &w, src->root, root, &res, &change, &err), &err);
	CHECK(change != NULL);
	CHECK_INT(res.nchanges, 5);
	for (size_t i = 0; i < 5; i++) {
		CHECK_STR(res.changes[i].kind, "add");
		CHECK_STR(res.changes[i].column, new_paths[i]);
	}
	CHECK_STR(res.changes[3].type, "struct");

	pond_iceberg_schema *evolved;
	int32_t last;
	CHECK_OK(pond_schema_change_apply(&evolved, &last, md, change, "raw.events", a, &err), &err);
	/* Six new ids after the table's 14 (u.a.c and its field d), each once. */
	CHECK_INT(last, 20);
	CHECK_INT(pond_iceberg_schema_highest_field_id(evolved), 20);
	int32_t seen[21] = {0};
	for (size_t i = 0; i < 5; i++) {
		const pond_iceberg_field *f = field_at(evolved->root, new_paths[i], a);
		CHECK_MSG(f != NULL, "no field %s", new_paths[i]);
		CHECK(!f->required);
		CHECK(f->id > 14 && f->id <= 20);
		CHECK_INT(seen[f->id]++, 0);
	}
	const pond_iceberg_field *d = field_at(evolved->root, "u.a.c.d", a);
	CHECK(d && d->id > 14 && seen[d->id] == 0);
	/* The old fields keep their ids; the conflicting user.age stays long. */
	CHECK_INT(field_at(evolved->root, "user.age", a)->id, field_at(root, "user.age", a)->id);
	CHECK_INT(field_at(evolved->root, "user.age", a)->type->id, POND_ICEBERG_LONG);
	CHECK_INT(field_at(evolved->root, "attrs.value.v", a)->id, field_at(root, "attrs.value.v", a)->id);
	CHECK_INT(evolved->root->nfields, 6);

	pond_schema_change_free(&change);
	pond_iceberg_metadata_free(&md);
	pond_arena_free(&res.arena);
	pond_arena_free(&a);
}

TEST(ingest_nested_diff_freeze_and_discard_name_the_dotted_path)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_schema *table = schema_of(table_fields, a), *src = schema_of(source_fields, a);
	CHECK(table && src);
	pond_ingest_write w = POND_INGEST_WRITE_INIT;
	w.table = "raw.events";
	w.schema = POND_SCHEMA_FREEZE;
	pond_ingest_result res;
	memset(&res, 0, sizeof(res));
	res.arena = pond_arena_new();
	pond_schema_change *change = NULL;
	CHECK_INT(pond__ingest_new_fields("events.ndjson", &w, src->root, table->root, &res, &change, &err),
	          POND_EINVAL);
	CHECK_STR(err.msg, "events.ndjson has field \"User.email\" (string) that table raw.events does not have "
	                   "(schema: freeze)");
	CHECK(change == NULL);

	w.schema = POND_SCHEMA_DISCARD;
	CHECK_OK(pond__ingest_new_fields("events.ndjson", &w, src->root, table->root, &res, &change, &err), &err);
	CHECK(change == NULL);
	CHECK_INT(res.nchanges, 5);
	for (size_t i = 0; i < 5; i++) {
		CHECK_STR(res.changes[i].kind, "discard");
		CHECK_STR(res.changes[i].column, new_paths[i]);
	}
	/* The same types on both sides: nothing to do. */
	res.nchanges = 0;
	w.schema = POND_SCHEMA_EVOLVE;
	CHECK_OK(pond__ingest_new_fields("events.ndjson", &w, table->root, table->root, &res, &change, &err), &err);
	CHECK(change == NULL);
	CHECK_INT(res.nchanges, 0);
	pond_arena_free(&res.arena);
	pond_arena_free(&a);
}

TEST(ingest_nested_schema_change_adds_to_a_struct_inside_a_list_or_map)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_schema *table = schema_of(table_fields, a);
	CHECK(table);
	pond_iceberg_metadata *md = NULL;
	CHECK_OK(pond_iceberg_metadata_create(&md, table, NULL, NULL, "/tmp/nested", NULL, 0, &err), &err);
	pond_iceberg_type *str;
	CHECK_OK(pond_iceberg_type_parse_primitive(&str, "string", a, &err), &err);
	pond_schema_change *c;
	CHECK_OK(pond_schema_change_new(&c, &err), &err);
	CHECK_INT(pond_schema_change_add_column(c, "items.element", "note", str, false, NULL, NULL), 0);
	CHECK_INT(pond_schema_change_add_column(c, "attrs.value", "note", str, false, NULL, NULL), 0);
	pond_iceberg_schema *s;
	int32_t last;
	CHECK_OK(pond_schema_change_apply(&s, &last, md, c, "raw.events", a, &err), &err);
	CHECK_INT(field_at(s->root, "items.element.note", a)->id, 15);
	CHECK_INT(field_at(s->root, "attrs.value.note", a)->id, 16);
	pond_schema_change_free(&c);
	/* A list of strings has no fields to take; a missing path is named. */
	CHECK_OK(pond_schema_change_new(&c, &err), &err);
	CHECK_INT(pond_schema_change_add_column(c, "attrs.key", "x", str, false, NULL, NULL), 0);
	CHECK_INT(pond_schema_change_apply(&s, &last, md, c, "raw.events", a, &err), POND_EINVAL);
	CHECK_STR(err.msg, "cannot add column \"attrs.key.x\" to raw.events: \"attrs.key\" is not a struct");
	pond_schema_change_free(&c);
	CHECK_OK(pond_schema_change_new(&c, &err), &err);
	CHECK_INT(pond_schema_change_add_column(c, "items.value", "x", str, false, NULL, NULL), 0);
	CHECK_INT(pond_schema_change_apply(&s, &last, md, c, "raw.events", a, &err), POND_ENOTFOUND);
	CHECK_STR(err.msg, "column \"items.value\" does not exist in raw.events");
	pond_schema_change_free(&c);
	pond_iceberg_metadata_free(&md);
	pond_arena_free(&a);
}

/* ---- loads into a real lake ------------------------------------------------------ */

static int load(table_fixture *f, const char *path, pond_ingest_write *w, pond_ingest_result *r, pond_error *err)
{
	pond_ingest_read rd = POND_INGEST_READ_INIT;
	int rc = pond_ingest_file(f->lake, path, &rd, w, NULL, r, err);
	return rc;
}

TEST(ingest_nested_loads_evolve_structs_and_lists_in_the_rows_commit)
{
	table_fixture f;
	CHECK(fx_setup(&f, "raw.events") == 0);
	pond_error err = POND_ERROR_INIT;
	const char *first = fx_write_text(&f, "first.ndjson",
	                                  "{\"id\":1,\"user\":{\"name\":\"a\",\"age\":30},"
	                                  "\"items\":[{\"sku\":\"x\"}]}\n");
	const char *more = fx_write_text(&f, "more.ndjson",
	                                 "{\"id\":2,\"user\":{\"name\":\"b\",\"age\":31,\"email\":\"b@x\"},"
	                                 "\"items\":[{\"sku\":\"y\",\"qty\":2}]}\n");
	const char *lacks = fx_write_text(&f, "lacks.ndjson", "{\"id\":3,\"user\":{\"email\":\"c@x\"}}\n");
	const char *bad = fx_write_text(&f, "bad.ndjson",
	                                "{\"id\":4,\"user\":{\"name\":\"d\",\"age\":\"old\"},"
	                                "\"items\":[{\"sku\":\"z\"}]}\n");
	const char *bad_list =
		fx_write_text(&f, "bad_list.ndjson", "{\"id\":5,\"items\":[{\"sku\":\"q\",\"qty\":\"many\"}]}\n");
	pond_ingest_write w = POND_INGEST_WRITE_INIT;
	w.table = "raw.events";
	pond_ingest_result r;
	CHECK_OK(load(&f, first, &w, &r, &err), &err);
	pond_ingest_result_dispose(&r);
	pond_table *t = fx_load(&f);
	CHECK(t);
	int64_t first_snapshot = pond_iceberg_metadata_current_snapshot(t->metadata)->snapshot_id;
	int32_t last_before = t->metadata->last_column_id;
	pond_table_free(&t);

	CHECK_OK(load(&f, more, &w, &r, &err), &err);
	CHECK_INT(r.nchanges, 2);
	CHECK_STR(r.changes[0].column, "user.email");
	CHECK_STR(r.changes[1].column, "items.element.qty");
	pond_ingest_result_dispose(&r);
	t = fx_load(&f);
	CHECK(t);
	/* One commit: the snapshot's schema is the new one. */
	CHECK_INT(t->metadata->nsnapshots, 2);
	CHECK_INT(pond_iceberg_metadata_current_snapshot(t->metadata)->schema_id, t->metadata->current_schema_id);
	CHECK_INT(t->metadata->last_column_id, last_before + 2);
	const pond_iceberg_schema *s = pond_iceberg_metadata_current_schema(t->metadata);
	CHECK_INT(pond_iceberg_schema_find_name(s, "user.email")->id, last_before + 1);
	pond_table_free(&t);
	CHECK_STR(fx_query(&f, "string_agg(coalesce(user.email, '-'), ',' ORDER BY id)", 0), "-,b@x");
	CHECK_STR(fx_query(&f, "string_agg(coalesce(items[1].qty::VARCHAR, '-'), ',' ORDER BY id)", 0), "-,2");
	/* The snapshot before reads as it was. */
	CHECK_STR(fx_query(&f, "count(*)", first_snapshot), "1");

	/* Fields the input lacks read NULL. */
	CHECK_OK(load(&f, lacks, &w, &r, &err), &err);
	CHECK_INT(r.nchanges, 0);
	pond_ingest_result_dispose(&r);
	CHECK_STR(fx_query(&f, "max(coalesce(user.name, 'null') || ',' || coalesce(user.age::VARCHAR, 'null') || ',' || "
	                       "user.email || ',' || (items IS NULL)::VARCHAR) FILTER (WHERE id = 3)",
	                   0),
	          "null,null,c@x,true");

	/* A value that does not convert inside a struct or a list's element
	 * names its path; nothing is committed. */
	t = fx_load(&f);
	const char *location = pond_arena_strdup(f.a, t->metadata_location);
	pond_table_free(&t);
	CHECK(load(&f, bad, &w, &r, &err) != 0);
	pond_ingest_result_dispose(&r);
	CHECK_MSG(strstr(err.msg, "could not load ") &&
	                  strstr(err.msg, "bad.ndjson: Conversion Error: Could not convert string 'old' to INT64 when "
	                                  "casting from source column user.age"),
	          "%s", err.msg);
	CHECK(load(&f, bad_list, &w, &r, &err) != 0);
	pond_ingest_result_dispose(&r);
	CHECK_MSG(strstr(err.msg, "when casting from source column items.element.qty") != NULL, "%s", err.msg);
	t = fx_load(&f);
	CHECK_STR(t->metadata_location, location);
	pond_table_free(&t);
	fx_teardown(&f);
}

/* ---- flattening ------------------------------------------------------------------- */

static const char *column_names(table_fixture *f, const char *table)
{
	pond_table *t = fx_load_named(f, table);
	if (!t)
		return "(no table)";
	pond_buf b = POND_BUF_INIT;
	const pond_iceberg_type *root = pond_iceberg_metadata_current_schema(t->metadata)->root;
	for (size_t i = 0; i < root->nfields; i++) {
		char type[40];
		pond_iceberg_type_format(type, root->fields[i].type);
		pond_buf_printf(&b, "%s%s:%s", i ? " " : "", root->fields[i].name, type);
	}
	const char *out = pond_arena_strdup(f->a, pond_buf_cstr(&b));
	pond_buf_dispose(&b);
	pond_table_free(&t);
	return out;
}

TEST(ingest_nested_flatten_to_a_depth)
{
	table_fixture f;
	CHECK(fx_setup_in(&f, "flatten", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	const char *in = fx_write_text(&f, "deep.ndjson",
	                               "{\"id\":1,\"a\":{\"b\":{\"c\":1,\"e\":{\"f\":true}},\"d\":2},"
	                               "\"l\":[{\"x\":{\"y\":1}}]}\n");
	pond_ingest_write w = POND_INGEST_WRITE_INIT;
	pond_ingest_result r;
	static const struct { int depth; const char *table; const char *columns; } cases[] = {
		{1, "raw.d1", "id:long a__b:struct a__d:long l:list"},
		{2, "raw.d2", "id:long a__b__c:long a__b__e:struct a__d:long l:list"},
		{POND_FLATTEN_ALL, "raw.dall", "id:long a__b__c:long a__b__e__f:boolean a__d:long l:list"},
		{0, "raw.d0", "id:long a:struct l:list"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w.table = cases[i].table;
		w.flatten = cases[i].depth;
		CHECK_OK(load(&f, in, &w, &r, &err), &err);
		pond_ingest_result_dispose(&r);
		CHECK_STR(column_names(&f, cases[i].table), cases[i].columns);
	}
	/* Depth 1 keeps a.b a struct, which evolves as one. */
	const char *more =
		fx_write_text(&f, "deeper.ndjson", "{\"id\":2,\"a\":{\"b\":{\"c\":3,\"g\":\"new\"},\"d\":4}}\n");
	w.table = "raw.d1";
	w.flatten = 1;
	CHECK_OK(load(&f, more, &w, &r, &err), &err);
	CHECK_INT(r.nchanges, 1);
	CHECK_STR(r.changes[0].column, "a__b.g");
	pond_ingest_result_dispose(&r);

	/* A flattened name another column has is refused, naming both. */
	const char *clash = fx_write_text(&f, "clash.ndjson", "{\"id\":1,\"a\":{\"b\":1},\"A__b\":2}\n");
	w.table = "raw.clash";
	w.flatten = POND_FLATTEN_ALL;
	CHECK_INT(load(&f, clash, &w, &r, &err), POND_EINVAL);
	pond_ingest_result_dispose(&r);
	CHECK_MSG(strstr(err.msg, "clash.ndjson: flattening makes two columns named \"A__b\" (from \"a.b\" and "
	                          "\"A__b\")") != NULL,
	          "%s", err.msg);
	CHECK_STR(column_names(&f, "raw.clash"), "(no table)");
	fx_teardown(&f);
}

TEST(ingest_nested_config_flatten_takes_true_false_or_a_depth)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	static const struct { const char *value; int want; } ok[] = {
		{"true", POND_FLATTEN_ALL}, {"false", 0}, {"2", 2}, {"1", 1},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const char *yaml = pond_arena_sprintf(a, "type: file\ntable: raw.t\npath: x.ndjson\nflatten: %s\n",
		                                      ok[i].value);
		pond_source *s;
		CHECK_OK(pond_source_parse(&s, "src", yaml, strlen(yaml), "sources/src.yml", NULL, a, &err), &err);
		CHECK_INT(s->write.flatten, ok[i].want);
	}
	static const char *const bad[] = {"0", "-1", "yes please", "[1]", "1001"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *yaml =
			pond_arena_sprintf(a, "type: file\ntable: raw.t\npath: x.ndjson\nflatten: %s\n", bad[i]);
		pond_source *s;
		int rc = pond_source_parse(&s, "src", yaml, strlen(yaml), "sources/src.yml", NULL, a, &err);
		CHECK_INT(rc, POND_EINVAL);
		const char *want = "sources/src.yml:4: \"flatten\" must be true, false or a depth from 1 to 1000";
		CHECK_MSG(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
	}
	pond_arena_free(&a);
}

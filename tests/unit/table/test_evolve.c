/*
 * Unit tests for schema and partition spec evolution: the new schema's ids,
 * names, types, nullability and defaults; refusals that leave the table as
 * it was; reading old and new files back through DuckDB by field id; new
 * partition specs and the partition tuples of files written under them;
 * two processes evolving one table at once.
 */
#include "../test.h"

#include <dirent.h>
#include <jansson.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "pond/table.h"

/* Creates f->id as (1: id long required, identifier; 2: name string). */
static int create_with_identifier(table_fixture *f)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_schema *s = pond_arena_calloc(f->a, 1, sizeof(*s));
	pond_iceberg_type *root = pond_arena_calloc(f->a, 1, sizeof(*root));
	pond_iceberg_field *fields = pond_arena_calloc(f->a, 2, sizeof(*fields));
	pond_iceberg_type *l = pond_arena_calloc(f->a, 1, sizeof(*l)), *str = pond_arena_calloc(f->a, 1, sizeof(*str));
	static int32_t ident[] = {1};
	l->id = POND_ICEBERG_LONG;
	str->id = POND_ICEBERG_STRING;
	fields[0] = (pond_iceberg_field){1, "id", true, l, NULL, NULL, NULL};
	fields[1] = (pond_iceberg_field){2, "name", false, str, NULL, NULL, NULL};
	root->id = POND_ICEBERG_STRUCT;
	root->nfields = 2;
	root->fields = fields;
	s->root = root;
	s->nidentifier_field_ids = 1;
	s->identifier_field_ids = ident;
	if (pond_table_create(f->lake, &f->id, s, NULL, NULL, 0, NULL, &err) != 0) {
		fprintf(stderr, "    create: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static pond_iceberg_type *type_of(table_fixture *f, const char *name)
{
	pond_iceberg_type *t = NULL;
	pond_error err = POND_ERROR_INIT;
	if (pond_iceberg_type_parse_primitive(&t, name, f->a, &err) != 0)
		fprintf(stderr, "    type %s: %s\n", name, err.msg);
	return t;
}

/* "name:type[?]" for each top-level field of the current schema, in order
 * ("?" for optional), joined by spaces. */
static const char *describe(table_fixture *f)
{
	pond_table *t = fx_load(f);
	if (!t)
		return NULL;
	const pond_iceberg_schema *s = pond_iceberg_metadata_current_schema(t->metadata);
	pond_buf b = POND_BUF_INIT;
	for (size_t i = 0; i < s->root->nfields; i++) {
		const pond_iceberg_field *fl = &s->root->fields[i];
		char tn[40];
		pond_iceberg_type_format(tn, fl->type);
		pond_buf_printf(&b, "%s%d:%s:%s%s", i ? " " : "", (int)fl->id, fl->name, tn, fl->required ? "" : "?");
	}
	const char *out = pond_arena_strdup(f->a, pond_buf_cstr(&b));
	pond_buf_dispose(&b);
	pond_table_free(&t);
	return out;
}

static int count_metadata_files(table_fixture *f)
{
	pond_table *t = fx_load(f);
	if (!t)
		return -1;
	DIR *d = opendir(pond_arena_sprintf(f->a, "%s/metadata", t->metadata->location));
	pond_table_free(&t);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += pond_str_ends_with(e->d_name, ".metadata.json");
	closedir(d);
	return n;
}

/* A DuckDB SQL literal for a field's initial-default (JSON), or NULL. */
static void default_sql(pond_buf *sql, const pond_iceberg_field *fl)
{
	if (!fl->initial_default) {
		pond_buf_puts(sql, "NULL");
		return;
	}
	json_t *j = json_loads(fl->initial_default, JSON_DECODE_ANY, NULL);
	pond_buf_puts(sql, "CAST(");
	if (json_is_string(j))
		pond_sql_quote_literal(sql, json_string_value(j));
	else
		pond_buf_puts(sql, fl->initial_default);
	pond_buf_puts(sql, " AS ");
	pond_engine_iceberg_type_sql(sql, fl->type);
	pond_buf_puts(sql, ")");
	json_decref(j);
}

/* Runs `select EXPR from T` where T reads the current snapshot's planned
 * files with the field-id schema map of the current schema (old files
 * resolve renamed columns by id and fill added ones with their default);
 * returns the first value as text. */
static const char *read_back(table_fixture *f, const char *expr)
{
	pond_error err = POND_ERROR_INIT;
	pond_table *t = fx_load(f);
	pond_fileio *io = NULL;
	pond_scan_plan *plan = NULL;
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	if (!t || pond_fileio_local_new(&io, &err) || pond_scan_plan_files(&plan, t->metadata, io, &so, &err)) {
		fprintf(stderr, "    plan: %s\n", err.msg);
		return NULL;
	}
	const pond_iceberg_schema *s = pond_iceberg_metadata_current_schema(t->metadata);
	pond_buf sql = POND_BUF_INIT;
	pond_buf_printf(&sql, "select %s from read_parquet([", expr);
	for (size_t i = 0; i < plan->ntasks; i++) {
		if (i)
			pond_buf_putc(&sql, ',');
		pond_sql_quote_literal(&sql, plan->tasks[i].path);
	}
	pond_buf_puts(&sql, "], schema = map {");
	for (size_t i = 0; i < s->root->nfields; i++) {
		const pond_iceberg_field *fl = &s->root->fields[i];
		pond_buf_printf(&sql, "%s%d: {name: ", i ? ", " : "", (int)fl->id);
		pond_sql_quote_literal(&sql, fl->name);
		pond_buf_puts(&sql, ", type: '");
		pond_engine_iceberg_type_sql(&sql, fl->type);
		pond_buf_puts(&sql, "', default_value: ");
		default_sql(&sql, fl);
		pond_buf_puts(&sql, "}");
	}
	pond_buf_puts(&sql, "})");
	char *out = NULL;
	if (pond_engine_query_string(pond_lake_engine(f->lake), pond_buf_cstr(&sql), &out, &err) != 0)
		fprintf(stderr, "    read: %s\n    sql: %s\n", err.msg, pond_buf_cstr(&sql));
	const char *copy = out ? pond_arena_strdup(f->a, out) : NULL;
	pond_free(out);
	pond_buf_dispose(&sql);
	pond_scan_plan_free(&plan);
	pond_fileio_free(&io);
	pond_table_free(&t);
	return copy;
}

TEST(evolve_add_columns_top_level_and_nested_get_fresh_ids_and_defaults)
{
	table_fixture f;
	CHECK(fx_setup(&f, "sales.orders") == 0);
	CHECK(fx_create(&f, "select 1::bigint as id, 'a' as name", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_schema_change *c;
	CHECK_OK(pond_schema_change_new(&c, &err), &err);
	/* a struct column: address {city} */
	pond_iceberg_type *addr;
	json_t *j = json_loads("{\"type\":\"struct\",\"fields\":[{\"id\":1,\"name\":\"city\",\"required\":false,"
	                       "\"type\":\"string\"}]}", 0, NULL);
	CHECK_OK(pond_iceberg_type_from_json(&addr, j, f.a, "type", &err), &err);
	json_decref(j);
	CHECK_INT(pond_schema_change_add_column(c, NULL, "amount", type_of(&f, "decimal(9,2)"), false, NULL, "in EUR"), 0);
	CHECK_INT(pond_schema_change_add_column(c, NULL, "address", addr, false, NULL, NULL), 0);
	CHECK_INT(pond_schema_change_add_column(c, "address", "zip", type_of(&f, "string"), false, NULL, NULL), 0);
	CHECK_OK(pond_table_evolve_schema(f.lake, &f.id, c, &err), &err);
	pond_schema_change_free(&c);
	CHECK(c == NULL);

	pond_table *t = fx_load(&f);
	CHECK(t != NULL);
	const pond_iceberg_metadata *md = t->metadata;
	CHECK_INT(md->nschemas, 2);
	CHECK_INT(md->current_schema_id, 1);
	CHECK_INT(md->last_column_id, 6);
	const pond_iceberg_schema *s = pond_iceberg_metadata_current_schema(md);
	const pond_iceberg_field *amount = pond_iceberg_schema_find_name(s, "amount");
	CHECK(amount != NULL);
	CHECK_INT(amount->id, 3);
	CHECK(!amount->required);
	CHECK_INT(amount->type->id, POND_ICEBERG_DECIMAL);
	CHECK(amount->initial_default == NULL && amount->write_default == NULL);
	CHECK_STR(amount->doc, "in EUR");
	const pond_iceberg_field *city = pond_iceberg_schema_find_name(s, "address.city");
	const pond_iceberg_field *zip = pond_iceberg_schema_find_name(s, "address.zip");
	CHECK(city && zip);
	CHECK_INT(pond_iceberg_schema_find_name(s, "address")->id, 4);
	CHECK_INT(city->id, 5); /* a new struct's fields follow it */
	CHECK_INT(zip->id, 6);
	CHECK(zip->initial_default == NULL);
	CHECK(pond_iceberg_metadata_schema(md, 0) != NULL); /* the old schema stays */
	pond_table_free(&t);
	/* Defaults are format v3 fields: a v2 table refuses them, unchanged. */
	CHECK_OK(pond_schema_change_new(&c, &err), &err);
	CHECK_INT(pond_schema_change_add_column(c, NULL, "note", type_of(&f, "string"), false, "\"x\"", NULL), 0);
	CHECK_INT(pond_table_evolve_schema(f.lake, &f.id, c, &err), POND_EUNSUPPORTED);
	CHECK(strstr(err.msg, "cannot add column \"note\" to sales.orders with a default") != NULL);
	CHECK(strstr(err.msg, "format v3") != NULL);
	pond_schema_change_free(&c);
	t = fx_load(&f);
	CHECK(t != NULL);
	CHECK_INT(t->metadata->nschemas, 2);
	pond_table_free(&t);
	fx_teardown(&f);
}

TEST(evolve_old_rows_read_the_default_and_renamed_columns_read_old_data_by_id)
{
	table_fixture f;
	CHECK(fx_setup(&f, "sales.orders") == 0);
	const char *q = "select range::bigint as id, 'n' || range as name from range(3)";
	CHECK(fx_create(&f, q, NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	CHECK_OK(pond_table_append_query(f.lake, &f.id, q, NULL, &r, &err), &err);
	pond_schema_change *c;
	CHECK_OK(pond_schema_change_new(&c, &err), &err);
	CHECK_INT(pond_schema_change_add_column(c, NULL, "qty", type_of(&f, "int"), false, NULL, NULL), 0);
	CHECK_INT(pond_schema_change_rename_column(c, "name", "label"), 0);
	CHECK_OK(pond_table_evolve_schema(f.lake, &f.id, c, &err), &err);
	pond_schema_change_free(&c);
	CHECK_STR(describe(&f), "1:id:long? 2:label:string? 3:qty:int?");
	CHECK_OK(pond_table_append_query(f.lake, &f.id, "select 10, 'new', 99", NULL, &r, &err), &err);
	/* old rows: qty is null, label is what "name" held */
	CHECK_STR(read_back(&f, "string_agg(id || '=' || label || '/' || coalesce(qty::varchar, '-'), ',' order by id)"),
	          "0=n0/-,1=n1/-,2=n2/-,10=new/99");
	/* widening reads old int files as long */
	CHECK_OK(pond_schema_change_new(&c, &err), &err);
	CHECK_INT(pond_schema_change_widen_column(c, "qty", type_of(&f, "long")), 0);
	CHECK_OK(pond_table_evolve_schema(f.lake, &f.id, c, &err), &err);
	pond_schema_change_free(&c);
	CHECK_STR(describe(&f), "1:id:long? 2:label:string? 3:qty:long?");
	CHECK_STR(read_back(&f, "sum(qty)::varchar || ':' || typeof(sum(qty))"), "99:HUGEINT");
	/* a dropped column's id is never reused */
	CHECK_OK(pond_schema_change_new(&c, &err), &err);
	CHECK_INT(pond_schema_change_drop_column(c, "qty"), 0);
	CHECK_INT(pond_schema_change_add_column(c, NULL, "qty", type_of(&f, "string"), false, NULL, NULL), 0);
	CHECK_OK(pond_table_evolve_schema(f.lake, &f.id, c, &err), &err);
	pond_schema_change_free(&c);
	CHECK_STR(describe(&f), "1:id:long? 2:label:string? 4:qty:string?");
	CHECK_STR(read_back(&f, "count(qty)::varchar"), "0");
	fx_teardown(&f);
}

TEST(evolve_widen_allows_only_the_spec_promotions)
{
	table_fixture f;
	CHECK(fx_setup(&f, "sales.orders") == 0);
	CHECK(fx_create(&f, "select 1::int as i, 1.5::float as x, 1.25::decimal(9,2) as d, 'x' as s", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_schema_change *c;
	CHECK_OK(pond_schema_change_new(&c, &err), &err);
	CHECK_INT(pond_schema_change_widen_column(c, "s", type_of(&f, "int")), 0);
	CHECK_INT(pond_table_evolve_schema(f.lake, &f.id, c, &err), POND_EINVAL);
	CHECK_STR(err.msg, "cannot change column \"s\" in sales.orders from string to int: Iceberg cannot widen that type");
	pond_schema_change_free(&c);
	const char *refused[][2] = {{"i", "string"}, {"i", "float"}, {"x", "int"}, {"d", "decimal(12,3)"},
	                            {"d", "decimal(8,2)"}, {"s", "binary"}, {"i", "date"}};
	for (size_t k = 0; k < sizeof(refused) / sizeof(refused[0]); k++) {
		CHECK_OK(pond_schema_change_new(&c, &err), &err);
		pond_iceberg_type *to = type_of(&f, refused[k][1]);
		CHECK(to != NULL);
		CHECK_INT(pond_schema_change_widen_column(c, refused[k][0], to), 0);
		CHECK_MSG(pond_table_evolve_schema(f.lake, &f.id, c, &err) == POND_EINVAL, "%s to %s allowed", refused[k][0],
		          refused[k][1]);
		CHECK(strstr(err.msg, "Iceberg cannot widen that type") != NULL);
		pond_schema_change_free(&c);
	}
	CHECK_STR(describe(&f), "1:i:int? 2:x:float? 3:d:decimal(9, 2)? 4:s:string?");
	CHECK_OK(pond_schema_change_new(&c, &err), &err);
	CHECK_INT(pond_schema_change_widen_column(c, "i", type_of(&f, "long")), 0);
	CHECK_INT(pond_schema_change_widen_column(c, "x", type_of(&f, "double")), 0);
	CHECK_INT(pond_schema_change_widen_column(c, "d", type_of(&f, "decimal(18,2)")), 0);
	CHECK_OK(pond_table_evolve_schema(f.lake, &f.id, c, &err), &err);
	pond_schema_change_free(&c);
	CHECK_STR(describe(&f), "1:i:long? 2:x:double? 3:d:decimal(18, 2)? 4:s:string?");
	fx_teardown(&f);
}

TEST(evolve_refusals_name_the_column_and_change_nothing)
{
	table_fixture f;
	CHECK(fx_setup(&f, "sales.orders") == 0);
	CHECK(create_with_identifier(&f) == 0);
	pond_error err = POND_ERROR_INIT;
	int files = count_metadata_files(&f);
	CHECK_INT(files, 1);
	struct {
		int op;
		const char *column, *arg;
		int code;
		const char *msg;
	} cases[] = {
		{0, "name", "ID", POND_EEXISTS,
		 "cannot rename column \"name\" of sales.orders to \"ID\": column \"id\" already exists"},
		{1, "name", NULL, POND_EINVAL,
		 "cannot make column \"name\" of sales.orders required: rows already written may hold nulls"},
		{2, "qty", NULL, POND_EINVAL, "cannot add required column \"qty\" to sales.orders without a default"},
		{3, "qty", "1", POND_EUNSUPPORTED, NULL},
		{4, "id", NULL, POND_EINVAL, "cannot drop column \"id\" from sales.orders: it is an identifier field"},
		{5, "id", NULL, POND_EINVAL, "cannot make column \"id\" of sales.orders optional: it is an identifier field"},
		{6, "amount", NULL, POND_ENOTFOUND, "column \"amount\" does not exist in sales.orders"},
		{7, "qty", "\"seven\"", POND_EINVAL,
		 "default \"seven\" does not fit column \"qty\" of sales.orders (type int)"},
		{8, "Name", NULL, POND_EEXISTS, "column \"Name\" already exists in sales.orders"},
		{9, "id", "id", POND_EINVAL, "cannot move column \"id\" of sales.orders relative to itself"},
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		pond_schema_change *c;
		CHECK_OK(pond_schema_change_new(&c, &err), &err);
		/* a valid first op, so a refusal must undo it: nothing is committed */
		CHECK_INT(pond_schema_change_add_column(c, NULL, "extra", type_of(&f, "long"), false, NULL, NULL), 0);
		switch (cases[k].op) {
		case 0: pond_schema_change_rename_column(c, cases[k].column, cases[k].arg); break;
		case 1: pond_schema_change_make_required(c, cases[k].column); break;
		case 2:
		case 3:
		case 7: pond_schema_change_add_column(c, NULL, cases[k].column, type_of(&f, "int"), cases[k].op != 7,
		                                      cases[k].arg, NULL); break;
		case 4: pond_schema_change_drop_column(c, cases[k].column); break;
		case 5: pond_schema_change_make_optional(c, cases[k].column); break;
		case 6: pond_schema_change_widen_column(c, cases[k].column, type_of(&f, "long")); break;
		case 8: pond_schema_change_add_column(c, NULL, cases[k].column, type_of(&f, "int"), false, NULL, NULL); break;
		case 9: pond_schema_change_move_before(c, cases[k].column, cases[k].arg); break;
		}
		int rc = pond_table_evolve_schema(f.lake, &f.id, c, &err);
		pond_schema_change_free(&c);
		CHECK_MSG(rc == cases[k].code, "case %zu: returned %d (%s)", k, rc, err.msg);
		if (cases[k].msg)
			CHECK_STR(err.msg, cases[k].msg);
	}
	CHECK_INT(count_metadata_files(&f), files);
	CHECK_STR(describe(&f), "1:id:long 2:name:string?");
	fx_teardown(&f);
}

TEST(evolve_reorders_columns_and_makes_a_required_column_optional)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(create_with_identifier(&f) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_schema_change *c;
	CHECK_OK(pond_schema_change_new(&c, &err), &err);
	CHECK_INT(pond_schema_change_add_column(c, NULL, "a", type_of(&f, "int"), false, NULL, NULL), 0);
	CHECK_INT(pond_schema_change_add_column(c, NULL, "b", type_of(&f, "int"), false, NULL, NULL), 0);
	CHECK_INT(pond_schema_change_move_first(c, "b"), 0);         /* b id name a */
	CHECK_INT(pond_schema_change_move_after(c, "id", "a"), 0);   /* b name a id */
	CHECK_INT(pond_schema_change_move_before(c, "a", "b"), 0);   /* a b name id */
	CHECK_INT(pond_schema_change_move_after(c, "b", "name"), 0); /* a name b id */
	CHECK_OK(pond_table_evolve_schema(f.lake, &f.id, c, &err), &err);
	pond_schema_change_free(&c);
	CHECK_STR(describe(&f), "3:a:int? 2:name:string? 4:b:int? 1:id:long");

	/* a required column that is no identifier may become optional */
	pond_table *t = fx_load(&f);
	CHECK(t != NULL);
	CHECK_INT(pond_iceberg_metadata_current_schema(t->metadata)->nidentifier_field_ids, 1);
	pond_table_free(&t);
	pond_iceberg_type *point;
	json_t *j = json_loads("{\"type\":\"struct\",\"fields\":[{\"id\":1,\"name\":\"x\",\"required\":true,\"type\":\"int\"},"
	                       "{\"id\":2,\"name\":\"y\",\"required\":true,\"type\":\"int\"}]}", 0, NULL);
	CHECK_OK(pond_iceberg_type_from_json(&point, j, f.a, "type", &err), &err);
	json_decref(j);
	CHECK_OK(pond_schema_change_new(&c, &err), &err);
	CHECK_INT(pond_schema_change_add_column(c, NULL, "p", point, false, NULL, NULL), 0);
	CHECK_INT(pond_schema_change_make_optional(c, "p.x"), 0);
	CHECK_INT(pond_schema_change_move_first(c, "p.y"), 0);
	CHECK_OK(pond_table_evolve_schema(f.lake, &f.id, c, &err), &err);
	pond_schema_change_free(&c);
	t = fx_load(&f);
	CHECK(t != NULL);
	const pond_iceberg_schema *s = pond_iceberg_metadata_current_schema(t->metadata);
	const pond_iceberg_field *p = pond_iceberg_schema_find_name(s, "p");
	CHECK(p != NULL);
	CHECK_INT(p->id, 5);
	CHECK(p->initial_default == NULL);
	CHECK_STR(p->type->fields[0].name, "y");
	CHECK_INT(p->type->fields[0].id, 7);
	CHECK(p->type->fields[0].required);
	CHECK_STR(p->type->fields[1].name, "x");
	CHECK_INT(p->type->fields[1].id, 6);
	CHECK(!p->type->fields[1].required);
	pond_table_free(&t);

	/* a nested column cannot move next to a top-level one */
	CHECK_OK(pond_schema_change_new(&c, &err), &err);
	CHECK_INT(pond_schema_change_move_after(c, "p.x", "a"), 0);
	CHECK_INT(pond_table_evolve_schema(f.lake, &f.id, c, &err), POND_EINVAL);
	CHECK_STR(err.msg, "cannot move column \"p.x\" of main.t next to \"a\": they are in different structs");
	pond_schema_change_free(&c);
	fx_teardown(&f);
}

TEST(evolve_apply_previews_without_committing)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create(&f, "select 1 as a", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_schema_change *c;
	CHECK_OK(pond_schema_change_new(&c, &err), &err);
	CHECK_INT(pond_schema_change_add_column(c, NULL, "b", type_of(&f, "date"), false, NULL, NULL), 0);
	pond_table *t = fx_load(&f);
	CHECK(t != NULL);
	pond_iceberg_schema *s;
	int32_t last;
	CHECK_OK(pond_schema_change_apply(&s, &last, t->metadata, c, "main.t", f.a, &err), &err);
	CHECK_INT(last, 2);
	CHECK_INT(s->root->nfields, 2);
	CHECK_STR(s->root->fields[1].name, "b");
	pond_table_free(&t);
	pond_schema_change_free(&c);
	CHECK_STR(describe(&f), "1:a:int?");
	/* a bad date is not a default */
	CHECK_OK(pond_schema_change_new(&c, &err), &err);
	CHECK_INT(pond_schema_change_add_column(c, NULL, "b", type_of(&f, "date"), false, "\"2024-13-45\"", NULL), 0);
	CHECK_INT(pond_table_evolve_schema(f.lake, &f.id, c, &err), POND_EINVAL);
	CHECK(strstr(err.msg, "does not fit column \"b\"") != NULL);
	pond_schema_change_free(&c);
	fx_teardown(&f);
}

TEST(evolve_partition_field_text_parses_as_users_write_it)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_partition_field_def d;
	CHECK_OK(pond_partition_field_parse(&d, "day(ts)", a, &err), &err);
	CHECK_STR(d.column, "ts");
	CHECK_INT(d.transform.kind, POND_ICEBERG_DAY);
	CHECK(d.name == NULL);
	CHECK_OK(pond_partition_field_parse(&d, " bucket( 16 , id ) ", a, &err), &err);
	CHECK_STR(d.column, "id");
	CHECK_INT(d.transform.kind, POND_ICEBERG_BUCKET);
	CHECK_INT(d.transform.param, 16);
	CHECK_OK(pond_partition_field_parse(&d, "truncate(name, 4) AS short_name", a, &err), &err);
	CHECK_STR(d.column, "name");
	CHECK_INT(d.transform.kind, POND_ICEBERG_TRUNCATE);
	CHECK_INT(d.transform.param, 4);
	CHECK_STR(d.name, "short_name");
	CHECK_OK(pond_partition_field_parse(&d, "identity(region)", a, &err), &err);
	CHECK_STR(d.column, "region");
	CHECK_INT(d.transform.kind, POND_ICEBERG_IDENTITY);
	CHECK_OK(pond_partition_field_parse(&d, "region", a, &err), &err);
	CHECK_STR(d.column, "region");
	CHECK_INT(d.transform.kind, POND_ICEBERG_IDENTITY);
	CHECK_OK(pond_partition_field_parse(&d, "MONTHS(\"order \"\"date\"\"\")", a, &err), &err);
	CHECK_STR(d.column, "order \"date\"");
	CHECK_INT(d.transform.kind, POND_ICEBERG_MONTH);
	CHECK_OK(pond_partition_field_parse(&d, "hour(event.ts)", a, &err), &err);
	CHECK_STR(d.column, "event.ts");
	CHECK_INT(pond_partition_field_parse(&d, "bucket(id)", a, &err), POND_EINVAL);
	CHECK_STR(err.msg, "cannot read partition field \"bucket(id)\": bucket needs a number of buckets");
	CHECK_INT(pond_partition_field_parse(&d, "decade(ts)", a, &err), POND_EINVAL);
	CHECK_STR(err.msg, "cannot read partition field \"decade(ts)\": unknown transform \"decade\"");
	CHECK_INT(pond_partition_field_parse(&d, "day(ts", a, &err), POND_EINVAL);
	CHECK_INT(pond_partition_field_parse(&d, "day(ts) ts", a, &err), POND_EINVAL);
	CHECK_INT(pond_partition_field_parse(&d, "bucket(0, id)", a, &err), POND_EINVAL);
	CHECK_INT(pond_partition_field_parse(&d, "day(1)", a, &err), POND_EINVAL);
	CHECK_INT(pond_partition_field_parse(&d, "", a, &err), POND_EINVAL);
	pond_arena_free(&a);
}

/* Plans the current snapshot; counts files per spec id and checks their
 * partition tuples: spec 0 has none, others one value each. */
static int plan_specs(table_fixture *f, int *spec0, int *spec_other, int32_t *days, size_t ndays)
{
	pond_error err = POND_ERROR_INIT;
	pond_table *t = fx_load(f);
	pond_fileio *io = NULL;
	pond_scan_plan *plan = NULL;
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	if (!t || pond_fileio_local_new(&io, &err) || pond_scan_plan_files(&plan, t->metadata, io, &so, &err))
		return -1;
	*spec0 = *spec_other = 0;
	size_t nd = 0;
	int rc = 0;
	for (size_t i = 0; i < plan->ntasks; i++) {
		const pond_scan_task *task = &plan->tasks[i];
		if (task->spec_id == 0) {
			++*spec0;
			rc |= task->npartition != 0;
		} else {
			++*spec_other;
			rc |= task->npartition != 1 || task->partition[0].is_null;
			if (nd < ndays)
				days[nd++] = task->partition[0].v.i32;
		}
	}
	pond_scan_plan_free(&plan);
	pond_fileio_free(&io);
	pond_table_free(&t);
	return rc ? -2 : 0;
}

TEST(evolve_partition_spec_add_day_then_remove_and_files_keep_their_spec)
{
	table_fixture f;
	CHECK(fx_setup(&f, "sales.orders") == 0);
	const char *q = "select range::bigint as id, 'r' || (range % 2) as region, "
	                "timestamp '2024-01-01' + to_hours(range * 12) as ts from range(4)";
	CHECK(fx_create(&f, q, NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	CHECK_OK(pond_table_append_query(f.lake, &f.id, q, NULL, &r, &err), &err);
	pond_partition_field_def d;
	CHECK_OK(pond_partition_field_parse(&d, "day(ts)", f.a, &err), &err);
	CHECK_OK(pond_table_add_partition_field(f.lake, &f.id, &d, &err), &err);
	pond_table *t = fx_load(&f);
	CHECK(t != NULL);
	CHECK_INT(t->metadata->default_spec_id, 1);
	CHECK_INT(t->metadata->last_partition_id, 1000);
	const pond_iceberg_partition_spec *spec = pond_iceberg_metadata_default_spec(t->metadata);
	CHECK_INT(spec->nfields, 1);
	CHECK_INT(spec->fields[0].source_id, 3);
	CHECK_INT(spec->fields[0].field_id, 1000);
	CHECK_STR(spec->fields[0].name, "ts_day");
	CHECK_INT(spec->fields[0].transform.kind, POND_ICEBERG_DAY);
	pond_table_free(&t);

	CHECK_OK(pond_table_append_query(f.lake, &f.id, q, NULL, &r, &err), &err);
	CHECK_INT(r.added_files, 2);
	int spec0, spec1;
	int32_t days[4] = {0};
	CHECK_INT(plan_specs(&f, &spec0, &spec1, days, 4), 0);
	CHECK_INT(spec0, 1);
	CHECK_INT(spec1, 2);
	int32_t jan1 = (int32_t)pond_days_from_civil(2024, 1, 1);
	CHECK((days[0] == jan1 && days[1] == jan1 + 1) || (days[1] == jan1 && days[0] == jan1 + 1));
	CHECK_STR(read_back(&f, "count(*)::varchar || '/' || count(distinct id)"), "8/4");

	/* the partition source cannot be dropped while the spec uses it */
	pond_schema_change *c;
	CHECK_OK(pond_schema_change_new(&c, &err), &err);
	CHECK_INT(pond_schema_change_drop_column(c, "ts"), 0);
	CHECK_INT(pond_table_evolve_schema(f.lake, &f.id, c, &err), POND_EINVAL);
	CHECK_STR(err.msg, "cannot drop column \"ts\" from sales.orders: the partition spec uses it (partition field "
	                   "\"ts_day\"); remove the partition field first");

	/* refusals */
	CHECK_OK(pond_partition_field_parse(&d, "day(region)", f.a, &err), &err);
	CHECK_INT(pond_table_add_partition_field(f.lake, &f.id, &d, &err), POND_EINVAL);
	CHECK_STR(err.msg, "cannot partition sales.orders by day(region): day does not take column \"region\" of type string");
	CHECK_OK(pond_partition_field_parse(&d, "days(ts)", f.a, &err), &err);
	CHECK_INT(pond_table_add_partition_field(f.lake, &f.id, &d, &err), POND_EEXISTS);
	CHECK_STR(err.msg, "sales.orders is already partitioned by day(ts)");
	CHECK_OK(pond_partition_field_parse(&d, "bucket(4, id) as region", f.a, &err), &err);
	CHECK_INT(pond_table_add_partition_field(f.lake, &f.id, &d, &err), POND_EINVAL);
	CHECK_STR(err.msg, "cannot name partition field \"region\" of sales.orders after another column");
	CHECK_OK(pond_partition_field_parse(&d, "amount", f.a, &err), &err);
	CHECK_INT(pond_table_add_partition_field(f.lake, &f.id, &d, &err), POND_ENOTFOUND);
	CHECK_STR(err.msg, "column \"amount\" does not exist in sales.orders");
	CHECK_INT(pond_table_remove_partition_field(f.lake, &f.id, "nope", &err), POND_ENOTFOUND);
	CHECK_STR(err.msg, "sales.orders has no partition field \"nope\"");

	/* remove by its term: the table is unpartitioned again (spec 0 reused) */
	CHECK_OK(pond_table_remove_partition_field(f.lake, &f.id, "day(ts)", &err), &err);
	t = fx_load(&f);
	CHECK(t != NULL);
	CHECK_INT(t->metadata->default_spec_id, 0);
	CHECK_INT(t->metadata->nspecs, 2);
	pond_table_free(&t);
	CHECK_OK(pond_table_evolve_schema(f.lake, &f.id, c, &err), &err); /* now ts may go */
	pond_schema_change_free(&c);
	CHECK_STR(describe(&f), "1:id:long? 2:region:string?");

	/* a new field gets the next id; replacing the spec keeps equivalent ids */
	CHECK_OK(pond_partition_field_parse(&d, "bucket(16, id)", f.a, &err), &err);
	CHECK_OK(pond_table_add_partition_field(f.lake, &f.id, &d, &err), &err);
	pond_partition_field_def both[2];
	CHECK_OK(pond_partition_field_parse(&both[0], "region", f.a, &err), &err);
	CHECK_OK(pond_partition_field_parse(&both[1], "bucket(16, id)", f.a, &err), &err);
	CHECK_OK(pond_table_replace_partition_spec(f.lake, &f.id, both, 2, &err), &err);
	t = fx_load(&f);
	CHECK(t != NULL);
	spec = pond_iceberg_metadata_default_spec(t->metadata);
	CHECK_INT(spec->spec_id, 3);
	CHECK_INT(spec->nfields, 2);
	CHECK_STR(spec->fields[0].name, "region");
	CHECK_INT(spec->fields[0].field_id, 1002);
	CHECK_STR(spec->fields[1].name, "id_bucket_16");
	CHECK_INT(spec->fields[1].field_id, 1001);
	CHECK_INT(t->metadata->last_partition_id, 1002);
	pond_table_free(&t);
	/* appends write by identity(region) */
	CHECK_OK(pond_table_replace_partition_spec(f.lake, &f.id, both, 1, &err), &err);
	CHECK_OK(pond_table_append_query(f.lake, &f.id, "select 5, 'r9'", NULL, &r, &err), &err);
	CHECK_STR(read_back(&f, "count(*)::varchar || '/' || sum(id)"), "9/17");
	t = fx_load(&f);
	CHECK(t != NULL);
	spec = pond_iceberg_metadata_default_spec(t->metadata);
	CHECK_INT(spec->spec_id, 4);
	CHECK_INT(spec->nfields, 1);
	CHECK_INT(spec->fields[0].field_id, 1002);
	CHECK_INT(t->metadata->last_partition_id, 1002);
	pond_table_free(&t);
	fx_teardown(&f);
}

/* Each writer process adds its own columns, one commit each; exits with
 * 0 when all landed, else 10 + the error's code (negated). */
static int add_columns_child(const pond_project *p, const pond_table_ident *id, int writer, int ncolumns,
                             const char *same_name)
{
	pond_error err = POND_ERROR_INIT;
	pond_lake *lake;
	if (pond_lake_open(&lake, p, NULL, &err) != 0)
		return 3;
	pond_arena *a = pond_arena_new();
	pond_iceberg_type *t = NULL;
	int rc = pond_iceberg_type_parse_primitive(&t, "long", a, &err);
	for (int i = 0; i < ncolumns && rc == 0; i++) {
		pond_schema_change *c;
		if ((rc = pond_schema_change_new(&c, &err)) != 0)
			break;
		const char *name = same_name ? same_name : pond_arena_sprintf(a, "w%d_%d", writer, i);
		pond_schema_change_add_column(c, NULL, name, t, false, NULL, NULL);
		rc = pond_table_evolve_schema(lake, id, c, &err);
		pond_schema_change_free(&c);
	}
	if (rc && !same_name)
		fprintf(stderr, "    writer %d: %s\n", writer, err.msg);
	pond_arena_free(&a);
	pond_lake_close(&lake);
	return rc ? 10 - rc : 0;
}

TEST(evolve_two_processes_adding_columns_at_once_both_land)
{
	table_fixture f;
	CHECK(fx_setup(&f, "race.t") == 0);
	CHECK(fx_create(&f, "select 1 as id", NULL) == 0);
	pond_lake_close(&f.lake);
	enum { WRITERS = 2, COLUMNS = 8 };
	pid_t pids[WRITERS];
	for (int w = 0; w < WRITERS; w++)
		if ((pids[w] = fork()) == 0)
			_exit(add_columns_child(f.project, &f.id, w, COLUMNS, NULL));
	int all_ok = 1;
	for (int w = 0; w < WRITERS; w++) {
		int status;
		waitpid(pids[w], &status, 0);
		all_ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_lake_open(&f.lake, f.project, NULL, &err), &err);
	CHECK(all_ok);
	pond_table *t = fx_load(&f);
	CHECK(t != NULL);
	const pond_iceberg_schema *s = pond_iceberg_metadata_current_schema(t->metadata);
	CHECK_INT(s->root->nfields, 1 + WRITERS * COLUMNS);
	CHECK_INT(t->metadata->last_column_id, 1 + WRITERS * COLUMNS);
	/* every id once: none was handed to two columns */
	for (size_t i = 0; i < s->root->nfields; i++)
		for (size_t k = i + 1; k < s->root->nfields; k++)
			CHECK(s->root->fields[i].id != s->root->fields[k].id);
	for (int w = 0; w < WRITERS; w++)
		for (int i = 0; i < COLUMNS; i++)
			CHECK(pond_iceberg_schema_find_name(s, pond_arena_sprintf(f.a, "w%d_%d", w, i)) != NULL);
	pond_table_free(&t);
	fx_teardown(&f);
}

TEST(evolve_two_processes_adding_the_same_column_one_wins_one_gets_a_clear_error)
{
	table_fixture f;
	CHECK(fx_setup(&f, "race.t") == 0);
	CHECK(fx_create(&f, "select 1 as id", NULL) == 0);
	pond_lake_close(&f.lake);
	pid_t pids[2];
	for (int w = 0; w < 2; w++)
		if ((pids[w] = fork()) == 0)
			_exit(add_columns_child(f.project, &f.id, w, 1, "x"));
	int codes[2];
	for (int w = 0; w < 2; w++) {
		int status;
		waitpid(pids[w], &status, 0);
		codes[w] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	}
	int wins = (codes[0] == 0) + (codes[1] == 0);
	int loser = codes[0] == 0 ? codes[1] : codes[0];
	CHECK_MSG(wins == 1, "exit codes %d and %d", codes[0], codes[1]);
	CHECK_MSG(loser == 10 - POND_EEXISTS || loser == 10 - POND_ECONFLICT, "loser exited %d", loser);
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_lake_open(&f.lake, f.project, NULL, &err), &err);
	CHECK_STR(describe(&f), "1:id:int? 2:x:long?");
	fx_teardown(&f);
}

TEST(evolve_current_reads_see_new_columns_time_travel_sees_the_old_schema)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create_with(&f, "select range as id from range(3)", NULL) == 0);
	int64_t before = fx_snapshot(&f);
	pond_error err = POND_ERROR_INIT;
	pond_schema_change *c;
	CHECK_OK(pond_schema_change_new(&c, &err), &err);
	pond_iceberg_type *str = NULL;
	CHECK_OK(pond_iceberg_type_parse_primitive(&str, "string", f.a, &err), &err);
	CHECK_OK(pond_schema_change_add_column(c, NULL, "note", str, false, NULL, NULL), &err);
	CHECK_OK(pond_table_evolve_schema(f.lake, &f.id, c, &err), &err);
	pond_schema_change_free(&c);
	/* No write since the change: the current snapshot is the old one, but
	 * a current read uses the table's schema. */
	CHECK_INT(fx_snapshot(&f), before);
	CHECK_STR(fx_query(&f, "string_agg(coalesce(note, '-'), ',' order by id)", 0), "-,-,-");
	CHECK_STR(fx_query(&f, "count(*)", before), "3");
	CHECK_STR(fx_query(&f, "count(*) filter (where note is null)", before), "(query failed)");
	fx_teardown(&f);
}

/*
 * The shared table-test fixture (fixture.h).
 */
#include "../test.h"
#include "fixture.h"

#include <jansson.h>
#include <stdlib.h>

#include "../io/s3_test_util.h"

int fx_setup_in(table_fixture *f, const char *folder, const char *table)
{
	pond_error err = POND_ERROR_INIT;
	memset(f, 0, sizeof(*f));
	f->a = pond_arena_new();
	const char *dir = pond_arena_sprintf(f->a, "%s/%s", pond_test_tmpdir(), folder);
	if (pond_project_init(dir, "t", &err) || pond_project_load(&f->project, dir, &err) ||
	    pond_lake_open(&f->lake, f->project, NULL, &err) ||
	    (table && pond_table_ident_parse(&f->id, f->a, table, &err))) {
		fprintf(stderr, "    setup: %s\n", err.msg);
		return -1;
	}
	/* Tests of snapshots and files write through; the row buffer's own
	 * tests (test_buffer.c) and those of the layers above turn it on. */
	pond_lake_set_write_through(f->lake, true);
	return 0;
}

int fx_setup_pg(table_fixture *f, const char *table, const char *catalog_url)
{
	pond_error err = POND_ERROR_INIT;
	memset(f, 0, sizeof(*f));
	f->a = pond_arena_new();
	const char *dir = pond_arena_sprintf(f->a, "%s/proj-pg", pond_test_tmpdir());
	/* A catalog name of its own: tests sharing the server do not see
	 * each other's tables. */
	char name[40];
	pond_uuid_v4_string(name);
	name[8] = '\0';
	const char *yml = pond_arena_sprintf(f->a, "name: t\nwarehouse: warehouse\ncatalog: %s\ncatalog_name: t%s\n",
	                                     catalog_url, name);
	const char *path = pond_arena_sprintf(f->a, "%s/pond.yml", dir);
	if (pond_project_init(dir, "t", &err) || pond_file_write_atomic(path, yml, strlen(yml), &err) ||
	    pond_project_load(&f->project, dir, &err) || pond_lake_open(&f->lake, f->project, NULL, &err) ||
	    (table && pond_table_ident_parse(&f->id, f->a, table, &err))) {
		fprintf(stderr, "    setup: %s\n", err.msg);
		return -1;
	}
	pond_lake_set_write_through(f->lake, true);
	return 0;
}

int fx_setup_s3(table_fixture *f, const char *folder, const char *table, char *bucket)
{
	pond_error err = POND_ERROR_INIT;
	memset(f, 0, sizeof(*f));
	if (!s3t_url()) {
		fprintf(stderr, "    setup: POND_TEST_S3_URL is not set: run the suite through tests/run.sh\n");
		return -1;
	}
	f->a = pond_arena_new();
	s3t_bucket_name(bucket);
	pond_s3_client *c = NULL;
	int rc = s3t_client(&c, NULL, true, bucket, NULL, NULL, &err);
	pond_s3_client_free(&c);
	setenv("POND_S3T_KEY", "pondtest", 1);
	setenv("POND_S3T_SECRET", "pondtestsecret", 1);
	const char *dir = pond_arena_sprintf(f->a, "%s/%s", pond_test_tmpdir(), folder);
	const char *yml = pond_arena_sprintf(f->a,
	                                     "name: t\nwarehouse: s3://%s/wh\ncatalog: catalog.db\nstorage:\n"
	                                     "  endpoint: %s\n  region: us-east-1\n  path_style: true\n"
	                                     "  access_key_id_env: POND_S3T_KEY\n  secret_access_key_env: POND_S3T_SECRET\n",
	                                     bucket, s3t_url());
	const char *path = pond_arena_sprintf(f->a, "%s/pond.yml", dir);
	if (rc || pond_project_init(dir, "t", &err) || pond_file_write_atomic(path, yml, strlen(yml), &err) ||
	    pond_project_load(&f->project, dir, &err) || pond_lake_open(&f->lake, f->project, NULL, &err) ||
	    (table && pond_table_ident_parse(&f->id, f->a, table, &err))) {
		fprintf(stderr, "    setup: %s\n", err.msg);
		return -1;
	}
	pond_lake_set_write_through(f->lake, true);
	return 0;
}

int fx_setup(table_fixture *f, const char *table)
{
	return fx_setup_in(f, "proj", table);
}

void fx_teardown(table_fixture *f)
{
	pond_session_close(&f->session);
	pond_lake_close(&f->lake);
	pond_project_free(&f->project);
	pond_arena_free(&f->a);
}

static int create(table_fixture *f, const char *query, const char *spec_json, const char *identity_col, bool append)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_schema *schema;
	pond_iceberg_partition_spec *spec = NULL;
	pond_write_result r;
	if (pond_engine_query_schema(pond_lake_engine(f->lake), query, f->a, &schema, &err) != 0)
		goto fail;
	if (spec_json) {
		json_t *j;
		int32_t next = POND_ICEBERG_PARTITION_FIELD_START;
		if (pond_json_parse(&j, spec_json, strlen(spec_json), "spec", &err) != 0)
			goto fail;
		int rc = pond_iceberg_partition_spec_from_json(&spec, j, &next, f->a, "spec", &err);
		json_decref(j);
		if (rc)
			goto fail;
	} else if (identity_col) {
		const pond_iceberg_field *src = pond_iceberg_schema_find_name(schema, identity_col);
		spec = pond_arena_calloc(f->a, 1, sizeof(*spec));
		spec->nfields = 1;
		spec->fields = pond_arena_calloc(f->a, 1, sizeof(*spec->fields));
		spec->fields[0] = (pond_iceberg_partition_field){src->id, 1000, identity_col, {POND_ICEBERG_IDENTITY, 0}};
	}
	if (pond_table_create(f->lake, &f->id, schema, spec, NULL, 0, NULL, &err) != 0 ||
	    (append && pond_table_append_query(f->lake, &f->id, query, NULL, &r, &err) != 0))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "    create: %s\n", err.msg);
	return -1;
}

int fx_create(table_fixture *f, const char *query, const char *spec_json)
{
	return create(f, query, spec_json, NULL, false);
}

int fx_create_with(table_fixture *f, const char *query, const char *identity_col)
{
	return create(f, query, NULL, identity_col, true);
}

pond_session *fx_session(table_fixture *f)
{
	pond_error err = POND_ERROR_INIT;
	if (!f->session && pond_session_open(&f->session, f->lake, &err) != 0)
		fprintf(stderr, "    session: %s\n", err.msg);
	return f->session;
}

int64_t fx_append(table_fixture *f, const char *query)
{
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	if (pond_table_append_query(f->lake, &f->id, query, NULL, &r, &err) != 0) {
		fprintf(stderr, "    append: %s\n", err.msg);
		return -1;
	}
	return r.snapshot_id;
}

pond_table *fx_load(table_fixture *f)
{
	pond_table *t = NULL;
	pond_error err = POND_ERROR_INIT;
	if (pond_table_load(&t, f->lake, &f->id, &err) != 0)
		fprintf(stderr, "    load: %s\n", err.msg);
	return t;
}

pond_table *fx_load_named(table_fixture *f, const char *name)
{
	pond_error err = POND_ERROR_INIT;
	pond_table_ident id;
	pond_table *t = NULL;
	if (pond_table_ident_parse(&id, f->a, name, &err) || pond_table_load(&t, f->lake, &id, &err))
		return NULL;
	return t;
}

/* fx_query over t, which it frees. */
static const char *query_table(table_fixture *f, pond_table *t, const char *expr, int64_t snapshot_id)
{
	pond_error err = POND_ERROR_INIT;
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	so.has_snapshot_id = snapshot_id != 0;
	so.snapshot_id = snapshot_id;
	pond_buf sql = POND_BUF_INIT, q = POND_BUF_INIT;
	const char *out = "(scan failed)";
	char *v = NULL;
	if (pond_table_scan_sql(&sql, f->lake, t, &so, &err) == 0) {
		pond_buf_printf(&q, "select %s from (%s) t", expr, pond_buf_cstr(&sql));
		out = pond_engine_query_string(pond_lake_engine(f->lake), pond_buf_cstr(&q), &v, &err) == 0
		          ? pond_arena_strdup(f->a, v ? v : "NULL")
		          : "(query failed)";
	}
	if (err.code)
		fprintf(stderr, "    query: %s\n", err.msg);
	pond_free(v);
	pond_buf_dispose(&sql);
	pond_buf_dispose(&q);
	pond_table_free(&t);
	return out;
}

const char *fx_query(table_fixture *f, const char *expr, int64_t snapshot_id)
{
	pond_table *t = fx_load(f);
	return t ? query_table(f, t, expr, snapshot_id) : "(load failed)";
}

const char *fx_query_named(table_fixture *f, const char *table, const char *expr)
{
	pond_table *t = fx_load_named(f, table);
	return t ? query_table(f, t, expr, 0) : "(no table)";
}

const char *fx_summary(table_fixture *f, const char *key)
{
	pond_table *t = fx_load(f);
	if (!t)
		return NULL;
	const pond_iceberg_snapshot *s = pond_iceberg_metadata_current_snapshot(t->metadata);
	const char *v = NULL;
	if (s && strcmp(key, "operation") == 0)
		v = pond_arena_strdup(f->a, s->operation);
	for (size_t i = 0; s && i < s->nsummary; i++)
		if (strcmp(s->summary[i].key, key) == 0)
			v = pond_arena_strdup(f->a, s->summary[i].value);
	pond_table_free(&t);
	return v;
}

int64_t fx_snapshot(table_fixture *f)
{
	pond_table *t = fx_load(f);
	if (!t)
		return -1;
	int64_t id = t->metadata->current_snapshot_id;
	pond_table_free(&t);
	return id;
}

const char *fx_rows(table_fixture *f, const char *query)
{
	pond_error err = POND_ERROR_INIT;
	const char *text;
	size_t files;
	char *v = NULL;
	pond_session *s = fx_session(f);
	/* The query itself is bound (so its WHERE prunes), then wrapped. */
	if (!s || pond_session_prepare(s, query, f->a, &text, &files, &err) != 0 ||
	    pond_engine_query_string(pond_lake_engine(f->lake),
	                             pond_arena_sprintf(f->a, "select coalesce(string_agg(cast(q as varchar), chr(10) "
	                                                "order by cast(q as varchar)), '') from (%s) q", text),
	                             &v, &err) != 0) {
		fprintf(stderr, "    rows %s: %s\n", query, err.msg);
		return "(failed)";
	}
	const char *out = pond_arena_strdup(f->a, v ? v : "");
	pond_free(v);
	return out;
}

const char *fx_engine_rows(pond_engine *e, pond_arena *a, const char *query)
{
	pond_error err = POND_ERROR_INIT;
	char *wrapped = pond_arena_sprintf(a, "select coalesce(string_agg(cast(q as varchar), chr(10) order by "
	                                   "cast(q as varchar)), '') from (%s) q", query);
	char *v = NULL;
	if (pond_engine_query_string(e, wrapped, &v, &err) != 0) {
		fprintf(stderr, "    ref %s: %s\n", query, err.msg);
		return "(failed)";
	}
	const char *out = pond_arena_strdup(a, v ? v : "");
	pond_free(v);
	return out;
}

int fx_open_existing(table_fixture *f, const char *folder, const char *table)
{
	pond_error err = POND_ERROR_INIT;
	memset(f, 0, sizeof(*f));
	f->a = pond_arena_new();
	const char *dir = pond_arena_sprintf(f->a, "%s/%s", pond_test_tmpdir(), folder);
	if (pond_project_load(&f->project, dir, &err) || pond_lake_open(&f->lake, f->project, NULL, &err) ||
	    pond_table_ident_parse(&f->id, f->a, table, &err)) {
		fprintf(stderr, "    open: %s\n", err.msg);
		return -1;
	}
	pond_lake_set_write_through(f->lake, true);  /* as fx_setup's: every append a snapshot */
	return 0;
}

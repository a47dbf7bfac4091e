/*
 * Unit tests for the row buffer (src/table/buffer.c): small appends wait
 * in the catalog database, every read of the table's head sees them at
 * once, a flush writes them as one snapshot and empties the buffer in the
 * same catalog transaction, and writes other than appends flush first.
 * Results are compared with a native DuckDB table given the same
 * statements.
 */
#include "../test.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "pond/table.h"
#include "table/table_internal.h"

/* The fixture (its catalog in PostgreSQL at catalog_url when not NULL),
 * with the row buffer on, as pond's default is. */
static int setup(table_fixture *f, const char *catalog_url)
{
	if ((catalog_url ? fx_setup_pg(f, "main.t", catalog_url) : fx_setup(f, "main.t")) != 0)
		return -1;
	pond_lake_set_write_through(f->lake, false);
	return 0;
}

/* Runs sql on the fixture's session; the message or "" for a result, or
 * "(error: ...)" in the arena. */
static const char *run(table_fixture *f, const char *sql)
{
	pond_error err = POND_ERROR_INIT;
	pond_result *r = NULL;
	const char *msg = NULL;
	pond_session *s = fx_session(f);
	if (!s || pond_session_run(s, sql, f->a, &r, &msg, &err) != 0)
		return pond_arena_sprintf(f->a, "(error: %s)", err.msg);
	pond_result_free(&r);
	return msg ? msg : "";
}

/* One integer a query over the session gives; INT64_MIN on failure. */
static int64_t query_int(table_fixture *f, const char *sql)
{
	pond_error err = POND_ERROR_INIT;
	const char *rewritten;
	int64_t v = INT64_MIN;
	size_t kept = 0;
	pond_session *s = fx_session(f);
	if (!s || pond_session_prepare(s, sql, f->a, &rewritten, &kept, &err) != 0 ||
	    pond_engine_query_int(pond_lake_engine(f->lake), rewritten, &v, &err) != 0)
		fprintf(stderr, "    %s: %s\n", sql, err.msg);
	return v;
}

/* Rows of table t (a catalog table) and ref (a native DuckDB table) that
 * the other lacks, both ways: 0 when they hold the same multiset. */
static int64_t differences(table_fixture *f, const char *t, const char *ref)
{
	const char *sql = pond_arena_sprintf(f->a,
	                                     "select (select count(*) from (select * from %s except all select * from %s)) "
	                                     "+ (select count(*) from (select * from %s except all select * from %s))",
	                                     t, ref, ref, t);
	return query_int(f, sql);
}

static pond_buffer_stats stats(table_fixture *f)
{
	pond_buffer_stats st = {-1, -1, -1, -1, 0};
	pond_error err = POND_ERROR_INIT;
	pond_table *t = fx_load(f);
	if (!t || pond_table_buffer_stats(f->lake, t, &st, &err) != 0)
		fprintf(stderr, "    stats: %s\n", err.msg);
	pond_table_free(&t);
	return st;
}

static size_t nsnapshots(table_fixture *f)
{
	pond_table *t = fx_load(f);
	size_t n = t ? t->metadata->nsnapshots : (size_t)-1;
	pond_table_free(&t);
	return n;
}

/* Runs sql on the engine itself (native DuckDB tables): "" or "(error: ...)". */
static const char *native(table_fixture *f, const char *sql)
{
	pond_error err = POND_ERROR_INIT;
	if (pond_engine_exec(pond_lake_engine(f->lake), sql, &err) != 0)
		return pond_arena_sprintf(f->a, "(error: %s)", err.msg);
	return "";
}

/* Both tables get the same statement (REF in it names the table). */
static const char *both(table_fixture *f, const char *fmt)
{
	char pond_sql[512], ref_sql[512];
	snprintf(pond_sql, sizeof pond_sql, fmt, "main.t");
	snprintf(ref_sql, sizeof ref_sql, fmt, "ref");
	const char *m = native(f, ref_sql);
	return m[0] ? m : run(f, pond_sql);
}

TEST(buffer_small_inserts_are_read_at_once_and_flush_as_one_snapshot)
{
	table_fixture f;
	CHECK(setup(&f, NULL) == 0);
	CHECK_STR(native(&f, "create table ref (id int, name varchar, price decimal(10,2), ts timestamp)"), "");
	CHECK_STR(run(&f, "create table t (id int, name varchar, price decimal(10,2), ts timestamp)"), "created main.t");
	for (int i = 0; i < 5; i++) {
		char sql[256];
		snprintf(sql, sizeof sql,
		         "insert into %%s select range + %d, 'n' || range, range * 1.25, timestamp '2024-01-01' + "
		         "to_hours(range) from range(10)",
		         i * 10);
		CHECK_STR(both(&f, sql), "inserted 10 rows into main.t");
	}
	/* No snapshot yet; five buffered appends that every read sees. */
	CHECK_INT(nsnapshots(&f), 0);
	pond_buffer_stats st = stats(&f);
	CHECK_INT(st.batches, 5);
	CHECK_INT(st.records, 50);
	CHECK_INT(differences(&f, "main.t", "ref"), 0);
	CHECK_INT(query_int(&f, "select count(*) from main.t where id >= 45"), 5);
	/* The flush: one append snapshot holding every row; the buffer empty. */
	pond_write_result r;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_table_flush(f.lake, &f.id, &r, &err), &err);
	CHECK(r.snapshot_id > 0);
	CHECK_INT(r.added_records, 50);
	CHECK_INT(r.added_files, 1);
	CHECK_INT(nsnapshots(&f), 1);
	CHECK_STR(fx_summary(&f, "operation"), "append");
	CHECK_INT(stats(&f).batches, 0);
	CHECK_INT(differences(&f, "main.t", "ref"), 0);
	/* A second flush has nothing to do. */
	CHECK_OK(pond_table_flush(f.lake, &f.id, &r, &err), &err);
	CHECK_INT(r.snapshot_id, 0);
	CHECK_INT(nsnapshots(&f), 1);
	fx_teardown(&f);
}

TEST(buffer_rows_of_a_partitioned_table_keep_their_partition_values)
{
	table_fixture f;
	CHECK(setup(&f, NULL) == 0);
	CHECK_STR(native(&f, "create table ref (region varchar, day date, v bigint)"), "");
	CHECK_STR(run(&f, "create table t (region varchar, day date, v bigint)"), "created main.t");
	CHECK(run(&f, "alter table t add partition field region")[0] != '(');
	CHECK(run(&f, "alter table t add partition field day(day)")[0] != '(');
	CHECK_STR(both(&f, "insert into %s select ['eu','us','apac'][range % 3 + 1], date '2024-03-01' + range::int, "
	                   "range from range(12)"),
	          "inserted 12 rows into main.t");
	CHECK_STR(both(&f, "insert into %s values ('eu', date '2024-05-05', 100), (NULL, NULL, 101)"),
	          "inserted 2 rows into main.t");
	CHECK_INT(stats(&f).batches, 2);
	CHECK_INT(differences(&f, "main.t", "ref"), 0);
	CHECK_INT(query_int(&f, "select count(*) from main.t where region = 'eu'"), 5);
	pond_write_result r;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_table_flush(f.lake, &f.id, &r, &err), &err);
	CHECK_INT(r.added_records, 14);
	CHECK(r.added_files > 3);  /* split by the spec */
	CHECK_INT(differences(&f, "main.t", "ref"), 0);
	size_t kept = 0;
	const char *rewritten;
	CHECK_OK(pond_session_prepare(fx_session(&f), "select * from main.t where region = 'us'", f.a, &rewritten, &kept,
	                              &err), &err);
	CHECK_INT(kept, 4);  /* the us files only: 4 days */
	fx_teardown(&f);
}

TEST(buffer_is_flushed_before_delete_update_and_merge)
{
	table_fixture f;
	CHECK(setup(&f, NULL) == 0);
	CHECK_STR(native(&f, "create table ref (id int, v varchar)"), "");
	CHECK_STR(run(&f, "create table t (id int, v varchar)"), "created main.t");
	CHECK_STR(both(&f, "insert into %s select range, 'a' from range(20)"), "inserted 20 rows into main.t");
	CHECK_STR(both(&f, "delete from %s where id % 4 = 0"), "deleted 5 rows from main.t");
	CHECK_INT(stats(&f).batches, 0);
	CHECK_INT(differences(&f, "main.t", "ref"), 0);
	CHECK_STR(both(&f, "insert into %s values (100, 'b'), (101, 'b')"), "inserted 2 rows into main.t");
	CHECK_STR(both(&f, "update %s set v = 'c' where id >= 100 or id = 1"), "updated 3 rows in main.t");
	CHECK_INT(differences(&f, "main.t", "ref"), 0);
	CHECK_STR(both(&f, "insert into %s values (200, 'd')"), "inserted 1 row into main.t");
	pond_write_result r;
	pond_error err = POND_ERROR_INIT;
	const char *keys[] = {"id"};
	CHECK_OK(pond_table_merge_query(f.lake, &f.id, "select 200 id, 'e' v union all select 201, 'f'", keys, 1, NULL,
	                                &r, &err), &err);
	CHECK_STR(native(&f, "delete from ref where id in (200, 201); insert into ref values (200, 'e'), (201, 'f')"), "");
	CHECK_INT(stats(&f).batches, 0);
	CHECK_INT(differences(&f, "main.t", "ref"), 0);
	fx_teardown(&f);
}

TEST(buffer_rows_follow_schema_changes_and_stay_out_of_time_travel)
{
	table_fixture f;
	CHECK(setup(&f, NULL) == 0);
	CHECK_STR(run(&f, "create table t as select 1 id, 'x' label0"), "created main.t with 1 row");
	int64_t first = fx_snapshot(&f);
	CHECK_STR(run(&f, "insert into t values (2, 'y'), (3, 'z')"), "inserted 2 rows into main.t");
	CHECK_INT(query_int(&f, "select count(*) from t"), 3);
	/* Time travel reads snapshots: the buffered rows are in none. */
	const char *at = pond_arena_sprintf(f.a, "select count(*) from t at (version => %lld)", (long long)first);
	CHECK_INT(query_int(&f, at), 1);
	CHECK_INT(query_int(&f, "select count(*) from t at (version => 'main')"), 3);
	/* Rows buffered under the old schema are read by field id. */
	CHECK(run(&f, "alter table t rename column label0 to label")[0] != '(');
	CHECK(run(&f, "alter table t add column score double")[0] != '(');
	CHECK_INT(query_int(&f, "select count(*) from t where label = 'z' and score is null"), 1);
	CHECK_STR(run(&f, "insert into t values (4, 'w', 0.5)"), "inserted 1 row into main.t");
	pond_write_result r;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_table_flush(f.lake, &f.id, &r, &err), &err);
	CHECK_INT(r.added_records, 3);
	CHECK_INT(query_int(&f, "select count(*) from t where label in ('y', 'z', 'w')"), 3);
	CHECK_INT(query_int(&f, "select count(*) from t where score = 0.5"), 1);
	CHECK_INT(query_int(&f, at), 1);
	fx_teardown(&f);
}

TEST(buffer_flushes_by_itself_at_its_limits_and_not_for_big_appends)
{
	table_fixture f;
	CHECK(setup(&f, NULL) == 0);
	CHECK_STR(run(&f, "create table t (id bigint)"), "created main.t");
	pond_iceberg_kv props[] = {{POND_BUFFER_FLUSH_BATCHES, "3"}, {POND_BUFFER_INSERT_MAX_ROWS, "100"}};
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_table_set_properties(f.lake, &f.id, props, 2, NULL, 0, &err), &err);
	size_t before = nsnapshots(&f);
	CHECK_STR(run(&f, "insert into t values (1)"), "inserted 1 row into main.t");
	CHECK_STR(run(&f, "insert into t values (2)"), "inserted 1 row into main.t");
	CHECK_INT(nsnapshots(&f), before);
	CHECK_STR(run(&f, "insert into t values (3)"), "inserted 1 row into main.t");
	CHECK_INT(nsnapshots(&f), before + 1);  /* the third append flushed */
	CHECK_INT(stats(&f).batches, 0);
	/* More rows than insert-max-rows: a snapshot of its own at once. */
	CHECK_STR(run(&f, "insert into t select range from range(101)"), "inserted 101 rows into main.t");
	CHECK_INT(nsnapshots(&f), before + 2);
	CHECK_INT(stats(&f).batches, 0);
	/* A table that does not buffer. */
	pond_iceberg_kv off[] = {{POND_BUFFER_ENABLED, "false"}};
	CHECK_OK(pond_table_set_properties(f.lake, &f.id, off, 1, NULL, 0, &err), &err);
	CHECK_STR(run(&f, "insert into t values (4)"), "inserted 1 row into main.t");
	CHECK_INT(nsnapshots(&f), before + 3);
	CHECK_INT(query_int(&f, "select count(*) from t"), 105);
	fx_teardown(&f);
}

TEST(buffer_refuses_nulls_in_required_columns_and_is_dropped_with_the_table)
{
	table_fixture f;
	CHECK(setup(&f, NULL) == 0);
	CHECK_STR(run(&f, "create table t (id int not null, v int)"), "created main.t");
	const char *m = run(&f, "insert into t values (1, 1), (NULL, 2)");
	CHECK_MSG(strstr(m, "(error:") && strstr(m, "id"), "got %s", m);
	CHECK_INT(stats(&f).batches, 0);
	CHECK_STR(run(&f, "insert into t values (1, 1)"), "inserted 1 row into main.t");
	CHECK_INT(stats(&f).batches, 1);
	CHECK_STR(run(&f, "drop table t"), "dropped main.t");
	CHECK_STR(run(&f, "create table t (id int not null, v int)"), "created main.t");
	CHECK_INT(query_int(&f, "select count(*) from t"), 0);
	CHECK_INT(stats(&f).batches, 0);
	pond_arena *a = pond_arena_new();
	pond_table_ident *ids;
	size_t n;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_lake_buffered_tables(f.lake, a, &ids, &n, &err), &err);
	CHECK_INT(n, 0);
	pond_arena_free(&a);
	fx_teardown(&f);
}

/* Writers in 3 processes each buffer 20 appends of 5 rows and flush after
 * every fourth, all at once on one table: every row is in the table
 * exactly once (a flush and a concurrent flush of the same rows cannot
 * both land; an append never waits for a flush to be seen). */
static void concurrent_flushes(const char *catalog_url)
{
	table_fixture f;
	CHECK(setup(&f, catalog_url) == 0);
	CHECK_STR(run(&f, "create table t (w int, i int, k int)"), "created main.t");
	enum { WRITERS = 3, APPENDS = 20, ROWS = 5 };
	int go[2];
	CHECK(pipe(go) == 0);
	pid_t pids[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		if ((pids[w] = fork()) == 0) {
			close(go[1]);
			char c;
			while (read(go[0], &c, 1) > 0) {}
			pond_lake *lake = NULL;
			pond_error err = POND_ERROR_INIT;
			int failed = pond_lake_open(&lake, f.project, NULL, &err) != 0;
			for (int i = 0; i < APPENDS && !failed; i++) {
				char sql[160];
				snprintf(sql, sizeof sql, "select %d w, %d i, range::int k from range(%d)", w, i, ROWS);
				pond_write_result r;
				failed = pond_table_append_query(lake, &f.id, sql, NULL, &r, &err) != 0 || !r.buffered;
				if (!failed && i % 4 == 3)
					failed = pond_table_flush(lake, &f.id, &r, &err) != 0;
			}
			if (failed)
				fprintf(stderr, "    writer %d: %s\n", w, err.msg);
			pond_lake_close(&lake);
			_exit(failed);
		}
	}
	close(go[0]);
	close(go[1]);
	int all_ok = 1;
	for (int w = 0; w < WRITERS; w++) {
		int status;
		waitpid(pids[w], &status, 0);
		all_ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	CHECK(all_ok);
	CHECK_INT(query_int(&f, "select count(*) from t"), WRITERS * APPENDS * ROWS);
	CHECK_INT(query_int(&f, "select count(*) from (select distinct w, i, k from t)"), WRITERS * APPENDS * ROWS);
	pond_write_result r;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_table_flush(f.lake, &f.id, &r, &err), &err);
	CHECK_INT(stats(&f).batches, 0);
	CHECK_INT(query_int(&f, "select count(*) from (select distinct w, i, k from t)"), WRITERS * APPENDS * ROWS);
	CHECK_INT(query_int(&f, "select count(*) from t"), WRITERS * APPENDS * ROWS);
	fx_teardown(&f);
}

TEST(buffer_concurrent_appends_and_flushes_keep_every_row_once_sqlite)
{
	concurrent_flushes(NULL);
}

TEST(buffer_concurrent_appends_and_flushes_keep_every_row_once_pg)
{
	const char *url = getenv("POND_TEST_PG_URL");
	CHECK_MSG(url != NULL, "POND_TEST_PG_URL is not set: run the suite through tests/run.sh");
	concurrent_flushes(url);
}

static size_t count_cached(table_fixture *f, const char *prefix)
{
	const char *dir = pond_arena_sprintf(f->a, "%s/.pond/cache/buffer", f->project->root);
	DIR *d = opendir(dir);
	size_t n = 0;
	for (struct dirent *e; d && (e = readdir(d)) != NULL;)
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	if (d)
		closedir(d);
	return n;
}

/* Sets every cached file of the table to two hours old. */
static int age_cached(table_fixture *f, const char *prefix)
{
	const char *dir = pond_arena_sprintf(f->a, "%s/.pond/cache/buffer", f->project->root);
	DIR *d = opendir(dir);
	int rc = d ? 0 : -1;
	struct timeval old[2] = {{time(NULL) - 7200, 0}, {time(NULL) - 7200, 0}};
	for (struct dirent *e; d && (e = readdir(d)) != NULL;)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 &&
		    utimes(pond_arena_sprintf(f->a, "%s/%s", dir, e->d_name), old) != 0)
			rc = -1;
	if (d)
		closedir(d);
	return rc;
}

/* The cached files of buffered rows (one per state a read saw) stay while
 * a read may still use them and go, at a later flush, once they are old;
 * another table's stay. */
TEST(buffer_cached_copies_of_flushed_rows_go_once_old)
{
	table_fixture f;
	CHECK(setup(&f, NULL) == 0);
	CHECK_STR(run(&f, "create table t (id int)"), "created main.t");
	pond_table *t = fx_load(&f);
	CHECK(t != NULL);
	const char *uuid = pond_arena_strdup(f.a, t->metadata->table_uuid);
	pond_table_free(&t);
	const char *stranger = pond_arena_sprintf(f.a, "%s/.pond/cache/buffer/00000000-0000-0000-0000-000000000000-1"
	                                          ".parquet", f.project->root);
	CHECK_STR(run(&f, "insert into t values (1)"), "inserted 1 row into main.t");
	CHECK_INT(count_cached(&f, uuid), 0);  /* an append writes no file */
	CHECK_INT(query_int(&f, "select sum(id) from t"), 1);
	CHECK_STR(run(&f, "insert into t values (2)"), "inserted 1 row into main.t");
	CHECK_INT(query_int(&f, "select sum(id) from t"), 3);
	CHECK_INT(query_int(&f, "select count(*) from t"), 2);  /* the same state: the same file */
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_file_write_atomic(stranger, "x", 1, &err), &err);
	CHECK_INT(count_cached(&f, uuid), 2);
	pond_write_result r;
	CHECK_OK(pond_table_flush(f.lake, &f.id, &r, &err), &err);
	CHECK_INT(count_cached(&f, uuid), 2);  /* young: a bound read may still use them */
	CHECK(age_cached(&f, uuid) == 0 && age_cached(&f, "00000000-") == 0);
	CHECK_STR(run(&f, "insert into t values (3)"), "inserted 1 row into main.t");
	CHECK_OK(pond_table_flush(f.lake, &f.id, &r, &err), &err);
	CHECK_INT(count_cached(&f, uuid), 1);  /* the two old ones went; the newest stays */
	CHECK(pond_file_exists(stranger));
	CHECK_INT(query_int(&f, "select sum(id) from t"), 6);
	fx_teardown(&f);
}

/* Buffers select_sql's rows as a 'parquet' row, as the previous pond did
 * (its function, kept for this). The write's folder is left behind. */
static int put_parquet(table_fixture *f, const char *select_sql)
{
	pond__write w;
	pond_error err = POND_ERROR_INIT;
	if (pond__write_begin(&w, f->lake, &f->id, NULL, &err) != 0) {
		fprintf(stderr, "    put_parquet: %s\n", err.msg);
		return -1;
	}
	pond_buf sql = POND_BUF_INIT;
	const char *dir = NULL;
	pond_written_file *files = NULL;
	size_t n = 0;
	int rc = pond__write_cast_select(&w, &sql, select_sql, &err);
	if (rc == 0)
		rc = pond__write_rows(&w, pond_buf_cstr(&sql), &dir, &files, &n, &err);
	if (rc == 0)
		rc = pond__buffer_put_parquet(&w, dir, files, n, &err);
	if (rc)
		fprintf(stderr, "    put_parquet: %s\n", err.msg);
	pond_buf_dispose(&sql);
	pond__write_end(&w);
	return rc ? -1 : 0;
}

/* Rows in both forms read, flush and time-travel as one buffer. */
static void previous_form_rows(const char *catalog_url)
{
	table_fixture f;
	CHECK(setup(&f, catalog_url) == 0);
	CHECK_STR(native(&f, "create table ref as select 0 id, 'z' v"), "");
	CHECK_STR(run(&f, "create table t as select 0 id, 'z' v"), "created main.t with 1 row");
	int64_t first = fx_snapshot(&f);
	CHECK(put_parquet(&f, "select 1, 'a' union all select 2, 'b'") == 0);
	CHECK_STR(native(&f, "insert into ref values (1, 'a'), (2, 'b')"), "");
	CHECK_STR(both(&f, "insert into %s values (3, 'c'), (4, NULL)"), "inserted 2 rows into main.t");
	CHECK(put_parquet(&f, "select 5, 'e'") == 0);
	CHECK_STR(native(&f, "insert into ref values (5, 'e')"), "");
	CHECK_STR(both(&f, "insert into %s select range + 6, 'r' || range from range(3)"), "inserted 3 rows into main.t");
	pond_buffer_stats st = stats(&f);
	CHECK_INT(st.batches, 4);
	CHECK_INT(st.records, 8);
	CHECK_INT(nsnapshots(&f), 1);
	CHECK_INT(differences(&f, "main.t", "ref"), 0);
	CHECK_INT(query_int(&f, "select count(*) from t where v is null"), 1);
	const char *at = pond_arena_sprintf(f.a, "select count(*) from t at (version => %lld)", (long long)first);
	CHECK_INT(query_int(&f, at), 1);
	pond_write_result r;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_table_flush(f.lake, &f.id, &r, &err), &err);
	CHECK_INT(r.added_records, 8);
	CHECK_INT(r.added_files, 1);
	CHECK_INT(stats(&f).batches, 0);
	CHECK_INT(nsnapshots(&f), 2);
	CHECK_INT(differences(&f, "main.t", "ref"), 0);
	CHECK_INT(query_int(&f, at), 1);
	fx_teardown(&f);
}

TEST_ON_CATALOGS(buffer_rows_of_the_previous_form_mix_with_new_ones, previous_form_rows)

/* A catalog the previous pond left (pond_buffer without its form column,
 * at version 1) is read, brought up to date and flushed by this one. */
TEST(buffer_of_a_previous_pond_catalog_is_read_and_migrated)
{
	table_fixture f;
	CHECK(setup(&f, NULL) == 0);
	CHECK_STR(run(&f, "create table t (id int, v varchar)"), "created main.t");
	CHECK(put_parquet(&f, "select 1, 'a' union all select 2, 'b'") == 0);
	pond_error err = POND_ERROR_INIT;
	pond_catalog *cat = pond_lake_catalog(f.lake);
	CHECK_OK(pond_catalog_exec(cat, "ALTER TABLE pond_buffer DROP COLUMN form", NULL, 0, NULL, &err), &err);
	CHECK_OK(pond_catalog_exec(cat, "UPDATE pond_schema_version SET version = 1 WHERE component = 'buffer'", NULL, 0,
	                           NULL, &err), &err);
	/* A new process: a lake that has not seen the buffer yet. */
	pond_session_close(&f.session);
	pond_lake_close(&f.lake);
	CHECK_OK(pond_lake_open(&f.lake, f.project, NULL, &err), &err);
	pond_lake_set_write_through(f.lake, false);
	CHECK_INT(query_int(&f, "select sum(id) from t"), 3);
	CHECK_STR(run(&f, "insert into t values (3, 'c')"), "inserted 1 row into main.t");
	CHECK_INT(stats(&f).batches, 2);
	CHECK_INT(query_int(&f, "select sum(id) from t"), 6);
	pond_write_result r;
	CHECK_OK(pond_table_flush(f.lake, &f.id, &r, &err), &err);
	CHECK_INT(r.added_records, 3);
	CHECK_INT(query_int(&f, "select count(*) from t where v in ('a', 'b', 'c')"), 3);
	fx_teardown(&f);
}

/* Appends past the row or byte limit become data files at once, from the
 * rows the buffer read (partitioned tables split as usual). */
TEST(buffer_append_over_its_limits_writes_data_files)
{
	table_fixture f;
	CHECK(setup(&f, NULL) == 0);
	CHECK_STR(native(&f, "create table ref (id bigint, s varchar, k int)"), "");
	CHECK_STR(run(&f, "create table t (id bigint not null, s varchar, k int)"), "created main.t");
	CHECK(run(&f, "alter table t add partition field bucket(4, k)")[0] != '(');
	pond_iceberg_kv props[] = {{POND_BUFFER_INSERT_MAX_ROWS, "100"}, {POND_BUFFER_FLUSH_BYTES, "4000"}};
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_table_set_properties(f.lake, &f.id, props, 2, NULL, 0, &err), &err);
	size_t before = nsnapshots(&f);
	CHECK_STR(both(&f, "insert into %s select range, 's' || range, range % 7 from range(100)"),
	          "inserted 100 rows into main.t");
	CHECK_INT(nsnapshots(&f), before);
	CHECK_INT(stats(&f).batches, 1);
	/* 5000 rows: the first chunk passes the limit, the rest streams on. */
	CHECK_STR(both(&f, "insert into %s select range, 'x', range % 5 from range(5000)"), "inserted 5000 rows into main.t");
	CHECK_INT(nsnapshots(&f), before + 1);
	CHECK_INT(stats(&f).batches, 1);
	CHECK(fx_count_data_files(&f) > 1);  /* split by the spec */
	/* 10 rows, but more bytes than the limit. */
	CHECK_STR(both(&f, "insert into %s select range, repeat('y', 1000), 1 from range(10)"),
	          "inserted 10 rows into main.t");
	CHECK_INT(nsnapshots(&f), before + 2);
	CHECK_INT(stats(&f).batches, 1);
	CHECK_INT(differences(&f, "main.t", "ref"), 0);
	/* A NOT NULL column is checked on that path too. */
	const char *m = run(&f, "insert into t select case when range = 4000 then null else range end, 'n', 1 "
	                        "from range(5000)");
	CHECK_MSG(strstr(m, "(error:") && strstr(m, "NOT NULL"), "got %s", m);
	CHECK_INT(nsnapshots(&f), before + 2);
	CHECK_INT(differences(&f, "main.t", "ref"), 0);
	fx_teardown(&f);
}

TEST(buffer_append_under_allocation_failures_fails_cleanly_or_buffers)
{
	table_fixture f;
	CHECK(setup(&f, NULL) == 0);
	CHECK_STR(run(&f, "create table t (id int, v varchar, l int[])"), "created main.t");
	CHECK_STR(run(&f, "insert into t values (0, 'first', [1])"), "inserted 1 row into main.t");
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	bool done = false;
	for (long n = 1; n < 20000 && !done; n++) {
		pond_alloc_fail_at(n);
		int rc = pond_table_append_query(f.lake, &f.id, "select range, 'v' || range, [range, NULL] from range(3)",
		                                 NULL, &r, &err);
		pond_alloc_fail_at(0);
		if (rc == 0) {
			done = true;
			break;
		}
		CHECK_MSG(err.msg[0] != '\0', "allocation %ld: failure without a message", n);
		pond_buffer_stats st = stats(&f);
		CHECK_MSG(st.batches == 1 && st.records == 1, "allocation %ld: %lld batches after a failed append (%s)", n,
		          (long long)st.batches, err.msg);
	}
	CHECK(done);
	CHECK(r.buffered);
	CHECK_INT(stats(&f).batches, 2);
	CHECK_INT(query_int(&f, "select count(*) + sum(len(l)) from t"), 4 + 1 + 6);
	fx_teardown(&f);
}

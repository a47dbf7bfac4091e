/*
 * Tables on S3 (warehouse: s3://bucket/prefix) against the suite's S3 test
 * server: every table operation run on an S3 warehouse and, step by step,
 * on a local warehouse and on a native DuckDB table holding the same rows,
 * with every result compared; reads fetch exactly the planned files and
 * then hit the cache; uploads retried through 503s and dropped
 * connections land once, and a write whose upload fails commits nothing
 * and leaves no object; an expiry whose deletes are refused keeps its
 * commit and counts nothing deleted; the staging folder of a killed
 * writer is swept.
 */
#include "../test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../io/s3_test_util.h"
#include "fixture.h"
#include "table/table_internal.h"

/* Runs one statement through the fixture's session; -1 on failure. */
static int run(table_fixture *f, const char *sql)
{
	pond_error err = POND_ERROR_INIT;
	pond_result *r = NULL;
	const char *msg;
	pond_session *s = fx_session(f);
	if (!s || pond_session_run(s, sql, f->a, &r, &msg, &err) != 0) {
		fprintf(stderr, "    run %s: %s\n", sql, err.msg);
		return -1;
	}
	pond_result_free(&r);
	return 0;
}

/* The statement on both lakes and on the reference. */
static int all3(table_fixture *s3, table_fixture *local, pond_engine *ref, const char *sql)
{
	pond_error err = POND_ERROR_INIT;
	if (run(s3, sql) != 0 || run(local, sql) != 0)
		return -1;
	if (ref && pond_engine_exec(ref, sql, &err) != 0) {
		fprintf(stderr, "    ref %s: %s\n", sql, err.msg);
		return -1;
	}
	return 0;
}

/* Checks that t reads the same on S3, locally and (when ref) in DuckDB. */
#define CHECK_SAME(s3, local, ref, query)                                                      \
	do {                                                                                   \
		const char *a_ = fx_rows(s3, query), *b_ = fx_rows(local, query);              \
		CHECK_STR(a_, b_);                                                             \
		if (ref)                                                                       \
			CHECK_STR(a_, fx_engine_rows(ref, (s3)->a, query));                    \
	} while (0)

/* The oldest snapshot of the table (its history's first). */
static int64_t first_snapshot(table_fixture *f)
{
	pond_table *t = fx_load(f);
	int64_t id = -1, ts = INT64_MAX;
	for (size_t i = 0; t && i < t->metadata->nsnapshots; i++)
		if (t->metadata->snapshots[i].timestamp_ms < ts) {
			ts = t->metadata->snapshots[i].timestamp_ms;
			id = t->metadata->snapshots[i].snapshot_id;
		}
	pond_table_free(&t);
	return id;
}

typedef struct key_count {
	const char *containing;
	int n;
} key_count;

static int count_key(const pond_s3_object *o, void *payload)
{
	key_count *k = payload;
	k->n += !k->containing || strstr(o->key, k->containing) != NULL;
	return 0;
}

/* Keys under prefix in bucket containing a string (NULL: any), listed
 * through a client of its own; -1 on failure. */
static int keys(const char *bucket, const char *prefix, const char *containing)
{
	pond_error err = POND_ERROR_INIT;
	pond_s3_client *c = NULL;
	key_count k = {containing, 0};
	int rc = s3t_client(&c, NULL, true, NULL, NULL, NULL, &err);
	if (rc == 0)
		rc = pond_s3_list(c, bucket, prefix, count_key, &k, &err);
	pond_s3_client_free(&c);
	if (rc)
		fprintf(stderr, "    list %s: %s\n", bucket, err.msg);
	return rc ? -1 : k.n;
}

TEST(s3_tables_every_operation_reads_as_on_a_local_warehouse_and_in_duckdb)
{
	NEED_SERVER();
	table_fixture s3, local;
	char bucket[64];
	CHECK(fx_setup_s3(&s3, "proj-s3", "t", bucket) == 0);
	CHECK(fx_setup_in(&local, "proj-local", "t") == 0);
	pond_error err = POND_ERROR_INIT;
	pond_engine *ref;
	CHECK_OK(pond_engine_open(&ref, NULL, &err), &err);
	const char *all = "select * from t";

	/* create, partitioned, and a bulk insert */
	CHECK(all3(&s3, &local, ref, "create table t (id bigint, day date, name varchar, v double)") == 0);
	CHECK(run(&s3, "alter table t add partition field day") == 0);
	CHECK(run(&local, "alter table t add partition field day") == 0);
	CHECK(all3(&s3, &local, ref, "insert into t select range, date '2024-01-01' + (range % 5)::int, "
	                             "'n' || range, range / 7 from range(500)") == 0);
	CHECK_SAME(&s3, &local, ref, all);

	/* buffered appends (rows visible at once), then a flush */
	pond_lake_set_write_through(s3.lake, false);
	pond_lake_set_write_through(local.lake, false);
	CHECK(all3(&s3, &local, ref, "insert into t values (1000, date '2024-01-02', 'buffered', 1.5)") == 0);
	CHECK(all3(&s3, &local, ref, "insert into t values (1001, date '2024-01-09', NULL, NULL)") == 0);
	CHECK_SAME(&s3, &local, ref, all);
	pond_write_result wr;
	CHECK_OK(pond_table_flush(s3.lake, &s3.id, &wr, &err), &err);
	CHECK_INT(wr.added_records, 2);
	CHECK_OK(pond_table_flush(local.lake, &local.id, &wr, &err), &err);
	pond_lake_set_write_through(s3.lake, true);
	pond_lake_set_write_through(local.lake, true);
	CHECK_SAME(&s3, &local, ref, all);

	/* delete, update */
	CHECK(all3(&s3, &local, ref, "delete from t where id % 3 = 0 and day = date '2024-01-03'") == 0);
	CHECK(all3(&s3, &local, ref, "update t set v = v * 2, name = upper(name) where id between 100 and 150") == 0);
	CHECK_SAME(&s3, &local, ref, all);
	CHECK_SAME(&s3, &local, ref, "select day, count(*), round(sum(v), 6) from t group by day");

	/* merge on id (the reference: delete the keys, insert the rows) */
	const char *src = "select range * 2 as id, date '2024-01-04' as day, 'merged' as name, 0.5 as v from range(300, 330)";
	const char *key[] = {"id"};
	CHECK_OK(pond_table_merge_query(s3.lake, &s3.id, src, key, 1, NULL, &wr, &err), &err);
	CHECK_OK(pond_table_merge_query(local.lake, &local.id, src, key, 1, NULL, &wr, &err), &err);
	CHECK_OK(pond_engine_exec(ref, pond_arena_sprintf(s3.a, "delete from t where id in (select id from (%s)); "
	                                                  "insert into t %s", src, src), &err), &err);
	CHECK_SAME(&s3, &local, ref, all);

	/* overwrite of one partition */
	const char *repl = "select range + 5000 as id, date '2024-01-05' as day, 'over' as name, 1.0 as v from range(3)";
	CHECK_OK(pond_table_overwrite_query(s3.lake, &s3.id, repl, "day = date '2024-01-05'", NULL, &wr, &err), &err);
	CHECK_OK(pond_table_overwrite_query(local.lake, &local.id, repl, "day = date '2024-01-05'", NULL, &wr, &err), &err);
	CHECK_OK(pond_engine_exec(ref, pond_arena_sprintf(s3.a, "delete from t where day = date '2024-01-05'; insert into t %s",
	                                                  repl), &err), &err);
	CHECK_SAME(&s3, &local, ref, all);

	/* time travel to the first snapshot: the bulk insert */
	const char *tt_s3 = pond_arena_sprintf(s3.a, "select * from t at (version => %lld)", (long long)first_snapshot(&s3));
	const char *tt_local = pond_arena_sprintf(local.a, "select * from t at (version => %lld)",
	                                          (long long)first_snapshot(&local));
	const char *then = fx_rows(&s3, tt_s3);
	CHECK_STR(then, fx_rows(&local, tt_local));
	CHECK_STR(then, fx_engine_rows(ref, s3.a, "select range as id, date '2024-01-01' + (range % 5)::int as day, 'n' || range as "
	                                    "name, range / 7 as v from range(500)"));

	/* compaction: the same rows, the same number of files */
	pond_compact_result cr_s3, cr_local;
	pond_compact_options co = POND_COMPACT_OPTIONS_INIT;
	co.min_input_files = 2;
	CHECK_OK(pond_table_compact(s3.lake, &s3.id, &co, &cr_s3, &err), &err);
	CHECK_OK(pond_table_compact(local.lake, &local.id, &co, &cr_local, &err), &err);
	CHECK(cr_s3.snapshot_id != 0);
	CHECK_INT(cr_s3.rewritten_files, cr_local.rewritten_files);
	CHECK_INT(cr_s3.data_files_after, cr_local.data_files_after);
	CHECK_SAME(&s3, &local, ref, all);

	/* expiry down to the last snapshot: as many files deleted on S3 */
	pond_expire_options eo = POND_EXPIRE_OPTIONS_INIT;
	eo.older_than_ms = 0;
	eo.retain_last = 1;
	pond_expire_result er_s3, er_local;
	CHECK_OK(pond_table_expire(s3.lake, &s3.id, &eo, &er_s3, &err), &err);
	CHECK_OK(pond_table_expire(local.lake, &local.id, &eo, &er_local, &err), &err);
	CHECK(er_s3.snapshots > 0);
	CHECK_INT(er_s3.snapshots, er_local.snapshots);
	CHECK_INT(er_s3.content_files, er_local.content_files);
	CHECK_INT(er_s3.manifests, er_local.manifests);
	CHECK_INT(er_s3.manifest_lists, er_local.manifest_lists);
	CHECK_SAME(&s3, &local, ref, all);
	/* what is left on S3 is what the metadata reaches: no orphan */
	pond_orphans_options oo = POND_ORPHANS_OPTIONS_INIT;
	oo.older_than_ms = 0;
	pond_orphans_result or_s3;
	CHECK_OK(pond_table_orphans(s3.lake, &s3.id, &oo, &or_s3, &err), &err);
	CHECK_INT(or_s3.files, 0);

	/* an orphan, on each */
	pond_s3_client *c;
	CHECK_OK(s3t_client(&c, NULL, true, NULL, NULL, NULL, &err), &err);
	CHECK_OK(pond_s3_put(c, bucket, "wh/main/t/data/stray.parquet", "junk", 4, NULL, &err), &err);
	pond_s3_client_free(&c);
	const char *stray = pond_arena_sprintf(local.a, "%s/main/t/data/stray.parquet", local.project->warehouse);
	CHECK_OK(pond_file_write_atomic(stray, "junk", 4, &err), &err);
	oo.now_ms = pond_time_now_ms() + 60000;  /* the stray files are a minute old by then */
	oo.remove = true;
	pond_orphans_result or_local;
	CHECK_OK(pond_table_orphans(s3.lake, &s3.id, &oo, &or_s3, &err), &err);
	CHECK_OK(pond_table_orphans(local.lake, &local.id, &oo, &or_local, &err), &err);
	CHECK_INT(or_s3.files, 1);
	CHECK_INT(or_s3.bytes, 4);
	CHECK_INT(or_local.files, 1);
	CHECK_INT(keys(bucket, "wh/main/t/data/stray", NULL), 0);
	CHECK_SAME(&s3, &local, ref, all);

	/* drop with purge: nothing left under the table's prefix */
	CHECK(keys(bucket, "wh/main/t/", NULL) > 0);
	CHECK_OK(pond_table_drop(s3.lake, &s3.id, true, &err), &err);
	CHECK_OK(pond_table_drop(local.lake, &local.id, true, &err), &err);
	CHECK_INT(keys(bucket, "wh/main/t/", NULL), 0);
	CHECK(!pond_file_exists(pond_arena_sprintf(local.a, "%s/main/t", local.project->warehouse)));
	pond_engine_close(&ref);
	fx_teardown(&s3);
	fx_teardown(&local);
}

TEST(s3_tables_selective_query_fetches_only_planned_files_then_hits_the_cache)
{
	NEED_SERVER();
	table_fixture f;
	char bucket[64];
	CHECK(fx_setup_s3(&f, "proj", "t", bucket) == 0);
	CHECK(run(&f, "create table t (id bigint, p int)") == 0);
	CHECK(run(&f, "alter table t add partition field p") == 0);
	CHECK(run(&f, "insert into t select range, range % 20 from range(2000)") == 0);
	CHECK_INT(keys(bucket, "wh/main/t/data/", NULL), 20);
	/* A fresh cache (another machine, or an evicted one): uploads were
	 * kept as cached copies, so drop them. */
	fx_teardown(&f);
	table_fixture g;
	memset(&g, 0, sizeof g);
	g.a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	const char *dir = pond_arena_sprintf(g.a, "%s/proj", pond_test_tmpdir());
	CHECK(system(pond_arena_sprintf(g.a, "rm -rf '%s/.pond/cache/s3'", dir)) == 0);
	CHECK_OK(pond_project_load(&g.project, dir, &err), &err);
	CHECK_OK(pond_lake_open(&g.lake, g.project, NULL, &err), &err);
	CHECK_OK(pond_table_ident_parse(&g.id, g.a, "t", &err), &err);
	int seen = 0;
	s3t_gets_since(bucket, "/data/", &seen);
	CHECK_STR(fx_rows(&g, "select count(*), sum(id) from t where p = 7"), "{'count_star()': 100, 'sum(id)': 99700}");
	CHECK_INT(s3t_gets_since(bucket, "/data/", &seen), 1);
	CHECK_STR(fx_rows(&g, "select count(*) from t where p in (3, 4)"), "{'count_star()': 200}");
	CHECK_INT(s3t_gets_since(bucket, "/data/", &seen), 2);
	/* again, in a new session (as the next `pond sql` would): the cache */
	pond_session_close(&g.session);
	CHECK_STR(fx_rows(&g, "select count(*), sum(id) from t where p = 7"), "{'count_star()': 100, 'sum(id)': 99700}");
	CHECK_STR(fx_rows(&g, "select count(*) from t"), "{'count_star()': 2000}");
	CHECK_INT(s3t_gets_since(bucket, "/data/", &seen), 17);
	pond_session_close(&g.session);
	CHECK_STR(fx_rows(&g, "select count(*) from t"), "{'count_star()': 2000}");
	CHECK_INT(s3t_gets_since(bucket, "/data/", &seen), 0);
	fx_teardown(&g);
}

/* A table t of 10 rows on S3, then the faults rules (a JSON array) on
 * its bucket; -1 on failure. */
static int table_with_faults(table_fixture *f, char *bucket, const char *rules)
{
	if (fx_setup_s3(f, "proj", "t", bucket) != 0 || run(f, "create table t as select range as id from range(10)") != 0)
		return -1;
	const char *faults = pond_arena_sprintf(f->a, "{\"bucket\": \"%s\", \"rules\": %s}", bucket, rules);
	return s3t_faults(faults) ? 0 : -1;
}

TEST(s3_tables_uploads_retried_through_503_and_dropped_connections_land_once)
{
	NEED_SERVER();
	table_fixture f;
	char bucket[64];
	CHECK(table_with_faults(&f, bucket,
	                        "[{\"method\": \"PUT\", \"key\": \"/data/\", \"action\": \"503\", \"times\": 2}, "
	                        "{\"method\": \"PUT\", \"action\": \"drop-body\", \"times\": 1}, "
	                        "{\"method\": \"PUT\", \"key\": \".metadata.json\", \"action\": \"500\", \"times\": 1}]") == 0);
	CHECK(run(&f, "insert into t select range + 100 from range(1000)") == 0);
	CHECK_STR(fx_rows(&f, "select count(*), sum(id) from t"), "{'count_star()': 1010, 'sum(id)': 599545}");
	CHECK_INT(keys(bucket, "wh/main/t/data/", NULL), 2);
	bool all_signed;
	CHECK(s3t_count(bucket, "PUT", NULL, &all_signed) > 0);
	CHECK(all_signed);
	fx_teardown(&f);
}

static int count_entry(const char *path, const char *name, const struct stat *st, void *payload)
{
	(void)path; (void)name; (void)st;
	(*(int *)payload)++;
	return 0;
}

TEST(s3_tables_a_failed_upload_commits_nothing_and_leaves_no_object)
{
	NEED_SERVER();
	table_fixture f;
	char bucket[64];
	/* The data file of partition p=1 is refused for good (p=0's lands). */
	CHECK(table_with_faults(&f, bucket, "[{\"method\": \"PUT\", \"key\": \"=1/\", \"action\": \"403\", \"times\": 100}]") == 0);
	CHECK(run(&f, "alter table t add column p int") == 0);
	CHECK(run(&f, "alter table t add partition field p") == 0);
	int64_t before = fx_snapshot(&f);
	int nkeys = keys(bucket, "wh/", NULL);
	pond_error err = POND_ERROR_INIT;
	pond_write_result wr;
	int rc = pond_table_append_query(f.lake, &f.id, "select range, range % 2 from range(100)", NULL, &wr, &err);
	CHECK(rc != 0);
	CHECK_MSG(strstr(err.msg, "AccessDenied") != NULL, "error: %s", err.msg);
	CHECK_INT(fx_snapshot(&f), before);
	CHECK_INT(keys(bucket, "wh/", NULL), nkeys);
	CHECK_STR(fx_rows(&f, "select count(*) from t"), "{'count_star()': 10}");
	/* and the local staging folder is gone */
	int entries = 0;
	pond_dir_each(pond_arena_sprintf(f.a, "%s/.pond/cache/staging", f.project->root), count_entry, &entries);
	CHECK_INT(entries, 0);
	fx_teardown(&f);
}

/* An expiry whose batched delete (DeleteObjects) is refused: the commit
 * stands (the snapshots are gone), no file counts as deleted and every
 * object stays; pond orphans then removes the manifest lists and
 * manifests the expiry would have deleted (the rewritten data file stays:
 * the kept manifest still names it, as deleted). */
TEST(s3_tables_an_expiry_whose_deletes_are_refused_keeps_its_commit_and_counts_nothing)
{
	NEED_SERVER();
	table_fixture f;
	char bucket[64];
	CHECK(table_with_faults(&f, bucket, "[]") == 0);
	CHECK(run(&f, "insert into t select range + 100 from range(10)") == 0);
	CHECK(run(&f, "delete from t where id < 5") == 0);
	const char *want = fx_rows(&f, "select * from t");
	pond_error err = POND_ERROR_INIT;
	pond_expire_options eo = POND_EXPIRE_OPTIONS_INIT;
	eo.older_than_ms = 0;
	eo.retain_last = 1;
	eo.dry_run = true;
	pond_expire_result dry, er;
	CHECK_OK(pond_table_expire(f.lake, &f.id, &eo, &dry, &err), &err);
	CHECK(dry.manifest_lists > 0 && dry.manifests > 0 && dry.content_files > 0);
	int nkeys = keys(bucket, "wh/main/t/", NULL);
	const char *fault = pond_arena_sprintf(f.a, "{\"bucket\": \"%s\", \"rules\": [{\"method\": \"POST\", \"query\": "
	                                       "\"delete\", \"action\": \"403\", \"times\": 1}]}", bucket);
	CHECK(s3t_faults(fault));
	eo.dry_run = false;
	CHECK_OK(pond_table_expire(f.lake, &f.id, &eo, &er, &err), &err);
	CHECK_INT(er.snapshots, dry.snapshots);
	CHECK_INT(er.snapshots_left, 1);
	CHECK_INT(er.manifest_lists + er.manifests + er.content_files + er.other_files, 0);
	CHECK_INT(er.bytes, 0);
	CHECK_INT(keys(bucket, "wh/main/t/", NULL), nkeys + 1);  /* and the expiry's metadata file */
	CHECK_STR(fx_rows(&f, "select * from t"), want);
	/* The refused files are orphans now. */
	pond_orphans_options oo = POND_ORPHANS_OPTIONS_INIT;
	oo.older_than_ms = 0;
	oo.now_ms = pond_time_now_ms() + 60000;
	oo.remove = true;
	pond_orphans_result orr;
	CHECK_OK(pond_table_orphans(f.lake, &f.id, &oo, &orr, &err), &err);
	CHECK_INT(orr.files, dry.manifest_lists + dry.manifests);
	CHECK_STR(fx_rows(&f, "select * from t"), want);
	fx_teardown(&f);
}

TEST(s3_tables_a_killed_writers_staging_folder_is_swept_by_the_next)
{
	table_fixture f;
	CHECK(fx_setup(&f, NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		const char *dir;
		int lock;
		if (pond__stage_open(f.lake, f.a, &dir, &lock, &err) != 0)
			_exit(1);
		FILE *out = fopen(pond_arena_sprintf(f.a, "%s/stage.txt", pond_test_tmpdir()), "w");
		fprintf(out, "%s", dir);
		fclose(out);
		pond_file_write_atomic(pond_arena_sprintf(f.a, "%s/data-1.parquet", dir), "x", 1, &err);
		_exit(0);  /* killed, as far as the folder knows: nothing closed it */
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	char *left = NULL;
	size_t len;
	CHECK_OK(pond_file_read(&left, &len, pond_arena_sprintf(f.a, "%s/stage.txt", pond_test_tmpdir()), 4096, &err),
	         &err);
	CHECK(pond_file_exists(left));
	/* A live writer's folder stays while the next one starts. */
	const char *mine, *next;
	int lock, lock2;
	CHECK_OK(pond__stage_open(f.lake, f.a, &mine, &lock, &err), &err);
	CHECK(!pond_file_exists(left));
	CHECK_OK(pond__stage_open(f.lake, f.a, &next, &lock2, &err), &err);
	CHECK(pond_file_exists(mine));
	pond__stage_close(mine, &lock);
	pond__stage_close(next, &lock2);
	CHECK(!pond_file_exists(mine));
	pond_free(left);
	fx_teardown(&f);
}

/* Archives are local folders: an S3 table with old files is refused,
 * naming its warehouse, before anything is copied or committed (the
 * command's check up front says the same). */
TEST(s3_tables_archive_is_refused_with_the_table_unchanged)
{
	NEED_SERVER();
	table_fixture f;
	char bucket[64];
	CHECK(fx_setup_s3(&f, "proj", "t", bucket) == 0);
	CHECK(run(&f, "create table t as select range as id, timestamp '2020-01-01' + to_days(range) as ts "
	              "from range(10)") == 0);
	int64_t snap = fx_snapshot(&f);
	pond_error err = POND_ERROR_INIT;
	CHECK_INT(pond_table_archive_check(f.lake, pond_test_tmpdir(), &err), POND_EUNSUPPORTED);
	CHECK_MSG(strstr(err.msg, f.project->warehouse) && strstr(err.msg, "only local"), "%s", err.msg);
	pond_archive_options o = POND_ARCHIVE_OPTIONS_INIT;
	o.dest = pond_test_tmpdir();
	o.older_than_ms = 24 * 3600 * 1000;
	o.column = "ts";
	pond_archive_result r;
	err = (pond_error)POND_ERROR_INIT;
	CHECK_INT(pond_table_archive(f.lake, &f.id, &o, &r, &err), POND_EUNSUPPORTED);
	CHECK_MSG(strstr(err.msg, f.project->warehouse) != NULL, "%s", err.msg);
	CHECK_INT(r.files, 1);  /* the one file the create wrote */
	CHECK_INT(fx_snapshot(&f), snap);
	CHECK_STR(fx_rows(&f, "select count(*) from t"), "{'count_star()': 10}");
	fx_teardown(&f);
}

TEST(s3_tables_project_storage_settings_are_read_and_checked)
{
	pond_error err = POND_ERROR_INIT;
	pond_arena *a = pond_arena_new();
	const char *dir = pond_arena_sprintf(a, "%s/p", pond_test_tmpdir());
	const char *yml = pond_arena_sprintf(a, "%s/pond.yml", dir);
	CHECK_OK(pond_mkdirs(dir, &err), &err);
	pond_project *p;
	const char *good = "warehouse: s3://lake/wh/\nstorage:\n  endpoint: http://nas:9000\n  region: eu-north-1\n"
	                   "  profile: lake\n  path_style: false\n  access_key_id_env: K\n  secret_access_key_env: S\n"
	                   "  session_token_env: T\n  cache_max_bytes: 512MB\n";
	CHECK_OK(pond_file_write_atomic(yml, good, strlen(good), &err), &err);
	CHECK_OK(pond_project_load(&p, dir, &err), &err);
	CHECK_STR(p->warehouse, "s3://lake/wh");
	CHECK_STR(p->storage.endpoint, "http://nas:9000");
	CHECK_STR(p->storage.region, "eu-north-1");
	CHECK_STR(p->storage.profile, "lake");
	CHECK_INT(p->storage.path_style, 0);
	CHECK_STR(p->storage.access_key_id_env, "K");
	CHECK_STR(p->storage.secret_access_key_env, "S");
	CHECK_STR(p->storage.session_token_env, "T");
	CHECK_INT(p->cache_max_bytes, 512LL << 20);
	CHECK(pond_str_ends_with(p->cache_dir, "/p/.pond/cache/s3"));
	pond_project_free(&p);
	static const struct {
		const char *text, *error;
	} bad[] = {
		{"warehouse: gs://b/wh\n", "pond.yml:1: warehouse \"gs://b/wh\" is not supported: use a folder or s3://BUCKET/PREFIX"},
		{"warehouse: s3:lake/wh\n", "is not supported"},
		{"warehouse: s3:///wh\n", "names no bucket"},
		{"warehouse: s3://b\nstorage:\n  endpont: x\n", "pond.yml:3"},
		{"warehouse: s3://b\nstorage: yes\n", "\"storage\" must be a map"},
		{"warehouse: s3://b\nstorage:\n  cache_max_bytes: lots\n", "cache_max_bytes wants a size"},
		{"warehouse: s3://b\nstorage:\n  path_style: maybe\n", "path_style"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK_OK(pond_file_write_atomic(yml, bad[i].text, strlen(bad[i].text), &err), &err);
		pond_error_clear(&err);
		CHECK_MSG(pond_project_load(&p, dir, &err) != 0, "%s loaded", bad[i].text);
		CHECK_MSG(strstr(err.msg, bad[i].error) != NULL, "%s: %s", bad[i].text, err.msg);
	}
	/* a local warehouse needs no storage at all */
	const char *plain = "warehouse: ./wh\n";
	CHECK_OK(pond_file_write_atomic(yml, plain, strlen(plain), &err), &err);
	CHECK_OK(pond_project_load(&p, dir, &err), &err);
	CHECK(!pond_project_is_s3(p->warehouse));
	CHECK_INT(p->cache_max_bytes, 4LL << 30);
	pond_project_free(&p);
	pond_arena_free(&a);
}

TEST(s3_tables_a_named_credential_variable_that_is_unset_is_an_error_naming_it)
{
	NEED_SERVER();
	table_fixture f;
	char bucket[64];
	CHECK(fx_setup_s3(&f, "proj", "t", bucket) == 0);
	unsetenv("POND_S3T_SECRET");
	pond_error err = POND_ERROR_INIT;
	pond_table *t = NULL;
	CHECK(run(&f, "select 1") == 0);
	pond_iceberg_schema *schema;
	CHECK_OK(pond_engine_query_schema(pond_lake_engine(f.lake), "select 1 as a", f.a, &schema, &err), &err);
	CHECK(pond_table_create(f.lake, &f.id, schema, NULL, NULL, 0, &t, &err) != 0);
	CHECK_MSG(strstr(err.msg, "POND_S3T_SECRET") != NULL, "error: %s", err.msg);
	setenv("POND_S3T_SECRET", "pondtestsecret", 1);
	fx_teardown(&f);
}

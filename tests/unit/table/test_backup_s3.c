/*
 * Backups of a project whose warehouse is on the suite's S3 test server
 * (table/backup_s3.c and the S3 paths of backup.c and restore.c): a backup
 * holds the point in time its catalog copy names, a second one downloads
 * only the new objects (counted in the server's request log), a restore
 * into a local folder and one back onto S3 (another bucket and prefix)
 * read the rows the source had at the backup, as a native DuckDB table
 * holding the same rows does; a 403 on a GET and a deleted object fail
 * the backup naming the object and leave the previous backup whole, and
 * a PUT refused during a restore onto S3 fails it naming the object;
 * allocations failing in turn (40 spread over a backup's) fail it cleanly.
 */
#include "../test.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "../io/s3_test_util.h"
#include "fixture.h"
#include "table/table_internal.h"

/* The statement on the fixture's lake and on the reference engine. */
static int both(table_fixture *f, pond_engine *ref, const char *sql)
{
	pond_error err = POND_ERROR_INIT;
	pond_result *r = NULL;
	const char *msg;
	pond_session *s = fx_session(f);
	if (!s || pond_session_run(s, sql, f->a, &r, &msg, &err) != 0 || pond_engine_exec(ref, sql, &err) != 0) {
		fprintf(stderr, "    %s: %s\n", sql, err.msg);
		return -1;
	}
	pond_result_free(&r);
	return 0;
}

static int count_key(const pond_s3_object *o, void *payload)
{
	(void)o;
	(*(int *)payload)++;
	return 0;
}

/* Objects under prefix in bucket; -1 on failure. */
static int objects(const char *bucket, const char *prefix)
{
	pond_error err = POND_ERROR_INIT;
	pond_s3_client *c = NULL;
	int n = 0;
	int rc = s3t_client(&c, NULL, true, NULL, NULL, NULL, &err);
	if (rc == 0)
		rc = pond_s3_list(c, bucket, prefix, count_key, &n, &err);
	pond_s3_client_free(&c);
	return rc ? -1 : n;
}

static const char *read_text(pond_arena *a, const char *path)
{
	char *text = NULL;
	size_t len;
	pond_error err = POND_ERROR_INIT;
	if (pond_file_read(&text, &len, path, 1 << 24, &err) != 0)
		return "(missing)";
	const char *out = pond_arena_strdup(a, text);
	pond_free(text);
	return out;
}

typedef struct key_find {
	const char *part;
	char key[1024];
} key_find;

static int find_key(const pond_s3_object *o, void *payload)
{
	key_find *k = payload;
	if (!k->key[0] && strstr(o->key, k->part))
		snprintf(k->key, sizeof k->key, "%s", o->key);
	return 0;
}

/* s3://bucket/KEY of the first object under prefix whose key holds part
 * (NULL: none), in arena a. */
static const char *object_with(pond_arena *a, const char *bucket, const char *prefix, const char *part)
{
	pond_error err = POND_ERROR_INIT;
	pond_s3_client *c = NULL;
	key_find k = {part, ""};
	if (s3t_client(&c, NULL, true, NULL, NULL, NULL, &err) == 0)
		pond_s3_list(c, bucket, prefix, find_key, &k, &err);
	pond_s3_client_free(&c);
	return k.key[0] ? pond_arena_sprintf(a, "s3://%s/%s", bucket, k.key) : NULL;
}

/* A table t on S3 partitioned by p, with two snapshots, and the same rows
 * in the reference engine's native table t. */
static int make_source(table_fixture *f, pond_engine **ref, char *bucket)
{
	pond_error err = POND_ERROR_INIT;
	if (fx_setup_s3(f, "src", "t", bucket) != 0 || pond_engine_open(ref, NULL, &err) != 0)
		return -1;
	if (both(f, *ref, "create table t (x bigint, p int, s varchar)") != 0)
		return -1;
	pond_result *r = NULL;
	const char *msg;
	if (pond_session_run(fx_session(f), "alter table t add partition field p", f->a, &r, &msg, &err) != 0)
		return -1;
	pond_result_free(&r);
	return both(f, *ref, "insert into t select range, range % 3, 's' || range from range(300)");
}

TEST(backup_s3_is_incremental_and_restores_locally_and_onto_s3_as_of_the_backup)
{
	NEED_SERVER();
	table_fixture f, r;
	pond_engine *ref;
	char bucket[64];
	pond_error err = POND_ERROR_INIT;
	CHECK(make_source(&f, &ref, bucket) == 0);
	const int64_t first = fx_snapshot(&f);
	CHECK(both(&f, ref, "insert into t select range + 1000, range % 3, 'later' from range(30)") == 0);
	const char *bk = pond_arena_sprintf(f.a, "%s/nas/bk", pond_test_tmpdir());
	const char *bk_wh = pond_arena_sprintf(f.a, "%s/warehouse", bk);

	/* The first backup downloads every object the tables reference. */
	pond_backup_stats st;
	int seen = 0;
	s3t_gets_since(bucket, "/data/", &seen);
	CHECK_OK(pond_backup_run(f.project, pond_lake_catalog(f.lake), bk, NULL, &st, &err), &err);
	CHECK_INT(st.tables, 1);
	CHECK_INT(st.files_copied, st.files);
	CHECK_INT(st.files, fx_count_files(bk_wh, NULL));
	CHECK_INT(fx_count_files(bk_wh, ".parquet"), 6);  /* 3 partitions, 2 inserts */
	CHECK_INT(s3t_gets_since(bucket, "/data/", &seen), 6);
	/* The backup's layout is a local one's: keys below the prefix. */
	CHECK(fx_count_files(pond_arena_sprintf(f.a, "%s/main/t/metadata", bk_wh), ".metadata.json") >= 2);
	json_t *manifest = json_load_file(pond_arena_sprintf(f.a, "%s/backup.json", bk), 0, NULL);
	CHECK_STR(json_string_value(json_object_get(manifest, "warehouse")), pond_arena_sprintf(f.a, "s3://%s/wh", bucket));
	json_decref(manifest);

	/* Unchanged: nothing downloaded. */
	CHECK_OK(pond_backup_run(f.project, pond_lake_catalog(f.lake), bk, NULL, &st, &err), &err);
	CHECK_INT(st.files_copied, 0);
	CHECK_INT(st.files_skipped, st.files);
	CHECK_INT(s3t_gets_since(bucket, "/data/", &seen), 0);

	/* Changed (append, delete, expire): only the new objects come down. */
	CHECK(both(&f, ref, "insert into t select range + 2000, 1, 'third' from range(10)") == 0);
	CHECK(both(&f, ref, "delete from t where p = 2 and x < 100") == 0);
	pond_expire_options eo = POND_EXPIRE_OPTIONS_INIT;
	eo.older_than_ms = 0;
	eo.retain_last = 2;
	pond_expire_result er;
	CHECK_OK(pond_table_expire(f.lake, &f.id, &eo, &er, &err), &err);
	CHECK(er.snapshots > 0);
	int64_t files_before = fx_count_files(bk_wh, NULL), parquet_before = fx_count_files(bk_wh, ".parquet");
	CHECK_OK(pond_backup_run(f.project, pond_lake_catalog(f.lake), bk, NULL, &st, &err), &err);
	int64_t new_parquet = fx_count_files(bk_wh, ".parquet") - parquet_before;
	CHECK_INT(new_parquet, 2);  /* the append's file and the delete's rewrite of p=2 */
	CHECK_INT(s3t_gets_since(bucket, "/data/", &seen), new_parquet);
	CHECK_INT(st.files_copied, fx_count_files(bk_wh, NULL) - files_before);
	CHECK(st.files_skipped > 0);
	CHECK(st.files_copied + st.files_skipped == st.files);
	const int64_t at_backup = fx_snapshot(&f);
	CHECK_OK(pond_engine_exec(ref, "create table at_backup as select * from t", &err), &err);

	/* The source moves on: the backup keeps its point in time. */
	CHECK(both(&f, ref, "insert into t values (9999, 0, 'after the backup')") == 0);
	CHECK_STR(fx_rows(&f, "select * from t"), fx_engine_rows(ref, f.a, "select * from t"));

	/* Restored into a local folder: the warehouse is DIR/warehouse. */
	CHECK_OK(pond_backup_restore(bk, pond_arena_sprintf(f.a, "%s/local", pond_test_tmpdir()), NULL, &st, &err),
	         &err);
	CHECK_INT(st.tables, 1);
	int before_keys = objects(bucket, "wh/");
	CHECK(fx_open_existing(&r, "local", "t") == 0);
	CHECK(!pond_project_is_s3(r.project->warehouse));
	CHECK(pond_str_ends_with(r.project->warehouse, "/local/warehouse"));
	pond_table *t = fx_load(&r);
	CHECK(t && pond_str_starts_with(t->metadata_location, r.project->warehouse));
	CHECK_INT(t ? t->metadata->current_snapshot_id : 0, at_backup);
	pond_table_free(&t);
	const char *want = fx_engine_rows(ref, f.a, "select * from at_backup");
	CHECK_STR(fx_rows(&r, "select * from t"), want);
	CHECK_STR(fx_rows(&r, pond_arena_sprintf(r.a, "select count(*) from t at (version => %lld)", (long long)at_backup)),
	          fx_engine_rows(ref, f.a, "select count(*) from at_backup"));
	(void)first;  /* expired: time travel reaches the snapshots kept */
	/* It writes at its own place, never into the bucket. */
	CHECK(fx_append(&r, "select 5::bigint as x, 0 as p, 'restored' as s") > 0);
	CHECK_STR(fx_rows(&r, "select count(*) as n from t"), fx_engine_rows(ref, f.a, "select count(*) + 1 as n from at_backup"));
	CHECK_INT(objects(bucket, "wh/"), before_keys);
	fx_teardown(&r);

	/* Restored onto S3, into another bucket and prefix. */
	char other[64];
	pond_s3_client *c;
	s3t_bucket_name(other);
	CHECK_OK(s3t_client(&c, NULL, true, other, NULL, NULL, &err), &err);
	pond_s3_client_free(&c);
	pond_backup_options bo = POND_BACKUP_OPTIONS_INIT;
	bo.warehouse = pond_arena_sprintf(f.a, "s3://%s/moved/wh2", other);
	CHECK_OK(pond_backup_restore(bk, pond_arena_sprintf(f.a, "%s/ons3", pond_test_tmpdir()), &bo, &st, &err), &err);
	CHECK_INT(st.files_copied, st.files);
	CHECK_INT(objects(other, "moved/wh2/"), st.files);
	CHECK(fx_open_existing(&r, "ons3", "t") == 0);
	CHECK_STR(r.project->warehouse, bo.warehouse);
	t = fx_load(&r);
	CHECK(t && pond_str_starts_with(t->metadata_location, bo.warehouse));
	pond_table_free(&t);
	CHECK_STR(fx_rows(&r, "select * from t"), want);
	CHECK(fx_append(&r, "select 6::bigint as x, 1 as p, 'on s3' as s") > 0);
	CHECK_STR(fx_rows(&r, "select count(*) as n from t"), fx_engine_rows(ref, f.a, "select count(*) + 1 as n from at_backup"));
	CHECK_INT(objects(bucket, "wh/"), before_keys);
	fx_teardown(&r);
	/* Again over it (forced): every object is there already. */
	bo.force = true;
	CHECK_OK(pond_backup_restore(bk, pond_arena_sprintf(f.a, "%s/ons3", pond_test_tmpdir()), &bo, &st, &err), &err);
	CHECK_INT(st.files_copied, 0);
	/* Not forced, a bucket with objects is refused. */
	bo.force = false;
	CHECK_INT(pond_backup_restore(bk, pond_arena_sprintf(f.a, "%s/ons3b", pond_test_tmpdir()), &bo, &st, &err),
	          POND_EEXISTS);
	CHECK_MSG(strstr(err.msg, bo.warehouse) && strstr(err.msg, "is not empty"), "%s", err.msg);
	pond_engine_close(&ref);
	fx_teardown(&f);
}

TEST(backup_s3_a_refused_or_missing_object_fails_naming_it_and_keeps_the_previous_backup)
{
	NEED_SERVER();
	table_fixture f, r;
	pond_engine *ref;
	char bucket[64];
	pond_error err = POND_ERROR_INIT;
	CHECK(make_source(&f, &ref, bucket) == 0);
	const char *bk = pond_arena_sprintf(f.a, "%s/bk", pond_test_tmpdir());
	CHECK_OK(pond_backup_run(f.project, pond_lake_catalog(f.lake), bk, NULL, NULL, &err), &err);
	const char *want = fx_engine_rows(ref, f.a, "select * from t");
	const char *json = read_text(f.a, pond_arena_sprintf(f.a, "%s/backup.json", bk));
	const char *catalog = read_text(f.a, pond_arena_sprintf(f.a, "%s/catalog.db", bk));
	CHECK(both(&f, ref, "insert into t select range + 500, 7, 'new' from range(5)") == 0);
	const char *data = object_with(f.a, bucket, "wh/main/t/data/", "=7/");
	CHECK(data != NULL);

	/* Access denied on the new data file's GET. */
	CHECK(s3t_faults(pond_arena_sprintf(f.a, "{\"bucket\": \"%s\", \"rules\": [{\"method\": \"GET\", \"key\": "
	                                    "\"=7/\", \"action\": \"403\", \"times\": 100}]}", bucket)));
	pond_backup_stats st;
	CHECK(pond_backup_run(f.project, pond_lake_catalog(f.lake), bk, NULL, &st, &err) != 0);
	CHECK_MSG(strstr(err.msg, data) && strstr(err.msg, "AccessDenied") && strstr(err.msg, "403"), "%s", err.msg);
	CHECK_STR(read_text(f.a, pond_arena_sprintf(f.a, "%s/backup.json", bk)), json);
	CHECK(strcmp(read_text(f.a, pond_arena_sprintf(f.a, "%s/catalog.db", bk)), catalog) == 0);
	CHECK(!pond_file_exists(pond_arena_sprintf(f.a, "%s/catalog.db.part", bk)));
	CHECK_INT(fx_count_files(bk, ".part"), 0);

	/* An object the copied catalog names, deleted since. */
	pond_s3_client *c;
	char *b, *key;
	CHECK_OK(s3t_client(&c, NULL, true, NULL, NULL, NULL, &err), &err);
	CHECK_OK(pond_s3_url_split(data, &b, &key, f.a, &err), &err);
	CHECK_OK(pond_s3_delete(c, b, key, &err), &err);
	pond_s3_client_free(&c);
	CHECK_INT(pond_backup_run(f.project, pond_lake_catalog(f.lake), bk, NULL, NULL, &err), POND_ENOTFOUND);
	CHECK_MSG(strstr(err.msg, data) && strstr(err.msg, "is gone"), "%s", err.msg);
	CHECK_STR(read_text(f.a, pond_arena_sprintf(f.a, "%s/backup.json", bk)), json);

	/* The previous backup restores whole. */
	CHECK_OK(pond_backup_restore(bk, pond_arena_sprintf(f.a, "%s/back", pond_test_tmpdir()), NULL, NULL, &err), &err);
	CHECK(fx_open_existing(&r, "back", "t") == 0);
	CHECK_STR(fx_rows(&r, "select * from t"), want);
	fx_teardown(&r);
	/* An upload refused during a restore onto S3: named, with S3's code,
	 * and no catalog; run again (forced: objects are there), it lands. */
	char other[64];
	pond_s3_client *oc;
	s3t_bucket_name(other);
	CHECK_OK(s3t_client(&oc, NULL, true, other, NULL, NULL, &err), &err);
	pond_s3_client_free(&oc);
	CHECK(s3t_faults(pond_arena_sprintf(f.a, "{\"bucket\": \"%s\", \"rules\": [{\"method\": \"PUT\", \"key\": "
	                                    "\"/data/\", \"action\": \"403\", \"times\": 1}]}", other)));
	pond_backup_options bo = POND_BACKUP_OPTIONS_INIT;
	bo.warehouse = pond_arena_sprintf(f.a, "s3://%s/wh", other);
	const char *up = pond_arena_sprintf(f.a, "%s/up", pond_test_tmpdir());
	pond_backup_stats rs;
	CHECK(pond_backup_restore(bk, up, &bo, &rs, &err) != 0);
	CHECK_MSG(strstr(err.msg, pond_arena_sprintf(f.a, "could not put s3://%s/wh/main/t/data/", other)) &&
	          strstr(err.msg, "AccessDenied"), "%s", err.msg);
	CHECK(!pond_file_exists(pond_arena_sprintf(f.a, "%s/catalog.db", up)));
	bo.force = true;
	CHECK_OK(pond_backup_restore(bk, up, &bo, &rs, &err), &err);
	CHECK_INT(objects(other, "wh/"), rs.files);
	CHECK(fx_open_existing(&r, "up", "t") == 0);
	CHECK_STR(fx_rows(&r, "select * from t"), want);
	fx_teardown(&r);
	/* A backup folder that is a URL is refused before anything. */
	CHECK_INT(pond_backup_run(f.project, pond_lake_catalog(f.lake), "s3://x/y", NULL, NULL, &err), POND_EUNSUPPORTED);
	CHECK_MSG(strstr(err.msg, "a local folder") != NULL, "%s", err.msg);
	pond_engine_close(&ref);
	fx_teardown(&f);
}

TEST(backup_s3_allocations_failing_in_turn_fail_it_cleanly_or_not_at_all)
{
	NEED_SERVER();
	table_fixture f;
	char bucket[64];
	pond_error err = POND_ERROR_INIT;
	CHECK(fx_setup_s3(&f, "src", "t", bucket) == 0);
	CHECK(fx_create_with(&f, "select range as x from range(3)", NULL) == 0);
	const char *bk = pond_arena_sprintf(f.a, "%s/bk", pond_test_tmpdir());
	/* How many allocations a whole backup makes, then each one failing
	 * (into an empty folder each time: every download is tried). */
	pond_alloc_fail_at(0);
	CHECK_OK(pond_backup_run(f.project, pond_lake_catalog(f.lake), bk, NULL, NULL, &err), &err);
	long total = pond_alloc_count(), failed = 0, tried = 0;
	/* A run costs tens of milliseconds (requests, fsyncs): every one of
	 * ~400 allocations would take half a minute, so 40 spread evenly. */
	long step = total / 40 + 1;
	for (long n = 1; n <= total; n += step) {
		tried++;
		pond__remove_tree(bk);
		pond_error_clear(&err);
		pond_alloc_fail_at(n);
		int rc = pond_backup_run(f.project, pond_lake_catalog(f.lake), bk, NULL, NULL, &err);
		pond_alloc_fail_at(0);
		if (rc == 0)
			continue;  /* the failure was one pond can do without (a cached copy) */
		failed++;
		CHECK_MSG(err.msg[0] != '\0', "allocation %ld: failure without a message", n);
		CHECK_MSG(!pond_file_exists(pond_arena_sprintf(f.a, "%s/backup.json", bk)),
		          "allocation %ld: a backup.json despite the failure (%s)", n, err.msg);
		CHECK_MSG(fx_count_files(bk, ".part") <= 0, "allocation %ld: a .part file left (%s)", n, err.msg);
	}
	CHECK_MSG(failed > tried / 2, "only %ld of %ld allocations failed the backup", failed, tried);
	pond__remove_tree(bk);
	CHECK_OK(pond_backup_run(f.project, pond_lake_catalog(f.lake), bk, NULL, NULL, &err), &err);
	table_fixture r;
	CHECK_OK(pond_backup_restore(bk, pond_arena_sprintf(f.a, "%s/back", pond_test_tmpdir()), NULL, NULL, &err), &err);
	CHECK(fx_open_existing(&r, "back", "t") == 0);
	CHECK_STR(fx_query(&r, "count(*) || ',' || sum(x)", 0), "3,3");
	fx_teardown(&r);
	fx_teardown(&f);
}

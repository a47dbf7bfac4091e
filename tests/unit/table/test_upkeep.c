/*
 * Unit tests for what commits do to keep a table small: metadata files
 * that fall out of the metadata-log are deleted (pond's default; a table
 * property turns it off), the log is trimmed to previous-versions-max, and
 * the manifests of small appends are merged past min-count-to-merge.
 */
#include "../test.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "fixture.h"
#include "pond/table.h"

/* Files in the table's metadata folder whose name ends with suffix. */
static int count_files(table_fixture *f, const char *suffix)
{
	pond_table *t = fx_load(f);
	if (!t)
		return -1;
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/metadata", t->metadata->location);
	pond_table_free(&t);
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	size_t ls = strlen(suffix);
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		size_t l = strlen(e->d_name);
		n += l >= ls && strcmp(e->d_name + l - ls, suffix) == 0;
	}
	closedir(d);
	return n;
}

static int set_prop(table_fixture *f, const char *key, const char *value)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_kv kv = {key, value};
	int rc = pond_table_set_properties(f->lake, &f->id, &kv, 1, NULL, 0, &err);
	if (rc)
		fprintf(stderr, "    set %s: %s\n", key, err.msg);
	return rc;
}

static int append_n(table_fixture *f, int n)
{
	for (int i = 0; i < n; i++)
		if (fx_append(f, pond_arena_sprintf(f->a, "select %d::bigint", i + 1)) < 0)
			return -1;
	return 0;
}

TEST(upkeep_old_metadata_files_are_deleted_past_previous_versions_max)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create(&f, "select 1::bigint as id", NULL) == 0);
	CHECK(set_prop(&f, "write.metadata.previous-versions-max", "3") == 0);
	CHECK(append_n(&f, 8) == 0);
	pond_table *t = fx_load(&f);
	CHECK(t != NULL);
	CHECK_INT(t->metadata->nmetadata_log, 3);
	/* the current file and the three the log names: nothing else */
	CHECK_INT(count_files(&f, ".metadata.json"), 4);
	for (size_t i = 0; i < t->metadata->nmetadata_log; i++)
		CHECK(pond_file_exists(t->metadata->metadata_log[i].metadata_file));
	pond_table_free(&t);
	CHECK_STR(fx_query(&f, "sum(id)", 0), "36");
	fx_teardown(&f);
}

TEST(upkeep_metadata_files_stay_when_delete_after_commit_is_off)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create(&f, "select 1::bigint as id", NULL) == 0);
	int before = count_files(&f, ".metadata.json");
	CHECK(set_prop(&f, "write.metadata.delete-after-commit.enabled", "false") == 0);
	CHECK(set_prop(&f, "write.metadata.previous-versions-max", "2") == 0);
	CHECK(append_n(&f, 5) == 0);
	pond_table *t = fx_load(&f);
	CHECK(t != NULL);
	/* the log is trimmed on every commit all the same */
	CHECK_INT(t->metadata->nmetadata_log, 2);
	pond_table_free(&t);
	CHECK_INT(count_files(&f, ".metadata.json"), before + 2 + 5);
	fx_teardown(&f);
}

/* The current snapshot's data manifests; -1 on failure. */
static int count_manifests(table_fixture *f)
{
	pond_error err = POND_ERROR_INIT;
	pond_table *t = fx_load(f);
	pond_fileio *io = NULL;
	pond_arena *a = pond_arena_new();
	pond_manifest_file *mfs = NULL;
	size_t n = 0;
	const pond_iceberg_snapshot *s = t ? pond_iceberg_metadata_current_snapshot(t->metadata) : NULL;
	int rc = s && a && pond_fileio_local_new(&io, &err) == 0 ? pond_snapshot_manifests(&mfs, &n, io, s, a, &err)
	                                                          : -1;
	pond_arena_free(&a);
	pond_fileio_free(&io);
	pond_table_free(&t);
	return rc ? -1 : (int)n;
}

/* "seq:count,..." of the current snapshot's files by data sequence number. */
static const char *sequences(table_fixture *f)
{
	pond_error err = POND_ERROR_INIT;
	pond_table *t = fx_load(f);
	pond_fileio *io = NULL;
	pond_scan_plan *plan = NULL;
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	if (!t || pond_fileio_local_new(&io, &err) || pond_scan_plan_files(&plan, t->metadata, io, &so, &err))
		return "(...)";
	pond_buf b = POND_BUF_INIT;
	for (int64_t seq = 0; seq <= t->metadata->last_sequence_number; seq++) {
		int n = 0;
		for (size_t i = 0; i < plan->ntasks; i++)
			n += plan->tasks[i].sequence_number == seq;
		if (n)
			pond_buf_printf(&b, "%s%lld:%d", b.len ? "," : "", (long long)seq, n);
	}
	const char *out = pond_arena_strdup(f->a, pond_buf_cstr(&b));
	pond_buf_dispose(&b);
	pond_scan_plan_free(&plan);
	pond_fileio_free(&io);
	pond_table_free(&t);
	return out;
}

TEST(upkeep_small_append_manifests_are_merged_keeping_sequence_numbers)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create(&f, "select 1::bigint as id", NULL) == 0);
	CHECK(set_prop(&f, "commit.manifest.min-count-to-merge", "4") == 0);
	CHECK(append_n(&f, 3) == 0);
	/* three appends: three manifests, under the count */
	CHECK_INT(count_manifests(&f), 3);
	int64_t third = fx_snapshot(&f);
	CHECK(append_n(&f, 7) == 0);
	/* never as many as the count: merged every time it is reached */
	int n = count_manifests(&f);
	CHECK_MSG(n > 0 && n < 4, "%d manifests", n);
	/* every file keeps the data sequence number of the append that wrote it */
	CHECK_STR(sequences(&f), "1:1,2:1,3:1,4:1,5:1,6:1,7:1,8:1,9:1,10:1");
	CHECK_STR(fx_query(&f, "count(*)::varchar || ' ' || sum(id)::varchar", 0), "10 34");
	/* older snapshots read as they were */
	CHECK_STR(fx_query(&f, "sum(id)", third), "6");
	/* a delete rewrites a merged manifest like any other */
	pond_error err = POND_ERROR_INIT;
	pond_write_result wr;
	CHECK_OK(pond_table_delete_where(f.lake, &f.id, "id = 2", NULL, &wr, &err), &err);
	CHECK_STR(fx_query(&f, "count(*)::varchar || ' ' || sum(id)::varchar", 0), "8 30");
	fx_teardown(&f);
}

TEST(upkeep_manifests_stay_apart_when_merging_is_off)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create(&f, "select 1::bigint as id", NULL) == 0);
	CHECK(set_prop(&f, "commit.manifest.min-count-to-merge", "2") == 0);
	CHECK(set_prop(&f, "commit.manifest-merge.enabled", "false") == 0);
	CHECK(append_n(&f, 5) == 0);
	CHECK_INT(count_manifests(&f), 5);
	fx_teardown(&f);
}

static size_t snapshot_count(table_fixture *f)
{
	pond_table *t = fx_load(f);
	size_t n = t ? t->metadata->nsnapshots : 0;
	pond_table_free(&t);
	return n;
}

TEST(upkeep_commits_expire_snapshots_past_the_high_water_mark)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create(&f, "select 1::bigint as id", NULL) == 0);
	CHECK(set_prop(&f, "pond.history.max-snapshots", "4") == 0);
	size_t most = 0;
	for (int i = 0; i < 12; i++) {
		CHECK(fx_append(&f, pond_arena_sprintf(f.a, "select %d::bigint", i + 1)) > 0);
		size_t n = snapshot_count(&f);
		most = n > most ? n : most;
	}
	/* 4 plus a quarter (one) at most; expired down to 4 */
	CHECK_INT(most, 5);
	size_t n = snapshot_count(&f);
	CHECK_MSG(n >= 4 && n <= 5, "%zu snapshots", n);
	CHECK_STR(fx_query(&f, "count(*)::varchar || ' ' || sum(id)::varchar", 0), "12 78");
	fx_teardown(&f);
}

TEST(upkeep_commits_keep_every_snapshot_when_expiry_on_commit_is_off)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create(&f, "select 1::bigint as id", NULL) == 0);
	CHECK(set_prop(&f, "pond.history.max-snapshots", "2") == 0);
	CHECK(set_prop(&f, "pond.expire-on-commit.enabled", "false") == 0);
	CHECK(append_n(&f, 6) == 0);
	CHECK_INT(snapshot_count(&f), 6);
	fx_teardown(&f);
}

/* Over the mark with nothing expirable (every snapshot tagged): commits
 * go on and keep every snapshot. */
TEST(upkeep_commits_over_the_mark_keep_tagged_snapshots)
{
	table_fixture f;
	pond_error err = POND_ERROR_INIT;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create(&f, "select 1::bigint as id", NULL) == 0);
	CHECK(set_prop(&f, "pond.history.max-snapshots", "2") == 0);
	for (int i = 0; i < 6; i++) {
		int64_t snap = fx_append(&f, pond_arena_sprintf(f.a, "select %d::bigint", i + 2));
		CHECK(snap > 0);
		CHECK_OK(pond_table_create_tag(f.lake, &f.id, pond_arena_sprintf(f.a, "t%d", i), snap, NULL, &err), &err);
	}
	CHECK_INT(snapshot_count(&f), 6);  /* three times the mark: every one is tagged */
	CHECK_STR(fx_query(&f, "count(*)::varchar", 0), "6");
	fx_teardown(&f);
}

TEST(upkeep_ingest_state_and_watermarks_stay_at_the_head_through_expiry)
{
	table_fixture f;
	pond_error err = POND_ERROR_INIT;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create(&f, "select 1::bigint as id", NULL) == 0);
	pond_iceberg_kv state[] = {{"pond.ingest.prices.state", "{\"cursor\":42}"}, {"pond.model.watermark", "7"}};
	pond_write_options o = POND_WRITE_OPTIONS_INIT;
	o.summary = state;
	o.nsummary = 2;
	pond_write_result wr;
	CHECK_OK(pond_table_append_query(f.lake, &f.id, "select 1::bigint", &o, &wr, &err), &err);
	/* other writers' commits, then expiry of everything but the head */
	CHECK(append_n(&f, 3) == 0);
	pond_expire_options eo = POND_EXPIRE_OPTIONS_INIT;
	eo.older_than_ms = 0;
	eo.now_ms = pond_time_now_ms() + 1000;
	pond_expire_result er;
	CHECK_OK(pond_table_expire(f.lake, &f.id, &eo, &er, &err), &err);
	CHECK_INT(snapshot_count(&f), 1);
	CHECK_STR(fx_summary(&f, "pond.ingest.prices.state"), "{\"cursor\":42}");
	CHECK_STR(fx_summary(&f, "pond.model.watermark"), "7");
	/* a write that sets the key replaces it */
	state[0].value = "{\"cursor\":43}";
	o.nsummary = 1;
	CHECK_OK(pond_table_append_query(f.lake, &f.id, "select 2::bigint", &o, &wr, &err), &err);
	CHECK_STR(fx_summary(&f, "pond.ingest.prices.state"), "{\"cursor\":43}");
	CHECK_STR(fx_summary(&f, "pond.model.watermark"), "7");
	fx_teardown(&f);
}

TEST(table_load_builds_a_table_again_from_the_metadata_file_it_read_before)
{
	table_fixture f;
	pond_error err = POND_ERROR_INIT;
	CHECK_INT(fx_setup(&f, "t"), 0);
	CHECK_INT(fx_create_with(&f, "select 1 as x", NULL), 0);
	pond_table *t = fx_load(&f);
	CHECK(t != NULL);
	int64_t first = t->metadata->current_snapshot_id;
	const char *path = pond_arena_strdup(f.a, t->metadata_location);
	const char *moved = pond_arena_sprintf(f.a, "%s.moved", path);
	pond_table_free(&t);
	/* The file is gone: this lake builds the table from what it read... */
	CHECK_INT(rename(path, moved), 0);
	t = fx_load(&f);
	CHECK(t != NULL && t->metadata->current_snapshot_id == first);
	pond_table_free(&t);
	/* ...a lake that never read it cannot... */
	pond_lake *other;
	CHECK_OK(pond_lake_open(&other, f.project, NULL, &err), &err);
	CHECK(pond_table_load(&t, other, &f.id, &err) != 0);
	CHECK(strstr(err.msg, path) != NULL);
	pond_error_clear(&err);
	/* ...and a commit's new file is read, never the one kept before. */
	CHECK_INT(rename(moved, path), 0);
	int64_t second = fx_append(&f, "select 2 as x");
	CHECK(second > 0 && second != first);
	CHECK_OK(pond_table_load(&t, other, &f.id, &err), &err);
	CHECK(t->metadata->current_snapshot_id == second);
	pond_table_free(&t);
	CHECK_STR(fx_query(&f, "sum(x)", 0), "3");
	pond_lake_close(&other);
	fx_teardown(&f);
}

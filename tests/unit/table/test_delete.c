/*
 * Copy-on-write deletes: only the files holding matching rows are
 * rewritten, rows for which the filter is NULL stay, untouched files keep
 * their paths (EXISTING, with their sequence numbers, in a rewritten
 * manifest), deleting nothing commits nothing, a failure changes nothing,
 * older snapshots still read the deleted rows, a file another writer
 * removed first is a conflict, and allocation failures end in errors.
 */
#include "../test.h"

#include <dirent.h>

#include "fixture.h"
#include "pond/table.h"
#include "table/table_internal.h"

/* Files (any extension) under the table folder, recursively. */
static int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		DIR *sub = opendir(path);
		if (sub) {
			closedir(sub);
			n += count_files(path);
		} else {
			n++;
		}
	}
	closedir(d);
	return n;
}

static const char *table_dir(table_fixture *f)
{
	pond_error err = POND_ERROR_INIT;
	pond_table *t;
	if (pond_table_load(&t, f->lake, &f->id, &err) != 0)
		return "";
	const char *loc = pond_arena_strdup(f->a, t->metadata->location);
	pond_table_free(&t);
	return loc;
}

TEST(delete_where_rewrites_only_matching_files_and_keeps_null_rows)
{
	table_fixture f;
	CHECK(fx_setup(&f, "sales.orders") == 0);
	CHECK(fx_create_with(&f, "select range as id, case when range % 10 = 0 then null else range end as v "
	                      "from range(100)", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	CHECK_OK(pond_table_append_query(f.lake, &f.id, "select 1000 + range as a, 1000 + range as b from range(50)", NULL, &r,
	                                 &err), &err);
	int64_t before = fx_snapshot(&f);
	CHECK_STR(fx_query(&f, "count(*)", 0), "150");
	/* v > 50 is NULL for every tenth row: those rows stay. */
	CHECK_OK(pond_table_delete_where(f.lake, &f.id, "v > 50 and v < 1000", NULL, &r, &err), &err);
	CHECK(r.snapshot_id > 0);
	CHECK_INT(r.deleted_files, 1);
	CHECK_INT(r.deleted_records, 100);
	CHECK_INT(r.added_records, 100 - 45);  /* 51..99 minus 50, 60, 70, 80, 90 */
	CHECK_STR(fx_query(&f, "count(*)", 0), "105");
	CHECK_STR(fx_query(&f, "count(*) filter (where v is null)", 0), "10");
	CHECK_STR(fx_query(&f, "count(*) filter (where v > 50 and v < 1000)", 0), "0");
	CHECK_STR(fx_query(&f, "count(*) filter (where id >= 1000)", 0), "50");
	CHECK_STR(fx_summary(&f, "operation"), "overwrite");
	CHECK_STR(fx_summary(&f, "deleted-data-files"), "1");
	CHECK_STR(fx_summary(&f, "deleted-records"), "100");
	CHECK_STR(fx_summary(&f, "added-records"), "55");
	CHECK_STR(fx_summary(&f, "total-records"), "105");
	CHECK_STR(fx_summary(&f, "total-data-files"), "2");
	CHECK(fx_summary(&f, "removed-files-size") != NULL);
	CHECK_STR(fx_summary(&f, "changed-partition-count"), "1");
	/* Time travel: the snapshot before still has every row. */
	CHECK_STR(fx_query(&f, "count(*)", before), "150");
	CHECK_STR(fx_query(&f, "count(*) filter (where v > 50 and v < 1000)", before), "45");
	fx_teardown(&f);
}

/* The current snapshot's live data entries: path -> status and sequence. */
typedef struct {
	char path[1024];
	int status;
	int64_t seq;
} live_entry;

static size_t live_entries(table_fixture *f, live_entry *out, size_t max)
{
	pond_error err = POND_ERROR_INIT;
	pond_table *t;
	pond_fileio *io;
	if (pond_table_load(&t, f->lake, &f->id, &err) || pond_fileio_local_new(&io, &err))
		return 0;
	pond_manifest_file *mf;
	size_t nmf = 0, n = 0;
	pond_arena *a = pond_arena_new();
	const pond_iceberg_snapshot *s = pond_iceberg_metadata_current_snapshot(t->metadata);
	if (s && pond_snapshot_manifests(&mf, &nmf, io, s, a, &err) == 0) {
		for (size_t i = 0; i < nmf; i++) {
			pond_manifest_reader *r;
			if (pond_manifest_reader_open(&r, io, mf[i].manifest_path, &mf[i], NULL, NULL, &err))
				continue;
			const pond_manifest_entry *e;
			while (pond_manifest_reader_next(r, a, &e, &err) == 1 && n < max) {
				if (e->status == POND_MANIFEST_DELETED)
					continue;
				snprintf(out[n].path, sizeof out[n].path, "%s", e->data_file.file_path);
				out[n].status = (int)e->status;
				out[n].seq = e->sequence_number;
				n++;
			}
			pond_manifest_reader_close(&r);
		}
	}
	pond_arena_free(&a);
	pond_fileio_free(&io);
	pond_table_free(&t);
	return n;
}

TEST(delete_where_on_a_partitioned_table_drops_a_file_and_keeps_the_others_existing)
{
	table_fixture f;
	CHECK(fx_setup(&f, "events") == 0);
	CHECK(fx_create_with(&f, "select range as id, range % 3 as k from range(240)", "k") == 0);
	live_entry before[8], after[8];
	CHECK_INT(live_entries(&f, before, 8), 3);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	CHECK_OK(pond_table_delete_where(f.lake, &f.id, "k = 1", NULL, &r, &err), &err);
	CHECK_INT(r.deleted_files, 1);
	CHECK_INT(r.deleted_records, 80);
	CHECK_INT(r.added_files, 0);
	CHECK_STR(fx_summary(&f, "operation"), "delete");
	CHECK_STR(fx_summary(&f, "deleted-records"), "80");
	CHECK(fx_summary(&f, "added-records") == NULL);
	CHECK_STR(fx_summary(&f, "total-records"), "160");
	CHECK_STR(fx_summary(&f, "changed-partition-count"), "1");
	CHECK_STR(fx_query(&f, "count(*)", 0), "160");
	CHECK_STR(fx_query(&f, "count(*) filter (where k = 1)", 0), "0");
	/* The other two files are the same files, now EXISTING, with the
	 * sequence number they were added with. */
	CHECK_INT(live_entries(&f, after, 8), 2);
	for (size_t i = 0; i < 2; i++) {
		bool same = false;
		for (size_t j = 0; j < 3; j++)
			same |= strcmp(after[i].path, before[j].path) == 0 && after[i].seq == before[j].seq;
		CHECK(same);
		CHECK_INT(after[i].status, POND_MANIFEST_EXISTING);
		CHECK_INT(after[i].seq, 1);
	}
	/* A partition filter pond cannot parse still works (no pruning). */
	CHECK_OK(pond_table_delete_where(f.lake, &f.id, "k + 0 = 2 and id % 2 = 0", NULL, &r, &err), &err);
	CHECK_STR(fx_query(&f, "count(*)", 0), "120");
	CHECK_STR(fx_summary(&f, "operation"), "overwrite");
	fx_teardown(&f);
}

TEST(delete_where_matching_nothing_commits_nothing)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create_with(&f, "select range as id from range(10)", NULL) == 0);
	int64_t before = fx_snapshot(&f);
	const char *dir = table_dir(&f);
	int files = count_files(dir);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	CHECK_OK(pond_table_delete_where(f.lake, &f.id, "id > 100", NULL, &r, &err), &err);
	CHECK_INT(r.snapshot_id, 0);
	CHECK_INT(fx_snapshot(&f), before);
	CHECK_INT(count_files(dir), files);
	fx_teardown(&f);
}

TEST(delete_where_that_fails_leaves_the_table_and_its_folder_unchanged)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create_with(&f, "select range as id, 'n' || range as name from range(10)", NULL) == 0);
	int64_t before = fx_snapshot(&f);
	const char *dir = table_dir(&f);
	int files = count_files(dir);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	CHECK(pond_table_delete_where(f.lake, &f.id, "CAST(name AS INTEGER) = 3", NULL, &r, &err) != 0);
	CHECK(strstr(err.msg, "main.t") != NULL);
	CHECK(strchr(err.msg, '\n') == NULL);
	CHECK(pond_table_delete_where(f.lake, &f.id, "nosuchcolumn = 3", NULL, &r, &err) != 0);
	CHECK(strstr(err.msg, "main.t") != NULL);
	CHECK_INT(fx_snapshot(&f), before);
	CHECK_INT(count_files(dir), files);
	CHECK_STR(fx_query(&f, "count(*)", 0), "10");
	fx_teardown(&f);
}

TEST(delete_where_conflicts_when_another_writer_removed_the_file_first)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create_with(&f, "select range as id from range(10)", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	/* This writer read the table before the others committed. */
	pond__write stale;
	CHECK_OK(pond__write_begin(&stale, f.lake, &f.id, NULL, &err), &err);
	pond_write_result r;
	/* A concurrent append is fine: it is kept. */
	CHECK_OK(pond_table_append_query(f.lake, &f.id, "select 100 + range from range(5)", NULL, &r, &err), &err);
	pond__write stale2;
	CHECK_OK(pond__write_begin(&stale2, f.lake, &f.id, NULL, &err), &err);
	pond__change del = {0};
	del.remove_where = "id = 3";
	CHECK_OK(pond__write_commit_change(&stale, &del, &r, &err), &err);
	pond__write_end(&stale);
	CHECK_STR(fx_query(&f, "count(*)", 0), "14");
	/* stale2 also wants to rewrite the file that was just rewritten. */
	del.remove_where = "id = 4";
	int64_t before = fx_snapshot(&f);
	const char *dir = table_dir(&f);
	int files = count_files(dir);
	CHECK_INT(pond__write_commit_change(&stale2, &del, &r, &err), POND_ECONFLICT);
	CHECK(strstr(err.msg, "was changed by another writer") != NULL);
	CHECK(strstr(err.msg, "main.t") != NULL);
	pond__write_end(&stale2);
	CHECK_INT(fx_snapshot(&f), before);
	CHECK_INT(count_files(dir), files);
	CHECK_STR(fx_query(&f, "count(*)", 0), "14");
	fx_teardown(&f);
}

TEST(delete_where_conflicts_when_another_writer_added_a_matching_row)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create_with(&f, "select range as id from range(10)", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	/* Serializable, as Iceberg's copy-on-write: a delete that read the
	 * table before a row matching its condition was added must not commit
	 * as if it had seen it. */
	pond__write stale;
	CHECK_OK(pond__write_begin(&stale, f.lake, &f.id, NULL, &err), &err);
	pond_write_result r;
	CHECK_OK(pond_table_append_query(f.lake, &f.id, "select 3", NULL, &r, &err), &err);
	int64_t before = fx_snapshot(&f);
	pond__change del = {0};
	del.remove_where = "id = 3";
	CHECK_INT(pond__write_commit_change(&stale, &del, &r, &err), POND_ECONFLICT);
	CHECK(strstr(err.msg, "added by another writer, holds rows this change matches") != NULL);
	CHECK(strstr(err.msg, "conflict on main.t") != NULL);
	pond__write_end(&stale);
	CHECK_INT(fx_snapshot(&f), before);
	CHECK_STR(fx_query(&f, "count(*) filter (where id = 3)", 0), "2");
	/* Through the public call the delete reads the table again and wins. */
	CHECK_OK(pond_table_delete_where(f.lake, &f.id, "id = 3", NULL, &r, &err), &err);
	CHECK_INT(r.matched_records, 2);
	CHECK_STR(fx_query(&f, "count(*) || ' ' || count(*) filter (where id = 3)", 0), "9 0");
	fx_teardown(&f);
}

TEST(delete_where_under_allocation_failures_fails_cleanly_or_deletes)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create_with(&f, "select range as id, range % 2 as k from range(20)", NULL) == 0);
	const char *dir = table_dir(&f);
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	bool done = false;
	for (long n = 1; n < 20000 && !done; n++) {
		int files = count_files(dir);
		pond_alloc_fail_at(n);
		int rc = pond_table_delete_where(f.lake, &f.id, "id = 7", NULL, &r, &err);
		pond_alloc_fail_at(0);
		if (rc == 0) {
			done = true;
			break;
		}
		CHECK_MSG(err.msg[0] != '\0', "allocation %ld: failure without a message", n);
		CHECK_MSG(count_files(dir) == files, "allocation %ld: files left behind (%s)", n, err.msg);
		/* Some failures (the catalog's own) may not be ours to see; the
		 * table must still read all rows. */
		const char *rows = fx_query(&f, "count(*)", 0);
		CHECK_MSG(strcmp(rows, "20") == 0, "allocation %ld: %s rows after a failed delete (%s)", n, rows, err.msg);
	}
	CHECK(done);
	CHECK_STR(fx_query(&f, "count(*)", 0), "19");
	fx_teardown(&f);
}

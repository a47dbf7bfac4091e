/*
 * Backups and restores (table/backup.c, restore.c, backup_files.c), and
 * tables that moved: a project restored at another place reads and writes
 * there, and never touches the original's folder.
 */
#include "../test.h"
#include "fixture.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "table/table_internal.h"

static const char *tmp_path(table_fixture *f, const char *name)
{
	return pond_arena_sprintf(f->a, "%s/%s", pond_test_tmpdir(), name);
}

/* Files under dir, recursively. */
static int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			n += count_files(path);
		else
			n++;
	}
	closedir(d);
	return n;
}

/* A project "src" with table t: 10 rows, then 5 more (two snapshots). */
static int make_source(table_fixture *f, int64_t *first)
{
	if (fx_setup_in(f, "src", "t") != 0 || fx_create_with(f, "select range as x from range(10)", NULL) != 0)
		return -1;
	*first = fx_snapshot(f);
	return fx_append(f, "select range + 100 as x from range(5)") > 0 ? 0 : -1;
}

TEST(backup_restore_reads_the_same_rows_and_writes_only_at_the_new_place)
{
	table_fixture f, r;
	int64_t first;
	pond_error err = POND_ERROR_INIT;
	CHECK(make_source(&f, &first) == 0);
	const char *bk = tmp_path(&f, "nas/bk"), *dst = tmp_path(&f, "dst");
	pond_backup_stats st;
	CHECK_OK(pond_backup_run(f.project, pond_lake_catalog(f.lake), bk, NULL, &st, &err), &err);
	CHECK_INT(st.tables, 1);
	CHECK_INT(st.files_copied, st.files);
	CHECK(st.files >= 7); /* 2 metadata, 2 lists, 2 manifests, 2 data files */
	CHECK_OK(pond_backup_restore(bk, dst, NULL, &st, &err), &err);
	CHECK_INT(st.tables, 1);
	int original_files = count_files(f.project->warehouse);
	CHECK(fx_open_existing(&r, "dst", "t") == 0);
	CHECK_STR(fx_query(&r, "count(*) || ',' || sum(x)", 0), "15,555");
	CHECK_STR(fx_query(&r, "count(*)", first), "10");
	/* Writes land in the restored warehouse, recorded under the
	 * table's location like its other files. */
	CHECK(fx_append(&r, "select 1000 as x") > 0);
	CHECK_STR(fx_query(&r, "count(*) || ',' || sum(x)", 0), "16,1555");
	CHECK_INT(count_files(f.project->warehouse), original_files);
	CHECK_STR(fx_query(&f, "count(*)", 0), "15");
	pond_table *t = fx_load(&r);
	CHECK(t != NULL);
	CHECK(pond_str_starts_with(t->metadata_location, r.project->warehouse));
	pond_table_free(&t);
	/* Moved twice: the restored project's backup restored elsewhere. */
	const char *bk2 = tmp_path(&f, "bk2");
	CHECK_OK(pond_backup_run(r.project, pond_lake_catalog(r.lake), bk2, NULL, &st, &err), &err);
	CHECK_OK(pond_backup_restore(bk2, tmp_path(&f, "third"), NULL, &st, &err), &err);
	fx_teardown(&r);
	CHECK(fx_open_existing(&r, "third", "t") == 0);
	CHECK_STR(fx_query(&r, "count(*) || ',' || sum(x)", 0), "16,1555");
	CHECK(fx_append(&r, "select 1 as x") > 0);
	CHECK_STR(fx_query(&r, "count(*)", 0), "17");
	fx_teardown(&r);
	fx_teardown(&f);
}

TEST(backup_second_run_copies_only_new_files)
{
	table_fixture f;
	int64_t first;
	pond_error err = POND_ERROR_INIT;
	CHECK(make_source(&f, &first) == 0);
	const char *bk = tmp_path(&f, "bk");
	pond_backup_stats st, again;
	CHECK_OK(pond_backup_run(f.project, pond_lake_catalog(f.lake), bk, NULL, &st, &err), &err);
	CHECK_OK(pond_backup_run(f.project, pond_lake_catalog(f.lake), bk, NULL, &again, &err), &err);
	CHECK_INT(again.files_copied, 0);
	CHECK_INT(again.files_skipped, st.files);
	CHECK_INT(again.bytes_skipped, st.bytes);
	CHECK(fx_append(&f, "select 7 as x") > 0);
	CHECK_OK(pond_backup_run(f.project, pond_lake_catalog(f.lake), bk, NULL, &again, &err), &err);
	CHECK_INT(again.files_copied, 4); /* data file, manifest, manifest list, metadata file */
	CHECK_INT(again.files, st.files + 4);
	fx_teardown(&f);
}

TEST(backup_fails_naming_a_referenced_file_that_is_gone)
{
	table_fixture f;
	int64_t first;
	pond_error err = POND_ERROR_INIT;
	CHECK(make_source(&f, &first) == 0);
	pond_table *t = fx_load(&f);
	CHECK(t != NULL);
	const char *list = pond_arena_strdup(f.a, pond_iceberg_metadata_current_snapshot(t->metadata)->manifest_list);
	pond_table_free(&t);
	CHECK(unlink(list) == 0);
	const char *bk = tmp_path(&f, "bk");
	int rc = pond_backup_run(f.project, pond_lake_catalog(f.lake), bk, NULL, NULL, &err);
	CHECK(rc != 0);
	CHECK_MSG(strstr(err.msg, "table main.t") && strstr(err.msg, "snap-"), "message: %s", err.msg);
	/* Nothing that says a backup is there. */
	CHECK(!pond_file_exists(pond_arena_sprintf(f.a, "%s/backup.json", bk)));
	CHECK(!pond_file_exists(pond_arena_sprintf(f.a, "%s/catalog.db", bk)));
	CHECK(!pond_file_exists(pond_arena_sprintf(f.a, "%s/catalog.db.part", bk)));
	fx_teardown(&f);
}

TEST(backup_refuses_a_folder_inside_the_warehouse)
{
	table_fixture f;
	int64_t first;
	pond_error err = POND_ERROR_INIT;
	CHECK(make_source(&f, &first) == 0);
	const char *bk = pond_arena_sprintf(f.a, "%s/bk", f.project->warehouse);
	CHECK_INT(pond_backup_run(f.project, pond_lake_catalog(f.lake), bk, NULL, NULL, &err), POND_EINVAL);
	CHECK(strstr(err.msg, "inside the warehouse") != NULL);
	fx_teardown(&f);
}

TEST(restore_refuses_a_catalog_with_tables_or_a_warehouse_with_files_unless_forced)
{
	table_fixture f;
	int64_t first;
	pond_error err = POND_ERROR_INIT;
	CHECK(make_source(&f, &first) == 0);
	const char *bk = tmp_path(&f, "bk");
	CHECK_OK(pond_backup_run(f.project, pond_lake_catalog(f.lake), bk, NULL, NULL, &err), &err);
	CHECK_INT(pond_backup_restore(bk, f.project->root, NULL, NULL, &err), POND_EEXISTS);
	CHECK(strstr(err.msg, "is not empty") != NULL);
	/* An empty warehouse but a catalog that holds tables. */
	const char *other = tmp_path(&f, "other");
	CHECK_OK(pond_backup_restore(bk, other, NULL, NULL, &err), &err);
	const char *wh = pond_arena_sprintf(f.a, "%s/warehouse", other);
	CHECK(rename(wh, pond_arena_sprintf(f.a, "%s/moved", other)) == 0);
	CHECK_INT(pond_backup_restore(bk, other, NULL, NULL, &err), POND_EEXISTS);
	CHECK(strstr(err.msg, "holds tables") != NULL);
	pond_backup_options o = POND_BACKUP_OPTIONS_INIT;
	o.force = true;
	pond_error_clear(&err);
	/* A log the replaced catalog left must not outlive it (SQLite would
	 * replay it into the restored file). */
	const char *journal = pond_arena_sprintf(f.a, "%s/catalog.db-journal", other);
	CHECK_OK(pond_file_write_atomic(journal, "stale", 5, &err), &err);
	CHECK_OK(pond_backup_restore(bk, other, &o, NULL, &err), &err);
	CHECK(!pond_file_exists(journal));
	table_fixture r;
	CHECK(fx_open_existing(&r, "other", "t") == 0);
	CHECK_STR(fx_query(&r, "count(*)", 0), "15");
	fx_teardown(&r);
	CHECK_INT(pond_backup_restore(pond_arena_sprintf(f.a, "%s/warehouse", other), tmp_path(&f, "x"), NULL, NULL,
	                              &err),
	          POND_ENOTFOUND);
	fx_teardown(&f);
}

TEST(backup_copy_skips_a_file_of_the_same_size_and_leaves_no_part_file)
{
	pond_error err = POND_ERROR_INIT;
	char src[4096], dst[4096], part[4200];
	snprintf(src, sizeof src, "%s/a", pond_test_tmpdir());
	snprintf(dst, sizeof dst, "%s/deep/er/a", pond_test_tmpdir());
	snprintf(part, sizeof part, "%s.part", dst);
	CHECK_OK(pond_file_write_atomic(src, "hello", 5, &err), &err);
	int64_t size;
	bool copied;
	CHECK_OK(pond__backup_copy(src, dst, false, &size, &copied, &err), &err);
	CHECK(copied);
	CHECK_INT(size, 5);
	CHECK(!pond_file_exists(part));
	/* Same size: trusted, not copied (the files never change in place). */
	CHECK_OK(pond_file_write_atomic(src, "HELLO", 5, &err), &err);
	CHECK_OK(pond__backup_copy(src, dst, false, &size, &copied, &err), &err);
	CHECK(!copied);
	/* Another size, or always: copied. A stale .part is overwritten. */
	CHECK_OK(pond_file_write_atomic(part, "half", 4, &err), &err);
	CHECK_OK(pond_file_write_atomic(src, "hello!", 6, &err), &err);
	CHECK_OK(pond__backup_copy(src, dst, false, &size, &copied, &err), &err);
	CHECK(copied);
	char *text;
	size_t len;
	CHECK_OK(pond_file_read(&text, &len, dst, 100, &err), &err);
	CHECK_STR(text, "hello!");
	pond_free(text);
	CHECK(!pond_file_exists(part));
	snprintf(src, sizeof src, "%s/missing", pond_test_tmpdir());
	CHECK_INT(pond__backup_copy(src, dst, false, &size, &copied, &err), POND_ENOTFOUND);
}

TEST(backup_lock_lets_one_process_at_a_time_use_a_folder)
{
	pond_error err = POND_ERROR_INIT;
	int fd;
	CHECK_OK(pond__backup_lock(pond_test_tmpdir(), "backup or restore", &fd, &err), &err);
	pid_t pid = fork();
	if (pid == 0) {
		int other;
		pond_error e2 = POND_ERROR_INIT;
		_exit(pond__backup_lock(pond_test_tmpdir(), "backup or restore", &other, &e2) == POND_ECONFLICT ? 0 : 1);
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	pond__backup_unlock(&fd);
	CHECK_OK(pond__backup_lock(pond_test_tmpdir(), "backup or restore", &fd, &err), &err);
	pond__backup_unlock(&fd);
}

/*
 * Archiving: the files of old day partitions move to a second folder in
 * one "replace" commit and the table reads the same rows as a native
 * DuckDB table holding the rows inserted; the moved files keep their
 * partitions and data sequence numbers; time travel to before the archive
 * reads the originals, which expiry deletes with those snapshots while
 * the archived files stay; deletes made before (pond's own, and equality
 * deletes another engine wrote) stay applied, and a file a position
 * delete names stays in place; an append committed meanwhile lands, and a
 * delete or position delete of a moved file meanwhile fails the archive
 * with nothing changed and no copies left; a rerun reuses copies a killed
 * run left; a missing, unwritable or misplaced destination fails before
 * anything is copied; a table without a time partition is skipped, or
 * dated by a column. Concurrent commits are made from the progress
 * callback, which runs after the files are chosen and before any is
 * copied: no timing involved. "Now" is injected (now_ms).
 */
#include "../test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "pond/table.h"
#include "table/table_internal.h"

#define DAY_SPEC "{\"spec-id\": 0, \"fields\": [{\"source-id\": 2, \"field-id\": 1000, \"name\": \"ts_day\", " \
                 "\"transform\": \"day\"}]}"

static int64_t at_ms(const char *when)
{
	int64_t us = 0;
	pond_error err = POND_ERROR_INIT;
	pond_time_parse_us(when, &us, &err);
	return us / 1000;
}

/* Three appends, each a file per day from 2024-01-01 to 2024-01-10 (a row
 * every 8 hours), to a day(ts) table and to the native table ref. */
static int day_table(table_fixture *f)
{
	if (fx_engine_exec(f, "create table ref (id bigint, ts timestamp, v varchar)") != 0)
		return -1;
	for (int k = 0; k < 3; k++) {
		const char *q = pond_arena_sprintf(f->a, "select range + %d as id, timestamp '2024-01-01' + "
		                                   "to_hours(range * 8) as ts, 'v' || range as v from range(30)", k * 1000);
		if ((k == 0 && fx_create(f, q, DAY_SPEC) != 0) || fx_append(f, q) < 0 ||
		    fx_engine_exec(f, pond_arena_sprintf(f->a, "insert into ref %s", q)) != 0)
			return -1;
	}
	return 0;
}

/* The archive folder of the test, created. */
static const char *nas(table_fixture *f)
{
	const char *dir = pond_arena_sprintf(f->a, "%s/nas", pond_test_tmpdir());
	mkdir(dir, 0755);
	return dir;
}

/* Archiving to dest what ended before 2024-01-06 (now 2024-01-08, two
 * days): days 1 to 5 of day_table, 15 files. */
static pond_archive_options options(const char *dest)
{
	pond_archive_options o = POND_ARCHIVE_OPTIONS_INIT;
	o.dest = dest;
	o.now_ms = at_ms("2024-01-08 00:00:00");
	o.older_than_ms = 2LL * 24 * 3600 * 1000;
	return o;
}

static int archive(table_fixture *f, const pond_archive_options *o, pond_archive_result *r, pond_error *err)
{
	return pond_table_archive(f->lake, &f->id, o, r, err);
}

/* A fixture with day_table, and *o archiving it to the test's folder. */
static int setup_days(table_fixture *f, pond_archive_options *o)
{
	if (fx_setup(f, "t") != 0 || day_table(f) != 0)
		return -1;
	*o = options(nas(f));
	return 0;
}

/* Parquet files below dir. */
static int64_t parquet_files(const char *dir)
{
	return fx_count_files(dir, ".parquet");
}

/* Live data files of the current snapshot under dir. */
static int64_t live_under(table_fixture *f, const char *dir)
{
	pond_fileio *io = NULL;
	pond_scan_plan *plan = fx_current_plan(f, &io);
	int64_t n = 0;
	for (size_t i = 0; plan && i < plan->ntasks; i++)
		n += pond_str_starts_with(plan->tasks[i].path, dir);
	pond_scan_plan_free(&plan);
	pond_fileio_free(&io);
	return n;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* The rows of a position delete file removing the row with id from file. */
static const char *position_of(table_fixture *f, const char *file, int64_t id)
{
	return pond_arena_sprintf(f->a, "select '%s' as file_path, file_row_number as pos from read_parquet('%s', "
	                          "file_row_number = true) where id = %lld", file, file, (long long)id);
}

/* Where the archive puts path (a file in the warehouse). */
static const char *copy_path(table_fixture *f, const pond_archive_options *o, const char *path)
{
	return pond_arena_sprintf(f->a, "%s%s", o->dest, path + strlen(f->project->warehouse));
}

/* Expires every snapshot but the current one. */
static int expire_all(table_fixture *f, pond_expire_result *er, pond_error *err)
{
	pond_expire_options eo = POND_EXPIRE_OPTIONS_INIT;
	eo.now_ms = at_ms("2100-01-01 00:00:00");
	eo.older_than_ms = 1;
	eo.retain_last = 1;
	return pond_table_expire(f->lake, &f->id, &eo, er, err);
}

/* ---- moving ---- */

TEST(archive_moves_old_day_partitions_and_reads_the_rows_duckdb_holds)
{
	table_fixture f;
	pond_archive_options o;
	CHECK(setup_days(&f, &o) == 0);
	const char *dest = o.dest;
	pond_fileio *io = NULL;
	pond_scan_plan *before = fx_current_plan(&f, &io);
	CHECK(before && before->ntasks == 30);
	pond_error err = POND_ERROR_INIT;
	pond_archive_result r;
	CHECK_OK(archive(&f, &o, &r, &err), &err);
	CHECK(r.snapshot_id > 0);
	CHECK(r.skipped == NULL);
	CHECK_INT(r.files, 15);
	CHECK_INT(r.partitions, 5);
	CHECK_INT(r.records, 45);
	CHECK_INT(r.files_copied, 15);
	CHECK_INT(r.bytes_freed, 0);
	CHECK_INT(r.bytes_on_expiry, r.bytes);
	CHECK_STR(fx_diff_rows(&f, 0, "select * from ref"), "0 0");
	CHECK_STR(fx_query(&f, "count(*)", 0), "90");
	CHECK_STR(fx_summary(&f, "operation"), "replace");
	CHECK_STR(fx_summary(&f, "added-data-files"), "15");
	CHECK_STR(fx_summary(&f, "deleted-data-files"), "15");
	CHECK_STR(fx_summary(&f, "total-records"), "90");
	CHECK_STR(fx_summary(&f, "total-data-files"), "30");
	/* DEST/<path in the warehouse>: the same layout, the same files. */
	CHECK_INT(parquet_files(pond_arena_sprintf(f.a, "%s/main/t/data", dest)), 15);
	CHECK_INT(live_under(&f, pond_arena_sprintf(f.a, "%s/main/t/data/", dest)), 15);
	/* Every moved file keeps its partition and data sequence number; the
	 * originals are still there for the snapshots before. */
	pond_fileio *io2 = NULL;
	pond_scan_plan *after = fx_current_plan(&f, &io2);
	CHECK(after && after->ntasks == 30);
	int64_t same = 0;
	for (size_t i = 0; i < after->ntasks; i++) {
		const pond_scan_task *t = &after->tasks[i];
		for (size_t j = 0; j < before->ntasks; j++) {
			const pond_scan_task *b = &before->tasks[j];
			if (strcmp(base_name(t->path), base_name(b->path)) != 0)
				continue;
			bool moved = strcmp(t->path, b->path) != 0;
			same += t->sequence_number == b->sequence_number && t->record_count == b->record_count &&
			        pond_iceberg_literal_equal(&t->partition[0], &b->partition[0]) &&
			        t->file_size_in_bytes == b->file_size_in_bytes && (!moved || pond_file_exists(b->path));
		}
	}
	CHECK_INT(same, 30);
	/* Nothing older left in the warehouse: a second run moves nothing. */
	CHECK_OK(archive(&f, &o, &r, &err), &err);
	CHECK_INT(r.files, 0);
	CHECK_INT(r.snapshot_id, 0);
	pond_scan_plan_free(&before);
	pond_scan_plan_free(&after);
	pond_fileio_free(&io);
	pond_fileio_free(&io2);
	fx_teardown(&f);
}

TEST(archive_dry_run_counts_and_changes_nothing)
{
	table_fixture f;
	pond_archive_options o;
	CHECK(setup_days(&f, &o) == 0);
	int64_t snap = fx_snapshot(&f);
	pond_error err = POND_ERROR_INIT;
	o.dry_run = true;
	pond_archive_result r;
	CHECK_OK(archive(&f, &o, &r, &err), &err);
	CHECK_INT(r.files, 15);
	CHECK_INT(r.snapshot_id, 0);
	CHECK_INT(fx_snapshot(&f), snap);
	CHECK_INT(parquet_files(o.dest), 0);
	fx_teardown(&f);
}

/* Files of the cut-off's own day, and later ones, stay: a partition goes
 * only when all of it is older. */
TEST(archive_keeps_the_partition_holding_the_cutoff)
{
	table_fixture f;
	pond_archive_options o;
	CHECK(setup_days(&f, &o) == 0);
	pond_error err = POND_ERROR_INIT;
	o.now_ms = at_ms("2024-01-08 12:00:00");  /* cut-off 2024-01-06 12:00 */
	pond_archive_result r;
	CHECK_OK(archive(&f, &o, &r, &err), &err);
	CHECK_INT(r.partitions, 5);  /* the 6th holds the cut-off */
	o.now_ms = at_ms("2024-01-09 00:00:00");  /* cut-off 2024-01-07 00:00: the 6th ends there */
	CHECK_OK(archive(&f, &o, &r, &err), &err);
	CHECK_INT(r.partitions, 1);
	CHECK_INT(r.files, 3);
	CHECK_STR(fx_diff_rows(&f, 0, "select * from ref"), "0 0");
	fx_teardown(&f);
}

/* ---- time travel and the originals ---- */

TEST(archive_time_travel_reads_the_originals_until_expiry_deletes_them)
{
	table_fixture f;
	pond_archive_options o;
	CHECK(setup_days(&f, &o) == 0);
	const char *dest = o.dest;
	int64_t before = fx_snapshot(&f);
	const char *old_sql = fx_snapshot_sql(&f, before);
	CHECK(strstr(old_sql, "/warehouse/main/t/data/") != NULL);
	pond_error err = POND_ERROR_INIT;
	pond_archive_result r;
	CHECK_OK(archive(&f, &o, &r, &err), &err);
	/* The snapshot before still reads the files where they were. */
	const char *was = fx_snapshot_sql(&f, before);
	CHECK(strstr(was, dest) == NULL);
	CHECK_STR(fx_diff_rows(&f, before, "select * from ref"), "0 0");
	/* orphans: the originals are referenced (by the snapshots before),
	 * the copies are outside the table's folder. */
	pond_orphans_options oo = POND_ORPHANS_OPTIONS_INIT;
	oo.now_ms = at_ms("2100-01-01 00:00:00");
	oo.older_than_ms = 1;
	oo.remove = true;
	pond_orphans_result orr;
	CHECK_OK(pond_table_orphans(f.lake, &f.id, &oo, &orr, &err), &err);
	CHECK_INT(orr.files, 0);
	const char *wh_data = pond_arena_sprintf(f.a, "%s/main/t/data", f.project->warehouse);
	CHECK_INT(parquet_files(wh_data), 30);
	/* A delete in an archived day rewrites that file into the warehouse. */
	pond_write_result wr;
	CHECK_OK(pond_table_delete_where(f.lake, &f.id, "id = 1", NULL, &wr, &err), &err);
	CHECK(fx_engine_exec(&f, "delete from ref where id = 1") == 0);
	CHECK_INT(parquet_files(wh_data), 31);
	/* Expiring the snapshots before deletes the 15 originals and the
	 * archived file the delete replaced; the other copies stay. */
	pond_expire_result er;
	CHECK_OK(expire_all(&f, &er, &err), &err);
	CHECK_INT(er.content_files, 16);
	CHECK_INT(er.bytes >= r.bytes, 1);
	CHECK_INT(parquet_files(wh_data), 16);
	CHECK_INT(parquet_files(dest), 14);
	CHECK_STR(fx_diff_rows(&f, 0, "select * from ref"), "0 0");
	CHECK_OK(pond_table_orphans(f.lake, &f.id, &oo, &orr, &err), &err);
	CHECK_INT(orr.files, 0);
	CHECK_INT(parquet_files(dest), 14);
	fx_teardown(&f);
}

/* Expiry deletes outside the table's folder only in a folder marked as
 * this table's archive: under another table's marker, a file the table
 * no longer needs stays. */
TEST(archive_expiry_deletes_only_in_the_tables_own_archive_folder)
{
	table_fixture f;
	pond_archive_options o;
	CHECK(setup_days(&f, &o) == 0);
	const char *dest = o.dest;
	pond_error err = POND_ERROR_INIT;
	pond_archive_result r;
	CHECK_OK(archive(&f, &o, &r, &err), &err);
	const char *marker = pond_arena_sprintf(f.a, "%s/main/t/" POND__ARCHIVE_MARKER, dest);
	CHECK(pond_file_exists(marker));
	CHECK_OK(pond_file_write_atomic(marker, "another-table\n", 14, &err), &err);
	pond_write_result wr;
	CHECK_OK(pond_table_delete_where(f.lake, &f.id, "id = 1", NULL, &wr, &err), &err);
	pond_expire_result er;
	CHECK_OK(expire_all(&f, &er, &err), &err);
	CHECK_INT(er.content_files, 15);
	CHECK_INT(parquet_files(dest), 15);
	CHECK_STR(fx_query(&f, "count(*)", 0), "89");
	fx_teardown(&f);
}

/* ---- deletes ---- */

TEST(archive_keeps_deletes_applied_before_it)
{
	table_fixture f;
	pond_archive_options o;
	CHECK(setup_days(&f, &o) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result wr;
	/* pond's own delete (a rewrite) in an old partition ... */
	CHECK_OK(pond_table_delete_where(f.lake, &f.id, "id = 1001", NULL, &wr, &err), &err);
	CHECK(fx_engine_exec(&f, "delete from ref where id = 1001") == 0);
	/* ... an equality delete another engine wrote for day 2 (ids 3 and
	 * 1003 lie there: a row every 8 hours) ... */
	pond_iceberg_literal day2 = pond_iceberg_literal_date((int32_t)(at_ms("2024-01-02") / 86400000));
	CHECK(fx_add_delete_file(&f, f.lake, POND_CONTENT_EQUALITY_DELETES, "select 3::bigint as id union all select 1003",
	                         1, NULL, &day2) == 0);
	CHECK(fx_engine_exec(&f, "delete from ref where id in (3, 1003)") == 0);
	/* ... and a position delete naming one old file, which then stays. */
	const char *file = fx_file_of_id(&f, 2000);  /* day 1 of the third append */
	CHECK(file != NULL);
	pond_iceberg_literal day1 = pond_iceberg_literal_date((int32_t)(at_ms("2024-01-01") / 86400000));
	CHECK(fx_add_delete_file(&f, f.lake, POND_CONTENT_POSITION_DELETES, position_of(&f, file, 2000), 0, file,
	                         &day1) == 0);
	CHECK(fx_engine_exec(&f, "delete from ref where id = 2000") == 0);
	CHECK_STR(fx_diff_rows(&f, 0, "select * from ref"), "0 0");
	pond_archive_result r;
	CHECK_OK(archive(&f, &o, &r, &err), &err);
	CHECK_INT(r.kept_files, 1);
	CHECK_INT(r.files, 14);
	CHECK(pond_file_exists(file));
	CHECK_INT(live_under(&f, o.dest), 14);
	/* The equality delete still applies to the moved files of day 2: they
	 * kept their sequence numbers, older than the delete's. */
	CHECK_STR(fx_query(&f, "count(*) filter (where id in (3, 1003, 1001, 2000))", 0), "0");
	CHECK_STR(fx_diff_rows(&f, 0, "select * from ref"), "0 0");
	CHECK_INT(fx_count_delete_files(&f), 2);
	fx_teardown(&f);
}

/* ---- others committing meanwhile ---- */

typedef struct meanwhile {
	table_fixture *f;
	const char *what;  /* "append", "delete", "posdelete" */
	int rc;
	bool done;
} meanwhile;

/* Commits through a second lake (another writer) once the archive chose
 * its files, before it copies any. */
static void commit_meanwhile(const pond_archive_progress *p, void *payload)
{
	meanwhile *m = payload;
	if (p->files_done != 0 || m->done)
		return;
	m->done = true;
	pond_error err = POND_ERROR_INIT;
	pond_lake *other = NULL;
	m->rc = pond_lake_open(&other, m->f->project, NULL, &err);
	if (m->rc == 0)
		pond_lake_set_write_through(other, true);
	pond_write_result wr;
	if (m->rc == 0 && strcmp(m->what, "append") == 0) {
		m->rc = pond_table_append_query(other, &m->f->id, "select 5000 + range, timestamp '2024-01-02 05:00' + "
		                                "to_hours(range), 'new' from range(4)", NULL, &wr, &err);
	} else if (m->rc == 0 && strcmp(m->what, "delete") == 0) {
		m->rc = pond_table_delete_where(other, &m->f->id, "id = 4", NULL, &wr, &err);
	} else if (m->rc == 0) {
		const char *file = fx_file_of_id(m->f, 4);
		pond_iceberg_literal day2 = pond_iceberg_literal_date((int32_t)(at_ms("2024-01-02") / 86400000));
		m->rc = file ? fx_add_delete_file(m->f, other, POND_CONTENT_POSITION_DELETES, position_of(m->f, file, 4), 0,
		                                  file, &day2)
		             : -1;
	}
	if (m->rc)
		fprintf(stderr, "    meanwhile %s: %s\n", m->what, err.msg);
	pond_lake_close(&other);
}

static int archive_meanwhile(table_fixture *f, meanwhile *m, pond_archive_options *o, pond_archive_result *r,
                             pond_error *err)
{
	o->progress = commit_meanwhile;
	o->payload = m;
	return archive(f, o, r, err);
}

TEST(archive_keeps_an_append_committed_meanwhile)
{
	table_fixture f;
	pond_archive_options o;
	CHECK(setup_days(&f, &o) == 0);
	meanwhile m = {&f, "append", -1, false};
	pond_error err = POND_ERROR_INIT;
	pond_archive_result r;
	CHECK_OK(archive_meanwhile(&f, &m, &o, &r, &err), &err);
	CHECK_INT(m.rc, 0);
	CHECK(r.snapshot_id > 0);
	CHECK_INT(fx_snapshot(&f), r.snapshot_id);
	CHECK_INT(r.files, 15);
	CHECK_STR(fx_diff_rows(&f, 0, "select * from ref union all select 5000 + range, timestamp '2024-01-02 05:00' + "
	                       "to_hours(range), 'new' from range(4)"), "0 0");
	/* The append's file (day 2) was not chosen: it stays where it is. */
	CHECK_INT(live_under(&f, o.dest), 15);
	CHECK_STR(fx_summary(&f, "total-records"), "94");
	fx_teardown(&f);
}

/* Archives with a commit of what meanwhile that conflicts: 0 when the
 * archive failed with POND_ECONFLICT, the other commit landed, and no
 * copy is left at the destination. */
static int conflicts(table_fixture *f, pond_archive_options *o, const char *what, pond_error *err)
{
	meanwhile m = {f, what, -1, false};
	pond_archive_result r;
	int rc = archive_meanwhile(f, &m, o, &r, err);
	o->progress = NULL;
	if (rc == POND_ECONFLICT && m.rc == 0 && live_under(f, o->dest) == 0 && parquet_files(o->dest) == 0)
		return 0;
	fprintf(stderr, "    %s meanwhile: archive %d, the %s %d: %s\n", what, rc, what, m.rc, err->msg);
	return -1;
}

TEST(archive_conflicts_with_a_delete_of_a_moved_file_and_changes_nothing)
{
	table_fixture f;
	pond_archive_options o;
	CHECK(setup_days(&f, &o) == 0);
	pond_error err = POND_ERROR_INIT;
	CHECK(conflicts(&f, &o, "delete", &err) == 0);
	CHECK_MSG(strstr(err.msg, "main.t") != NULL, "%s", err.msg);
	CHECK_STR(fx_summary(&f, "operation"), "overwrite");  /* the delete's snapshot is current */
	CHECK_STR(fx_diff_rows(&f, 0, "select * from ref where id <> 4"), "0 0");
	/* Run again, it archives. */
	pond_archive_result r;
	CHECK_OK(archive(&f, &o, &r, &err), &err);
	CHECK_INT(r.files, 15);
	CHECK_STR(fx_diff_rows(&f, 0, "select * from ref where id <> 4"), "0 0");
	fx_teardown(&f);
}

TEST(archive_conflicts_with_a_position_delete_on_a_moved_file)
{
	table_fixture f;
	pond_archive_options o;
	CHECK(setup_days(&f, &o) == 0);
	pond_error err = POND_ERROR_INIT;
	CHECK(conflicts(&f, &o, "posdelete", &err) == 0);
	CHECK_STR(fx_query(&f, "count(*)", 0), "89");
	CHECK_STR(fx_query(&f, "count(*) filter (where id = 4)", 0), "0");
	fx_teardown(&f);
}

/* ---- runs cut short ---- */

/* A run killed after copying leaves files at the destination that nothing
 * references; the next run lands on the same paths: it reuses a whole
 * copy, replaces one of another size, and ignores a .part file. */
TEST(archive_rerun_reuses_the_copies_a_killed_run_left)
{
	table_fixture f;
	pond_archive_options o;
	CHECK(setup_days(&f, &o) == 0);
	/* What a killed run leaves: two chosen files (of day 1, from two
	 * appends) copied, one cut to another size, and a .part file. */
	const char *whole = fx_file_of_id(&f, 0), *cut = fx_file_of_id(&f, 1000);
	CHECK(whole && cut && strcmp(whole, cut) != 0);
	const char *whole_to = copy_path(&f, &o, whole), *cut_to = copy_path(&f, &o, cut);
	CHECK(system(pond_arena_sprintf(f.a, "mkdir -p \"$(dirname '%s')\" \"$(dirname '%s')\" && cp '%s' '%s' && "
	                                "echo partial > '%s.part' && head -c 10 '%s' > '%s'", whole_to, cut_to, whole,
	                                whole_to, whole_to, cut, cut_to)) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_archive_result r;
	CHECK_OK(archive(&f, &o, &r, &err), &err);
	CHECK_INT(r.files, 15);
	CHECK_INT(r.files_copied, 14);  /* the whole copy reused, the short one replaced */
	struct stat st_cut, st_src;
	CHECK(stat(cut_to, &st_cut) == 0 && stat(cut, &st_src) == 0);
	CHECK_INT(st_cut.st_size, st_src.st_size);
	CHECK_STR(fx_diff_rows(&f, 0, "select * from ref"), "0 0");
	CHECK_INT(live_under(&f, o.dest), 15);
	fx_teardown(&f);
}

typedef struct midway {
	table_fixture *f;
	pond_archive_options again;  /* the second run's options */
	int again_rc;
	char again_msg[POND_ERROR_MSG_MAX];
	volatile int cancel;
} midway;

/* After the third copy (the table's archive folder locked): a second
 * archive of the table through another lake, then the signal. */
static void stop_midway(const pond_archive_progress *p, void *payload)
{
	midway *m = payload;
	if (p->files_done != 3)
		return;
	pond_error err = POND_ERROR_INIT;
	pond_lake *other = NULL;
	pond_archive_result r;
	m->again_rc = pond_lake_open(&other, m->f->project, NULL, &err);
	if (m->again_rc == 0)
		m->again_rc = pond_table_archive(other, &m->f->id, &m->again, &r, &err);
	snprintf(m->again_msg, sizeof m->again_msg, "%s", err.msg);
	pond_lake_close(&other);
	m->cancel = 1;
}

/* An archive of a table while another runs is refused; one interrupted
 * between copies commits nothing and removes the copies it made. */
TEST(archive_interrupted_or_run_twice_at_once_commits_nothing_and_leaves_no_copies)
{
	table_fixture f;
	pond_archive_options o;
	CHECK(setup_days(&f, &o) == 0);
	int64_t snap = fx_snapshot(&f);
	midway m = {&f, o, -1, "", 0};
	o.progress = stop_midway;
	o.payload = &m;
	o.cancel = &m.cancel;
	pond_error err = POND_ERROR_INIT;
	pond_archive_result r;
	CHECK_INT(archive(&f, &o, &r, &err), POND_ECANCELED);
	CHECK_MSG(strstr(err.msg, "nothing was committed") != NULL, "%s", err.msg);
	CHECK_INT(m.again_rc, POND_ECONFLICT);
	CHECK_MSG(strstr(m.again_msg, "in use by another archive of this table") != NULL, "%s", m.again_msg);
	CHECK_INT(fx_snapshot(&f), snap);
	CHECK_INT(parquet_files(o.dest), 0);
	CHECK_STR(fx_diff_rows(&f, 0, "select * from ref"), "0 0");
	/* The lock went with the run: the next one archives. */
	o.progress = NULL;
	o.cancel = NULL;
	CHECK_OK(archive(&f, &o, &r, &err), &err);
	CHECK_INT(live_under(&f, o.dest), 15);
	fx_teardown(&f);
}

/* A file whose size is not the one the table records (changed behind the
 * table's back) fails the archive before the commit, naming it; the
 * copies made go. */
TEST(archive_of_a_file_of_another_size_than_recorded_commits_nothing)
{
	table_fixture f;
	pond_archive_options o;
	CHECK(setup_days(&f, &o) == 0);
	int64_t snap = fx_snapshot(&f);
	const char *file = fx_file_of_id(&f, 12);  /* day 5 */
	struct stat st;
	CHECK(file && stat(file, &st) == 0);
	CHECK(system(pond_arena_sprintf(f.a, "printf junk >> '%s'", file)) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_archive_result r;
	CHECK_INT(archive(&f, &o, &r, &err), POND_ECORRUPT);
	CHECK_MSG(strstr(err.msg, file) && strstr(err.msg, "the table records"), "%s", err.msg);
	CHECK_INT(fx_snapshot(&f), snap);
	CHECK_INT(parquet_files(o.dest), 0);
	/* Put back as it was, it archives. */
	CHECK(truncate(file, st.st_size) == 0);
	CHECK_OK(archive(&f, &o, &r, &err), &err);
	CHECK_INT(r.files, 15);
	CHECK_STR(fx_diff_rows(&f, 0, "select * from ref"), "0 0");
	fx_teardown(&f);
}

/* A copy that fails part-way (here a folder where a file must go; a full
 * disk goes the same way) commits nothing and removes the copies made. */
TEST(archive_that_fails_while_copying_commits_nothing_and_leaves_no_copies)
{
	table_fixture f;
	pond_archive_options o;
	CHECK(setup_days(&f, &o) == 0);
	int64_t snap = fx_snapshot(&f);
	pond_error err = POND_ERROR_INIT;
	const char *file = fx_file_of_id(&f, 12);  /* day 5 */
	CHECK(file != NULL);
	const char *blocked = copy_path(&f, &o, file);
	CHECK_OK(pond_mkdirs(blocked, &err), &err);
	pond_archive_result r;
	CHECK(archive(&f, &o, &r, &err) != 0);
	CHECK_MSG(strstr(err.msg, blocked) != NULL, "%s", err.msg);
	CHECK_INT(fx_snapshot(&f), snap);
	CHECK_INT(parquet_files(o.dest), 0);
	CHECK_STR(fx_diff_rows(&f, 0, "select * from ref"), "0 0");
	fx_teardown(&f);
}

/* ---- the destination ---- */

TEST(archive_refuses_a_missing_or_misplaced_destination_with_nothing_done)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(day_table(&f) == 0);
	int64_t snap = fx_snapshot(&f);
	pond_error err = POND_ERROR_INIT;
	pond_archive_result r;
	/* An unmounted share: the folder is not there, and is not made. */
	const char *missing = pond_arena_sprintf(f.a, "%s/mnt/nas", pond_test_tmpdir());
	pond_archive_options o = options(missing);
	CHECK_INT(archive(&f, &o, &r, &err), POND_ENOTFOUND);
	CHECK_MSG(strstr(err.msg, missing) && strstr(err.msg, "mounted"), "%s", err.msg);
	CHECK(!pond_file_exists(missing));
	CHECK_INT(pond_table_archive_check(f.lake, missing, &err), POND_ENOTFOUND);
	/* A file, not a folder. */
	const char *file = pond_arena_sprintf(f.a, "%s/afile", pond_test_tmpdir());
	CHECK_OK(pond_file_write_atomic(file, "x", 1, &err), &err);
	o = options(file);
	CHECK_INT(archive(&f, &o, &r, &err), POND_EINVAL);
	/* The warehouse, a folder inside it, or one holding it. */
	o = options(pond_arena_sprintf(f.a, "%s/main", f.project->warehouse));
	CHECK_INT(archive(&f, &o, &r, &err), POND_EINVAL);
	CHECK_MSG(strstr(err.msg, "warehouse") != NULL, "%s", err.msg);
	o = options(f.project->root);
	CHECK_INT(archive(&f, &o, &r, &err), POND_EINVAL);
	/* A relative path with "..": made absolute and plain before it is
	 * recorded. */
	CHECK(chdir(f.project->root) == 0);
	nas(&f);
	o = options("../proj/../nas/");
	CHECK_OK(archive(&f, &o, &r, &err), &err);
	CHECK_INT(live_under(&f, pond_arena_sprintf(f.a, "%s/nas/main/t/data/", pond_test_tmpdir())), 15);
	CHECK(fx_snapshot(&f) != snap);
	fx_teardown(&f);
}

/* Root may write anywhere by permission bits; a folder the kernel refuses
 * files in (sysfs) stands for a read-only share then. */
TEST(archive_refuses_an_unwritable_destination)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(day_table(&f) == 0);
	const char *ro = pond_arena_sprintf(f.a, "%s/ro", pond_test_tmpdir());
	CHECK(mkdir(ro, 0555) == 0);
	if (geteuid() == 0)
		ro = "/sys";
	pond_error err = POND_ERROR_INIT;
	pond_archive_options o = options(ro);
	pond_archive_result r;
	int64_t snap = fx_snapshot(&f);
	CHECK_INT(archive(&f, &o, &r, &err), POND_EIO);
	CHECK_MSG(strstr(err.msg, "not writable") != NULL, "%s", err.msg);
	CHECK_INT(fx_snapshot(&f), snap);
	fx_teardown(&f);
}

/* ---- tables without a time partition ---- */

TEST(archive_skips_a_table_without_a_time_partition_or_dates_it_by_a_column)
{
	table_fixture f;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_engine_exec(&f, "create table ref (id bigint, ts timestamp, v varchar)") == 0);
	for (int day = 1; day <= 6; day++) {
		const char *q = pond_arena_sprintf(f.a, "select range + %d * 100 as id, timestamp '2024-01-0%d' + "
		                                   "to_hours(range) as ts, 'v' as v from range(5)", day, day);
		CHECK(day == 1 ? fx_create_with(&f, q, NULL) == 0 : fx_append(&f, q) > 0);
		CHECK(fx_engine_exec(&f, pond_arena_sprintf(f.a, "insert into ref %s", q)) == 0);
	}
	/* A file with a null in the column is never old. */
	CHECK(fx_append(&f, "select 999 as id, null::timestamp as ts, 'n' as v") > 0);
	CHECK(fx_engine_exec(&f, "insert into ref values (999, null, 'n')") == 0);
	pond_error err = POND_ERROR_INIT;
	pond_archive_options o = options(nas(&f));
	pond_archive_result r;
	CHECK_OK(archive(&f, &o, &r, &err), &err);
	CHECK(r.skipped != NULL);
	CHECK_INT(r.files, 0);
	o.column = "v";  /* not a date or timestamp */
	CHECK_OK(archive(&f, &o, &r, &err), &err);
	CHECK(r.skipped != NULL);
	/* By ts: the files whose last value is before 2024-01-06 00:00. */
	o.column = "ts";
	CHECK_OK(archive(&f, &o, &r, &err), &err);
	CHECK(r.skipped == NULL);
	CHECK_INT(r.files, 5);
	CHECK_STR(fx_diff_rows(&f, 0, "select * from ref"), "0 0");
	CHECK_INT(live_under(&f, o.dest), 5);
	fx_teardown(&f);
}

/* ---- allocation failures ---- */

/* Every allocation the archive makes, failed in turn: each failure leaves
 * the table as it was (its rows, its folder's files; copies at the
 * destination only where a rerun reuses them), until one run gets
 * through and moves everything. */
TEST(archive_under_allocation_failures_fails_cleanly_or_archives)
{
	table_fixture f;
	pond_archive_options o;
	CHECK(setup_days(&f, &o) == 0);
	const char *dir = pond_arena_sprintf(f.a, "%s/main/t", f.project->warehouse);
	int64_t snap = fx_snapshot(&f);
	pond_error err = POND_ERROR_INIT;
	pond_archive_result r;
	bool done = false;
	long failed = 0;
	for (long n = 1; n < 20000 && !done; n++) {
		int64_t files = fx_count_files(dir, NULL);
		pond_alloc_fail_at(n);
		int rc = archive(&f, &o, &r, &err);
		pond_alloc_fail_at(0);
		if (rc == 0) {
			done = true;
			break;
		}
		failed++;
		CHECK_MSG(err.msg[0] != '\0', "allocation %ld: failure without a message", n);
		CHECK_MSG(fx_count_files(dir, NULL) == files, "allocation %ld: files left in the table's folder (%s)", n, err.msg);
		CHECK_MSG(fx_snapshot(&f) == snap, "allocation %ld: a commit despite the failure (%s)", n, err.msg);
	}
	CHECK(done);
	CHECK_MSG(failed > 100, "only %ld allocations failed the archive", failed);
	CHECK_INT(r.files, 15);
	CHECK_INT(live_under(&f, o.dest), 15);
	CHECK_INT(parquet_files(o.dest), 15);
	CHECK_STR(fx_diff_rows(&f, 0, "select * from ref"), "0 0");
	fx_teardown(&f);
}

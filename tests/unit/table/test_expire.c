/*
 * Unit tests for snapshot expiry: Iceberg's retention rules (retain-last,
 * age, tags and branches, ref ages), one commit, and the files only
 * removed snapshots reached deleted while every file a kept snapshot
 * reaches stays; a dry run changes nothing. Times are injected (now_ms),
 * never waited for.
 */
#include "../test.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "fixture.h"
#include "pond/table.h"

#define DAY_MS (24LL * 3600 * 1000)

typedef struct {
	table_fixture fx;
	int64_t snaps[6];
} fixture;

/* main.t (id bigint) with n appends: append i adds the row i+1. */
static int setup(fixture *f, int n)
{
	if (fx_setup(&f->fx, "t") != 0 || fx_create(&f->fx, "select 1::bigint as id", NULL) != 0)
		return -1;
	for (int i = 0; i < n; i++)
		if ((f->snaps[i] = fx_append(&f->fx, pond_arena_sprintf(f->fx.a, "select %d::bigint", i + 1))) < 0)
			return -1;
	return 0;
}

/* Regular files below the table's folder. */
static int count_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char p[4096];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			n += count_tree(p);
		else
			n++;
	}
	closedir(d);
	return n;
}

static int table_files(fixture *f)
{
	pond_table *t = fx_load(&f->fx);
	int n = t ? count_tree(t->metadata->location) : -1;
	pond_table_free(&t);
	return n;
}

static size_t nsnapshots(fixture *f)
{
	pond_table *t = fx_load(&f->fx);
	size_t n = t ? t->metadata->nsnapshots : 0;
	pond_table_free(&t);
	return n;
}

TEST(expire_retain_last_keeps_the_newest_and_deletes_only_their_lists)
{
	fixture f;
	CHECK(setup(&f, 6) == 0);
	int files = table_files(&f);
	pond_error err = POND_ERROR_INIT;
	pond_expire_options o = POND_EXPIRE_OPTIONS_INIT;
	o.now_ms = pond_time_now_ms() + 30 * DAY_MS;
	o.retain_last = 2;
	pond_expire_result r;
	CHECK_OK(pond_table_expire(f.fx.lake, &f.fx.id, &o, &r, &err), &err);
	CHECK_INT(r.snapshots, 4);
	CHECK_INT(r.snapshots_left, 2);
	CHECK_INT(nsnapshots(&f), 2);
	/* appends carry every manifest and file forward: only lists go */
	CHECK_INT(r.manifest_lists, 4);
	CHECK_INT(r.manifests, 0);
	CHECK_INT(r.content_files, 0);
	CHECK(r.bytes > 0);
	CHECK_STR(fx_query(&f.fx, "count(*)::varchar || ' ' || sum(id)::varchar", 0), "6 21");
	CHECK_STR(fx_query(&f.fx, "sum(id)", f.snaps[4]), "15");
	/* one new metadata file (the log keeps 100), four lists fewer */
	CHECK_INT(table_files(&f), files - 4 + 1);
	/* again: nothing left to expire commits nothing */
	pond_table *t = fx_load(&f.fx);
	const char *loc = t ? pond_arena_strdup(f.fx.a, t->metadata_location) : NULL;
	pond_table_free(&t);
	CHECK_OK(pond_table_expire(f.fx.lake, &f.fx.id, &o, &r, &err), &err);
	CHECK_INT(r.snapshots, 0);
	t = fx_load(&f.fx);
	CHECK(t && loc && strcmp(t->metadata_location, loc) == 0);
	pond_table_free(&t);
	fx_teardown(&f.fx);
}

TEST(expire_deletes_data_files_only_removed_snapshots_held)
{
	fixture f;
	CHECK(setup(&f, 3) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result wr;
	/* the file holding id 1 is removed from the table (still in history) */
	CHECK_OK(pond_table_delete_where(f.fx.lake, &f.fx.id, "id = 1", NULL, &wr, &err), &err);
	CHECK_INT(wr.deleted_files, 1);
	pond_table *t = fx_load(&f.fx);
	CHECK(t != NULL);
	pond_fileio *io = NULL;
	pond_scan_plan *plan = NULL;
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	so.has_snapshot_id = true;
	so.snapshot_id = f.snaps[0];
	CHECK_OK(pond_fileio_local_new(&io, &err), &err);
	CHECK_OK(pond_scan_plan_files(&plan, t->metadata, io, &so, &err), &err);
	CHECK_INT(plan->ntasks, 1);
	const char *first = pond_arena_strdup(f.fx.a, plan->tasks[0].path);
	pond_scan_plan_free(&plan);
	pond_fileio_free(&io);
	pond_table_free(&t);
	CHECK(pond_file_exists(first));
	pond_expire_options o = POND_EXPIRE_OPTIONS_INIT;
	o.now_ms = pond_time_now_ms() + 30 * DAY_MS;
	pond_expire_result r;
	CHECK_OK(pond_table_expire(f.fx.lake, &f.fx.id, &o, &r, &err), &err);
	CHECK_INT(r.snapshots, 3);
	CHECK_INT(r.content_files, 1);
	CHECK(!pond_file_exists(first));
	/* and its write folder, left empty */
	char *folder = pond_arena_strdup(f.fx.a, first);
	*strrchr(folder, '/') = '\0';
	CHECK(!pond_file_exists(folder));
	CHECK_STR(fx_query(&f.fx, "count(*)::varchar || ' ' || sum(id)::varchar", 0), "2 5");
	fx_teardown(&f.fx);
}

TEST(expire_keeps_young_snapshots_and_tagged_ones)
{
	fixture f;
	CHECK(setup(&f, 4) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_expire_options o = POND_EXPIRE_OPTIONS_INIT;
	pond_expire_result r;
	/* all younger than the default seven days */
	CHECK_OK(pond_table_expire(f.fx.lake, &f.fx.id, &o, &r, &err), &err);
	CHECK_INT(r.snapshots, 0);
	CHECK_INT(nsnapshots(&f), 4);
	CHECK_OK(pond_table_create_tag(f.fx.lake, &f.fx.id, "first", f.snaps[0], NULL, &err), &err);
	o.now_ms = pond_time_now_ms() + 30 * DAY_MS;
	CHECK_OK(pond_table_expire(f.fx.lake, &f.fx.id, &o, &r, &err), &err);
	CHECK_INT(r.snapshots, 2);
	CHECK_INT(nsnapshots(&f), 2);
	CHECK_STR(fx_query(&f.fx, "sum(id)", f.snaps[0]), "1");
	CHECK_STR(fx_query(&f.fx, "sum(id)", 0), "10");
	fx_teardown(&f.fx);
}

TEST(expire_honours_branch_retention_and_ref_age)
{
	fixture f;
	CHECK(setup(&f, 3) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_ref_options keep3 = POND_REF_OPTIONS_INIT;
	keep3.min_snapshots_to_keep = 3;
	/* a branch at the head keeping three snapshots keeps all of main's */
	CHECK_OK(pond_table_create_branch(f.fx.lake, &f.fx.id, "b", POND_ICEBERG_NO_SNAPSHOT, &keep3, &err), &err);
	pond_ref_options short_lived = POND_REF_OPTIONS_INIT;
	short_lived.max_ref_age_ms = DAY_MS;
	CHECK_OK(pond_table_create_tag(f.fx.lake, &f.fx.id, "old", f.snaps[0], &short_lived, &err), &err);
	pond_expire_options o = POND_EXPIRE_OPTIONS_INIT;
	o.now_ms = pond_time_now_ms() + 30 * DAY_MS;
	pond_expire_result r;
	CHECK_OK(pond_table_expire(f.fx.lake, &f.fx.id, &o, &r, &err), &err);
	/* the tag aged out; its snapshot is on b's history, which keeps it */
	CHECK_INT(r.refs, 1);
	CHECK_INT(r.snapshots, 0);
	pond_table *t = fx_load(&f.fx);
	CHECK(t != NULL);
	CHECK(pond_iceberg_metadata_ref(t->metadata, "old") == NULL);
	CHECK(pond_iceberg_metadata_ref(t->metadata, "b") != NULL);
	CHECK_INT(t->metadata->nsnapshots, 3);
	pond_table_free(&t);
	CHECK_OK(pond_table_drop_branch(f.fx.lake, &f.fx.id, "b", &err), &err);
	CHECK_OK(pond_table_expire(f.fx.lake, &f.fx.id, &o, &r, &err), &err);
	CHECK_INT(r.snapshots, 2);
	fx_teardown(&f.fx);
}

TEST(expire_dry_run_reports_the_same_and_changes_nothing)
{
	fixture f;
	CHECK(setup(&f, 4) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_write_result wr;
	CHECK_OK(pond_table_delete_where(f.fx.lake, &f.fx.id, "id <= 2", NULL, &wr, &err), &err);
	int files = table_files(&f);
	pond_expire_options o = POND_EXPIRE_OPTIONS_INIT;
	o.now_ms = pond_time_now_ms() + 30 * DAY_MS;
	o.dry_run = true;
	pond_expire_result dry, real;
	CHECK_OK(pond_table_expire(f.fx.lake, &f.fx.id, &o, &dry, &err), &err);
	CHECK_INT(table_files(&f), files);
	CHECK_INT(nsnapshots(&f), 5);
	o.dry_run = false;
	CHECK_OK(pond_table_expire(f.fx.lake, &f.fx.id, &o, &real, &err), &err);
	CHECK_INT(dry.snapshots, 4);
	CHECK_INT(real.snapshots, dry.snapshots);
	CHECK_INT(real.manifest_lists, dry.manifest_lists);
	CHECK_INT(real.manifests, dry.manifests);
	CHECK_INT(real.content_files, dry.content_files);
	CHECK_INT(real.bytes, dry.bytes);
	CHECK_INT(real.content_files, 2);
	CHECK_STR(fx_query(&f.fx, "sum(id)", 0), "7");
	fx_teardown(&f.fx);
}

/*
 * Unit tests for snapshot references: rollback by id and by time (ancestors
 * only unless forced; appends continue from the rolled-back snapshot), and
 * tags and branches created, listed and dropped, main never.
 */
#include "../test.h"

#include <time.h>

#include "fixture.h"
#include "pond/table.h"

typedef struct {
	table_fixture fx;
	int64_t snaps[3];
} fixture;

/* A table main.t with three appends of 1, 2 and 3 rows (ids 1, 2, 3), a few
 * milliseconds apart so their timestamps differ. */
static int setup(fixture *f, bool with_snapshots)
{
	if (fx_setup(&f->fx, "t") != 0 || fx_create(&f->fx, "select 1::bigint as id", NULL) != 0)
		return -1;
	for (int i = 0; with_snapshots && i < 3; i++) {
		const char *q = pond_arena_sprintf(f->fx.a, "select %d from range(%d)", i + 1, i + 1);
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
		if ((f->snaps[i] = fx_append(&f->fx, q)) < 0)
			return -1;
	}
	return 0;
}

static int64_t current(fixture *f)
{
	pond_table *t = fx_load(&f->fx);
	int64_t id = t ? t->metadata->current_snapshot_id : -2;
	pond_table_free(&t);
	return id;
}

/* sum(id) over the current snapshot's files, through DuckDB. */
static int64_t sum_ids(fixture *f)
{
	pond_error err = POND_ERROR_INIT;
	pond_table *t = fx_load(&f->fx);
	pond_fileio *io = NULL;
	pond_scan_plan *plan = NULL;
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	if (!t || pond_fileio_local_new(&io, &err) || pond_scan_plan_files(&plan, t->metadata, io, &so, &err))
		return -1;
	int64_t sum = 0;
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "select sum(id) from read_parquet([");
	for (size_t i = 0; i < plan->ntasks; i++) {
		if (i)
			pond_buf_putc(&sql, ',');
		pond_sql_quote_literal(&sql, plan->tasks[i].path);
	}
	pond_buf_puts(&sql, "])");
	if (plan->ntasks && pond_engine_query_int(pond_lake_engine(f->fx.lake), pond_buf_cstr(&sql), &sum, &err) != 0)
		sum = -2;
	pond_buf_dispose(&sql);
	pond_scan_plan_free(&plan);
	pond_fileio_free(&io);
	pond_table_free(&t);
	return sum;
}

TEST(refs_rollback_to_an_ancestor_then_appends_continue_from_it)
{
	fixture f;
	CHECK(setup(&f, true) == 0);
	pond_error err = POND_ERROR_INIT;
	CHECK_INT(sum_ids(&f), 1 + 4 + 9);
	CHECK_OK(pond_table_rollback(f.fx.lake, &f.fx.id, f.snaps[0], false, &err), &err);
	CHECK_INT(current(&f), f.snaps[0]);
	CHECK_INT(sum_ids(&f), 1);
	pond_table *t = fx_load(&f.fx);
	CHECK(t != NULL);
	/* later snapshots stay; the snapshot log records the move */
	CHECK_INT(t->metadata->nsnapshots, 3);
	CHECK_INT(t->metadata->snapshot_log[t->metadata->nsnapshot_log - 1].snapshot_id, f.snaps[0]);
	pond_table_free(&t);
	pond_write_result r;
	CHECK_OK(pond_table_append_query(f.fx.lake, &f.fx.id, "select 100", NULL, &r, &err), &err);
	t = fx_load(&f.fx);
	CHECK(t != NULL);
	const pond_iceberg_snapshot *s = pond_iceberg_metadata_current_snapshot(t->metadata);
	CHECK_INT(s->snapshot_id, r.snapshot_id);
	CHECK_INT(s->parent_snapshot_id, f.snaps[0]);
	pond_table_free(&t);
	CHECK_INT(sum_ids(&f), 101);

	/* snaps[2] is no ancestor of the new head: refused, unless forced */
	CHECK_INT(pond_table_rollback(f.fx.lake, &f.fx.id, f.snaps[2], false, &err), POND_EINVAL);
	CHECK_STR(err.msg, pond_arena_sprintf(f.fx.a,
	          "cannot roll back main.t to snapshot %lld: it is not an ancestor of the current snapshot %lld "
	          "(force allows any snapshot)", (long long)f.snaps[2], (long long)r.snapshot_id));
	CHECK_INT(current(&f), r.snapshot_id);
	CHECK_INT(pond_table_rollback(f.fx.lake, &f.fx.id, 123, true, &err), POND_ENOTFOUND);
	CHECK_STR(err.msg, "table main.t has no snapshot 123");
	CHECK_OK(pond_table_rollback(f.fx.lake, &f.fx.id, f.snaps[2], true, &err), &err);
	CHECK_INT(current(&f), f.snaps[2]);
	CHECK_INT(sum_ids(&f), 14);
	fx_teardown(&f.fx);
}

TEST(refs_rollback_to_a_time_picks_the_snapshot_current_then)
{
	fixture f;
	CHECK(setup(&f, true) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_table *t = fx_load(&f.fx);
	CHECK(t != NULL);
	int64_t t1 = pond_iceberg_metadata_snapshot(t->metadata, f.snaps[1])->timestamp_ms;
	int64_t t0 = pond_iceberg_metadata_snapshot(t->metadata, f.snaps[0])->timestamp_ms;
	pond_table_free(&t);
	CHECK(t1 > t0);
	int64_t got = 0;
	/* just before the second snapshot: the first */
	CHECK_OK(pond_table_rollback_to_time(f.fx.lake, &f.fx.id, t1 - 1, &got, &err), &err);
	CHECK_INT(got, f.snaps[0]);
	CHECK_INT(current(&f), f.snaps[0]);
	CHECK_INT(pond_table_rollback_to_time(f.fx.lake, &f.fx.id, t0 - 1, &got, &err), POND_ENOTFOUND);
	CHECK(strstr(err.msg, "table main.t has no snapshot at or before ") == err.msg);
	CHECK_INT(current(&f), f.snaps[0]);
	fx_teardown(&f.fx);
}

TEST(refs_tags_and_branches_created_listed_and_dropped_never_main)
{
	fixture f;
	CHECK(setup(&f, true) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_ref_options keep = POND_REF_OPTIONS_INIT;
	keep.max_ref_age_ms = 86400000;
	CHECK_OK(pond_table_create_tag(f.fx.lake, &f.fx.id, "v1", POND_ICEBERG_NO_SNAPSHOT, &keep, &err), &err);
	CHECK_OK(pond_table_create_branch(f.fx.lake, &f.fx.id, "dev", f.snaps[0], NULL, &err), &err);
	CHECK_OK(pond_table_create_tag(f.fx.lake, &f.fx.id, "a-first", f.snaps[0], NULL, &err), &err);

	pond_table *t = fx_load(&f.fx);
	CHECK(t != NULL);
	pond_iceberg_ref *refs;
	size_t n;
	CHECK_OK(pond_table_list_refs(&refs, &n, t, f.fx.a, &err), &err);
	CHECK_INT(n, 4);
	CHECK_STR(refs[0].name, "main");
	CHECK_STR(refs[1].name, "dev");
	CHECK(!refs[1].is_tag);
	CHECK_INT(refs[1].snapshot_id, f.snaps[0]);
	CHECK_STR(refs[2].name, "a-first");
	CHECK_STR(refs[3].name, "v1");
	CHECK(refs[3].is_tag);
	CHECK_INT(refs[3].snapshot_id, f.snaps[2]);
	CHECK_INT(refs[3].max_ref_age_ms, 86400000);
	CHECK_INT(t->metadata->current_snapshot_id, f.snaps[2]); /* main did not move */
	pond_table_free(&t);

	/* a write to the branch moves it, not main; the tag stays */
	pond_write_options wo = POND_WRITE_OPTIONS_INIT;
	wo.branch = "dev";
	pond_write_result r;
	CHECK_OK(pond_table_append_query(f.fx.lake, &f.fx.id, "select 50", &wo, &r, &err), &err);
	t = fx_load(&f.fx);
	CHECK(t != NULL);
	CHECK_INT(pond_iceberg_metadata_ref(t->metadata, "dev")->snapshot_id, r.snapshot_id);
	CHECK_INT(pond_iceberg_metadata_ref(t->metadata, "v1")->snapshot_id, f.snaps[2]);
	pond_table_free(&t);

	/* refusals */
	CHECK_INT(pond_table_create_tag(f.fx.lake, &f.fx.id, "dev", POND_ICEBERG_NO_SNAPSHOT, NULL, &err), POND_EEXISTS);
	CHECK_STR(err.msg, "main.t already has a branch \"dev\"");
	CHECK_INT(pond_table_create_branch(f.fx.lake, &f.fx.id, "main", POND_ICEBERG_NO_SNAPSHOT, NULL, &err), POND_EINVAL);
	CHECK_INT(pond_table_create_tag(f.fx.lake, &f.fx.id, "v9", 123, NULL, &err), POND_ENOTFOUND);
	CHECK_STR(err.msg, "table main.t has no snapshot 123");
	pond_ref_options bad = POND_REF_OPTIONS_INIT;
	bad.min_snapshots_to_keep = 3;
	CHECK_INT(pond_table_create_tag(f.fx.lake, &f.fx.id, "v2", POND_ICEBERG_NO_SNAPSHOT, &bad, &err), POND_EINVAL);
	CHECK_STR(err.msg, "tag \"v2\" in main.t takes only max-ref-age-ms: a tag keeps no snapshot history");
	CHECK_OK(pond_table_create_branch(f.fx.lake, &f.fx.id, "b2", POND_ICEBERG_NO_SNAPSHOT, &bad, &err), &err);
	CHECK_INT(pond_table_drop_branch(f.fx.lake, &f.fx.id, "main", &err), POND_EINVAL);
	CHECK_STR(err.msg, "cannot drop the main branch of main.t");
	CHECK_INT(pond_table_drop_tag(f.fx.lake, &f.fx.id, "main", &err), POND_EINVAL);
	CHECK_INT(pond_table_drop_tag(f.fx.lake, &f.fx.id, "dev", &err), POND_EINVAL);
	CHECK_STR(err.msg, "\"dev\" in main.t is a branch, not a tag");
	CHECK_INT(pond_table_drop_tag(f.fx.lake, &f.fx.id, "nope", &err), POND_ENOTFOUND);
	CHECK_STR(err.msg, "main.t has no tag \"nope\"");

	CHECK_OK(pond_table_drop_tag(f.fx.lake, &f.fx.id, "v1", &err), &err);
	CHECK_OK(pond_table_drop_tag(f.fx.lake, &f.fx.id, "a-first", &err), &err);
	CHECK_OK(pond_table_drop_branch(f.fx.lake, &f.fx.id, "dev", &err), &err);
	t = fx_load(&f.fx);
	CHECK(t != NULL);
	CHECK_OK(pond_table_list_refs(&refs, &n, t, f.fx.a, &err), &err);
	CHECK_INT(n, 2);
	CHECK_STR(refs[0].name, "main");
	CHECK_STR(refs[1].name, "b2");
	CHECK_INT(refs[1].min_snapshots_to_keep, 3);
	CHECK_INT(t->metadata->current_snapshot_id, f.snaps[2]);
	CHECK_INT(t->metadata->nsnapshots, 4); /* dropping refs removes no snapshot */
	pond_table_free(&t);
	fx_teardown(&f.fx);
}

TEST(refs_on_a_table_without_snapshots_are_refused)
{
	fixture f;
	CHECK(setup(&f, false) == 0);
	pond_error err = POND_ERROR_INIT;
	CHECK_INT(pond_table_create_tag(f.fx.lake, &f.fx.id, "v1", POND_ICEBERG_NO_SNAPSHOT, NULL, &err), POND_EINVAL);
	CHECK_STR(err.msg, "cannot create tag \"v1\" in main.t: the table has no snapshot yet");
	CHECK_INT(pond_table_rollback(f.fx.lake, &f.fx.id, 1, false, &err), POND_ENOTFOUND);
	CHECK_INT(pond_table_rollback_to_time(f.fx.lake, &f.fx.id, pond_time_now_ms(), NULL, &err), POND_ENOTFOUND);
	pond_table *t = fx_load(&f.fx);
	CHECK(t != NULL);
	pond_iceberg_ref *refs;
	size_t n = 9;
	CHECK_OK(pond_table_list_refs(&refs, &n, t, f.fx.a, &err), &err);
	CHECK_INT(n, 0);
	pond_table_free(&t);
	fx_teardown(&f.fx);
}

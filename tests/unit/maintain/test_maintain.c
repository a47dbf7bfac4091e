/*
 * Unit tests for the maintain layer: ages as users write them, the
 * `maintenance:` policy of pond.yml (its errors name the file and line),
 * and a run over every table: snapshots expired, superseded metadata
 * files and old orphans deleted, young files kept, usage measured before
 * and after.
 */
#include "../test.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "../table/fixture.h"
#include "pond/maintain.h"

TEST(maintain_parse_age_reads_units_and_refuses_junk)
{
	pond_error err = POND_ERROR_INIT;
	int64_t ms;
	CHECK_OK(pond_maintain_parse_age("7d", &ms, &err), &err);
	CHECK_INT(ms, 7LL * 24 * 3600 * 1000);
	CHECK_OK(pond_maintain_parse_age("1d12h", &ms, &err), &err);
	CHECK_INT(ms, 36LL * 3600 * 1000);
	CHECK_OK(pond_maintain_parse_age("90", &ms, &err), &err);
	CHECK_INT(ms, 90000);
	CHECK_OK(pond_maintain_parse_age("250ms", &ms, &err), &err);
	CHECK_INT(ms, 250);
	CHECK_OK(pond_maintain_parse_age("2w 1h", &ms, &err), &err);  /* the pipelines' form, the same parser */
	CHECK_INT(ms, 14LL * 24 * 3600 * 1000 + 3600 * 1000);
	CHECK(pond_maintain_parse_age("3x", &ms, &err) == POND_EINVAL);
	CHECK(strstr(err.msg, "\"3x\"") != NULL);
	CHECK(pond_maintain_parse_age("", &ms, &err) == POND_EINVAL);
	CHECK(pond_maintain_parse_age("-1d", &ms, &err) == POND_EINVAL);
}

/* A new project whose pond.yml ends with extra. */
static int project_with(table_fixture *f, const char *extra)
{
	static int serial;
	char folder[32];
	snprintf(folder, sizeof folder, "proj%d", ++serial);
	if (fx_setup_in(f, folder, "t") != 0)
		return -1;
	pond_error err = POND_ERROR_INIT;
	const char *path = pond_arena_sprintf(f->a, "%s/pond.yml", f->project->root);
	FILE *fp = fopen(path, "a");
	if (!fp)
		return -1;
	fputs(extra, fp);
	fclose(fp);
	/* the lake borrows the project: both are opened again */
	const char *root = pond_arena_strdup(f->a, f->project->root);
	pond_lake_close(&f->lake);
	pond_project_free(&f->project);
	if (pond_project_load(&f->project, root, &err) != 0 || pond_lake_open(&f->lake, f->project, NULL, &err) != 0) {
		fprintf(stderr, "    load: %s\n", err.msg);
		return -1;
	}
	pond_lake_set_write_through(f->lake, true);  /* as fx_setup's: every append a snapshot */
	return 0;
}

TEST(maintain_policy_reads_pond_yml_and_names_bad_keys)
{
	table_fixture f;
	pond_error err = POND_ERROR_INIT;
	pond_maintain_policy p;
	CHECK(project_with(&f, "") == 0);
	CHECK_OK(pond_maintain_policy_load(&p, f.project, &err), &err);
	CHECK(p.flush && p.compact && p.expire && p.orphans && p.orphans_delete);
	CHECK_INT(p.expire_older_than_ms, -1);
	CHECK_INT(p.orphans_older_than_ms, POND_MAINTAIN_ORPHAN_AGE_MS);
	fx_teardown(&f);
	CHECK(project_with(&f, "maintenance:\n  expire:\n    older_than: 2d\n    retain_last: 5\n"
	                       "  orphans:\n    older_than: 12h\n    delete: false\n") == 0);
	CHECK_OK(pond_maintain_policy_load(&p, f.project, &err), &err);
	CHECK_INT(p.expire_older_than_ms, 2LL * 24 * 3600 * 1000);
	CHECK_INT(p.retain_last, 5);
	CHECK_INT(p.orphans_older_than_ms, 12LL * 3600 * 1000);
	CHECK(!p.orphans_delete);
	fx_teardown(&f);
	CHECK(project_with(&f, "maintenance:\n  flush:\n    enabled: false\n  compact:\n    enabled: false\n") == 0);
	CHECK_OK(pond_maintain_policy_load(&p, f.project, &err), &err);
	CHECK(!p.flush && !p.compact && p.expire);
	fx_teardown(&f);
	CHECK(project_with(&f, "maintenance:\n  compact:\n    target: 1\n") == 0);
	CHECK(pond_maintain_policy_load(&p, f.project, &err) == POND_EINVAL);
	CHECK_MSG(strstr(err.msg, "target"), "%s", err.msg);
	fx_teardown(&f);
	CHECK(project_with(&f, "maintenance:\n  orphans:\n    older_than: soon\n") == 0);
	CHECK(pond_maintain_policy_load(&p, f.project, &err) == POND_EINVAL);
	CHECK_MSG(strstr(err.msg, "pond.yml:") && strstr(err.msg, "older_than"), "%s", err.msg);
	fx_teardown(&f);
	CHECK(project_with(&f, "maintenance:\n  expire:\n    keep: 3\n") == 0);
	CHECK(pond_maintain_policy_load(&p, f.project, &err) == POND_EINVAL);
	CHECK_MSG(strstr(err.msg, "keep"), "%s", err.msg);
	fx_teardown(&f);
}

static int plant_old(const char *path)
{
	pond_error err = POND_ERROR_INIT;
	if (pond_file_write_atomic(path, "junk", 4, &err) != 0)
		return -1;
	struct timeval tv[2] = {{1577836800, 0}, {1577836800, 0}};
	return utimes(path, tv);
}

TEST(maintain_run_expires_cleans_metadata_and_orphans_on_every_table)
{
	table_fixture f;
	pond_error err = POND_ERROR_INIT;
	CHECK(project_with(&f, "") == 0);
	CHECK(fx_create(&f, "select 1::bigint as id", NULL) == 0);
	pond_iceberg_kv kv = {"write.metadata.previous-versions-max", "2"};
	CHECK_OK(pond_table_set_properties(f.lake, &f.id, &kv, 1, NULL, 0, &err), &err);
	for (int i = 1; i <= 4; i++)
		CHECK(fx_append(&f, pond_arena_sprintf(f.a, "select %d::bigint", i)) > 0);
	table_fixture g = f;
	CHECK(pond_table_ident_parse(&g.id, f.a, "other.u", &err) == 0);
	CHECK(fx_create(&g, "select 1::bigint as id", NULL) == 0);
	CHECK(fx_append(&g, "select 7::bigint") > 0);
	pond_table *t = fx_load(&f), *u = fx_load(&g);
	CHECK(t && u);
	const char *t_loc = pond_arena_strdup(f.a, t->metadata->location);
	const char *u_loc = pond_arena_strdup(f.a, u->metadata->location);
	pond_table_free(&t);
	pond_table_free(&u);
	/* a superseded metadata file, new (orphans would leave it), and old orphans */
	const char *superseded = pond_arena_sprintf(f.a, "%s/metadata/00001-planted.metadata.json", t_loc);
	CHECK(pond_file_write_atomic(superseded, "{}", 2, &err) == 0);
	CHECK(plant_old(pond_arena_sprintf(f.a, "%s/metadata/stray.avro", t_loc)) == 0);
	CHECK(plant_old(pond_arena_sprintf(f.a, "%s/metadata/stray.avro", u_loc)) == 0);
	const char *young = pond_arena_sprintf(f.a, "%s/metadata/young.avro", u_loc);
	CHECK(pond_file_write_atomic(young, "x", 1, &err) == 0);

	pond_maintain_policy p = POND_MAINTAIN_POLICY_INIT;
	p.expire_older_than_ms = 0;  /* everything but the newest of each branch */
	pond_maintain_table_result *rs;
	size_t n;
	pond_arena *a = pond_arena_new();
	CHECK_OK(pond_maintain_run(f.lake, NULL, &p, pond_time_now_ms() + 1000, NULL, NULL, &rs, &n, a, &err), &err);
	CHECK_INT(n, 2);
	CHECK_STR(rs[0].table, "main.t");
	CHECK_STR(rs[1].table, "other.u");
	CHECK(rs[0].error == NULL && rs[1].error == NULL);
	CHECK_INT(rs[0].expire.snapshots, 3);
	CHECK_INT(rs[1].expire.snapshots, 0);
	CHECK_INT(rs[0].metadata_files, 1);
	CHECK(!pond_file_exists(superseded));
	CHECK_INT(rs[0].orphans.files, 1);
	CHECK_INT(rs[1].orphans.files, 1);
	CHECK(pond_file_exists(young));
	CHECK(rs[0].after.files < rs[0].before.files);
	CHECK(rs[0].after.bytes < rs[0].before.bytes);
	CHECK_STR(fx_query(&f, "sum(id)", 0), "10");
	CHECK_STR(fx_query(&g, "sum(id)", 0), "7");
	/* one table by name; a missing one is an error naming it */
	CHECK_OK(pond_maintain_run(f.lake, "other.u", &p, 0, NULL, NULL, &rs, &n, a, &err), &err);
	CHECK_INT(n, 1);
	CHECK(pond_maintain_run(f.lake, "main.nope", &p, 0, NULL, NULL, &rs, &n, a, &err) == POND_ENOTFOUND);
	CHECK(strstr(err.msg, "main.nope") != NULL);
	pond_arena_free(&a);
	fx_teardown(&f);
}

TEST(maintain_policy_reads_the_archive_section)
{
	table_fixture f;
	pond_error err = POND_ERROR_INIT;
	pond_maintain_policy p;
	CHECK(project_with(&f, "") == 0);
	CHECK_OK(pond_maintain_policy_load(&p, f.project, &err), &err);
	CHECK(p.archive_to == NULL);
	fx_teardown(&f);
	CHECK(project_with(&f, "maintenance:\n  archive:\n    to: /mnt/nas/pond\n    older_than: 365d\n"
	                       "    column: ts\n") == 0);
	CHECK_OK(pond_maintain_policy_load(&p, f.project, &err), &err);
	CHECK_STR(p.archive_to, "/mnt/nas/pond");
	CHECK_INT(p.archive_older_than_ms, 365LL * 24 * 3600 * 1000);
	CHECK_STR(p.archive_column, "ts");
	fx_teardown(&f);
	/* off without to, or when disabled */
	CHECK(project_with(&f, "maintenance:\n  archive:\n    older_than: 30d\n") == 0);
	CHECK_OK(pond_maintain_policy_load(&p, f.project, &err), &err);
	CHECK(p.archive_to == NULL);
	fx_teardown(&f);
	CHECK(project_with(&f, "maintenance:\n  archive:\n    to: nas\n    older_than: 30d\n    enabled: false\n") == 0);
	CHECK_OK(pond_maintain_policy_load(&p, f.project, &err), &err);
	CHECK(p.archive_to == NULL);
	fx_teardown(&f);
	CHECK(project_with(&f, "maintenance:\n  archive:\n    to: nas\n") == 0);
	CHECK(pond_maintain_policy_load(&p, f.project, &err) == POND_EINVAL);
	CHECK_MSG(strstr(err.msg, "pond.yml:") && strstr(err.msg, "older_than"), "%s", err.msg);
	fx_teardown(&f);
	CHECK(project_with(&f, "maintenance:\n  archive:\n    to: nas\n    older_than: 0s\n") == 0);
	CHECK(pond_maintain_policy_load(&p, f.project, &err) == POND_EINVAL);
	fx_teardown(&f);
	CHECK(project_with(&f, "maintenance:\n  archive:\n    to: nas\n    older_than: 1d\n    where: x\n") == 0);
	CHECK(pond_maintain_policy_load(&p, f.project, &err) == POND_EINVAL);
	CHECK_MSG(strstr(err.msg, "where"), "%s", err.msg);
	fx_teardown(&f);
}

/* The policy's archive runs last, into a folder relative to the project;
 * with the folder gone (a share not mounted), the other steps are done
 * and the table fails with the reason. */
TEST(maintain_run_archives_old_partitions_last)
{
	table_fixture f;
	pond_error err = POND_ERROR_INIT;
	CHECK(project_with(&f, "maintenance:\n  archive:\n    to: ../nas\n    older_than: 2d\n") == 0);
	const char *spec = "{\"spec-id\": 0, \"fields\": [{\"source-id\": 2, \"field-id\": 1000, \"name\": \"ts_day\", "
	                   "\"transform\": \"day\"}]}";
	const char *rows = "select range as id, timestamp '2024-01-01' + to_hours(range * 12) as ts from range(10)";
	CHECK(fx_create(&f, rows, spec) == 0);
	CHECK(fx_append(&f, rows) > 0);
	const char *nas = pond_arena_sprintf(f.a, "%s/../nas", f.project->root);
	CHECK(mkdir(nas, 0755) == 0);
	pond_maintain_policy p;
	CHECK_OK(pond_maintain_policy_load(&p, f.project, &err), &err);
	int64_t now_us = 0;
	CHECK_OK(pond_time_parse_us("2024-01-06 00:00:00", &now_us, &err), &err);
	pond_maintain_table_result *rs;
	size_t n;
	pond_arena *a = pond_arena_new();
	CHECK_OK(pond_maintain_run(f.lake, NULL, &p, now_us / 1000, NULL, NULL, &rs, &n, a, &err), &err);
	CHECK_INT(n, 1);
	CHECK(rs[0].error == NULL);
	CHECK_INT(rs[0].archive.files, 3);  /* days 1 to 3: before 2024-01-04 */
	CHECK(rs[0].archive.snapshot_id > 0);
	CHECK_STR(fx_query(&f, "count(*)", 0), "10");
	/* the share gone: the rest runs, the table fails */
	CHECK(rename(nas, pond_arena_sprintf(f.a, "%s.away", nas)) == 0);
	CHECK_OK(pond_time_parse_us("2024-01-08 00:00:00", &now_us, &err), &err);
	CHECK(pond_maintain_run(f.lake, NULL, &p, now_us / 1000, NULL, NULL, &rs, &n, a, &err) == POND_EIO);
	CHECK_MSG(rs[0].error && strstr(rs[0].error, "is not there"), "%s", rs[0].error ? rs[0].error : "(none)");
	CHECK(rs[0].after.files > 0);
	pond_arena_free(&a);
	fx_teardown(&f);
}

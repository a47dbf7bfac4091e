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

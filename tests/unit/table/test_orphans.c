/*
 * Unit tests for orphan files: files of every kind planted in a table's
 * folder (data, delete, manifest, manifest list, metadata, statistics, a
 * stray file, empty write folders) go when old and unreferenced; every
 * file the metadata references stays, as do files newer than the window,
 * another table's files (nested in the folder, or another catalog table)
 * and symbolic links. A second table, copied from the fixtures, brings
 * equality delete files and a metadata-log of another writer. All times
 * are set with utimes, never waited for.
 */
#include "../test.h"

#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "fixture.h"
#include "pond/table.h"
#include "table/table_internal.h"

#define OLD_S 1577836800 /* 2020-01-01 */
#define FIXTURE_EQ "iceberg/duckdb-iceberg/data/persistent/equality_deletes/warehouse/mydb"

static int plant(const char *path, const char *text)
{
	pond_error err = POND_ERROR_INIT;
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	if (pond_mkdirs(dir, &err) || pond_file_write_atomic(path, text, strlen(text), &err)) {
		fprintf(stderr, "    plant %s: %s\n", path, err.msg);
		return -1;
	}
	return 0;
}

/* Sets every file and folder below dir (and dir) to 2020. */
static void age_tree(const char *dir)
{
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char p[4096];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			age_tree(p);
		else if (lstat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			struct timeval tv[2] = {{OLD_S, 0}, {OLD_S, 0}};
			utimes(p, tv);
		}
	}
	if (d)
		closedir(d);
	struct timeval tv[2] = {{OLD_S, 0}, {OLD_S, 0}};
	utimes(dir, tv);
}

/* Every file t's metadata references, resolved, into set; -1 on failure. */
static int references(pond__path_map *set, pond_table *t)
{
	pond_error err = POND_ERROR_INIT;
	pond_fileio *io = NULL;
	pond__reach r;
	if (pond_fileio_local_new(&io, &err) || pond_fileio_remap_table(io, t->metadata, t->metadata_location, &err) ||
	    pond__reach_init(&r, io, true, false, &err)) {
		pond_fileio_free(&io);
		return -1;
	}
	int rc = pond__reach_table(&r, t->metadata, t->metadata_location, &err);
	const pond__path_map *sets[] = {&r.lists, &r.manifests, &r.files, &r.other};
	for (size_t s = 0; s < 4 && rc == 0; s++)
		for (size_t i = 0; i < sets[s]->cap && rc == 0; i++)
			if (sets[s]->keys[i])
				rc = pond__path_map_put(set, sets[s]->keys[i], 1);
	if (rc)
		fprintf(stderr, "    references: %s\n", err.msg);
	pond__reach_dispose(&r);
	pond_fileio_free(&io);
	return rc ? -1 : 0;
}

static bool all_exist(const pond__path_map *set)
{
	for (size_t i = 0; i < set->cap; i++)
		if (set->keys[i] && !pond_file_exists(set->keys[i])) {
			fprintf(stderr, "    referenced file gone: %s\n", set->keys[i]);
			return false;
		}
	return true;
}

/* Adds a statistics entry for the current snapshot naming stats_path, by
 * writing the next metadata file by hand and swapping the catalog to it
 * (pond has no update for statistics; other writers add them). */
static int add_statistics(table_fixture *f, const char *stats_path)
{
	pond_error err = POND_ERROR_INIT;
	pond_table *t = fx_load(f);
	if (!t)
		return -1;
	char *text = NULL;
	json_t *doc = NULL;
	const char *path = NULL;
	int rc = pond_iceberg_metadata_serialize(&text, t->metadata, false, &err);
	if (rc == 0)
		rc = pond_json_parse(&doc, text, strlen(text), "metadata", &err);
	if (rc == 0) {
		json_t *stats = json_pack("[{s:I,s:s,s:I,s:I,s:[]}]", "snapshot-id",
		                          (json_int_t)t->metadata->current_snapshot_id, "statistics-path", stats_path,
		                          "file-size-in-bytes", (json_int_t)5, "file-footer-size-in-bytes",
		                          (json_int_t)1, "blob-metadata");
		json_object_set_new(doc, "statistics", stats);
		/* the file it replaces goes into the log, as a commit records it */
		json_array_append_new(json_object_get(doc, "metadata-log"),
		                      json_pack("{s:I,s:s}", "timestamp-ms", (json_int_t)t->metadata->last_updated_ms,
		                                "metadata-file", t->metadata_location));
		pond_free(text);
		text = pond_json_dumps(doc, false);
		pond_iceberg_metadata *md = NULL;
		rc = pond_iceberg_metadata_parse(&md, text, strlen(text), "metadata", &err);
		pond_fileio *io = NULL;
		if (rc == 0)
			rc = pond__table_fileio(f->lake, md, t->metadata_location, &io, &err);
		if (rc == 0)
			rc = pond__table_write_metadata(io, md, t->metadata_location, f->a, &path, &err);
		pond_fileio_free(&io);
		if (rc == 0)
			rc = pond_catalog_commit_table(pond_lake_catalog(f->lake), &f->id.ns, f->id.name,
			                               t->metadata_location, path, &err);
		pond_iceberg_metadata_free(&md);
	}
	if (rc)
		fprintf(stderr, "    add statistics: %s\n", err.msg);
	json_decref(doc);
	pond_free(text);
	pond_table_free(&t);
	return rc;
}

/* Copies the fixtures' equality_deletes/mytable_partitioned table into the warehouse and
 * registers it as mydb.eq. */
static int register_fixture(table_fixture *f, const char **location)
{
	pond_error err = POND_ERROR_INIT;
	const char *src = pond_arena_sprintf(f->a, "%s/" FIXTURE_EQ "/mytable_partitioned", pond_test_fixtures());
	*location = pond_arena_sprintf(f->a, "%s/mydb/mytable_partitioned", f->project->warehouse);
	const char *cmd = pond_arena_sprintf(f->a, "mkdir -p '%s/mydb' && cp -r '%s' '%s'", f->project->warehouse, src,
	                                     *location);
	if (system(cmd) != 0)
		return -1;
	pond_ns ns = {1, {"mydb"}};
	int rc = pond_catalog_create_namespace(pond_lake_catalog(f->lake), &ns, NULL, 0, &err);
	if (rc == 0)
		rc = pond_catalog_register_table(pond_lake_catalog(f->lake), &ns, "eq",
		                                 pond_arena_sprintf(f->a, "%s/metadata/v6.metadata.json", *location),
		                                 &err);
	if (rc)
		fprintf(stderr, "    register: %s\n", err.msg);
	return rc;
}

static void collect(const char *path, int64_t bytes, void *payload)
{
	(void)bytes;
	pond__path_map_put(payload, path, 1);
}

TEST(orphans_go_and_every_referenced_file_stays)
{
	table_fixture f;
	pond_error err = POND_ERROR_INIT;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create(&f, "select 1::bigint as id", NULL) == 0);
	for (int i = 1; i <= 3; i++)
		CHECK(fx_append(&f, pond_arena_sprintf(f.a, "select %d::bigint", i)) > 0);
	pond_write_result wr;
	CHECK_OK(pond_table_delete_where(f.lake, &f.id, "id = 1", NULL, &wr, &err), &err);
	pond_table *t = fx_load(&f);
	CHECK(t != NULL);
	const char *loc = pond_arena_strdup(f.a, t->metadata->location);
	pond_table_free(&t);
	const char *stats = pond_arena_sprintf(f.a, "%s/metadata/stats-1.puffin", loc);
	CHECK(plant(stats, "PFA1") == 0);
	CHECK(add_statistics(&f, stats) == 0);
	const char *eq_loc;
	CHECK(register_fixture(&f, &eq_loc) == 0);
	/* another table: one nested in t's folder, and one elsewhere */
	table_fixture other = f;
	CHECK(pond_table_ident_parse(&other.id, f.a, "other", &err) == 0);
	CHECK(fx_create(&other, "select 1::bigint as id", NULL) == 0);
	CHECK(plant(pond_arena_sprintf(f.a, "%s/nested/metadata/00000-x.metadata.json", loc), "{}") == 0);
	CHECK(plant(pond_arena_sprintf(f.a, "%s/nested/data/a.parquet", loc), "PAR1") == 0);

	/* the orphans, of every kind */
	const char *planted[] = {
		"data/0dead/00000-0-x.parquet", "data/0dead/delete-x.parquet", "metadata/00042-x.metadata.json",
		"metadata/snap-1-1-x.avro", "metadata/x-m0.avro", "metadata/stats-2.puffin", "stray.txt",
	};
	size_t nplanted = sizeof planted / sizeof planted[0];
	for (size_t i = 0; i < nplanted; i++)
		CHECK(plant(pond_arena_sprintf(f.a, "%s/%s", loc, planted[i]), "junk") == 0);
	CHECK(plant(pond_arena_sprintf(f.a, "%s/data/stray-eq.parquet", eq_loc), "junk") == 0);
	CHECK(mkdir(pond_arena_sprintf(f.a, "%s/data/0empty", loc), 0755) == 0);
	CHECK(symlink(stats, pond_arena_sprintf(f.a, "%s/link.puffin", loc)) == 0);
	age_tree(f.project->warehouse);
	/* newer than the window: a write in flight */
	CHECK(plant(pond_arena_sprintf(f.a, "%s/data/0young/00000-0-y.parquet", loc), "junk") == 0);

	pond__path_map refs = {0};
	t = fx_load(&f);
	CHECK(t && references(&refs, t) == 0);
	pond_table_free(&t);
	pond_table_ident eq_id;
	CHECK(pond_table_ident_parse(&eq_id, f.a, "mydb.eq", &err) == 0);
	pond__path_map eq_refs = {0};
	CHECK(pond_table_load(&t, f.lake, &eq_id, &err) == 0);
	CHECK(references(&eq_refs, t) == 0);
	pond_table_free(&t);
	CHECK(eq_refs.n > 10);  /* lists, manifests, data and delete files, metadata-log */

	pond_orphans_options o = POND_ORPHANS_OPTIONS_INIT;
	pond__path_map listed = {0};
	o.found = collect;
	o.payload = &listed;
	pond_orphans_result r;
	CHECK_OK(pond_table_orphans(f.lake, &f.id, &o, &r, &err), &err);
	CHECK_INT(r.files, nplanted);
	CHECK_INT(r.young, 1);
	CHECK_INT(r.folders, 1);
	for (size_t i = 0; i < nplanted; i++)
		CHECK_MSG(pond__path_map_get(&listed, pond_arena_sprintf(f.a, "%s/%s", loc, planted[i]), NULL),
		          "%s not listed", planted[i]);
	o.remove = true;
	CHECK_OK(pond_table_orphans(f.lake, &f.id, &o, &r, &err), &err);
	CHECK_INT(r.files, nplanted);
	CHECK_INT(r.folders, 2);  /* 0empty, and 0dead once its files went */
	for (size_t i = 0; i < nplanted; i++)
		CHECK(!pond_file_exists(pond_arena_sprintf(f.a, "%s/%s", loc, planted[i])));
	CHECK(all_exist(&refs));
	CHECK(pond_file_exists(pond_arena_sprintf(f.a, "%s/data/0young/00000-0-y.parquet", loc)));
	CHECK(pond_file_exists(pond_arena_sprintf(f.a, "%s/nested/data/a.parquet", loc)));
	CHECK(pond_file_exists(pond_arena_sprintf(f.a, "%s/link.puffin", loc)));
	CHECK_STR(fx_query(&f, "count(*)::varchar || ' ' || sum(id)::varchar", 0), "2 5");

	/* the fixture table (registered at v6: v7's files are orphans too):
	 * the stray file goes, nothing v6 references does */
	CHECK_OK(pond_table_orphans(f.lake, &eq_id, &o, &r, &err), &err);
	CHECK(r.files >= 1);
	CHECK(all_exist(&eq_refs));
	CHECK(!pond_file_exists(pond_arena_sprintf(f.a, "%s/data/stray-eq.parquet", eq_loc)));
	pond__path_map_dispose(&refs);
	pond__path_map_dispose(&eq_refs);
	pond__path_map_dispose(&listed);
	fx_teardown(&f);
}

TEST(orphans_refuses_a_table_outside_the_warehouse)
{
	table_fixture f;
	pond_error err = POND_ERROR_INIT;
	CHECK(fx_setup(&f, "t") == 0);
	CHECK(fx_create(&f, "select 1::bigint as id", NULL) == 0);
	/* register the same metadata under another name, moved outside */
	pond_table *t = fx_load(&f);
	CHECK(t != NULL);
	const char *outside = pond_arena_sprintf(f.a, "%s/outside", pond_test_tmpdir());
	CHECK(system(pond_arena_sprintf(f.a, "cp -r '%s' '%s'", t->metadata->location, outside)) == 0);
	const char *name = strrchr(t->metadata_location, '/');
	pond_ns ns = {1, {"main"}};
	CHECK_OK(pond_catalog_register_table(pond_lake_catalog(f.lake), &ns, "moved",
	                                     pond_arena_sprintf(f.a, "%s/metadata%s", outside, name), &err), &err);
	pond_table_free(&t);
	pond_table_ident moved;
	CHECK(pond_table_ident_parse(&moved, f.a, "moved", &err) == 0);
	pond_orphans_result r;
	CHECK(pond_table_orphans(f.lake, &moved, NULL, &r, &err) == POND_EINVAL);
	CHECK(strstr(err.msg, "outside the warehouse") != NULL);
	fx_teardown(&f);
}

TEST(orphans_deletes_nothing_when_the_metadata_cannot_be_read_whole)
{
	table_fixture f;
	pond_error err = POND_ERROR_INIT;
	CHECK(fx_setup(&f, NULL) == 0);
	/* the fixture's mytable at v7 names a manifest list that is missing */
	const char *src = pond_arena_sprintf(f.a, "%s/" FIXTURE_EQ "/mytable", pond_test_fixtures());
	const char *loc = pond_arena_sprintf(f.a, "%s/mydb/mytable", f.project->warehouse);
	CHECK(system(pond_arena_sprintf(f.a, "mkdir -p '%s/mydb' && cp -r '%s' '%s'", f.project->warehouse, src,
	                                loc)) == 0);
	pond_ns ns = {1, {"mydb"}};
	CHECK_OK(pond_catalog_create_namespace(pond_lake_catalog(f.lake), &ns, NULL, 0, &err), &err);
	CHECK_OK(pond_catalog_register_table(pond_lake_catalog(f.lake), &ns, "t",
	                                     pond_arena_sprintf(f.a, "%s/metadata/v7.metadata.json", loc), &err), &err);
	CHECK(plant(pond_arena_sprintf(f.a, "%s/data/stray.parquet", loc), "junk") == 0);
	age_tree(f.project->warehouse);
	pond_table_ident id;
	CHECK(pond_table_ident_parse(&id, f.a, "mydb.t", &err) == 0);
	pond_orphans_options o = POND_ORPHANS_OPTIONS_INIT;
	o.remove = true;
	pond_orphans_result r;
	CHECK(pond_table_orphans(f.lake, &id, &o, &r, &err) != 0);
	CHECK(strstr(err.msg, "snap-7342794868382145167-1") != NULL);
	CHECK_INT(r.files, 0);
	CHECK(pond_file_exists(pond_arena_sprintf(f.a, "%s/data/stray.parquet", loc)));
	fx_teardown(&f);
}

/*
 * What a table's metadata reaches: the manifest lists of its snapshots,
 * their manifests, the data and delete files those name, its metadata
 * files and statistics files, as sets of resolved paths. Expiry deletes
 * what removed snapshots reached and kept ones do not; orphan cleanup
 * deletes what nothing reaches. Manifests are shared between snapshots,
 * so each is read once.
 */
#include "table_internal.h"

#include <jansson.h>
#include <string.h>

int pond__reach_init(pond__reach *r, pond_fileio *io, bool entries, bool live_only, pond_error *err)
{
	memset(r, 0, sizeof(*r));
	r->io = io;
	r->entries = entries;
	r->live_only = live_only;
	r->resolved = (pond_buf)POND_BUF_INIT;
	if (!(r->arena = pond_arena_new()) || !(r->scratch = pond_arena_new())) {
		pond__reach_dispose(r);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	return 0;
}

void pond__reach_dispose(pond__reach *r)
{
	pond__path_map_dispose(&r->lists);
	pond__path_map_dispose(&r->manifests);
	pond__path_map_dispose(&r->files);
	pond__path_map_dispose(&r->other);
	pond_buf_dispose(&r->resolved);
	pond_arena_free(&r->arena);
	pond_arena_free(&r->scratch);
}

const char *pond__reach_resolve(pond__reach *r, const char *path)
{
	pond_buf_clear(&r->resolved);
	pond_fileio_resolve(r->io, path, &r->resolved);
	return pond_buf_ok(&r->resolved) ? pond_buf_cstr(&r->resolved) : NULL;
}

static int put(pond__reach *r, pond__path_map *set, const char *path, pond_error *err)
{
	const char *p = path ? pond__reach_resolve(r, path) : NULL;
	if (path && (!p || pond__path_map_put(set, p, 1) != 0))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	return 0;
}

static int read_entries(pond__reach *r, const pond_manifest_file *mf, pond_error *err)
{
	pond_manifest_reader *mr = NULL;
	const pond_manifest_entry *e;
	int rc = pond_manifest_reader_open(&mr, r->io, mf->manifest_path, mf, NULL, NULL, err);
	while (rc == 0 && (rc = pond_manifest_reader_next(mr, r->scratch, &e, err)) == 1) {
		rc = 0;
		if (!r->live_only || e->status != POND_MANIFEST_DELETED)
			rc = put(r, &r->files, e->data_file.file_path, err);
		pond_arena_reset(r->scratch);
	}
	pond_manifest_reader_close(&mr);
	return rc < 0 ? rc : 0;
}

int pond__reach_snapshot(pond__reach *r, const pond_iceberg_snapshot *s, const pond__path_map *skip, pond_error *err)
{
	pond_manifest_file *mfs = NULL;
	size_t n = 0;
	int rc = put(r, &r->lists, s->manifest_list, err);
	if (rc == 0)
		rc = pond_snapshot_manifests(&mfs, &n, r->io, s, r->arena, err);
	for (size_t m = 0; m < n && rc == 0; m++) {
		const char *p = pond__reach_resolve(r, mfs[m].manifest_path);
		if (!p) {
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
			break;
		}
		if (pond__path_map_get(&r->manifests, p, NULL))
			continue;
		bool skipped = skip && pond__path_map_get(skip, p, NULL);
		if ((rc = put(r, &r->manifests, mfs[m].manifest_path, err)) == 0 && r->entries && !skipped)
			rc = read_entries(r, &mfs[m], err);
	}
	pond_arena_reset(r->arena);
	return rc;
}

int pond__reach_statistics(pond__reach *r, const json_t *list, pond_error *err)
{
	size_t i;
	const json_t *s;
	int rc = 0;
	json_array_foreach(list, i, s) {
		if (rc == 0)
			rc = put(r, &r->other, json_string_value(json_object_get(s, "statistics-path")), err);
	}
	return rc;
}

int pond__reach_table(pond__reach *r, const pond_iceberg_metadata *md, const char *metadata_location,
                      pond_error *err)
{
	int rc = put(r, &r->other, metadata_location, err);
	for (size_t i = 0; i < md->nmetadata_log && rc == 0; i++)
		rc = put(r, &r->other, md->metadata_log[i].metadata_file, err);
	if (rc == 0)
		rc = pond__reach_statistics(r, md->statistics, err);
	if (rc == 0)
		rc = pond__reach_statistics(r, md->partition_statistics, err);
	for (size_t s = 0; s < md->nsnapshots && rc == 0; s++)
		rc = pond__reach_snapshot(r, &md->snapshots[s], NULL, err);
	return rc;
}

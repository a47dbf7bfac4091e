/*
 * What a successful commit does after the catalog swap, so that a table's
 * files and commit cost do not grow with its history: delete the metadata
 * files that fell out of the metadata-log (Iceberg's
 * write.metadata.delete-after-commit.enabled, on by default in pond) and
 * expire old snapshots when the table holds more than its high-water mark
 * (expire.c). Nothing here can fail the commit, which has happened: a
 * problem is logged and leaves, at worst, files for `pond orphans`.
 */
#include "table_internal.h"

#include <limits.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

bool pond__path_under(const char *path, const char *root)
{
	size_t n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	return strncmp(path, root, n) == 0 && path[n] == '/' && !strstr(path + n, "/../");
}

static bool in_log(const pond_iceberg_metadata *md, const char *file)
{
	for (size_t i = 0; i < md->nmetadata_log; i++)
		if (strcmp(md->metadata_log[i].metadata_file, file) == 0)
			return true;
	return false;
}

/* As Java's deleteRemovedMetadataFiles: the files base's metadata-log names
 * that next's does not, and only those inside the table's folder. */
static void delete_old_metadata(pond_lake *lake, const pond_iceberg_metadata *base, const pond_iceberg_metadata *next,
                                const char *next_location)
{
	if (!pond_iceberg_metadata_property_bool(next, POND_PROP_DELETE_METADATA, POND_DEFAULT_DELETE_METADATA))
		return;
	pond_error err = POND_ERROR_INIT;
	pond_fileio *io = NULL;
	pond_arena *a = pond_arena_new();
	pond_buf root = POND_BUF_INIT;
	const char **gone = a ? pond_arena_calloc(a, base->nmetadata_log + 1, sizeof(*gone)) : NULL;
	if (!gone || pond__table_fileio(lake, next, next_location, &io, &err) != 0) {
		pond_warn("could not delete old metadata files of %s: %s", next->location,
		          gone ? err.msg : "out of memory");
		pond_arena_free(&a);
		return;
	}
	pond_fileio_resolve(io, next->location, &root);
	size_t n = 0;
	for (size_t i = 0; i < base->nmetadata_log; i++) {
		const char *file = base->metadata_log[i].metadata_file;
		if (in_log(next, file))
			continue;
		pond_buf path = POND_BUF_INIT;
		pond_fileio_resolve(io, file, &path);
		const char *p = pond_buf_ok(&path) ? pond_arena_strdup(a, pond_buf_cstr(&path)) : NULL;
		pond_buf_dispose(&path);
		if (p && pond_buf_ok(&root) && pond__path_under(p, pond_buf_cstr(&root)))
			gone[n++] = p;
	}
	if (pond_fileio_remove(io, gone, n, &err) != 0)
		pond_debug("could not delete old metadata files of %s: %s", next->location, err.msg);
	else if (n)
		pond_debug("deleted %zu old metadata files of %s", n, next->location);
	pond_buf_dispose(&root);
	pond_fileio_free(&io);
	pond_arena_free(&a);
}

/* The expiry commits run: amortised, only when the table passes its
 * high-water mark (max-snapshots plus a quarter), then down to
 * max-snapshots per branch, so a commit's cost stops growing with the
 * history. The expiry's own commit comes back here; the flag stops that. */
static void expire_on_commit(pond_lake *lake, const pond_table_ident *id, const pond_iceberg_metadata *next)
{
	static _Thread_local bool running;
	if (running || !lake || !pond_iceberg_metadata_property_bool(next, POND_PROP_EXPIRE_ON_COMMIT, true))
		return;
	int64_t max = pond_iceberg_metadata_property_i64(next, POND_PROP_MAX_SNAPSHOTS, POND_DEFAULT_MAX_SNAPSHOTS);
	if (max < 1)
		max = 1;
	if (max > INT32_MAX)
		max = INT32_MAX;
	if ((int64_t)next->nsnapshots <= max + max / 4)
		return;
	pond_expire_options o = POND_EXPIRE_OPTIONS_INIT;
	o.max_snapshots = (int32_t)max;
	/* Over the mark with nothing expirable (tags, young or kept
	 * snapshots): decided on the committed metadata, with no reload. */
	if (!pond__expire_pending(next, &o))
		return;
	pond_expire_result r;
	pond_error err = POND_ERROR_INIT;
	running = true;
	if (pond_table_expire(lake, id, &o, &r, &err) != 0)
		pond_warn("could not expire old snapshots of %s after a commit: %s", next->location, err.msg);
	else
		pond_debug("expired %lld snapshots of %s after a commit", (long long)r.snapshots, next->location);
	running = false;
}

void pond__table_after_commit(pond_lake *lake, const pond_table_ident *id, const pond_iceberg_metadata *base,
                              const pond_iceberg_metadata *next, const char *next_location)
{
	/* A REST catalog's server writes, and tidies, the metadata files. */
	if (!pond_catalog_is_rest(lake->catalog))
		delete_old_metadata(lake, base, next, next_location);
	expire_on_commit(lake, id, next);
}

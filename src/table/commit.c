/*
 * The one commit path for table changes: build updates against the
 * current metadata, apply them (checking their requirements), write a new
 * metadata file, and swap the catalog's pointer from the metadata we read
 * to the new one. A lost swap means another writer committed first: reload,
 * rebuild, retry with backoff. Files are never overwritten; a failed
 * attempt deletes the metadata file it wrote.
 */
#include "table_internal.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

/* A table's metadata file, local or on S3. */
static int load_metadata(pond_iceberg_metadata **out, pond_lake *lake, const char *location, pond_error *err)
{
	if (!pond_project_is_s3(location))
		return pond_iceberg_metadata_load_file(out, location, err);
	pond_fileio *io;
	int rc = pond_lake_fileio(lake, location, &io, err);
	if (rc == 0)
		rc = pond_fileio_load_metadata(out, io, location, err);
	pond_fileio_free(&io);
	return rc;
}

int pond_table_load(pond_table **out, pond_lake *lake, const pond_table_ident *id, pond_error *err)
{
	pond_arena *a = pond_arena_new();
	if (!a)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_table *t = pond_arena_calloc(a, 1, sizeof(*t));
	pond_catalog_table row;
	int rc = t ? pond_catalog_load_table(lake->catalog, &id->ns, id->name, a, &row, err)
	           : pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0 && !row.metadata_location)
		rc = pond_error_set(err, POND_ECORRUPT, "table %s has no metadata location in the catalog",
		                    pond_table_ident_format(a, id));
	/* Other writers may record locations relative to a root (pyiceberg's
	 * catalogs in the fixtures do): those are relative to the project. */
	const char *recorded = rc == 0 ? row.metadata_location : NULL;
	if (rc == 0 && row.metadata_location[0] != '/' && !strstr(row.metadata_location, "://") &&
	    !(row.metadata_location = pond_arena_sprintf(a, "%s/%s", lake->project->root, row.metadata_location)))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = load_metadata(&t->metadata, lake, row.metadata_location, err);
	if (rc) {
		pond_arena_free(&a);
		return rc;
	}
	t->arena = a;
	t->metadata_location = row.metadata_location;
	t->catalog_location = recorded;
	t->ident.ns = id->ns;
	for (size_t i = 0; i < id->ns.nlevels; i++)
		t->ident.ns.levels[i] = pond_arena_strdup(a, id->ns.levels[i]);
	t->ident.name = pond_arena_strdup(a, id->name);
	*out = t;
	return 0;
}

void pond_table_free(pond_table **table)
{
	if (!table || !*table)
		return;
	pond_iceberg_metadata_free(&(*table)->metadata);
	pond_arena *a = (*table)->arena;
	pond_arena_free(&a);
	*table = NULL;
}

/* The folder a new metadata file goes to: LOCATION/metadata, or, when the
 * table moved since its location was recorded (restored from a backup at
 * another place), that folder where the previous metadata file now is
 * (io carries the remap). The catalog records the real path, since it is
 * read without a remap. */
static int metadata_dir(const pond_iceberg_metadata *md, pond_fileio *io, pond_arena *arena, const char **out,
                        pond_error *err)
{
	if (!(*out = pond_arena_sprintf(arena, "%s/metadata", md->location)))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (!pond_fileio_remapped(io))
		return 0;
	pond_buf real = POND_BUF_INIT;
	pond_fileio_resolve(io, *out, &real);
	int rc = pond_buf_ok(&real) && (*out = pond_arena_strdup(arena, pond_buf_cstr(&real)))
	                 ? 0
	                 : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&real);
	return rc;
}

int pond__table_write_metadata(pond_fileio *io, const pond_iceberg_metadata *md, const char *previous,
                               pond_arena *arena, const char **out_path, pond_error *err)
{
	char name[64];
	int rc = pond_iceberg_metadata_file_name(name, previous, err);
	if (rc)
		return rc;
	const char *dir;
	if ((rc = metadata_dir(md, io, arena, &dir, err)) != 0)
		return rc;
	const char *path = pond_arena_sprintf(arena, "%s/%s", dir, name);
	if (!path)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	/* Object stores have no folders to make. */
	if (pond_fileio_is_local(io) && (rc = pond_mkdirs(dir, err)) != 0)
		return rc;
	char *text;
	if ((rc = pond_iceberg_metadata_serialize(&text, md, false, err)) != 0)
		return rc;
	/* The path is real already: written as it is, without a remap. */
	rc = pond_fileio_is_local(io) ? pond_file_write_atomic(path, text, strlen(text), err)
	                              : pond_fileio_write(io, path, text, strlen(text), err);
	pond_free(text);
	if (rc == 0)
		*out_path = path;
	return rc;
}

void pond__table_remove_file(pond_fileio *io, const char *path)
{
	pond_error ignored = POND_ERROR_INIT;
	if (pond_fileio_remove(io, &path, 1, &ignored) != 0)
		pond_debug("could not delete %s: %s", path, ignored.msg);
}

static void backoff(const pond_commit_options *o, int attempt)
{
	int64_t ms = (int64_t)o->base_backoff_ms << (attempt < 16 ? attempt : 16);
	if (ms > o->max_backoff_ms)
		ms = o->max_backoff_ms;
	/* Full jitter: writers that collided spread out. */
	int64_t wait_us = ms > 0 ? pond_random_i63() % (ms * 1000) + 200 : 200;
	struct timespec ts = {wait_us / 1000000, (wait_us % 1000000) * 1000};
	nanosleep(&ts, NULL);
}

/* The catalog swap, with hook (if any) in the same transaction: a failing
 * hook rolls the swap back and sets *hook_failed. */
static int swap(pond_lake *lake, const pond_table_ident *id, const char *expected, const char *path,
                const pond__commit_hook *hook, bool *hook_failed, pond_error *err)
{
	*hook_failed = false;
	if (!hook || !hook->fn)
		return pond_catalog_commit_table(lake->catalog, &id->ns, id->name, expected, path, err);
	int rc = pond_catalog_tx_begin(lake->catalog, err);
	if (rc)
		return rc;
	if ((rc = pond_catalog_commit_table(lake->catalog, &id->ns, id->name, expected, path, err)) == 0) {
		if ((rc = hook->fn(lake->catalog, hook->payload, err)) == 0)
			return pond_catalog_tx_commit(lake->catalog, err);
		*hook_failed = true;
	}
	pond_catalog_tx_rollback(lake->catalog);
	return rc;
}

int pond_table_commit(pond_lake *lake, const pond_table_ident *id, pond_table_commit_fn build, void *payload,
                      const pond_commit_options *opts, pond_table **out, pond_error *err)
{
	return pond__table_commit(lake, id, build, payload, opts, NULL, out, err);
}

int pond__table_commit(pond_lake *lake, const pond_table_ident *id, pond_table_commit_fn build, void *payload,
                       const pond_commit_options *opts, const pond__commit_hook *hook, pond_table **out,
                       pond_error *err)
{
	static const pond_commit_options defaults = POND_COMMIT_OPTIONS_INIT;
	if (!opts)
		opts = &defaults;
	pond_arena *a = pond_arena_new();
	if (!a)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	const char *name = pond_table_ident_format(a, id);
	int rc = POND_ECONFLICT;
	/* Retries are bounded by progress, not by a count: a lost swap means
	 * another writer landed a commit, and as long as the table keeps moving
	 * between our attempts someone is getting work done, so we keep going
	 * (a slow machine only makes each round longer). Only attempts that
	 * lose to a table that did not move count against max_attempts. */
	char *last_base = NULL;
	int stalled = 0;
	for (int attempt = 0; stalled < opts->max_attempts; attempt++) {
		pond_table *base = NULL;
		pond_iceberg_metadata *next = NULL;
		pond_arena_reset(a);
		name = pond_table_ident_format(a, id);
		if ((rc = pond_table_load(&base, lake, id, err)) != 0)
			break;
		if (last_base && strcmp(last_base, base->metadata_location) == 0)
			stalled++;
		else
			stalled = 0;
		pond_free(last_base);
		if (!(last_base = pond_strdup(base->metadata_location))) {
			pond_table_free(&base);
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
			break;
		}
		pond_iceberg_requirement *reqs = NULL;
		pond_iceberg_update *ups = NULL;
		size_t nreqs = 0, nups = 0;
		rc = build(base->metadata, a, &reqs, &nreqs, &ups, &nups, payload, err);
		pond_iceberg_apply_options aopts = POND_ICEBERG_APPLY_OPTIONS_INIT;
		aopts.base_metadata_location = base->metadata_location;
		if (rc == 0)
			rc = pond_iceberg_metadata_apply(&next, base->metadata, reqs, nreqs, ups, nups, &aopts, err);
		const char *path = NULL;
		pond_fileio *io = NULL;
		if (rc == 0)
			rc = pond__table_fileio(lake, base->metadata, base->metadata_location, &io, err);
		if (rc == 0)
			rc = pond__table_write_metadata(io, next, base->metadata_location, a, &path, err);
		if (rc == 0) {
			bool hook_failed;
			/* The swap compares with the row as the catalog holds it. */
			rc = swap(lake, id, base->catalog_location ? base->catalog_location : base->metadata_location, path,
			          hook, &hook_failed, err);
			if (hook_failed)
				pond__table_remove_file(io, path);  /* rolled back: the file is nobody's */
			if (rc == POND_ECONFLICT && !hook_failed) {
				/* Someone else committed first: our file is an orphan. */
				pond__table_remove_file(io, path);
				pond_debug("commit on %s lost a race (attempt %d); retrying", name, attempt + 1);
				pond_fileio_free(&io);
				pond_iceberg_metadata_free(&next);
				pond_table_free(&base);
				backoff(opts, attempt);
				continue;
			}
		}
		pond_fileio_free(&io);
		if (rc == POND_ECONFLICT)
			pond_error_prefix(err, "commit conflict on %s", name);
		if (rc == 0)
			pond__table_after_commit(lake, id, base->metadata, next, path);
		pond_iceberg_metadata_free(&next);
		pond_table_free(&base);
		if (rc == 0 && out)
			rc = pond_table_load(out, lake, id, err);
		pond_free(last_base);
		pond_arena_free(&a);
		return rc;
	}
	if (rc == POND_ECONFLICT)
		pond_error_set(err, POND_ECONFLICT,
		               "commit conflict on %s: the swap failed %d times while the table did not change",
		               name ? name : "table", opts->max_attempts);
	pond_free(last_base);
	pond_arena_free(&a);
	return rc;
}

/*
 * Dropping tables, and where new tables live. A table's folder may hold
 * other things (another table made by an older pond inside it, a stray
 * upload), so a drop removes exactly the files the table's own metadata
 * references (metadata files, manifest lists, manifests, data and delete
 * files, statistics) that lie inside its location, then the folders left
 * empty. New tables get a location no other table's folder contains.
 */
#include "table_internal.h"

#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int remove_empty_dir(const char *path, const struct stat *sb, int flag, struct FTW *ftw);

/* Appends the files of set under root to *paths (room is the caller's). */
static void collect_under(const pond__path_map *set, const char *root, const char **paths, size_t *n)
{
	for (size_t i = 0; i < set->cap; i++) {
		const char *f = set->keys[i];
		if (f && pond__path_under(f, root))
			paths[(*n)++] = f;
	}
}

/* Deletes the files r reached inside root (in one batch: DeleteObjects
 * takes 1000 keys a request), then, on a local disk, the folders left
 * empty. */
static int remove_reached(pond_fileio *io, const pond__reach *r, const char *root, pond_error *err)
{
	size_t cap = r->files.n + r->manifests.n + r->lists.n + r->other.n, n = 0;
	const char **paths = pond_calloc(cap ? cap : 1, sizeof(*paths));
	if (!paths)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	collect_under(&r->files, root, paths, &n);
	collect_under(&r->manifests, root, paths, &n);
	collect_under(&r->lists, root, paths, &n);
	collect_under(&r->other, root, paths, &n);
	int rc = pond_fileio_remove(io, paths, n, err);
	pond_free(paths);
	if (pond_fileio_is_local(io) && pond_file_exists(root))
		nftw(root, remove_empty_dir, 16, FTW_DEPTH | FTW_PHYS);
	return rc ? pond_error_prefix(err, "dropped the table but could not remove its files") : 0;
}

static int remove_empty_dir(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)ftw;
	if (flag == FTW_DP)
		rmdir(path);  /* fails, as it should, on folders still holding something */
	return 0;
}

int pond_table_drop(pond_lake *lake, const pond_table_ident *id, bool purge, pond_error *err)
{
	/* A REST catalog's server owns the files: it deletes them on a purge. */
	if (pond_catalog_is_rest(lake->catalog)) {
		int rc = purge ? pond_catalog_purge_table(lake->catalog, &id->ns, id->name, err)
		               : pond_catalog_drop_table(lake->catalog, &id->ns, id->name, err);
		return rc ? rc : pond__buffer_forget(lake, id, err);
	}
	pond_table *t = NULL;
	int rc = purge ? pond_table_load(&t, lake, id, err) : 0;
	if (rc && rc != POND_ENOMEM) {
		/* Not in the catalog, or its metadata cannot be read (missing,
		 * corrupt): unregistering decides which. A broken table must be
		 * droppable; without its metadata its files are not known, so
		 * they stay for pond orphans. */
		pond_error load_err = *err;
		pond_error_clear(err);
		if ((rc = pond_catalog_drop_table(lake->catalog, &id->ns, id->name, err)) == 0 &&
		    (rc = pond__buffer_forget(lake, id, err)) == 0) {
			pond_arena *a = pond_arena_new();
			const char *name = a ? pond_table_ident_format(a, id) : NULL;
			pond_warn("dropped %s without removing its files, its metadata is unreadable: %s",
			          name ? name : id->name, load_err.msg);
			pond_arena_free(&a);
		}
		return rc;
	}
	/* Every file the table's metadata references, current or in history. */
	pond_fileio *io = NULL;
	pond__reach r;
	bool collected = false, reached = false;
	if (rc == 0 && t) {
		pond_error why = POND_ERROR_INIT;
		int crc = pond__table_fileio(lake, t->metadata, t->metadata_location, &io, &why);
		if (crc == 0 && (crc = pond__reach_init(&r, io, true, false, &why)) == 0) {
			reached = true;
			crc = pond__reach_table(&r, t->metadata, t->metadata_location, &why);
		}
		if (crc == POND_ENOMEM)
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		else if (crc)
			pond_warn("dropping %s: %s; leaving its files in place", pond_table_ident_format(t->arena, id),
			          why.msg);
		collected = crc == 0;
	}
	if (rc == 0)
		rc = pond_catalog_drop_table(lake->catalog, &id->ns, id->name, err);
	if (rc == 0)
		rc = pond__buffer_forget(lake, id, err);
	/* Files go only after the catalog no longer points at them, and only
	 * those inside the table's own folder. */
	if (rc == 0 && collected && t->metadata->location) {
		pond_buf loc = POND_BUF_INIT;
		pond_fileio_resolve(io, t->metadata->location, &loc);
		rc = pond_buf_ok(&loc) ? remove_reached(io, &r, pond_buf_cstr(&loc), err)
		                       : pond_error_set(err, POND_ENOMEM, "out of memory");
		pond_buf_dispose(&loc);
	}
	if (reached)
		pond__reach_dispose(&r);
	pond_fileio_free(&io);
	pond_table_free(&t);
	return rc;
}

/* ---- locations ---- */

/* A name as one path segment: '/', '\\', '%', '.' and control bytes
 * escaped as %XX, so no name is "..", holds a separator, or looks like
 * the fallback locations below (which contain a '.'). */
static void put_segment(pond_buf *b, const char *name)
{
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p == '/' || *p == '\\' || *p == '%' || *p == '.' || *p < 0x20 || *p == 0x7f)
			pond_buf_printf(b, "%%%02X", *p);
		else
			pond_buf_putc(b, (char)*p);
	}
}

static int stop_at_first(const pond_fileio_entry *entry, void *payload)
{
	(void)entry;
	(void)payload;
	return 1;
}

/* Whether dir is taken: a local folder that is there, or a prefix of an
 * object store with a key under it (the first key found stops the
 * listing). */
static bool in_use(pond_fileio *io, const char *dir)
{
	if (pond_fileio_is_local(io))
		return pond_file_exists(dir);
	pond_error ignored = POND_ERROR_INIT;
	return pond_fileio_list(io, dir, stop_at_first, NULL, &ignored) != 0;
}

/* Whether dir is a table's folder: its metadata/ is in use. */
static bool is_table_dir(pond_fileio *io, const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/metadata", dir);
	return in_use(io, path);
}

/* Each part of the name is escaped (put_segment). */
int pond_table_default_location(pond_lake *lake, const pond_table_ident *id, pond_arena *a, const char **out,
                                pond_error *err)
{
	const char *wh = lake->project->warehouse;
	pond_fileio *io = NULL;
	int rc = pond_lake_fileio(lake, wh, &io, err);
	if (rc)
		return rc;
	pond_buf loc = POND_BUF_INIT;
	pond_buf_puts(&loc, wh);
	/* WAREHOUSE/ns/.../name, unless a folder on the way is a table's or
	 * the folder itself is already in use. */
	bool clash = false;
	for (size_t i = 0; i < id->ns.nlevels; i++) {
		pond_buf_putc(&loc, '/');
		put_segment(&loc, id->ns.levels[i]);
		clash |= pond_buf_ok(&loc) && is_table_dir(io, pond_buf_cstr(&loc));
	}
	pond_buf_putc(&loc, '/');
	put_segment(&loc, id->name);
	if (pond_buf_ok(&loc) && in_use(io, pond_buf_cstr(&loc)))
		clash = true;
	if (clash) {
		/* WAREHOUSE/ns.name-XXXXXXXX: directly in the warehouse, where no
		 * table's folder is, and with a '.' no escaped name has. */
		char uuid[37];
		pond_uuid_v4_string(uuid);
		uuid[8] = '\0';
		pond_buf_clear(&loc);
		pond_buf_printf(&loc, "%s/", wh);
		for (size_t i = 0; i < id->ns.nlevels; i++) {
			put_segment(&loc, id->ns.levels[i]);
			pond_buf_putc(&loc, '.');
		}
		put_segment(&loc, id->name);
		pond_buf_printf(&loc, "-%s", uuid);
	}
	*out = pond_buf_ok(&loc) ? pond_arena_strdup(a, pond_buf_cstr(&loc)) : NULL;
	pond_buf_dispose(&loc);
	pond_fileio_free(&io);
	return *out ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

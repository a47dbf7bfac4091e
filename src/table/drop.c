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

/* Unlinks the files of set under root; *failed gets the first that
 * stays. */
static void unlink_under(const pond__path_map *set, const char *root, const char **failed)
{
	for (size_t i = 0; i < set->cap; i++) {
		const char *f = set->keys[i];
		if (f && pond__path_under(f, root) && unlink(f) != 0 && pond_file_exists(f) && !*failed)
			*failed = f;
	}
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
		int crc = pond_fileio_local_new(&io, &why);
		if (crc == 0)
			crc = pond_fileio_remap_table(io, t->metadata, t->metadata_location, &why);
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
		const char *root = pond_buf_cstr(&loc);
		const char *failed = NULL;
		unlink_under(&r.files, root, &failed);
		unlink_under(&r.manifests, root, &failed);
		unlink_under(&r.lists, root, &failed);
		unlink_under(&r.other, root, &failed);
		if (pond_file_exists(root))
			nftw(root, remove_empty_dir, 16, FTW_DEPTH | FTW_PHYS);
		if (failed)
			rc = pond_error_set(err, POND_EIO, "dropped the table but could not remove %s", failed);
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

/* Whether dir is a table's folder: it has metadata files. */
static bool is_table_dir(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/metadata", dir);
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int pond__table_location(const pond_lake *lake, const pond_table_ident *id, pond_arena *a, const char **out,
                         pond_error *err)
{
	const char *wh = lake->project->warehouse;
	pond_buf loc = POND_BUF_INIT;
	pond_buf_puts(&loc, wh);
	/* WAREHOUSE/ns/.../name, unless a folder on the way is a table's or
	 * the folder itself is already in use. */
	bool clash = false;
	for (size_t i = 0; i < id->ns.nlevels; i++) {
		pond_buf_putc(&loc, '/');
		put_segment(&loc, id->ns.levels[i]);
		clash |= pond_buf_ok(&loc) && is_table_dir(pond_buf_cstr(&loc));
	}
	pond_buf_putc(&loc, '/');
	put_segment(&loc, id->name);
	if (pond_buf_ok(&loc) && pond_file_exists(pond_buf_cstr(&loc)))
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
	return *out ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

int pond_table_default_location(pond_lake *lake, const pond_table_ident *id, pond_arena *arena, const char **out,
                                pond_error *err)
{
	return pond__table_location(lake, id, arena, out, err);
}

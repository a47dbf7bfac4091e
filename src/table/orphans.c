/*
 * Orphan files: what lies under a table's folder that its metadata does
 * not reference, such as the partial files and empty write folders a
 * killed write leaves, or the files of a commit that lost its race and
 * could not clean up. Referenced means reached by the metadata (reach.c),
 * by path or, for a path spelled differently, by inode. Guard rails: the
 * table's folder must lie inside the warehouse; folders that are another
 * table's (a catalog table's location, or any folder holding a metadata/
 * folder of metadata files) are skipped; files modified within the window
 * are left alone (a write in flight); symbolic links are never followed.
 */
#include "table_internal.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct orphan_walk {
	const pond_orphans_options *opts;
	pond_orphans_result *out;
	const char *root;                /* the table's folder */
	pond__path_map referenced;       /* resolved paths */
	pond__path_map inodes;           /* "dev:ino" of referenced files */
	pond__path_map tables;           /* other tables' folders */
	int64_t older;                   /* files modified before this (ms) are old enough */
	pond_error *err;
} orphan_walk;

static void inode_key(char out[64], const struct stat *st)
{
	snprintf(out, 64, "%llu:%llu", (unsigned long long)st->st_dev, (unsigned long long)st->st_ino);
}

static int64_t mtime_ms(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000;
}

/* Whether dir holds metadata/ with a metadata file: some table's folder. */
static bool looks_like_table(const char *dir)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s/metadata", dir) >= (int)sizeof path)
		return true;  /* too deep to tell: leave it alone */
	DIR *d = opendir(path);
	if (!d)
		return false;
	bool found = false;
	for (struct dirent *e; !found && (e = readdir(d)) != NULL;)
		found = strstr(e->d_name, ".metadata.json") != NULL;
	closedir(d);
	return found;
}

static void visit_file(orphan_walk *w, const char *path, const struct stat *st)
{
	char key[64];
	inode_key(key, st);
	if (pond__path_map_get(&w->referenced, path, NULL) || pond__path_map_get(&w->inodes, key, NULL))
		return;
	if (mtime_ms(st) >= w->older) {
		w->out->young++;
		return;
	}
	if (w->opts->remove && unlink(path) != 0)
		return;
	w->out->files++;
	w->out->bytes += st->st_size;
	if (w->opts->found)
		w->opts->found(path, st->st_size, w->opts->payload);
}

/* Where a walk is: in_data says the folder is the table's data/ folder or
 * inside it, where empty folders are a killed write's and may go. */
typedef struct walk_at {
	orphan_walk *w;
	bool in_data;
	int depth;
} walk_at;

static void walk(orphan_walk *w, const char *dir, bool in_data, int depth);

static int walk_entry(const char *path, const char *name, const struct stat *st, void *payload)
{
	walk_at *at = payload;
	orphan_walk *w = at->w;
	if (S_ISREG(st->st_mode)) {
		visit_file(w, path, st);
		return 0;
	}
	if (!S_ISDIR(st->st_mode) || pond__path_map_get(&w->tables, path, NULL) || looks_like_table(path))
		return 0;
	walk(w, path, at->in_data || (at->depth == 0 && strcmp(name, "data") == 0), at->depth + 1);
	/* The folder's own time, from before its files went: a write
	 * folder made within the window stays. */
	if (at->in_data && mtime_ms(st) < w->older) {
		if (!w->opts->remove) {
			DIR *sub = opendir(path);
			int n = 0;
			for (struct dirent *s; sub && (s = readdir(sub)) != NULL;)
				n++;
			if (sub)
				closedir(sub);
			w->out->folders += n == 2;
		} else if (rmdir(path) == 0) {
			w->out->folders++;
		}
	}
	return 0;
}

/* Walks dir (the root or below). */
static void walk(orphan_walk *w, const char *dir, bool in_data, int depth)
{
	walk_at at = {w, in_data, depth};
	if (depth < 64)
		pond_dir_each(dir, walk_entry, &at);
}

/* Every catalog table's folder but this one's, resolved, into w->tables. */
static int other_tables(orphan_walk *w, pond_lake *lake, const pond_ns *ns, const pond_table_ident *self,
                        pond_arena *a)
{
	const char **names = NULL;
	size_t n = 0;
	int rc = ns->nlevels ? pond_catalog_list_tables(lake->catalog, ns, a, &names, &n, w->err) : 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		pond_table_ident id = {*ns, names[i]};
		if (strcmp(pond_table_ident_format(a, &id), pond_table_ident_format(a, self)) == 0)
			continue;
		/* The folder from the catalog row alone (LOCATION/metadata/FILE),
		 * not from parsing every table's metadata on every call; a folder
		 * whose metadata lives elsewhere still looks like a table's. */
		pond_catalog_table row;
		pond_error ignored = POND_ERROR_INIT;
		if (pond_catalog_load_table(lake->catalog, ns, names[i], a, &row, &ignored) != 0 || !row.metadata_location)
			continue;
		const char *loc = row.metadata_location;
		if (strncmp(loc, "file://", 7) == 0)
			loc += 7;
		else if (loc[0] != '/' && !strstr(loc, "://"))
			loc = pond_arena_sprintf(a, "%s/%s", lake->project->root, loc);
		char *folder = loc ? pond_arena_strdup(a, loc) : NULL;
		if (!folder) {
			rc = pond_error_set(w->err, POND_ENOMEM, "out of memory");
			break;
		}
		char *file = strrchr(folder, '/');
		if (file)
			*file = '\0';
		char *meta = strrchr(folder, '/');
		if (!file || !meta || strcmp(meta, "/metadata") != 0)
			continue;
		*meta = '\0';
		char real[PATH_MAX];
		const char *key = pond_project_is_s3(folder) ? folder : realpath(folder, real);
		if (key && pond__path_map_put(&w->tables, key, 1) != 0)
			rc = pond_error_set(w->err, POND_ENOMEM, "out of memory");
	}
	pond_ns *children = NULL;
	size_t nchildren = 0;
	if (rc == 0)
		rc = pond_catalog_list_namespaces(lake->catalog, ns, a, &children, &nchildren, w->err);
	for (size_t i = 0; i < nchildren && rc == 0; i++)
		rc = other_tables(w, lake, &children[i], self, a);
	return rc;
}

/* Everything the table's metadata references, by path and by inode. */
static int referenced(orphan_walk *w, const pond_table *t, pond_fileio *io)
{
	pond__reach r;
	int rc = pond__reach_init(&r, io, true, false, w->err);
	if (rc)
		return rc;
	rc = pond__reach_table(&r, t->metadata, t->metadata_location, w->err);
	const pond__path_map *sets[] = {&r.lists, &r.manifests, &r.files, &r.other};
	for (size_t s = 0; s < 4 && rc == 0; s++) {
		for (size_t i = 0; i < sets[s]->cap && rc == 0; i++) {
			const char *p = sets[s]->keys[i];
			struct stat st;
			char key[64];
			if (!p)
				continue;
			if (pond__path_map_put(&w->referenced, p, 1) != 0)
				rc = pond_error_set(w->err, POND_ENOMEM, "out of memory");
			if (rc == 0 && pond_fileio_is_local(io) && stat(p, &st) == 0) {
				inode_key(key, &st);
				if (pond__path_map_put(&w->inodes, key, 1) != 0)
					rc = pond_error_set(w->err, POND_ENOMEM, "out of memory");
			}
		}
	}
	pond__reach_dispose(&r);
	return rc;
}

/* ---- on an object store: one listing instead of a walk ---- */

typedef struct listed_file {
	const char *path;
	int64_t size, mtime_ms;
} listed_file;

typedef struct listing {
	pond_arena *a;
	const char *root;
	listed_file *files;
	size_t n, cap;
	pond__path_map table_dirs;   /* folders below root holding metadata/NNN.metadata.json */
} listing;

static int take_listed(const pond_fileio_entry *e, void *payload)
{
	listing *l = payload;
	if (!pond_arena_grow(l->a, (void **)&l->files, l->n, &l->cap, sizeof(*l->files)))
		return POND_ENOMEM;
	const char *path = pond_arena_strdup(l->a, e->path);
	if (!path)
		return POND_ENOMEM;
	l->files[l->n++] = (listed_file){path, e->size, e->mtime_ms};
	/* X/metadata/F.metadata.json makes X a table's folder. */
	const char *m = strstr(path, "/metadata/");
	if (m && pond_str_ends_with(path, ".metadata.json") && !strchr(m + 10, '/') &&
	    (size_t)(m - path) > strlen(l->root)) {
		char *dir = pond_arena_strndup(l->a, path, (size_t)(m - path));
		if (!dir || pond__path_map_put(&l->table_dirs, dir, 1) != 0)
			return POND_ENOMEM;
	}
	return 0;
}

/* Whether a folder between root and path is another table's. */
static bool in_other_table(const orphan_walk *w, const listing *l, const char *path, char *scratch)
{
	size_t root_len = strlen(w->root);
	strcpy(scratch, path);
	for (char *slash = strrchr(scratch, '/'); slash && (size_t)(slash - scratch) > root_len;
	     slash = strrchr(scratch, '/')) {
		*slash = '\0';
		if (pond__path_map_get(&w->tables, scratch, NULL) || pond__path_map_get(&l->table_dirs, scratch, NULL))
			return true;
	}
	return false;
}

/* The orphans under w->root on an object store: listed once (sizes and
 * last-modified times come with the listing), deleted in one batch. */
static int orphans_listed(orphan_walk *w, pond_fileio *io, pond_arena *a)
{
	listing l = {a, w->root, NULL, 0, 0, {0}};
	int rc = pond_fileio_list(io, w->root, take_listed, &l, w->err);
	if (rc == POND_ENOMEM && !w->err->code)
		pond_error_set(w->err, rc, "out of memory");
	const char **doomed = rc == 0 ? pond_arena_calloc(a, l.n + 1, sizeof(*doomed)) : NULL;
	char *scratch = rc == 0 ? pond_arena_alloc(a, 4096 + 1) : NULL;
	if (rc == 0 && (!doomed || !scratch))
		rc = pond_error_set(w->err, POND_ENOMEM, "out of memory");
	size_t ndoomed = 0;
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		const listed_file *f = &l.files[i];
		if (strlen(f->path) > 4096 || pond__path_map_get(&w->referenced, f->path, NULL) ||
		    in_other_table(w, &l, f->path, scratch))
			continue;
		if (f->mtime_ms >= w->older) {
			w->out->young++;
			continue;
		}
		doomed[ndoomed++] = f->path;
		w->out->files++;
		w->out->bytes += f->size;
		if (w->opts->found)
			w->opts->found(f->path, f->size, w->opts->payload);
	}
	if (rc == 0 && w->opts->remove)
		rc = pond_fileio_remove(io, doomed, ndoomed, w->err);
	pond__path_map_dispose(&l.table_dirs);
	return rc;
}

/* The table's folder and the warehouse, checked: *root (in a) is the
 * folder as the walk or listing sees it. */
static int table_root(pond_lake *lake, const pond_table *t, pond_fileio *io, const char *name, pond_arena *a,
                      const char **root, pond_error *err)
{
	pond_buf loc = POND_BUF_INIT;
	pond_fileio_resolve(io, t->metadata->location, &loc);
	int rc = pond_buf_ok(&loc) ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
	char real[PATH_MAX], warehouse[PATH_MAX];
	const char *r = NULL, *wh = NULL;
	if (rc == 0 && !pond_fileio_is_local(io)) {
		r = pond_buf_cstr(&loc);
		wh = lake->project->warehouse;
	} else if (rc == 0) {
		r = realpath(pond_buf_cstr(&loc), real);
		wh = realpath(lake->project->warehouse, warehouse);
		if (!r || !wh)
			rc = pond_error_set(err, POND_ENOTFOUND, "cannot look for orphans of %s: folder %s not found", name,
			                    pond_buf_cstr(&loc));
	}
	if (rc == 0 && !pond__path_under(r, wh))
		rc = pond_error_set(err, POND_EINVAL, "cannot look for orphans of %s: its folder %s is outside "
		                    "the warehouse %s", name, r, wh);
	if (rc == 0 && !(*root = pond_arena_strdup(a, r)))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&loc);
	return rc;
}

int pond__orphans_rest_refusal(pond_lake *lake, pond_error *err)
{
	return pond_error_set(err, POND_EUNSUPPORTED, "cannot look for orphan files: the tables are in the REST catalog %s, "
	                      "whose server and other clients write there too; run pond orphans on the catalog's server",
	                      pond_catalog_rest_uri(lake->catalog));
}

int pond_table_orphans(pond_lake *lake, const pond_table_ident *id, const pond_orphans_options *opts,
                       pond_orphans_result *out, pond_error *err)
{
	static const pond_orphans_options defaults = POND_ORPHANS_OPTIONS_INIT;
	orphan_walk w;
	memset(&w, 0, sizeof(w));
	memset(out, 0, sizeof(*out));
	w.opts = opts ? opts : &defaults;
	w.out = out;
	w.err = err;
	if (pond_catalog_is_rest(lake->catalog))
		return pond__orphans_rest_refusal(lake, err);
	int64_t now = w.opts->now_ms ? w.opts->now_ms : pond_time_now_ms();
	w.older = now - (w.opts->older_than_ms > 0 ? w.opts->older_than_ms : 0);
	pond_table *t = NULL;
	pond_fileio *io = NULL;
	pond_arena *a = pond_arena_new();
	int rc = a ? pond_table_load(&t, lake, id, err) : pond_error_set(err, POND_ENOMEM, "out of memory");
	const char *name = pond_table_ident_format(a, id);
	if (rc == 0)
		rc = pond__table_fileio(lake, t->metadata, t->metadata_location, &io, err);
	if (rc == 0)
		rc = table_root(lake, t, io, name, a, &w.root, err);
	pond_ns top = {0};
	if (rc == 0)
		rc = other_tables(&w, lake, &top, id, a);
	if (rc == 0)
		rc = referenced(&w, t, io);
	if (rc == 0 && pond_fileio_is_local(io))
		walk(&w, w.root, false, 0);
	else if (rc == 0)
		rc = orphans_listed(&w, io, a);
	pond__path_map_dispose(&w.referenced);
	pond__path_map_dispose(&w.inodes);
	pond__path_map_dispose(&w.tables);
	pond_fileio_free(&io);
	pond_table_free(&t);
	pond_arena_free(&a);
	return rc;
}

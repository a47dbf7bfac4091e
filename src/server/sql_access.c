/*
 * What the SQL endpoint's DuckDB may read: the warehouse, by real path.
 * DuckDB's allowed_directories compares path strings, so a symlink inside
 * the warehouse (warehouse/link -> /etc) would let '<wh>/link/hostname'
 * through. The warehouse is walked without following links: a directory
 * with no symlink anywhere beneath it is allowed whole; in a directory
 * that has one, only its link-free subdirectories and its regular files
 * are. Each is named under the warehouse's real path and under its
 * configured absolute path (the spelling table metadata uses). A
 * warehouse on S3 is read from local copies in the project's object cache:
 * that folder is allowed instead.
 */
#include "server_internal.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Deeper than any warehouse pond writes; past it a directory counts as
 * having a link, so nothing under it is allowed whole. */
#define MAX_DEPTH 32

typedef struct access_walk {
	const char *roots[2];   /* real path, configured path */
	size_t nroots;
	size_t root_len;        /* of the real path the walk runs under */
	pond_buf *dirs;         /* SQL list items */
	pond_buf *files;
	size_t ndirs, nfiles;
} access_walk;

static void add_item(access_walk *w, bool dir, const char *path)
{
	const char *rel = path + w->root_len;
	for (size_t i = 0; i < w->nroots; i++) {
		pond_buf *b = dir ? w->dirs : w->files;
		size_t *n = dir ? &w->ndirs : &w->nfiles;
		if ((*n)++)
			pond_buf_puts(b, ", ");
		pond_buf tmp = POND_BUF_INIT;
		pond_buf_printf(&tmp, "%s%s%s", w->roots[i], rel, dir ? "/" : "");
		pond_sql_quote_literal(b, pond_buf_cstr(&tmp));
		pond_buf_dispose(&tmp);
	}
}

typedef struct entry {
	char *path;
	bool dir;
} entry;

/* Walks dir; returns true when a symlink (or anything unreadable or too
 * deep) is somewhere beneath it. When it is, the link-free parts of dir
 * are added to the lists; otherwise the caller covers dir whole. */
static bool walk(access_walk *w, const char *dir, int depth)
{
	if (depth > MAX_DEPTH)
		return true;
	DIR *d = opendir(dir);
	if (!d)
		return true;
	bool tainted = false;
	entry *safe = NULL;
	size_t nsafe = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		size_t len = strlen(dir) + 1 + strlen(de->d_name) + 1;
		char *full = pond_malloc(len);
		if (full)
			snprintf(full, len, "%s/%s", dir, de->d_name);
		struct stat st;
		if (!full || lstat(full, &st) != 0) {
			pond_free(full);
			tainted = true;
			continue;
		}
		bool is_dir = S_ISDIR(st.st_mode);
		if (S_ISLNK(st.st_mode) || (!is_dir && !S_ISREG(st.st_mode)) || (is_dir && walk(w, full, depth + 1))) {
			tainted = true;
			pond_free(full);
			continue;
		}
		if (nsafe == cap) {
			cap = cap ? cap * 2 : 16;
			entry *grown = pond_realloc(safe, cap * sizeof(*safe));
			if (!grown) {
				pond_free(full);
				tainted = true;
				break;
			}
			safe = grown;
		}
		safe[nsafe++] = (entry){full, is_dir};
	}
	closedir(d);
	for (size_t i = 0; i < nsafe; i++) {
		if (tainted)
			add_item(w, safe[i].dir, safe[i].path);
		pond_free(safe[i].path);
	}
	pond_free(safe);
	return tainted;
}

int pond__server_sql_access(srv_ctx *ctx, pond_buf *setup)
{
	const pond_project *p = ctx->srv->project;
	const char *warehouse = p->warehouse;
	pond_buf dirs = POND_BUF_INIT, files = POND_BUF_INIT;
	char real[PATH_MAX];
	if (pond_project_is_s3(warehouse)) {
		/* Tables on S3 are read from local copies in the project's
		 * object cache (and buffered rows from theirs): only those. */
		pond_buf_puts(setup, "SET allowed_directories = [");
		pond_buf_printf(&dirs, "%s/objects/", p->cache_dir);
		pond_sql_quote_literal(setup, pond_buf_cstr(&dirs));
		pond_buf_clear(&dirs);
		pond_buf_printf(&dirs, "%s/.pond/cache/buffer/", p->root);
		pond_buf_puts(setup, ", ");
		pond_sql_quote_literal(setup, pond_buf_cstr(&dirs));
		pond_buf_puts(setup, "]; ");
		pond_buf_dispose(&dirs);
		return 0;
	}
	if (strstr(warehouse, "://") || !realpath(warehouse, real)) {
		/* not a local folder (or not there yet): nothing local is allowed */
		pond_buf_puts(setup, "SET allowed_directories = []; ");
		return 0;
	}
	/* configured path made absolute, without a final slash */
	char *configured = pond_arena_strdup(ctx->arena, warehouse);
	if (!configured)
		return pond_error_set(&ctx->err, POND_ENOMEM, "out of memory");
	for (size_t n = strlen(configured); n > 1 && configured[n - 1] == '/'; n--)
		configured[n - 1] = '\0';
	access_walk w = {{real, configured}, configured[0] == '/' && strcmp(configured, real) != 0 ? 2 : 1,
	                 strlen(real), &dirs, &files, 0, 0};
	if (!walk(&w, real, 0))
		add_item(&w, true, real);
	pond_buf_puts(setup, "SET allowed_directories = [");
	pond_buf_puts(setup, pond_buf_cstr(&dirs));
	pond_buf_puts(setup, "]; SET allowed_paths = [");
	pond_buf_puts(setup, pond_buf_cstr(&files));
	pond_buf_puts(setup, "]; ");
	pond_buf_dispose(&dirs);
	pond_buf_dispose(&files);
	return 0;
}

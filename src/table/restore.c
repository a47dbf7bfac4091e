/*
 * pond restore: a backup folder (backup.c) back into a project folder. The
 * order mirrors the backup's: project files, then the warehouse files, then
 * the catalog, which is prepared beside its final name (copied, its tables'
 * metadata locations moved to the new warehouse) and renamed into place
 * last, so an interrupted restore never leaves a catalog that names files
 * not yet there. The tables' own files keep the paths they recorded; pond
 * reads and writes them at the new place through the moved-table remap.
 * The warehouse restored into is a folder or, when pond.yml (or the
 * caller) says so, an S3 bucket and prefix: the files are then uploaded
 * (backup_s3.c), skipping objects already there with the same size. A
 * backup of an S3 warehouse restored without being told where goes into
 * a local folder, never back into the bucket its pond.yml names.
 */
#include "table_internal.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct restore_job {
	pond_arena *a;
	const char *src;        /* the backup folder, absolute */
	const char *dir;        /* the project folder, absolute */
	const char *old_warehouse;
	const pond_project *project;
	const pond_backup_options *opts;
	pond_backup_stats *stats;
	bool external;          /* the walk is over external/: files go back to their absolute paths */
	pond__backup_bucket bucket;  /* an S3 warehouse restored into */
	bool s3;                /* bucket is open */
} restore_job;

static int read_manifest(restore_job *j, json_t **out, pond_error *err)
{
	const char *path = pond_arena_sprintf(j->a, "%s/backup.json", j->src);
	if (!path)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (!pond_file_exists(path))
		return pond_error_set(err, POND_ENOTFOUND, "%s is not a pond backup (it has no backup.json)", j->src);
	int rc = pond_json_load_file(out, path, err);
	const char *format = NULL, *warehouse = NULL;
	if (rc == 0 && ((rc = pond_json_get_string(*out, "format", &format, path, err)) != 0 ||
	                (rc = pond_json_get_string(*out, "warehouse", &warehouse, path, err)) != 0))
		json_decref(*out);
	else if (rc == 0 && strcmp(format, "pond-backup") != 0) {
		json_decref(*out);
		rc = pond_error_set(err, POND_ECORRUPT, "%s: format is \"%s\", not \"pond-backup\"", path, format);
	}
	if (rc == 0 && !(j->old_warehouse = pond_arena_strdup(j->a, warehouse))) {
		json_decref(*out);
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	return rc;
}

static int cancelled(const restore_job *j, pond_error *err)
{
	if (j->opts->cancel && *j->opts->cancel)
		return pond_error_set(err, POND_ECANCELED, "restore from %s interrupted", j->src);
	return 0;
}

static bool is_part(const char *rel)
{
	size_t n = strlen(rel);
	return n >= 5 && strcmp(rel + n - 5, ".part") == 0;
}

/* A project file: copied when missing in dir, or always with force. */
static int restore_project_file(const char *rel, int64_t size, void *payload, pond_error *err)
{
	restore_job *j = payload;
	(void)size;
	const char *from = pond_arena_sprintf(j->a, "%s/project/%s", j->src, rel);
	const char *to = pond_arena_sprintf(j->a, "%s/%s", j->dir, rel);
	if (!from || !to)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (is_part(rel) || (!j->opts->force && pond_file_exists(to)))
		return 0;
	int64_t n;
	bool copied;
	return pond__backup_copy(from, to, true, &n, &copied, err);
}

/* A warehouse (or external) file: skipped when there with its size. */
static int restore_data_file(const char *rel, int64_t size, void *payload, pond_error *err)
{
	restore_job *j = payload;
	(void)size;
	if (is_part(rel))
		return 0;
	const char *from = pond_arena_sprintf(j->a, "%s/%s/%s", j->src, j->external ? "external" : "warehouse", rel);
	const char *to = j->external ? pond_arena_sprintf(j->a, "/%s", rel)
	                             : pond_arena_sprintf(j->a, "%s/%s", j->project->warehouse, rel);
	if (!from || !to)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	int64_t n = 0;
	bool copied = false;
	int rc = cancelled(j, err);
	if (rc == 0 && j->s3 && !j->external)
		rc = pond__backup_upload(&j->bucket, from, to, &n, &copied, err);
	else if (rc == 0)
		rc = pond__backup_copy(from, to, false, &n, &copied, err);
	if (rc)
		return rc;
	pond_backup_stats *st = j->stats;
	st->files++;
	st->bytes += n;
	st->files_done++;
	if (copied) {
		st->files_copied++;
		st->bytes_copied += n;
	} else {
		st->files_skipped++;
		st->bytes_skipped += n;
	}
	if (j->opts->progress)
		j->opts->progress(st, to, j->opts->payload);
	return 0;
}

static int first_entry(const char *rel, int64_t size, void *payload, pond_error *err)
{
	(void)rel; (void)size; (void)err;
	*(bool *)payload = true;
	return 1;  /* stop at the first file */
}

static int first_row(int ncols, const char *const *names, const char *const *values, void *payload)
{
	(void)ncols; (void)names; (void)values;
	*(bool *)payload = true;
	return 1;  /* one is enough */
}

/* Whether the warehouse holds a file (an object). An S3 warehouse is
 * opened and listed here, once: the uploads skip what the listing holds. */
static int warehouse_has_files(restore_job *j, bool *any, pond_error *err)
{
	const pond_project *p = j->project;
	*any = false;
	if (pond_s3_is_url(p->warehouse)) {
		j->s3 = true;
		int rc = pond__backup_bucket_open(&j->bucket, p, p->warehouse, err);
		if (rc == 0)
			rc = pond__backup_bucket_list(&j->bucket, err);
		*any = j->bucket.sizes.n > 0;
		return rc;
	}
	int rc = pond__backup_walk(p->warehouse, first_entry, any, err);
	return rc < 0 ? rc : 0;
}

/* Refuses (unless force) a catalog that holds tables or a warehouse that
 * holds files. */
static int check_empty(restore_job *j, pond_error *err)
{
	const pond_project *p = j->project;
	if (strstr(p->catalog_uri, "://"))
		return pond_error_set(err, POND_EUNSUPPORTED,
		                      "cannot restore into catalog %s: restore writes a SQLite catalog; set "
		                      "\"catalog: catalog.db\" in %s and run restore again", p->catalog_uri, p->config_path);
	bool any = false;
	int rc = warehouse_has_files(j, &any, err);
	if (rc || j->opts->force)
		return rc;
	if (any)
		return pond_error_set(err, POND_EEXISTS, "warehouse %s is not empty; pass --force to restore into it",
		                      p->warehouse);
	if (!pond_file_exists(p->catalog_uri))
		return 0;
	pond_catalog_options co = POND_CATALOG_OPTIONS_INIT;
	co.create_tables = false;
	pond_catalog *cat;
	if ((rc = pond_catalog_open(&cat, p->catalog_uri, &co, err)) != 0)
		return rc;
	bool has = false;
	rc = pond_catalog_has_table(cat, "iceberg_tables", &has, err);
	if (rc == 0 && has)
		rc = pond_catalog_query(cat, "SELECT 1 FROM iceberg_tables LIMIT 1", NULL, 0, first_row, &any, err);
	pond_catalog_close(&cat);
	if (rc < 0)
		return rc;
	if (any)
		return pond_error_set(err, POND_EEXISTS, "catalog %s holds tables; pass --force to replace it",
		                      p->catalog_uri);
	return 0;
}

/* In the copied catalog, metadata locations under the backed-up warehouse
 * move to the project's. */
static int move_locations(restore_job *j, const char *catalog_path, pond_error *err)
{
	const char *from = j->old_warehouse, *to = j->project->warehouse;
	if (strcmp(from, to) == 0)
		return 0;
	pond_catalog_options co = POND_CATALOG_OPTIONS_INIT;
	co.create_tables = false;
	pond_catalog *cat;
	int rc = pond_catalog_open(&cat, catalog_path, &co, err);
	if (rc)
		return rc;
	char cut[24];
	snprintf(cut, sizeof cut, "%zu", strlen(from) + 1);
	const char *prefix = pond_arena_sprintf(j->a, "%s/", from);
	static const char *const columns[] = {"metadata_location", "previous_metadata_location"};
	bool has = false;
	rc = prefix ? pond_catalog_has_table(cat, "iceberg_tables", &has, err)
	            : pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < 2 && rc == 0 && has; i++) {
		const char *c = columns[i];
		const char *sql = pond_arena_sprintf(j->a, "UPDATE iceberg_tables SET %s = ? || substr(%s, "
		                                           "CAST(? AS INTEGER)) WHERE substr(%s, 1, "
		                                           "CAST(? AS INTEGER)) = ?", c, c, c);
		char len[24];
		snprintf(len, sizeof len, "%zu", strlen(prefix));
		const char *params[] = {to, cut, len, prefix};
		rc = sql ? pond_catalog_exec(cat, sql, params, 4, NULL, err)
		         : pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	pond_catalog_close(&cat);
	return rc;
}

/* The catalog: copied beside its final name, moved, renamed in. */
static int restore_catalog(restore_job *j, pond_error *err)
{
	const char *final = j->project->catalog_uri;
	const char *from = pond_arena_sprintf(j->a, "%s/catalog.db", j->src);
	const char *part = pond_arena_sprintf(j->a, "%s.part", final);
	if (!from || !part)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	int64_t n;
	bool copied;
	/* A killed restore may have left the copy and its log: never replay it. */
	int rc = pond_catalog_sqlite_remove_files(part, true, err);
	if (rc == 0)
		rc = pond__backup_copy(from, part, true, &n, &copied, err);
	if (rc == 0)
		rc = move_locations(j, part, err);
	/* The old database's log must not be replayed into the new file. */
	if (rc == 0)
		rc = pond_catalog_sqlite_remove_files(final, false, err);
	if (rc == 0 && rename(part, final) != 0)
		rc = pond_error_set(err, POND_EIO, "could not rename %s: %s", part, strerror(errno));
	if (rc)
		unlink(part);
	return rc;
}

/* A YAML plain scalar needs no quotes when it holds only these. */
static bool plain_scalar(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-~+:@=", *s))
			return false;
	return true;
}

/* Sets the top-level "warehouse:" line of the pond.yml at path (adds one
 * when there is none); the rest of the file, comments included, stays. */
static int set_warehouse(const char *path, const char *warehouse, pond_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = pond_file_read(&text, &len, path, 1 << 20, err);
	if (rc)
		return rc;
	pond_buf out = POND_BUF_INIT, value = POND_BUF_INIT;
	if (plain_scalar(warehouse) && warehouse[0] != '-' && !strstr(warehouse, ": "))
		pond_buf_puts(&value, warehouse);
	else {
		pond_buf_putc(&value, '"');
		for (const char *c = warehouse; *c; c++) {
			if (*c == '"' || *c == '\\')
				pond_buf_putc(&value, '\\');
			pond_buf_putc(&value, *c);
		}
		pond_buf_putc(&value, '"');
	}
	bool set = false;
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
		if (!set && strncmp(line, "warehouse:", 10) == 0) {
			pond_buf_printf(&out, "warehouse: %s\n", pond_buf_cstr(&value));
			set = true;
		} else {
			pond_buf_put(&out, line, n);
		}
		line += n;
	}
	if (!set)
		pond_buf_printf(&out, "warehouse: %s\n", pond_buf_cstr(&value));
	rc = pond_buf_ok(&out) && pond_buf_ok(&value)
	             ? pond_file_write_atomic(path, pond_buf_cstr(&out), out.len, err)
	             : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&out);
	pond_buf_dispose(&value);
	pond_free(text);
	return rc;
}

/* Writes pond.yml when missing (or with force), sets its warehouse when
 * told to (or when the backup's names a bucket), then loads the project. */
static int load_project(restore_job *j, pond_project **out, pond_error *err)
{
	const char *yml = pond_arena_sprintf(j->a, "%s/pond.yml", j->dir);
	if (!yml)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	int rc = 0;
	bool from_backup = j->opts->force || !pond_file_exists(yml);
	if (from_backup)
		rc = restore_project_file("pond.yml", 0, j, err);
	const char *warehouse = j->opts->warehouse;
	if (!warehouse && from_backup && pond_s3_is_url(j->old_warehouse))
		warehouse = "warehouse";
	if (rc == 0 && warehouse)
		rc = set_warehouse(yml, warehouse, err);
	return rc ? rc : pond_project_load(out, j->dir, err);
}

static int run(restore_job *j, pond_error *err)
{
	pond_project *project = NULL;
	int rc = load_project(j, &project, err);
	j->project = project;
	if (rc == 0)
		rc = check_empty(j, err);
	const char *project_dir = pond_arena_sprintf(j->a, "%s/project", j->src);
	const char *warehouse_dir = pond_arena_sprintf(j->a, "%s/warehouse", j->src);
	const char *external_dir = pond_arena_sprintf(j->a, "%s/external", j->src);
	if (rc == 0 && (!project_dir || !warehouse_dir || !external_dir))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = pond__backup_walk(project_dir, restore_project_file, j, err);
	if (rc == 0 && j->opts->progress)
		j->opts->progress(j->stats, NULL, j->opts->payload);
	if (rc == 0)
		rc = pond__backup_walk(warehouse_dir, restore_data_file, j, err);
	j->external = true;
	if (rc == 0)
		rc = pond__backup_walk(external_dir, restore_data_file, j, err);
	if (rc == 0)
		rc = restore_catalog(j, err);
	if (j->s3)
		pond__backup_bucket_close(&j->bucket);
	j->s3 = false;
	pond_project_free(&project);
	j->project = NULL;
	return rc;
}

int pond_backup_restore(const char *src, const char *dir, const pond_backup_options *opts, pond_backup_stats *stats,
                        pond_error *err)
{
	static const pond_backup_options defaults = POND_BACKUP_OPTIONS_INIT;
	pond_backup_stats local;
	restore_job j = {0};
	j.opts = opts ? opts : &defaults;
	j.stats = stats ? stats : &local;
	memset(j.stats, 0, sizeof(*j.stats));
	if (!(j.a = pond_arena_new()))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	char real_src[PATH_MAX], real_dir[PATH_MAX];
	int rc = 0, lock = -1;
	json_t *manifest = NULL;
	if (!realpath(src, real_src))
		rc = pond_error_set(err, errno == ENOENT ? POND_ENOTFOUND : POND_EIO, "could not open backup %s: %s",
		                    src, strerror(errno));
	if (rc == 0 && !(j.src = pond_arena_strdup(j.a, real_src)))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = read_manifest(&j, &manifest, err);
	/* A backup on read-only media cannot hold a lock file: restore from
	 * it all the same (no backup can be writing there either). */
	if (rc == 0 && (rc = pond__backup_lock(j.src, "backup or restore", &lock, err)) == POND_EIO) {
		pond_error_clear(err);
		rc = 0;
	}
	if (rc == 0 && (rc = pond_mkdirs(dir, err)) == 0 && !realpath(dir, real_dir))
		rc = pond_error_set(err, POND_EIO, "could not open %s: %s", dir, strerror(errno));
	if (rc == 0 && !(j.dir = pond_arena_strdup(j.a, real_dir)))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0) {
		j.stats->tables = (int64_t)json_array_size(json_object_get(manifest, "tables"));
		rc = run(&j, err);
	}
	json_decref(manifest);
	pond__backup_unlock(&lock);
	pond_arena_free(&j.a);
	return rc;
}

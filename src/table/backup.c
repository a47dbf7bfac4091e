/*
 * pond backup: a consistent point in time of a project copied to a folder
 * (layout in include/pond/table.h). The catalog is copied first, as one
 * transaction sees it (pond_catalog_snapshot), to catalog.db.part; the
 * tables are then read from that copy, not from the live catalog, so the
 * files copied are exactly those the copied catalog references, whatever
 * commits meanwhile. The files are immutable, so they are still there
 * unless something deleted them since (an expiry), which fails the backup
 * with the file's name. catalog.db and backup.json are renamed into place
 * last: until then the folder holds the previous backup, whole. A
 * warehouse on S3 is read through the project's S3 client (backup_s3.c):
 * its objects are listed once, after the files are known, and downloaded
 * into warehouse/ by their keys below the warehouse's prefix, so a backup
 * of an S3 warehouse has the layout of a local one.
 */
#include "table_internal.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const pond__backup_project_dirs[] = {"sources", "models", "exports", NULL};

typedef struct backup_file {
	const char *src;   /* where it is now */
	const char *dst;   /* where it goes in the backup */
	bool optional;     /* a metadata file the log names, maybe deleted since */
} backup_file;

typedef struct catalog_row {
	const char *catalog_name, *ns, *name, *metadata_location;
	bool is_view;
} catalog_row;

typedef struct backup_job {
	pond_arena *a;
	const pond_project *project;
	const char *dest;
	const pond_backup_options *opts;
	pond_backup_stats *stats;
	pond__path_map seen;  /* source paths already listed */
	backup_file *files;
	size_t nfiles, capfiles;
	catalog_row *rows;
	size_t nrows, caprows;
	json_t *tables;
	pond__backup_bucket bucket;  /* the S3 warehouse */
	bool s3;                     /* bucket is open */
} backup_job;

/* Where a file goes in the backup: under warehouse/ by its path in the
 * warehouse, else under external/ by its absolute path. */
static const char *dest_of(backup_job *j, const char *src)
{
	const char *wh = j->project->warehouse;
	size_t n = strlen(wh);
	if (strncmp(src, wh, n) == 0 && src[n] == '/')
		return pond_arena_sprintf(j->a, "%s/warehouse%s", j->dest, src + n);
	return pond_arena_sprintf(j->a, "%s/external%s%s", j->dest, src[0] == '/' ? "" : "/", src);
}

/* Lists a file (its real path) once. */
static int add_file(backup_job *j, const char *src, bool optional, pond_error *err)
{
	if (src[0] != '/' && !strstr(src, "://") && !(src = pond_arena_sprintf(j->a, "%s/%s", j->project->root, src)))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	/* An object's place in the backup is its key below the warehouse:
	 * an object elsewhere (another bucket) has none. */
	if (pond_s3_is_url(src) && !pond__path_under(src, j->project->warehouse))
		return pond_error_set(err, POND_EUNSUPPORTED, "cannot back up %s: it is outside the warehouse %s", src,
		                      j->project->warehouse);
	if (pond__path_map_get(&j->seen, src, NULL))
		return 0;
	if (pond__path_map_put(&j->seen, src, 0) != 0)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (j->nfiles == j->capfiles) {
		size_t cap = j->capfiles ? j->capfiles * 2 : 256;
		backup_file *f = pond_reallocarray(j->files, cap, sizeof(*f));
		if (!f)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		j->files = f;
		j->capfiles = cap;
	}
	backup_file *f = &j->files[j->nfiles];
	f->src = pond_arena_strdup(j->a, src);
	f->dst = dest_of(j, src);
	f->optional = optional;
	if (!f->src || !f->dst)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	j->nfiles++;
	return 0;
}

/* Lists a file by its recorded path, resolved through io. */
static int add_recorded(backup_job *j, pond_fileio *io, const char *path, bool optional, pond_error *err)
{
	pond_buf real = POND_BUF_INIT;
	pond_fileio_resolve(io, path, &real);
	int rc = pond_buf_ok(&real) ? add_file(j, pond_buf_cstr(&real), optional, err)
	                            : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&real);
	return rc;
}

/* Lists the files of a set (resolved paths). */
static int add_set(backup_job *j, const pond__path_map *set, pond_error *err)
{
	int rc = 0;
	for (size_t i = 0; i < set->cap && rc == 0; i++)
		if (set->keys[i])
			rc = add_file(j, set->keys[i], false, err);
	return rc;
}

/* Everything the snapshots and statistics reach (reach.c: each manifest
 * read once, live entries only: a DELETED entry's file is live in an older
 * snapshot's manifest, if any snapshot still holds it); ids gets the
 * snapshot ids. */
static int add_snapshots(backup_job *j, pond_fileio *io, const pond_iceberg_metadata *md, json_t *ids,
                         pond_error *err)
{
	pond__reach r;
	int rc = pond__reach_init(&r, io, true, true, err);
	if (rc)
		return rc;
	rc = pond__reach_statistics(&r, md->statistics, err);
	if (rc == 0)
		rc = pond__reach_statistics(&r, md->partition_statistics, err);
	for (size_t s = 0; s < md->nsnapshots && rc == 0; s++) {
		json_array_append_new(ids, json_integer((json_int_t)md->snapshots[s].snapshot_id));
		rc = pond__reach_snapshot(&r, &md->snapshots[s], NULL, err);
	}
	if (rc == 0)
		rc = add_set(j, &r.other, err);
	if (rc == 0)
		rc = add_set(j, &r.lists, err);
	if (rc == 0)
		rc = add_set(j, &r.manifests, err);
	if (rc == 0)
		rc = add_set(j, &r.files, err);
	pond__reach_dispose(&r);
	return rc;
}

/* Lists one catalog row's files and describes it in j->tables. */
static int add_table(backup_job *j, const catalog_row *row, pond_error *err)
{
	const char *label = pond_arena_sprintf(j->a, "%s.%s", row->ns, row->name);
	const char *location = row->metadata_location;
	if (!label)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	/* As pond_table_load: a relative location hangs off the project. */
	if (location[0] != '/' && !strstr(location, "://") &&
	    !(location = pond_arena_sprintf(j->a, "%s/%s", j->project->root, location)))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	bool on_s3 = pond_s3_is_url(location);
	if (on_s3 && !j->s3)
		return pond_error_set(err, POND_EUNSUPPORTED, "cannot back up table %s: its files are on S3 (%s) and the "
		                      "warehouse %s is not", label, location, j->project->warehouse);
	if (!on_s3 && strstr(location, "://") && !pond_str_starts_with(location, "file:/"))
		return pond_error_set(err, POND_EUNSUPPORTED, "cannot back up table %s: its files are not local (%s)",
		                      label, location);
	if (pond_str_starts_with(location, "file://"))
		location += 7;
	else if (pond_str_starts_with(location, "file:/"))
		location += 5;
	if (row->is_view)
		return add_file(j, location, false, err);
	pond_iceberg_metadata *md = NULL;
	pond_fileio *io = NULL;
	int rc = on_s3 ? pond_lake_fileio(j->bucket.lake, location, &io, err) : pond_fileio_local_new(&io, err);
	if (rc == 0)
		rc = pond_fileio_load_metadata(&md, io, location, err);
	if (rc == 0)
		rc = pond_fileio_remap_table(io, md, location, err);
	if (rc == 0)
		rc = add_file(j, location, false, err);
	for (size_t i = 0; md && i < md->nmetadata_log && rc == 0; i++)
		rc = add_recorded(j, io, md->metadata_log[i].metadata_file, true, err);
	json_t *t = json_object(), *ids = json_array();
	if (rc == 0)
		rc = add_snapshots(j, io, md, ids, err);
	if (rc == 0) {
		json_object_set_new(t, "table", json_string(label));
		json_object_set_new(t, "metadata_location", json_string(location));
		json_object_set_new(t, "current_snapshot_id", md->current_snapshot_id == POND_ICEBERG_NO_SNAPSHOT
		                                                      ? json_null()
		                                                      : json_integer(md->current_snapshot_id));
		json_object_set(t, "snapshot_ids", ids);
		json_array_append(j->tables, t);
		j->stats->tables++;
	} else {
		pond_error_prefix(err, "table %s", label);
	}
	json_decref(t);
	json_decref(ids);
	pond_fileio_free(&io);
	pond_iceberg_metadata_free(&md);
	return rc;
}

static int collect_row(int ncols, const char *const *names, const char *const *values, void *payload)
{
	backup_job *j = payload;
	catalog_row r = {0};
	for (int i = 0; i < ncols; i++) {
		const char *v = values[i];
		if (strcmp(names[i], "catalog_name") == 0)
			r.catalog_name = v;
		else if (strcmp(names[i], "table_namespace") == 0)
			r.ns = v;
		else if (strcmp(names[i], "table_name") == 0)
			r.name = v;
		else if (strcmp(names[i], "metadata_location") == 0)
			r.metadata_location = v;
		else if (strcmp(names[i], "iceberg_type") == 0)
			r.is_view = v && strcmp(v, "VIEW") == 0;
	}
	if (!r.ns || !r.name || !r.metadata_location)
		return 0;  /* a table being created by Java (no location yet) */
	if (j->nrows == j->caprows) {
		size_t cap = j->caprows ? j->caprows * 2 : 32;
		catalog_row *n = pond_reallocarray(j->rows, cap, sizeof(*n));
		if (!n)
			return POND_ENOMEM;
		j->rows = n;
		j->caprows = cap;
	}
	r.catalog_name = r.catalog_name ? pond_arena_strdup(j->a, r.catalog_name) : "";
	r.ns = pond_arena_strdup(j->a, r.ns);
	r.name = pond_arena_strdup(j->a, r.name);
	r.metadata_location = pond_arena_strdup(j->a, r.metadata_location);
	if (!r.catalog_name || !r.ns || !r.name || !r.metadata_location)
		return POND_ENOMEM;
	j->rows[j->nrows++] = r;
	return 0;
}

/* Reads the tables of the copied catalog. Rows of other catalog names
 * (other projects sharing the database) are dropped from the copy: their
 * files are not in the backup. */
static int read_tables(backup_job *j, const char *catalog_copy, pond_error *err)
{
	pond_catalog_options co = POND_CATALOG_OPTIONS_INIT;
	co.create_tables = false;
	pond_catalog *cat;
	int rc = pond_catalog_open(&cat, catalog_copy, &co, err);
	if (rc)
		return rc;
	bool has = false, has_ns = false;
	const char *name[] = {j->project->catalog_name};
	rc = pond_catalog_has_table(cat, "iceberg_tables", &has, err);
	if (rc == 0)
		rc = pond_catalog_has_table(cat, "iceberg_namespace_properties", &has_ns, err);
	if (rc == 0 && has)
		rc = pond_catalog_exec(cat, "DELETE FROM iceberg_tables WHERE catalog_name <> ?", name, 1, NULL, err);
	if (rc == 0 && has_ns)
		rc = pond_catalog_exec(cat, "DELETE FROM iceberg_namespace_properties WHERE catalog_name <> ?", name, 1,
		                       NULL, err);
	if (rc == 0 && has)
		rc = pond_catalog_query(cat, "SELECT * FROM iceberg_tables ORDER BY table_namespace, table_name", NULL,
		                        0, collect_row, j, err);
	if (rc == POND_ENOMEM)
		pond_error_set(err, rc, "out of memory");
	pond_catalog_close(&cat);
	return rc;
}

static int cancelled(const backup_job *j, pond_error *err)
{
	if (j->opts->cancel && *j->opts->cancel)
		return pond_error_set(err, POND_ECANCELED, "backup to %s interrupted", j->dest);
	return 0;
}

/* Copies one file (an object: downloads it) unless the backup has it. */
static int copy_file(backup_job *j, const backup_file *f, int64_t *size, bool *copied, pond_error *err)
{
	if (!pond_s3_is_url(f->src))
		return pond__backup_copy(f->src, f->dst, false, size, copied, err);
	/* The listing was made after the catalog was read: an object it
	 * lacks was deleted since. */
	if (!pond__path_map_get(&j->bucket.sizes, f->src, size))
		return POND_ENOTFOUND;
	return pond__backup_download(&j->bucket, f->src, *size, f->dst, copied, err);
}

/* Copies the listed files, skipping those already there. */
static int copy_files(backup_job *j, pond_error *err)
{
	pond_backup_stats *st = j->stats;
	if (j->opts->progress)
		j->opts->progress(st, NULL, j->opts->payload);
	for (size_t i = 0; i < j->nfiles; i++) {
		const backup_file *f = &j->files[i];
		int64_t size = 0;
		bool copied = false;
		int rc = cancelled(j, err);
		if (rc == 0)
			rc = copy_file(j, f, &size, &copied, err);
		if (rc == POND_ENOTFOUND && f->optional) {
			pond_error_clear(err);
			continue;
		}
		if (rc == POND_ENOTFOUND)
			pond__backup_gone(err, f->src);
		if (rc)
			return rc;
		st->files++;
		st->bytes += size;
		st->files_done++;
		if (copied) {
			st->files_copied++;
			st->bytes_copied += size;
		} else {
			st->files_skipped++;
			st->bytes_skipped += size;
		}
		if (j->opts->progress)
			j->opts->progress(st, f->src, j->opts->payload);
	}
	return 0;
}

static bool same_content(const char *a, const char *b)
{
	char *ta = NULL, *tb = NULL;
	size_t la = 0, lb = 0;
	pond_error ignored = POND_ERROR_INIT;
	bool same = pond_file_read(&ta, &la, a, 1 << 24, &ignored) == 0 &&
	            pond_file_read(&tb, &lb, b, 1 << 24, &ignored) == 0 && la == lb && memcmp(ta, tb, la) == 0;
	pond_free(ta);
	pond_free(tb);
	return same;
}

typedef struct project_walk {
	backup_job *j;
	const char *folder;  /* "models": the walk's paths are relative to it */
} project_walk;

static int copy_project_file(const char *rel, int64_t size, void *payload, pond_error *err)
{
	project_walk *pw = payload;
	backup_job *j = pw->j;
	(void)size;
	const char *path = pw->folder ? pond_arena_sprintf(j->a, "%s/%s", pw->folder, rel) : rel;
	const char *src = path ? pond_arena_sprintf(j->a, "%s/%s", j->project->root, path) : NULL;
	const char *dst = path ? pond_arena_sprintf(j->a, "%s/project/%s", j->dest, path) : NULL;
	bool copied;
	int64_t n;
	if (!src || !dst)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	/* Project files are edited in place: the size says nothing, so they
	 * are compared (they are small) and copied when they differ. */
	if (same_content(src, dst))
		return 0;
	return pond__backup_copy(src, dst, true, &n, &copied, err);
}

/* pond.yml and the model folders, as they are now. */
static int copy_project(backup_job *j, pond_error *err)
{
	project_walk pw = {j, NULL};
	int rc = copy_project_file("pond.yml", 0, &pw, err);
	for (size_t i = 0; pond__backup_project_dirs[i] && rc == 0; i++) {
		pw.folder = pond__backup_project_dirs[i];
		const char *dir = pond_arena_sprintf(j->a, "%s/%s", j->project->root, pw.folder);
		rc = dir ? pond__backup_walk(dir, copy_project_file, &pw, err)
		         : pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	return rc;
}

/* backup.json: what the backup holds, written atomically. */
static int write_manifest(backup_job *j, const char *backend, pond_error *err)
{
	char when[40];
	int64_t now_ms = pond_time_now_ms();
	pond_time_format_ms(when, now_ms);
	const pond_backup_stats *st = j->stats;
	json_t *m = json_pack("{s:s, s:i, s:s, s:I, s:s, s:s, s:s, s:s, s:O, s:I, s:I, s:I, s:I, s:I, s:I}",
	                      "format", "pond-backup", "version", 1, "created_at", when, "created_ms",
	                      (json_int_t)now_ms, "project", j->project->name, "project_root", j->project->root,
	                      "warehouse", j->project->warehouse, "catalog", backend, "tables", j->tables,
	                      "files", (json_int_t)st->files, "bytes", (json_int_t)st->bytes, "files_copied",
	                      (json_int_t)st->files_copied, "bytes_copied", (json_int_t)st->bytes_copied,
	                      "files_skipped", (json_int_t)st->files_skipped, "bytes_skipped",
	                      (json_int_t)st->bytes_skipped);
	char *text = m ? pond_json_dumps(m, true) : NULL;
	json_decref(m);
	const char *path = pond_arena_sprintf(j->a, "%s/backup.json", j->dest);
	int rc = text && path ? pond_file_write_atomic(path, text, strlen(text), err)
	                      : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_free(text);
	return rc;
}

/* The steps, in the order that keeps the previous backup whole. */
static int run(backup_job *j, pond_catalog *catalog, pond_error *err)
{
	const char *part = pond_arena_sprintf(j->a, "%s/catalog.db.part", j->dest);
	const char *final = pond_arena_sprintf(j->a, "%s/catalog.db", j->dest);
	if (!part || !final || !(j->tables = json_array()))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	int rc = pond_catalog_snapshot(catalog, part, err);
	if (rc == 0)
		rc = read_tables(j, part, err);
	for (size_t i = 0; i < j->nrows && rc == 0; i++)
		rc = add_table(j, &j->rows[i], err);
	if (rc == 0 && j->s3)
		rc = pond__backup_bucket_list(&j->bucket, err);
	if (rc == 0)
		rc = copy_files(j, err);
	if (rc == 0)
		rc = copy_project(j, err);
	if (rc == 0 && rename(part, final) != 0)
		rc = pond_error_set(err, POND_EIO, "could not rename %s: %s", part, strerror(errno));
	if (rc == 0)
		rc = write_manifest(j, pond_catalog_backend(catalog), err);
	if (rc)
		unlink(part);
	return rc;
}

int pond_backup_run(const pond_project *project, pond_catalog *catalog, const char *dest,
                    const pond_backup_options *opts, pond_backup_stats *stats, pond_error *err)
{
	static const pond_backup_options defaults = POND_BACKUP_OPTIONS_INIT;
	pond_backup_stats local;
	backup_job j = {0};
	j.project = project;
	j.opts = opts ? opts : &defaults;
	j.stats = stats ? stats : &local;
	memset(j.stats, 0, sizeof(*j.stats));
	if (pond_project_is_rest(project))
		return pond_error_set(err, POND_EUNSUPPORTED, "cannot back up a project whose tables are in the REST catalog "
		                      "%s: back up the catalog's server instead", project->catalog_uri);
	if (strstr(dest, "://"))
		return pond_error_set(err, POND_EUNSUPPORTED, "cannot back up into %s: a backup is a local folder (a "
		                      "mounted NAS share, a disk)", dest);
	if (!(j.a = pond_arena_new()))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	int lock = -1;
	int rc = 0;
	char real[PATH_MAX];
	if ((rc = pond_mkdirs(dest, err)) == 0 && !realpath(dest, real))
		rc = pond_error_set(err, POND_EIO, "could not open %s: %s", dest, strerror(errno));
	/* A backup inside the warehouse would back itself up next time. */
	if (rc == 0 && (pond_str_starts_with(real, project->warehouse) &&
	                (real[strlen(project->warehouse)] == '/' || real[strlen(project->warehouse)] == '\0')))
		rc = pond_error_set(err, POND_EINVAL, "cannot back up into %s: it is inside the warehouse", dest);
	if (rc == 0 && pond_s3_is_url(project->warehouse)) {
		rc = pond__backup_bucket_open(&j.bucket, project, project->warehouse, err);
		j.s3 = true;
	}
	if (rc == 0 && !(j.dest = pond_arena_strdup(j.a, real)))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = pond__backup_lock(j.dest, "backup or restore", &lock, err);
	if (rc == 0)
		rc = run(&j, catalog, err);
	pond__backup_unlock(&lock);
	if (j.s3)
		pond__backup_bucket_close(&j.bucket);
	json_decref(j.tables);
	pond_free(j.files);
	pond_free(j.rows);
	pond__path_map_dispose(&j.seen);
	pond_arena_free(&j.a);
	return rc;
}

/*
 * Archiving (pond archive): the data files of old partitions move to a
 * second place, such as a mounted NAS share, and the table's metadata
 * follows them in one "replace" commit; Iceberg paths are absolute, so
 * every reader finds the files at their new place. The files are copied
 * first (backup_files.c: NAME.part, synced, renamed), then the write path
 * (write.c) commits a change that removes each file and adds it back at
 * its new path with its entry as it was: partition, metrics and data
 * sequence number, so delete files apply to it as before. The originals
 * stay for the snapshots before the archive and are deleted with them by
 * expiry. A kill before the commit leaves copies nothing references; a
 * rerun chooses the same files, lands on the same paths and reuses them.
 */
#include "table_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* One file to move. */
typedef struct archive_file {
	const pond_scan_task *task;  /* borrowed from the plan; path resolved */
	const char *to;              /* where it goes */
	bool copied;                 /* this run made the copy */
} archive_file;

typedef struct archive_run {
	pond__write w;
	const pond_archive_options *opts;
	pond_archive_result *out;
	int64_t cutoff_ms;
	char dest[PATH_MAX];         /* absolute, as given (a symbolic link stays one) */
	pond_scan_plan *plan;        /* the main branch's head */
	const pond_iceberg_field *column;  /* opts->column, when the table has it as a date or timestamp */
	pond__path_map recent;       /* by column: files that may hold a value at or after the cut-off */
	archive_file *files;
	size_t nfiles;
} archive_run;

/* ---- the destination ---- */

/* An absolute path with its "." and ".." segments and repeated slashes
 * taken out, in place, by the text alone: the paths recorded for the
 * files must be plain, and a symbolic link (a mount point) stays one. */
static void clean_path(char path[PATH_MAX])
{
	char clean[PATH_MAX];
	size_t n = 0;
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			while (n > 0 && clean[--n] != '/')
				;  /* back over the last segment and its '/' */
		} else if (len > 0 && !(len == 1 && p[0] == '.')) {
			clean[n++] = '/';
			memcpy(clean + n, p, len);
			n += len;
		}
		p += len;
	}
	if (n == 0)
		clean[n++] = '/';
	clean[n] = '\0';
	memcpy(path, clean, n + 1);
}

/* dest made absolute (without trailing slashes) into out, after checking
 * that it can take files: an existing, writable folder outside the
 * warehouse. It is never created: an unmounted share is an empty mount
 * point, and filling that would fill the local disk. */
static int resolve_dest(const pond_project *project, const char *dest, char out[PATH_MAX], pond_error *err)
{
	if (!dest || !*dest)
		return pond_error_set(err, POND_EINVAL, "no archive destination given");
	if (strstr(project->warehouse, "://"))
		return pond_error_set(err, POND_EUNSUPPORTED, "cannot archive tables of warehouse %s: only local warehouses",
		                      project->warehouse);
	char cwd[PATH_MAX];
	int n = dest[0] == '/'               ? snprintf(out, PATH_MAX, "%s", dest)
	        : getcwd(cwd, sizeof cwd) ? snprintf(out, PATH_MAX, "%s/%s", cwd, dest)
	                                     : -1;
	if (n < 0 || n >= PATH_MAX)
		return pond_error_set(err, POND_EINVAL, "archive destination %s: path too long", dest);
	clean_path(out);
	struct stat st;
	if (stat(out, &st) != 0)
		return pond_error_set(err, errno == ENOENT ? POND_ENOTFOUND : POND_EIO,
		                      "archive destination %s is not there (is the share mounted?): %s", out, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return pond_error_set(err, POND_EINVAL, "archive destination %s is not a folder", out);
	char real[PATH_MAX], warehouse[PATH_MAX];
	if (!realpath(out, real) || !realpath(project->warehouse, warehouse))
		return pond_error_set(err, POND_EIO, "could not resolve %s or %s: %s", out, project->warehouse,
		                      strerror(errno));
	if (strcmp(real, warehouse) == 0 || pond__path_under(real, warehouse) || pond__path_under(warehouse, real) ||
	    strcmp(real, "/") == 0)
		return pond_error_set(err, POND_EINVAL, "cannot archive into %s: it holds or is inside the warehouse %s", out,
		                      project->warehouse);
	/* A file made and removed, not access(): a share's permissions (or
	 * root's) can say yes to a write the server refuses. */
	char probe[PATH_MAX + 48];
	snprintf(probe, sizeof probe, "%s/.pond-probe-%016llx", out, (unsigned long long)pond_random_i63());
	int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return pond_error_set(err, POND_EIO, "archive destination %s is not writable: %s", out, strerror(errno));
	close(fd);
	unlink(probe);
	return 0;
}

int pond_table_archive_check(pond_lake *lake, const char *dest, pond_error *err)
{
	char out[PATH_MAX];
	return resolve_dest(lake->project, dest, out, err);
}

/* path's place in the warehouse (borrowed from path), or NULL when it
 * lies outside: archived already, or a file pond did not write there. */
static const char *warehouse_relative(const pond_project *project, const char *path)
{
	const char *wh = project->warehouse;
	size_t n = strlen(wh);
	while (n > 1 && wh[n - 1] == '/')
		n--;
	if (!pond__path_under(path, wh))
		return NULL;
	return path + n + 1;
}

/* ---- which files are old ---- */

static bool is_time(pond_iceberg_type_id t)
{
	return t == POND_ICEBERG_DATE || t == POND_ICEBERG_TIMESTAMP || t == POND_ICEBERG_TIMESTAMPTZ ||
	       t == POND_ICEBERG_TIMESTAMP_NS || t == POND_ICEBERG_TIMESTAMPTZ_NS;
}

/* The column of field id in md's current schema, else in an older one. */
static const pond_iceberg_field *source_column(const pond_iceberg_metadata *md, int32_t id)
{
	const pond_iceberg_field *f = pond_iceberg_schema_find_field(pond_iceberg_metadata_current_schema(md), id);
	for (size_t i = 0; !f && i < md->nschemas; i++)
		f = pond_iceberg_schema_find_field(md->schemas[i], id);
	return f;
}

/* The index of the first field of spec that dates a file (a year, month,
 * day or hour transform, or identity on a date or timestamp column), -1
 * when none does; *source gets the column's type. */
static int time_field(const pond_iceberg_metadata *md, const pond_iceberg_partition_spec *spec,
                      pond_iceberg_type_id *source)
{
	for (size_t i = 0; spec && i < spec->nfields; i++) {
		const pond_iceberg_partition_field *pf = &spec->fields[i];
		const pond_iceberg_field *col = source_column(md, pf->source_id);
		pond_iceberg_transform_kind k = pf->transform.kind;
		if (!col || !is_time(col->type->id))
			continue;
		if (k == POND_ICEBERG_YEAR || k == POND_ICEBERG_MONTH || k == POND_ICEBERG_DAY || k == POND_ICEBERG_IDENTITY ||
		    (k == POND_ICEBERG_HOUR && col->type->id != POND_ICEBERG_DATE)) {
			*source = col->type->id;
			return (int)i;
		}
	}
	return -1;
}

/* The cut-off as a value of a date or timestamp type: a date is the day
 * it falls in (a day before it is wholly before the cut-off). */
static pond_iceberg_literal cutoff_value(pond_iceberg_type_id type, int64_t ms)
{
	pond_iceberg_literal v;
	memset(&v, 0, sizeof(v));
	v.type = type;
	if (type == POND_ICEBERG_DATE)
		v.v.i32 = (int32_t)(ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000));
	else if (type == POND_ICEBERG_TIMESTAMP_NS || type == POND_ICEBERG_TIMESTAMPTZ_NS)
		v.v.i64 = ms * 1000000;
	else
		v.v.i64 = ms * 1000;
	return v;
}

/* A date, timestamp or transform result as a number (dates, years,
 * months, days and hours are 32-bit; manifests of other writers may
 * type a day as int or date). */
static int64_t time_number(const pond_iceberg_literal *v)
{
	return v->type == POND_ICEBERG_DATE || v->type == POND_ICEBERG_INT ? v->v.i32 : v->v.i64;
}

/* Whether the partition value of field (of spec, on a column of type
 * source) covers only time before the cut-off: a partition holds
 * [start(p), start(p + 1)), which ends at or before the cut-off exactly
 * when p is below the cut-off's own partition. */
static bool partition_old(const pond_scan_task *t, const pond_iceberg_partition_field *pf, size_t field,
                          pond_iceberg_type_id source, int64_t cutoff_ms)
{
	if (field >= t->npartition || t->partition[field].is_null)
		return false;
	pond_iceberg_literal cut = cutoff_value(source, cutoff_ms), edge;
	pond_error ignored = POND_ERROR_INIT;
	if (pond_iceberg_transform_apply(&edge, pf->transform, &cut, &ignored) != 0)
		return false;
	return time_number(&t->partition[field]) < time_number(&edge);
}

/* For dating files by opts->column: the head's files that may hold a
 * value at or after the cut-off, or a null, into r->recent, as the
 * planner's metrics pruning sees them (what it cannot rule out stays
 * recent, so a file without statistics is never old). */
static int plan_recent(archive_run *r, pond_error *err)
{
	pond_arena *a = r->w.arena;
	const char *name = r->column->name;
	pond_expr *filter = pond_expr_or(a, pond_expr_compare(a, POND_EXPR_GE, name, cutoff_value(r->column->type->id,
	                                                                                            r->cutoff_ms)),
	                                 pond_expr_is_null(a, name));
	if (!filter)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	so.has_snapshot_id = true;
	so.snapshot_id = r->plan->snapshot_id;
	so.filter = filter;
	pond_scan_plan *plan = NULL;
	int rc = pond_scan_plan_files(&plan, r->w.md, r->w.io, &so, err);
	for (size_t i = 0; rc == 0 && i < plan->ntasks; i++)
		if (pond__path_map_put(&r->recent, plan->tasks[i].path, 1) != 0)
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_scan_plan_free(&plan);
	return rc;
}

/* Whether t is old: by its partition, else by the column; *dated says
 * whether either could tell. */
static bool file_old(archive_run *r, const pond_scan_task *t, bool *dated)
{
	const pond_iceberg_metadata *md = r->w.md;
	const pond_iceberg_partition_spec *spec = pond_iceberg_metadata_spec(md, t->spec_id);
	pond_iceberg_type_id source;
	int field = time_field(md, spec, &source);
	*dated = field >= 0 || r->column;
	if (field >= 0)
		return partition_old(t, &spec->fields[field], (size_t)field, source, r->cutoff_ms);
	return r->column && !pond__path_map_get(&r->recent, t->path, NULL);
}

static bool has_position_delete(const pond_scan_task *t)
{
	for (size_t d = 0; d < t->ndeletes; d++)
		if (t->deletes[d]->content == POND_CONTENT_POSITION_DELETES)
			return true;
	return false;
}

/* r->files: the head's old files in the warehouse; the counts of out. */
static int choose(archive_run *r, pond_error *err)
{
	const pond_scan_plan *plan = r->plan;
	pond_archive_result *out = r->out;
	const pond_project *project = r->w.lake->project;
	r->files = pond_arena_calloc(r->w.arena, plan->ntasks + 1, sizeof(*r->files));
	if (!r->files)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pond__path_map partitions = {0};
	size_t dated = 0, undated = 0;
	int rc = 0;
	for (size_t i = 0; i < plan->ntasks && rc == 0; i++) {
		const pond_scan_task *t = &plan->tasks[i];
		const char *rel = warehouse_relative(project, t->path);
		bool is_dated;
		if (!rel)
			continue;
		bool old = file_old(r, t, &is_dated);
		dated += is_dated;
		undated += !is_dated;
		if (!old)
			continue;
		if (has_position_delete(t)) {
			out->kept_files++;
			continue;
		}
		r->files[r->nfiles++].task = t;
		if (pond__write_partition_key(&partitions, t->spec_id, t->partition, t->npartition) != 0)
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		out->files++;
		out->bytes += t->file_size_in_bytes;
		out->records += t->record_count;
	}
	out->partitions = (int64_t)partitions.n;
	pond__path_map_dispose(&partitions);
	if (rc == 0 && dated == 0 && undated > 0)
		out->skipped = r->opts->column ? "no time partition, and the column given is not a date or timestamp "
		                                 "column of the table"
		                               : "no time partition (year, month, day or hour, or identity on a date or "
		                                 "timestamp); a column can date its files instead";
	return rc;
}

/* ---- copying ---- */

/* Room for the copies at the destination. */
static int check_room(archive_run *r, pond_error *err)
{
	struct statvfs vfs;
	if (statvfs(r->dest, &vfs) != 0)
		return 0;  /* the copies will say */
	int64_t free_bytes = (int64_t)vfs.f_bavail * (int64_t)vfs.f_frsize;
	if (free_bytes >= r->out->bytes)
		return 0;
	return pond_error_set(err, POND_EIO, "archive destination %s has %lld bytes free, %lld needed", r->dest,
	                      (long long)free_bytes, (long long)r->out->bytes);
}

/* Flushes the folder entries of the copies: a rename is durable only
 * once its folder is. Network file systems may refuse: nothing to do then. */
static void sync_folders(const archive_run *r)
{
	char dir[PATH_MAX], last[PATH_MAX] = "";
	for (size_t i = 0; i < r->nfiles; i++) {
		snprintf(dir, sizeof dir, "%s", r->files[i].to);
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		if (!slash || strcmp(dir, last) == 0)
			continue;  /* files of a folder come one after another */
		snprintf(last, sizeof last, "%s", dir);
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			(void)fsync(fd);
			close(fd);
		}
	}
}

/* Copies (or reuses) every chosen file, checking each against the size
 * the table records. */
static int copy_files(archive_run *r, pond_error *err)
{
	const pond_archive_options *o = r->opts;
	pond_archive_progress p = {r->w.name, r->out->files, r->out->bytes, 0, 0, NULL};
	int rc = 0;
	for (size_t i = 0; i < r->nfiles && rc == 0; i++) {
		archive_file *f = &r->files[i];
		int64_t want = f->task->file_size_in_bytes, size = 0;
		struct stat st;
		if (o->cancel && *o->cancel)
			return pond_error_set(err, POND_ECANCELED, "interrupted: nothing was committed");
		if ((rc = pond__backup_copy(f->task->path, f->to, false, &size, &f->copied, err)) != 0)
			break;
		if (size != want || stat(f->to, &st) != 0 || st.st_size != want)
			rc = pond_error_set(err, POND_ECORRUPT, "copy of %s to %s has %lld bytes, the table records %lld",
			                    f->task->path, f->to, (long long)(size != want ? size : st.st_size), (long long)want);
		if (f->copied) {
			r->out->files_copied++;
			r->out->bytes_copied += size;
		}
		p.files_done++;
		p.bytes_done += size;
		p.path = f->to;
		if (rc == 0 && o->progress)
			o->progress(&p, o->payload);
	}
	if (rc == 0)
		sync_folders(r);
	return rc;
}

/* After a failure: removes the copies this run made, but none the table
 * references (a commit whose outcome an error hides). When the table
 * cannot be read, they stay; a rerun reuses them. */
static void remove_copies(archive_run *r)
{
	size_t made = 0;
	for (size_t i = 0; i < r->nfiles; i++)
		made += r->files[i].copied;
	if (!made)
		return;
	pond_error ignored = POND_ERROR_INIT;
	pond_table *t = NULL;
	pond__reach reach;
	if (pond_table_load(&t, r->w.lake, r->w.id, &ignored) != 0)
		return;
	if (pond__reach_init(&reach, r->w.io, true, false, &ignored) == 0) {
		if (pond__reach_table(&reach, t->metadata, t->metadata_location, &ignored) == 0)
			for (size_t i = 0; i < r->nfiles; i++)
				if (r->files[i].copied && !pond__path_map_get(&reach.files, r->files[i].to, NULL))
					unlink(r->files[i].to);
		pond__reach_dispose(&reach);
	}
	pond_table_free(&t);
}

/* ---- the archive folder of a table ---- */

/* What a marker holds: the table's uuid (its location when it has none). */
static const char *table_key(const pond_iceberg_metadata *md)
{
	return md->table_uuid ? md->table_uuid : md->location;
}

bool pond__archive_root(const char *path, const pond_iceberg_metadata *md, pond_buf *root)
{
	char dir[PATH_MAX], marker[PATH_MAX + 32];
	if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
		return false;
	for (int depth = 0; depth < 64; depth++) {
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return false;
		*slash = '\0';
		snprintf(marker, sizeof marker, "%s/" POND__ARCHIVE_MARKER, dir);
		char *text = NULL;
		size_t len = 0;
		pond_error ignored = POND_ERROR_INIT;
		if (pond_file_read(&text, &len, marker, 4096, &ignored) != 0)
			continue;
		const char *key = table_key(md);
		bool mine = len >= strlen(key) && strncmp(text, key, strlen(key)) == 0 &&
		            (text[strlen(key)] == '\n' || text[strlen(key)] == '\0');
		pond_free(text);
		if (mine) {
			pond_buf_clear(root);
			pond_buf_puts(root, dir);
		}
		return mine && pond_buf_ok(root);
	}
	return false;
}

/* ---- the run ---- */

/* The folder of the table's copies, DEST/<its place in the warehouse>,
 * created, marked as this table's (expiry deletes archived files the
 * table no longer needs only inside such folders) and locked: one archive
 * of a table at a time (two would write the same NAME.part files). */
static int lock_table_folder(archive_run *r, int *lock, pond_error *err)
{
	pond_buf loc = POND_BUF_INIT;
	pond_fileio_resolve(r->w.io, r->w.md->location, &loc);
	const char *rel = pond_buf_ok(&loc) ? warehouse_relative(r->w.lake->project, pond_buf_cstr(&loc)) : NULL;
	const char *folder = rel ? pond_arena_sprintf(r->w.arena, "%s/%s", r->dest, rel) : NULL;
	const char *marker = folder ? pond_arena_sprintf(r->w.arena, "%s/" POND__ARCHIVE_MARKER, folder) : NULL;
	const char *key = pond_arena_sprintf(r->w.arena, "%s\n", table_key(r->w.md));
	pond_buf_dispose(&loc);
	if (!rel)
		return pond_error_set(err, POND_EINVAL, "cannot archive %s: its folder is outside the warehouse", r->w.name);
	int rc = marker && key ? pond_mkdirs(folder, err) : pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = pond__backup_lock(folder, "archive of this table", lock, err);
	if (rc == 0 && !pond_file_exists(marker))
		rc = pond_file_write_atomic(marker, key, strlen(key), err);
	return rc;
}

/* Commits the move: each file out, and in again at its new path. */
static int commit_moves(archive_run *r, pond_error *err)
{
	const char **from = pond_arena_calloc(r->w.arena, r->nfiles, sizeof(char *));
	const char **to = pond_arena_calloc(r->w.arena, r->nfiles, sizeof(char *));
	if (!from || !to)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->nfiles; i++) {
		from[i] = r->files[i].task->path;
		to[i] = r->files[i].to;
	}
	pond__change change;
	memset(&change, 0, sizeof(change));
	change.operation = "replace";
	change.remove_files = from;
	change.nremove_files = r->nfiles;
	change.move_to = to;
	change.read_snapshot_id = r->plan->snapshot_id;
	pond_write_result wr;
	int rc = pond__write_commit_change(&r->w, &change, &wr, err);
	if (rc == 0)
		r->out->snapshot_id = wr.snapshot_id;
	return rc;
}

/* Copies, commits, and says what the originals free. */
static int move_files(archive_run *r, pond_error *err)
{
	int lock = -1;
	int rc = check_room(r, err);
	if (rc == 0)
		rc = lock_table_folder(r, &lock, err);
	if (rc == 0)
		rc = copy_files(r, err);
	if (rc == 0)
		rc = commit_moves(r, err);
	if (rc)
		remove_copies(r);
	pond__backup_unlock(&lock);
	/* The commit's own upkeep may have expired the snapshots before it. */
	for (size_t i = 0; rc == 0 && i < r->nfiles; i++) {
		struct stat st;
		if (stat(r->files[i].task->path, &st) != 0)
			r->out->bytes_freed += r->files[i].task->file_size_in_bytes;
		else
			r->out->bytes_on_expiry += r->files[i].task->file_size_in_bytes;
	}
	return rc;
}

/* The run's cut-off and, when asked for, the column that dates files. */
static int archive_setup(archive_run *r, pond_error *err)
{
	const pond_archive_options *o = r->opts;
	if (o->older_than_ms <= 0)
		return pond_error_set(err, POND_EINVAL, "the archive age must be more than 0");
	r->cutoff_ms = (o->now_ms ? o->now_ms : pond_time_now_ms()) - o->older_than_ms;
	if (o->column) {
		const pond_iceberg_field *col = pond_iceberg_schema_find_name(r->w.schema, o->column);
		if (col && is_time(col->type->id))
			r->column = col;
	}
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	int rc = pond_scan_plan_files(&r->plan, r->w.md, r->w.io, &so, err);
	if (rc == 0 && r->column && r->plan->ntasks)
		rc = plan_recent(r, err);
	return rc;
}

int pond_table_archive(pond_lake *lake, const pond_table_ident *id, const pond_archive_options *opts,
                       pond_archive_result *out, pond_error *err)
{
	memset(out, 0, sizeof(*out));
	archive_run r;
	memset(&r, 0, sizeof(r));
	r.opts = opts;
	r.out = out;
	pond_write_options wo = POND_WRITE_OPTIONS_INIT;
	wo.cancel = opts->cancel;
	int rc = pond__write_begin(&r.w, lake, id, &wo, err);
	if (rc)
		return rc;
	if ((rc = archive_setup(&r, err)) == 0)
		rc = choose(&r, err);
	/* The destination is checked only when a file would go there, so
	 * that tables with nothing to move do not fail on an unmounted share. */
	if (rc == 0 && r.nfiles)
		rc = resolve_dest(lake->project, opts->dest, r.dest, err);
	for (size_t i = 0; rc == 0 && i < r.nfiles; i++) {
		const char *rel = warehouse_relative(lake->project, r.files[i].task->path);
		if (!(r.files[i].to = pond_arena_sprintf(r.w.arena, "%s/%s", r.dest, rel)))
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	if (rc == 0 && opts->progress && r.nfiles) {
		pond_archive_progress p = {r.w.name, out->files, out->bytes, 0, 0, NULL};
		opts->progress(&p, opts->payload);
	}
	if (rc == 0 && r.nfiles && !opts->dry_run)
		rc = move_files(&r, err);
	if (rc)
		pond__write_error(&r.w, err, "archive");
	pond__path_map_dispose(&r.recent);
	pond_scan_plan_free(&r.plan);
	pond__write_end(&r.w);
	return rc;
}

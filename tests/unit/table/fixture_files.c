/*
 * The files of a fixture's table (fixture.h): its plan, delete files
 * written as another engine writes them, and its rows compared with a
 * reference query.
 */
#include "../test.h"
#include "fixture.h"

#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "table/table_internal.h"

const char *fx_diff_rows(table_fixture *f, int64_t snapshot, const char *other_sql)
{
	pond_error err = POND_ERROR_INIT;
	pond_table *t = fx_load(f);
	if (!t)
		return "(load failed)";
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	so.has_snapshot_id = snapshot != 0;
	so.snapshot_id = snapshot;
	pond_buf scan = POND_BUF_INIT, q = POND_BUF_INIT;
	char *v = NULL;
	const char *out = "(scan failed)";
	if (pond_table_scan_sql(&scan, f->lake, t, &so, &err) == 0) {
		const char *s = pond_buf_cstr(&scan);
		pond_buf_printf(&q, "select (select count(*) from (select * from (%s) except all select * from (%s))) || ' ' || "
		                "(select count(*) from (select * from (%s) except all select * from (%s)))",
		                s, other_sql, other_sql, s);
		out = pond_engine_query_string(pond_lake_engine(f->lake), pond_buf_cstr(&q), &v, &err) == 0
		              ? pond_arena_strdup(f->a, v ? v : "NULL")
		              : "(query failed)";
	}
	if (err.code)
		fprintf(stderr, "    diff: %s\n", err.msg);
	pond_free(v);
	pond_buf_dispose(&scan);
	pond_buf_dispose(&q);
	pond_table_free(&t);
	return out;
}

const char *fx_snapshot_sql(table_fixture *f, int64_t snapshot)
{
	pond_error err = POND_ERROR_INIT;
	pond_table *t = fx_load(f);
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	so.has_snapshot_id = true;
	so.snapshot_id = snapshot;
	pond_buf scan = POND_BUF_INIT;
	const char *out = t && pond_table_scan_sql(&scan, f->lake, t, &so, &err) == 0
	                          ? pond_arena_strdup(f->a, pond_buf_cstr(&scan))
	                          : "select 'scan failed'";
	pond_buf_dispose(&scan);
	pond_table_free(&t);
	return out;
}

int fx_engine_exec(table_fixture *f, const char *sql)
{
	pond_error err = POND_ERROR_INIT;
	int rc = pond_engine_exec(pond_lake_engine(f->lake), sql, &err);
	if (rc)
		fprintf(stderr, "    exec: %s\n", err.msg);
	return rc;
}

pond_scan_plan *fx_current_plan(table_fixture *f, pond_fileio **io)
{
	pond_error err = POND_ERROR_INIT;
	pond_table *t = fx_load(f);
	pond_scan_plan *plan = NULL;
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	if (!t || pond_fileio_local_new(io, &err) != 0 ||
	    pond_fileio_remap_table(*io, t->metadata, t->metadata_location, &err) != 0 ||
	    pond_scan_plan_files(&plan, t->metadata, *io, &so, &err) != 0)
		fprintf(stderr, "    plan: %s\n", err.msg);
	pond_table_free(&t);
	return plan;
}

/* The current plan's data (or delete) files; -1 when it cannot be read. */
static int64_t count_planned(table_fixture *f, bool deletes)
{
	pond_fileio *io = NULL;
	pond_scan_plan *plan = fx_current_plan(f, &io);
	int64_t n = !plan ? -1 : deletes ? (int64_t)plan->ndeletes : (int64_t)plan->ntasks;
	pond_scan_plan_free(&plan);
	pond_fileio_free(&io);
	return n;
}

int64_t fx_count_data_files(table_fixture *f)
{
	return count_planned(f, false);
}

int64_t fx_count_delete_files(table_fixture *f)
{
	return count_planned(f, true);
}

static int64_t files_seen;
static const char *files_suffix;

static int count_file(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)ftw;
	files_seen += flag == FTW_F && (!files_suffix || pond_str_ends_with(path, files_suffix));
	return 0;
}

int64_t fx_count_files(const char *dir, const char *suffix)
{
	files_seen = 0;
	files_suffix = suffix;
	return nftw(dir, count_file, 16, FTW_PHYS) == 0 ? files_seen : -1;
}

/* ---- delete files, as another engine writes them ---- */

typedef struct delete_commit {
	pond_fileio *io;
	pond_manifest_file manifest;
} delete_commit;

/* Adds the delete manifest to the branch head's manifests in one snapshot. */
static int build_delete(const pond_iceberg_metadata *base, pond_arena *a, pond_iceberg_requirement **reqs,
                        size_t *nreqs, pond_iceberg_update **ups, size_t *nups, void *payload, pond_error *err)
{
	delete_commit *d = payload;
	const pond_iceberg_snapshot *parent = pond_iceberg_metadata_current_snapshot(base);
	pond_manifest_file *ms = NULL;
	size_t n = 0;
	int rc = pond_snapshot_manifests(&ms, &n, d->io, parent, a, err);
	if (rc)
		return rc;
	pond_iceberg_snapshot *snap = pond_arena_calloc(a, 1, sizeof(*snap));
	snap->snapshot_id = pond_random_i63();
	snap->has_parent = true;
	snap->parent_snapshot_id = parent->snapshot_id;
	snap->sequence_number = base->last_sequence_number + 1;
	snap->timestamp_ms = pond_time_now_ms();
	snap->operation = "delete";
	snap->has_schema_id = true;
	snap->schema_id = base->current_schema_id;
	snap->manifest_list = pond_arena_sprintf(a, "%s/metadata/snap-%" PRId64 "-del.avro", base->location,
	                                         snap->snapshot_id);
	pond_manifest_list_writer_options lo = POND_MANIFEST_LIST_WRITER_OPTIONS_INIT;
	lo.snapshot_id = snap->snapshot_id;
	lo.has_parent_snapshot_id = true;
	lo.parent_snapshot_id = parent->snapshot_id;
	lo.sequence_number = snap->sequence_number;
	pond_manifest_list_writer *lw;
	if ((rc = pond_manifest_list_writer_open(&lw, d->io, snap->manifest_list, &lo, err)) != 0)
		return rc;
	pond_manifest_file mine = d->manifest;
	mine.sequence_number = mine.min_sequence_number = POND_MANIFEST_UNASSIGNED_SEQ;
	rc = pond_manifest_list_writer_add(lw, &mine, err);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = pond_manifest_list_writer_add(lw, &ms[i], err);
	if (rc == 0)
		rc = pond_manifest_list_writer_finish(lw, err);
	pond_manifest_list_writer_free(&lw);
	pond_iceberg_update *u = pond_arena_calloc(a, 2, sizeof(*u));
	pond_iceberg_requirement *r = pond_arena_calloc(a, 1, sizeof(*r));
	u[0].action = POND_ICEBERG_ADD_SNAPSHOT;
	u[0].snapshot = snap;
	u[1].action = POND_ICEBERG_SET_SNAPSHOT_REF;
	u[1].ref = (pond_iceberg_ref){"main", false, snap->snapshot_id, -1, -1, -1};
	r[0].type = POND_ICEBERG_ASSERT_REF_SNAPSHOT_ID;
	r[0].ref = "main";
	r[0].has_snapshot_id = true;
	r[0].snapshot_id = parent->snapshot_id;
	*ups = u;
	*nups = 2;
	*reqs = r;
	*nreqs = 1;
	return rc;
}

int fx_add_delete_file(table_fixture *f, pond_lake *lake, pond_file_content content, const char *rows_sql,
                       int32_t eq_field, const char *referenced, const pond_iceberg_literal *partition)
{
	pond_error err = POND_ERROR_INIT;
	pond_table *t = fx_load(f);
	if (!t)
		return -1;
	const pond_iceberg_metadata *md = t->metadata;
	char uuid[37];
	pond_uuid_v4_string(uuid);
	const char *path = pond_arena_sprintf(f->a, "%s/data/delete-%s.parquet", md->location, uuid);
	const pond_iceberg_field *col = pond_iceberg_schema_find_field(pond_iceberg_metadata_current_schema(md), eq_field);
	const char *ids = content == POND_CONTENT_POSITION_DELETES
	                          ? "{file_path: 2147483546, pos: 2147483545}"
	                          : pond_arena_sprintf(f->a, "{\"%s\": %d}", col ? col->name : "?", eq_field);
	const char *copy = pond_arena_sprintf(f->a, "COPY (%s) TO '%s' (FORMAT parquet, FIELD_IDS %s)", rows_sql, path, ids);
	delete_commit d = {0};
	int64_t nrows = 0;
	struct stat st;
	int rc = fx_engine_exec(f, copy);
	if (rc == 0)
		rc = pond_engine_query_int(pond_lake_engine(f->lake),
		                           pond_arena_sprintf(f->a, "select count(*) from '%s'", path), &nrows, &err);
	if (rc == 0 && stat(path, &st) != 0)
		rc = -1;
	pond_manifest_writer *mw = NULL;
	pond_manifest_writer_options mo = POND_MANIFEST_WRITER_OPTIONS_INIT;
	mo.schema = pond_iceberg_metadata_current_schema(md);
	mo.spec = pond_iceberg_metadata_default_spec(md);
	mo.content = POND_MANIFEST_CONTENT_DELETES;
	mo.snapshot_id = 0;
	const char *mpath = pond_arena_sprintf(f->a, "%s/metadata/%s-del-m0.avro", md->location, uuid);
	if (rc == 0)
		rc = pond_fileio_local_new(&d.io, &err);
	if (rc == 0)
		rc = pond_manifest_writer_open(&mw, d.io, mpath, &mo, &err);
	if (rc == 0) {
		pond_manifest_entry e;
		memset(&e, 0, sizeof(e));
		e.status = POND_MANIFEST_ADDED;
		e.data_file.content = content;
		e.data_file.file_path = path;
		e.data_file.file_format = "PARQUET";
		e.data_file.record_count = nrows;
		e.data_file.file_size_in_bytes = st.st_size;
		e.data_file.nequality_ids = content == POND_CONTENT_EQUALITY_DELETES;
		e.data_file.equality_ids = &eq_field;
		e.data_file.referenced_data_file = referenced;
		e.data_file.spec_id = mo.spec->spec_id;
		e.data_file.npartition = partition ? mo.spec->nfields : 0;
		e.data_file.partition = (pond_iceberg_literal *)partition;
		rc = pond_manifest_writer_add(mw, &e, &err);
	}
	if (rc == 0)
		rc = pond_manifest_writer_finish(mw, &d.manifest, f->a, &err);
	pond_manifest_writer_free(&mw);
	if (rc == 0)
		rc = pond_table_commit(lake, &f->id, build_delete, &d, NULL, NULL, &err);
	if (rc)
		fprintf(stderr, "    add delete file: %s\n", err.msg);
	pond_fileio_free(&d.io);
	pond_table_free(&t);
	return rc;
}

const char *fx_file_of_id(table_fixture *f, int64_t id)
{
	char buf[64];
	snprintf(buf, sizeof buf, "%" PRId64, id);
	pond_fileio *io = NULL;
	pond_scan_plan *plan = fx_current_plan(f, &io);
	const char *found = NULL;
	for (size_t i = 0; plan && i < plan->ntasks && !found; i++) {
		const char *q = pond_arena_sprintf(f->a, "select count(*) from read_parquet('%s') where id = %s",
		                                   plan->tasks[i].path, buf);
		int64_t n = 0;
		pond_error err = POND_ERROR_INIT;
		if (pond_engine_query_int(pond_lake_engine(f->lake), q, &n, &err) == 0 && n > 0)
			found = pond_arena_strdup(f->a, plan->tasks[i].path);
	}
	pond_scan_plan_free(&plan);
	pond_fileio_free(&io);
	return found;
}

const char *fx_write_bytes(table_fixture *f, const char *name, const char *bytes, size_t n)
{
	const char *path = pond_arena_sprintf(f->a, "%s/%s", pond_test_tmpdir(), name);
	FILE *fp = path ? fopen(path, "wb") : NULL;
	if (!fp)
		return NULL;
	bool ok = fwrite(bytes, 1, n, fp) == n;
	ok &= fclose(fp) == 0;
	return ok ? path : NULL;
}

const char *fx_write_text(table_fixture *f, const char *name, const char *text)
{
	return fx_write_bytes(f, name, text, strlen(text));
}

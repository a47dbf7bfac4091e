/*
 * Appends: DuckDB writes the rows as Parquet files (split by the table's
 * partition spec) and reports their statistics; those become one manifest;
 * each commit attempt writes a manifest list holding that manifest and the
 * parent snapshot's manifests, and adds a snapshot on the main branch.
 */
#include "table_internal.h"

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The SQL expression computing a partition field's value from its source
 * column, as the transform's result (an integer for the time transforms),
 * or NULL for identity (the column itself is the partition column). */
static int partition_expr(const char **out, const pond_iceberg_partition_field *pf, const pond_iceberg_field *src,
                          pond_arena *a, pond_error *err)
{
	pond_buf col = POND_BUF_INIT;
	pond_sql_quote_ident(&col, src->name);
	const char *c = pond_arena_strdup(a, pond_buf_cstr(&col));
	pond_buf_dispose(&col);
	pond_iceberg_type_id t = src->type->id;
	bool is_date = t == POND_ICEBERG_DATE;
	const char *ts_us = t == POND_ICEBERG_TIMESTAMPTZ ? "epoch_us(%s)" : "epoch_us(CAST(%s AS TIMESTAMP))";
	switch (pf->transform.kind) {
	case POND_ICEBERG_IDENTITY:
		*out = NULL;
		return 0;
	case POND_ICEBERG_VOID:
		*out = "CAST(NULL AS INTEGER)";
		return 0;
	case POND_ICEBERG_YEAR:
		*out = pond_arena_sprintf(a, "(year(CAST(%s AS DATE)) - 1970)", c);
		return 0;
	case POND_ICEBERG_MONTH:
		*out = pond_arena_sprintf(a, "((year(CAST(%s AS DATE)) - 1970) * 12 + month(CAST(%s AS DATE)) - 1)", c, c);
		return 0;
	case POND_ICEBERG_DAY:
		/* The day transform's result is a date (as Java writes it); the
		 * engine's session time zone is UTC, so timestamptz casts in UTC. */
		*out = is_date ? c : pond_arena_sprintf(a, "CAST(%s AS DATE)", c);
		return 0;
	case POND_ICEBERG_HOUR:
		*out = pond_arena_sprintf(a, "CAST(floor(%s / 3600000000.0) AS INTEGER)", pond_arena_sprintf(a, ts_us, c));
		return 0;
	case POND_ICEBERG_TRUNCATE:
		if (t == POND_ICEBERG_INT || t == POND_ICEBERG_LONG) {
			int w = pf->transform.param;
			*out = pond_arena_sprintf(a, "(%s - (((%s %% %d) + %d) %% %d))", c, c, w, w, w);
			return 0;
		}
		if (t == POND_ICEBERG_STRING) {
			*out = pond_arena_sprintf(a, "substring(%s, 1, %d)", c, pf->transform.param);
			return 0;
		}
		break;
	default:
		break;
	}
	char name[32];
	pond_iceberg_transform_format(name, pf->transform);
	return pond_error_set(err, POND_EUNSUPPORTED, "writing to partition field \"%s\" (%s) is not supported yet",
	                      pf->name, name);
}

/* Fills the write options' partition columns for spec. */
static int partition_columns(pond_parquet_write_options *o, const pond_iceberg_partition_spec *spec,
                             const pond_iceberg_schema *schema, pond_arena *a, pond_error *err)
{
	if (!spec || spec->nfields == 0)
		return 0;
	const char **names = pond_arena_calloc(a, spec->nfields, sizeof(char *));
	const char **exprs = pond_arena_calloc(a, spec->nfields, sizeof(char *));
	if (!names || !exprs)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < spec->nfields; i++) {
		const pond_iceberg_partition_field *pf = &spec->fields[i];
		const pond_iceberg_field *src = pond_iceberg_schema_find_field(schema, pf->source_id);
		if (!src)
			return pond_error_set(err, POND_ECORRUPT, "partition field \"%s\" refers to missing column id %d",
			                      pf->name, pf->source_id);
		int rc = partition_expr(&exprs[i], pf, src, a, err);
		if (rc)
			return rc;
		names[i] = exprs[i] ? pf->name : src->name;
	}
	o->npartitions = spec->nfields;
	o->partition_names = names;
	o->partition_exprs = exprs;
	return 0;
}

/* SELECT casting the query's columns, by position, to the table's. */
static int cast_select(pond_buf *sql, pond_engine *e, const char *select_sql, const pond_iceberg_schema *schema,
                       const char *table, pond_arena *a, pond_error *err)
{
	pond_iceberg_schema *qs;
	int rc = pond_engine_query_schema(e, select_sql, a, &qs, err);
	if (rc)
		return rc;
	const pond_iceberg_type *root = schema->root;
	if (qs->root->nfields != root->nfields)
		return pond_error_set(err, POND_EINVAL, "table %s has %zu columns but the query returns %zu", table,
		                      root->nfields, qs->root->nfields);
	pond_buf_puts(sql, "SELECT ");
	for (size_t i = 0; i < root->nfields; i++) {
		if (i)
			pond_buf_puts(sql, ", ");
		pond_buf_printf(sql, "CAST(#%zu AS ", i + 1);
		pond_engine_iceberg_type_sql(sql, root->fields[i].type);
		pond_buf_puts(sql, ") AS ");
		pond_sql_quote_ident(sql, root->fields[i].name);
	}
	pond_buf_printf(sql, " FROM (%s)", select_sql);
	return 0;
}

static int bound_from_text(pond_column_bound *out, int32_t field_id, const pond_iceberg_type *type, const char *text,
                           pond_arena *a)
{
	pond_iceberg_literal lit;
	pond_error ignored = POND_ERROR_INIT;
	/* Long strings are left without bounds: a bound must be exact. */
	if (!text || (type->id == POND_ICEBERG_STRING && strlen(text) > 64) || type->id == POND_ICEBERG_BINARY ||
	    type->id == POND_ICEBERG_FIXED)
		return 0;
	if (pond_iceberg_literal_from_text(&lit, type, text, a, &ignored) != 0)
		return 0;
	if ((lit.type == POND_ICEBERG_DOUBLE && lit.v.f64 != lit.v.f64) ||
	    (lit.type == POND_ICEBERG_FLOAT && lit.v.f32 != lit.v.f32))
		return 0;
	pond_buf b = POND_BUF_INIT;
	pond_iceberg_bound_encode(&b, &lit);
	out->field_id = field_id;
	out->len = b.len;
	out->ptr = pond_arena_memdup(a, b.ptr ? b.ptr : "", b.len);
	pond_buf_dispose(&b);
	return out->ptr ? 1 : -1;
}

/* A written file as a manifest's data file. */
static int to_data_file(pond_data_file *df, const pond_written_file *wf, const pond_iceberg_schema *schema,
                        const pond_iceberg_partition_spec *spec, pond_iceberg_type *const *ptypes, pond_arena *a,
                        pond_error *err)
{
	memset(df, 0, sizeof(*df));
	df->content = POND_CONTENT_DATA;
	df->file_path = wf->path;
	df->file_format = "PARQUET";
	df->spec_id = spec ? spec->spec_id : 0;
	df->record_count = wf->record_count;
	df->file_size_in_bytes = wf->file_size;
	size_t n = wf->ncolumns;
	df->column_sizes = pond_arena_calloc(a, n + 1, sizeof(pond_column_count));
	df->value_counts = pond_arena_calloc(a, n + 1, sizeof(pond_column_count));
	df->null_value_counts = pond_arena_calloc(a, n + 1, sizeof(pond_column_count));
	df->lower_bounds = pond_arena_calloc(a, n + 1, sizeof(pond_column_bound));
	df->upper_bounds = pond_arena_calloc(a, n + 1, sizeof(pond_column_bound));
	if (!df->column_sizes || !df->value_counts || !df->null_value_counts || !df->lower_bounds || !df->upper_bounds)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const pond_written_column *c = &wf->columns[i];
		const pond_iceberg_field *f = pond_iceberg_schema_find_field(schema, c->field_id);
		if (!f)
			continue;
		if (c->column_size >= 0)
			df->column_sizes[df->ncolumn_sizes++] = (pond_column_count){c->field_id, c->column_size};
		bool top_level = false;
		for (size_t j = 0; j < schema->root->nfields; j++)
			top_level |= schema->root->fields[j].id == c->field_id;
		if (top_level) {
			/* Iceberg value counts include nulls: one value per row. */
			df->value_counts[df->nvalue_counts++] = (pond_column_count){c->field_id, wf->record_count};
			if (c->null_count >= 0)
				df->null_value_counts[df->nnull_value_counts++] = (pond_column_count){c->field_id, c->null_count};
		}
		int lo = bound_from_text(&df->lower_bounds[df->nlower_bounds], c->field_id, f->type, c->min, a);
		int hi = bound_from_text(&df->upper_bounds[df->nupper_bounds], c->field_id, f->type, c->max, a);
		if (lo < 0 || hi < 0)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		df->nlower_bounds += (size_t)lo;
		df->nupper_bounds += (size_t)hi;
	}
	if (spec && spec->nfields) {
		df->npartition = spec->nfields;
		df->partition = pond_arena_calloc(a, spec->nfields, sizeof(pond_iceberg_literal));
		if (!df->partition)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		for (size_t p = 0; p < spec->nfields; p++) {
			const pond_iceberg_type *pt = ptypes[p];
			const char *text = wf->partition_values[p];
			if (!text) {
				df->partition[p] = pond_iceberg_literal_null(pt->id);
				continue;
			}
			int rc = pond_iceberg_literal_from_text(&df->partition[p], pt, text, a, err);
			if (rc)
				return pond_error_prefix(err, "partition value of %s", wf->path);
		}
	}
	return 0;
}

typedef struct {
	pond_fileio *io;
	const char *table;
	int64_t snapshot_id;
	pond_manifest_file manifest;     /* the new data manifest */
	int64_t added_records, added_bytes, added_files;
	const char *list_path;           /* this attempt's manifest list */
	int attempt;
	const char *location;
	const pond_write_options *opts;
} append_commit;

static const char *summary_value(const pond_iceberg_snapshot *s, const char *key)
{
	for (size_t i = 0; s && i < s->nsummary; i++)
		if (strcmp(s->summary[i].key, key) == 0)
			return s->summary[i].value;
	return NULL;
}

static int64_t summary_total(const pond_iceberg_snapshot *parent, const char *key)
{
	int64_t v = 0;
	const char *s = summary_value(parent, key);
	return s && pond_str_to_i64(s, &v) ? v : 0;
}

static int build_append(const pond_iceberg_metadata *base, pond_arena *a, pond_iceberg_requirement **reqs,
                        size_t *nreqs, pond_iceberg_update **ups, size_t *nups, void *payload, pond_error *err)
{
	append_commit *c = payload;
	if (c->list_path) {
		unlink(c->list_path);  /* the last attempt's list lost the race */
		c->list_path = NULL;
	}
	const char *branch = c->opts->branch ? c->opts->branch : "main";
	const pond_iceberg_ref *head = pond_iceberg_metadata_ref(base, branch);
	/* A new branch starts from main's head, as in git. */
	const pond_iceberg_snapshot *parent = head ? pond_iceberg_metadata_snapshot(base, head->snapshot_id)
	                                           : pond_iceberg_metadata_current_snapshot(base);
	if (head && head->is_tag)
		return pond_error_set(err, POND_EINVAL, "cannot write to %s: it is a tag, not a branch", branch);
	int64_t seq = base->last_sequence_number + 1;
	/* The new manifest first, then the parent's. */
	pond_manifest_file *parent_manifests = NULL;
	size_t nparent = 0;
	int rc = parent ? pond_snapshot_manifests(&parent_manifests, &nparent, c->io, parent, a, err) : 0;
	if (rc)
		return rc;
	const char *list_path = pond_arena_sprintf(a, "%s/metadata/snap-%" PRId64 "-%d-%08x.avro", c->location,
	                                           c->snapshot_id, c->attempt++, (unsigned)pond_random_i63());
	pond_manifest_list_writer_options lo = POND_MANIFEST_LIST_WRITER_OPTIONS_INIT;
	lo.snapshot_id = c->snapshot_id;
	lo.has_parent_snapshot_id = parent != NULL;
	lo.parent_snapshot_id = parent ? parent->snapshot_id : 0;
	lo.sequence_number = seq;
	pond_manifest_list_writer *lw;
	if ((rc = pond_manifest_list_writer_open(&lw, c->io, list_path, &lo, err)) != 0)
		return rc;
	c->list_path = list_path;
	pond_manifest_file mine = c->manifest;
	mine.sequence_number = POND_MANIFEST_UNASSIGNED_SEQ;
	mine.min_sequence_number = POND_MANIFEST_UNASSIGNED_SEQ;
	rc = pond_manifest_list_writer_add(lw, &mine, err);
	for (size_t i = 0; i < nparent && rc == 0; i++)
		rc = pond_manifest_list_writer_add(lw, &parent_manifests[i], err);
	if (rc == 0)
		rc = pond_manifest_list_writer_finish(lw, err);
	pond_manifest_list_writer_free(&lw);
	if (rc)
		return rc;

	pond_iceberg_snapshot *snap = pond_arena_calloc(a, 1, sizeof(*snap));
	pond_iceberg_kv *summary = pond_arena_calloc(a, 10 + c->opts->nsummary, sizeof(*summary));
	pond_iceberg_update *u = pond_arena_calloc(a, 2, sizeof(*u));
	pond_iceberg_requirement *r = pond_arena_calloc(a, 1, sizeof(*r));
	if (!snap || !summary || !u || !r)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	size_t ns = 0;
#define SUMMARY(k, v) summary[ns++] = (pond_iceberg_kv){k, pond_arena_sprintf(a, "%" PRId64, (int64_t)(v))}
	SUMMARY("added-data-files", c->added_files);
	SUMMARY("added-records", c->added_records);
	SUMMARY("added-files-size", c->added_bytes);
	SUMMARY("total-records", summary_total(parent, "total-records") + c->added_records);
	SUMMARY("total-files-size", summary_total(parent, "total-files-size") + c->added_bytes);
	SUMMARY("total-data-files", summary_total(parent, "total-data-files") + c->added_files);
	SUMMARY("total-delete-files", summary_total(parent, "total-delete-files"));
	SUMMARY("total-position-deletes", summary_total(parent, "total-position-deletes"));
	SUMMARY("total-equality-deletes", summary_total(parent, "total-equality-deletes"));
#undef SUMMARY
	for (size_t i = 0; i < c->opts->nsummary; i++)
		summary[ns++] = c->opts->summary[i];
	snap->snapshot_id = c->snapshot_id;
	snap->has_parent = parent != NULL;
	snap->parent_snapshot_id = parent ? parent->snapshot_id : 0;
	snap->sequence_number = seq;
	snap->timestamp_ms = pond_time_now_ms();
	snap->manifest_list = list_path;
	snap->operation = "append";
	snap->summary = summary;
	snap->nsummary = ns;
	snap->has_schema_id = true;
	snap->schema_id = base->current_schema_id;
	u[0].action = POND_ICEBERG_ADD_SNAPSHOT;
	u[0].snapshot = snap;
	u[1].action = POND_ICEBERG_SET_SNAPSHOT_REF;
	u[1].ref = (pond_iceberg_ref){branch, false, c->snapshot_id, -1, -1, -1};
	/* The branch must still be where this attempt found it. */
	r->type = POND_ICEBERG_ASSERT_REF_SNAPSHOT_ID;
	r->ref = branch;
	r->has_snapshot_id = head != NULL;
	r->snapshot_id = head ? head->snapshot_id : 0;
	*reqs = r;
	*nreqs = 1;
	*ups = u;
	*nups = 2;
	return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

/* Undoes a write that will not be committed: its folder and manifest. */
static void remove_write(const char *dir, const char *manifest)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (manifest)
		unlink(manifest);
}

int pond_table_append_query(pond_lake *lake, const pond_table_ident *id, const char *select_sql,
                            const pond_write_options *opts, pond_write_result *out, pond_error *err)
{
	static const pond_write_options defaults = POND_WRITE_OPTIONS_INIT;
	memset(out, 0, sizeof(*out));
	pond_table *t;
	int rc = pond_table_load(&t, lake, id, err);
	if (rc)
		return rc;
	pond_arena *a = t->arena;
	const pond_iceberg_metadata *md = t->metadata;
	const pond_iceberg_schema *schema = pond_iceberg_metadata_current_schema(md);
	const pond_iceberg_partition_spec *spec = pond_iceberg_metadata_default_spec(md);
	const char *name = pond_table_ident_format(a, id);
	pond_parquet_write_options wo = POND_PARQUET_WRITE_OPTIONS_INIT;
	/* Each write gets a folder of its own: DuckDB writes into an empty
	 * folder, and a failed write is undone by removing the folder. */
	char write_id[37];
	pond_uuid_v4_string(write_id);
	write_id[13] = '\0';
	wo.dir = pond_arena_sprintf(a, "%s/data/%s", md->location, write_id);
	const char *target = pond_iceberg_metadata_property(md, "write.target-file-size-bytes");
	int64_t target_size;
	if (target && pond_str_to_i64(target, &target_size))
		wo.target_file_size = target_size;
	pond_buf sql = POND_BUF_INIT;
	pond_iceberg_type *spec_type = NULL;
	pond_iceberg_type **ptypes = NULL;  /* partition value types, by spec field */
	pond_written_file *files = NULL;
	size_t nfiles = 0;
	const char *manifest_path = NULL;
	pond_fileio *io = NULL;
	if ((rc = partition_columns(&wo, spec, schema, a, err)) != 0 ||
	    (rc = cast_select(&sql, lake->engine, select_sql, schema, name, a, err)) != 0)
		goto done;
	if (spec && spec->nfields) {
		if ((rc = pond_iceberg_partition_spec_type(&spec_type, spec, schema, a, err)) != 0)
			goto done;
		if (!(ptypes = pond_arena_calloc(a, spec->nfields, sizeof(*ptypes)))) {
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
			goto done;
		}
		for (size_t p = 0; p < spec->nfields; p++)
			ptypes[p] = spec_type->fields[p].type;
	}
	if (!pond_buf_ok(&sql)) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = pond_engine_write_parquet(lake->engine, pond_buf_cstr(&sql), schema, &wo, a, &files, &nfiles, err)) != 0)
		goto fail;
	append_commit c = {0};
	for (size_t i = 0; i < nfiles; i++) {
		c.added_records += files[i].record_count;
		c.added_bytes += files[i].file_size;
	}
	c.added_files = (int64_t)nfiles;
	if (c.added_records == 0) {
		remove_write(wo.dir, NULL);
		goto done;  /* nothing to commit */
	}
	if ((rc = pond_fileio_local_new(&io, err)) != 0)
		goto done;
	c.io = io;
	c.opts = opts ? opts : &defaults;
	c.table = name;
	c.location = md->location;
	c.snapshot_id = pond_random_i63();
	char uuid[37];
	pond_uuid_v4_string(uuid);
	manifest_path = pond_arena_sprintf(a, "%s/metadata/%s-m0.avro", md->location, uuid);
	pond_manifest_writer_options mo = POND_MANIFEST_WRITER_OPTIONS_INIT;
	mo.schema = schema;
	mo.spec = spec;
	mo.snapshot_id = c.snapshot_id;
	pond_manifest_writer *mw;
	if ((rc = pond_manifest_writer_open(&mw, io, manifest_path, &mo, err)) != 0)
		goto fail;
	for (size_t i = 0; i < nfiles && rc == 0; i++) {
		pond_manifest_entry e;
		memset(&e, 0, sizeof(e));
		e.status = POND_MANIFEST_ADDED;
		e.has_snapshot_id = true;
		e.snapshot_id = c.snapshot_id;
		rc = to_data_file(&e.data_file, &files[i], schema, spec, ptypes, a, err);
		if (rc == 0)
			rc = pond_manifest_writer_add(mw, &e, err);
	}
	if (rc == 0)
		rc = pond_manifest_writer_finish(mw, &c.manifest, a, err);
	pond_manifest_writer_free(&mw);
	if (rc)
		goto fail;
	rc = pond_table_commit(lake, id, build_append, &c, NULL, NULL, err);
	if (rc) {
		if (c.list_path)
			unlink(c.list_path);
		goto fail;
	}
	out->snapshot_id = c.snapshot_id;
	out->added_records = c.added_records;
	out->added_files = c.added_files;
	out->added_bytes = c.added_bytes;
	goto done;
fail:
	remove_write(wo.dir, manifest_path);
done:
	pond_fileio_free(&io);
	pond_buf_dispose(&sql);
	pond_table_free(&t);
	return rc;
}

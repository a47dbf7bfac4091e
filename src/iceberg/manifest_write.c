/*
 * Writing manifests: the Avro entry schema built from the partition spec,
 * the file metadata the spec requires (schema, partition-spec,
 * partition-spec-id, format-version, content), entries encoded one at a
 * time through a scratch arena (bounded memory for any number of entries),
 * and the counts and partition field summaries the manifest list records.
 */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "manifest_internal.h"

/* Running summary of one partition field: bounds as literals whose bytes
 * live in the buffers (string/binary values change under us). */
typedef struct field_summary {
	bool contains_null, contains_nan, has_bounds;
	pond_iceberg_literal lower, upper;
	pond_buf lower_bytes, upper_bytes;
} field_summary;

struct pond_manifest_writer {
	pond_avro_writer *avro;
	pond_avro_schema *schema;
	pond_fileio *io;
	pond_buf *buf;
	char *path;
	pond_arena *arena;   /* long-lived: types */
	pond_arena *scratch; /* reset per entry */
	pond_manifest_writer_options opts;
	pond_iceberg_type *ptype;
	const pond_avro_node *entry_node, *df_node, *part_node;
	field_summary *summaries;
	int32_t added_files, existing_files, deleted_files;
	int64_t added_rows, existing_rows, deleted_rows;
	bool has_min_seq, unassigned_seq;
	int64_t min_seq;
	bool finished;
};

static const pond_avro_node *unwrap(const pond_avro_node *n)
{
	if (n && n->type == POND_AVRO_UNION)
		for (size_t i = 0; i < n->nbranches; i++)
			if (n->branches[i]->type != POND_AVRO_NULL)
				return n->branches[i];
	return n;
}

static int set_meta_json(pond_avro_writer *w, const char *key, json_t *j, pond_error *err)
{
	char *text = j ? pond_json_dumps(j, false) : NULL;
	json_decref(j);
	if (!text)
		return pond_error_set(err, POND_ENOMEM, "out of memory writing manifest metadata %s", key);
	int rc = pond_avro_writer_set_meta_string(w, key, text, err);
	pond_free(text);
	return rc;
}

static int writer_open(pond_manifest_writer **out, pond_fileio *io, const char *path, pond_buf *buf,
                       const pond_manifest_writer_options *opts, pond_error *err)
{
	*out = NULL;
	pond_manifest_writer *w = pond_calloc(1, sizeof *w);
	if (!w)
		return pond_error_set(err, POND_ENOMEM, "out of memory opening manifest writer");
	w->opts = *opts;
	w->io = io;
	w->buf = buf;
	w->path = pond_strdup(path ? path : "");
	w->arena = pond_arena_new();
	w->scratch = pond_arena_new();
	int rc = 0;
	if (!w->path || !w->arena || !w->scratch) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory opening manifest writer");
		goto fail;
	}
	rc = pond_iceberg_partition_spec_type(&w->ptype, opts->spec, opts->schema, w->arena, err);
	if (rc)
		goto fail;
	w->summaries = opts->spec->nfields ? pond_calloc(opts->spec->nfields, sizeof *w->summaries) : NULL;
	if (opts->spec->nfields && !w->summaries) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory opening manifest writer");
		goto fail;
	}
	json_t *sj = pond_manifest_entry_avro_schema(w->ptype, 2);
	if (!sj) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory building the manifest schema");
		goto fail;
	}
	rc = pond_avro_schema_from_json(&w->schema, sj, path, err);
	json_decref(sj);
	if (rc)
		goto fail;
	w->entry_node = pond_avro_schema_root(w->schema);
	w->df_node = unwrap(pond_avro_node_field_by_id(w->entry_node, 2, NULL)->type);
	w->part_node = unwrap(pond_avro_node_field_by_id(w->df_node, 102, NULL)->type);
	pond_avro_writer_options aopts = POND_AVRO_WRITER_OPTIONS_INIT;
	aopts.codec = opts->codec;
	if (buf)
		rc = pond_avro_writer_open_buf(&w->avro, buf, w->schema, &aopts, err);
	else
		rc = pond_fileio_create_avro(io, path, w->schema, &aopts, &w->avro, err);
	if (rc)
		goto fail;
	char num[32];
	if ((rc = set_meta_json(w->avro, "schema", pond_iceberg_schema_to_json(opts->schema), err)))
		goto fail;
	snprintf(num, sizeof num, "%d", (int)opts->schema->schema_id);
	if ((rc = pond_avro_writer_set_meta_string(w->avro, "schema-id", num, err)))
		goto fail;
	json_t *specj = pond_iceberg_partition_spec_to_json(opts->spec);
	json_t *fields = specj ? json_incref(json_object_get(specj, "fields")) : NULL;
	json_decref(specj);
	if ((rc = set_meta_json(w->avro, "partition-spec", fields, err)))
		goto fail;
	snprintf(num, sizeof num, "%d", (int)opts->spec->spec_id);
	if ((rc = pond_avro_writer_set_meta_string(w->avro, "partition-spec-id", num, err)) ||
	    (rc = pond_avro_writer_set_meta_string(w->avro, "format-version", "2", err)) ||
	    (rc = pond_avro_writer_set_meta_string(
		     w->avro, "content", opts->content == POND_MANIFEST_CONTENT_DELETES ? "deletes" : "data", err)))
		goto fail;
	*out = w;
	return 0;
fail:
	pond_manifest_writer_free(&w);
	return rc;
}

int pond_manifest_writer_open(pond_manifest_writer **out, pond_fileio *io, const char *path,
                              const pond_manifest_writer_options *opts, pond_error *err)
{
	return writer_open(out, io, path, NULL, opts, err);
}

int pond_manifest_writer_open_buf(pond_manifest_writer **out, pond_buf *buf,
                                  const pond_manifest_writer_options *opts, pond_error *err)
{
	return writer_open(out, NULL, NULL, buf, opts, err);
}

void pond_manifest_writer_free(pond_manifest_writer **writer)
{
	pond_manifest_writer *w = writer ? *writer : NULL;
	if (!w)
		return;
	pond_avro_writer_free(&w->avro);
	pond_avro_schema_free(&w->schema);
	for (size_t i = 0; w->summaries && i < w->opts.spec->nfields; i++) {
		pond_buf_dispose(&w->summaries[i].lower_bytes);
		pond_buf_dispose(&w->summaries[i].upper_bytes);
	}
	pond_free(w->summaries);
	pond_arena_free(&w->arena);
	pond_arena_free(&w->scratch);
	pond_free(w->path);
	pond_free(w);
	*writer = NULL;
}

static bool is_bytes_type(pond_iceberg_type_id t)
{
	return t == POND_ICEBERG_STRING || t == POND_ICEBERG_BINARY || t == POND_ICEBERG_FIXED;
}

static bool keep_literal(pond_iceberg_literal *dst, pond_buf *store, const pond_iceberg_literal *src)
{
	*dst = *src;
	if (!is_bytes_type(src->type))
		return true;
	pond_buf_clear(store);
	pond_buf_put(store, src->v.bytes.ptr, src->v.bytes.len);
	pond_buf_putc(store, 0); /* so empty values still own memory */
	if (!pond_buf_ok(store))
		return false;
	dst->v.bytes.ptr = (const uint8_t *)store->ptr;
	return true;
}

static bool is_nan(const pond_iceberg_literal *l)
{
	return (l->type == POND_ICEBERG_FLOAT && isnan(l->v.f32)) || (l->type == POND_ICEBERG_DOUBLE && isnan(l->v.f64));
}

static int update_summaries(pond_manifest_writer *w, const pond_data_file *df, pond_error *err)
{
	for (size_t i = 0; i < w->opts.spec->nfields; i++) {
		field_summary *s = &w->summaries[i];
		const pond_iceberg_literal *v = &df->partition[i];
		if (v->is_null) {
			s->contains_null = true;
			continue;
		}
		if (is_nan(v)) {
			s->contains_nan = true;
			continue;
		}
		bool ok = true;
		if (!s->has_bounds) {
			ok = keep_literal(&s->lower, &s->lower_bytes, v) && keep_literal(&s->upper, &s->upper_bytes, v);
			s->has_bounds = true;
		} else {
			if (pond_iceberg_literal_compare(v, &s->lower) < 0)
				ok = keep_literal(&s->lower, &s->lower_bytes, v);
			if (ok && pond_iceberg_literal_compare(v, &s->upper) > 0)
				ok = keep_literal(&s->upper, &s->upper_bytes, v);
		}
		if (!ok)
			return pond_error_set(err, POND_ENOMEM, "out of memory writing manifest %s", w->path);
	}
	return 0;
}

static pond_avro_value *counts_value(pond_arena *a, const pond_column_count *c, size_t n)
{
	if (!n)
		return NULL;
	pond_avro_value *m = pond_avro_value_map(a, n);
	if (!m)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		m->u.map.entries[i].key = pond_avro_value_int(a, c[i].field_id);
		m->u.map.entries[i].value = pond_avro_value_long(a, c[i].value);
		if (!m->u.map.entries[i].key || !m->u.map.entries[i].value)
			return NULL;
	}
	return m;
}

static pond_avro_value *bounds_value(pond_arena *a, const pond_column_bound *c, size_t n)
{
	if (!n)
		return NULL;
	pond_avro_value *m = pond_avro_value_map(a, n);
	if (!m)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		m->u.map.entries[i].key = pond_avro_value_int(a, c[i].field_id);
		m->u.map.entries[i].value = pond_avro_value_bytes(a, c[i].ptr, c[i].len);
		if (!m->u.map.entries[i].key || !m->u.map.entries[i].value)
			return NULL;
	}
	return m;
}

/* Sets an optional field: a NULL value with a non-zero count is an
 * allocation failure. */
#define SET(rec, name, val, present)                                                     \
	do {                                                                             \
		pond_avro_value *v_ = (val);                                             \
		if ((present) && !v_)                                                    \
			goto oom;                                                        \
		if (v_)                                                                  \
			pond_avro_record_set((rec), (name), v_);                         \
	} while (0)

static int build_entry(pond_avro_value **out, pond_manifest_writer *w, const pond_manifest_entry *e,
                       pond_error *err)
{
	pond_arena *a = w->scratch;
	const pond_data_file *df = &e->data_file;
	pond_avro_value *rec = pond_avro_value_record(a, w->entry_node);
	pond_avro_value *d = pond_avro_value_record(a, w->df_node);
	pond_avro_value *p = pond_avro_value_record(a, w->part_node);
	if (!rec || !d || !p)
		goto oom;
	SET(rec, "status", pond_avro_value_int(a, (int32_t)e->status), true);
	SET(rec, "snapshot_id", pond_avro_value_long(a, e->has_snapshot_id ? e->snapshot_id : w->opts.snapshot_id), true);
	/* Spec: ADDED entries leave sequence numbers null to inherit them. */
	if (e->has_sequence_number)
		SET(rec, "sequence_number", pond_avro_value_long(a, e->sequence_number), true);
	if (e->has_file_sequence_number)
		SET(rec, "file_sequence_number", pond_avro_value_long(a, e->file_sequence_number), true);
	for (size_t i = 0; i < w->opts.spec->nfields; i++) {
		pond_avro_value *pv = pond__literal_to_avro(&df->partition[i], w->ptype->fields[i].type, a);
		if (!pv)
			goto oom;
		p->u.record.fields[i] = pv;
	}
	SET(d, "content", pond_avro_value_int(a, (int32_t)df->content), true);
	SET(d, "file_path", pond_avro_value_string(a, df->file_path), true);
	SET(d, "file_format", pond_avro_value_string(a, df->file_format ? df->file_format : "PARQUET"), true);
	SET(d, "partition", p, true);
	SET(d, "record_count", pond_avro_value_long(a, df->record_count), true);
	SET(d, "file_size_in_bytes", pond_avro_value_long(a, df->file_size_in_bytes), true);
	SET(d, "column_sizes", counts_value(a, df->column_sizes, df->ncolumn_sizes), df->ncolumn_sizes);
	SET(d, "value_counts", counts_value(a, df->value_counts, df->nvalue_counts), df->nvalue_counts);
	SET(d, "null_value_counts", counts_value(a, df->null_value_counts, df->nnull_value_counts),
	    df->nnull_value_counts);
	SET(d, "nan_value_counts", counts_value(a, df->nan_value_counts, df->nnan_value_counts), df->nnan_value_counts);
	SET(d, "lower_bounds", bounds_value(a, df->lower_bounds, df->nlower_bounds), df->nlower_bounds);
	SET(d, "upper_bounds", bounds_value(a, df->upper_bounds, df->nupper_bounds), df->nupper_bounds);
	if (df->key_metadata)
		SET(d, "key_metadata", pond_avro_value_bytes(a, df->key_metadata, df->key_metadata_len), true);
	if (df->nsplit_offsets) {
		pond_avro_value *arr = pond_avro_value_array(a, df->nsplit_offsets);
		if (!arr)
			goto oom;
		for (size_t i = 0; i < df->nsplit_offsets; i++)
			if (!(arr->u.array.items[i] = pond_avro_value_long(a, df->split_offsets[i])))
				goto oom;
		SET(d, "split_offsets", arr, true);
	}
	if (df->nequality_ids) {
		pond_avro_value *arr = pond_avro_value_array(a, df->nequality_ids);
		if (!arr)
			goto oom;
		for (size_t i = 0; i < df->nequality_ids; i++)
			if (!(arr->u.array.items[i] = pond_avro_value_int(a, df->equality_ids[i])))
				goto oom;
		SET(d, "equality_ids", arr, true);
	}
	if (df->has_sort_order_id)
		SET(d, "sort_order_id", pond_avro_value_int(a, df->sort_order_id), true);
	if (df->referenced_data_file)
		SET(d, "referenced_data_file", pond_avro_value_string(a, df->referenced_data_file), true);
	SET(rec, "data_file", d, true);
	*out = rec;
	return 0;
oom:
	return pond_error_set(err, POND_ENOMEM, "out of memory writing manifest %s", w->path);
}

/* A partition value read under an older schema, in the type the spec has
 * now: after int -> long or float -> double of the source column, an
 * entry carried into a new manifest is written in the wider type (its
 * bytes reinterpreted would be another number). */
static pond_iceberg_literal promote(pond_iceberg_literal v, const pond_iceberg_type *type)
{
	if (v.is_null)
		return v;
	if (v.type == POND_ICEBERG_INT && type->id == POND_ICEBERG_LONG) {
		int32_t i = v.v.i32;
		v.v.i64 = i;
		v.type = POND_ICEBERG_LONG;
	} else if (v.type == POND_ICEBERG_FLOAT && type->id == POND_ICEBERG_DOUBLE) {
		float f = v.v.f32;
		v.v.f64 = f;
		v.type = POND_ICEBERG_DOUBLE;
	}
	return v;
}

int pond_manifest_writer_add(pond_manifest_writer *w, const pond_manifest_entry *e, pond_error *err)
{
	const pond_data_file *df = &e->data_file;
	if (df->npartition != w->opts.spec->nfields)
		return pond_error_set(err, POND_EINVAL, "manifest %s: data file %s has %zu partition values, spec %d has %zu",
		                      w->path, df->file_path ? df->file_path : "?", df->npartition,
		                      (int)w->opts.spec->spec_id, w->opts.spec->nfields);
	if (!df->file_path)
		return pond_error_set(err, POND_EINVAL, "manifest %s: data file without a path", w->path);
	pond_arena_reset(w->scratch);
	pond_manifest_entry promoted;
	if (df->npartition) {
		pond_iceberg_literal *p = pond_arena_alloc(w->scratch, df->npartition * sizeof(*p));
		if (!p)
			return pond_error_set(err, POND_ENOMEM, "out of memory writing manifest %s", w->path);
		for (size_t i = 0; i < df->npartition; i++)
			p[i] = promote(df->partition[i], w->ptype->fields[i].type);
		promoted = *e;
		promoted.data_file.partition = p;
		e = &promoted;
		df = &e->data_file;
	}
	pond_avro_value *rec = NULL;
	int rc = build_entry(&rec, w, e, err);
	if (!rc)
		rc = pond_avro_writer_append(w->avro, rec, err);
	if (rc)
		return rc;
	if ((rc = update_summaries(w, df, err)))
		return rc;
	switch (e->status) {
	case POND_MANIFEST_ADDED:
		w->added_files++;
		w->added_rows += df->record_count;
		break;
	case POND_MANIFEST_EXISTING:
		w->existing_files++;
		w->existing_rows += df->record_count;
		break;
	default:
		w->deleted_files++;
		w->deleted_rows += df->record_count;
		break;
	}
	if (e->status != POND_MANIFEST_DELETED) {
		if (!e->has_sequence_number) {
			w->unassigned_seq = true;
		} else if (!w->has_min_seq || e->sequence_number < w->min_seq) {
			w->has_min_seq = true;
			w->min_seq = e->sequence_number;
		}
	}
	return 0;
}

int pond_manifest_writer_finish(pond_manifest_writer *w, pond_manifest_file *out, pond_arena *arena,
                                pond_error *err)
{
	int rc = pond_avro_writer_finish(w->avro, err);
	if (rc)
		return rc;
	w->finished = true;
	memset(out, 0, sizeof *out);
	out->manifest_path = pond_arena_strdup(arena, w->path);
	if (!out->manifest_path)
		return pond_error_set(err, POND_ENOMEM, "out of memory finishing manifest %s", w->path);
	if (w->buf)
		out->manifest_length = (int64_t)w->buf->len;
	else if ((rc = pond_fileio_size(w->io, w->path, &out->manifest_length, err)))
		return rc;
	out->partition_spec_id = w->opts.spec->spec_id;
	out->content = w->opts.content;
	out->sequence_number = POND_MANIFEST_UNASSIGNED_SEQ;
	out->min_sequence_number = w->unassigned_seq || !w->has_min_seq ? POND_MANIFEST_UNASSIGNED_SEQ : w->min_seq;
	out->added_snapshot_id = w->opts.snapshot_id;
	out->added_files_count = w->added_files;
	out->existing_files_count = w->existing_files;
	out->deleted_files_count = w->deleted_files;
	out->added_rows_count = w->added_rows;
	out->existing_rows_count = w->existing_rows;
	out->deleted_rows_count = w->deleted_rows;
	out->has_partitions = true;
	out->npartitions = w->opts.spec->nfields;
	if (out->npartitions) {
		out->partitions = pond_arena_calloc(arena, out->npartitions, sizeof *out->partitions);
		if (!out->partitions)
			return pond_error_set(err, POND_ENOMEM, "out of memory finishing manifest %s", w->path);
	}
	for (size_t i = 0; i < out->npartitions; i++) {
		field_summary *s = &w->summaries[i];
		pond_partition_summary *ps = &out->partitions[i];
		ps->contains_null = s->contains_null;
		bool floating = w->ptype->fields[i].type->id == POND_ICEBERG_FLOAT ||
		                w->ptype->fields[i].type->id == POND_ICEBERG_DOUBLE;
		ps->has_contains_nan = floating;
		ps->contains_nan = s->contains_nan;
		if (!s->has_bounds)
			continue;
		pond_buf b = POND_BUF_INIT;
		pond_iceberg_bound_encode(&b, &s->lower);
		size_t lower_len = b.len;
		pond_iceberg_bound_encode(&b, &s->upper);
		uint8_t *mem = pond_buf_ok(&b) ? pond_arena_memdup(arena, b.ptr ? b.ptr : "", b.len + 1) : NULL;
		size_t total = b.len;
		pond_buf_dispose(&b);
		if (!mem)
			return pond_error_set(err, POND_ENOMEM, "out of memory finishing manifest %s", w->path);
		ps->lower_bound = mem;
		ps->lower_bound_len = lower_len;
		ps->upper_bound = mem + lower_len;
		ps->upper_bound_len = total - lower_len;
	}
	return 0;
}

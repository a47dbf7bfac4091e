/*
 * Reading manifests: Avro entries of any writer (Java before and after 1.5,
 * pyiceberg, pond) into pond_manifest_entry, one at a time. Fields resolve
 * by Iceberg field id once per file, so the per-entry work is indexing into
 * the decoded record. v2 sequence numbers and snapshot ids are inherited
 * from the manifest-list record (spec "Sequence Number Inheritance").
 */
#include <jansson.h>
#include <string.h>

#include "manifest_internal.h"

/* data_file fields we read, by id. */
enum {
	DF_CONTENT, DF_PATH, DF_FORMAT, DF_PARTITION, DF_RECORDS, DF_SIZE, DF_COLUMN_SIZES, DF_VALUE_COUNTS,
	DF_NULL_COUNTS, DF_NAN_COUNTS, DF_LOWER, DF_UPPER, DF_KEY_METADATA, DF_SPLITS, DF_EQ_IDS, DF_SORT_ORDER,
	DF_REFERENCED, DF_COUNT
};
static const int32_t df_ids[DF_COUNT] = {134, 100, 101, 102, 103, 104, 108, 109, 110, 137, 125, 128, 131, 132, 135, 140, 143};
static const char *const df_names[DF_COUNT] = {
	"content", "file_path", "file_format", "partition", "record_count", "file_size_in_bytes", "column_sizes",
	"value_counts", "null_value_counts", "nan_value_counts", "lower_bounds", "upper_bounds", "key_metadata",
	"split_offsets", "equality_ids", "sort_order_id", "referenced_data_file",
};

enum { E_STATUS, E_SNAPSHOT, E_SEQ, E_FILE_SEQ, E_DATA_FILE, E_COUNT };
static const int32_t e_ids[E_COUNT] = {0, 1, 3, 4, 2};
static const char *const e_names[E_COUNT] = {"status", "snapshot_id", "sequence_number", "file_sequence_number",
                                             "data_file"};

struct pond_manifest_reader {
	pond_avro_reader *avro;
	char *name;
	pond_arena *arena; /* the reader's own: spec, schema, types */
	int format_version;
	pond_manifest_content content;
	int32_t spec_id;
	bool has_file;
	pond_manifest_file file;
	const pond_iceberg_partition_spec *spec;
	const pond_iceberg_type **ptypes; /* one per spec field */
	/* resolved once per file: index in the record, or -1 */
	const pond_avro_node *entry_node, *df_node, *part_node;
	int e_idx[E_COUNT];
	int df_idx[DF_COUNT];
	int *part_idx; /* per spec field: index in the partition record */
};

/* Partition spec and result types: the caller's, else the file's metadata,
 * else the Avro partition record itself. */
static int resolve_partition(pond_manifest_reader *r, const pond_iceberg_partition_spec *spec,
                             const pond_iceberg_schema *schema, pond_error *err)
{
	pond_arena *a = r->arena;
	if (!spec) {
		const char *ps = pond_avro_reader_meta(r->avro, "partition-spec", NULL);
		json_t *j = ps ? json_loads(ps, 0, NULL) : NULL;
		if (j) {
			pond_iceberg_partition_spec *p = NULL;
			int rc = pond_iceberg_partition_spec_from_json(&p, j, NULL, a, r->name, err);
			json_decref(j);
			if (rc)
				return rc;
			p->spec_id = r->spec_id;
			spec = p;
		}
	}
	if (!schema) {
		const char *ss = pond_avro_reader_meta(r->avro, "schema", NULL);
		json_t *j = ss ? json_loads(ss, 0, NULL) : NULL;
		if (j) {
			pond_iceberg_schema *s = NULL;
			pond_error e2 = POND_ERROR_INIT;
			if (pond_iceberg_schema_from_json(&s, j, a, r->name, &e2) == 0)
				schema = s;
			else if (e2.code == POND_ENOMEM) {
				json_decref(j);
				return pond_error_set(err, POND_ENOMEM, "%s", e2.msg);
			}
			json_decref(j);
		}
	}
	size_t nfields = r->part_node ? r->part_node->nfields : 0;
	if (!spec) {
		/* No spec anywhere: the partition record's fields are the spec. */
		pond_iceberg_partition_spec *p = pond_arena_calloc(a, 1, sizeof *p);
		pond_iceberg_partition_field *pf = nfields ? pond_arena_calloc(a, nfields, sizeof *pf) : NULL;
		if (!p || (nfields && !pf))
			return pond_error_set(err, POND_ENOMEM, "out of memory reading manifest %s", r->name);
		p->spec_id = r->spec_id;
		p->nfields = nfields;
		p->fields = pf;
		for (size_t i = 0; i < nfields; i++) {
			pf[i].field_id = r->part_node->fields[i].has_field_id ? r->part_node->fields[i].field_id
			                                                       : (int32_t)(1000 + i);
			pf[i].name = r->part_node->fields[i].name;
			pf[i].transform.kind = POND_ICEBERG_IDENTITY;
			pf[i].source_id = -1;
		}
		spec = p;
	}
	r->spec = spec;
	r->ptypes = spec->nfields ? pond_arena_calloc(a, spec->nfields, sizeof *r->ptypes) : NULL;
	r->part_idx = spec->nfields ? pond_arena_calloc(a, spec->nfields, sizeof *r->part_idx) : NULL;
	if (spec->nfields && (!r->ptypes || !r->part_idx))
		return pond_error_set(err, POND_ENOMEM, "out of memory reading manifest %s", r->name);
	pond_iceberg_type *ptype = NULL;
	if (schema) {
		pond_error e2 = POND_ERROR_INIT;
		if (pond_iceberg_partition_spec_type(&ptype, spec, schema, a, &e2) != 0) {
			if (e2.code == POND_ENOMEM)
				return pond_error_set(err, POND_ENOMEM, "%s", e2.msg);
			ptype = NULL;
		}
	}
	for (size_t i = 0; i < spec->nfields; i++) {
		int idx = pond__avro_field_index(r->part_node, spec->fields[i].field_id, spec->fields[i].name, NULL);
		if (idx < 0 && i < nfields && !r->part_node->fields[i].has_field_id)
			idx = (int)i;
		r->part_idx[i] = idx;
		if (ptype && i < ptype->nfields)
			r->ptypes[i] = ptype->fields[i].type;
		else if (idx >= 0)
			r->ptypes[i] = pond__iceberg_type_for_avro(r->part_node->fields[idx].type, a);
		if (!r->ptypes[i] && idx >= 0)
			return pond_error_set(err, POND_ECORRUPT, "%s: cannot type partition field \"%s\"", r->name,
			                      spec->fields[i].name);
		if (!r->ptypes[i]) {
			/* a field the file does not carry reads as null */
			pond_iceberg_type *t = pond_arena_calloc(a, 1, sizeof *t);
			if (!t)
				return pond_error_set(err, POND_ENOMEM, "out of memory reading manifest %s", r->name);
			t->id = POND_ICEBERG_INT;
			r->ptypes[i] = t;
		}
	}
	return 0;
}

int pond_manifest_reader_open_avro(pond_manifest_reader **out, pond_avro_reader *avro, const char *name,
                                   const pond_manifest_file *file, const pond_iceberg_partition_spec *spec,
                                   const pond_iceberg_schema *schema, pond_error *err)
{
	*out = NULL;
	pond_manifest_reader *r = pond_calloc(1, sizeof *r);
	if (!r) {
		pond_avro_reader_close(&avro);
		return pond_error_set(err, POND_ENOMEM, "out of memory opening manifest %s", name);
	}
	r->avro = avro;
	r->name = pond_strdup(name);
	r->arena = pond_arena_new();
	if (!r->name || !r->arena) {
		pond_manifest_reader_close(&r);
		return pond_error_set(err, POND_ENOMEM, "out of memory opening manifest %s", name);
	}
	const char *fv = pond_avro_reader_meta(avro, "format-version", NULL);
	int64_t v = 1;
	r->format_version = fv && pond_str_to_i64(fv, &v) ? (int)v : 1;
	const char *content = pond_avro_reader_meta(avro, "content", NULL);
	r->content = content && strcmp(content, "deletes") == 0 ? POND_MANIFEST_CONTENT_DELETES
	                                                       : POND_MANIFEST_CONTENT_DATA;
	const char *sid = pond_avro_reader_meta(avro, "partition-spec-id", NULL);
	r->spec_id = sid && pond_str_to_i64(sid, &v) ? (int32_t)v : 0;
	if (file) {
		r->has_file = true;
		r->file = *file;
		r->spec_id = file->partition_spec_id;
		r->content = file->content;
	}
	if (spec)
		r->spec_id = spec->spec_id;

	const pond_avro_node *root = pond_avro_schema_root(pond_avro_reader_schema(avro));
	if (!root || root->type != POND_AVRO_RECORD) {
		pond_manifest_reader_close(&r);
		return pond_error_set(err, POND_ECORRUPT, "%s: manifest schema is not a record", name);
	}
	r->entry_node = root;
	for (int i = 0; i < E_COUNT; i++)
		r->e_idx[i] = pond__avro_field_index(root, e_ids[i], e_names[i], NULL);
	r->df_node = r->e_idx[E_DATA_FILE] >= 0 ? pond__avro_unwrap(root->fields[r->e_idx[E_DATA_FILE]].type) : NULL;
	if (r->e_idx[E_STATUS] < 0 || !r->df_node || r->df_node->type != POND_AVRO_RECORD) {
		pond_manifest_reader_close(&r);
		return pond_error_set(err, POND_ECORRUPT, "%s: not a manifest (no status or data_file field)", name);
	}
	for (int i = 0; i < DF_COUNT; i++)
		r->df_idx[i] = pond__avro_field_index(r->df_node, df_ids[i], df_names[i], NULL);
	if (r->df_idx[DF_PATH] < 0 || r->df_idx[DF_RECORDS] < 0) {
		pond_manifest_reader_close(&r);
		return pond_error_set(err, POND_ECORRUPT, "%s: not a manifest (no file_path or record_count)", name);
	}
	r->part_node = r->df_idx[DF_PARTITION] >= 0 ? pond__avro_unwrap(r->df_node->fields[r->df_idx[DF_PARTITION]].type) : NULL;
	if (r->part_node && r->part_node->type != POND_AVRO_RECORD)
		r->part_node = NULL;
	int rc = resolve_partition(r, spec, schema, err);
	if (rc) {
		pond_manifest_reader_close(&r);
		return rc;
	}
	*out = r;
	return 0;
}

int pond_manifest_reader_open(pond_manifest_reader **out, pond_fileio *io, const char *path,
                              const pond_manifest_file *file, const pond_iceberg_partition_spec *spec,
                              const pond_iceberg_schema *schema, pond_error *err)
{
	pond_avro_reader *avro = NULL;
	*out = NULL;
	int rc = pond_fileio_open_avro(io, path, &avro, err);
	if (rc)
		return rc;
	return pond_manifest_reader_open_avro(out, avro, path, file, spec, schema, err);
}

void pond_manifest_reader_close(pond_manifest_reader **reader)
{
	if (!reader || !*reader)
		return;
	pond_avro_reader_close(&(*reader)->avro);
	pond_arena_free(&(*reader)->arena);
	pond_free((*reader)->name);
	pond_free(*reader);
	*reader = NULL;
}

int pond_manifest_reader_format_version(const pond_manifest_reader *reader) { return reader->format_version; }
pond_manifest_content pond_manifest_reader_content(const pond_manifest_reader *reader) { return reader->content; }
int32_t pond_manifest_reader_spec_id(const pond_manifest_reader *reader) { return reader->spec_id; }
const pond_iceberg_partition_spec *pond_manifest_reader_spec(const pond_manifest_reader *reader)
{
	return reader->spec;
}
const pond_iceberg_type *const *pond_manifest_reader_partition_types(const pond_manifest_reader *reader)
{
	return (const pond_iceberg_type *const *)reader->ptypes;
}

static const pond_avro_value *field_at(const pond_avro_value *rec, int idx)
{
	if (idx < 0 || !rec || rec->type != POND_AVRO_RECORD || (size_t)idx >= rec->u.record.count)
		return NULL;
	return rec->u.record.fields[idx];
}

/* An int-keyed map: a MAP value (decoded ICEBERG_MAP), or an array of
 * key/value records from a writer that left out the logical type. */
static size_t map_count(const pond_avro_value *v)
{
	if (!v)
		return 0;
	if (v->type == POND_AVRO_MAP)
		return v->u.map.count;
	if (v->type == POND_AVRO_ARRAY)
		return v->u.array.count;
	return 0;
}

static bool map_at(const pond_avro_value *v, size_t i, const pond_avro_value **key, const pond_avro_value **val)
{
	if (v->type == POND_AVRO_MAP) {
		*key = v->u.map.entries[i].key;
		*val = v->u.map.entries[i].value;
		return true;
	}
	const pond_avro_value *rec = v->u.array.items[i];
	if (!rec || rec->type != POND_AVRO_RECORD || rec->u.record.count < 2)
		return false;
	*key = pond_avro_record_get_by_name(rec, "key");
	*val = pond_avro_record_get_by_name(rec, "value");
	return *key && *val;
}

static int read_counts(pond_column_count **out, size_t *n, const pond_avro_value *v, pond_arena *arena,
                       const pond_manifest_reader *r, const char *what, pond_error *err)
{
	size_t count = map_count(v);
	*n = 0;
	*out = NULL;
	if (!count)
		return 0;
	pond_column_count *c = pond_arena_alloc(arena, count * sizeof *c);
	if (!c)
		return pond_error_set(err, POND_ENOMEM, "out of memory reading manifest %s", r->name);
	for (size_t i = 0; i < count; i++) {
		const pond_avro_value *k, *val;
		int64_t ki, vi;
		if (!map_at(v, i, &k, &val) || !pond_avro_value_get_long(k, &ki) || !pond_avro_value_get_long(val, &vi))
			return pond_error_set(err, POND_ECORRUPT, "%s: bad %s entry", r->name, what);
		c[i].field_id = (int32_t)ki;
		c[i].value = vi;
	}
	*out = c;
	*n = count;
	return 0;
}

static int read_bounds(pond_column_bound **out, size_t *n, const pond_avro_value *v, pond_arena *arena,
                       const pond_manifest_reader *r, const char *what, pond_error *err)
{
	size_t count = map_count(v);
	*n = 0;
	*out = NULL;
	if (!count)
		return 0;
	pond_column_bound *c = pond_arena_alloc(arena, count * sizeof *c);
	if (!c)
		return pond_error_set(err, POND_ENOMEM, "out of memory reading manifest %s", r->name);
	for (size_t i = 0; i < count; i++) {
		const pond_avro_value *k, *val;
		int64_t ki;
		if (!map_at(v, i, &k, &val) || !pond_avro_value_get_long(k, &ki) ||
		    (val->type != POND_AVRO_BYTES && val->type != POND_AVRO_FIXED && val->type != POND_AVRO_STRING))
			return pond_error_set(err, POND_ECORRUPT, "%s: bad %s entry", r->name, what);
		c[i].field_id = (int32_t)ki;
		c[i].ptr = val->u.bytes.ptr;
		c[i].len = val->u.bytes.len;
	}
	*out = c;
	*n = count;
	return 0;
}

static bool get_opt_long(const pond_avro_value *v, int64_t *out)
{
	return v && !pond_avro_value_is_null(v) && pond_avro_value_get_long(v, out);
}

static int decode_data_file(pond_data_file *df, const pond_avro_value *rec, pond_arena *arena,
                            const pond_manifest_reader *r, pond_error *err)
{
	const int *ix = r->df_idx;
	int64_t l;
	const pond_avro_value *v;
	df->spec_id = r->spec_id;
	df->content = POND_CONTENT_DATA;
	if (get_opt_long(field_at(rec, ix[DF_CONTENT]), &l)) {
		if (l < 0 || l > 2)
			return pond_error_set(err, POND_ECORRUPT, "%s: data file content %lld is not 0, 1 or 2", r->name,
			                      (long long)l);
		df->content = (pond_file_content)l;
	}
	df->file_path = pond_avro_value_get_string(field_at(rec, ix[DF_PATH]));
	if (!df->file_path)
		return pond_error_set(err, POND_ECORRUPT, "%s: data file without file_path", r->name);
	df->file_format = pond_avro_value_get_string(field_at(rec, ix[DF_FORMAT]));
	if (!df->file_format)
		df->file_format = "PARQUET";
	if (!get_opt_long(field_at(rec, ix[DF_RECORDS]), &df->record_count))
		return pond_error_set(err, POND_ECORRUPT, "%s: data file %s without record_count", r->name, df->file_path);
	if (!get_opt_long(field_at(rec, ix[DF_SIZE]), &df->file_size_in_bytes))
		df->file_size_in_bytes = -1;
	/* partition tuple */
	const pond_avro_value *prec = field_at(rec, ix[DF_PARTITION]);
	df->npartition = r->spec->nfields;
	if (df->npartition) {
		df->partition = pond_arena_alloc(arena, df->npartition * sizeof *df->partition);
		if (!df->partition)
			return pond_error_set(err, POND_ENOMEM, "out of memory reading manifest %s", r->name);
		for (size_t i = 0; i < df->npartition; i++) {
			const pond_avro_value *pv = field_at(prec, r->part_idx[i]);
			int rc = pond__literal_from_avro(&df->partition[i], r->ptypes[i], pv, r->name, err);
			if (rc)
				return rc;
		}
	}
	int rc;
	if ((rc = read_counts(&df->column_sizes, &df->ncolumn_sizes, field_at(rec, ix[DF_COLUMN_SIZES]), arena, r,
	                      "column_sizes", err)) ||
	    (rc = read_counts(&df->value_counts, &df->nvalue_counts, field_at(rec, ix[DF_VALUE_COUNTS]), arena, r,
	                      "value_counts", err)) ||
	    (rc = read_counts(&df->null_value_counts, &df->nnull_value_counts, field_at(rec, ix[DF_NULL_COUNTS]),
	                      arena, r, "null_value_counts", err)) ||
	    (rc = read_counts(&df->nan_value_counts, &df->nnan_value_counts, field_at(rec, ix[DF_NAN_COUNTS]), arena,
	                      r, "nan_value_counts", err)) ||
	    (rc = read_bounds(&df->lower_bounds, &df->nlower_bounds, field_at(rec, ix[DF_LOWER]), arena, r,
	                      "lower_bounds", err)) ||
	    (rc = read_bounds(&df->upper_bounds, &df->nupper_bounds, field_at(rec, ix[DF_UPPER]), arena, r,
	                      "upper_bounds", err)))
		return rc;
	v = field_at(rec, ix[DF_KEY_METADATA]);
	if (v && (v->type == POND_AVRO_BYTES || v->type == POND_AVRO_FIXED)) {
		df->key_metadata = v->u.bytes.ptr;
		df->key_metadata_len = v->u.bytes.len;
	}
	v = field_at(rec, ix[DF_SPLITS]);
	if (v && v->type == POND_AVRO_ARRAY && v->u.array.count) {
		df->split_offsets = pond_arena_alloc(arena, v->u.array.count * sizeof *df->split_offsets);
		if (!df->split_offsets)
			return pond_error_set(err, POND_ENOMEM, "out of memory reading manifest %s", r->name);
		for (size_t i = 0; i < v->u.array.count; i++)
			if (!pond_avro_value_get_long(v->u.array.items[i], &df->split_offsets[i]))
				return pond_error_set(err, POND_ECORRUPT, "%s: bad split_offsets", r->name);
		df->nsplit_offsets = v->u.array.count;
	}
	v = field_at(rec, ix[DF_EQ_IDS]);
	if (v && v->type == POND_AVRO_ARRAY && v->u.array.count) {
		df->equality_ids = pond_arena_alloc(arena, v->u.array.count * sizeof *df->equality_ids);
		if (!df->equality_ids)
			return pond_error_set(err, POND_ENOMEM, "out of memory reading manifest %s", r->name);
		for (size_t i = 0; i < v->u.array.count; i++) {
			if (!pond_avro_value_get_long(v->u.array.items[i], &l))
				return pond_error_set(err, POND_ECORRUPT, "%s: bad equality_ids", r->name);
			df->equality_ids[i] = (int32_t)l;
		}
		df->nequality_ids = v->u.array.count;
	}
	if (get_opt_long(field_at(rec, ix[DF_SORT_ORDER]), &l)) {
		df->has_sort_order_id = true;
		df->sort_order_id = (int32_t)l;
	}
	v = field_at(rec, ix[DF_REFERENCED]);
	if (v && v->type == POND_AVRO_STRING)
		df->referenced_data_file = pond_avro_value_get_string(v);
	return 0;
}

int pond_manifest_reader_next(pond_manifest_reader *r, pond_arena *arena, const pond_manifest_entry **out,
                              pond_error *err)
{
	const pond_avro_value *rec = NULL;
	int rc = pond_avro_reader_next(r->avro, arena, &rec, err);
	if (rc <= 0)
		return rc;
	pond_manifest_entry *e = pond_arena_calloc(arena, 1, sizeof *e);
	if (!e)
		return pond_error_set(err, POND_ENOMEM, "out of memory reading manifest %s", r->name);
	int64_t l;
	if (!get_opt_long(field_at(rec, r->e_idx[E_STATUS]), &l) || l < 0 || l > 2)
		return pond_error_set(err, POND_ECORRUPT, "%s: entry %llu has no valid status", r->name,
		                      (unsigned long long)pond_avro_reader_records(r->avro));
	e->status = (pond_manifest_status)l;
	e->has_snapshot_id = get_opt_long(field_at(rec, r->e_idx[E_SNAPSHOT]), &e->snapshot_id);
	e->has_sequence_number = get_opt_long(field_at(rec, r->e_idx[E_SEQ]), &e->sequence_number);
	e->has_file_sequence_number = get_opt_long(field_at(rec, r->e_idx[E_FILE_SEQ]), &e->file_sequence_number);
	if (r->format_version < 2 && r->e_idx[E_SEQ] < 0) {
		/* v1: every file has sequence number 0 */
		e->has_sequence_number = e->has_file_sequence_number = true;
		e->sequence_number = e->file_sequence_number = 0;
	}
	if (r->has_file) {
		/* Spec: snapshot_id is inherited when null; sequence numbers
		 * when null and the entry is ADDED. */
		if (!e->has_snapshot_id) {
			e->has_snapshot_id = true;
			e->snapshot_id = r->file.added_snapshot_id;
		}
		if (e->status == POND_MANIFEST_ADDED && r->file.sequence_number >= 0) {
			if (!e->has_sequence_number) {
				e->has_sequence_number = true;
				e->sequence_number = r->file.sequence_number;
			}
			if (!e->has_file_sequence_number) {
				e->has_file_sequence_number = true;
				e->file_sequence_number = r->file.sequence_number;
			}
		}
	}
	const pond_avro_value *df = field_at(rec, r->e_idx[E_DATA_FILE]);
	if (!df || df->type != POND_AVRO_RECORD)
		return pond_error_set(err, POND_ECORRUPT, "%s: entry without data_file", r->name);
	rc = decode_data_file(&e->data_file, df, arena, r, err);
	if (rc)
		return rc;
	*out = e;
	return 1;
}

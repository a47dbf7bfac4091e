/*
 * Manifest lists: one record per manifest of a snapshot (spec "Manifest
 * Lists"), read from v1 and v2 writers (field names changed in Java 1.5,
 * ids did not) and written as v2 with the snapshot's metadata. Also the v1
 * snapshots that list manifest paths in the metadata JSON instead.
 */
#include <jansson.h>
#include <string.h>

#include "manifest_internal.h"

enum {
	L_PATH, L_LENGTH, L_SPEC, L_CONTENT, L_SEQ, L_MIN_SEQ, L_SNAPSHOT, L_ADDED_FILES, L_EXISTING_FILES,
	L_DELETED_FILES, L_ADDED_ROWS, L_EXISTING_ROWS, L_DELETED_ROWS, L_PARTITIONS, L_KEY_METADATA, L_COUNT
};
static const int32_t l_ids[L_COUNT] = {500, 501, 502, 517, 515, 516, 503, 504, 505, 506, 512, 513, 514, 507, 519};
static const char *const l_names[L_COUNT] = {
	"manifest_path", "manifest_length", "partition_spec_id", "content", "sequence_number", "min_sequence_number",
	"added_snapshot_id", "added_files_count", "existing_files_count", "deleted_files_count", "added_rows_count",
	"existing_rows_count", "deleted_rows_count", "partitions", "key_metadata",
};
/* Names before Java 1.5. */
static const char *const l_old_names[L_COUNT] = {
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, "added_data_files_count", "existing_data_files_count",
	"deleted_data_files_count", NULL, NULL, NULL, NULL, NULL,
};

struct pond_manifest_list_reader {
	pond_avro_reader *avro;
	char *name;
	int format_version;
	int idx[L_COUNT];
	int s_idx[4]; /* contains_null, contains_nan, lower, upper */
};

int pond_manifest_list_reader_open(pond_manifest_list_reader **out, pond_fileio *io, const char *path,
                                   pond_error *err)
{
	*out = NULL;
	pond_manifest_list_reader *r = pond_calloc(1, sizeof *r);
	if (!r)
		return pond_error_set(err, POND_ENOMEM, "out of memory opening manifest list %s", path);
	r->name = pond_strdup(path);
	if (!r->name) {
		pond_free(r);
		return pond_error_set(err, POND_ENOMEM, "out of memory opening manifest list %s", path);
	}
	int rc = pond_fileio_open_avro(io, path, &r->avro, err);
	if (rc) {
		pond_manifest_list_reader_close(&r);
		return rc;
	}
	const char *fv = pond_avro_reader_meta(r->avro, "format-version", NULL);
	int64_t v = 1;
	r->format_version = fv && pond_str_to_i64(fv, &v) ? (int)v : 1;
	const pond_avro_node *root = pond_avro_schema_root(pond_avro_reader_schema(r->avro));
	for (int i = 0; i < L_COUNT; i++)
		r->idx[i] = pond__avro_field_index(root, l_ids[i], l_names[i], l_old_names[i]);
	if (r->idx[L_PATH] < 0) {
		pond_manifest_list_reader_close(&r);
		return pond_error_set(err, POND_ECORRUPT, "%s: not a manifest list (no manifest_path field)", path);
	}
	const pond_avro_node *parts = r->idx[L_PARTITIONS] >= 0 ? pond__avro_unwrap(root->fields[r->idx[L_PARTITIONS]].type) : NULL;
	const pond_avro_node *summ = parts && parts->type == POND_AVRO_ARRAY ? pond__avro_unwrap(parts->items) : NULL;
	r->s_idx[0] = pond__avro_field_index(summ, 509, "contains_null", NULL);
	r->s_idx[1] = pond__avro_field_index(summ, 518, "contains_nan", NULL);
	r->s_idx[2] = pond__avro_field_index(summ, 510, "lower_bound", NULL);
	r->s_idx[3] = pond__avro_field_index(summ, 511, "upper_bound", NULL);
	*out = r;
	return 0;
}

void pond_manifest_list_reader_close(pond_manifest_list_reader **reader)
{
	if (!reader || !*reader)
		return;
	pond_avro_reader_close(&(*reader)->avro);
	pond_free((*reader)->name);
	pond_free(*reader);
	*reader = NULL;
}

int pond_manifest_list_reader_format_version(const pond_manifest_list_reader *reader)
{
	return reader->format_version;
}

static const pond_avro_value *field_at(const pond_avro_value *rec, int idx)
{
	if (idx < 0 || !rec || rec->type != POND_AVRO_RECORD || (size_t)idx >= rec->u.record.count)
		return NULL;
	return rec->u.record.fields[idx];
}

static bool opt_long(const pond_avro_value *v, int64_t *out)
{
	return v && !pond_avro_value_is_null(v) && pond_avro_value_get_long(v, out);
}

int pond_manifest_list_reader_next(pond_manifest_list_reader *r, pond_arena *arena, const pond_manifest_file **out,
                                   pond_error *err)
{
	const pond_avro_value *rec = NULL;
	int rc = pond_avro_reader_next(r->avro, arena, &rec, err);
	if (rc <= 0)
		return rc;
	pond_manifest_file *m = pond_arena_calloc(arena, 1, sizeof *m);
	if (!m)
		return pond_error_set(err, POND_ENOMEM, "out of memory reading manifest list %s", r->name);
	int64_t l;
	m->manifest_path = pond_avro_value_get_string(field_at(rec, r->idx[L_PATH]));
	if (!m->manifest_path)
		return pond_error_set(err, POND_ECORRUPT, "%s: manifest without a path", r->name);
	m->manifest_length = opt_long(field_at(rec, r->idx[L_LENGTH]), &l) ? l : -1;
	m->partition_spec_id = opt_long(field_at(rec, r->idx[L_SPEC]), &l) ? (int32_t)l : 0;
	m->content = opt_long(field_at(rec, r->idx[L_CONTENT]), &l) && l == 1 ? POND_MANIFEST_CONTENT_DELETES
	                                                                     : POND_MANIFEST_CONTENT_DATA;
	/* v1 lists have no sequence numbers: everything is 0. */
	m->sequence_number = opt_long(field_at(rec, r->idx[L_SEQ]), &l) ? l : 0;
	m->min_sequence_number = opt_long(field_at(rec, r->idx[L_MIN_SEQ]), &l) ? l : 0;
	m->added_snapshot_id = opt_long(field_at(rec, r->idx[L_SNAPSHOT]), &l) ? l : 0;
	m->added_files_count = opt_long(field_at(rec, r->idx[L_ADDED_FILES]), &l) ? (int32_t)l : -1;
	m->existing_files_count = opt_long(field_at(rec, r->idx[L_EXISTING_FILES]), &l) ? (int32_t)l : -1;
	m->deleted_files_count = opt_long(field_at(rec, r->idx[L_DELETED_FILES]), &l) ? (int32_t)l : -1;
	m->added_rows_count = opt_long(field_at(rec, r->idx[L_ADDED_ROWS]), &l) ? l : -1;
	m->existing_rows_count = opt_long(field_at(rec, r->idx[L_EXISTING_ROWS]), &l) ? l : -1;
	m->deleted_rows_count = opt_long(field_at(rec, r->idx[L_DELETED_ROWS]), &l) ? l : -1;
	const pond_avro_value *parts = field_at(rec, r->idx[L_PARTITIONS]);
	if (parts && parts->type == POND_AVRO_ARRAY) {
		m->has_partitions = true;
		m->npartitions = parts->u.array.count;
		if (m->npartitions) {
			m->partitions = pond_arena_calloc(arena, m->npartitions, sizeof *m->partitions);
			if (!m->partitions)
				return pond_error_set(err, POND_ENOMEM, "out of memory reading manifest list %s", r->name);
		}
		for (size_t i = 0; i < m->npartitions; i++) {
			const pond_avro_value *s = parts->u.array.items[i];
			pond_partition_summary *ps = &m->partitions[i];
			const pond_avro_value *v = field_at(s, r->s_idx[0]);
			ps->contains_null = v && v->type == POND_AVRO_BOOLEAN ? v->u.boolean : true;
			v = field_at(s, r->s_idx[1]);
			if (v && v->type == POND_AVRO_BOOLEAN) {
				ps->has_contains_nan = true;
				ps->contains_nan = v->u.boolean;
			}
			v = field_at(s, r->s_idx[2]);
			if (v && (v->type == POND_AVRO_BYTES || v->type == POND_AVRO_FIXED)) {
				ps->lower_bound = v->u.bytes.ptr;
				ps->lower_bound_len = v->u.bytes.len;
			}
			v = field_at(s, r->s_idx[3]);
			if (v && (v->type == POND_AVRO_BYTES || v->type == POND_AVRO_FIXED)) {
				ps->upper_bound = v->u.bytes.ptr;
				ps->upper_bound_len = v->u.bytes.len;
			}
		}
	}
	const pond_avro_value *km = field_at(rec, r->idx[L_KEY_METADATA]);
	if (km && (km->type == POND_AVRO_BYTES || km->type == POND_AVRO_FIXED)) {
		m->key_metadata = km->u.bytes.ptr;
		m->key_metadata_len = km->u.bytes.len;
	}
	*out = m;
	return 1;
}

/* A v1 snapshot's `manifests`: spec id and content from each header. */
static int v1_manifests(pond_manifest_file **out, size_t *n, pond_fileio *io, const pond_iceberg_snapshot *snapshot,
                        pond_arena *arena, pond_error *err)
{
	pond_manifest_file *files = snapshot->nmanifests ? pond_arena_calloc(arena, snapshot->nmanifests, sizeof *files)
	                                                 : NULL;
	if (snapshot->nmanifests && !files)
		return pond_error_set(err, POND_ENOMEM, "out of memory listing manifests");
	for (size_t i = 0; i < snapshot->nmanifests; i++) {
		pond_manifest_file *m = &files[i];
		pond_avro_reader *avro = NULL;
		int rc = pond_fileio_open_avro(io, snapshot->manifests[i], &avro, err);
		if (rc)
			return rc;
		const char *sid = pond_avro_reader_meta(avro, "partition-spec-id", NULL);
		int64_t v = 0;
		m->partition_spec_id = sid && pond_str_to_i64(sid, &v) ? (int32_t)v : 0;
		pond_avro_reader_close(&avro);
		m->manifest_path = snapshot->manifests[i];
		m->manifest_length = -1;
		m->added_snapshot_id = snapshot->snapshot_id;
		m->added_files_count = m->existing_files_count = m->deleted_files_count = -1;
		m->added_rows_count = m->existing_rows_count = m->deleted_rows_count = -1;
	}
	*out = files;
	*n = snapshot->nmanifests;
	return 0;
}

int pond_snapshot_manifests(pond_manifest_file **out, size_t *n, pond_fileio *io,
                            const pond_iceberg_snapshot *snapshot, pond_arena *arena, pond_error *err)
{
	*out = NULL;
	*n = 0;
	if (!snapshot->manifest_list)
		return v1_manifests(out, n, io, snapshot, arena, err);
	pond_manifest_list_reader *r = NULL;
	int rc = pond_manifest_list_reader_open(&r, io, snapshot->manifest_list, err);
	if (rc)
		return rc;
	size_t count = 0, cap = 0;
	pond_manifest_file *files = NULL;
	for (;;) {
		const pond_manifest_file *m = NULL;
		rc = pond_manifest_list_reader_next(r, arena, &m, err);
		if (rc <= 0)
			break;
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			pond_manifest_file *nf = pond_arena_alloc(arena, ncap * sizeof *nf);
			if (!nf) {
				rc = pond_error_set(err, POND_ENOMEM, "out of memory reading manifest list %s",
				                    snapshot->manifest_list);
				break;
			}
			if (count)
				memcpy(nf, files, count * sizeof *nf);
			files = nf;
			cap = ncap;
		}
		files[count++] = *m;
	}
	pond_manifest_list_reader_close(&r);
	if (rc < 0)
		return rc;
	*out = files;
	*n = count;
	return 0;
}

/* ---- writing ---- */

struct pond_manifest_list_writer {
	pond_avro_writer *avro;
	pond_avro_schema *schema;
	pond_arena *scratch;
	pond_manifest_list_writer_options opts;
	const pond_avro_node *root, *summary_node;
};

static int list_writer_open(pond_manifest_list_writer **out, pond_fileio *io, const char *path, pond_buf *buf,
                            const pond_manifest_list_writer_options *opts, pond_error *err)
{
	*out = NULL;
	pond_manifest_list_writer *w = pond_calloc(1, sizeof *w);
	if (!w)
		return pond_error_set(err, POND_ENOMEM, "out of memory opening manifest list writer");
	w->opts = *opts;
	w->scratch = pond_arena_new();
	json_t *sj = pond__manifest_list_avro_schema(2);
	int rc = 0;
	if (!w->scratch || !sj) {
		json_decref(sj);
		rc = pond_error_set(err, POND_ENOMEM, "out of memory opening manifest list writer");
		goto fail;
	}
	rc = pond_avro_schema_from_json(&w->schema, sj, path, err);
	json_decref(sj);
	if (rc)
		goto fail;
	w->root = pond_avro_schema_root(w->schema);
	w->summary_node = pond__avro_unwrap(pond__avro_unwrap(pond_avro_node_field_by_id(w->root, 507, NULL)->type)->items);
	pond_avro_writer_options aopts = POND_AVRO_WRITER_OPTIONS_INIT;
	aopts.codec = opts->codec;
	rc = buf ? pond_avro_writer_open_buf(&w->avro, buf, w->schema, &aopts, err)
	         : pond_fileio_create_avro(io, path, w->schema, &aopts, &w->avro, err);
	if (rc)
		goto fail;
	char num[32];
	snprintf(num, sizeof num, "%lld", (long long)opts->snapshot_id);
	if ((rc = pond_avro_writer_set_meta_string(w->avro, "snapshot-id", num, err)))
		goto fail;
	if (opts->has_parent_snapshot_id) {
		snprintf(num, sizeof num, "%lld", (long long)opts->parent_snapshot_id);
		if ((rc = pond_avro_writer_set_meta_string(w->avro, "parent-snapshot-id", num, err)))
			goto fail;
	} else if ((rc = pond_avro_writer_set_meta_string(w->avro, "parent-snapshot-id", "null", err))) {
		goto fail;
	}
	snprintf(num, sizeof num, "%lld", (long long)opts->sequence_number);
	if ((rc = pond_avro_writer_set_meta_string(w->avro, "sequence-number", num, err)) ||
	    (rc = pond_avro_writer_set_meta_string(w->avro, "format-version", "2", err)))
		goto fail;
	*out = w;
	return 0;
fail:
	pond_manifest_list_writer_free(&w);
	return rc;
}

int pond_manifest_list_writer_open(pond_manifest_list_writer **out, pond_fileio *io, const char *path,
                                   const pond_manifest_list_writer_options *opts, pond_error *err)
{
	return list_writer_open(out, io, path, NULL, opts, err);
}

int pond_manifest_list_writer_open_buf(pond_manifest_list_writer **out, pond_buf *buf,
                                       const pond_manifest_list_writer_options *opts, pond_error *err)
{
	return list_writer_open(out, NULL, "manifest list", buf, opts, err);
}

void pond_manifest_list_writer_free(pond_manifest_list_writer **writer)
{
	if (!writer || !*writer)
		return;
	pond_avro_writer_free(&(*writer)->avro);
	pond_avro_schema_free(&(*writer)->schema);
	pond_arena_free(&(*writer)->scratch);
	pond_free(*writer);
	*writer = NULL;
}

int pond_manifest_list_writer_add(pond_manifest_list_writer *w, const pond_manifest_file *m, pond_error *err)
{
	pond_arena *a = w->scratch;
	pond_arena_reset(a);
	pond_avro_value *rec = pond_avro_value_record(a, w->root);
	if (!rec)
		goto oom;
	/* Spec: a manifest added by this snapshot gets its sequence number. */
	int64_t seq = m->sequence_number < 0 ? w->opts.sequence_number : m->sequence_number;
	int64_t min_seq = m->min_sequence_number < 0 ? w->opts.sequence_number : m->min_sequence_number;
	struct {
		const char *name;
		pond_avro_value *v;
	} f[] = {
		{"manifest_path", pond_avro_value_string(a, m->manifest_path)},
		{"manifest_length", pond_avro_value_long(a, m->manifest_length)},
		{"partition_spec_id", pond_avro_value_int(a, m->partition_spec_id)},
		{"content", pond_avro_value_int(a, (int32_t)m->content)},
		{"sequence_number", pond_avro_value_long(a, seq)},
		{"min_sequence_number", pond_avro_value_long(a, min_seq)},
		{"added_snapshot_id", pond_avro_value_long(a, m->added_snapshot_id)},
		{"added_files_count", pond_avro_value_int(a, m->added_files_count < 0 ? 0 : m->added_files_count)},
		{"existing_files_count", pond_avro_value_int(a, m->existing_files_count < 0 ? 0 : m->existing_files_count)},
		{"deleted_files_count", pond_avro_value_int(a, m->deleted_files_count < 0 ? 0 : m->deleted_files_count)},
		{"added_rows_count", pond_avro_value_long(a, m->added_rows_count < 0 ? 0 : m->added_rows_count)},
		{"existing_rows_count", pond_avro_value_long(a, m->existing_rows_count < 0 ? 0 : m->existing_rows_count)},
		{"deleted_rows_count", pond_avro_value_long(a, m->deleted_rows_count < 0 ? 0 : m->deleted_rows_count)},
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		if (!f[i].v)
			goto oom;
		pond_avro_record_set(rec, f[i].name, f[i].v);
	}
	if (m->has_partitions) {
		pond_avro_value *arr = pond_avro_value_array(a, m->npartitions);
		if (!arr)
			goto oom;
		for (size_t i = 0; i < m->npartitions; i++) {
			const pond_partition_summary *ps = &m->partitions[i];
			pond_avro_value *s = pond_avro_value_record(a, w->summary_node);
			pond_avro_value *cn = pond_avro_value_boolean(a, ps->contains_null);
			if (!s || !cn)
				goto oom;
			pond_avro_record_set(s, "contains_null", cn);
			if (ps->has_contains_nan) {
				pond_avro_value *v = pond_avro_value_boolean(a, ps->contains_nan);
				if (!v)
					goto oom;
				pond_avro_record_set(s, "contains_nan", v);
			}
			if (ps->lower_bound) {
				pond_avro_value *v = pond_avro_value_bytes(a, ps->lower_bound, ps->lower_bound_len);
				if (!v)
					goto oom;
				pond_avro_record_set(s, "lower_bound", v);
			}
			if (ps->upper_bound) {
				pond_avro_value *v = pond_avro_value_bytes(a, ps->upper_bound, ps->upper_bound_len);
				if (!v)
					goto oom;
				pond_avro_record_set(s, "upper_bound", v);
			}
			arr->u.array.items[i] = s;
		}
		pond_avro_record_set(rec, "partitions", arr);
	}
	if (m->key_metadata) {
		pond_avro_value *v = pond_avro_value_bytes(a, m->key_metadata, m->key_metadata_len);
		if (!v)
			goto oom;
		pond_avro_record_set(rec, "key_metadata", v);
	}
	return pond_avro_writer_append(w->avro, rec, err);
oom:
	return pond_error_set(err, POND_ENOMEM, "out of memory writing manifest list");
}

int pond_manifest_list_writer_finish(pond_manifest_list_writer *writer, pond_error *err)
{
	return pond_avro_writer_finish(writer->avro, err);
}

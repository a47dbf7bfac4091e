/*
 * The Avro side of Iceberg's metadata files: the manifest entry and manifest
 * list schemas with their field ids (spec "Manifests" and "Manifest Lists"),
 * the Avro form of each Iceberg primitive (spec Appendix A), and conversions
 * between partition literals and Avro values.
 */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "manifest_internal.h"

static json_t *opt(json_t *type)
{
	return json_pack("[so]", "null", type);
}

static json_t *field(const char *name, json_t *type, int id)
{
	return json_pack("{s:s,s:o,s:i}", "name", name, "type", type, "field-id", id);
}

static json_t *opt_field(const char *name, json_t *type, int id)
{
	return json_pack("{s:s,s:o,s:n,s:i}", "name", name, "type", opt(type), "default", "field-id", id);
}

/* Iceberg's encoding of a map with non-string keys: an array of k/v records. */
static json_t *int_map(int key_id, int value_id, const char *value_type)
{
	char name[32];
	snprintf(name, sizeof name, "k%d_v%d", key_id, value_id);
	return json_pack("{s:s,s:{s:s,s:s,s:[{s:s,s:s,s:i},{s:s,s:s,s:i}]},s:s}", "type", "array", "items", "type",
	                 "record", "name", name, "fields", "name", "key", "type", "int", "field-id", key_id, "name",
	                 "value", "type", value_type, "field-id", value_id, "logicalType", "map");
}

static json_t *list_of(const char *item, int element_id)
{
	return json_pack("{s:s,s:s,s:i}", "type", "array", "items", item, "element-id", element_id);
}

size_t pond__decimal_bytes(int precision)
{
	/* Java's TypeUtil.decimalRequiredBytes: smallest n with
	 * 2^(8n-1) >= 10^precision. */
	for (size_t n = 1; n < 17; n++)
		if ((double)(8 * n - 1) * log10(2.0) >= (double)precision)
			return n;
	return 16;
}

json_t *pond__avro_type_for_iceberg(const pond_iceberg_type *type, const char *name)
{
	switch (type->id) {
	case POND_ICEBERG_BOOLEAN: return json_string("boolean");
	case POND_ICEBERG_INT: return json_string("int");
	case POND_ICEBERG_LONG: return json_string("long");
	case POND_ICEBERG_FLOAT: return json_string("float");
	case POND_ICEBERG_DOUBLE: return json_string("double");
	case POND_ICEBERG_DATE: return json_pack("{s:s,s:s}", "type", "int", "logicalType", "date");
	case POND_ICEBERG_TIME: return json_pack("{s:s,s:s}", "type", "long", "logicalType", "time-micros");
	case POND_ICEBERG_TIMESTAMP:
	case POND_ICEBERG_TIMESTAMPTZ:
		return json_pack("{s:s,s:s,s:b}", "type", "long", "logicalType", "timestamp-micros", "adjust-to-utc",
		                 type->id == POND_ICEBERG_TIMESTAMPTZ);
	case POND_ICEBERG_TIMESTAMP_NS:
	case POND_ICEBERG_TIMESTAMPTZ_NS:
		return json_pack("{s:s,s:s,s:b}", "type", "long", "logicalType", "timestamp-nanos", "adjust-to-utc",
		                 type->id == POND_ICEBERG_TIMESTAMPTZ_NS);
	case POND_ICEBERG_STRING: return json_string("string");
	case POND_ICEBERG_BINARY: return json_string("bytes");
	case POND_ICEBERG_UUID:
		return json_pack("{s:s,s:s,s:i,s:s}", "type", "fixed", "name", name, "size", 16, "logicalType", "uuid");
	case POND_ICEBERG_FIXED:
		return json_pack("{s:s,s:s,s:i}", "type", "fixed", "name", name, "size", (int)type->length);
	case POND_ICEBERG_DECIMAL:
		return json_pack("{s:s,s:s,s:i,s:s,s:i,s:i}", "type", "fixed", "name", name, "size",
		                 (int)pond__decimal_bytes(type->precision), "logicalType", "decimal", "precision",
		                 (int)type->precision, "scale", (int)type->scale);
	default: return NULL;
	}
}

pond_iceberg_type *pond__iceberg_type_for_avro(const pond_avro_node *node, pond_arena *arena)
{
	if (node->type == POND_AVRO_UNION) {
		const pond_avro_node *b = NULL;
		for (size_t i = 0; i < node->nbranches; i++)
			if (node->branches[i]->type != POND_AVRO_NULL)
				b = node->branches[i];
		if (!b)
			return NULL;
		node = b;
	}
	pond_iceberg_type *t = pond_arena_calloc(arena, 1, sizeof *t);
	if (!t)
		return NULL;
	const json_t *adjust = node->json && json_is_object(node->json) ? json_object_get(node->json, "adjust-to-utc")
	                                                                 : NULL;
	switch (node->logical) {
	case POND_AVRO_LOGICAL_DATE: t->id = POND_ICEBERG_DATE; return t;
	case POND_AVRO_LOGICAL_TIME_MICROS: t->id = POND_ICEBERG_TIME; return t;
	case POND_AVRO_LOGICAL_TIMESTAMP_MICROS:
	case POND_AVRO_LOGICAL_LOCAL_TIMESTAMP_MICROS:
		t->id = json_is_true(adjust) ? POND_ICEBERG_TIMESTAMPTZ : POND_ICEBERG_TIMESTAMP;
		return t;
	case POND_AVRO_LOGICAL_UUID: t->id = POND_ICEBERG_UUID; return t;
	case POND_AVRO_LOGICAL_DECIMAL:
		t->id = POND_ICEBERG_DECIMAL;
		t->precision = node->precision;
		t->scale = node->scale;
		return t;
	default: break;
	}
	switch (node->type) {
	case POND_AVRO_BOOLEAN: t->id = POND_ICEBERG_BOOLEAN; return t;
	case POND_AVRO_INT: t->id = POND_ICEBERG_INT; return t;
	case POND_AVRO_LONG: t->id = POND_ICEBERG_LONG; return t;
	case POND_AVRO_FLOAT: t->id = POND_ICEBERG_FLOAT; return t;
	case POND_AVRO_DOUBLE: t->id = POND_ICEBERG_DOUBLE; return t;
	case POND_AVRO_STRING: t->id = POND_ICEBERG_STRING; return t;
	case POND_AVRO_BYTES: t->id = POND_ICEBERG_BINARY; return t;
	case POND_AVRO_FIXED:
		t->id = POND_ICEBERG_FIXED;
		t->length = (int32_t)node->size;
		return t;
	default: return NULL;
	}
}

json_t *pond_manifest_entry_avro_schema(const pond_iceberg_type *partition_type, int format_version)
{
	json_t *pfields = json_array();
	bool ok = pfields != NULL;
	for (size_t i = 0; ok && partition_type && i < partition_type->nfields; i++) {
		const pond_iceberg_field *f = &partition_type->fields[i];
		char name[48];
		snprintf(name, sizeof name, "p%d_%s", (int)f->id, f->type->id == POND_ICEBERG_UUID ? "uuid" : "fixed");
		json_t *t = pond__avro_type_for_iceberg(f->type, name);
		json_t *jf = t ? opt_field(f->name, t, f->id) : NULL;
		ok = jf && json_array_append_new(pfields, jf) == 0;
	}
	if (!ok) {
		json_decref(pfields);
		return NULL;
	}
	json_t *df = json_array();
	if (!df) {
		json_decref(pfields);
		return NULL;
	}
#define ADD(x) ok = ok && (x) && json_array_append_new(df, (x)) == 0
	json_t *x;
	ok = true;
	if (format_version >= 2) {
		x = field("content", json_string("int"), 134);
		ADD(x);
	}
	x = field("file_path", json_string("string"), 100); ADD(x);
	x = field("file_format", json_string("string"), 101); ADD(x);
	x = field("partition", json_pack("{s:s,s:s,s:o}", "type", "record", "name", "r102", "fields", pfields), 102);
	ADD(x);
	x = field("record_count", json_string("long"), 103); ADD(x);
	x = field("file_size_in_bytes", json_string("long"), 104); ADD(x);
	if (format_version < 2) {
		x = field("block_size_in_bytes", json_string("long"), 105);
		ADD(x);
	}
	x = opt_field("column_sizes", int_map(117, 118, "long"), 108); ADD(x);
	x = opt_field("value_counts", int_map(119, 120, "long"), 109); ADD(x);
	x = opt_field("null_value_counts", int_map(121, 122, "long"), 110); ADD(x);
	x = opt_field("nan_value_counts", int_map(138, 139, "long"), 137); ADD(x);
	x = opt_field("lower_bounds", int_map(126, 127, "bytes"), 125); ADD(x);
	x = opt_field("upper_bounds", int_map(129, 130, "bytes"), 128); ADD(x);
	x = opt_field("key_metadata", json_string("bytes"), 131); ADD(x);
	x = opt_field("split_offsets", list_of("long", 133), 132); ADD(x);
	if (format_version >= 2) {
		x = opt_field("equality_ids", list_of("int", 136), 135);
		ADD(x);
	}
	x = opt_field("sort_order_id", json_string("int"), 140); ADD(x);
	if (format_version >= 2) {
		x = opt_field("referenced_data_file", json_string("string"), 143);
		ADD(x);
	}
#undef ADD
	if (!ok) {
		json_decref(df);
		return NULL;
	}
	json_t *fields = json_array();
	ok = fields != NULL;
	if (ok) {
		ok = json_array_append_new(fields, field("status", json_string("int"), 0)) == 0;
		if (format_version >= 2) {
			ok = ok && json_array_append_new(fields, opt_field("snapshot_id", json_string("long"), 1)) == 0;
			ok = ok && json_array_append_new(fields, opt_field("sequence_number", json_string("long"), 3)) == 0;
			ok = ok && json_array_append_new(fields, opt_field("file_sequence_number", json_string("long"), 4)) == 0;
		} else {
			ok = ok && json_array_append_new(fields, field("snapshot_id", json_string("long"), 1)) == 0;
		}
		ok = ok && json_array_append_new(fields, field("data_file",
		                                               json_pack("{s:s,s:s,s:o}", "type", "record", "name", "r2",
		                                                         "fields", df),
		                                               2)) == 0;
		df = NULL;
	}
	json_decref(df);
	json_t *root = ok ? json_pack("{s:s,s:s,s:o}", "type", "record", "name", "manifest_entry", "fields", fields) : NULL;
	if (!root && !ok)
		json_decref(fields);
	return root;
}

json_t *pond__manifest_list_avro_schema(int format_version)
{
	static const char *v2 =
		"{\"type\":\"record\",\"name\":\"manifest_file\",\"fields\":["
		"{\"name\":\"manifest_path\",\"type\":\"string\",\"field-id\":500},"
		"{\"name\":\"manifest_length\",\"type\":\"long\",\"field-id\":501},"
		"{\"name\":\"partition_spec_id\",\"type\":\"int\",\"field-id\":502},"
		"{\"name\":\"content\",\"type\":\"int\",\"field-id\":517},"
		"{\"name\":\"sequence_number\",\"type\":\"long\",\"field-id\":515},"
		"{\"name\":\"min_sequence_number\",\"type\":\"long\",\"field-id\":516},"
		"{\"name\":\"added_snapshot_id\",\"type\":\"long\",\"field-id\":503},"
		"{\"name\":\"added_files_count\",\"type\":\"int\",\"field-id\":504},"
		"{\"name\":\"existing_files_count\",\"type\":\"int\",\"field-id\":505},"
		"{\"name\":\"deleted_files_count\",\"type\":\"int\",\"field-id\":506},"
		"{\"name\":\"added_rows_count\",\"type\":\"long\",\"field-id\":512},"
		"{\"name\":\"existing_rows_count\",\"type\":\"long\",\"field-id\":513},"
		"{\"name\":\"deleted_rows_count\",\"type\":\"long\",\"field-id\":514},"
		"{\"name\":\"partitions\",\"type\":[\"null\",{\"type\":\"array\",\"items\":{\"type\":\"record\","
		"\"name\":\"r508\",\"fields\":["
		"{\"name\":\"contains_null\",\"type\":\"boolean\",\"field-id\":509},"
		"{\"name\":\"contains_nan\",\"type\":[\"null\",\"boolean\"],\"default\":null,\"field-id\":518},"
		"{\"name\":\"lower_bound\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":510},"
		"{\"name\":\"upper_bound\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":511}]},"
		"\"element-id\":508}],\"default\":null,\"field-id\":507},"
		"{\"name\":\"key_metadata\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":519}]}";
	(void)format_version;
	return json_loads(v2, 0, NULL);
}

/* ---- literals <-> avro values ---- */

int pond__literal_from_avro(pond_iceberg_literal *out, const pond_iceberg_type *type, const pond_avro_value *v,
                            const char *what, pond_error *err)
{
	int64_t l;
	double d;
	if (pond_avro_value_is_null(v)) {
		*out = pond_iceberg_literal_null(type->id);
		return 0;
	}
	switch (type->id) {
	case POND_ICEBERG_BOOLEAN:
		if (v->type != POND_AVRO_BOOLEAN)
			break;
		*out = pond_iceberg_literal_bool(v->u.boolean);
		return 0;
	case POND_ICEBERG_INT:
	case POND_ICEBERG_DATE:
		if (!pond_avro_value_get_long(v, &l) || l < INT32_MIN || l > INT32_MAX)
			break;
		*out = type->id == POND_ICEBERG_INT ? pond_iceberg_literal_int((int32_t)l)
		                                   : pond_iceberg_literal_date((int32_t)l);
		return 0;
	case POND_ICEBERG_LONG:
	case POND_ICEBERG_TIME:
	case POND_ICEBERG_TIMESTAMP:
	case POND_ICEBERG_TIMESTAMPTZ:
	case POND_ICEBERG_TIMESTAMP_NS:
	case POND_ICEBERG_TIMESTAMPTZ_NS:
		if (!pond_avro_value_get_long(v, &l))
			break;
		*out = pond_iceberg_literal_long(l);
		out->type = type->id;
		return 0;
	case POND_ICEBERG_FLOAT:
		if (!pond_avro_value_get_double(v, &d))
			break;
		*out = pond_iceberg_literal_float((float)d);
		return 0;
	case POND_ICEBERG_DOUBLE:
		if (!pond_avro_value_get_double(v, &d))
			break;
		*out = pond_iceberg_literal_double(d);
		return 0;
	case POND_ICEBERG_STRING:
		if (v->type != POND_AVRO_STRING && v->type != POND_AVRO_BYTES)
			break;
		*out = pond_iceberg_literal_string((const char *)v->u.bytes.ptr, v->u.bytes.len);
		return 0;
	case POND_ICEBERG_BINARY:
	case POND_ICEBERG_FIXED:
		if (v->type != POND_AVRO_BYTES && v->type != POND_AVRO_FIXED)
			break;
		*out = type->id == POND_ICEBERG_BINARY ? pond_iceberg_literal_binary(v->u.bytes.ptr, v->u.bytes.len)
		                                       : pond_iceberg_literal_fixed(v->u.bytes.ptr, v->u.bytes.len);
		return 0;
	case POND_ICEBERG_UUID:
		if (v->type == POND_AVRO_STRING) {
			uint8_t u[16];
			if (pond_uuid_parse(u, (const char *)v->u.bytes.ptr) != 0)
				break;
			*out = pond_iceberg_literal_uuid(u);
			return 0;
		}
		if ((v->type != POND_AVRO_FIXED && v->type != POND_AVRO_BYTES) || v->u.bytes.len != 16)
			break;
		*out = pond_iceberg_literal_uuid(v->u.bytes.ptr);
		return 0;
	case POND_ICEBERG_DECIMAL:
		if (v->type != POND_AVRO_FIXED && v->type != POND_AVRO_BYTES)
			break;
		return pond_iceberg_bound_decode(out, type, v->u.bytes.ptr, v->u.bytes.len, err);
	default:
		break;
	}
	char tname[40];
	pond_iceberg_type_format(tname, type);
	return pond_error_set(err, POND_ECORRUPT, "%s: partition value of avro type %s does not fit %s", what,
	                      pond_avro_type_name(v->type), tname);
}

pond_avro_value *pond__literal_to_avro(const pond_iceberg_literal *lit, const pond_iceberg_type *type,
                                       pond_arena *arena)
{
	if (lit->is_null)
		return pond_avro_value_null(arena);
	switch (type->id) {
	case POND_ICEBERG_BOOLEAN: return pond_avro_value_boolean(arena, lit->v.b);
	case POND_ICEBERG_INT:
	case POND_ICEBERG_DATE: return pond_avro_value_int(arena, lit->v.i32);
	case POND_ICEBERG_LONG:
	case POND_ICEBERG_TIME:
	case POND_ICEBERG_TIMESTAMP:
	case POND_ICEBERG_TIMESTAMPTZ:
	case POND_ICEBERG_TIMESTAMP_NS:
	case POND_ICEBERG_TIMESTAMPTZ_NS: return pond_avro_value_long(arena, lit->v.i64);
	case POND_ICEBERG_FLOAT: return pond_avro_value_float(arena, lit->v.f32);
	case POND_ICEBERG_DOUBLE: return pond_avro_value_double(arena, lit->v.f64);
	case POND_ICEBERG_STRING: {
		char *s = pond_arena_strndup(arena, (const char *)lit->v.bytes.ptr, lit->v.bytes.len);
		return s ? pond_avro_value_string(arena, s) : NULL;
	}
	case POND_ICEBERG_BINARY: return pond_avro_value_bytes(arena, lit->v.bytes.ptr, lit->v.bytes.len);
	case POND_ICEBERG_FIXED: return pond_avro_value_fixed(arena, lit->v.bytes.ptr, lit->v.bytes.len);
	case POND_ICEBERG_UUID: return pond_avro_value_fixed(arena, lit->v.uuid, 16);
	case POND_ICEBERG_DECIMAL: {
		uint8_t be[16], out[16];
		size_t n = pond_iceberg_int128_to_be(be, lit->v.dec);
		size_t size = pond__decimal_bytes(type->precision);
		if (n > size)
			size = n;
		memset(out, lit->v.dec < 0 ? 0xff : 0, size);
		memcpy(out + size - n, be, n);
		return pond_avro_value_fixed(arena, out, size);
	}
	default: return NULL;
	}
}

uint64_t pond__partition_hash(const pond_iceberg_literal *tuple, size_t n, int32_t spec_id)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uint32_t)spec_id;
	for (size_t i = 0; i < n; i++) {
		const pond_iceberg_literal *l = &tuple[i];
		uint64_t x;
		if (l->is_null) {
			x = 0x9e3779b97f4a7c15ULL;
		} else {
			switch (l->type) {
			case POND_ICEBERG_STRING:
			case POND_ICEBERG_BINARY:
			case POND_ICEBERG_FIXED: x = pond_hash64(l->v.bytes.ptr, l->v.bytes.len); break;
			case POND_ICEBERG_UUID: x = pond_hash64(l->v.uuid, 16); break;
			case POND_ICEBERG_BOOLEAN: x = l->v.b; break;
			case POND_ICEBERG_INT:
			case POND_ICEBERG_DATE: x = (uint64_t)(int64_t)l->v.i32; break;
			case POND_ICEBERG_FLOAT:
			case POND_ICEBERG_DOUBLE: {
				double d = l->type == POND_ICEBERG_FLOAT ? (double)l->v.f32 : l->v.f64;
				if (d == 0)
					d = 0; /* -0 and 0 are one partition */
				memcpy(&x, &d, sizeof x);
				break;
			}
			case POND_ICEBERG_DECIMAL: x = (uint64_t)l->v.dec; break; /* equal scales in one spec */
			default: x = (uint64_t)l->v.i64; break;
			}
		}
		h = (h ^ x) * 1099511628211ULL;
	}
	return h;
}

bool pond__partition_equal(const pond_iceberg_literal *a, const pond_iceberg_literal *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i].is_null || b[i].is_null) {
			if (a[i].is_null != b[i].is_null)
				return false;
			continue;
		}
		if (a[i].type != b[i].type || !pond_iceberg_literal_equal(&a[i], &b[i]))
			return false;
	}
	return true;
}

int pond__avro_field_index(const pond_avro_node *rec, int32_t id, const char *name, const char *old)
{
	size_t i;
	if (!rec || rec->type != POND_AVRO_RECORD)
		return -1;
	if (pond_avro_node_field_by_id(rec, id, &i))
		return (int)i;
	if (name && pond_avro_node_field_by_name(rec, name, &i))
		return (int)i;
	if (old && pond_avro_node_field_by_name(rec, old, &i))
		return (int)i;
	return -1;
}

const pond_avro_node *pond__avro_unwrap(const pond_avro_node *n)
{
	if (n && n->type == POND_AVRO_UNION)
		for (size_t i = 0; i < n->nbranches; i++)
			if (n->branches[i]->type != POND_AVRO_NULL)
				return n->branches[i];
	return n;
}

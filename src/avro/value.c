/*
 * Generic Avro values: constructors over an arena, record field lookup by
 * Iceberg field id or name, scalar accessors, and a JSON rendering (Avro's
 * JSON shape with unions unwrapped) for tests and dumps.
 */
#include "avro/internal.h"

#include <math.h>
#include <string.h>

static pond_avro_value *value_new(pond_arena *arena, pond_avro_type type)
{
	pond_avro_value *v = pond_arena_calloc(arena, 1, sizeof(*v));
	if (v) {
		v->type = type;
		v->branch = -1;
	}
	return v;
}

pond_avro_value *pond_avro_value_null(pond_arena *arena)
{
	return value_new(arena, POND_AVRO_NULL);
}

pond_avro_value *pond_avro_value_boolean(pond_arena *arena, bool b)
{
	pond_avro_value *v = value_new(arena, POND_AVRO_BOOLEAN);
	if (v)
		v->u.boolean = b;
	return v;
}

pond_avro_value *pond_avro_value_int(pond_arena *arena, int32_t i)
{
	pond_avro_value *v = value_new(arena, POND_AVRO_INT);
	if (v)
		v->u.i32 = i;
	return v;
}

pond_avro_value *pond_avro_value_long(pond_arena *arena, int64_t l)
{
	pond_avro_value *v = value_new(arena, POND_AVRO_LONG);
	if (v)
		v->u.i64 = l;
	return v;
}

pond_avro_value *pond_avro_value_float(pond_arena *arena, float f)
{
	pond_avro_value *v = value_new(arena, POND_AVRO_FLOAT);
	if (v)
		v->u.f32 = f;
	return v;
}

pond_avro_value *pond_avro_value_double(pond_arena *arena, double d)
{
	pond_avro_value *v = value_new(arena, POND_AVRO_DOUBLE);
	if (v)
		v->u.f64 = d;
	return v;
}

static pond_avro_value *bytes_value(pond_arena *arena, pond_avro_type type, const void *p, size_t len)
{
	pond_avro_value *v = value_new(arena, type);
	if (!v || len == SIZE_MAX)
		return NULL;
	uint8_t *copy = pond_arena_alloc(arena, len + 1);
	if (!copy)
		return NULL;
	if (len)
		memcpy(copy, p, len);
	copy[len] = '\0';
	v->u.bytes.ptr = copy;
	v->u.bytes.len = len;
	return v;
}

pond_avro_value *pond_avro_value_string(pond_arena *arena, const char *s)
{
	return bytes_value(arena, POND_AVRO_STRING, s, strlen(s));
}

pond_avro_value *pond_avro_value_bytes(pond_arena *arena, const void *p, size_t len)
{
	return bytes_value(arena, POND_AVRO_BYTES, p, len);
}

pond_avro_value *pond_avro_value_fixed(pond_arena *arena, const void *p, size_t len)
{
	return bytes_value(arena, POND_AVRO_FIXED, p, len);
}

pond_avro_value *pond_avro_value_enum(pond_arena *arena, const pond_avro_node *enum_node, int32_t index)
{
	if (!enum_node || enum_node->type != POND_AVRO_ENUM || index < 0 || (size_t)index >= enum_node->nsymbols)
		return NULL;
	pond_avro_value *v = value_new(arena, POND_AVRO_ENUM);
	if (v) {
		v->schema = enum_node;
		v->u.enm.index = index;
		v->u.enm.symbol = enum_node->symbols[index];
	}
	return v;
}

pond_avro_value *pond_avro_value_array(pond_arena *arena, size_t count)
{
	pond_avro_value *v = value_new(arena, POND_AVRO_ARRAY);
	if (!v)
		return NULL;
	v->u.array.items = pond_arena_calloc(arena, count ? count : 1, sizeof(pond_avro_value *));
	v->u.array.count = count;
	return v->u.array.items ? v : NULL;
}

pond_avro_value *pond_avro_value_map(pond_arena *arena, size_t count)
{
	pond_avro_value *v = value_new(arena, POND_AVRO_MAP);
	if (!v)
		return NULL;
	v->u.map.entries = pond_arena_calloc(arena, count ? count : 1, sizeof(pond_avro_map_entry));
	v->u.map.count = count;
	return v->u.map.entries ? v : NULL;
}

pond_avro_value *pond_avro_value_record(pond_arena *arena, const pond_avro_node *record_node)
{
	if (!record_node || record_node->type != POND_AVRO_RECORD)
		return NULL;
	pond_avro_value *v = value_new(arena, POND_AVRO_RECORD);
	if (!v)
		return NULL;
	size_t n = record_node->nfields;
	v->schema = record_node;
	v->u.record.fields = pond_arena_calloc(arena, n ? n : 1, sizeof(pond_avro_value *));
	v->u.record.count = n;
	return v->u.record.fields ? v : NULL;
}

bool pond_avro_record_set(pond_avro_value *record, const char *name, pond_avro_value *value)
{
	size_t i;
	if (!record || record->type != POND_AVRO_RECORD ||
	    !pond_avro_node_field_by_name(record->schema, name, &i) || i >= record->u.record.count)
		return false;
	record->u.record.fields[i] = value;
	return true;
}

const pond_avro_value *pond_avro_record_get_by_id(const pond_avro_value *record, int32_t field_id)
{
	size_t i;
	if (!record || record->type != POND_AVRO_RECORD ||
	    !pond_avro_node_field_by_id(record->schema, field_id, &i) || i >= record->u.record.count)
		return NULL;
	return record->u.record.fields[i];
}

const pond_avro_value *pond_avro_record_get_by_name(const pond_avro_value *record, const char *name)
{
	size_t i;
	if (!record || record->type != POND_AVRO_RECORD ||
	    !pond_avro_node_field_by_name(record->schema, name, &i) || i >= record->u.record.count)
		return NULL;
	return record->u.record.fields[i];
}

const pond_avro_value *pond_avro_record_get(const pond_avro_value *record, int32_t field_id, const char *name)
{
	const pond_avro_value *v = NULL;
	/* An id decides when the writer's schema has ids at all; the name is
	 * the fallback for files without them. */
	if (field_id >= 0 && record && record->type == POND_AVRO_RECORD &&
	    pond_avro_node_field_by_id(record->schema, field_id, NULL))
		return pond_avro_record_get_by_id(record, field_id);
	if (name)
		v = pond_avro_record_get_by_name(record, name);
	return v;
}

bool pond_avro_value_is_null(const pond_avro_value *value)
{
	return !value || value->type == POND_AVRO_NULL;
}

bool pond_avro_value_get_long(const pond_avro_value *value, int64_t *out)
{
	if (value && value->type == POND_AVRO_INT) {
		*out = value->u.i32;
		return true;
	}
	if (value && value->type == POND_AVRO_LONG) {
		*out = value->u.i64;
		return true;
	}
	return false;
}

bool pond_avro_value_get_double(const pond_avro_value *value, double *out)
{
	if (value && value->type == POND_AVRO_FLOAT) {
		*out = value->u.f32;
		return true;
	}
	if (value && value->type == POND_AVRO_DOUBLE) {
		*out = value->u.f64;
		return true;
	}
	return false;
}

const char *pond_avro_value_get_string(const pond_avro_value *value)
{
	if (value && (value->type == POND_AVRO_STRING || value->type == POND_AVRO_BYTES ||
	              value->type == POND_AVRO_FIXED))
		return (const char *)value->u.bytes.ptr;
	return NULL;
}

static void put_double(pond_buf *buf, double d)
{
	if (isnan(d) || isinf(d))
		pond_buf_puts(buf, "null");
	else
		pond_buf_printf(buf, "%.17g", d);
}

static void put_hex(pond_buf *buf, const uint8_t *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	pond_buf_putc(buf, '"');
	for (size_t i = 0; i < len; i++) {
		pond_buf_putc(buf, hex[p[i] >> 4]);
		pond_buf_putc(buf, hex[p[i] & 15]);
	}
	pond_buf_putc(buf, '"');
}

void pond_avro_value_to_json(pond_buf *buf, const pond_avro_value *v)
{
	if (!v) {
		pond_buf_puts(buf, "null");
		return;
	}
	switch (v->type) {
	case POND_AVRO_NULL:
	case POND_AVRO_UNION:
		pond_buf_puts(buf, "null");
		break;
	case POND_AVRO_BOOLEAN:
		pond_buf_puts(buf, v->u.boolean ? "true" : "false");
		break;
	case POND_AVRO_INT:
		pond_buf_printf(buf, "%d", (int)v->u.i32);
		break;
	case POND_AVRO_LONG:
		pond_buf_printf(buf, "%lld", (long long)v->u.i64);
		break;
	case POND_AVRO_FLOAT:
		put_double(buf, v->u.f32);
		break;
	case POND_AVRO_DOUBLE:
		put_double(buf, v->u.f64);
		break;
	case POND_AVRO_STRING:
		pond_json_quote(buf, (const char *)v->u.bytes.ptr, v->u.bytes.len);
		break;
	case POND_AVRO_BYTES:
	case POND_AVRO_FIXED:
		put_hex(buf, v->u.bytes.ptr, v->u.bytes.len);
		break;
	case POND_AVRO_ENUM:
		pond_json_quote(buf, v->u.enm.symbol ? v->u.enm.symbol : "", v->u.enm.symbol ? strlen(v->u.enm.symbol) : 0);
		break;
	case POND_AVRO_ARRAY:
		pond_buf_putc(buf, '[');
		for (size_t i = 0; i < v->u.array.count; i++) {
			if (i)
				pond_buf_putc(buf, ',');
			pond_avro_value_to_json(buf, v->u.array.items[i]);
		}
		pond_buf_putc(buf, ']');
		break;
	case POND_AVRO_MAP: {
		bool as_array = v->schema && v->schema->type == POND_AVRO_ARRAY;
		for (size_t i = 0; i < v->u.map.count && !as_array; i++)
			as_array = v->u.map.entries[i].key && v->u.map.entries[i].key->type != POND_AVRO_STRING;
		pond_buf_putc(buf, as_array ? '[' : '{');
		for (size_t i = 0; i < v->u.map.count; i++) {
			const pond_avro_map_entry *e = &v->u.map.entries[i];
			if (i)
				pond_buf_putc(buf, ',');
			if (as_array) {
				pond_buf_puts(buf, "{\"key\":");
				pond_avro_value_to_json(buf, e->key);
				pond_buf_puts(buf, ",\"value\":");
				pond_avro_value_to_json(buf, e->value);
				pond_buf_putc(buf, '}');
			} else {
				const char *k = pond_avro_value_get_string(e->key);
				pond_json_quote(buf, k ? k : "", k ? strlen(k) : 0);
				pond_buf_putc(buf, ':');
				pond_avro_value_to_json(buf, e->value);
			}
		}
		pond_buf_putc(buf, as_array ? ']' : '}');
		break;
	}
	case POND_AVRO_RECORD:
		pond_buf_putc(buf, '{');
		for (size_t i = 0; i < v->u.record.count; i++) {
			const char *name = v->schema && i < v->schema->nfields ? v->schema->fields[i].name : "?";
			if (i)
				pond_buf_putc(buf, ',');
			pond_json_quote(buf, name, strlen(name));
			pond_buf_putc(buf, ':');
			pond_avro_value_to_json(buf, v->u.record.fields[i]);
		}
		pond_buf_putc(buf, '}');
		break;
	}
}

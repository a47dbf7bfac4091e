/*
 * Avro binary encoding of a generic value tree against a schema node.
 * Unions pick the branch that fits the value (its own node, then same type
 * and name, then a promotion int->long->float->double, string<->bytes); a
 * record value built for another node is matched field by field, by
 * Iceberg field id then name, and a field without a value is written as
 * null or from its schema default.
 */
#include "avro/internal.h"

#include <jansson.h>
#include <string.h>

typedef struct enc {
	pond_buf *buf;
	pond_error *err;
	const char *field;   /* innermost record field, for messages */
} enc;

static int encode(enc *e, const pond_avro_node *node, const pond_avro_value *v, int depth);

static int mismatch(enc *e, const pond_avro_node *node, const pond_avro_value *v)
{
	const char *vt = v ? pond_avro_type_name(v->type) : "missing";
	if (e->field)
		return pond_error_set(e->err, POND_EINVAL, "cannot write %s value as avro %s in field \"%s\"", vt,
		                      pond_avro_type_name(node->type), e->field);
	return pond_error_set(e->err, POND_EINVAL, "cannot write %s value as avro %s", vt,
	                      pond_avro_type_name(node->type));
}

static void put_fixed_width(pond_buf *buf, uint64_t bits, size_t n)
{
	uint8_t tmp[8];
	for (size_t i = 0; i < n; i++)
		tmp[i] = (uint8_t)(bits >> (8 * i));
	pond_buf_put(buf, tmp, n);
}

static void put_float(pond_buf *buf, float f)
{
	uint32_t b;
	memcpy(&b, &f, 4);
	put_fixed_width(buf, b, 4);
}

static void put_double(pond_buf *buf, double d)
{
	uint64_t b;
	memcpy(&b, &d, 8);
	put_fixed_width(buf, b, 8);
}

static void put_bytes(pond_buf *buf, const void *p, size_t len)
{
	pond__avro_put_long(buf, (int64_t)len);
	pond_buf_put(buf, p, len);
}

/* How well a value fits a branch: 3 its own node, 2 same type (and name),
 * 1 by promotion, 0 not at all. */
static int fit(const pond_avro_node *b, const pond_avro_value *v)
{
	pond_avro_type t = v ? v->type : POND_AVRO_NULL;
	if (v && v->schema == b)
		return 3;
	if (t == POND_AVRO_MAP && b->type == POND_AVRO_ARRAY && b->logical == POND_AVRO_LOGICAL_ICEBERG_MAP)
		return 2;
	if (t == b->type) {
		if (b->name && v && v->schema && v->schema->name && strcmp(b->name, v->schema->name) != 0)
			return 1;
		if (b->type == POND_AVRO_FIXED && v->u.bytes.len != b->size)
			return 0;
		return 2;
	}
	switch (t) {
	case POND_AVRO_INT:
		return b->type == POND_AVRO_LONG || b->type == POND_AVRO_FLOAT || b->type == POND_AVRO_DOUBLE;
	case POND_AVRO_LONG:
		return b->type == POND_AVRO_FLOAT || b->type == POND_AVRO_DOUBLE;
	case POND_AVRO_FLOAT:
		return b->type == POND_AVRO_DOUBLE;
	case POND_AVRO_STRING:
		return b->type == POND_AVRO_BYTES || b->type == POND_AVRO_ENUM;
	case POND_AVRO_BYTES:
		return b->type == POND_AVRO_STRING;
	default:
		return 0;
	}
}

static int encode_union(enc *e, const pond_avro_node *node, const pond_avro_value *v, int depth)
{
	int best = 0;
	size_t best_i = 0;
	for (size_t i = 0; i < node->nbranches; i++) {
		int f = fit(node->branches[i], v);
		if (f > best) {
			best = f;
			best_i = i;
		}
	}
	if (!best) {
		const char *vt = v ? pond_avro_type_name(v->type) : "null";
		if (e->field)
			return pond_error_set(e->err, POND_EINVAL, "no branch of the union in field \"%s\" takes a %s value",
			                      e->field, vt);
		return pond_error_set(e->err, POND_EINVAL, "no branch of the union takes a %s value", vt);
	}
	pond__avro_put_long(e->buf, (int64_t)best_i);
	return encode(e, node->branches[best_i], v, depth + 1);
}

static int encode_default(enc *e, const pond_avro_node *node, const json_t *j, int depth);

/* A bytes or fixed default: a string of code points 0-255, one byte each.
 * 1 when a fixed default has the wrong length. */
static int default_bytes(enc *e, const pond_avro_node *node, const json_t *j)
{
	const uint8_t *s = (const uint8_t *)json_string_value(j);
	size_t n = json_string_length(j), out = 0;
	pond_buf tmp = POND_BUF_INIT;
	for (size_t i = 0; i < n; i++, out++) {
		uint8_t c = s[i];
		if (c >= 0xc0 && c <= 0xc3 && i + 1 < n)
			c = (uint8_t)(((c & 3) << 6) | (s[++i] & 0x3f));
		pond_buf_putc(&tmp, (char)c);
	}
	if (!pond_buf_ok(&tmp)) {
		pond_buf_dispose(&tmp);
		return pond_error_set(e->err, POND_ENOMEM, "out of memory encoding avro default");
	}
	if (node->type == POND_AVRO_FIXED && out != node->size) {
		pond_buf_dispose(&tmp);
		return 1;
	}
	if (node->type == POND_AVRO_BYTES)
		pond__avro_put_long(e->buf, (int64_t)out);
	pond_buf_put(e->buf, tmp.ptr, out);
	pond_buf_dispose(&tmp);
	return 0;
}

/* An array default (a JSON array) as one block. */
static int default_array(enc *e, const pond_avro_node *node, const json_t *j, int depth)
{
	size_t n = json_array_size(j);
	if (n)
		pond__avro_put_long(e->buf, (int64_t)n);
	for (size_t i = 0; i < n; i++) {
		int rc = encode_default(e, node->items, json_array_get(j, i), depth + 1);
		if (rc)
			return rc;
	}
	pond__avro_put_long(e->buf, 0);
	return 0;
}

/* A map default (a JSON object) as one block. */
static int default_map(enc *e, const pond_avro_node *node, const json_t *j, int depth)
{
	const char *k;
	json_t *val;
	if (json_object_size(j))
		pond__avro_put_long(e->buf, (int64_t)json_object_size(j));
	json_object_foreach((json_t *)j, k, val) {
		put_bytes(e->buf, k, strlen(k));
		int rc = encode_default(e, node->values, val, depth + 1);
		if (rc)
			return rc;
	}
	pond__avro_put_long(e->buf, 0);
	return 0;
}

/* A record default (a JSON object): each field from it, else the field's
 * own default. */
static int default_record(enc *e, const pond_avro_node *node, const json_t *j, int depth)
{
	for (size_t i = 0; i < node->nfields; i++) {
		const pond_avro_field *f = &node->fields[i];
		const json_t *fj = json_object_get(j, f->name);
		if (!fj)
			fj = f->default_value;
		if (!fj)
			return pond_error_set(e->err, POND_EINVAL, "default of field \"%s\" misses \"%s\"", e->field, f->name);
		int rc = encode_default(e, f->type, fj, depth + 1);
		if (rc)
			return rc;
	}
	return 0;
}

/* Spec "Complex Types" (field defaults): a default is the JSON encoding of
 * the value; a union's default is for its first branch; bytes and fixed
 * defaults are strings of code points 0-255. */
static int encode_default(enc *e, const pond_avro_node *node, const json_t *j, int depth)
{
	if (depth > POND_AVRO_MAX_DEPTH)
		return pond_error_set(e->err, POND_EINVAL, "default of field \"%s\" nested too deeply", e->field);
	switch (node->type) {
	case POND_AVRO_NULL:
		if (json_is_null(j))
			return 0;
		break;
	case POND_AVRO_BOOLEAN:
		if (json_is_boolean(j)) {
			pond_buf_putc(e->buf, json_is_true(j) ? 1 : 0);
			return 0;
		}
		break;
	case POND_AVRO_INT:
	case POND_AVRO_LONG:
		if (json_is_integer(j)) {
			pond__avro_put_long(e->buf, json_integer_value(j));
			return 0;
		}
		break;
	case POND_AVRO_FLOAT:
		if (json_is_number(j)) {
			put_float(e->buf, (float)json_number_value(j));
			return 0;
		}
		break;
	case POND_AVRO_DOUBLE:
		if (json_is_number(j)) {
			put_double(e->buf, json_number_value(j));
			return 0;
		}
		break;
	case POND_AVRO_STRING:
		if (json_is_string(j)) {
			put_bytes(e->buf, json_string_value(j), json_string_length(j));
			return 0;
		}
		break;
	case POND_AVRO_BYTES:
	case POND_AVRO_FIXED:
		if (json_is_string(j)) {
			int rc = default_bytes(e, node, j);
			if (rc <= 0)
				return rc;
		}
		break;
	case POND_AVRO_ENUM:
		if (json_is_string(j))
			for (size_t i = 0; i < node->nsymbols; i++)
				if (strcmp(node->symbols[i], json_string_value(j)) == 0) {
					pond__avro_put_long(e->buf, (int64_t)i);
					return 0;
				}
		break;
	case POND_AVRO_ARRAY:
		if (json_is_array(j))
			return default_array(e, node, j, depth);
		break;
	case POND_AVRO_MAP:
		if (json_is_object(j))
			return default_map(e, node, j, depth);
		break;
	case POND_AVRO_RECORD:
		if (json_is_object(j))
			return default_record(e, node, j, depth);
		break;
	case POND_AVRO_UNION:
		if (node->nbranches)
			return encode_default(e, node->branches[0], j, depth + 1);
		break;
	}
	return pond_error_set(e->err, POND_EINVAL, "default of field \"%s\" does not match its type %s", e->field,
	                      pond_avro_type_name(node->type));
}

static bool has_null_branch(const pond_avro_node *node, size_t *index)
{
	if (node->type != POND_AVRO_UNION)
		return false;
	for (size_t i = 0; i < node->nbranches; i++)
		if (node->branches[i]->type == POND_AVRO_NULL) {
			*index = i;
			return true;
		}
	return false;
}

static const pond_avro_value *record_field_value(const pond_avro_node *node, size_t i, const pond_avro_value *v)
{
	if (v->schema == node || !v->schema)
		return i < v->u.record.count ? v->u.record.fields[i] : NULL;
	const pond_avro_field *f = &node->fields[i];
	if (f->has_field_id && pond_avro_node_field_by_id(v->schema, f->field_id, NULL))
		return pond_avro_record_get_by_id(v, f->field_id);
	return pond_avro_record_get_by_name(v, f->name);
}

static int encode_record(enc *e, const pond_avro_node *node, const pond_avro_value *v, int depth)
{
	const char *outer = e->field;
	for (size_t i = 0; i < node->nfields; i++) {
		const pond_avro_field *f = &node->fields[i];
		const pond_avro_value *fv = record_field_value(node, i, v);
		size_t null_i;
		int rc;
		e->field = f->name;
		if (fv) {
			rc = encode(e, f->type, fv, depth + 1);
		} else if (f->type->type == POND_AVRO_NULL) {
			rc = 0;
		} else if (has_null_branch(f->type, &null_i)) {
			pond__avro_put_long(e->buf, (int64_t)null_i);
			rc = 0;
		} else if (f->default_value) {
			rc = encode_default(e, f->type, f->default_value, depth + 1);
		} else {
			rc = pond_error_set(e->err, POND_EINVAL, "no value for required avro field \"%s\"", f->name);
		}
		if (rc)
			return rc;
	}
	e->field = outer;
	return 0;
}

static int encode_iceberg_map(enc *e, const pond_avro_node *node, const pond_avro_value *v, int depth)
{
	const pond_avro_node *rec = node->items;
	if (v->u.map.count)
		pond__avro_put_long(e->buf, (int64_t)v->u.map.count);
	for (size_t i = 0; i < v->u.map.count; i++) {
		int rc = encode(e, rec->fields[0].type, v->u.map.entries[i].key, depth + 1);
		if (!rc)
			rc = encode(e, rec->fields[1].type, v->u.map.entries[i].value, depth + 1);
		if (rc)
			return rc;
	}
	pond__avro_put_long(e->buf, 0);
	return 0;
}

/* An enum value (or a string naming a symbol) as its index in node's
 * symbols. */
static int encode_enum(enc *e, const pond_avro_node *node, const pond_avro_value *v)
{
	const char *sym = v->type == POND_AVRO_ENUM ? v->u.enm.symbol
	                  : v->type == POND_AVRO_STRING ? (const char *)v->u.bytes.ptr : NULL;
	if (v->type == POND_AVRO_ENUM && v->schema == node && v->u.enm.index >= 0 &&
	    (size_t)v->u.enm.index < node->nsymbols) {
		pond__avro_put_long(e->buf, v->u.enm.index);
		return 0;
	}
	for (size_t i = 0; sym && i < node->nsymbols; i++)
		if (strcmp(node->symbols[i], sym) == 0) {
			pond__avro_put_long(e->buf, (int64_t)i);
			return 0;
		}
	return mismatch(e, node, v);
}

static int encode_array(enc *e, const pond_avro_node *node, const pond_avro_value *v, int depth)
{
	if (v->u.array.count)
		pond__avro_put_long(e->buf, (int64_t)v->u.array.count);
	for (size_t i = 0; i < v->u.array.count; i++) {
		int rc = encode(e, node->items, v->u.array.items[i], depth + 1);
		if (rc)
			return rc;
	}
	pond__avro_put_long(e->buf, 0);
	return 0;
}

static int encode_map(enc *e, const pond_avro_node *node, const pond_avro_value *v, int depth)
{
	if (v->u.map.count)
		pond__avro_put_long(e->buf, (int64_t)v->u.map.count);
	for (size_t i = 0; i < v->u.map.count; i++) {
		const pond_avro_value *k = v->u.map.entries[i].key;
		if (!k || (k->type != POND_AVRO_STRING && k->type != POND_AVRO_BYTES))
			return pond_error_set(e->err, POND_EINVAL, "avro map keys must be strings");
		put_bytes(e->buf, k->u.bytes.ptr, k->u.bytes.len);
		int rc = encode(e, node->values, v->u.map.entries[i].value, depth + 1);
		if (rc)
			return rc;
	}
	pond__avro_put_long(e->buf, 0);
	return 0;
}

static int encode(enc *e, const pond_avro_node *node, const pond_avro_value *v, int depth)
{
	if (depth > POND_AVRO_MAX_DEPTH)
		return pond_error_set(e->err, POND_EINVAL, "avro value nested too deeply");
	if (node->type == POND_AVRO_UNION)
		return encode_union(e, node, v, depth);
	if (!v)
		return node->type == POND_AVRO_NULL ? 0 : mismatch(e, node, v);
	switch (node->type) {
	case POND_AVRO_NULL:
		return v->type == POND_AVRO_NULL ? 0 : mismatch(e, node, v);
	case POND_AVRO_BOOLEAN:
		if (v->type != POND_AVRO_BOOLEAN)
			return mismatch(e, node, v);
		pond_buf_putc(e->buf, v->u.boolean ? 1 : 0);
		return 0;
	case POND_AVRO_INT: {
		int64_t l;
		if (!pond_avro_value_get_long(v, &l) || l < INT32_MIN || l > INT32_MAX)
			return mismatch(e, node, v);
		pond__avro_put_long(e->buf, l);
		return 0;
	}
	case POND_AVRO_LONG: {
		int64_t l;
		if (!pond_avro_value_get_long(v, &l))
			return mismatch(e, node, v);
		pond__avro_put_long(e->buf, l);
		return 0;
	}
	case POND_AVRO_FLOAT:
		if (v->type == POND_AVRO_FLOAT)
			put_float(e->buf, v->u.f32);
		else if (v->type == POND_AVRO_INT)
			put_float(e->buf, (float)v->u.i32);
		else if (v->type == POND_AVRO_LONG)
			put_float(e->buf, (float)v->u.i64);
		else
			return mismatch(e, node, v);
		return 0;
	case POND_AVRO_DOUBLE: {
		double d;
		int64_t l;
		if (pond_avro_value_get_double(v, &d))
			put_double(e->buf, d);
		else if (pond_avro_value_get_long(v, &l))
			put_double(e->buf, (double)l);
		else
			return mismatch(e, node, v);
		return 0;
	}
	case POND_AVRO_BYTES:
	case POND_AVRO_STRING:
		if (v->type != POND_AVRO_BYTES && v->type != POND_AVRO_STRING && v->type != POND_AVRO_FIXED)
			return mismatch(e, node, v);
		put_bytes(e->buf, v->u.bytes.ptr, v->u.bytes.len);
		return 0;
	case POND_AVRO_FIXED:
		if ((v->type != POND_AVRO_FIXED && v->type != POND_AVRO_BYTES) || v->u.bytes.len != node->size)
			return mismatch(e, node, v);
		pond_buf_put(e->buf, v->u.bytes.ptr, node->size);
		return 0;
	case POND_AVRO_ENUM:
		return encode_enum(e, node, v);
	case POND_AVRO_ARRAY:
		if (node->logical == POND_AVRO_LOGICAL_ICEBERG_MAP && v->type == POND_AVRO_MAP)
			return encode_iceberg_map(e, node, v, depth);
		if (v->type != POND_AVRO_ARRAY)
			return mismatch(e, node, v);
		return encode_array(e, node, v, depth);
	case POND_AVRO_MAP:
		if (v->type != POND_AVRO_MAP)
			return mismatch(e, node, v);
		return encode_map(e, node, v, depth);
	case POND_AVRO_RECORD:
		if (v->type != POND_AVRO_RECORD)
			return mismatch(e, node, v);
		return encode_record(e, node, v, depth);
	case POND_AVRO_UNION:
		break;
	}
	return mismatch(e, node, v);
}

int pond_avro_encode(pond_buf *buf, const pond_avro_node *node, const pond_avro_value *value, pond_error *err)
{
	enc e = {buf, err, NULL};
	int rc = encode(&e, node, value, 0);
	if (!rc && !pond_buf_ok(buf))
		return pond_error_set(err, POND_ENOMEM, "out of memory encoding avro value");
	return rc;
}

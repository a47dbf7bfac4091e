/*
 * Iceberg types: primitive type names, nested struct/list/map types, and
 * their JSON form (spec Appendix C, "Schemas"). Types live in an arena;
 * defaults are kept as JSON text so a re-serialization is exact.
 */
#include "iceberg_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	pond_iceberg_type_id id;
} primitive_names[] = {
	{"boolean", POND_ICEBERG_BOOLEAN},         {"int", POND_ICEBERG_INT},
	{"long", POND_ICEBERG_LONG},               {"float", POND_ICEBERG_FLOAT},
	{"double", POND_ICEBERG_DOUBLE},           {"date", POND_ICEBERG_DATE},
	{"time", POND_ICEBERG_TIME},               {"timestamp", POND_ICEBERG_TIMESTAMP},
	{"timestamptz", POND_ICEBERG_TIMESTAMPTZ}, {"timestamp_ns", POND_ICEBERG_TIMESTAMP_NS},
	{"timestamptz_ns", POND_ICEBERG_TIMESTAMPTZ_NS}, {"string", POND_ICEBERG_STRING},
	{"uuid", POND_ICEBERG_UUID},               {"binary", POND_ICEBERG_BINARY},
};

bool pond_iceberg_type_is_primitive(const pond_iceberg_type *type)
{
	return type->id != POND_ICEBERG_STRUCT && type->id != POND_ICEBERG_LIST && type->id != POND_ICEBERG_MAP;
}

void pond_iceberg_type_format(char out[40], const pond_iceberg_type *type)
{
	switch (type->id) {
	case POND_ICEBERG_DECIMAL:
		snprintf(out, 40, "decimal(%d, %d)", (int)type->precision, (int)type->scale);
		return;
	case POND_ICEBERG_FIXED:
		snprintf(out, 40, "fixed[%d]", (int)type->length);
		return;
	case POND_ICEBERG_STRUCT: snprintf(out, 40, "struct"); return;
	case POND_ICEBERG_LIST: snprintf(out, 40, "list"); return;
	case POND_ICEBERG_MAP: snprintf(out, 40, "map"); return;
	default:
		break;
	}
	for (size_t i = 0; i < sizeof(primitive_names) / sizeof(primitive_names[0]); i++)
		if (primitive_names[i].id == type->id) {
			snprintf(out, 40, "%s", primitive_names[i].name);
			return;
		}
	snprintf(out, 40, "?");
}

/* Reads "<int>" after skipping spaces; advances *p. */
static bool read_int(const char **p, int32_t *out)
{
	const char *s = *p;
	while (*s == ' ')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	int64_t v = 0;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s++ - '0');
		if (v > INT32_MAX)
			return false;
	}
	while (*s == ' ')
		s++;
	*p = s;
	*out = (int32_t)v;
	return true;
}

static bool parse_params(pond_iceberg_type *t, const char *name)
{
	const char *p;
	if (strncmp(name, "decimal(", 8) == 0) {
		p = name + 8;
		t->id = POND_ICEBERG_DECIMAL;
		if (!read_int(&p, &t->precision) || *p++ != ',' || !read_int(&p, &t->scale) || *p++ != ')' || *p)
			return false;
		/* Iceberg spec: precision must be 38 or less, scale fixed */
		return t->precision >= 1 && t->precision <= 38 && t->scale <= t->precision;
	}
	if (strncmp(name, "fixed[", 6) == 0) {
		p = name + 6;
		t->id = POND_ICEBERG_FIXED;
		if (!read_int(&p, &t->length) || *p++ != ']' || *p)
			return false;
		return t->length > 0;
	}
	return false;
}

int pond_iceberg_type_parse_primitive(pond_iceberg_type **out, const char *name, pond_arena *arena,
                                      pond_error *err)
{
	pond_iceberg_type *t = pond_arena_calloc(arena, 1, sizeof(*t));
	if (!t)
		return pond_error_set(err, POND_ENOMEM, "out of memory reading type");
	for (size_t i = 0; i < sizeof(primitive_names) / sizeof(primitive_names[0]); i++)
		if (strcmp(primitive_names[i].name, name) == 0) {
			t->id = primitive_names[i].id;
			*out = t;
			return 0;
		}
	if (!parse_params(t, name))
		return pond_error_set(err, POND_EINVAL, "unknown type \"%.100s\"", name);
	*out = t;
	return 0;
}

static int from_json(pond_iceberg_type **out, const json_t *json, pond_arena *arena, const char *what,
                     int depth, pond_error *err);

static int default_text(const json_t *obj, const char *key, const char **out, pond_arena *arena,
                        const char *what, pond_error *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (!(*out = pond__ice_json_text(v, arena)))
		return pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
	return 0;
}

static int field_from_json(pond_iceberg_field *f, const json_t *json, pond_arena *arena, const char *what,
                           int depth, pond_error *err)
{
	int rc;
	if (!json_is_object(json))
		return pond_error_set(err, POND_EINVAL, "%s: struct field must be an object", what);
	if ((rc = pond__ice_get_i32(json, "id", &f->id, true, what, err)) ||
	    (rc = pond__ice_get_str(json, "name", &f->name, true, arena, what, err)) ||
	    (rc = pond__ice_get_str(json, "doc", &f->doc, false, arena, what, err)))
		return rc;
	json_t *req = json_object_get(json, "required");
	if (!json_is_boolean(req))
		return pond_error_set(err, POND_EINVAL, "%s: field %d: \"required\" must be a boolean", what,
		                      (int)f->id);
	f->required = json_is_true(req);
	json_t *type = json_object_get(json, "type");
	if (!type)
		return pond_error_set(err, POND_EINVAL, "%s: field %d: missing field \"type\"", what, (int)f->id);
	if ((rc = from_json(&f->type, type, arena, what, depth + 1, err)) ||
	    (rc = default_text(json, "initial-default", &f->initial_default, arena, what, err)) ||
	    (rc = default_text(json, "write-default", &f->write_default, arena, what, err)))
		return rc;
	return 0;
}

static int struct_from_json(pond_iceberg_type *t, const json_t *json, pond_arena *arena, const char *what,
                            int depth, pond_error *err)
{
	json_t *fields;
	int rc = pond__ice_get_array(json, "fields", &fields, true, what, err);
	if (rc)
		return rc;
	t->nfields = json_array_size(fields);
	if (t->nfields && !(t->fields = pond_arena_calloc(arena, t->nfields, sizeof(*t->fields))))
		return pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
	for (size_t i = 0; i < t->nfields; i++)
		if ((rc = field_from_json(&t->fields[i], json_array_get(fields, i), arena, what, depth, err)))
			return rc;
	return 0;
}

static int required_bool(const json_t *json, const char *key, bool *out, const char *what, pond_error *err)
{
	json_t *v = json_object_get(json, key);
	if (!json_is_boolean(v))
		return pond_error_set(err, POND_EINVAL, "%s: field \"%s\" must be a boolean", what, key);
	*out = json_is_true(v);
	return 0;
}

static int list_from_json(pond_iceberg_type *t, const json_t *json, pond_arena *arena, const char *what,
                          int depth, pond_error *err)
{
	int rc;
	json_t *element = json_object_get(json, "element");
	if ((rc = pond__ice_get_i32(json, "element-id", &t->element_id, true, what, err)) ||
	    (rc = required_bool(json, "element-required", &t->element_required, what, err)))
		return rc;
	if (!element)
		return pond_error_set(err, POND_EINVAL, "%s: list: missing field \"element\"", what);
	return from_json(&t->element, element, arena, what, depth + 1, err);
}

static int map_from_json(pond_iceberg_type *t, const json_t *json, pond_arena *arena, const char *what,
                         int depth, pond_error *err)
{
	int rc;
	json_t *key = json_object_get(json, "key"), *value = json_object_get(json, "value");
	if ((rc = pond__ice_get_i32(json, "key-id", &t->key_id, true, what, err)) ||
	    (rc = pond__ice_get_i32(json, "value-id", &t->value_id, true, what, err)) ||
	    (rc = required_bool(json, "value-required", &t->value_required, what, err)))
		return rc;
	if (!key || !value)
		return pond_error_set(err, POND_EINVAL, "%s: map: missing field \"%s\"", what, key ? "value" : "key");
	if ((rc = from_json(&t->key, key, arena, what, depth + 1, err)))
		return rc;
	return from_json(&t->value, value, arena, what, depth + 1, err);
}

static int from_json(pond_iceberg_type **out, const json_t *json, pond_arena *arena, const char *what,
                     int depth, pond_error *err)
{
	if (depth > POND__ICEBERG_MAX_DEPTH)
		return pond_error_set(err, POND_ELIMIT, "%s: types nested deeper than %d", what,
		                      POND__ICEBERG_MAX_DEPTH);
	if (json_is_string(json)) {
		int rc = pond_iceberg_type_parse_primitive(out, json_string_value(json), arena, err);
		return rc ? pond_error_prefix(err, "%s", what) : 0;
	}
	if (!json_is_object(json))
		return pond_error_set(err, POND_EINVAL, "%s: a type must be a string or an object", what);
	const char *kind = json_string_value(json_object_get(json, "type"));
	if (!kind)
		return pond_error_set(err, POND_EINVAL, "%s: nested type: missing field \"type\"", what);
	pond_iceberg_type *t = pond_arena_calloc(arena, 1, sizeof(*t));
	if (!t)
		return pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
	int rc;
	if (strcmp(kind, "struct") == 0) {
		t->id = POND_ICEBERG_STRUCT;
		rc = struct_from_json(t, json, arena, what, depth, err);
	} else if (strcmp(kind, "list") == 0) {
		t->id = POND_ICEBERG_LIST;
		rc = list_from_json(t, json, arena, what, depth, err);
	} else if (strcmp(kind, "map") == 0) {
		t->id = POND_ICEBERG_MAP;
		rc = map_from_json(t, json, arena, what, depth, err);
	} else {
		rc = pond_error_set(err, POND_EINVAL, "%s: unknown nested type \"%.100s\"", what, kind);
	}
	if (rc)
		return rc;
	*out = t;
	return 0;
}

int pond_iceberg_type_from_json(pond_iceberg_type **out, const json_t *json, pond_arena *arena,
                                const char *what, pond_error *err)
{
	return from_json(out, json, arena, what, 0, err);
}

static json_t *field_to_json(const pond_iceberg_field *f)
{
	bool ok = true;
	json_t *o = json_object();
	pond__ice_set(o, "id", json_integer(f->id), &ok);
	pond__ice_set(o, "name", json_string(f->name), &ok);
	pond__ice_set(o, "required", json_boolean(f->required), &ok);
	pond__ice_set(o, "type", pond_iceberg_type_to_json(f->type), &ok);
	if (f->doc)
		pond__ice_set(o, "doc", json_string(f->doc), &ok);
	if (f->initial_default)
		pond__ice_set(o, "initial-default", pond__ice_json_from_text(f->initial_default), &ok);
	if (f->write_default)
		pond__ice_set(o, "write-default", pond__ice_json_from_text(f->write_default), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *pond_iceberg_type_to_json(const pond_iceberg_type *t)
{
	bool ok = true;
	json_t *o;
	if (pond_iceberg_type_is_primitive(t)) {
		char name[40];
		pond_iceberg_type_format(name, t);
		return json_string(name);
	}
	o = json_object();
	if (t->id == POND_ICEBERG_STRUCT) {
		pond__ice_set(o, "type", json_string("struct"), &ok);
		json_t *fields = json_array();
		for (size_t i = 0; i < t->nfields && fields; i++)
			pond__ice_append(fields, field_to_json(&t->fields[i]), &ok);
		pond__ice_set(o, "fields", fields, &ok);
	} else if (t->id == POND_ICEBERG_LIST) {
		pond__ice_set(o, "type", json_string("list"), &ok);
		pond__ice_set(o, "element-id", json_integer(t->element_id), &ok);
		pond__ice_set(o, "element", pond_iceberg_type_to_json(t->element), &ok);
		pond__ice_set(o, "element-required", json_boolean(t->element_required), &ok);
	} else {
		pond__ice_set(o, "type", json_string("map"), &ok);
		pond__ice_set(o, "key-id", json_integer(t->key_id), &ok);
		pond__ice_set(o, "key", pond_iceberg_type_to_json(t->key), &ok);
		pond__ice_set(o, "value-id", json_integer(t->value_id), &ok);
		pond__ice_set(o, "value", pond_iceberg_type_to_json(t->value), &ok);
		pond__ice_set(o, "value-required", json_boolean(t->value_required), &ok);
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

bool pond_iceberg_type_equal(const pond_iceberg_type *a, const pond_iceberg_type *b)
{
	if (a->id != b->id)
		return false;
	switch (a->id) {
	case POND_ICEBERG_DECIMAL:
		return a->precision == b->precision && a->scale == b->scale;
	case POND_ICEBERG_FIXED:
		return a->length == b->length;
	case POND_ICEBERG_LIST:
		return a->element_id == b->element_id && a->element_required == b->element_required &&
		       pond_iceberg_type_equal(a->element, b->element);
	case POND_ICEBERG_MAP:
		return a->key_id == b->key_id && a->value_id == b->value_id &&
		       a->value_required == b->value_required && pond_iceberg_type_equal(a->key, b->key) &&
		       pond_iceberg_type_equal(a->value, b->value);
	case POND_ICEBERG_STRUCT:
		if (a->nfields != b->nfields)
			return false;
		for (size_t i = 0; i < a->nfields; i++) {
			const pond_iceberg_field *fa = &a->fields[i], *fb = &b->fields[i];
			if (fa->id != fb->id || fa->required != fb->required || !str_eq(fa->name, fb->name) ||
			    !str_eq(fa->doc, fb->doc) || !str_eq(fa->initial_default, fb->initial_default) ||
			    !str_eq(fa->write_default, fb->write_default) ||
			    !pond_iceberg_type_equal(fa->type, fb->type))
				return false;
		}
		return true;
	default:
		return true;
	}
}

static const char *copy_str(const char *s, pond_arena *arena, bool *ok)
{
	if (!s)
		return NULL;
	char *c = pond_arena_strdup(arena, s);
	if (!c)
		*ok = false;
	return c;
}

static pond_iceberg_type *copy_type(const pond_iceberg_type *t, pond_arena *arena, bool *ok)
{
	pond_iceberg_type *c = pond_arena_memdup(arena, t, sizeof(*t));
	if (!c) {
		*ok = false;
		return NULL;
	}
	if (t->element)
		c->element = copy_type(t->element, arena, ok);
	if (t->key)
		c->key = copy_type(t->key, arena, ok);
	if (t->value)
		c->value = copy_type(t->value, arena, ok);
	if (t->nfields) {
		c->fields = pond_arena_memdup(arena, t->fields, t->nfields * sizeof(*t->fields));
		if (!c->fields) {
			*ok = false;
			return NULL;
		}
		for (size_t i = 0; i < t->nfields && *ok; i++) {
			pond_iceberg_field *f = &c->fields[i];
			f->name = copy_str(f->name, arena, ok);
			f->doc = copy_str(f->doc, arena, ok);
			f->initial_default = copy_str(f->initial_default, arena, ok);
			f->write_default = copy_str(f->write_default, arena, ok);
			f->type = copy_type(f->type, arena, ok);
		}
	}
	return *ok ? c : NULL;
}

pond_iceberg_type *pond_iceberg_type_copy(const pond_iceberg_type *type, pond_arena *arena)
{
	bool ok = true;
	return copy_type(type, arena, &ok);
}

/*
 * Iceberg schemas: a struct type with a schema-id and identifier fields,
 * lookups by field id and dotted name, and fresh id assignment for new
 * tables (spec "Schemas and Data Types"; ids assigned breadth-first per
 * struct, as Java's TypeUtil.assignFreshIds does).
 */
#include "iceberg_internal.h"

#include <jansson.h>
#include <string.h>

int pond_iceberg_schema_from_json(pond_iceberg_schema **out, const json_t *json, pond_arena *arena,
                                  const char *what, pond_error *err)
{
	int rc;
	if (!json_is_object(json))
		return pond_error_set(err, POND_EINVAL, "%s: schema must be an object", what);
	pond_iceberg_schema *s = pond_arena_calloc(arena, 1, sizeof(*s));
	if (!s)
		return pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
	if ((rc = pond__ice_get_i32(json, "schema-id", &s->schema_id, false, what, err)))
		return rc;
	const char *kind = json_string_value(json_object_get(json, "type"));
	if (kind && strcmp(kind, "struct") != 0)
		return pond_error_set(err, POND_EINVAL, "%s: schema \"type\" must be \"struct\"", what);
	if ((rc = pond_iceberg_type_from_json(&s->root, json, arena, what, err)))
		return rc;
	if (s->root->id != POND_ICEBERG_STRUCT)
		return pond_error_set(err, POND_EINVAL, "%s: schema must be a struct", what);
	json_t *ids;
	if ((rc = pond__ice_get_array(json, "identifier-field-ids", &ids, false, what, err)))
		return rc;
	if (ids && json_array_size(ids)) {
		s->nidentifier_field_ids = json_array_size(ids);
		s->identifier_field_ids = pond_arena_calloc(arena, s->nidentifier_field_ids, sizeof(int32_t));
		if (!s->identifier_field_ids)
			return pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
		for (size_t i = 0; i < s->nidentifier_field_ids; i++) {
			json_t *v = json_array_get(ids, i);
			if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN || json_integer_value(v) > INT32_MAX)
				return pond_error_set(err, POND_EINVAL, "%s: \"identifier-field-ids\" must hold field ids",
				                      what);
			s->identifier_field_ids[i] = (int32_t)json_integer_value(v);
		}
	}
	*out = s;
	return 0;
}

json_t *pond_iceberg_schema_to_json(const pond_iceberg_schema *schema)
{
	bool ok = true;
	json_t *root = pond_iceberg_type_to_json(schema->root);
	json_t *o = json_object();
	pond__ice_set(o, "type", json_string("struct"), &ok);
	pond__ice_set(o, "schema-id", json_integer(schema->schema_id), &ok);
	if (schema->nidentifier_field_ids) {
		json_t *ids = json_array();
		for (size_t i = 0; i < schema->nidentifier_field_ids; i++)
			pond__ice_append(ids, json_integer(schema->identifier_field_ids[i]), &ok);
		pond__ice_set(o, "identifier-field-ids", ids, &ok);
	}
	pond__ice_set(o, "fields", json_incref(json_object_get(root, "fields")), &ok);
	json_decref(root);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static const pond_iceberg_field *find_in(const pond_iceberg_type *t, int32_t id)
{
	if (!t)
		return NULL;
	switch (t->id) {
	case POND_ICEBERG_STRUCT:
		for (size_t i = 0; i < t->nfields; i++) {
			if (t->fields[i].id == id)
				return &t->fields[i];
			const pond_iceberg_field *f = find_in(t->fields[i].type, id);
			if (f)
				return f;
		}
		return NULL;
	case POND_ICEBERG_LIST:
		return find_in(t->element, id);
	case POND_ICEBERG_MAP: {
		const pond_iceberg_field *f = find_in(t->key, id);
		return f ? f : find_in(t->value, id);
	}
	default:
		return NULL;
	}
}

const pond_iceberg_field *pond_iceberg_schema_find_field(const pond_iceberg_schema *schema, int32_t field_id)
{
	return find_in(schema->root, field_id);
}

const pond_iceberg_field *pond_iceberg_schema_find_name(const pond_iceberg_schema *schema, const char *name)
{
	const pond_iceberg_type *t = schema->root;
	const char *p = name;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		const pond_iceberg_field *found = NULL;
		if (!t || t->id != POND_ICEBERG_STRUCT)
			return NULL;
		for (size_t i = 0; i < t->nfields; i++)
			if (strlen(t->fields[i].name) == len && memcmp(t->fields[i].name, p, len) == 0) {
				found = &t->fields[i];
				break;
			}
		/* A column name may itself hold dots: try the whole rest first. */
		if (dot && !found) {
			for (size_t i = 0; i < t->nfields; i++)
				if (strcmp(t->fields[i].name, p) == 0)
					return &t->fields[i];
		}
		if (!found || !dot)
			return found;
		t = found->type;
		p = dot + 1;
	}
}

/* Appends the path to id under t to buf; true when found. */
static bool name_in(pond_buf *buf, const pond_iceberg_type *t, int32_t id)
{
	size_t mark = buf->len;
	const char *part = NULL;
	const pond_iceberg_type *child = NULL;
	for (int i = 0;; i++) {
		if (t->id == POND_ICEBERG_STRUCT) {
			if ((size_t)i >= t->nfields)
				return false;
			part = t->fields[i].name;
			child = t->fields[i].type;
			if (t->fields[i].id == id) {
				pond_buf_puts(buf, part);
				return true;
			}
		} else if (t->id == POND_ICEBERG_LIST && i == 0) {
			part = "element", child = t->element;
			if (t->element_id == id) {
				pond_buf_puts(buf, part);
				return true;
			}
		} else if (t->id == POND_ICEBERG_MAP && i < 2) {
			part = i ? "value" : "key", child = i ? t->value : t->key;
			if ((i ? t->value_id : t->key_id) == id) {
				pond_buf_puts(buf, part);
				return true;
			}
		} else {
			return false;
		}
		pond_buf_puts(buf, part);
		pond_buf_putc(buf, '.');
		if (name_in(buf, child, id))
			return true;
		buf->len = mark;
		if (buf->ptr)
			buf->ptr[mark] = '\0';
	}
}

bool pond_iceberg_schema_field_name(pond_buf *buf, const pond_iceberg_schema *schema, int32_t field_id)
{
	return name_in(buf, schema->root, field_id);
}

static int32_t highest_in(const pond_iceberg_type *t)
{
	int32_t hi = 0, v;
	switch (t->id) {
	case POND_ICEBERG_STRUCT:
		for (size_t i = 0; i < t->nfields; i++) {
			if (t->fields[i].id > hi)
				hi = t->fields[i].id;
			if ((v = highest_in(t->fields[i].type)) > hi)
				hi = v;
		}
		return hi;
	case POND_ICEBERG_LIST:
		v = highest_in(t->element);
		return v > t->element_id ? v : t->element_id;
	case POND_ICEBERG_MAP:
		hi = t->key_id > t->value_id ? t->key_id : t->value_id;
		if ((v = highest_in(t->key)) > hi)
			hi = v;
		if ((v = highest_in(t->value)) > hi)
			hi = v;
		return hi;
	default:
		return 0;
	}
}

int32_t pond_iceberg_schema_highest_field_id(const pond_iceberg_schema *schema)
{
	return highest_in(schema->root);
}

/* Gives every id directly under t a new number first, then recurses: the
 * order Java uses, so tables created by pond and Java look alike. */
static void assign_ids(pond_iceberg_type *t, int32_t *next)
{
	switch (t->id) {
	case POND_ICEBERG_STRUCT:
		for (size_t i = 0; i < t->nfields; i++)
			t->fields[i].id = ++*next;
		for (size_t i = 0; i < t->nfields; i++)
			assign_ids(t->fields[i].type, next);
		break;
	case POND_ICEBERG_LIST:
		t->element_id = ++*next;
		assign_ids(t->element, next);
		break;
	case POND_ICEBERG_MAP:
		t->key_id = ++*next;
		t->value_id = ++*next;
		assign_ids(t->key, next);
		assign_ids(t->value, next);
		break;
	default:
		break;
	}
}

pond_iceberg_schema *pond_iceberg_schema_copy(const pond_iceberg_schema *schema, pond_arena *arena)
{
	pond_iceberg_schema *c = pond_arena_memdup(arena, schema, sizeof(*schema));
	if (!c || !(c->root = pond_iceberg_type_copy(schema->root, arena)))
		return NULL;
	if (schema->nidentifier_field_ids &&
	    !(c->identifier_field_ids = pond_arena_memdup(arena, schema->identifier_field_ids,
	                                                  schema->nidentifier_field_ids * sizeof(int32_t))))
		return NULL;
	return c;
}

int pond_iceberg_schema_assign_fresh_ids(pond_iceberg_schema **out, const pond_iceberg_schema *schema,
                                         int32_t *last_column_id, pond_arena *arena, pond_error *err)
{
	return pond_iceberg_schema_assign_ids_after(out, schema, 0, last_column_id, arena, err);
}

int pond_iceberg_schema_assign_ids_after(pond_iceberg_schema **out, const pond_iceberg_schema *schema, int32_t after,
                                         int32_t *last_column_id, pond_arena *arena, pond_error *err)
{
	pond_iceberg_schema *c = pond_iceberg_schema_copy(schema, arena);
	if (!c)
		return pond_error_set(err, POND_ENOMEM, "out of memory copying schema");
	int32_t next = after;
	assign_ids(c->root, &next);
	/* identifier fields keep pointing at the same columns */
	for (size_t i = 0; i < c->nidentifier_field_ids; i++) {
		pond_buf name = POND_BUF_INIT;
		const pond_iceberg_field *f = NULL;
		if (pond_iceberg_schema_field_name(&name, schema, schema->identifier_field_ids[i]) && pond_buf_ok(&name))
			f = pond_iceberg_schema_find_name(c, pond_buf_cstr(&name));
		pond_buf_dispose(&name);
		if (!f)
			return pond_error_set(err, POND_EINVAL, "identifier field %d not found in schema",
			                      (int)schema->identifier_field_ids[i]);
		c->identifier_field_ids[i] = f->id;
	}
	c->schema_id = 0;
	*last_column_id = next;
	*out = c;
	return 0;
}

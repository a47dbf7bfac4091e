/*
 * Partition specs: JSON form (v2 spec objects and v1's bare field arrays),
 * checking a spec against a schema, the partition tuple type, and the
 * partition path Java writes ("name=value/...", URL-encoded).
 */
#include "iceberg_internal.h"

#include <jansson.h>
#include <string.h>

typedef struct {
	int32_t *next_field_id;
	pond_arena *arena;
	const char *what;
} field_ctx;

static int field_from_json(void *item, const json_t *json, void *payload, pond_error *err)
{
	pond_iceberg_partition_field *f = item;
	int32_t *next_field_id = ((field_ctx *)payload)->next_field_id;
	pond_arena *arena = ((field_ctx *)payload)->arena;
	const char *what = ((field_ctx *)payload)->what;
	int rc;
	const char *transform = NULL;
	f->field_id = -1;
	if ((rc = pond__ice_get_i32(json, "source-id", &f->source_id, true, what, err)) ||
	    (rc = pond__ice_get_i32(json, "field-id", &f->field_id, false, what, err)) ||
	    (rc = pond__ice_get_str(json, "name", &f->name, true, arena, what, err)) ||
	    (rc = pond__ice_get_str(json, "transform", &transform, true, arena, what, err)))
		return rc;
	if ((rc = pond_iceberg_transform_parse(&f->transform, transform, err)))
		return pond_error_prefix(err, "%s: partition field \"%s\"", what, f->name);
	/* v1 specs may omit field ids: spec says they are assigned from 1000 */
	if (f->field_id == -1) {
		if (!next_field_id)
			return pond_error_set(err, POND_EINVAL, "%s: partition field \"%s\": missing field \"field-id\"",
			                      what, f->name);
		f->field_id = (*next_field_id)++;
	}
	return 0;
}

int pond_iceberg_partition_spec_from_json(pond_iceberg_partition_spec **out, const json_t *json,
                                          int32_t *next_field_id, pond_arena *arena, const char *what,
                                          pond_error *err)
{
	int rc;
	json_t *fields = (json_t *)json;
	pond_iceberg_partition_spec *spec = pond_arena_calloc(arena, 1, sizeof(*spec));
	if (!spec)
		return pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
	if (!json_is_array(json)) {
		if ((rc = pond__ice_get_i32(json, "spec-id", &spec->spec_id, true, what, err)) ||
		    (rc = pond__ice_get_array(json, "fields", &fields, true, what, err)))
			return rc;
	}
	field_ctx ctx = {next_field_id, arena, what};
	void *items;
	if ((rc = pond__ice_read_objects(&items, &spec->nfields, fields, sizeof(*spec->fields), field_from_json, &ctx,
	                                 arena, what, "partition field", err)))
		return rc;
	spec->fields = items;
	*out = spec;
	return 0;
}

json_t *pond_iceberg_partition_spec_to_json(const pond_iceberg_partition_spec *spec)
{
	bool ok = true;
	json_t *o = json_object(), *fields = json_array();
	pond__ice_set(o, "spec-id", json_integer(spec->spec_id), &ok);
	for (size_t i = 0; i < spec->nfields; i++) {
		const pond_iceberg_partition_field *f = &spec->fields[i];
		char transform[32];
		json_t *fo = json_object();
		pond_iceberg_transform_format(transform, f->transform);
		pond__ice_set(fo, "name", json_string(f->name), &ok);
		pond__ice_set(fo, "transform", json_string(transform), &ok);
		pond__ice_set(fo, "source-id", json_integer(f->source_id), &ok);
		pond__ice_set(fo, "field-id", json_integer(f->field_id), &ok);
		pond__ice_append(fields, fo, &ok);
	}
	pond__ice_set(o, "fields", fields, &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int pond_iceberg_partition_spec_check(const pond_iceberg_partition_spec *spec,
                                      const pond_iceberg_schema *schema, pond_error *err)
{
	for (size_t i = 0; i < spec->nfields; i++) {
		const pond_iceberg_partition_field *f = &spec->fields[i];
		const pond_iceberg_field *src = pond_iceberg_schema_find_field(schema, f->source_id);
		if (!src)
			return pond_error_set(err, POND_EINVAL,
			                      "partition spec %d: field \"%s\": source-id %d not found in schema %d",
			                      (int)spec->spec_id, f->name, (int)f->source_id, (int)schema->schema_id);
		if (!pond_iceberg_transform_accepts(f->transform, src->type)) {
			char tname[32], sname[40];
			pond_iceberg_transform_format(tname, f->transform);
			pond_iceberg_type_format(sname, src->type);
			return pond_error_set(err, POND_EINVAL, "partition spec %d: field \"%s\": transform %s cannot apply to type %s",
			                      (int)spec->spec_id, f->name, tname, sname);
		}
		for (size_t j = 0; j < i; j++)
			if (spec->fields[j].field_id == f->field_id || strcmp(spec->fields[j].name, f->name) == 0)
				return pond_error_set(err, POND_EINVAL, "partition spec %d: field \"%s\" appears twice",
				                      (int)spec->spec_id, f->name);
	}
	return 0;
}

int pond_iceberg_partition_spec_type(pond_iceberg_type **out, const pond_iceberg_partition_spec *spec,
                                     const pond_iceberg_schema *schema, pond_arena *arena, pond_error *err)
{
	int rc;
	pond_iceberg_type *t = pond_arena_calloc(arena, 1, sizeof(*t));
	if (!t || (spec->nfields && !(t->fields = pond_arena_calloc(arena, spec->nfields, sizeof(*t->fields)))))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	t->id = POND_ICEBERG_STRUCT;
	t->nfields = spec->nfields;
	for (size_t i = 0; i < spec->nfields; i++) {
		const pond_iceberg_partition_field *f = &spec->fields[i];
		const pond_iceberg_field *src = pond_iceberg_schema_find_field(schema, f->source_id);
		if (!src)
			return pond_error_set(err, POND_EINVAL, "partition field \"%s\": source-id %d not found in schema",
			                      f->name, (int)f->source_id);
		if ((rc = pond_iceberg_transform_result_type(&t->fields[i].type, f->transform, src->type, arena, err)))
			return pond_error_prefix(err, "partition field \"%s\"", f->name);
		t->fields[i].id = f->field_id;
		t->fields[i].name = f->name;
	}
	*out = t;
	return 0;
}

/* java.net.URLEncoder: letters, digits and ".-*_" stay; space is '+'. */
static void put_url_encoded(pond_buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		    c == '-' || c == '*' || c == '_') {
			pond_buf_putc(out, (char)c);
		} else if (c == ' ') {
			pond_buf_putc(out, '+');
		} else {
			pond_buf_putc(out, '%');
			pond_buf_putc(out, hex[c >> 4]);
			pond_buf_putc(out, hex[c & 15]);
		}
	}
}

void pond_iceberg_partition_path(pond_buf *out, const pond_iceberg_partition_spec *spec,
                                 const pond_iceberg_literal *values)
{
	pond_buf value = POND_BUF_INIT;
	for (size_t i = 0; i < spec->nfields; i++) {
		if (i)
			pond_buf_putc(out, '/');
		put_url_encoded(out, spec->fields[i].name, strlen(spec->fields[i].name));
		pond_buf_putc(out, '=');
		pond_buf_clear(&value);
		pond_iceberg_transform_human(&value, spec->fields[i].transform, &values[i]);
		if (!pond_buf_ok(&value))
			out->oom = true;
		put_url_encoded(out, pond_buf_cstr(&value), value.len);
	}
	pond_buf_dispose(&value);
}

int32_t pond_iceberg_partition_spec_highest_field_id(const pond_iceberg_partition_spec *spec)
{
	int32_t hi = POND_ICEBERG_PARTITION_FIELD_START - 1;
	for (size_t i = 0; i < spec->nfields; i++)
		if (spec->fields[i].field_id > hi)
			hi = spec->fields[i].field_id;
	return hi;
}

/*
 * JSON reading and building helpers for the iceberg layer. Reads check
 * ranges (ids are 32-bit in the spec) and name the field and the input in
 * errors; builders keep one sticky failure flag instead of a check per call.
 */
#include "iceberg_internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int field(const json_t *obj, const char *key, json_t **out, bool required, const char *what,
                 pond_error *err)
{
	if (!json_is_object(obj))
		return pond_error_set(err, POND_EINVAL, "%s: expected an object holding \"%s\"", what, key);
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		if (required)
			return pond_error_set(err, POND_EINVAL, "%s: missing field \"%s\"", what, key);
		*out = NULL;
		return 0;
	}
	*out = v;
	return 0;
}

int pond__ice_get_i64(const json_t *obj, const char *key, int64_t *out, bool required, const char *what,
                      pond_error *err)
{
	json_t *v = NULL;
	int rc = field(obj, key, &v, required, what, err);
	if (rc || !v)
		return rc;
	if (!json_is_integer(v))
		return pond_error_set(err, POND_EINVAL, "%s: field \"%s\" must be an integer", what, key);
	*out = json_integer_value(v);
	return 0;
}

int pond__ice_get_i32(const json_t *obj, const char *key, int32_t *out, bool required, const char *what,
                      pond_error *err)
{
	int64_t v = 0;
	json_t *present;
	int rc = field(obj, key, &present, required, what, err);
	if (rc || !present)
		return rc;
	rc = pond__ice_get_i64(obj, key, &v, required, what, err);
	if (rc)
		return rc;
	if (v < INT32_MIN || v > INT32_MAX)
		return pond_error_set(err, POND_EINVAL, "%s: field \"%s\" out of range: %lld", what, key,
		                      (long long)v);
	*out = (int32_t)v;
	return 0;
}

int pond__ice_get_str(const json_t *obj, const char *key, const char **out, bool required, pond_arena *arena,
                      const char *what, pond_error *err)
{
	json_t *v = NULL;
	int rc = field(obj, key, &v, required, what, err);
	if (rc || !v)
		return rc;
	if (!json_is_string(v))
		return pond_error_set(err, POND_EINVAL, "%s: field \"%s\" must be a string", what, key);
	char *s = pond_arena_strndup(arena, json_string_value(v), json_string_length(v));
	if (!s)
		return pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
	*out = s;
	return 0;
}

int pond__ice_get_array(const json_t *obj, const char *key, json_t **out, bool required, const char *what,
                        pond_error *err)
{
	json_t *v = NULL;
	int rc = field(obj, key, &v, required, what, err);
	if (rc)
		return rc;
	if (v && !json_is_array(v))
		return pond_error_set(err, POND_EINVAL, "%s: field \"%s\" must be an array", what, key);
	*out = v;
	return 0;
}

int pond__ice_read_objects(void **out, size_t *count, const json_t *array, size_t size, pond__ice_object_fn fn,
                           void *payload, pond_arena *arena, const char *what, const char *noun, pond_error *err)
{
	size_t n = json_array_size(array);
	char *items = NULL;
	*out = NULL;
	*count = 0;
	if (n && !(items = pond_arena_calloc(arena, n, size)))
		return pond_error_set(err, POND_ENOMEM, "%s: out of memory", what);
	for (size_t i = 0; i < n; i++) {
		json_t *item = json_array_get(array, i);
		if (!json_is_object(item))
			return pond_error_set(err, POND_EINVAL, "%s: %s must be an object", what, noun);
		int rc = fn(items + i * size, item, payload, err);
		if (rc)
			return rc;
	}
	*out = items;
	*count = n;
	return 0;
}

void pond__ice_set(json_t *obj, const char *key, json_t *value, bool *ok)
{
	if (!value || !obj) {
		json_decref(value);
		*ok = false;
		return;
	}
	if (json_object_set_new(obj, key, value) != 0)
		*ok = false;
}

void pond__ice_append(json_t *array, json_t *value, bool *ok)
{
	if (!value || !array) {
		json_decref(value);
		*ok = false;
		return;
	}
	if (json_array_append_new(array, value) != 0)
		*ok = false;
}

const char *pond__ice_json_text(const json_t *value, pond_arena *arena)
{
	char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
	if (!text)
		return NULL;
	char *copy = pond_arena_strdup(arena, text);
	free(text); /* jansson's allocator */
	return copy;
}

json_t *pond__ice_json_from_text(const char *text)
{
	return json_loads(text, JSON_DECODE_ANY, NULL);
}

void *pond__ice_array_push(pond_arena *arena, void **array, size_t *n, size_t elem)
{
	size_t bytes;
	if (pond_mul_overflows(*n + 1, elem, &bytes))
		return NULL;
	char *grown = pond_arena_alloc(arena, bytes);
	if (!grown)
		return NULL;
	if (*n)
		memcpy(grown, *array, *n * elem);
	memset(grown + *n * elem, 0, elem);
	*array = grown;
	return grown + (*n)++ * elem;
}

void pond__ice_format_date(pond_buf *out, int64_t days)
{
	int64_t y;
	unsigned m, d;
	pond_civil_from_days(days, &y, &m, &d);
	if (y >= 0 && y <= 9999)
		pond_buf_printf(out, "%04lld-%02u-%02u", (long long)y, m, d);
	else
		pond_buf_printf(out, "%+lld-%02u-%02u", (long long)y, m, d);
}

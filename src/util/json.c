/*
 * JSON helpers over jansson: parsing with errors that name the input and
 * position, and typed getters whose errors name the field.
 */
#include "pond/util.h"

#include <jansson.h>
#include <string.h>

int pond_json_parse(json_t **out, const char *text, size_t len, const char *what, pond_error *err)
{
	json_error_t jerr;
	json_t *v = json_loadb(text, len, JSON_ALLOW_NUL, &jerr);
	if (!v)
		return pond_error_set(err, POND_ECORRUPT, "%s:%d:%d: invalid JSON: %s",
		                      what, jerr.line, jerr.column, jerr.text);
	*out = v;
	return 0;
}

int pond_json_load_file(json_t **out, const char *path, pond_error *err)
{
	char *text;
	size_t len;
	int rc = pond_file_read(&text, &len, path, (size_t)1 << 30, err);
	if (rc)
		return rc;
	rc = pond_json_parse(out, text, len, path, err);
	pond_free(text);
	return rc;
}

static int get_field(const json_t *obj, const char *key, json_t **out, bool required,
                     const char *what, pond_error *err)
{
	if (!json_is_object(obj))
		return pond_error_set(err, POND_EINVAL, "%s: expected an object holding \"%s\"", what, key);
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		if (required)
			return pond_error_set(err, POND_ENOTFOUND, "%s: missing field \"%s\"", what, key);
		*out = NULL;
		return 0;
	}
	*out = v;
	return 0;
}

static int wrong_type(const char *what, const char *key, const char *type, pond_error *err)
{
	return pond_error_set(err, POND_EINVAL, "%s: field \"%s\" must be %s", what, key, type);
}

static int get_int(const json_t *obj, const char *key, int64_t *out, bool required,
                   const char *what, pond_error *err)
{
	json_t *v = NULL;
	int rc = get_field(obj, key, &v, required, what, err);
	if (rc || !v)
		return rc;
	if (!json_is_integer(v))
		return wrong_type(what, key, "an integer", err);
	*out = json_integer_value(v);
	return 0;
}

int pond_json_get_int(const json_t *obj, const char *key, int64_t *out, const char *what, pond_error *err)
{
	return get_int(obj, key, out, true, what, err);
}

int pond_json_get_int_opt(const json_t *obj, const char *key, int64_t *out, const char *what, pond_error *err)
{
	return get_int(obj, key, out, false, what, err);
}

static int get_string(const json_t *obj, const char *key, const char **out, bool required,
                      const char *what, pond_error *err)
{
	json_t *v = NULL;
	int rc = get_field(obj, key, &v, required, what, err);
	if (rc || !v)
		return rc;
	if (!json_is_string(v))
		return wrong_type(what, key, "a string", err);
	*out = json_string_value(v);
	return 0;
}

int pond_json_get_string(const json_t *obj, const char *key, const char **out, const char *what, pond_error *err)
{
	return get_string(obj, key, out, true, what, err);
}

int pond_json_get_string_opt(const json_t *obj, const char *key, const char **out, const char *what, pond_error *err)
{
	return get_string(obj, key, out, false, what, err);
}

int pond_json_get_bool_opt(const json_t *obj, const char *key, bool *out, const char *what, pond_error *err)
{
	json_t *v = NULL;
	int rc = get_field(obj, key, &v, false, what, err);
	if (rc || !v)
		return rc;
	if (!json_is_boolean(v))
		return wrong_type(what, key, "true or false", err);
	*out = json_is_true(v);
	return 0;
}

int pond_json_get_array(const json_t *obj, const char *key, json_t **out, const char *what, pond_error *err)
{
	int rc = get_field(obj, key, out, true, what, err);
	if (rc)
		return rc;
	if (!json_is_array(*out))
		return wrong_type(what, key, "an array", err);
	return 0;
}

int pond_json_get_object(const json_t *obj, const char *key, json_t **out, const char *what, pond_error *err)
{
	int rc = get_field(obj, key, out, true, what, err);
	if (rc)
		return rc;
	if (!json_is_object(*out))
		return wrong_type(what, key, "an object", err);
	return 0;
}

char *pond_json_dumps(const json_t *value, bool pretty)
{
	size_t flags = JSON_PRESERVE_ORDER | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17);
	flags |= pretty ? JSON_INDENT(2) : JSON_COMPACT;
	char *s = json_dumps(value, flags);
	if (!s)
		return NULL;
	/* jansson allocates with malloc; hand back a pond allocation. */
	char *copy = pond_strdup(s);
	free(s);
	return copy;
}

void pond_json_quote(pond_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	pond_buf_putc(b, '"');
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		pond_buf_put(b, s + start, i - start);
		start = i + 1;
		switch (c) {
		case '"': pond_buf_puts(b, "\\\""); break;
		case '\\': pond_buf_puts(b, "\\\\"); break;
		case '\n': pond_buf_puts(b, "\\n"); break;
		case '\r': pond_buf_puts(b, "\\r"); break;
		case '\t': pond_buf_puts(b, "\\t"); break;
		case '\b': pond_buf_puts(b, "\\b"); break;
		case '\f': pond_buf_puts(b, "\\f"); break;
		default: {
			char esc[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
			pond_buf_puts(b, esc);
		}
		}
	}
	pond_buf_put(b, s + start, len - start);
	pond_buf_putc(b, '"');
}

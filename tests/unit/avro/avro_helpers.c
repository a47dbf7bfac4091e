/*
 * Helpers for the avro unit tests (see avro_helpers.h).
 */
#include "avro_helpers.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

const char avro_test_everything_schema[] =
	"{\"type\":\"record\",\"name\":\"everything\",\"namespace\":\"pond.test\",\"fields\":["
	"{\"name\":\"n\",\"type\":\"null\",\"field-id\":1},"
	"{\"name\":\"b\",\"type\":\"boolean\",\"field-id\":2},"
	"{\"name\":\"i\",\"type\":\"int\",\"field-id\":3},"
	"{\"name\":\"l\",\"type\":\"long\",\"field-id\":4},"
	"{\"name\":\"f\",\"type\":\"float\",\"field-id\":5},"
	"{\"name\":\"d\",\"type\":\"double\",\"field-id\":6},"
	"{\"name\":\"by\",\"type\":\"bytes\",\"field-id\":7},"
	"{\"name\":\"s\",\"type\":\"string\",\"field-id\":8},"
	"{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"color\",\"symbols\":[\"red\",\"green\",\"blue\"]},\"field-id\":9},"
	"{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"quad\",\"size\":4},\"field-id\":10},"
	"{\"name\":\"arr\",\"type\":{\"type\":\"array\",\"items\":\"int\",\"element-id\":12},\"field-id\":11},"
	"{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"long\",\"key-id\":14,\"value-id\":15},\"field-id\":13},"
	"{\"name\":\"opt\",\"type\":[\"null\",\"string\"],\"default\":null,\"field-id\":16},"
	"{\"name\":\"u\",\"type\":[\"null\",\"int\",\"string\"],\"field-id\":17},"
	"{\"name\":\"nested\",\"type\":{\"type\":\"record\",\"name\":\"inner\",\"fields\":["
	"{\"name\":\"x\",\"type\":\"int\",\"field-id\":19},"
	"{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\",\"element-id\":33},\"field-id\":20}]},\"field-id\":18},"
	"{\"name\":\"inners\",\"type\":{\"type\":\"array\",\"items\":\"inner\",\"element-id\":34},\"field-id\":21},"
	"{\"name\":\"counts\",\"type\":{\"type\":\"array\",\"logicalType\":\"map\",\"items\":{\"type\":\"record\",\"name\":\"k23_v24\",\"fields\":["
	"{\"name\":\"key\",\"type\":\"int\",\"field-id\":23},{\"name\":\"value\",\"type\":\"long\",\"field-id\":24}]}},\"field-id\":22},"
	"{\"name\":\"dec\",\"type\":{\"type\":\"fixed\",\"name\":\"decimal_9_2\",\"size\":5,\"logicalType\":\"decimal\",\"precision\":9,\"scale\":2},\"field-id\":25},"
	"{\"name\":\"decb\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":10,\"scale\":3},\"field-id\":26},"
	"{\"name\":\"day\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"},\"field-id\":27},"
	"{\"name\":\"tm\",\"type\":{\"type\":\"long\",\"logicalType\":\"time-micros\"},\"field-id\":28},"
	"{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\",\"adjust-to-utc\":true},\"field-id\":29},"
	"{\"name\":\"id\",\"type\":{\"type\":\"string\",\"logicalType\":\"uuid\"},\"field-id\":30},"
	"{\"name\":\"nested_opt\",\"type\":[\"null\",\"inner\"],\"field-id\":31},"
	"{\"name\":\"mm\",\"type\":{\"type\":\"map\",\"values\":{\"type\":\"array\",\"items\":[\"null\",\"double\"]}},\"field-id\":32}"
	"]}";

static const pond_avro_node *field_type(const pond_avro_node *rec, const char *name)
{
	const pond_avro_field *f = pond_avro_node_field_by_name(rec, name, NULL);
	return f ? f->type : NULL;
}

static pond_avro_value *inner(pond_arena *a, const pond_avro_node *inner_node, int i, int ntags)
{
	pond_avro_value *r = pond_avro_value_record(a, inner_node);
	pond_avro_value *tags = pond_avro_value_array(a, (size_t)ntags);
	if (!r || !tags)
		return NULL;
	for (int t = 0; t < ntags; t++) {
		char s[32];
		snprintf(s, sizeof(s), "tag-%d-%d", i, t);
		tags->u.array.items[t] = pond_avro_value_string(a, s);
	}
	pond_avro_record_set(r, "x", pond_avro_value_int(a, i * 7 - 3));
	pond_avro_record_set(r, "tags", tags);
	return r;
}

pond_avro_value *avro_test_everything(pond_arena *a, const pond_avro_node *root, int i)
{
	pond_avro_value *r = pond_avro_value_record(a, root);
	if (!r)
		return NULL;
	char s[64];
	uint8_t bytes[8] = {0, 1, 0x7f, 0x80, 0xff, (uint8_t)i, 0xab, 0};
	const pond_avro_node *inner_node = field_type(root, "nested");
	pond_avro_record_set(r, "n", pond_avro_value_null(a));
	pond_avro_record_set(r, "b", pond_avro_value_boolean(a, i % 2));
	pond_avro_record_set(r, "i", pond_avro_value_int(a, i % 3 == 0 ? INT32_MIN + i : i * 1000));
	pond_avro_record_set(r, "l", pond_avro_value_long(a, i % 2 ? INT64_MAX - i : -6653143792592159268LL + i));
	pond_avro_record_set(r, "f", pond_avro_value_float(a, (float)i * 0.5f - 3.25f));
	pond_avro_record_set(r, "d", pond_avro_value_double(a, (double)i * -1.25 + 1e10));
	pond_avro_record_set(r, "by", pond_avro_value_bytes(a, bytes, (size_t)(i % 8)));
	snprintf(s, sizeof(s), "string \"%d\" caf\xc3\xa9\t\\", i);
	pond_avro_record_set(r, "s", pond_avro_value_string(a, s));
	pond_avro_record_set(r, "e", pond_avro_value_enum(a, field_type(root, "e"), i % 3));
	pond_avro_record_set(r, "fx", pond_avro_value_fixed(a, bytes + 2, 4));
	int narr = i % 5;
	pond_avro_value *arr = pond_avro_value_array(a, (size_t)narr);
	for (int k = 0; arr && k < narr; k++)
		arr->u.array.items[k] = pond_avro_value_int(a, k * i - 2);
	pond_avro_record_set(r, "arr", arr);
	int nm = i % 4;
	pond_avro_value *m = pond_avro_value_map(a, (size_t)nm);
	for (int k = 0; m && k < nm; k++) {
		snprintf(s, sizeof(s), "key%d", k);
		m->u.map.entries[k].key = pond_avro_value_string(a, s);
		m->u.map.entries[k].value = pond_avro_value_long(a, (int64_t)k << 40);
	}
	pond_avro_record_set(r, "m", m);
	snprintf(s, sizeof(s), "optional %d", i);
	pond_avro_record_set(r, "opt", i % 2 ? pond_avro_value_string(a, s) : pond_avro_value_null(a));
	pond_avro_record_set(r, "u", i % 3 == 0 ? pond_avro_value_null(a)
	                             : i % 3 == 1 ? pond_avro_value_int(a, -i) : pond_avro_value_string(a, "three"));
	pond_avro_record_set(r, "nested", inner(a, inner_node, i, i % 3));
	int ni = i % 3;
	pond_avro_value *inners = pond_avro_value_array(a, (size_t)ni);
	for (int k = 0; inners && k < ni; k++)
		inners->u.array.items[k] = inner(a, inner_node, i + k, k);
	pond_avro_record_set(r, "inners", inners);
	int nc = i % 4;
	pond_avro_value *counts = pond_avro_value_map(a, (size_t)nc);
	for (int k = 0; counts && k < nc; k++) {
		counts->u.map.entries[k].key = pond_avro_value_int(a, k + 1);
		counts->u.map.entries[k].value = pond_avro_value_long(a, (int64_t)(k + 1) * 1000 + i);
	}
	if (counts)
		counts->schema = field_type(root, "counts");
	pond_avro_record_set(r, "counts", counts);
	uint8_t dec[5] = {0, 0, 0x30, 0x39, (uint8_t)i};
	pond_avro_record_set(r, "dec", pond_avro_value_fixed(a, dec, 5));
	uint8_t decb[2] = {0xff, (uint8_t)(0x80 | i)};
	pond_avro_record_set(r, "decb", pond_avro_value_bytes(a, decb, 2));
	pond_avro_record_set(r, "day", pond_avro_value_int(a, 19000 + i));
	pond_avro_record_set(r, "tm", pond_avro_value_long(a, 3600000000LL + i));
	pond_avro_record_set(r, "ts", pond_avro_value_long(a, 1700000000000000LL + i));
	pond_avro_record_set(r, "id", pond_avro_value_string(a, "6f1c2a3b-0000-4000-8000-00000000abcd"));
	pond_avro_record_set(r, "nested_opt", i % 2 ? inner(a, inner_node, -i, 1) : pond_avro_value_null(a));
	pond_avro_value *mm = pond_avro_value_map(a, 1);
	pond_avro_value *dl = pond_avro_value_array(a, 3);
	if (mm && dl) {
		dl->u.array.items[0] = pond_avro_value_double(a, 0.5 * i);
		dl->u.array.items[1] = pond_avro_value_null(a);
		dl->u.array.items[2] = pond_avro_value_double(a, -2.0);
		mm->u.map.entries[0].key = pond_avro_value_string(a, "ratios");
		mm->u.map.entries[0].value = dl;
	}
	pond_avro_record_set(r, "mm", mm);
	return r;
}

char *avro_test_json(const pond_avro_value *value)
{
	pond_buf b = POND_BUF_INIT;
	pond_avro_value_to_json(&b, value);
	if (!pond_buf_ok(&b)) {
		pond_buf_dispose(&b);
		return NULL;
	}
	return pond_buf_detach(&b);
}

bool avro_test_json_equal(const char *a, const char *b)
{
	json_error_t e;
	json_t *ja = json_loads(a, JSON_DECODE_ANY, &e);
	json_t *jb = json_loads(b, JSON_DECODE_ANY, &e);
	bool eq = ja && jb && json_equal(ja, jb);
	if (!eq)
		fprintf(stderr, "    json differs:\n      %s\n      %s\n", a, b);
	json_decref(ja);
	json_decref(jb);
	return eq;
}

int avro_test_slurp(const char *path, char **data, size_t *len)
{
	pond_error err = POND_ERROR_INIT;
	return pond_file_read(data, len, path, (size_t)64 << 20, &err);
}

static char **push_line(char **lines, size_t *n, char *line)
{
	char **grown = realloc(lines, (*n + 2) * sizeof(char *));
	if (!grown)
		abort();
	grown[(*n)++] = line;
	grown[*n] = NULL;
	return grown;
}

char ***avro_test_avsc_dump_files(const char *const *paths, size_t n)
{
	pond_buf cmd = POND_BUF_INIT;
	pond_buf_puts(&cmd, "node tests/node/avro_dump.js");
	for (size_t i = 0; i < n; i++)
		pond_buf_printf(&cmd, " '%s'", paths[i]);
	FILE *p = popen(pond_buf_cstr(&cmd), "r");
	if (!p) {
		pond_buf_dispose(&cmd);
		return NULL;
	}
	/* One NULL-terminated array per file; an empty line ends a file. */
	char ***files = calloc(n + 1, sizeof(char **));
	size_t file = 0, count = 0, cap = 0;
	char *line = NULL;
	ssize_t got;
	while (files && (got = getline(&line, &cap, p)) >= 0) {
		if (got > 0 && line[got - 1] == '\n')
			line[--got] = '\0';
		if (got == 0) {
			file++;
			count = 0;
		} else if (file < n) {
			files[file] = push_line(files[file], &count, strdup(line));
		}
	}
	free(line);
	int status = pclose(p);
	if (status != 0 || !files || file != n) {
		fprintf(stderr, "    %s exited with status %d after %zu of %zu files\n", pond_buf_cstr(&cmd), status, file,
		        n);
		avro_test_free_files(files, n);
		files = NULL;
	}
	pond_buf_dispose(&cmd);
	return files;
}

char **avro_test_avsc_dump(const char *path)
{
	char ***files = avro_test_avsc_dump_files(&path, 1);
	char **lines = files ? files[0] : NULL;
	free(files);
	return lines;
}

void avro_test_free_files(char ***files, size_t n)
{
	for (size_t i = 0; files && i < n; i++)
		avro_test_free_lines(files[i]);
	free(files);
}

void avro_test_free_lines(char **lines)
{
	for (size_t i = 0; lines && lines[i]; i++)
		free(lines[i]);
	free(lines);
}

char **avro_test_pond_dump(const char *path, pond_error *err)
{
	pond_avro_reader *r;
	if (pond_avro_reader_open_file(&r, path, err))
		return NULL;
	pond_arena *arena = pond_arena_new();
	char **lines = NULL;
	size_t n = 0;
	const pond_avro_value *v;
	int rc;
	while ((rc = pond_avro_reader_next(r, arena, &v, err)) == 1) {
		char *j = avro_test_json(v);
		lines = push_line(lines, &n, strdup(j ? j : ""));
		pond_free(j);
		pond_arena_reset(arena);
	}
	pond_arena_free(&arena);
	pond_avro_reader_close(&r);
	if (rc < 0) {
		avro_test_free_lines(lines);
		return NULL;
	}
	if (!lines)
		lines = push_line(lines, &n, NULL), n = 0;
	return lines;
}

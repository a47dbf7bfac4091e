/*
 * Unit tests for the util layer: errors, allocation failure injection,
 * arenas, buffers, JSON helpers, time, uuids, hashing and files.
 */
#include "../test.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pond/util.h"

TEST(error_set_returns_code_and_flattens_newlines)
{
	pond_error err = POND_ERROR_INIT;
	int rc = pond_error_set(&err, POND_EIO, "could not open %s:\nline two", "x.csv");
	CHECK_INT(rc, POND_EIO);
	CHECK_INT(err.code, POND_EIO);
	CHECK_STR(err.msg, "could not open x.csv: line two");
	pond_error_prefix(&err, "sources/%s", "a.yml");
	CHECK_STR(err.msg, "sources/a.yml: could not open x.csv: line two");
	CHECK_STR(pond_error_code_name(POND_ECONFLICT), "conflict");
	CHECK_INT(pond_error_set(NULL, POND_EINVAL, "ignored"), POND_EINVAL);
}

TEST(error_too_long_for_one_message_ends_in_an_ellipsis)
{
	pond_error err = POND_ERROR_INIT;
	char path[3 * POND_ERROR_MSG_MAX];
	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	pond_error_set(&err, POND_EIO, "could not open %s", path);
	CHECK_INT(strlen(err.msg), POND_ERROR_MSG_MAX - 1);
	CHECK(pond_str_ends_with(err.msg, "..."));
	pond_error_set(&err, POND_EIO, "short");
	pond_error_prefix(&err, "%s", path);
	CHECK_INT(strlen(err.msg), POND_ERROR_MSG_MAX - 1);
	CHECK(pond_str_ends_with(err.msg, "..."));
	pond_error_set(&err, POND_EIO, "fits exactly");
	CHECK_STR(err.msg, "fits exactly");
}

TEST(alloc_fail_at_fails_exactly_the_nth_allocation)
{
	pond_alloc_fail_at(2);
	void *a = pond_malloc(8);
	void *b = pond_malloc(8);
	void *c = pond_malloc(8);
	pond_alloc_fail_at(0);
	CHECK(a != NULL);
	CHECK(b == NULL);
	CHECK(c != NULL);
	pond_free(a);
	pond_free(c);
	CHECK(pond_calloc(SIZE_MAX / 2, 4) == NULL);
	CHECK(pond_reallocarray(NULL, SIZE_MAX / 2, 4) == NULL);
}

TEST(arena_allocations_are_aligned_and_reset_frees)
{
	pond_arena *a = pond_arena_new();
	CHECK(a != NULL);
	for (int i = 0; i < 1000; i++) {
		char *p = pond_arena_alloc(a, (size_t)(i % 37) + 1);
		CHECK(p != NULL);
		CHECK(((uintptr_t)p & 15) == 0);
		p[0] = 'x';
	}
	char *big = pond_arena_alloc(a, 100000);
	CHECK(big != NULL);
	big[99999] = 'y';
	CHECK(pond_arena_used(a) >= 100000);
	CHECK_STR(pond_arena_sprintf(a, "%s-%d", "n", 42), "n-42");
	CHECK_STR(pond_arena_strndup(a, "abcdef", 3), "abc");
	pond_arena_reset(a);
	CHECK_INT(pond_arena_used(a), 0);
	CHECK(pond_arena_alloc(a, 16) != NULL);
	CHECK(pond_arena_calloc(a, SIZE_MAX / 2, 4) == NULL);
	pond_arena_free(&a);
	CHECK(a == NULL);
}

TEST(arena_survives_allocation_failures)
{
	for (long n = 1; n < 12; n++) {
		pond_alloc_fail_at(n);
		pond_arena *a = pond_arena_new();
		if (a) {
			for (int i = 0; i < 10; i++)
				pond_arena_alloc(a, 3000);
			pond_arena_free(&a);
		}
		pond_alloc_fail_at(0);
	}
}

TEST(buf_grows_and_oom_is_sticky)
{
	pond_buf b = POND_BUF_INIT;
	CHECK_STR(pond_buf_cstr(&b), "");
	for (int i = 0; i < 1000; i++)
		pond_buf_printf(&b, "%d,", i);
	CHECK(pond_buf_ok(&b));
	CHECK(pond_str_starts_with(pond_buf_cstr(&b), "0,1,2,"));
	CHECK(pond_str_ends_with(pond_buf_cstr(&b), "998,999,"));
	pond_buf_clear(&b);
	pond_buf_dispose(&b);

	pond_buf c = POND_BUF_INIT;
	pond_alloc_fail_at(1);
	pond_buf_puts(&c, "hello");
	pond_alloc_fail_at(0);
	pond_buf_puts(&c, "world");  /* sticky: still failed */
	CHECK(!pond_buf_ok(&c));
	CHECK(pond_buf_detach(&c) == NULL);
	pond_buf_dispose(&c);
}

TEST(json_getters_name_the_field)
{
	pond_error err = POND_ERROR_INIT;
	json_t *doc;
	const char *text = "{\"a\": 5, \"s\": \"x\", \"b\": true, \"arr\": [1]}";
	CHECK_OK(pond_json_parse(&doc, text, strlen(text), "t.json", &err), &err);
	int64_t a = 0;
	CHECK_OK(pond_json_get_int(doc, "a", &a, "t.json", &err), &err);
	CHECK_INT(a, 5);
	const char *s = NULL;
	CHECK_INT(pond_json_get_int(doc, "s", &a, "t.json", &err), POND_EINVAL);
	CHECK_STR(err.msg, "t.json: field \"s\" must be an integer");
	CHECK_INT(pond_json_get_string(doc, "zz", &s, "t.json", &err), POND_ENOTFOUND);
	CHECK_STR(err.msg, "t.json: missing field \"zz\"");
	CHECK_OK(pond_json_get_string_opt(doc, "zz", &s, "t.json", &err), &err);
	CHECK(s == NULL);
	bool flag = false;
	CHECK_OK(pond_json_get_bool_opt(doc, "b", &flag, "t.json", &err), &err);
	CHECK(flag);
	json_t *arr;
	CHECK_OK(pond_json_get_array(doc, "arr", &arr, "t.json", &err), &err);
	CHECK_INT(json_array_size(arr), 1);
	json_decref(doc);

	CHECK_INT(pond_json_parse(&doc, "{\n\"a\": }", 8, "bad.json", &err), POND_ECORRUPT);
	CHECK(pond_str_starts_with(err.msg, "bad.json:2:"));
}

TEST(json_quote_escapes_control_characters)
{
	pond_buf b = POND_BUF_INIT;
	pond_json_quote(&b, "a\"b\\c\n\x01", 7);
	CHECK_STR(pond_buf_cstr(&b), "\"a\\\"b\\\\c\\n\\u0001\"");
	pond_buf_dispose(&b);
}

TEST(civil_days_round_trip_and_known_dates)
{
	CHECK_INT(pond_days_from_civil(1970, 1, 1), 0);
	CHECK_INT(pond_days_from_civil(2017, 11, 16), 17486);
	CHECK_INT(pond_days_from_civil(1969, 12, 31), -1);
	CHECK_INT(pond_days_from_civil(2000, 3, 1), 11017);
	for (int64_t d = -800000; d < 800000; d += 997) {
		int64_t y;
		unsigned m, day;
		pond_civil_from_days(d, &y, &m, &day);
		CHECK_INT(pond_days_from_civil(y, m, day), d);
	}
}

TEST(time_format_and_parse)
{
	char s[40];
	pond_time_format_us(s, 0);
	CHECK_STR(s, "1970-01-01T00:00:00Z");
	pond_time_format_us(s, 1510871468123456LL);
	CHECK_STR(s, "2017-11-16T22:31:08.123456Z");
	pond_time_format_us(s, -1);
	CHECK_STR(s, "1969-12-31T23:59:59.999999Z");
	pond_time_format_ms(s, 1510871468123LL);
	CHECK_STR(s, "2017-11-16T22:31:08.123Z");
	pond_error err = POND_ERROR_INIT;
	int64_t us;
	CHECK_OK(pond_time_parse_us("2017-11-16T22:31:08", &us, &err), &err);
	CHECK_INT(us, 1510871468000000LL);
	CHECK_OK(pond_time_parse_us("2017-11-16 22:31:08.5+01:00", &us, &err), &err);
	CHECK_INT(us, 1510867868500000LL);
	CHECK_OK(pond_time_parse_us("2024-02-29", &us, &err), &err);
	CHECK_INT(pond_time_parse_us("2023-02-29", &us, &err), POND_EINVAL);
	CHECK_INT(pond_time_parse_us("yesterday", &us, &err), POND_EINVAL);
	CHECK(strstr(err.msg, "yesterday") != NULL);
}

TEST(uuid_v4_has_version_bits_and_round_trips)
{
	uint8_t u[16], back[16];
	pond_uuid_v4(u);
	CHECK_INT(u[6] >> 4, 4);
	CHECK_INT(u[8] >> 6, 2);
	char s[37];
	pond_uuid_format(s, u);
	CHECK_INT(strlen(s), 36);
	CHECK_INT(pond_uuid_parse(back, s), 0);
	CHECK(memcmp(u, back, 16) == 0);
	CHECK(pond_uuid_parse(back, "not-a-uuid") != 0);
	char a[37], b[37];
	pond_uuid_v4_string(a);
	pond_uuid_v4_string(b);
	CHECK(strcmp(a, b) != 0);
}

TEST(murmur3_matches_reference_values)
{
	/* Iceberg spec Appendix B: "iceberg" hashes to 1210000089. */
	CHECK_INT((int32_t)pond_murmur3_32("iceberg", 7, 0), 1210000089);
	/* long 34 as 8 little-endian bytes: 2017239379. */
	uint8_t v[8] = {34, 0, 0, 0, 0, 0, 0, 0};
	CHECK_INT((int32_t)pond_murmur3_32(v, 8, 0), 2017239379);
	CHECK_INT(pond_murmur3_32("", 0, 0), 0);
	CHECK(pond_hash64("a", 1) != pond_hash64("b", 1));
}

TEST(file_write_atomic_then_read_and_limits)
{
	pond_error err = POND_ERROR_INIT;
	char path[4300], dir[4200];
	snprintf(dir, sizeof(dir), "%s/a/b/c", pond_test_tmpdir());
	CHECK_OK(pond_mkdirs(dir, &err), &err);
	snprintf(path, sizeof(path), "%s/f.txt", dir);
	CHECK_OK(pond_file_write_atomic(path, "hello", 5, &err), &err);
	CHECK_OK(pond_file_write_atomic(path, "hello2", 6, &err), &err);
	char *data;
	size_t len;
	CHECK_OK(pond_file_read(&data, &len, path, 100, &err), &err);
	CHECK_INT(len, 6);
	CHECK_STR(data, "hello2");
	pond_free(data);
	CHECK_INT(pond_file_read(&data, &len, path, 3, &err), POND_ELIMIT);
	CHECK_INT(pond_file_read(&data, &len, "/nonexistent/x", 3, &err), POND_ENOTFOUND);
	CHECK(strstr(err.msg, "/nonexistent/x") != NULL);
	CHECK(pond_file_exists(path));
}

TEST(sql_quoting_doubles_quotes)
{
	pond_buf b = POND_BUF_INIT;
	pond_sql_quote_literal(&b, "it's");
	pond_buf_putc(&b, ' ');
	pond_sql_quote_ident(&b, "a\"b");
	CHECK_STR(pond_buf_cstr(&b), "'it''s' \"a\"\"b\"");
	pond_buf_dispose(&b);
	int64_t v;
	CHECK(pond_str_to_i64("-42", &v) && v == -42);
	CHECK(!pond_str_to_i64("4x", &v));
	CHECK(!pond_str_to_i64("", &v));
	CHECK(pond_str_ieq("Debug", "DEBUG"));
}

TEST(log_level_from_environment)
{
	setenv("POND_LOG", "debug", 1);
	pond_log_init();
	CHECK(pond_log_enabled(POND_LOG_DEBUG));
	setenv("POND_LOG", "error", 1);
	pond_log_init();
	CHECK(!pond_log_enabled(POND_LOG_WARN));
	CHECK(pond_log_enabled(POND_LOG_ERROR));
	unsetenv("POND_LOG");
	pond_log_init();
	CHECK(pond_log_enabled(POND_LOG_WARN));
	CHECK(!pond_log_enabled(POND_LOG_INFO));
}

static const pond_yaml_node *parse_yaml(pond_arena *a, const char *text, pond_error *err)
{
	pond_yaml_node *root = NULL;
	if (pond_yaml_parse(&root, text, strlen(text), "pond.yml", a, err) != 0)
		return NULL;
	return root;
}

TEST(yaml_parses_maps_sequences_and_positions)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	const pond_yaml_node *root = parse_yaml(a,
		"name: markets\n"
		"warehouse: 'data/warehouse'\n"
		"retries: 3\n"
		"enabled: yes\n"
		"tags: [a, b]\n"
		"defaults: &d {tz: UTC}\n"
		"pipelines:\n"
		"  daily:\n"
		"    schedule: \"0 6 * * *\"\n"
		"    settings: *d\n"
		"    steps:\n"
		"      - ingest: prices\n"
		"      - transform\n"
		"empty:\n", &err);
	CHECK_MSG(root != NULL, "%s", err.msg);
	CHECK_INT(root->kind, POND_YAML_MAP);
	const char *s;
	CHECK_OK(pond_yaml_string(pond_yaml_get(root, "name"), &s, "pond.yml", "name", &err), &err);
	CHECK_STR(s, "markets");
	CHECK(pond_yaml_get(root, "warehouse")->quoted);
	int64_t n;
	CHECK_OK(pond_yaml_int(pond_yaml_get(root, "retries"), &n, "pond.yml", "retries", &err), &err);
	CHECK_INT(n, 3);
	bool b = false;
	CHECK_OK(pond_yaml_bool(pond_yaml_get(root, "enabled"), &b, "pond.yml", "enabled", &err), &err);
	CHECK(b);
	CHECK_INT(pond_yaml_get(root, "tags")->count, 2);
	const pond_yaml_node *daily = pond_yaml_get(pond_yaml_get(root, "pipelines"), "daily");
	CHECK(daily != NULL);
	CHECK_INT(daily->line, 9);
	CHECK_INT(pond_yaml_get(daily, "schedule")->line, 9);
	CHECK_STR(pond_yaml_get(pond_yaml_get(daily, "settings"), "tz")->value, "UTC");
	const pond_yaml_node *steps = pond_yaml_get(daily, "steps");
	CHECK_INT(steps->count, 2);
	CHECK_INT(steps->items[1]->line, 13);
	CHECK(pond_yaml_is_null(pond_yaml_get(root, "empty")));
	CHECK(pond_yaml_get(root, "missing") == NULL);
	pond_arena_free(&a);
}

TEST(yaml_errors_name_file_line_and_key)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	CHECK(parse_yaml(a, "a: 1\nb: [1, 2\n", &err) == NULL);
	CHECK_MSG(pond_str_starts_with(err.msg, "pond.yml:3:"), "%s", err.msg);
	CHECK(parse_yaml(a, "a: 1\na: 2\n", &err) == NULL);
	CHECK_STR(err.msg, "pond.yml:2:1: duplicate key \"a\"");
	const pond_yaml_node *root = parse_yaml(a, "name: x\nwarehous: y\nretries: many\n", &err);
	CHECK(root != NULL);
	static const char *const allowed[] = {"name", "warehouse", "retries", NULL};
	CHECK_INT(pond_yaml_check_keys(root, allowed, "pond.yml", &err), POND_EINVAL);
	CHECK_STR(err.msg, "pond.yml:2: unknown key \"warehous\"");
	int64_t n;
	CHECK_INT(pond_yaml_int(pond_yaml_get(root, "retries"), &n, "pond.yml", "retries", &err), POND_EINVAL);
	CHECK_STR(err.msg, "pond.yml:3:10: \"retries\" must be a whole number");
	CHECK(parse_yaml(a, "x: *nope\n", &err) == NULL);
	CHECK(strstr(err.msg, "unknown alias") != NULL);
	root = parse_yaml(a, "", &err);
	CHECK(root != NULL && root->kind == POND_YAML_MAP && root->count == 0);
	pond_arena_free(&a);
}

TEST(yaml_depth_is_limited)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_buf deep = POND_BUF_INIT;
	for (int i = 0; i < 100; i++)
		pond_buf_putc(&deep, '[');
	for (int i = 0; i < 100; i++)
		pond_buf_putc(&deep, ']');
	CHECK(parse_yaml(a, pond_buf_cstr(&deep), &err) == NULL);
	CHECK_INT(err.code, POND_ELIMIT);
	pond_buf_dispose(&deep);
	pond_arena_free(&a);
}

TEST(yaml_refuses_recursive_aliases_and_alias_bombs)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	/* Found by fuzz_yaml: an alias inside the node it names. */
	CHECK(parse_yaml(a, "y: &h {a: *h,\n p: *h}\n", &err) == NULL);
	CHECK_STR(err.msg, "pond.yml:1:11: alias \"*h\" refers to a node that contains it");
	pond_buf bomb = POND_BUF_INIT;
	pond_buf_puts(&bomb, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < 10; i++) {
		pond_buf_printf(&bomb, "a%d: &a%d [", i, i);
		for (int k = 0; k < 10; k++)
			pond_buf_printf(&bomb, "%s*a%d", k ? ", " : "", i - 1);
		pond_buf_puts(&bomb, "]\n");
	}
	CHECK(parse_yaml(a, pond_buf_cstr(&bomb), &err) == NULL);
	CHECK_INT(err.code, POND_ELIMIT);
	CHECK(strstr(err.msg, "aliases expand to more than") != NULL);
	pond_buf_dispose(&bomb);
	/* Plain sharing still works. */
	const pond_yaml_node *root = parse_yaml(a, "d: &d {tz: UTC}\nx: *d\ny: *d\n", &err);
	CHECK_MSG(root != NULL, "%s", err.msg);
	CHECK_STR(pond_yaml_get(pond_yaml_get(root, "y"), "tz")->value, "UTC");
	pond_arena_free(&a);
}

TEST(arena_grow_doubles_and_keeps_items)
{
	pond_arena *a = pond_arena_new();
	int *items = NULL;
	size_t cap = 0;
	for (size_t n = 0; n < 1000; n++) {
		CHECK(pond_arena_grow(a, (void **)&items, n, &cap, sizeof(*items)));
		items[n] = (int)n;
	}
	CHECK_INT(cap, 1024);
	for (size_t n = 0; n < 1000; n++)
		CHECK_INT(items[n], n);
	/* A failed allocation leaves the array as it was. */
	size_t before = cap;
	int *kept = items;
	pond_alloc_fail_at(1);
	CHECK(!pond_arena_grow(a, (void **)&items, cap, &cap, 1 << 20));
	pond_alloc_fail_at(0);
	CHECK(items == kept && cap == before);
	pond_arena_free(&a);
}

TEST(utf8_valid_refuses_overlongs_surrogates_and_past_the_last_code_point)
{
	static const struct {
		const char *bytes;
		bool ok;
	} cases[] = {
	        {"", true},
	        {"plain ascii", true},
	        {"h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\xa6\x86", true}, /* é ✓ 🦆 */
	        {"\xed\x9f\xbf", true},                                /* U+D7FF, below the surrogates */
	        {"\xf4\x8f\xbf\xbf", true},                            /* U+10FFFF, the last */
	        {"\xc0\x80", false},                                   /* overlong NUL */
	        {"\xe0\x80\xaf", false},                               /* overlong '/' */
	        {"\xf0\x80\x80\xaf", false},                           /* overlong, four bytes */
	        {"\xed\xa0\x80", false},                               /* U+D800, a surrogate */
	        {"\xf4\x90\x80\x80", false},                           /* U+110000 */
	        {"\xe2\x9c", false},                                   /* cut short */
	        {"\x80", false},                                       /* a lone continuation byte */
	        {"\xc3\x28", false},                                   /* lead byte, then no continuation */
	        {"\xff", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_MSG(pond_utf8_valid(cases[i].bytes, strlen(cases[i].bytes)) == cases[i].ok, "case %zu", i);
	/* A NUL byte inside the length is a valid code point. */
	CHECK(pond_utf8_valid("a\0b", 3));
}

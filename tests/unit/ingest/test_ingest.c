/*
 * Unit tests for ingestion: the source config parser (errors with line
 * numbers, secrets), JSON paths, pagination state machines, Link and
 * Retry-After parsing, backoff bounds, reader error rewriting, and loads
 * into a real lake with state kept in the snapshot summary.
 */
#include "../test.h"

#include <jansson.h>
#include <stdlib.h>
#include <time.h>

#include "ingest/ingest_internal.h"
#include "pond/ingest.h"
#include "../table/fixture.h"

static int parse(pond_source **out, const char *yaml, pond_arena *a, pond_error *err)
{
	return pond_source_parse(out, "src", yaml, strlen(yaml), "sources/src.yml", NULL, a, err);
}

TEST(ingest_config_parses_an_http_source)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_source *s;
	setenv("POND_UNIT_TOKEN", "t0k", 1);
	CHECK_OK(parse(&s,
	               "type: http\n"
	               "table: raw.items\n"
	               "url: https://api.example.com/items\n"
	               "params: {status: open}\n"
	               "headers: {X-Trace: \"1\"}\n"
	               "auth: {type: bearer, token: \"${POND_UNIT_TOKEN}\"}\n"
	               "records: data.items\n"
	               "paginate: {type: cursor, path: meta.next, param: after, size_param: per_page, size: 50}\n"
	               "incremental: {field: updated_at, param: since, initial: '2024-01-01'}\n"
	               "rate_limit: {requests_per_second: 2.5}\n"
	               "retry: {max_attempts: 7, backoff_ms: 100, max_backoff_ms: 5000}\n"
	               "fan_out: {url: 'https://api.example.com/item/{id}', parallel: 4, fetch: unseen, "
	               "refresh_within: 1d12h}\n"
	               "mode: merge\n"
	               "key: [id, region]\n"
	               "schema: freeze\n"
	               "timeout: 10\n",
	               a, &err),
	         &err);
	CHECK_STR(pond_source_type(s), "http");
	CHECK_STR(pond_source_table(s), "raw.items");
	CHECK_STR(s->auth_token, "t0k");
	CHECK_INT(s->auth, AUTH_BEARER);
	CHECK_INT(s->page.type, PAGE_CURSOR);
	CHECK_STR(s->page.param, "after");
	CHECK_INT(s->page.size, 50);
	CHECK_STR(s->cursor_field, "updated_at");
	CHECK_STR(s->cursor_initial, "2024-01-01");
	CHECK(s->requests_per_second == 2.5);
	CHECK_INT(s->retry.max_attempts, 7);
	CHECK_INT(s->parallel, 4);
	CHECK(s->fetch_unseen);
	CHECK_INT(s->refresh_ms, 36 * 3600 * 1000);
	CHECK_INT(s->write.mode, POND_INGEST_MERGE);
	CHECK_INT(s->write.nkeys, 2);
	CHECK_STR(s->write.keys[1], "region");
	CHECK_INT(s->write.schema, POND_SCHEMA_FREEZE);
	CHECK_INT(s->timeout_ms, 10000);
	CHECK_INT(s->nparams, 1);
	CHECK_STR(s->params[0].value, "open");
	pond_arena_free(&a);
}

/* Each bad config fails with its file, line and a word of the reason. */
TEST(ingest_config_errors_name_file_and_line)
{
	static const struct {
		const char *yaml;
		const char *want;
	} cases[] = {
		{"type: http\ntable: t\nurl: http://x\nurll: http://y\n", "sources/src.yml:4: unknown key \"urll\""},
		{"type: http\ntable: t\nurl: http://x\npaginate:\n  type: cursr\n",
		 "sources/src.yml:5: unknown pagination type \"cursr\""},
		{"type: http\ntable: t\nurl: http://x\npaginate:\n  type: offset\n  sise: 3\n",
		 "sources/src.yml:6: unknown key \"sise\""},
		{"type: http\ntable: t\nurl: http://x\npaginate: {type: cursor}\n", "sources/src.yml:4: paginate type cursor needs"},
		{"type: ftp\ntable: t\n", "sources/src.yml:1: unknown source type \"ftp\""},
		{"table: t\n", "sources/src.yml:1: \"type\" is missing"},
		{"type: http\nurl: http://x\n", "\"table\" is missing"},
		{"type: http\ntable: t\nurl: ftp://x\n", "sources/src.yml:3: \"url\" must start with http"},
		{"type: http\ntable: t\nurl: http://x\nmode: upsert\n", "sources/src.yml:4: unknown mode \"upsert\""},
		{"type: http\ntable: t\nurl: http://x\nmode: merge\n", "sources/src.yml:4: mode merge needs \"key\""},
		{"type: http\ntable: t\nurl: http://x\nauth:\n  type: bearer\n", "sources/src.yml:5: auth type bearer needs"},
		{"type: http\ntable: t\nurl: http://x\nheaders:\n  A: \"${POND_UNIT_NOPE}\"\n",
		 "sources/src.yml:5: ${POND_UNIT_NOPE} is not set"},
		{"type: http\ntable: t\nurl: http://x\nretry: {max_attempts: 0}\n", "sources/src.yml:4: \"max_attempts\" must be"},
		{"type: http\ntable: t\nurl: http://x\nfan_out: {url: http://x/item}\n", "sources/src.yml:4: fan_out needs"},
		{"type: http\ntable: t\nurl: http://x\nfan_out:\n  url: http://x/{id}\n  fetch: new\n",
		 "sources/src.yml:6: fan_out \"fetch\" is all or unseen, not \"new\""},
		{"type: http\ntable: t\nurl: http://x\nfan_out:\n  url: http://x/{id}\n  fetch: unseen\n  refresh_within: soon\n",
		 "sources/src.yml:7: fan_out \"refresh_within\" is a duration such as 3d or 12h, not \"soon\""},
		{"type: http\ntable: t\nurl: http://x\nbody: '{bad'\n", "sources/src.yml:4: \"body\" is not JSON"},
		{"type: postgres\ntable: t\ndatabase: postgresql://x\n", "give either \"query\" or \"from\""},
		{"type: file\ntable: t\npath: x.csv\nformat: xml\n", "sources/src.yml:4: unknown format \"xml\""},
		{"type: http\ntable: t\nurl: http://x\nschema: loose\n", "sources/src.yml:4: unknown schema policy"},
		{"type: http\ntable: t\nurl: http://x\n  bad: indent\n", "sources/src.yml:"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pond_arena *a = pond_arena_new();
		pond_error err = POND_ERROR_INIT;
		pond_source *s = NULL;
		int rc = parse(&s, cases[i].yaml, a, &err);
		pond_arena_free(&a);
		CHECK_MSG(rc != 0, "case %zu parsed: %s", i, cases[i].yaml);
		CHECK_MSG(strstr(err.msg, cases[i].want) != NULL, "case %zu: \"%s\" lacks \"%s\"", i, err.msg, cases[i].want);
	}
}

TEST(ingest_config_secrets_file_fills_variables)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_yaml_node *secrets;
	const char *sy = "API_KEY: from-secrets\n";
	CHECK_OK(pond_yaml_parse(&secrets, sy, strlen(sy), ".pond/secrets.yml", a, &err), &err);
	const char *yaml = "type: http\ntable: t\nurl: \"http://x/?k=${API_KEY}\"\n"
	                   "auth: {type: api_key, key: \"${API_KEY}\", name: key, in: query}\n";
	pond_source *s;
	unsetenv("API_KEY");
	CHECK_OK(pond_source_parse(&s, "src", yaml, strlen(yaml), "sources/src.yml", secrets, a, &err), &err);
	CHECK_STR(s->url, "http://x/?k=from-secrets");
	CHECK(s->auth_in_query);
	CHECK_STR(s->auth_name, "key");
	/* The environment wins over the file. */
	setenv("API_KEY", "from-env", 1);
	CHECK_OK(pond_source_parse(&s, "src", yaml, strlen(yaml), "sources/src.yml", secrets, a, &err), &err);
	CHECK_STR(s->auth_token, "from-env");
	unsetenv("API_KEY");
	pond_arena_free(&a);
}

TEST(ingest_config_key_list_in_one_string)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_source *s;
	CHECK_OK(parse(&s, "type: file\ntable: t\npath: x.csv\nmode: merge\nkey: a, b\nheader: false\ndelimiter: ';'\n", a,
	               &err),
	         &err);
	CHECK_INT(s->write.nkeys, 2);
	CHECK_STR(s->write.keys[0], "a");
	CHECK_STR(s->write.keys[1], "b");
	CHECK_INT(s->read.header, 0);
	CHECK_STR(s->read.delimiter, ";");
	pond_arena_free(&a);
}

TEST(ingest_json_path_selects)
{
	json_error_t je;
	json_t *root = json_loads("{\"data\": {\"items\": [1, {\"b\": 7}]}, \"x\": null}", 0, &je);
	CHECK(root);
	CHECK(pond__ingest_json_path(root, "$") == root);
	CHECK(pond__ingest_json_path(root, "") == root);
	CHECK(json_is_array(pond__ingest_json_path(root, "data.items")));
	CHECK(json_is_array(pond__ingest_json_path(root, "$.data.items")));
	CHECK_INT(json_integer_value(pond__ingest_json_path(root, "data.items.1.b")), 7);
	CHECK(pond__ingest_json_path(root, "data.items.5") == NULL);
	CHECK(pond__ingest_json_path(root, "data.nope") == NULL);
	CHECK(pond__ingest_json_path(root, "data..items") == NULL);
	CHECK(json_is_null(pond__ingest_json_path(root, "x")));
	CHECK(pond__ingest_json_path(root, "x.y") == NULL);
	json_decref(root);
}

TEST(ingest_link_header_next)
{
	pond_arena *a = pond_arena_new();
	CHECK_STR(pond__ingest_link_next("<https://a/x?page=2>; rel=\"next\", <https://a/x?page=9>; rel=\"last\"", a),
	          "https://a/x?page=2");
	CHECK_STR(pond__ingest_link_next("<https://a/1>; rel=\"prev\", <https://a/3>; rel=\"next\"", a), "https://a/3");
	CHECK_STR(pond__ingest_link_next("<https://a/3>; rel=next", a), "https://a/3");
	CHECK_STR(pond__ingest_link_next("<https://a/3>;rel=\"last next\"", a), "https://a/3");
	CHECK_STR(pond__ingest_link_next("<https://a/3>; title=\"a, b\"; REL=\"Next\"", a), "https://a/3");
	CHECK(pond__ingest_link_next("<https://a/1>; rel=\"prev\"", a) == NULL);
	CHECK(pond__ingest_link_next("<https://a/1>; rel=\"nextish\"", a) == NULL);
	CHECK(pond__ingest_link_next("", a) == NULL);
	CHECK(pond__ingest_link_next("<broken", a) == NULL);
	CHECK(pond__ingest_link_next(NULL, a) == NULL);
	pond_arena_free(&a);
}

TEST(ingest_retry_after_parses_seconds_and_dates)
{
	CHECK_INT(pond__ingest_retry_after_ms("5", 0), 5000);
	CHECK_INT(pond__ingest_retry_after_ms(" 0 ", 0), 0);
	CHECK_INT(pond__ingest_retry_after_ms("120\r\n", 0), 120000);
	/* RFC 9110's example date, 2 seconds in the future. */
	time_t then = curl_getdate("Wed, 21 Oct 2015 07:28:00 GMT", NULL);
	CHECK_INT(pond__ingest_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", (int64_t)then - 2), 2000);
	CHECK_INT(pond__ingest_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", (int64_t)then + 60), 0);
	CHECK_INT(pond__ingest_retry_after_ms("soon", 0), -1);
	CHECK_INT(pond__ingest_retry_after_ms("5s", 0), -1);
	CHECK_INT(pond__ingest_retry_after_ms(NULL, 0), -1);
	/* Absurd values are capped at a day. */
	CHECK_INT(pond__ingest_retry_after_ms("99999999999", 0), 86400000);
}

TEST(ingest_backoff_grows_within_bounds)
{
	ingest_retry r = {10, 100, 2000};
	for (int attempt = 1; attempt <= 10; attempt++) {
		int64_t d = 100;
		for (int i = 1; i < attempt; i++)
			d *= 2;
		if (d > 2000)
			d = 2000;
		for (int k = 0; k < 200; k++) {
			int64_t ms = pond__ingest_backoff_ms(&r, attempt);
			CHECK_MSG(ms >= d / 2 && ms <= d, "attempt %d: %lld not in [%lld, %lld]", attempt, (long long)ms,
			          (long long)(d / 2), (long long)d);
		}
	}
	/* Jitter: not always the same delay. */
	int64_t first = pond__ingest_backoff_ms(&r, 3);
	bool varied = false;
	for (int k = 0; k < 100 && !varied; k++)
		varied = pond__ingest_backoff_ms(&r, 3) != first;
	CHECK(varied);
	ingest_retry huge = {10, 1000, 30000};
	CHECK(pond__ingest_backoff_ms(&huge, 60) <= 30000);
}

TEST(ingest_pager_page_number_stops_on_empty_page)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	ingest_paginate cfg = {PAGE_NUMBER, "page", 1, "per_page", 10, NULL, 0};
	ingest_pager p;
	pond__ingest_pager_init(&p, &cfg);
	ingest_kv kv[2];
	CHECK_INT(pond__ingest_pager_params(&p, kv, a), 2);
	CHECK_STR(kv[0].name, "page");
	CHECK_STR(kv[0].value, "1");
	CHECK_STR(kv[1].value, "10");
	CHECK_OK(pond__ingest_pager_advance(&p, 10, NULL, NULL, "http://x", a, &err), &err);
	CHECK(!p.done);
	pond__ingest_pager_params(&p, kv, a);
	CHECK_STR(kv[0].value, "2");
	/* A short page does not end page-number pagination; an empty one does. */
	CHECK_OK(pond__ingest_pager_advance(&p, 3, NULL, NULL, "http://x", a, &err), &err);
	CHECK(!p.done);
	CHECK_OK(pond__ingest_pager_advance(&p, 0, NULL, NULL, "http://x", a, &err), &err);
	CHECK(p.done);
	pond_arena_free(&a);
}

TEST(ingest_pager_offset_stops_on_short_page_and_max_pages)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	ingest_paginate cfg = {PAGE_OFFSET, "offset", 0, "limit", 10, NULL, 0};
	ingest_pager p;
	pond__ingest_pager_init(&p, &cfg);
	ingest_kv kv[2];
	CHECK_OK(pond__ingest_pager_advance(&p, 10, NULL, NULL, "http://x", a, &err), &err);
	pond__ingest_pager_params(&p, kv, a);
	CHECK_STR(kv[0].value, "10");
	CHECK(!p.done);
	CHECK_OK(pond__ingest_pager_advance(&p, 4, NULL, NULL, "http://x", a, &err), &err);
	CHECK(p.done);
	ingest_paginate capped = {PAGE_OFFSET, "offset", 0, "limit", 10, NULL, 3};
	pond__ingest_pager_init(&p, &capped);
	for (int i = 0; i < 3; i++)
		CHECK_OK(pond__ingest_pager_advance(&p, 10, NULL, NULL, "http://x", a, &err), &err);
	CHECK(p.done);
	CHECK_INT(p.page, 3);
	pond_arena_free(&a);
}

TEST(ingest_pager_cursor_follows_path_until_absent_or_repeated)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	ingest_paginate cfg = {PAGE_CURSOR, "cursor", 0, NULL, 0, "meta.next", 0};
	ingest_pager p;
	pond__ingest_pager_init(&p, &cfg);
	ingest_kv kv[2];
	CHECK_INT(pond__ingest_pager_params(&p, kv, a), 0);  /* the first page has no cursor */
	json_error_t je;
	json_t *b1 = json_loads("{\"meta\": {\"next\": \"abc\"}}", 0, &je);
	json_t *b2 = json_loads("{\"meta\": {\"next\": 42}}", 0, &je);
	json_t *b3 = json_loads("{\"meta\": {}}", 0, &je);
	CHECK_OK(pond__ingest_pager_advance(&p, 5, b1, NULL, "http://x", a, &err), &err);
	CHECK_INT(pond__ingest_pager_params(&p, kv, a), 1);
	CHECK_STR(kv[0].value, "abc");
	CHECK_OK(pond__ingest_pager_advance(&p, 5, b2, NULL, "http://x", a, &err), &err);
	CHECK_STR(p.cursor, "42");
	CHECK(!p.done);
	/* The same cursor again would loop forever. */
	CHECK_OK(pond__ingest_pager_advance(&p, 5, b2, NULL, "http://x", a, &err), &err);
	CHECK(p.done);
	pond__ingest_pager_init(&p, &cfg);
	CHECK_OK(pond__ingest_pager_advance(&p, 5, b3, NULL, "http://x", a, &err), &err);
	CHECK(p.done);
	json_decref(b1);
	json_decref(b2);
	json_decref(b3);
	pond_arena_free(&a);
}

TEST(ingest_pager_next_url_and_link_resolve_relative_urls)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	ingest_paginate cfg = {PAGE_NEXT_URL, NULL, 0, NULL, 0, "next", 0};
	ingest_pager p;
	pond__ingest_pager_init(&p, &cfg);
	json_error_t je;
	json_t *b = json_loads("{\"next\": \"/v1/items?p=2\"}", 0, &je);
	json_t *end = json_loads("{\"next\": null}", 0, &je);
	CHECK_OK(pond__ingest_pager_advance(&p, 3, b, NULL, "https://api.x.com/v1/items?p=1", a, &err), &err);
	CHECK_STR(p.next_url, "https://api.x.com/v1/items?p=2");
	ingest_kv kv[2];
	CHECK_INT(pond__ingest_pager_params(&p, kv, a), 0);  /* the next URL is used as is */
	CHECK_OK(pond__ingest_pager_advance(&p, 3, end, NULL, p.next_url, a, &err), &err);
	CHECK(p.done);
	ingest_paginate link = {PAGE_LINK, NULL, 0, NULL, 0, NULL, 0};
	pond__ingest_pager_init(&p, &link);
	CHECK_OK(pond__ingest_pager_advance(&p, 3, NULL, "<https://h/x?page=2>; rel=\"next\"", "https://h/x", a, &err),
	         &err);
	CHECK_STR(p.next_url, "https://h/x?page=2");
	CHECK_OK(pond__ingest_pager_advance(&p, 3, NULL, "<https://h/x?page=1>; rel=\"prev\"", p.next_url, a, &err),
	         &err);
	CHECK(p.done);
	json_decref(b);
	json_decref(end);
	pond_arena_free(&a);
}

TEST(ingest_url_params_are_escaped)
{
	pond_error err = POND_ERROR_INIT;
	pond_buf b = POND_BUF_INIT;
	ingest_kv kv[] = {{"q", "a b&c"}, {"since", "2024-01-01T00:00:00+01:00"}};
	CHECK_OK(pond__ingest_url_with_params(&b, "http://x/s?fixed=1", kv, 2, &err), &err);
	CHECK_STR(pond_buf_cstr(&b), "http://x/s?fixed=1&q=a%20b%26c&since=2024-01-01T00%3A00%3A00%2B01%3A00");
	pond_buf_dispose(&b);
}

TEST(ingest_json_compare_orders_cursors)
{
	json_t *a = json_integer(9), *b = json_integer(10), *c = json_real(9.5);
	json_t *s1 = json_string("2024-01-01T00:00:09Z"), *s2 = json_string("2024-01-01T00:00:10Z");
	CHECK(pond__ingest_json_compare(a, b) < 0);
	CHECK(pond__ingest_json_compare(b, a) > 0);
	CHECK(pond__ingest_json_compare(a, c) < 0);
	CHECK(pond__ingest_json_compare(s1, s2) < 0);
	CHECK(pond__ingest_json_compare(s2, s2) == 0);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(s1);
	json_decref(s2);
}

TEST(ingest_reader_errors_name_file_and_line)
{
	pond_error err = POND_ERROR_INIT;
	pond_error_set(&err, POND_ESQL,
	               "Conversion Error: CSV Error on Line: 30002 Original Line: 5,x Error when converting column \"b\". "
	               "Could not convert string \"x\" to 'BIGINT' Column b is being converted as type BIGINT This type "
	               "was auto-detected from the CSV file. Possible solutions: * Override   file = data/x.csv   "
	               "delimiter = , (Auto-Detected)");
	pond__ingest_reader_error(&err, "x.csv", NULL);
	CHECK_STR(err.msg, "data/x.csv:30002: error when converting column \"b\": could not convert string \"x\" to 'BIGINT'");
	pond_error_set(&err, POND_ESQL,
	               "Invalid Input Error: CSV Error on Line: 7 Original Line: 5,6,7 Expected Number of Columns: 2 "
	               "Found: 3 Possible fixes: * Disable   file = /tmp/pond-ingest-abc.csv   delimiter = ,");
	pond__ingest_reader_error(&err, "https://h/x.csv", "/tmp/pond-ingest-abc.csv");
	CHECK_STR(err.msg, "https://h/x.csv:7: expected 2 columns, found 3");
	pond_error_set(&err, POND_ESQL,
	               "Invalid Input Error: Malformed JSON in file \"e.ndjson\", at byte 7 in line 3: unexpected end of "
	               "data.  (line 1, column 15)");
	pond__ingest_reader_error(&err, "e.ndjson", NULL);
	CHECK_STR(err.msg, "e.ndjson:3: malformed JSON: unexpected end of data");
	pond_error_set(&err, POND_ESQL, "IO Error: No files found that match the pattern \"/tmp/pond-ingest-q.csv\"");
	pond__ingest_reader_error(&err, "http://h/q", "/tmp/pond-ingest-q.csv");
	CHECK_STR(err.msg, "could not load http://h/q: IO Error: No files found that match the pattern \"http://h/q\"");
}

TEST(ingest_format_from_name)
{
	CHECK_INT(pond__ingest_format_from_name("a/b.CSV"), POND_FORMAT_CSV);
	CHECK_INT(pond__ingest_format_from_name("a.csv.gz"), POND_FORMAT_CSV);
	CHECK_INT(pond__ingest_format_from_name("a.tsv.zst"), POND_FORMAT_TSV);
	CHECK_INT(pond__ingest_format_from_name("a.jsonl"), POND_FORMAT_NDJSON);
	CHECK_INT(pond__ingest_format_from_name("a.json.gz"), POND_FORMAT_JSON);
	CHECK_INT(pond__ingest_format_from_name("x/*.parquet"), POND_FORMAT_PARQUET);
	CHECK_INT(pond__ingest_format_from_name("https://h/data.csv?token=a.json"), POND_FORMAT_CSV);
	CHECK_INT(pond__ingest_format_from_name("noext"), POND_FORMAT_AUTO);
}

/* ---- loads into a real lake ------------------------------------------------------ */

static int64_t query_int(table_fixture *f, const char *table, const char *expr)
{
	pond_error err = POND_ERROR_INIT;
	pond_table *t = fx_load_named(f, table);
	if (!t)
		return -1;
	pond_buf sql = POND_BUF_INIT;
	int64_t v = -2;
	if (pond_table_scan_sql(&sql, f->lake, t, NULL, &err) == 0) {
		char *q = pond_arena_sprintf(f->a, "SELECT %s FROM (%s)", expr, pond_buf_cstr(&sql));
		if (pond_engine_query_int(pond_lake_engine(f->lake), q, &v, &err) != 0)
			fprintf(stderr, "    query: %s\n", err.msg);
	}
	pond_buf_dispose(&sql);
	pond_table_free(&t);
	return v;
}

TEST(ingest_file_creates_appends_and_fails_cleanly)
{
	table_fixture f;
	CHECK(fx_setup_in(&f, "load", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	const char *good = fx_write_text(&f, "good.csv", "id,name\n1,a\n2,b\n");
	const char *extra = fx_write_text(&f, "extra.csv", "id,name,more\n3,c,x\n");
	pond_ingest_read rd = POND_INGEST_READ_INIT;
	pond_ingest_write w = POND_INGEST_WRITE_INIT;
	w.table = "raw.t";
	pond_ingest_result r;
	CHECK_OK(pond_ingest_file(f.lake, good, &rd, &w, NULL, &r, &err), &err);
	CHECK(r.created);
	CHECK_INT(r.rows, 2);
	CHECK(r.snapshot_id != 0);
	CHECK(r.bytes > 0);
	pond_ingest_result_dispose(&r);
	CHECK_INT(query_int(&f, "raw.t", "count(*)"), 2);
	w.schema = POND_SCHEMA_FREEZE;
	CHECK(pond_ingest_file(f.lake, extra, &rd, &w, NULL, &r, &err) == POND_EINVAL);
	CHECK(strstr(err.msg, "field \"more\"") != NULL);
	pond_ingest_result_dispose(&r);
	CHECK_INT(query_int(&f, "raw.t", "count(*)"), 2);
	w.schema = POND_SCHEMA_DISCARD;
	CHECK_OK(pond_ingest_file(f.lake, extra, &rd, &w, NULL, &r, &err), &err);
	CHECK_INT(r.nchanges, 1);
	CHECK_STR(r.changes[0].kind, "discard");
	CHECK_STR(r.changes[0].column, "more");
	pond_ingest_result_dispose(&r);
	CHECK_INT(query_int(&f, "raw.t", "count(*)"), 3);
	fx_teardown(&f);
}

TEST(ingest_folder_state_rides_in_the_snapshot_summary)
{
	table_fixture f;
	CHECK(fx_setup_in(&f, "folder", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	const char *dir = pond_arena_sprintf(f.a, "%s/landing", pond_test_tmpdir());
	CHECK_OK(pond_mkdirs(dir, &err), &err);
	fx_write_text(&f, "landing/a.csv", "id\n1\n");
	const char *yaml = pond_arena_sprintf(f.a, "type: folder\ntable: raw.f\npath: %s/*.csv\n", dir);
	pond_source *s;
	CHECK_OK(pond_source_parse(&s, "drop", yaml, strlen(yaml), "sources/drop.yml", NULL, f.a, &err), &err);
	pond_ingest_result r;
	CHECK_OK(pond_ingest_source(f.lake, s, NULL, &r, &err), &err);
	CHECK_INT(r.rows, 1);
	pond_ingest_result_dispose(&r);
	const char *state;
	CHECK_OK(pond_ingest_state(&state, f.lake, "raw.f", "drop", f.a, &err), &err);
	CHECK(state && strstr(state, "a.csv"));
	/* Nothing new: no commit, state unchanged. */
	CHECK_OK(pond_ingest_source(f.lake, s, NULL, &r, &err), &err);
	CHECK_INT(r.snapshot_id, 0);
	pond_ingest_result_dispose(&r);
	fx_write_text(&f, "landing/b.csv", "id\n2\n");
	CHECK_OK(pond_ingest_source(f.lake, s, NULL, &r, &err), &err);
	CHECK_INT(r.rows, 1);
	pond_ingest_result_dispose(&r);
	CHECK_INT(query_int(&f, "raw.f", "sum(id)"), 3);
	CHECK_OK(pond_ingest_state(&state, f.lake, "raw.f", "drop", f.a, &err), &err);
	CHECK(state && strstr(state, "a.csv") && strstr(state, "b.csv"));
	/* No table, no state. */
	CHECK_OK(pond_ingest_state(&state, f.lake, "raw.none", "drop", f.a, &err), &err);
	CHECK(state == NULL);
	fx_teardown(&f);
}

TEST(ingest_source_paths_are_relative_to_the_project)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	const char *root = pond_test_tmpdir();
	char *dir = pond_arena_sprintf(a, "%s/sources", root);
	CHECK_OK(pond_mkdirs(dir, &err), &err);
	const char *files[][2] = {
		{"rel", "type: file\ntable: t\npath: data/x.csv\n"},
		{"abs", "type: file\ntable: t\npath: /srv/x.csv\n"},
		{"url", "type: file\ntable: t\npath: https://example.test/x.csv\n"},
		{"lite", "type: sqlite\ntable: t\ndatabase: db/app.sqlite\nfrom: users\n"},
	};
	for (size_t i = 0; i < 4; i++) {
		char *p = pond_arena_sprintf(a, "%s/%s.yml", dir, files[i][0]);
		CHECK_OK(pond_file_write_atomic(p, files[i][1], strlen(files[i][1]), &err), &err);
	}
	pond_source *s;
	/* A pipeline or the server may run from any folder: the project's
	 * relative paths must not depend on it. */
	CHECK_OK(pond_source_load(&s, root, "rel", a, &err), &err);
	CHECK_STR(s->path, pond_arena_sprintf(a, "%s/data/x.csv", root));
	CHECK_OK(pond_source_load(&s, root, "abs", a, &err), &err);
	CHECK_STR(s->path, "/srv/x.csv");
	CHECK_OK(pond_source_load(&s, root, "url", a, &err), &err);
	CHECK_STR(s->path, "https://example.test/x.csv");
	CHECK_OK(pond_source_load(&s, root, "lite", a, &err), &err);
	CHECK_STR(s->connection, pond_arena_sprintf(a, "%s/db/app.sqlite", root));
	pond_arena_free(&a);
}

/* ---- bad input: ragged CSV, pages that are not data ------------------------------ */

TEST(ingest_csv_first_line_finds_delimiter_and_fields)
{
	ingest_csv_line l;
	pond__ingest_csv_first_line("id,name,amount\n1,x,2\n", 21, 0, &l);
	CHECK_INT(l.delim, ',');
	CHECK_INT(l.nfields, 3);
	CHECK(l.found);
	/* Quoted delimiters do not count; the most frequent one wins. */
	const char *semi = "\"a,b\";c;d\n";
	pond__ingest_csv_first_line(semi, strlen(semi), 0, &l);
	CHECK_INT(l.delim, ';');
	CHECK_INT(l.nfields, 3);
	const char *passwd = "root:x:0:0:root:/root:/bin/bash\n";
	pond__ingest_csv_first_line(passwd, strlen(passwd), 0, &l);
	CHECK(!l.found);
	CHECK_INT(l.nfields, 1);
	pond__ingest_csv_first_line("a|b\n", 4, '|', &l);
	CHECK_INT(l.nfields, 2);
}

TEST(ingest_body_mismatch_names_html_pages)
{
	pond_arena *a = pond_arena_new();
	const char *page = "<!DOCTYPE html>\n<html><head><title>Login required</title></head><body>x</body></html>";
	const char *why = pond__ingest_body_mismatch("text/html; charset=utf-8", (const unsigned char *)page,
	                                             strlen(page), POND_FORMAT_CSV, a);
	CHECK_STR(why, "got an HTML page (text/html; charset=utf-8), not CSV: \"Login required\"");
	/* The body alone gives it away too. */
	why = pond__ingest_body_mismatch(NULL, (const unsigned char *)page, strlen(page), POND_FORMAT_AUTO, a);
	CHECK(why && strstr(why, "got an HTML page (no content type)"));
	why = pond__ingest_body_mismatch("text/plain", (const unsigned char *)"oops\n", 5, POND_FORMAT_JSON, a);
	CHECK_STR(why, "expected JSON, got text/plain starting \"oops\"");
	why = pond__ingest_body_mismatch("application/octet-stream", (const unsigned char *)"id,x\n1,2\n", 9,
	                                 POND_FORMAT_PARQUET, a);
	CHECK(why && strstr(why, "expected Parquet"));
	why = pond__ingest_body_mismatch("text/csv", (const unsigned char *)"id,x\n1,2\n", 9, POND_FORMAT_CSV, a);
	CHECK(why == NULL);
	why = pond__ingest_body_mismatch("application/json", (const unsigned char *)" [{\"a\":1}]", 10, POND_FORMAT_JSON, a);
	CHECK(why == NULL);
	pond_arena_free(&a);
}

TEST(ingest_ragged_csv_names_the_line_and_commits_nothing)
{
	table_fixture f;
	CHECK(fx_setup_in(&f, "ragged", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_buf text = POND_BUF_INIT;
	pond_buf_puts(&text, "id,name,amount\n");
	for (int i = 1; i <= 1000; i++)
		pond_buf_printf(&text, i == 500 ? "%d,x,1,EXTRA\n" : "%d,n%d,%d\n", i, i, i);
	const char *ragged = fx_write_text(&f, "ragged.csv", pond_buf_cstr(&text));
	pond_buf_dispose(&text);
	const char *short_row = fx_write_text(&f, "short.csv", "a,b,c\n1,2,3\n4,5\n6,7,8,9\n");
	pond_ingest_read rd = POND_INGEST_READ_INIT;
	pond_ingest_write w = POND_INGEST_WRITE_INIT;
	w.table = "raw.ragged";
	pond_ingest_result r;
	CHECK(pond_ingest_file(f.lake, ragged, &rd, &w, NULL, &r, &err) != 0);
	CHECK_STR(err.msg, pond_arena_sprintf(f.a, "%s:501: expected 3 columns, found 4", ragged));
	pond_ingest_result_dispose(&r);
	CHECK(pond_ingest_file(f.lake, short_row, &rd, &w, NULL, &r, &err) != 0);
	CHECK_STR(err.msg, pond_arena_sprintf(f.a, "%s:3: expected 3 columns, found 2", short_row));
	pond_ingest_result_dispose(&r);
	CHECK_INT(query_int(&f, "raw.ragged", "count(*)"), -1);  /* no table */
	/* A file whose name and content say nothing is not taken for CSV. */
	const char *passwd = fx_write_text(&f, "passwd", "root:x:0:0:root:/root:/bin/bash\nbin:x:1:1::/:/bin/sh\n");
	CHECK(pond_ingest_file(f.lake, passwd, &rd, &w, NULL, &r, &err) == POND_EINVAL);
	CHECK(strstr(err.msg, "cannot tell the format of") != NULL);
	pond_ingest_result_dispose(&r);
	fx_teardown(&f);
}

TEST(ingest_type_mismatch_names_the_csv_line)
{
	table_fixture f;
	CHECK(fx_setup_in(&f, "mismatch", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	const char *good = fx_write_text(&f, "typed.csv", "id,amount\n1,2.5\n2,3.5\n");
	const char *bad = fx_write_text(&f, "typed_bad.csv", "id,amount\n3,1.5\n4,n/a\n");
	pond_ingest_read rd = POND_INGEST_READ_INIT;
	pond_ingest_write w = POND_INGEST_WRITE_INIT;
	w.table = "raw.typed";
	pond_ingest_result r;
	CHECK_OK(pond_ingest_file(f.lake, good, &rd, &w, NULL, &r, &err), &err);
	pond_ingest_result_dispose(&r);
	/* On its own the bad file sniffs as text; the table says double. */
	CHECK(pond_ingest_file(f.lake, bad, &rd, &w, NULL, &r, &err) != 0);
	CHECK_STR(err.msg, pond_arena_sprintf(f.a, "%s:3: error when converting column \"amount\": could not convert "
	                                           "string \"n/a\" to 'DOUBLE'", bad));
	pond_ingest_result_dispose(&r);
	CHECK_INT(query_int(&f, "raw.typed", "count(*)"), 2);
	fx_teardown(&f);
}

/* A JSON number with a fraction bound for an integer column was once
 * rounded (7.5 became 8); a whole number in double form still loads. */
TEST(ingest_fraction_into_an_integer_column_fails_naming_the_field)
{
	table_fixture f;
	CHECK(fx_setup_in(&f, "fraction", "raw.small") == 0);
	pond_error err = POND_ERROR_INIT;
	const char *ints = fx_write_text(&f, "ints.ndjson", "{\"id\":1,\"n\":3}\n{\"id\":2,\"n\":4}\n");
	const char *frac = fx_write_text(&f, "frac.ndjson", "{\"id\":3,\"n\":8.0}\n{\"id\":4,\"n\":7.5}\n");
	const char *whole = fx_write_text(&f, "whole.ndjson", "{\"id\":5,\"n\":8.0}\n{\"id\":6,\"n\":-2e3}\n");
	pond_ingest_read rd = POND_INGEST_READ_INIT;
	pond_ingest_write w = POND_INGEST_WRITE_INIT;
	w.table = "raw.counts";
	pond_ingest_result r;
	CHECK_OK(pond_ingest_file(f.lake, ints, &rd, &w, NULL, &r, &err), &err);
	pond_ingest_result_dispose(&r);
	CHECK(pond_ingest_file(f.lake, frac, &rd, &w, NULL, &r, &err) != 0);
	CHECK_MSG(strstr(err.msg, "frac.ndjson") && strstr(err.msg, "field \"n\" holds 7.5, not a whole number for a "
	                                                               "long column") && !strchr(err.msg, '\n'),
	          "%s", err.msg);
	pond_ingest_result_dispose(&r);
	CHECK_INT(query_int(&f, "raw.counts", "count(*)"), 2);
	CHECK_OK(pond_ingest_file(f.lake, whole, &rd, &w, NULL, &r, &err), &err);
	pond_ingest_result_dispose(&r);
	CHECK_INT(query_int(&f, "raw.counts", "sum(n)"), 3 + 4 + 8 - 2000);
	/* An int column (a table pond did not infer) says so. */
	CHECK(fx_create(&f, "SELECT 1::BIGINT AS id, 1::INTEGER AS n", NULL) == 0);
	w.table = "raw.small";
	CHECK(pond_ingest_file(f.lake, frac, &rd, &w, NULL, &r, &err) != 0);
	CHECK_MSG(strstr(err.msg, "frac.ndjson") && strstr(err.msg, "field \"n\" holds 7.5, not a whole number for an "
	                                                               "int column"),
	          "%s", err.msg);
	pond_ingest_result_dispose(&r);
	CHECK_INT(query_int(&f, "raw.small", "count(*)"), 0);
	fx_teardown(&f);
}

/* ---- a load is one commit -------------------------------------------------------- */

TEST(ingest_new_columns_and_rows_are_one_commit)
{
	table_fixture f;
	CHECK(fx_setup_in(&f, "onecommit", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	const char *first = fx_write_text(&f, "first.csv", "id,name\n1,a\n");
	const char *more = fx_write_text(&f, "more.csv", "id,name,score\n2,b,10\n");
	pond_buf text = POND_BUF_INIT;
	pond_buf_puts(&text, "id,name,rank\n");
	/* Past the sniffer's sample, a value that is not a number. */
	for (int i = 0; i < 30000; i++)
		pond_buf_printf(&text, "%d,x,%d\n", i + 3, i);
	pond_buf_puts(&text, "99999,x,oops\n");
	const char *bad = fx_write_text(&f, "bad_rank.csv", pond_buf_cstr(&text));
	pond_buf_dispose(&text);
	pond_ingest_read rd = POND_INGEST_READ_INIT;
	pond_ingest_write w = POND_INGEST_WRITE_INIT;
	w.table = "raw.one";
	pond_ingest_result r;
	CHECK_OK(pond_ingest_file(f.lake, first, &rd, &w, NULL, &r, &err), &err);
	pond_ingest_result_dispose(&r);
	pond_table *t = fx_load_named(&f, "raw.one");
	CHECK(t);
	/* Created with its first snapshot: one metadata file, not two. */
	CHECK_INT(t->metadata->nsnapshots, 1);
	CHECK(strstr(t->metadata_location, "/00000-") != NULL);
	int32_t schema_before = t->metadata->current_schema_id;
	pond_table_free(&t);

	CHECK_OK(pond_ingest_file(f.lake, more, &rd, &w, NULL, &r, &err), &err);
	CHECK_INT(r.nchanges, 1);
	pond_ingest_result_dispose(&r);
	t = fx_load_named(&f, "raw.one");
	CHECK(t);
	CHECK_INT(t->metadata->nsnapshots, 2);
	CHECK(strstr(t->metadata_location, "/00001-") != NULL);  /* schema and rows: one commit */
	const pond_iceberg_snapshot *head = pond_iceberg_metadata_current_snapshot(t->metadata);
	CHECK(t->metadata->current_schema_id != schema_before);
	CHECK_INT(head->schema_id, t->metadata->current_schema_id);
	const char *location = pond_arena_strdup(f.a, t->metadata_location);
	pond_table_free(&t);
	CHECK_INT(query_int(&f, "raw.one", "sum(score)"), 10);

	/* A load whose rows fail adds no (empty) column. */
	CHECK(pond_ingest_file(f.lake, bad, &rd, &w, NULL, &r, &err) != 0);
	CHECK(strstr(err.msg, "bad_rank.csv:30002:") != NULL);
	pond_ingest_result_dispose(&r);
	t = fx_load_named(&f, "raw.one");
	CHECK(t);
	CHECK_STR(t->metadata_location, location);
	CHECK(pond_iceberg_schema_find_name(pond_iceberg_metadata_current_schema(t->metadata), "rank") == NULL);
	pond_table_free(&t);
	fx_teardown(&f);
}

TEST(ingest_cancelled_load_commits_nothing)
{
	table_fixture f;
	CHECK(fx_setup_in(&f, "cancel", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	const char *csv = fx_write_text(&f, "cancel.csv", "id,name\n1,a\n");
	pond_ingest_read rd = POND_INGEST_READ_INIT;
	pond_ingest_write w = POND_INGEST_WRITE_INIT;
	w.table = "raw.cancel";
	pond_ingest_options o = POND_INGEST_OPTIONS_INIT;
	volatile int flag = 0;
	o.cancel = &flag;
	pond_ingest_result r;
	CHECK_OK(pond_ingest_file(f.lake, csv, &rd, &w, &o, &r, &err), &err);
	pond_ingest_result_dispose(&r);
	/* A signal that came while the rows were written: no commit. */
	flag = 1;
	CHECK_INT(pond_ingest_file(f.lake, csv, &rd, &w, &o, &r, &err), POND_ECANCELED);
	CHECK_STR(err.msg, "interrupted: nothing was committed");
	pond_ingest_result_dispose(&r);
	CHECK_INT(query_int(&f, "raw.cancel", "count(*)"), 1);
	w.table = "raw.cancel_new";
	CHECK_INT(pond_ingest_file(f.lake, csv, &rd, &w, &o, &r, &err), POND_ECANCELED);
	pond_ingest_result_dispose(&r);
	CHECK_INT(query_int(&f, "raw.cancel_new", "count(*)"), -1);
	fx_teardown(&f);
}

/* ---- fan-out's seen ids --------------------------------------------------------- */

/* The plan of ids ["a".."e"] at now_ms, with ids a and b fetched at
 * first_seen (recorded through the on_commit hook, outside a write). */
static void seen_plan_and_record(table_fixture *f)
{
	pond_error err = POND_ERROR_INIT;
	pond_source s;
	memset(&s, 0, sizeof(s));
	s.refresh_ms = 2 * 86400000LL;
	json_t *first = json_pack("[ss]", "a", "b");
	ingest_seen seen = {.source = "src", .now_ms = 1000};
	CHECK_OK(pond__ingest_seen_plan(f->lake, &s, first, &seen, f->a, &err), &err);
	CHECK_INT(seen.nnew, 2);
	CHECK_INT(json_array_size(seen.fetch), 2);
	CHECK_OK(pond__ingest_seen_record(pond_lake_catalog(f->lake), &seen, &err), &err);
	/* Recording again (a refresh) keeps the first-seen time. */
	CHECK_OK(pond__ingest_seen_record(pond_lake_catalog(f->lake), &seen, &err), &err);
	pond__ingest_seen_dispose(&seen);
	json_decref(first);

	/* A day later: a and b are young (refreshed), c, d, e new; 250 ids
	 * look-up in two batches. */
	json_t *ids = json_array();
	for (int i = 0; i < 250; i++)
		json_array_append_new(ids, i < 2 ? json_string(i ? "b" : "a") : json_integer(i));
	ingest_seen later = {.source = "src", .now_ms = 1000 + 86400000LL};
	CHECK_OK(pond__ingest_seen_plan(f->lake, &s, ids, &later, f->a, &err), &err);
	CHECK_INT(later.nnew, 248);
	CHECK_INT(later.nrefresh, 2);
	CHECK_INT(later.nunchanged, 0);
	CHECK_OK(pond__ingest_seen_record(pond_lake_catalog(f->lake), &later, &err), &err);
	pond__ingest_seen_dispose(&later);
	/* Two and a half days after the first: a and b are past the window, the rest
	 * (first seen a day later) still young; another source sees nothing. */
	ingest_seen old = {.source = "src", .now_ms = 1000 + 5 * 43200000LL};
	CHECK_OK(pond__ingest_seen_plan(f->lake, &s, ids, &old, f->a, &err), &err);
	CHECK_INT(old.nunchanged, 2);
	CHECK_INT(old.nrefresh, 248);
	CHECK_INT(old.nnew, 0);
	pond__ingest_seen_dispose(&old);
	ingest_seen other = {.source = "other", .now_ms = 1000};
	CHECK_OK(pond__ingest_seen_plan(f->lake, &s, ids, &other, f->a, &err), &err);
	CHECK_INT(other.nnew, 250);
	pond__ingest_seen_dispose(&other);
	json_decref(ids);
}

TEST(ingest_seen_ids_plan_new_refreshed_and_unchanged_sqlite)
{
	table_fixture f;
	CHECK(fx_setup_in(&f, "seen", NULL) == 0);
	seen_plan_and_record(&f);
	fx_teardown(&f);
}

TEST(ingest_seen_ids_plan_new_refreshed_and_unchanged_pg)
{
	const char *url = getenv("POND_TEST_PG_URL");
	CHECK_MSG(url != NULL, "POND_TEST_PG_URL is not set: run the suite through tests/run.sh");
	table_fixture f;
	CHECK(fx_setup_pg(&f, "main.t", url) == 0);
	seen_plan_and_record(&f);
	fx_teardown(&f);
}

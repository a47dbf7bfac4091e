/*
 * Unit tests for pond's binary form of DuckDB data chunks
 * (src/engine/chunk_codec.c): every type a pond table can have and more,
 * NULLs at every level, edge values, many chunks; decoded rows compared
 * with DuckDB's own (as text, and as multisets through DuckDB); and
 * corrupt or truncated input, which must fail with an error and never
 * crash.
 */
#include "../test.h"

#include "engine_fixture.h"

#include <duckdb.h>
#include <string.h>

#include "pond/engine.h"

/* Every row of a chunk as text, values tab-separated, NULL as \N. */
static void render_chunk(pond_buf *out, duckdb_data_chunk c, const duckdb_logical_type *types, idx_t ncols)
{
	idx_t rows = duckdb_data_chunk_get_size(c);
	for (idx_t r = 0; r < rows; r++) {
		for (idx_t col = 0; col < ncols; col++) {
			if (col)
				pond_buf_putc(out, '\t');
			if (!pond_value_format(out, duckdb_data_chunk_get_vector(c, col), types[col], r, POND_VALUE_TEXT))
				pond_buf_puts(out, "\\N");
		}
		pond_buf_putc(out, '\n');
	}
}

/* Runs sql, encodes every chunk of it (into *bytes, *len: pond_malloc'd)
 * and renders its rows as text into text. 0 or an error code. */
static int encode_query(pond_engine *e, const char *sql, unsigned char **bytes, size_t *len, pond_buf *text,
                        int64_t *nchunks, pond_error *err)
{
	pond_result *r;
	int rc = pond_engine_query(e, sql, &r, err);
	if (rc)
		return rc;
	idx_t ncols = pond_result_column_count(r);
	duckdb_logical_type types[64];
	for (idx_t i = 0; i < ncols && i < 64; i++)
		types[i] = pond_result_column_type(r, i);
	pond_chunks_encoder *enc = NULL;
	rc = pond_chunks_encoder_new(&enc, types, ncols, err);
	duckdb_data_chunk c;
	*nchunks = 0;
	while (rc == 0 && (rc = pond_result_next(r, &c, err)) == 1) {
		render_chunk(text, c, types, ncols);
		rc = pond_chunks_encoder_add(enc, c, err);
		duckdb_destroy_data_chunk(&c);
		(*nchunks)++;
	}
	const void *p;
	if (rc == 0 && (rc = pond_chunks_encoder_finish(enc, &p, len, err)) == 0) {
		*bytes = pond_malloc(*len);
		memcpy(*bytes, p, *len);
	}
	pond_chunks_encoder_free(&enc);
	pond_result_free(&r);
	return rc;
}

/* Decodes bytes, rendering the rows as text, and appends them to DuckDB
 * table `into` when not NULL. 0 or the decoder's error. */
static int decode_bytes(pond_engine *e, const void *bytes, size_t len, pond_buf *text, const char *into,
                        pond_error *err)
{
	pond_chunks_decoder *dec;
	int rc = pond_chunks_decoder_open(&dec, bytes, len, err);
	if (rc)
		return rc;
	idx_t ncols = pond_chunks_decoder_column_count(dec);
	duckdb_logical_type *types = pond_calloc(ncols, sizeof(*types));
	for (idx_t i = 0; i < ncols; i++)
		types[i] = pond_chunks_decoder_column_type(dec, i);
	duckdb_appender app = NULL;
	if (into && duckdb_appender_create(pond_engine_connection(e), NULL, into, &app) == DuckDBError)
		rc = pond_error_set(err, POND_ESQL, "appender: %s", duckdb_appender_error(app));
	duckdb_data_chunk c;
	while (rc == 0 && (rc = pond_chunks_decoder_next(dec, &c, err)) == 1) {
		rc = 0;
		render_chunk(text, c, types, ncols);
		if (app && duckdb_append_data_chunk(app, c) == DuckDBError)
			rc = pond_error_set(err, POND_ESQL, "append: %s", duckdb_appender_error(app));
		duckdb_destroy_data_chunk(&c);
	}
	if (app) {
		if (duckdb_appender_close(app) == DuckDBError && rc == 0)
			rc = pond_error_set(err, POND_ESQL, "append: %s", duckdb_appender_error(app));
		duckdb_appender_destroy(&app);
	}
	pond_free(types);
	pond_chunks_decoder_free(&dec);
	return rc;
}

/* Rows of every type pond's tables map to, and the other fixed-width and
 * temporal types of DuckDB, with NULLs at every level and edge values. */
static const char *const all_types_sql =
	"SELECT i, "
	"CASE WHEN i % 7 = 0 THEN NULL ELSE i % 2 = 0 END AS b, "
	"CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 256 - 128)::TINYINT END AS i8, "
	"(i % 65536 - 32768)::SMALLINT AS i16, "
	"CASE WHEN i % 5 = 0 THEN NULL ELSE (i * 7919)::INTEGER END AS i32, "
	"CASE i % 4 WHEN 0 THEN -9223372036854775808 WHEN 1 THEN 9223372036854775807 ELSE i * 1000003 END::BIGINT AS i64, "
	"(i % 256)::UTINYINT AS u8, (i % 65536)::USMALLINT AS u16, (i * 13)::UINTEGER AS u32, "
	"CASE WHEN i % 3 = 0 THEN 18446744073709551615 ELSE i END::UBIGINT AS u64, "
	"CASE WHEN i % 3 = 0 THEN (-170141183460469231731687303715884105727::HUGEINT - 1) ELSE i::HUGEINT * 1000000000000 END AS i128, "
	"CASE WHEN i % 3 = 0 THEN 340282366920938463463374607431768211455::UHUGEINT ELSE i::UHUGEINT END AS u128, "
	"CASE i % 6 WHEN 0 THEN 'nan'::FLOAT WHEN 1 THEN '-0.0'::FLOAT WHEN 2 THEN 'inf'::FLOAT WHEN 3 THEN '-inf'::FLOAT "
	"     ELSE (i / 3.0)::FLOAT END AS f32, "
	"CASE i % 7 WHEN 0 THEN 'nan'::DOUBLE WHEN 1 THEN '-0.0'::DOUBLE WHEN 2 THEN 'inf'::DOUBLE WHEN 3 THEN '-inf'::DOUBLE "
	"     WHEN 4 THEN NULL ELSE i / 7.0 END AS f64, "
	"(i % 10000 / 100.0 - 50)::DECIMAL(4,2) AS d4, (i * 1.001)::DECIMAL(9,3) AS d9, "
	"(i * -1.000001)::DECIMAL(18,6) AS d18, "
	"CASE i % 3 WHEN 0 THEN 99999999999999999999999999999999999999::DECIMAL(38,0) "
	"     WHEN 1 THEN -99999999999999999999999999999999999999::DECIMAL(38,0) ELSE i END::DECIMAL(38,0) AS d38, "
	"CASE i % 3 WHEN 0 THEN 9999999999.9999999999999999999999999999 WHEN 1 THEN -0.0000000000000000000000000001 "
	"     ELSE NULL END::DECIMAL(38,28) AS d38s, "
	"CASE i % 4 WHEN 0 THEN DATE '1900-02-28' WHEN 1 THEN DATE '9999-12-31' WHEN 2 THEN NULL "
	"     ELSE DATE '1970-01-01' + i::INTEGER END AS dt, "
	"TIME '00:00:00' + to_microseconds(i * 1234567) AS tm, "
	"('12:34:56.789+' || lpad((i % 15)::VARCHAR, 2, '0'))::TIMETZ AS tmz, "
	"CASE i % 3 WHEN 0 THEN TIMESTAMP '1901-12-13 20:45:52.123456' WHEN 1 THEN TIMESTAMP '2262-04-11 23:47:16' "
	"     ELSE TIMESTAMP '1970-01-01' + to_seconds(i) END AS ts, "
	"(TIMESTAMP '1969-07-20 20:17:40' + to_seconds(i))::TIMESTAMP_S AS ts_s, "
	"(TIMESTAMP '1950-01-01 00:00:00.123' + to_milliseconds(i))::TIMESTAMP_MS AS ts_ms, "
	"CASE WHEN i % 2 = 0 THEN '1677-09-22 00:00:01.000000001'::TIMESTAMP_NS ELSE "
	"     '2262-04-11 23:47:16.854775'::TIMESTAMP_NS END AS ts_ns, "
	"(TIMESTAMPTZ '1800-01-01 00:00:00+00' + to_days(i)) AS tstz, "
	"to_months(i % 30) + to_days(-i) + to_microseconds(i * 17) AS iv, "
	"CASE WHEN i % 9 = 0 THEN NULL ELSE ('00000000-0000-4000-8000-' || lpad(i::VARCHAR, 12, '0'))::UUID END AS u, "
	"CASE WHEN i % 2 = 0 THEN 'ffffffff-ffff-ffff-ffff-ffffffffffff'::UUID ELSE "
	"     '00000000-0000-0000-0000-000000000000'::UUID END AS u_edge, "
	"CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN 'héllo wörld ✓ 🦆' "
	"     WHEN 3 THEN repeat('x', CASE WHEN i < 40 THEN 100000 ELSE 300 END) ELSE 'short ' || i END AS s, "
	"CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN ''::BLOB ELSE ('\\x00\\xFF' || i::VARCHAR)::BLOB END AS bl, "
	"CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN []::INTEGER[] WHEN 2 THEN [NULL]::INTEGER[] "
	"     ELSE [i, NULL, -i]::INTEGER[] END AS li, "
	"CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN [[], NULL, ['a', NULL, '']] ELSE [['x' || i]] END AS lli, "
	"CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN {'a': NULL, 'b': NULL} "
	"     ELSE {'a': i, 'b': ['p', NULL]} END::STRUCT(a BIGINT, b VARCHAR[]) AS st, "
	"{'inner': CASE WHEN i % 3 = 0 THEN NULL ELSE {'x': i::DOUBLE, 'y': NULL::DATE} END} AS nst, "
	"CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN MAP {}::MAP(VARCHAR, INTEGER) "
	"     ELSE MAP {'k' || i: i, 'z': NULL} END AS m, "
	"CASE WHEN i % 3 = 0 THEN NULL ELSE [{'k': i, 'v': NULL}, NULL, {'k': NULL, 'v': 'w'}] END AS los, "
	"MAP {i: [i, i + 1]} AS mli "
	"FROM range(NROWS) t(i) ORDER BY i";

static const char *all_types(pond_buf *b, int rows)
{
	const char *at = strstr(all_types_sql, "NROWS");
	pond_buf_clear(b);
	pond_buf_put(b, all_types_sql, (size_t)(at - all_types_sql));
	pond_buf_printf(b, "%d", rows);
	pond_buf_puts(b, at + 5);
	return pond_buf_cstr(b);
}

TEST(chunk_codec_round_trips_every_type_as_duckdb_reads_it)
{
	pond_engine *e = open_engine();
	CHECK(e != NULL);
	pond_error err = POND_ERROR_INIT;
	pond_buf sql = POND_BUF_INIT, want = POND_BUF_INIT, got = POND_BUF_INIT;
	unsigned char *bytes = NULL;
	size_t len = 0;
	int64_t nchunks = 0;
	/* 10,000 rows: several chunks; strings of 300 bytes in every fifth row,
	 * 100 KB in eight of them. */
	CHECK_OK(encode_query(e, all_types(&sql, 10000), &bytes, &len, &want, &nchunks, &err), &err);
	CHECK(nchunks >= 5);
	pond_buf create = POND_BUF_INIT;
	pond_buf_printf(&create, "CREATE TABLE rt AS SELECT * FROM (%s) LIMIT 0", pond_buf_cstr(&sql));
	CHECK_OK(pond_engine_exec(e, pond_buf_cstr(&create), &err), &err);
	CHECK_OK(decode_bytes(e, bytes, len, &got, "rt", &err), &err);
	/* The same text, value by value (-0.0, NaN, infinities, every unit). */
	CHECK(want.len > 0);
	CHECK_MSG(want.len == got.len && memcmp(want.ptr, got.ptr, want.len) == 0, "decoded rows differ as text");
	/* And the same multiset for DuckDB, both ways. */
	pond_buf q = POND_BUF_INIT;
	pond_buf_printf(&q, "SELECT (SELECT count(*) FROM (SELECT * FROM rt EXCEPT ALL SELECT * FROM (%s))) + "
	                "(SELECT count(*) FROM (SELECT * FROM (%s) EXCEPT ALL SELECT * FROM rt))",
	                pond_buf_cstr(&sql), pond_buf_cstr(&sql));
	int64_t diff = -1, n = -1;
	CHECK_OK(pond_engine_query_int(e, pond_buf_cstr(&q), &diff, &err), &err);
	CHECK_INT(diff, 0);
	CHECK_OK(pond_engine_query_int(e, "SELECT count(*) FROM rt", &n, &err), &err);
	CHECK_INT(n, 10000);
	/* -0.0 keeps its sign bit. */
	CHECK_OK(pond_engine_query_int(e, "SELECT count(*) FROM rt WHERE i % 7 = 1 AND signbit(f64)", &n, &err), &err);
	CHECK_INT(n, 10000 / 7 + (10000 % 7 > 1));
	pond_free(bytes);
	pond_buf_dispose(&q);
	pond_buf_dispose(&create);
	pond_buf_dispose(&sql);
	pond_buf_dispose(&want);
	pond_buf_dispose(&got);
	pond_engine_close(&e);
}

TEST(chunk_codec_handles_no_rows_and_refuses_types_it_does_not_carry)
{
	pond_engine *e = open_engine();
	CHECK(e != NULL);
	pond_error err = POND_ERROR_INIT;
	pond_buf sql = POND_BUF_INIT, want = POND_BUF_INIT, got = POND_BUF_INIT;
	unsigned char *bytes = NULL;
	size_t len = 0;
	int64_t nchunks = 0;
	CHECK_OK(encode_query(e, all_types(&sql, 0), &bytes, &len, &want, &nchunks, &err), &err);
	CHECK_OK(decode_bytes(e, bytes, len, &got, NULL, &err), &err);
	CHECK_INT(got.len, 0);
	pond_free(bytes);
	bytes = NULL;
	CHECK_INT(encode_query(e, "SELECT 'a'::ENUM('a', 'b') AS e", &bytes, &len, &want, &nchunks, &err),
	          POND_EUNSUPPORTED);
	CHECK_STR(err.msg, "cannot buffer values of type enum");
	CHECK_INT(encode_query(e, "SELECT [1, 2]::INTEGER[2] AS a", &bytes, &len, &want, &nchunks, &err),
	          POND_EUNSUPPORTED);
	CHECK_STR(err.msg, "cannot buffer values of type integer[2]");
	pond_buf_dispose(&sql);
	pond_buf_dispose(&want);
	pond_buf_dispose(&got);
	pond_engine_close(&e);
}

TEST(chunk_codec_refuses_other_forms_and_versions)
{
	pond_engine *e = open_engine();
	CHECK(e != NULL);
	pond_error err = POND_ERROR_INIT;
	pond_buf sql = POND_BUF_INIT, want = POND_BUF_INIT, got = POND_BUF_INIT;
	unsigned char *bytes = NULL;
	size_t len = 0;
	int64_t nchunks = 0;
	CHECK_OK(encode_query(e, "SELECT 1 AS a", &bytes, &len, &want, &nchunks, &err), &err);
	bytes[4] = 2;  /* the version byte */
	CHECK_INT(decode_bytes(e, bytes, len, &got, NULL, &err), POND_EUNSUPPORTED);
	CHECK_STR(err.msg, "buffered rows are in chunk form version 2, this pond reads 1");
	bytes[4] = 1;
	bytes[0] = 'X';
	CHECK_INT(decode_bytes(e, bytes, len, &got, NULL, &err), POND_ECORRUPT);
	CHECK_STR(err.msg, "buffered rows are corrupt: not pond's chunk form");
	CHECK_INT(decode_bytes(e, "PAR1", 4, &got, NULL, &err), POND_ECORRUPT);
	pond_free(bytes);
	pond_buf_dispose(&sql);
	pond_buf_dispose(&want);
	pond_buf_dispose(&got);
	pond_engine_close(&e);
}

TEST(chunk_codec_fails_cleanly_on_every_truncation_and_on_flipped_bytes)
{
	pond_engine *e = open_engine();
	CHECK(e != NULL);
	pond_error err = POND_ERROR_INIT;
	pond_buf sql = POND_BUF_INIT, want = POND_BUF_INIT, got = POND_BUF_INIT;
	unsigned char *bytes = NULL;
	size_t len = 0;
	int64_t nchunks = 0;
	/* 14 rows: every type and every kind of NULL, no large string. */
	pond_buf_printf(&sql, "SELECT * REPLACE (left(s, 50) AS s) FROM (%s)", all_types(&want, 14));
	pond_buf_clear(&want);
	CHECK_OK(encode_query(e, pond_buf_cstr(&sql), &bytes, &len, &want, &nchunks, &err), &err);
	CHECK(len > 500);
	/* Every proper prefix is an error with a one-line message. */
	size_t bad = 0;
	for (size_t n = 0; n < len; n++) {
		pond_buf_clear(&got);
		pond_error_clear(&err);
		int rc = decode_bytes(e, bytes, n, &got, NULL, &err);
		if (rc >= 0 || !err.msg[0] || strchr(err.msg, '\n'))
			bad++;
	}
	CHECK_INT(bad, 0);
	/* Bytes after the end, too. */
	unsigned char *longer = pond_malloc(len + 1);
	memcpy(longer, bytes, len);
	longer[len] = 0;
	CHECK_INT(decode_bytes(e, longer, len + 1, &got, NULL, &err), POND_ECORRUPT);
	pond_free(longer);
	/* Flipped bytes: decoded or refused, never a crash (the sanitizer
	 * build checks every read and write). */
	unsigned char *copy = pond_malloc(len);
	uint32_t seed = 12345;
	size_t ok = 0, refused = 0;
	for (int round = 0; round < 1500; round++) {
		memcpy(copy, bytes, len);
		for (int k = 0; k < 1 + round % 3; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % len;
			seed = seed * 1103515245u + 12345u;
			copy[at] ^= (unsigned char)(1u << ((seed >> 16) % 8)) | (round % 5 == 0 ? 0xff : 0);
		}
		pond_buf_clear(&got);
		pond_error_clear(&err);
		if (decode_bytes(e, copy, len, &got, NULL, &err) == 0) {
			ok++;
		} else {
			refused++;
			CHECK_MSG(err.msg[0] && !strchr(err.msg, '\n'), "round %d: bad message \"%s\"", round, err.msg);
		}
	}
	CHECK(ok + refused == 1500);
	CHECK(refused > 0);
	pond_free(copy);
	pond_free(bytes);
	pond_buf_dispose(&sql);
	pond_buf_dispose(&want);
	pond_buf_dispose(&got);
	pond_engine_close(&e);
}

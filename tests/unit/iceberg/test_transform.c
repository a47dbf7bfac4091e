/*
 * Transforms, literals and bounds against the spec's own examples:
 * Appendix B hash vectors, truncate examples, time transforms (with values
 * before 1970), partition paths as Java writes them, and Appendix D bytes.
 */
#include "../test.h"

#include "pond/iceberg.h"

#include <math.h>

#define TS_2017_11_16_22_31_08 1510871468000000LL

static int32_t hash(pond_iceberg_literal l)
{
	return pond_iceberg_hash(&l);
}

TEST(transform_bucket_matches_spec_vectors)
{
	uint8_t uuid[16];
	CHECK_INT(pond_uuid_parse(uuid, "f79c3e09-677c-4bbd-a479-3f349cb785e7"), 0);
	const uint8_t bytes[4] = {0, 1, 2, 3};
	CHECK_INT(hash(pond_iceberg_literal_int(34)), 2017239379);
	CHECK_INT(hash(pond_iceberg_literal_long(34)), 2017239379);
	CHECK_INT(hash(pond_iceberg_literal_decimal(1420, 2)), -500754589);
	CHECK_INT(hash(pond_iceberg_literal_date(17486)), -653330422);
	CHECK_INT(hash(pond_iceberg_literal_time(81068000000LL)), -662762989);
	CHECK_INT(hash(pond_iceberg_literal_timestamp(TS_2017_11_16_22_31_08)), -2047944441);
	CHECK_INT(hash(pond_iceberg_literal_timestamp(TS_2017_11_16_22_31_08 + 1)), -1207196810);
	/* 2017-11-16T14:31:08-08:00 is the same instant */
	CHECK_INT(hash(pond_iceberg_literal_timestamptz(TS_2017_11_16_22_31_08)), -2047944441);
	CHECK_INT(hash(pond_iceberg_literal_timestamptz(TS_2017_11_16_22_31_08 + 1)), -1207196810);
	pond_iceberg_literal ns = {.type = POND_ICEBERG_TIMESTAMP_NS, .v.i64 = (TS_2017_11_16_22_31_08 + 1) * 1000 + 1};
	CHECK_INT(hash(ns), -1207196810);
	CHECK_INT(hash(pond_iceberg_literal_string("iceberg", 7)), 1210000089);
	CHECK_INT(hash(pond_iceberg_literal_uuid(uuid)), 1488055340);
	CHECK_INT(hash(pond_iceberg_literal_fixed(bytes, 4)), -188683207);
	CHECK_INT(hash(pond_iceberg_literal_binary(bytes, 4)), -188683207);
}

TEST(transform_bucket_applies_modulo_of_positive_hash)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_transform t;
	pond_iceberg_literal out, in = pond_iceberg_literal_int(34);
	CHECK_OK(pond_iceberg_transform_parse(&t, "bucket[100]", &err), &err);
	CHECK_OK(pond_iceberg_transform_apply(&out, t, &in, &err), &err);
	CHECK_INT(out.type, POND_ICEBERG_INT);
	CHECK_INT(out.v.i32, 79);
	in = pond_iceberg_literal_decimal(1420, 2);
	CHECK_OK(pond_iceberg_transform_apply(&out, t, &in, &err), &err);
	CHECK_INT(out.v.i32, 59);
	in = pond_iceberg_literal_date(17486);
	CHECK_OK(pond_iceberg_transform_apply(&out, t, &in, &err), &err);
	CHECK_INT(out.v.i32, 26);
	in = pond_iceberg_literal_double(1.0);
	CHECK(pond_iceberg_transform_apply(&out, t, &in, &err) == POND_EINVAL);
	CHECK(strstr(err.msg, "bucket[100]") && strstr(err.msg, "double"));
}

TEST(transform_truncate_matches_spec_examples)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_transform t10 = {POND_ICEBERG_TRUNCATE, 10}, t50 = {POND_ICEBERG_TRUNCATE, 50},
	                       t3 = {POND_ICEBERG_TRUNCATE, 3}, t2 = {POND_ICEBERG_TRUNCATE, 2};
	pond_iceberg_literal out, in = pond_iceberg_literal_int(1);
	CHECK_OK(pond_iceberg_transform_apply(&out, t10, &in, &err), &err);
	CHECK_INT(out.v.i32, 0);
	in = pond_iceberg_literal_int(-1);
	CHECK_OK(pond_iceberg_transform_apply(&out, t10, &in, &err), &err);
	CHECK_INT(out.v.i32, -10);
	in = pond_iceberg_literal_long(1);
	CHECK_OK(pond_iceberg_transform_apply(&out, t10, &in, &err), &err);
	CHECK_INT(out.v.i64, 0);
	in = pond_iceberg_literal_long(-1);
	CHECK_OK(pond_iceberg_transform_apply(&out, t10, &in, &err), &err);
	CHECK_INT(out.v.i64, -10);
	in = pond_iceberg_literal_decimal(1065, 2);
	CHECK_OK(pond_iceberg_transform_apply(&out, t50, &in, &err), &err);
	CHECK_INT((long long)out.v.dec, 1050);
	CHECK_INT(out.scale, 2);
	in = pond_iceberg_literal_string("iceberg", 7);
	CHECK_OK(pond_iceberg_transform_apply(&out, t3, &in, &err), &err);
	CHECK_INT(out.v.bytes.len, 3);
	CHECK(memcmp(out.v.bytes.ptr, "ice", 3) == 0);
	/* code points, not bytes: two euro signs are six bytes */
	in = pond_iceberg_literal_string("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 9);
	CHECK_OK(pond_iceberg_transform_apply(&out, t2, &in, &err), &err);
	CHECK_INT(out.v.bytes.len, 6);
	in = pond_iceberg_literal_binary("\x01\x02\x03\x04\x05", 5);
	CHECK_OK(pond_iceberg_transform_apply(&out, t3, &in, &err), &err);
	CHECK_INT(out.v.bytes.len, 3);
}

/* Within the width of the type's minimum, the truncated value leaves the
 * type: an error (filters then keep every file, writes refuse), never a
 * wrapped value (found/014, found/016). */
TEST(transform_truncate_refuses_results_outside_the_type)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_transform t9 = {POND_ICEBERG_TRUNCATE, 9}, t6 = {POND_ICEBERG_TRUNCATE, 6};
	pond_iceberg_literal out, in = pond_iceberg_literal_int(INT32_MIN);
	CHECK(pond_iceberg_transform_apply(&out, t9, &in, &err) == POND_ELIMIT);
	CHECK(strstr(err.msg, "below the int range") != NULL);
	pond_error_clear(&err);
	in = pond_iceberg_literal_long(INT64_MIN);
	CHECK(pond_iceberg_transform_apply(&out, t6, &in, &err) == POND_ELIMIT);
	pond_error_clear(&err);
	in = pond_iceberg_literal_int(INT32_MIN + 2); /* -2147483646 is 9 * -238609294 */
	CHECK_OK(pond_iceberg_transform_apply(&out, t9, &in, &err), &err);
	CHECK_INT(out.v.i32, INT32_MIN + 2);
	in = pond_iceberg_literal_int(INT32_MAX);
	CHECK_OK(pond_iceberg_transform_apply(&out, t9, &in, &err), &err);
	CHECK_INT(out.v.i32, 2147483646);
}

static int32_t apply_time(pond_iceberg_transform_kind kind, pond_iceberg_literal in)
{
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_literal out;
	pond_iceberg_transform t = {kind, 0};
	if (pond_iceberg_transform_apply(&out, t, &in, &err))
		return INT32_MIN;
	return out.v.i32;
}

TEST(transform_time_transforms_count_from_1970_and_floor_before)
{
	pond_iceberg_literal ts = pond_iceberg_literal_timestamp(TS_2017_11_16_22_31_08);
	pond_iceberg_literal date = pond_iceberg_literal_date(17486);
	CHECK_INT(apply_time(POND_ICEBERG_YEAR, ts), 47);
	CHECK_INT(apply_time(POND_ICEBERG_MONTH, ts), 574);
	CHECK_INT(apply_time(POND_ICEBERG_DAY, ts), 17486);
	CHECK_INT(apply_time(POND_ICEBERG_HOUR, ts), 419686);
	CHECK_INT(apply_time(POND_ICEBERG_YEAR, date), 47);
	CHECK_INT(apply_time(POND_ICEBERG_MONTH, date), 574);
	CHECK_INT(apply_time(POND_ICEBERG_DAY, date), 17486);
	CHECK_INT(apply_time(POND_ICEBERG_HOUR, date), INT32_MIN); /* hour does not take dates */
	pond_iceberg_literal before = pond_iceberg_literal_timestamp(-1);
	CHECK_INT(apply_time(POND_ICEBERG_YEAR, before), -1);
	CHECK_INT(apply_time(POND_ICEBERG_MONTH, before), -1);
	CHECK_INT(apply_time(POND_ICEBERG_DAY, before), -1);
	CHECK_INT(apply_time(POND_ICEBERG_HOUR, before), -1);
	CHECK_INT(apply_time(POND_ICEBERG_MONTH, pond_iceberg_literal_date(-365)), -12);
	/* The last microsecond of 9999 is in hour 2932896 + 23, not the next. */
	CHECK_INT(apply_time(POND_ICEBERG_HOUR, pond_iceberg_literal_timestamp(253402300799999999LL)), 70389527);
}

TEST(transform_strings_parse_and_format_both_ways)
{
	const char *names[] = {"identity", "bucket[16]", "truncate[4]", "year", "month", "day", "hour", "void"};
	pond_error err = POND_ERROR_INIT;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		pond_iceberg_transform t;
		char text[32];
		CHECK_OK(pond_iceberg_transform_parse(&t, names[i], &err), &err);
		pond_iceberg_transform_format(text, t);
		CHECK_STR(text, names[i]);
	}
	pond_iceberg_transform t;
	CHECK(pond_iceberg_transform_parse(&t, "bucket[0]", &err) == POND_EINVAL);
	CHECK(pond_iceberg_transform_parse(&t, "bucket[", &err) == POND_EINVAL);
	CHECK(pond_iceberg_transform_parse(&t, "truncate[99999999999]", &err) == POND_EINVAL);
	CHECK(pond_iceberg_transform_parse(&t, "days", &err) == POND_EINVAL);
	CHECK(strstr(err.msg, "\"days\""));
}

TEST(transform_result_types_follow_spec_table)
{
	pond_arena *arena = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_type *src, *res;
	CHECK_OK(pond_iceberg_type_parse_primitive(&src, "timestamptz", arena, &err), &err);
	pond_iceberg_transform day = {POND_ICEBERG_DAY, 0}, bucket = {POND_ICEBERG_BUCKET, 4},
	                       trunc = {POND_ICEBERG_TRUNCATE, 4}, hour = {POND_ICEBERG_HOUR, 0};
	CHECK_OK(pond_iceberg_transform_result_type(&res, day, src, arena, &err), &err);
	CHECK_INT(res->id, POND_ICEBERG_DATE);
	CHECK_OK(pond_iceberg_transform_result_type(&res, hour, src, arena, &err), &err);
	CHECK_INT(res->id, POND_ICEBERG_INT);
	CHECK_OK(pond_iceberg_transform_result_type(&res, bucket, src, arena, &err), &err);
	CHECK_INT(res->id, POND_ICEBERG_INT);
	CHECK(pond_iceberg_transform_result_type(&res, trunc, src, arena, &err) == POND_EINVAL);
	CHECK_OK(pond_iceberg_type_parse_primitive(&src, "decimal(9,2)", arena, &err), &err);
	CHECK_OK(pond_iceberg_transform_result_type(&res, trunc, src, arena, &err), &err);
	CHECK_INT(res->id, POND_ICEBERG_DECIMAL);
	CHECK_INT(res->scale, 2);
	CHECK_OK(pond_iceberg_type_parse_primitive(&src, "boolean", arena, &err), &err);
	CHECK(!pond_iceberg_transform_accepts(bucket, src));
	pond_arena_free(&arena);
}

TEST(partition_path_matches_java_human_strings)
{
	pond_iceberg_partition_field fields[] = {
		{1, 1000, "ts_year", {POND_ICEBERG_YEAR, 0}},
		{1, 1001, "ts_month", {POND_ICEBERG_MONTH, 0}},
		{1, 1002, "ts_day", {POND_ICEBERG_DAY, 0}},
		{1, 1003, "ts_hour", {POND_ICEBERG_HOUR, 0}},
		{2, 1004, "name", {POND_ICEBERG_IDENTITY, 0}},
		{3, 1005, "n", {POND_ICEBERG_IDENTITY, 0}},
		{4, 1006, "ts", {POND_ICEBERG_IDENTITY, 0}},
	};
	pond_iceberg_partition_spec spec = {0, 7, fields};
	int64_t ts = 1704103200000000LL; /* 2024-01-01T10:00:00 */
	pond_iceberg_literal values[7];
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_literal in = pond_iceberg_literal_timestamptz(ts);
	for (int i = 0; i < 4; i++)
		CHECK_OK(pond_iceberg_transform_apply(&values[i], fields[i].transform, &in, &err), &err);
	values[4] = pond_iceberg_literal_string("a b/c&d", 7);
	values[5] = pond_iceberg_literal_null(POND_ICEBERG_INT);
	values[6] = pond_iceberg_literal_timestamp(ts + 500000);
	pond_buf path = POND_BUF_INIT;
	pond_iceberg_partition_path(&path, &spec, values);
	CHECK_STR(pond_buf_cstr(&path), "ts_year=2024/ts_month=2024-01/ts_day=2024-01-01/ts_hour=2024-01-01-10/"
	                                 "name=a+b%2Fc%26d/n=null/ts=2024-01-01T10%3A00%3A00.500");
	pond_buf_dispose(&path);
}

TEST(literal_text_round_trips_every_primitive)
{
	const char *cases[][2] = {
		{"boolean", "true"}, {"int", "-42"}, {"long", "9007199254740993"}, {"float", "1.5"},
		{"double", "0.1"}, {"decimal(9,2)", "-0.05"}, {"decimal(38,0)", "12345678901234567890123456789"},
		{"date", "1969-12-31"}, {"time", "22:31:08.000001"}, {"timestamp", "2017-11-16T22:31:08"},
		{"timestamptz", "2017-11-16T22:31:08.100Z"}, {"string", "caf\xc3\xa9"},
		{"uuid", "f79c3e09-677c-4bbd-a479-3f349cb785e7"}, {"binary", "AAECAw=="}, {"fixed[4]", "AAECAw=="},
	};
	pond_arena *arena = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pond_iceberg_type *type;
		pond_iceberg_literal lit;
		pond_buf text = POND_BUF_INIT;
		CHECK_OK(pond_iceberg_type_parse_primitive(&type, cases[i][0], arena, &err), &err);
		CHECK_OK(pond_iceberg_literal_from_text(&lit, type, cases[i][1], arena, &err), &err);
		pond_iceberg_literal_to_text(&text, &lit);
		CHECK_STR(pond_buf_cstr(&text), cases[i][1]);
		pond_buf_dispose(&text);
	}
	pond_iceberg_type *dec;
	pond_iceberg_literal lit;
	CHECK_OK(pond_iceberg_type_parse_primitive(&dec, "decimal(9,2)", arena, &err), &err);
	CHECK(pond_iceberg_literal_from_text(&lit, dec, "1.234", arena, &err) == POND_EINVAL);
	CHECK_OK(pond_iceberg_literal_from_text(&lit, dec, "14.2", arena, &err), &err);
	CHECK_INT((long long)lit.v.dec, 1420);
	pond_arena_free(&arena);
}

TEST(literal_compare_orders_values_as_iceberg_does)
{
	pond_iceberg_literal a = pond_iceberg_literal_decimal(150, 2), b = pond_iceberg_literal_decimal(15, 1);
	CHECK_INT(pond_iceberg_literal_compare(&a, &b), 0);
	b = pond_iceberg_literal_decimal(-151, 2);
	CHECK(pond_iceberg_literal_compare(&b, &a) < 0);
	a = pond_iceberg_literal_double(-0.0), b = pond_iceberg_literal_double(0.0);
	CHECK(pond_iceberg_literal_compare(&a, &b) < 0);
	a = pond_iceberg_literal_double(NAN);
	CHECK(pond_iceberg_literal_compare(&a, &b) > 0);
	a = pond_iceberg_literal_string("a", 1), b = pond_iceberg_literal_string("\xc3\xa9", 2);
	CHECK(pond_iceberg_literal_compare(&a, &b) < 0);
	b = pond_iceberg_literal_string("ab", 2);
	CHECK(pond_iceberg_literal_compare(&a, &b) < 0);
	a = pond_iceberg_literal_long(-5), b = pond_iceberg_literal_long(3);
	CHECK(pond_iceberg_literal_compare(&a, &b) < 0);
}

static void check_bound(const char *type_name, pond_iceberg_literal lit, const char *bytes, size_t len)
{
	pond_arena *arena = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_type *type;
	pond_iceberg_literal back;
	pond_buf buf = POND_BUF_INIT;
	CHECK_OK(pond_iceberg_type_parse_primitive(&type, type_name, arena, &err), &err);
	pond_iceberg_bound_encode(&buf, &lit);
	CHECK_MSG(buf.len == len && memcmp(buf.ptr, bytes, len) == 0, "%s: encoding differs", type_name);
	CHECK_OK(pond_iceberg_bound_decode(&back, type, buf.ptr, buf.len, &err), &err);
	CHECK_MSG(pond_iceberg_literal_equal(&back, &lit), "%s: decoded value differs", type_name);
	pond_buf_dispose(&buf);
	pond_arena_free(&arena);
}

TEST(bound_encoding_round_trips_every_type_with_spec_bytes)
{
	uint8_t uuid[16];
	CHECK_INT(pond_uuid_parse(uuid, "f79c3e09-677c-4bbd-a479-3f349cb785e7"), 0);
	check_bound("boolean", pond_iceberg_literal_bool(true), "\x01", 1);
	check_bound("int", pond_iceberg_literal_int(1), "\x01\x00\x00\x00", 4);
	check_bound("int", pond_iceberg_literal_int(-2), "\xfe\xff\xff\xff", 4);
	check_bound("date", pond_iceberg_literal_date(17486), "\x4e\x44\x00\x00", 4);
	check_bound("long", pond_iceberg_literal_long(34), "\x22\x00\x00\x00\x00\x00\x00\x00", 8);
	check_bound("time", pond_iceberg_literal_time(81068000000LL), "\x00\x83\x07\xe0\x12\x00\x00\x00", 8);
	check_bound("timestamp", pond_iceberg_literal_timestamp(-1), "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
	check_bound("timestamptz", pond_iceberg_literal_timestamptz(1), "\x01\x00\x00\x00\x00\x00\x00\x00", 8);
	check_bound("float", pond_iceberg_literal_float(1.0f), "\x00\x00\x80\x3f", 4);
	check_bound("double", pond_iceberg_literal_double(1.0), "\x00\x00\x00\x00\x00\x00\xf0\x3f", 8);
	check_bound("string", pond_iceberg_literal_string("iceberg", 7), "iceberg", 7);
	check_bound("uuid", pond_iceberg_literal_uuid(uuid),
	            "\xf7\x9c\x3e\x09\x67\x7c\x4b\xbd\xa4\x79\x3f\x34\x9c\xb7\x85\xe7", 16);
	check_bound("fixed[4]", pond_iceberg_literal_fixed("\x00\x01\x02\x03", 4), "\x00\x01\x02\x03", 4);
	check_bound("binary", pond_iceberg_literal_binary("\x00\x01", 2), "\x00\x01", 2);
	/* decimals: minimal big-endian two's complement of the unscaled value */
	check_bound("decimal(9,2)", pond_iceberg_literal_decimal(1420, 2), "\x05\x8c", 2);
	check_bound("decimal(9,2)", pond_iceberg_literal_decimal(-1, 2), "\xff", 1);
	check_bound("decimal(9,2)", pond_iceberg_literal_decimal(128, 2), "\x00\x80", 2);
	check_bound("decimal(9,2)", pond_iceberg_literal_decimal(-129, 2), "\xff\x7f", 2);
	check_bound("decimal(9,2)", pond_iceberg_literal_decimal(0, 2), "\x00", 1);
	if (pond_test_failed_flag)
		return;
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_type t = {.id = POND_ICEBERG_INT};
	pond_iceberg_literal l;
	CHECK(pond_iceberg_bound_decode(&l, &t, "\x01\x02", 2, &err) == POND_ECORRUPT);
}

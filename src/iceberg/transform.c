/*
 * Partition transforms (spec "Partition Transforms" and Appendix B):
 * identity, bucket[N], truncate[W], year, month, day, hour and void. Which
 * source types each accepts, its result type, applying it to a value, and
 * the human string Java writes for a result in partition paths.
 */
#include "iceberg_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	pond_iceberg_transform_kind kind;
} plain_transforms[] = {
	{"identity", POND_ICEBERG_IDENTITY}, {"year", POND_ICEBERG_YEAR}, {"month", POND_ICEBERG_MONTH},
	{"day", POND_ICEBERG_DAY},           {"hour", POND_ICEBERG_HOUR}, {"void", POND_ICEBERG_VOID},
};

int pond_iceberg_transform_parse(pond_iceberg_transform *out, const char *text, pond_error *err)
{
	for (size_t i = 0; i < sizeof(plain_transforms) / sizeof(plain_transforms[0]); i++)
		if (strcmp(text, plain_transforms[i].name) == 0) {
			*out = (pond_iceberg_transform){plain_transforms[i].kind, 0};
			return 0;
		}
	const char *open = strchr(text, '[');
	size_t name_len = open ? (size_t)(open - text) : 0;
	pond_iceberg_transform t = {0, 0};
	if (name_len == 6 && strncmp(text, "bucket", 6) == 0)
		t.kind = POND_ICEBERG_BUCKET;
	else if (name_len == 8 && strncmp(text, "truncate", 8) == 0)
		t.kind = POND_ICEBERG_TRUNCATE;
	if (t.kind) {
		int64_t n = 0;
		const char *p = open + 1;
		while (*p >= '0' && *p <= '9' && n <= INT32_MAX)
			n = n * 10 + (*p++ - '0');
		if (p > open + 1 && p[0] == ']' && p[1] == '\0' && n > 0 && n <= INT32_MAX) {
			t.param = (int32_t)n;
			*out = t;
			return 0;
		}
	}
	return pond_error_set(err, POND_EINVAL, "unknown transform \"%.100s\"", text);
}

void pond_iceberg_transform_format(char out[32], pond_iceberg_transform t)
{
	if (t.kind == POND_ICEBERG_BUCKET || t.kind == POND_ICEBERG_TRUNCATE) {
		snprintf(out, 32, "%s[%d]", t.kind == POND_ICEBERG_BUCKET ? "bucket" : "truncate", (int)t.param);
		return;
	}
	for (size_t i = 0; i < sizeof(plain_transforms) / sizeof(plain_transforms[0]); i++)
		if (plain_transforms[i].kind == t.kind) {
			snprintf(out, 32, "%s", plain_transforms[i].name);
			return;
		}
	snprintf(out, 32, "unknown");
}

static bool is_timestamp(pond_iceberg_type_id id)
{
	return id == POND_ICEBERG_TIMESTAMP || id == POND_ICEBERG_TIMESTAMPTZ || id == POND_ICEBERG_TIMESTAMP_NS ||
	       id == POND_ICEBERG_TIMESTAMPTZ_NS;
}

bool pond_iceberg_transform_accepts(pond_iceberg_transform t, const pond_iceberg_type *source)
{
	pond_iceberg_type_id id = source->id;
	bool primitive = pond_iceberg_type_is_primitive(source);
	switch (t.kind) {
	case POND_ICEBERG_IDENTITY:
	case POND_ICEBERG_VOID:
		return primitive;
	case POND_ICEBERG_BUCKET:
		return primitive && id != POND_ICEBERG_BOOLEAN && id != POND_ICEBERG_FLOAT && id != POND_ICEBERG_DOUBLE;
	case POND_ICEBERG_TRUNCATE:
		return id == POND_ICEBERG_INT || id == POND_ICEBERG_LONG || id == POND_ICEBERG_DECIMAL ||
		       id == POND_ICEBERG_STRING || id == POND_ICEBERG_BINARY;
	case POND_ICEBERG_YEAR:
	case POND_ICEBERG_MONTH:
	case POND_ICEBERG_DAY:
		return id == POND_ICEBERG_DATE || is_timestamp(id);
	case POND_ICEBERG_HOUR:
		return is_timestamp(id);
	default:
		return false;
	}
}

int pond_iceberg_transform_result_type(pond_iceberg_type **out, pond_iceberg_transform t,
                                       const pond_iceberg_type *source, pond_arena *arena, pond_error *err)
{
	if (!pond_iceberg_transform_accepts(t, source)) {
		char tname[32], sname[40];
		pond_iceberg_transform_format(tname, t);
		pond_iceberg_type_format(sname, source);
		return pond_error_set(err, POND_EINVAL, "transform %s cannot apply to type %s", tname, sname);
	}
	pond_iceberg_type *r = pond_arena_calloc(arena, 1, sizeof(*r));
	if (!r)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	switch (t.kind) {
	case POND_ICEBERG_IDENTITY:
	case POND_ICEBERG_VOID:
	case POND_ICEBERG_TRUNCATE:
		*r = *source;
		break;
	case POND_ICEBERG_DAY:
		/* spec: int; Java (and its manifests) call it a date */
		r->id = POND_ICEBERG_DATE;
		break;
	default: /* bucket, year, month, hour */
		r->id = POND_ICEBERG_INT;
		break;
	}
	*out = r;
	return 0;
}

static int32_t hash_long(int64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)((uint64_t)v >> (8 * i));
	return (int32_t)pond_murmur3_32(b, 8, 0);
}

int32_t pond_iceberg_hash(const pond_iceberg_literal *l)
{
	switch (l->type) {
	case POND_ICEBERG_INT:
	case POND_ICEBERG_DATE:
		/* spec Appendix B: ints and dates hash as 8-byte longs, so
		 * promoting int to long keeps the bucket */
		return hash_long(l->v.i32);
	case POND_ICEBERG_TIMESTAMP_NS:
	case POND_ICEBERG_TIMESTAMPTZ_NS:
		/* spec: nanosecond timestamps hash as microseconds */
		return hash_long(pond__floor_div(l->v.i64, 1000));
	case POND_ICEBERG_DECIMAL: {
		uint8_t be[16];
		size_t n = pond_iceberg_int128_to_be(be, l->v.dec);
		return (int32_t)pond_murmur3_32(be, n, 0);
	}
	case POND_ICEBERG_UUID:
		return (int32_t)pond_murmur3_32(l->v.uuid, 16, 0);
	case POND_ICEBERG_STRING:
	case POND_ICEBERG_BINARY:
	case POND_ICEBERG_FIXED:
		return (int32_t)pond_murmur3_32(l->v.bytes.ptr, l->v.bytes.len, 0);
	case POND_ICEBERG_BOOLEAN:
		return hash_long(l->v.b);
	case POND_ICEBERG_FLOAT:
	case POND_ICEBERG_DOUBLE: {
		double d = l->type == POND_ICEBERG_FLOAT ? (double)l->v.f32 : l->v.f64;
		uint64_t bits;
		memcpy(&bits, &d, 8);
		return hash_long((int64_t)bits);
	}
	default: /* long, time, timestamp, timestamptz */
		return hash_long(l->v.i64);
	}
}

/* Truncates UTF-8 to at most width code points (spec: strings truncate by
 * code points, never splitting one). */
static size_t utf8_prefix(const uint8_t *p, size_t len, int32_t width)
{
	size_t i = 0;
	for (int32_t n = 0; i < len && n < width; n++) {
		i++;
		while (i < len && (p[i] & 0xC0) == 0x80)
			i++;
	}
	return i;
}

/* Integers within w of their type's minimum truncate to a value outside
 * the type: an error, which a filter's projection takes as "cannot
 * project" (keep every file), and which writes refuse. */
static int apply_truncate(pond_iceberg_literal *out, int32_t w, const pond_iceberg_literal *in, pond_error *err)
{
	*out = *in;
	switch (in->type) {
	case POND_ICEBERG_INT: {
		int64_t v = (int64_t)in->v.i32 - ((((int64_t)in->v.i32 % w) + w) % w);
		if (v < INT32_MIN)
			return pond_error_set(err, POND_ELIMIT, "truncate[%d] of %d is below the int range", (int)w,
			                      (int)in->v.i32);
		out->v.i32 = (int32_t)v;
		return 0;
	}
	case POND_ICEBERG_LONG: {
		int64_t r = ((in->v.i64 % w) + w) % w;
		if (in->v.i64 < INT64_MIN + r)
			return pond_error_set(err, POND_ELIMIT, "truncate[%d] of %" PRId64 " is below the long range", (int)w,
			                      in->v.i64);
		out->v.i64 = in->v.i64 - r;
		return 0;
	}
	case POND_ICEBERG_DECIMAL:
		out->v.dec = in->v.dec - (((in->v.dec % w) + w) % w);
		return 0;
	case POND_ICEBERG_STRING:
		out->v.bytes.len = utf8_prefix(in->v.bytes.ptr, in->v.bytes.len, w);
		return 0;
	default: /* binary */
		if (out->v.bytes.len > (size_t)w)
			out->v.bytes.len = (size_t)w;
		return 0;
	}
}

/* Microseconds of a date or timestamp value (dates: midnight). */
static int64_t to_micros(const pond_iceberg_literal *in)
{
	if (in->type == POND_ICEBERG_DATE)
		return (int64_t)in->v.i32 * 86400000000LL;
	if (in->type == POND_ICEBERG_TIMESTAMP_NS || in->type == POND_ICEBERG_TIMESTAMPTZ_NS)
		return pond__floor_div(in->v.i64, 1000);
	return in->v.i64;
}

static int32_t apply_time(pond_iceberg_transform_kind kind, const pond_iceberg_literal *in)
{
	int64_t us = to_micros(in);
	int64_t days = in->type == POND_ICEBERG_DATE ? in->v.i32 : pond__floor_div(us, 86400000000LL);
	int64_t y;
	unsigned m, d;
	/* spec: years/months/days/hours from 1970, floor for values before */
	switch (kind) {
	case POND_ICEBERG_HOUR:
		return (int32_t)pond__floor_div(us, 3600000000LL);
	case POND_ICEBERG_DAY:
		return (int32_t)days;
	case POND_ICEBERG_MONTH:
		pond_civil_from_days(days, &y, &m, &d);
		return (int32_t)((y - 1970) * 12 + (m - 1));
	default:
		pond_civil_from_days(days, &y, &m, &d);
		return (int32_t)(y - 1970);
	}
}

int pond_iceberg_transform_apply(pond_iceberg_literal *out, pond_iceberg_transform t,
                                 const pond_iceberg_literal *in, pond_error *err)
{
	pond_iceberg_type source = {.id = in->type};
	if (!pond_iceberg_transform_accepts(t, &source)) {
		char tname[32], sname[40];
		pond_iceberg_transform_format(tname, t);
		pond_iceberg_type_format(sname, &source);
		return pond_error_set(err, POND_EINVAL, "transform %s cannot apply to type %s", tname, sname);
	}
	if (t.kind == POND_ICEBERG_VOID || in->is_null) {
		pond_iceberg_type_id rid = t.kind == POND_ICEBERG_IDENTITY || t.kind == POND_ICEBERG_TRUNCATE ||
		                                   t.kind == POND_ICEBERG_VOID ? in->type
		                           : t.kind == POND_ICEBERG_DAY ? POND_ICEBERG_DATE : POND_ICEBERG_INT;
		*out = pond_iceberg_literal_null(rid);
		out->scale = in->scale;
		return 0;
	}
	switch (t.kind) {
	case POND_ICEBERG_IDENTITY:
		*out = *in;
		return 0;
	case POND_ICEBERG_BUCKET:
		*out = pond_iceberg_literal_int((int32_t)(((uint32_t)pond_iceberg_hash(in) & INT32_MAX) % (uint32_t)t.param));
		return 0;
	case POND_ICEBERG_TRUNCATE:
		return apply_truncate(out, t.param, in, err);
	case POND_ICEBERG_DAY:
		*out = pond_iceberg_literal_date(apply_time(t.kind, in));
		return 0;
	default:
		*out = pond_iceberg_literal_int(apply_time(t.kind, in));
		return 0;
	}
}

void pond_iceberg_transform_human(pond_buf *out, pond_iceberg_transform t, const pond_iceberg_literal *r)
{
	if (r->is_null) {
		pond_buf_puts(out, "null");
		return;
	}
	int64_t v = r->v.i32, y, days;
	unsigned m, d;
	switch (t.kind) {
	case POND_ICEBERG_YEAR:
		pond_buf_printf(out, "%04lld", (long long)(1970 + v));
		return;
	case POND_ICEBERG_MONTH:
		y = 1970 + pond__floor_div(v, 12);
		pond_buf_printf(out, "%04lld-%02d", (long long)y, (int)(v - pond__floor_div(v, 12) * 12 + 1));
		return;
	case POND_ICEBERG_DAY:
		pond__ice_format_date(out, v);
		return;
	case POND_ICEBERG_HOUR:
		days = pond__floor_div(v, 24);
		pond_civil_from_days(days, &y, &m, &d);
		pond_buf_printf(out, "%04lld-%02u-%02u-%02d", (long long)y, m, d, (int)(v - days * 24));
		return;
	default:
		pond_iceberg_literal_to_text(out, r);
		return;
	}
}

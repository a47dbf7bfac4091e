/*
 * Typed single values: constructors, ordering (for bounds and filters) and
 * text forms. Text follows what Java's Iceberg writes in partition paths
 * (Transform.toHumanString), so pond's paths match other writers'.
 */
#include "iceberg_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

pond_iceberg_literal pond_iceberg_literal_null(pond_iceberg_type_id type)
{
	return (pond_iceberg_literal){.type = type, .is_null = true};
}
pond_iceberg_literal pond_iceberg_literal_bool(bool v) { return (pond_iceberg_literal){.type = POND_ICEBERG_BOOLEAN, .v.b = v}; }
pond_iceberg_literal pond_iceberg_literal_int(int32_t v) { return (pond_iceberg_literal){.type = POND_ICEBERG_INT, .v.i32 = v}; }
pond_iceberg_literal pond_iceberg_literal_long(int64_t v) { return (pond_iceberg_literal){.type = POND_ICEBERG_LONG, .v.i64 = v}; }
pond_iceberg_literal pond_iceberg_literal_float(float v) { return (pond_iceberg_literal){.type = POND_ICEBERG_FLOAT, .v.f32 = v}; }
pond_iceberg_literal pond_iceberg_literal_double(double v) { return (pond_iceberg_literal){.type = POND_ICEBERG_DOUBLE, .v.f64 = v}; }
pond_iceberg_literal pond_iceberg_literal_date(int32_t days) { return (pond_iceberg_literal){.type = POND_ICEBERG_DATE, .v.i32 = days}; }
pond_iceberg_literal pond_iceberg_literal_time(int64_t us) { return (pond_iceberg_literal){.type = POND_ICEBERG_TIME, .v.i64 = us}; }
pond_iceberg_literal pond_iceberg_literal_timestamp(int64_t us) { return (pond_iceberg_literal){.type = POND_ICEBERG_TIMESTAMP, .v.i64 = us}; }
pond_iceberg_literal pond_iceberg_literal_timestamptz(int64_t us) { return (pond_iceberg_literal){.type = POND_ICEBERG_TIMESTAMPTZ, .v.i64 = us}; }

pond_iceberg_literal pond_iceberg_literal_decimal(pond_int128 unscaled, int32_t scale)
{
	return (pond_iceberg_literal){.type = POND_ICEBERG_DECIMAL, .scale = scale, .v.dec = unscaled};
}

static pond_iceberg_literal bytes_literal(pond_iceberg_type_id type, const void *p, size_t len)
{
	pond_iceberg_literal l = {.type = type};
	l.v.bytes.ptr = p;
	l.v.bytes.len = len;
	return l;
}
pond_iceberg_literal pond_iceberg_literal_string(const char *s, size_t len) { return bytes_literal(POND_ICEBERG_STRING, s, len); }
pond_iceberg_literal pond_iceberg_literal_binary(const void *p, size_t len) { return bytes_literal(POND_ICEBERG_BINARY, p, len); }
pond_iceberg_literal pond_iceberg_literal_fixed(const void *p, size_t len) { return bytes_literal(POND_ICEBERG_FIXED, p, len); }

pond_iceberg_literal pond_iceberg_literal_uuid(const uint8_t uuid[16])
{
	pond_iceberg_literal l = {.type = POND_ICEBERG_UUID};
	memcpy(l.v.uuid, uuid, 16);
	return l;
}

#define CMP(a, b) ((a) < (b) ? -1 : (a) > (b) ? 1 : 0)

/* Java's Double.compare order: -0.0 < 0.0, NaN above everything. */
static int cmp_double(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) ? (isnan(b) ? 0 : 1) : -1;
	if (a == b && a == 0)
		return CMP(signbit(b) != 0, signbit(a) != 0);
	return CMP(a, b);
}

static pond_int128 pow10_128(int n)
{
	pond_int128 p = 1;
	while (n-- > 0)
		p *= 10;
	return p;
}

static int cmp_decimal(const pond_iceberg_literal *a, const pond_iceberg_literal *b)
{
	pond_int128 x = a->v.dec, y = b->v.dec;
	if (a->scale == b->scale)
		return CMP(x, y);
	/* Rescale the smaller scale up; 38-digit values times 10^k may
	 * overflow, so compare integer parts first. */
	int32_t s = a->scale > b->scale ? a->scale : b->scale;
	if (s > 38 || a->scale < 0 || b->scale < 0)
		return CMP(x, y);
	pond_int128 ix = x / pow10_128(a->scale), iy = y / pow10_128(b->scale);
	if (ix != iy)
		return CMP(ix, iy);
	pond_int128 fx = (x % pow10_128(a->scale)) * pow10_128(s - a->scale);
	pond_int128 fy = (y % pow10_128(b->scale)) * pow10_128(s - b->scale);
	return CMP(fx, fy);
}

static int cmp_bytes(const pond_iceberg_literal *a, const pond_iceberg_literal *b)
{
	size_t n = a->v.bytes.len < b->v.bytes.len ? a->v.bytes.len : b->v.bytes.len;
	int c = n ? memcmp(a->v.bytes.ptr, b->v.bytes.ptr, n) : 0;
	return c ? (c < 0 ? -1 : 1) : CMP(a->v.bytes.len, b->v.bytes.len);
}

int pond_iceberg_literal_compare(const pond_iceberg_literal *a, const pond_iceberg_literal *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case POND_ICEBERG_BOOLEAN: return CMP(a->v.b, b->v.b);
	case POND_ICEBERG_INT:
	case POND_ICEBERG_DATE: return CMP(a->v.i32, b->v.i32);
	case POND_ICEBERG_FLOAT: return cmp_double(a->v.f32, b->v.f32);
	case POND_ICEBERG_DOUBLE: return cmp_double(a->v.f64, b->v.f64);
	case POND_ICEBERG_DECIMAL: return cmp_decimal(a, b);
	case POND_ICEBERG_UUID: {
		/* Iceberg compares uuids as unsigned 16-byte big-endian values */
		int c = memcmp(a->v.uuid, b->v.uuid, 16);
		return CMP(c, 0);
	}
	case POND_ICEBERG_STRING:
	case POND_ICEBERG_BINARY:
	case POND_ICEBERG_FIXED: return cmp_bytes(a, b);
	default: return CMP(a->v.i64, b->v.i64);
	}
}

bool pond_iceberg_literal_equal(const pond_iceberg_literal *a, const pond_iceberg_literal *b)
{
	if (a->type != b->type || a->is_null != b->is_null)
		return false;
	return a->is_null || pond_iceberg_literal_compare(a, b) == 0;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void put_base64(pond_buf *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		pond_buf_putc(out, b64[v >> 18 & 63]);
		pond_buf_putc(out, b64[v >> 12 & 63]);
		pond_buf_putc(out, i + 1 < n ? b64[v >> 6 & 63] : '=');
		pond_buf_putc(out, i + 2 < n ? b64[v & 63] : '=');
	}
}

static int base64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

/* Decodes padded base64 into a new arena buffer; false when malformed. */
static bool get_base64(const char *s, pond_arena *arena, uint8_t **out, size_t *len)
{
	size_t n = strlen(s);
	if (n % 4)
		return false;
	uint8_t *p = pond_arena_alloc(arena, n / 4 * 3 + 1);
	size_t o = 0;
	if (!p)
		return false;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		for (int k = 0; k < 4; k++) {
			v[k] = s[i + k] == '=' && i + 4 == n && k >= 2 ? 0 : base64_value(s[i + k]);
			if (v[k] < 0)
				return false;
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		p[o++] = (uint8_t)(w >> 16);
		if (s[i + 2] != '=')
			p[o++] = (uint8_t)(w >> 8);
		if (s[i + 3] != '=')
			p[o++] = (uint8_t)w;
	}
	*out = p;
	*len = o;
	return true;
}

static void put_int128(pond_buf *out, pond_int128 v)
{
	char digits[48];
	int n = 0;
	unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
	do {
		digits[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	if (v < 0)
		pond_buf_putc(out, '-');
	while (n)
		pond_buf_putc(out, digits[--n]);
}

static void put_decimal(pond_buf *out, pond_int128 v, int32_t scale)
{
	if (scale <= 0 || scale > 38) {
		put_int128(out, v);
		return;
	}
	unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
	pond_int128 p = pow10_128(scale);
	if (v < 0)
		pond_buf_putc(out, '-');
	put_int128(out, (pond_int128)(u / (unsigned __int128)p));
	pond_buf_putc(out, '.');
	char frac[48];
	unsigned __int128 f = u % (unsigned __int128)p;
	for (int i = scale - 1; i >= 0; i--) {
		frac[i] = (char)('0' + (int)(f % 10));
		f /= 10;
	}
	pond_buf_put(out, frac, (size_t)scale);
}

/* Java's LocalTime.toString: HH:MM, then :SS and a fraction in groups of
 * three digits only when not zero. */
static void put_time_of_day(pond_buf *out, int64_t us_of_day)
{
	int64_t secs = us_of_day / 1000000, frac = us_of_day % 1000000;
	pond_buf_printf(out, "%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60));
	if (secs % 60 || frac)
		pond_buf_printf(out, ":%02d", (int)(secs % 60));
	if (frac % 1000 == 0 && frac)
		pond_buf_printf(out, ".%03d", (int)(frac / 1000));
	else if (frac)
		pond_buf_printf(out, ".%06d", (int)frac);
}

static void put_timestamp(pond_buf *out, int64_t us, bool zone)
{
	int64_t days = pond__floor_div(us, 86400000000LL);
	pond__ice_format_date(out, days);
	pond_buf_putc(out, 'T');
	put_time_of_day(out, us - days * 86400000000LL);
	if (zone)
		pond_buf_putc(out, 'Z');
}

/* The shortest text that reads back as the same double, with ".0" added to
 * integral values as Java prints them. */
static void put_double(pond_buf *out, double v, int max_digits)
{
	char text[64];
	if (isnan(v) || isinf(v)) {
		pond_buf_puts(out, isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
		return;
	}
	for (int digits = 1; digits <= max_digits; digits++) {
		snprintf(text, sizeof(text), "%.*g", digits, v);
		double back = strtod(text, NULL);
		if (max_digits <= 9 ? (float)back == (float)v : back == v)
			break;
	}
	pond_buf_puts(out, text);
	if (!strpbrk(text, ".e"))
		pond_buf_puts(out, ".0");
}

void pond_iceberg_literal_to_text(pond_buf *out, const pond_iceberg_literal *l)
{
	if (l->is_null) {
		pond_buf_puts(out, "null");
		return;
	}
	switch (l->type) {
	case POND_ICEBERG_BOOLEAN: pond_buf_puts(out, l->v.b ? "true" : "false"); break;
	case POND_ICEBERG_INT: pond_buf_printf(out, "%d", (int)l->v.i32); break;
	case POND_ICEBERG_LONG: pond_buf_printf(out, "%lld", (long long)l->v.i64); break;
	case POND_ICEBERG_FLOAT: put_double(out, l->v.f32, 9); break;
	case POND_ICEBERG_DOUBLE: put_double(out, l->v.f64, 17); break;
	case POND_ICEBERG_DECIMAL: put_decimal(out, l->v.dec, l->scale); break;
	case POND_ICEBERG_DATE: pond__ice_format_date(out, l->v.i32); break;
	case POND_ICEBERG_TIME: put_time_of_day(out, l->v.i64); break;
	case POND_ICEBERG_TIMESTAMP: put_timestamp(out, l->v.i64, false); break;
	case POND_ICEBERG_TIMESTAMPTZ: put_timestamp(out, l->v.i64, true); break;
	case POND_ICEBERG_TIMESTAMP_NS: put_timestamp(out, pond__floor_div(l->v.i64, 1000), false); break;
	case POND_ICEBERG_TIMESTAMPTZ_NS: put_timestamp(out, pond__floor_div(l->v.i64, 1000), true); break;
	case POND_ICEBERG_STRING: pond_buf_put(out, l->v.bytes.ptr, l->v.bytes.len); break;
	case POND_ICEBERG_UUID: {
		char text[37];
		pond_uuid_format(text, l->v.uuid);
		pond_buf_puts(out, text);
		break;
	}
	case POND_ICEBERG_BINARY:
	case POND_ICEBERG_FIXED: put_base64(out, l->v.bytes.ptr, l->v.bytes.len); break;
	default: pond_buf_puts(out, "?"); break;
	}
}

static bool parse_decimal(const char *s, int32_t scale, pond_int128 *out)
{
	bool neg = *s == '-';
	int frac_digits = -1, digits = 0;
	pond_int128 v = 0;
	if (*s == '-' || *s == '+')
		s++;
	for (; *s; s++) {
		if (*s == '.' && frac_digits < 0) {
			frac_digits = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || ++digits > 38)
			return false;
		v = v * 10 + (*s - '0');
		if (frac_digits >= 0)
			frac_digits++;
	}
	if (!digits || frac_digits > scale)
		return false;
	for (int i = frac_digits < 0 ? 0 : frac_digits; i < scale; i++) {
		if (++digits > 38)
			return false;
		v *= 10;
	}
	*out = neg ? -v : v;
	return true;
}

static bool parse_time(const char *s, int64_t *out)
{
	int h, m, sec = 0, n = 0;
	int64_t frac = 0;
	if (sscanf(s, "%2d:%2d%n", &h, &m, &n) != 2 || h > 23 || m > 59)
		return false;
	s += n;
	if (*s == ':') {
		if (sscanf(s, ":%2d%n", &sec, &n) != 1 || sec > 59)
			return false;
		s += n;
		if (*s == '.') {
			int digits = 0;
			for (s++; *s >= '0' && *s <= '9'; s++, digits++)
				if (digits < 6)
					frac = frac * 10 + (*s - '0');
			if (!digits)
				return false;
			for (; digits < 6; digits++)
				frac *= 10;
		}
	}
	if (*s)
		return false;
	*out = ((int64_t)h * 3600 + m * 60 + sec) * 1000000 + frac;
	return true;
}

static int bad_text(const pond_iceberg_type *type, const char *text, pond_error *err)
{
	char name[40];
	pond_iceberg_type_format(name, type);
	return pond_error_set(err, POND_EINVAL, "cannot read \"%.100s\" as %s", text, name);
}

static int parse_number(pond_iceberg_literal *out, const pond_iceberg_type *type, const char *text)
{
	int64_t i;
	char *end;
	switch (type->id) {
	case POND_ICEBERG_INT:
	case POND_ICEBERG_LONG:
		if (!pond_str_to_i64(text, &i) || (type->id == POND_ICEBERG_INT && (i < INT32_MIN || i > INT32_MAX)))
			return -1;
		*out = type->id == POND_ICEBERG_INT ? pond_iceberg_literal_int((int32_t)i) : pond_iceberg_literal_long(i);
		return 0;
	case POND_ICEBERG_FLOAT:
	case POND_ICEBERG_DOUBLE: {
		errno = 0;
		double d = strcmp(text, "NaN") == 0 ? NAN : strcmp(text, "Infinity") == 0 ? INFINITY
		         : strcmp(text, "-Infinity") == 0 ? -INFINITY : strtod(text, &end);
		if (isfinite(d) && (!*text || *end))
			return -1;
		*out = type->id == POND_ICEBERG_FLOAT ? pond_iceberg_literal_float((float)d) : pond_iceberg_literal_double(d);
		return 0;
	}
	case POND_ICEBERG_DECIMAL: {
		pond_int128 v;
		if (!parse_decimal(text, type->scale, &v))
			return -1;
		*out = pond_iceberg_literal_decimal(v, type->scale);
		return 0;
	}
	default:
		return -1;
	}
}

static int parse_temporal(pond_iceberg_literal *out, const pond_iceberg_type *type, const char *text)
{
	pond_error ignored = POND_ERROR_INIT;
	int64_t us;
	if (type->id == POND_ICEBERG_TIME) {
		if (!parse_time(text, &us))
			return -1;
		*out = pond_iceberg_literal_time(us);
		return 0;
	}
	if (type->id == POND_ICEBERG_DATE && strlen(text) != 10)
		return -1;
	if (pond_time_parse_us(text, &us, &ignored))
		return -1;
	switch (type->id) {
	case POND_ICEBERG_DATE: *out = pond_iceberg_literal_date((int32_t)(us / 86400000000LL)); break;
	case POND_ICEBERG_TIMESTAMP: *out = pond_iceberg_literal_timestamp(us); break;
	case POND_ICEBERG_TIMESTAMPTZ: *out = pond_iceberg_literal_timestamptz(us); break;
	default:
		*out = (pond_iceberg_literal){.type = type->id, .v.i64 = us * 1000};
		break;
	}
	return 0;
}

int pond_iceberg_literal_from_text(pond_iceberg_literal *out, const pond_iceberg_type *type, const char *text,
                                   pond_arena *arena, pond_error *err)
{
	uint8_t *bytes;
	size_t len;
	switch (type->id) {
	case POND_ICEBERG_BOOLEAN:
		if (strcmp(text, "true") && strcmp(text, "false"))
			return bad_text(type, text, err);
		*out = pond_iceberg_literal_bool(text[0] == 't');
		return 0;
	case POND_ICEBERG_INT: case POND_ICEBERG_LONG: case POND_ICEBERG_FLOAT:
	case POND_ICEBERG_DOUBLE: case POND_ICEBERG_DECIMAL:
		return parse_number(out, type, text) ? bad_text(type, text, err) : 0;
	case POND_ICEBERG_DATE: case POND_ICEBERG_TIME: case POND_ICEBERG_TIMESTAMP:
	case POND_ICEBERG_TIMESTAMPTZ: case POND_ICEBERG_TIMESTAMP_NS: case POND_ICEBERG_TIMESTAMPTZ_NS:
		return parse_temporal(out, type, text) ? bad_text(type, text, err) : 0;
	case POND_ICEBERG_STRING: {
		char *copy = pond_arena_strdup(arena, text);
		if (!copy)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		*out = pond_iceberg_literal_string(copy, strlen(copy));
		return 0;
	}
	case POND_ICEBERG_UUID: {
		uint8_t uuid[16];
		if (pond_uuid_parse(uuid, text))
			return bad_text(type, text, err);
		*out = pond_iceberg_literal_uuid(uuid);
		return 0;
	}
	case POND_ICEBERG_BINARY:
	case POND_ICEBERG_FIXED:
		if (!get_base64(text, arena, &bytes, &len) || (type->id == POND_ICEBERG_FIXED && len != (size_t)type->length))
			return bad_text(type, text, err);
		*out = bytes_literal(type->id, bytes, len);
		return 0;
	default:
		return bad_text(type, text, err);
	}
}

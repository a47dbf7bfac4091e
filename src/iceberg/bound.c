/*
 * Single-value binary serialization (spec Appendix D), used for column lower
 * and upper bounds in manifests: little-endian fixed-width numbers, UTF-8
 * strings, big-endian uuids, raw bytes, and decimals as the unscaled value in
 * minimal big-endian two's complement (Java's BigInteger.toByteArray).
 */
#include "iceberg_internal.h"

#include <string.h>

static void put_le(pond_buf *out, uint64_t v, int n)
{
	uint8_t b[8];
	for (int i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	pond_buf_put(out, b, (size_t)n);
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

size_t pond_iceberg_int128_to_be(uint8_t out[16], pond_int128 v)
{
	uint8_t full[16];
	unsigned __int128 u = (unsigned __int128)v;
	for (int i = 15; i >= 0; i--, u >>= 8)
		full[i] = (uint8_t)u;
	/* Drop leading bytes that only repeat the sign, keeping the sign bit. */
	size_t start = 0;
	while (start < 15 && ((full[start] == 0x00 && !(full[start + 1] & 0x80)) ||
	                      (full[start] == 0xff && (full[start + 1] & 0x80))))
		start++;
	memcpy(out, full + start, 16 - start);
	return 16 - start;
}

void pond_iceberg_bound_encode(pond_buf *out, const pond_iceberg_literal *l)
{
	switch (l->type) {
	case POND_ICEBERG_BOOLEAN: pond_buf_putc(out, l->v.b ? 1 : 0); break;
	case POND_ICEBERG_INT:
	case POND_ICEBERG_DATE: put_le(out, (uint32_t)l->v.i32, 4); break;
	case POND_ICEBERG_FLOAT: {
		uint32_t bits;
		memcpy(&bits, &l->v.f32, 4);
		put_le(out, bits, 4);
		break;
	}
	case POND_ICEBERG_DOUBLE: {
		uint64_t bits;
		memcpy(&bits, &l->v.f64, 8);
		put_le(out, bits, 8);
		break;
	}
	case POND_ICEBERG_DECIMAL: {
		uint8_t be[16];
		pond_buf_put(out, be, pond_iceberg_int128_to_be(be, l->v.dec));
		break;
	}
	case POND_ICEBERG_UUID: pond_buf_put(out, l->v.uuid, 16); break;
	case POND_ICEBERG_STRING:
	case POND_ICEBERG_BINARY:
	case POND_ICEBERG_FIXED: pond_buf_put(out, l->v.bytes.ptr, l->v.bytes.len); break;
	default: put_le(out, (uint64_t)l->v.i64, 8); break; /* long, time, timestamps */
	}
}

static int bad_length(const pond_iceberg_type *type, size_t len, pond_error *err)
{
	char name[40];
	pond_iceberg_type_format(name, type);
	return pond_error_set(err, POND_ECORRUPT, "bound of type %s cannot be %zu bytes long", name, len);
}

static int decode_fixed_width(pond_iceberg_literal *out, const pond_iceberg_type *type, const uint8_t *p,
                              size_t len, pond_error *err)
{
	switch (type->id) {
	case POND_ICEBERG_BOOLEAN:
		if (len != 1)
			return bad_length(type, len, err);
		out->v.b = p[0] != 0;
		return 0;
	case POND_ICEBERG_INT:
	case POND_ICEBERG_DATE:
		if (len != 4)
			return bad_length(type, len, err);
		out->v.i32 = (int32_t)(uint32_t)get_le(p, 4);
		return 0;
	case POND_ICEBERG_FLOAT: {
		if (len != 4)
			return bad_length(type, len, err);
		uint32_t bits = (uint32_t)get_le(p, 4);
		memcpy(&out->v.f32, &bits, 4);
		return 0;
	}
	case POND_ICEBERG_DOUBLE: {
		if (len != 8)
			return bad_length(type, len, err);
		uint64_t bits = get_le(p, 8);
		memcpy(&out->v.f64, &bits, 8);
		return 0;
	}
	default: /* long, time, timestamps */
		if (len != 8)
			return bad_length(type, len, err);
		out->v.i64 = (int64_t)get_le(p, 8);
		return 0;
	}
}

int pond_iceberg_bound_decode(pond_iceberg_literal *out, const pond_iceberg_type *type, const void *data,
                              size_t len, pond_error *err)
{
	const uint8_t *p = data;
	pond_iceberg_literal l = {.type = type->id};
	switch (type->id) {
	case POND_ICEBERG_DECIMAL: {
		if (len < 1 || len > 16)
			return bad_length(type, len, err);
		unsigned __int128 u = (p[0] & 0x80) ? ~(unsigned __int128)0 : 0;
		for (size_t i = 0; i < len; i++)
			u = (u << 8) | p[i];
		l.v.dec = (pond_int128)u;
		l.scale = type->scale;
		break;
	}
	case POND_ICEBERG_UUID:
		if (len != 16)
			return bad_length(type, len, err);
		memcpy(l.v.uuid, p, 16);
		break;
	case POND_ICEBERG_FIXED:
		if (len != (size_t)type->length)
			return bad_length(type, len, err);
		/* fall through */
	case POND_ICEBERG_STRING:
	case POND_ICEBERG_BINARY:
		l.v.bytes.ptr = p;
		l.v.bytes.len = len;
		break;
	case POND_ICEBERG_STRUCT:
	case POND_ICEBERG_LIST:
	case POND_ICEBERG_MAP:
		return pond_error_set(err, POND_EINVAL, "nested types have no single-value encoding");
	default: {
		int rc = decode_fixed_width(&l, type, p, len, err);
		if (rc)
			return rc;
	}
	}
	*out = l;
	return 0;
}

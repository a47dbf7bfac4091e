/*
 * Avro binary decoding (spec "Binary Encoding") of one value into a generic
 * value tree in an arena. The input is untrusted: every length and count is
 * checked against the bytes left before anything is allocated, and errors
 * name the absolute byte offset (base + position in the buffer).
 */
#include "avro/internal.h"

#include <string.h>

/* Items that encode to zero bytes cannot be bounded by the bytes left; cap
 * how many one decoded value may hold in all its arrays together (a cap
 * per array still let nested arrays of nulls multiply it). */
#define MAX_ZERO_SIZE_ITEMS 65536

typedef struct dec {
	const uint8_t *data;
	size_t len;
	size_t pos;
	pond_arena *arena;
	uint64_t base;
	pond_error *err;
	size_t zero_items;   /* zero-size array items so far, all arrays */
} dec;

void pond__avro_put_long(pond_buf *buf, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	uint8_t tmp[10];
	size_t n = 0;
	while (z >= 0x80) {
		tmp[n++] = (uint8_t)(z | 0x80);
		z >>= 7;
	}
	tmp[n++] = (uint8_t)z;
	pond_buf_put(buf, tmp, n);
}

int pond__avro_get_long(const uint8_t *data, size_t len, size_t *pos, int64_t *out)
{
	uint64_t z = 0;
	size_t p = *pos;
	for (int shift = 0; shift < 70; shift += 7) {
		if (p >= len)
			return -1;
		uint8_t b = data[p++];
		if (shift == 63 && (b & 0x7e))
			return -2;   /* more than 64 bits */
		z |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*pos = p;
			*out = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
			return 0;
		}
	}
	return -2;
}

static unsigned long long at(const dec *d)
{
	return (unsigned long long)(d->base + d->pos);
}

static int corrupt(dec *d, const char *what)
{
	return pond_error_set(d->err, POND_ECORRUPT, "%s at byte %llu", what, at(d));
}

static int nomem(dec *d)
{
	return pond_error_set(d->err, POND_ENOMEM, "out of memory decoding avro value at byte %llu", at(d));
}

static int read_long(dec *d, int64_t *out, const char *what)
{
	int rc = pond__avro_get_long(d->data, d->len, &d->pos, out);
	if (rc == -1)
		return pond_error_set(d->err, POND_ECORRUPT, "truncated %s at byte %llu", what, at(d));
	if (rc)
		return pond_error_set(d->err, POND_ECORRUPT, "invalid varint in %s at byte %llu", what, at(d));
	return 0;
}

static size_t left(const dec *d)
{
	return d->len - d->pos;
}

static pond_avro_value *new_value(dec *d, pond_avro_type type, const pond_avro_node *node)
{
	pond_avro_value *v = pond_arena_alloc(d->arena, sizeof(*v));
	if (v) {
		memset(v, 0, sizeof(*v));
		v->type = type;
		v->branch = -1;
		v->schema = node;
	}
	return v;
}

static int read_bytes(dec *d, size_t n, const char *what, const uint8_t **out)
{
	if (n > left(d))
		return pond_error_set(d->err, POND_ECORRUPT, "truncated %s at byte %llu", what, at(d));
	*out = d->data + d->pos;
	d->pos += n;
	return 0;
}

static int decode(dec *d, const pond_avro_node *node, int depth, pond_avro_value **out);

/* Reads the next block header of an array or map: *count items (0 at the
 * end). Spec: a negative count is followed by the block's byte size. */
static int block_count(dec *d, const pond_avro_node *item, size_t total, const char *what, size_t *count)
{
	int64_t n;
	size_t start = d->pos;
	int rc = read_long(d, &n, what);
	if (rc)
		return rc;
	if (n < 0) {
		int64_t size;
		if (n == INT64_MIN) {
			d->pos = start;
			return corrupt(d, "invalid block count");
		}
		n = -n;
		if ((rc = read_long(d, &size, what)))
			return rc;
		if (size < 0 || (uint64_t)size > left(d))
			return corrupt(d, "invalid block size");
	}
	(void)total;
	bool zero = item ? pond__avro_node_zero_size(item) : false;
	if ((!zero && (uint64_t)n > left(d)) || (zero && (uint64_t)n > MAX_ZERO_SIZE_ITEMS - d->zero_items)) {
		d->pos = start;
		return pond_error_set(d->err, POND_ECORRUPT, "%s count %lld too large at byte %llu", what,
		                      (long long)n, at(d));
	}
	if (zero)
		d->zero_items += (size_t)n;
	*count = (size_t)n;
	return 0;
}

/* Makes room for count more items after total in *items (capacity *cap),
 * doubling: a file of many one-item blocks must not copy the array whole
 * for each block (quadratic memory in an arena that frees nothing). */
static int reserve(dec *d, void **items, size_t total, size_t count, size_t *cap, size_t item_size)
{
	if (total + count <= *cap)
		return 0;
	size_t want = *cap ? *cap : 4;
	while (want < total + count)
		want *= 2;
	void *grown = pond_arena_calloc(d->arena, want, item_size);
	if (!grown)
		return nomem(d);
	if (total)
		memcpy(grown, *items, total * item_size);
	*items = grown;
	*cap = want;
	return 0;
}

static int decode_array(dec *d, const pond_avro_node *node, int depth, pond_avro_value *v)
{
	size_t total = 0, count, cap = 0;
	pond_avro_value **items = NULL;
	int rc;
	while ((rc = block_count(d, node->items, total, "array", &count)) == 0 && count > 0) {
		if ((rc = reserve(d, (void **)&items, total, count, &cap, sizeof(*items))))
			return rc;
		for (size_t i = 0; i < count; i++)
			if ((rc = decode(d, node->items, depth + 1, &items[total + i])))
				return rc;
		total += count;
	}
	if (rc)
		return rc;
	if (node->logical == POND_AVRO_LOGICAL_ICEBERG_MAP) {
		/* Present Iceberg's k/v arrays as maps. */
		pond_avro_map_entry *entries = pond_arena_calloc(d->arena, total ? total : 1, sizeof(*entries));
		if (!entries)
			return nomem(d);
		for (size_t i = 0; i < total; i++) {
			entries[i].key = items[i]->u.record.fields[0];
			entries[i].value = items[i]->u.record.fields[1];
		}
		v->type = POND_AVRO_MAP;
		v->u.map.entries = entries;
		v->u.map.count = total;
		return 0;
	}
	v->u.array.items = items;
	v->u.array.count = total;
	return 0;
}

static int decode_string(dec *d, const pond_avro_node *node, pond_avro_value *v, const char *what)
{
	int64_t n;
	const uint8_t *p = NULL;
	size_t start = d->pos;
	int rc = read_long(d, &n, what);
	if (rc)
		return rc;
	if (n < 0) {
		d->pos = start;
		return pond_error_set(d->err, POND_ECORRUPT, "negative %s length at byte %llu", what, at(d));
	}
	if ((uint64_t)n > left(d)) {
		d->pos = start;
		return pond_error_set(d->err, POND_ECORRUPT, "truncated %s at byte %llu", what, at(d));
	}
	if ((rc = read_bytes(d, (size_t)n, what, &p)))
		return rc;
	uint8_t *copy = pond_arena_alloc(d->arena, (size_t)n + 1);
	if (!copy)
		return nomem(d);
	memcpy(copy, p, (size_t)n);
	copy[n] = '\0';
	v->u.bytes.ptr = copy;
	v->u.bytes.len = (size_t)n;
	(void)node;
	return 0;
}

static int decode_map(dec *d, const pond_avro_node *node, int depth, pond_avro_value *v)
{
	size_t total = 0, count, cap = 0;
	pond_avro_map_entry *entries = NULL;
	int rc;
	/* Every entry has at least its key's length byte. */
	while ((rc = block_count(d, NULL, total, "map", &count)) == 0 && count > 0) {
		if ((rc = reserve(d, (void **)&entries, total, count, &cap, sizeof(*entries))))
			return rc;
		for (size_t i = 0; i < count; i++) {
			pond_avro_map_entry *e = &entries[total + i];
			e->key = new_value(d, POND_AVRO_STRING, NULL);
			if (!e->key)
				return nomem(d);
			if ((rc = decode_string(d, NULL, e->key, "map key")))
				return rc;
			if ((rc = decode(d, node->values, depth + 1, &e->value)))
				return rc;
		}
		total += count;
	}
	if (rc)
		return rc;
	v->u.map.entries = entries;
	v->u.map.count = total;
	return 0;
}

static int decode_fixed_width(dec *d, pond_avro_value *v, size_t n, const char *what)
{
	const uint8_t *p = NULL;
	int rc = read_bytes(d, n, what, &p);
	if (rc)
		return rc;
	uint64_t bits = 0;
	for (size_t i = 0; i < n; i++)
		bits |= (uint64_t)p[i] << (8 * i);
	if (n == 4) {
		uint32_t b32 = (uint32_t)bits;
		memcpy(&v->u.f32, &b32, 4);
	} else {
		memcpy(&v->u.f64, &bits, 8);
	}
	return 0;
}

/* The index of a union's branch or an enum's symbol, below count: what
 * names the long in read errors, index_name the index when it is out of
 * range (reported at its first byte). */
static int read_index(dec *d, int64_t *n, uint64_t count, const char *what, const char *index_name)
{
	size_t start = d->pos;
	int rc = read_long(d, n, what);
	if (rc)
		return rc;
	if (*n < 0 || (uint64_t)*n >= count) {
		d->pos = start;
		return pond_error_set(d->err, POND_ECORRUPT, "%s %lld out of range at byte %llu", index_name,
		                      (long long)*n, at(d));
	}
	return 0;
}

/* A union: its branch index, then the value of that branch. */
static int decode_union(dec *d, const pond_avro_node *node, int depth, pond_avro_value **out)
{
	int64_t n;
	int rc = read_index(d, &n, node->nbranches, "union index", "union index");
	if (rc)
		return rc;
	if ((rc = decode(d, node->branches[n], depth + 1, out)))
		return rc;
	(*out)->branch = (int32_t)n;
	return 0;
}

static int decode_fixed(dec *d, const pond_avro_node *node, pond_avro_value *v)
{
	const uint8_t *p = NULL;
	int rc = read_bytes(d, node->size, "fixed", &p);
	if (rc)
		return rc;
	uint8_t *copy = pond_arena_alloc(d->arena, node->size + 1);
	if (!copy)
		return nomem(d);
	memcpy(copy, p, node->size);
	copy[node->size] = '\0';
	v->u.bytes.ptr = copy;
	v->u.bytes.len = node->size;
	return 0;
}

static int decode_enum(dec *d, const pond_avro_node *node, pond_avro_value *v)
{
	int64_t n;
	int rc = read_index(d, &n, node->nsymbols, "enum", "enum index");
	if (rc)
		return rc;
	v->u.enm.index = (int32_t)n;
	v->u.enm.symbol = node->symbols[n];
	return 0;
}

static int decode_record(dec *d, const pond_avro_node *node, int depth, pond_avro_value *v)
{
	size_t nf = node->nfields;
	v->u.record.fields = pond_arena_alloc(d->arena, (nf ? nf : 1) * sizeof(pond_avro_value *));
	if (!v->u.record.fields)
		return nomem(d);
	v->u.record.count = nf;
	int rc = 0;
	for (size_t i = 0; i < nf && rc == 0; i++)
		rc = decode(d, node->fields[i].type, depth + 1, &v->u.record.fields[i]);
	return rc;
}

static int decode(dec *d, const pond_avro_node *node, int depth, pond_avro_value **out)
{
	int rc = 0;
	int64_t n;
	if (depth > POND_AVRO_MAX_DEPTH)
		return corrupt(d, "value nested too deeply");
	if (node->type == POND_AVRO_UNION)
		return decode_union(d, node, depth, out);
	pond_avro_value *v = new_value(d, node->type, node);
	if (!v)
		return nomem(d);
	switch (node->type) {
	case POND_AVRO_NULL:
		break;
	case POND_AVRO_BOOLEAN: {
		const uint8_t *p = NULL;
		if ((rc = read_bytes(d, 1, "boolean", &p)))
			return rc;
		if (*p > 1) {
			d->pos--;
			return corrupt(d, "invalid boolean");
		}
		v->u.boolean = *p;
		break;
	}
	case POND_AVRO_INT: {
		size_t start = d->pos;
		if ((rc = read_long(d, &n, "int")))
			return rc;
		if (n < INT32_MIN || n > INT32_MAX) {
			d->pos = start;
			return corrupt(d, "int out of range");
		}
		v->u.i32 = (int32_t)n;
		break;
	}
	case POND_AVRO_LONG:
		rc = read_long(d, &v->u.i64, "long");
		break;
	case POND_AVRO_FLOAT:
		rc = decode_fixed_width(d, v, 4, "float");
		break;
	case POND_AVRO_DOUBLE:
		rc = decode_fixed_width(d, v, 8, "double");
		break;
	case POND_AVRO_BYTES:
		rc = decode_string(d, node, v, "bytes");
		break;
	case POND_AVRO_STRING:
		rc = decode_string(d, node, v, "string");
		break;
	case POND_AVRO_FIXED:
		rc = decode_fixed(d, node, v);
		break;
	case POND_AVRO_ENUM:
		rc = decode_enum(d, node, v);
		break;
	case POND_AVRO_ARRAY:
		rc = decode_array(d, node, depth, v);
		break;
	case POND_AVRO_MAP:
		rc = decode_map(d, node, depth, v);
		break;
	case POND_AVRO_RECORD:
		rc = decode_record(d, node, depth, v);
		break;
	case POND_AVRO_UNION:
		break;
	}
	if (rc)
		return rc;
	*out = v;
	return 0;
}

int pond_avro_decode(const pond_avro_value **out, const pond_avro_node *node, const uint8_t *data, size_t len,
                     size_t *pos, pond_arena *arena, uint64_t base, pond_error *err)
{
	dec d = {data, len, *pos, arena, base, err, 0};
	pond_avro_value *v = NULL;
	int rc = decode(&d, node, 0, &v);
	*pos = d.pos;
	if (rc)
		return rc;
	*out = v;
	return 0;
}

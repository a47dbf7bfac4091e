/*
 * pond's own compact binary form of DuckDB data chunks: what a buffered
 * append keeps in the catalog database instead of a Parquet file (the row
 * buffer's 'chunks' rows, src/table/buffer.c). It mirrors the C API's
 * documented vector layouts and nothing else:
 *
 *   stream   = "PNDC" version(1) varint(ncols) type*ncols chunk* 0x00
 *   type     = code(duckdb_type, one byte) [decimal: width scale]
 *              [list: type] [map: key-type value-type]
 *              [struct: varint(n) (varint(len) name type)*n]
 *   chunk    = 0x01 varint(rows) vector*ncols
 *   vector   = validity values
 *   validity = 0x00 (all valid) | 0x01 bitmap((rows + 7) / 8 bytes, bit set: valid)
 *   values   = of the valid rows only: fixed-width values as the vector holds
 *              them (little-endian; booleans one byte; decimals by their
 *              physical width; uuids as hugeints; intervals 16 bytes);
 *              strings and blobs as varint(len) bytes; lists and maps as
 *              varint(length) per valid row, then their child vector (a
 *              map's keys, then its values) over all elements; structs as
 *              each child vector over the struct's valid rows.
 *
 * Decoding reads untrusted bytes (the catalog database): every length is
 * checked against what is left, nesting and sizes are bounded, strings are
 * checked to be UTF-8, and anything wrong is a one-line error, never a
 * crash. Relies on DuckDB's C API (duckdb_create_data_chunk and vector
 * writes) and on a little-endian host, as DuckDB's supported ones are.
 */
#include "engine_internal.h"

#include <assert.h>
#include <duckdb.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the chunk codec writes values as a little-endian host holds them"
#endif

static const char magic[4] = {'P', 'N', 'D', 'C'};
#define CODEC_VERSION 1

#define MAX_DEPTH 32            /* nesting of types */
#define MAX_COLUMNS 100000      /* columns or struct fields */
#define MAX_NAME ((size_t)1 << 16)
#define MAX_ELEMENTS ((uint64_t)1 << 26)  /* list elements under one vector of one chunk */

/* A column type as the codec walks it. */
typedef struct ctype {
	duckdb_type id;
	uint8_t width, scale;     /* decimal */
	uint8_t size;             /* bytes of a fixed-width value; 0 for the others */
	size_t nchildren;         /* list: 1, map: 2 (key, value), struct: its fields */
	struct ctype *children;
	char **names;             /* struct field names */
} ctype;

/* The width of a fixed-width type; 0 for strings and nested types, -1
 * for a type the codec does not carry. */
static int fixed_size(duckdb_type id)
{
	switch (id) {
	case DUCKDB_TYPE_BOOLEAN: case DUCKDB_TYPE_TINYINT: case DUCKDB_TYPE_UTINYINT:
		return 1;
	case DUCKDB_TYPE_SMALLINT: case DUCKDB_TYPE_USMALLINT:
		return 2;
	case DUCKDB_TYPE_INTEGER: case DUCKDB_TYPE_UINTEGER: case DUCKDB_TYPE_FLOAT: case DUCKDB_TYPE_DATE:
		return 4;
	case DUCKDB_TYPE_BIGINT: case DUCKDB_TYPE_UBIGINT: case DUCKDB_TYPE_DOUBLE: case DUCKDB_TYPE_TIME:
	case DUCKDB_TYPE_TIME_NS: case DUCKDB_TYPE_TIME_TZ: case DUCKDB_TYPE_TIMESTAMP: case DUCKDB_TYPE_TIMESTAMP_S:
	case DUCKDB_TYPE_TIMESTAMP_MS: case DUCKDB_TYPE_TIMESTAMP_NS: case DUCKDB_TYPE_TIMESTAMP_TZ:
		return 8;
	case DUCKDB_TYPE_HUGEINT: case DUCKDB_TYPE_UHUGEINT: case DUCKDB_TYPE_UUID: case DUCKDB_TYPE_INTERVAL:
		return 16;
	case DUCKDB_TYPE_DECIMAL: /* by its width: set where the type is known */
	case DUCKDB_TYPE_VARCHAR: case DUCKDB_TYPE_BLOB: case DUCKDB_TYPE_LIST: case DUCKDB_TYPE_MAP:
	case DUCKDB_TYPE_STRUCT:
		return 0;
	default:
		return -1;
	}
}

static uint8_t decimal_size(uint8_t width)
{
	return width <= 4 ? 2 : width <= 9 ? 4 : width <= 18 ? 8 : 16;
}

/* ---- encoding ---- */

struct pond_chunks_encoder {
	pond_arena *arena;      /* the type trees */
	idx_t ncols;
	ctype *types;
	pond_buf out;
	int64_t rows;
	int64_t *nulls;         /* per top-level column */
	bool finished;
};

static void put_varint(pond_buf *b, uint64_t v)
{
	unsigned char tmp[10];
	size_t n = 0;
	do {
		tmp[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	pond_buf_put(b, tmp, n);
}

static int unsupported(pond_error *err, duckdb_logical_type t)
{
	pond_buf name = POND_BUF_INIT;
	pond_type_name(&name, t);
	int rc = pond_error_set(err, POND_EUNSUPPORTED, "cannot buffer values of type %s", pond_buf_cstr(&name));
	pond_buf_dispose(&name);
	return rc;
}

/* Describes logical type lt in *t (arena) and writes its header form. */
static int describe(ctype *t, duckdb_logical_type lt, pond_buf *b, pond_arena *a, int depth, pond_error *err)
{
	memset(t, 0, sizeof(*t));
	t->id = duckdb_get_type_id(lt);
	int size = fixed_size(t->id);
	if (size < 0 || depth > MAX_DEPTH)
		return unsupported(err, lt);
	t->size = (uint8_t)size;
	pond_buf_putc(b, (char)t->id);
	int rc = 0;
	switch (t->id) {
	case DUCKDB_TYPE_DECIMAL:
		t->width = duckdb_decimal_width(lt);
		t->scale = duckdb_decimal_scale(lt);
		t->size = decimal_size(t->width);
		pond_buf_putc(b, (char)t->width);
		pond_buf_putc(b, (char)t->scale);
		return 0;
	case DUCKDB_TYPE_LIST:
	case DUCKDB_TYPE_MAP: {
		bool map = t->id == DUCKDB_TYPE_MAP;
		t->nchildren = map ? 2 : 1;
		if (!(t->children = pond_arena_calloc(a, t->nchildren, sizeof(ctype))))
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		for (size_t i = 0; i < t->nchildren && rc == 0; i++) {
			duckdb_logical_type ct = !map ? duckdb_list_type_child_type(lt)
			                         : i == 0 ? duckdb_map_type_key_type(lt)
			                                  : duckdb_map_type_value_type(lt);
			rc = describe(&t->children[i], ct, b, a, depth + 1, err);
			duckdb_destroy_logical_type(&ct);
		}
		return rc;
	}
	case DUCKDB_TYPE_STRUCT: {
		t->nchildren = duckdb_struct_type_child_count(lt);
		t->children = pond_arena_calloc(a, t->nchildren ? t->nchildren : 1, sizeof(ctype));
		if (!t->children)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		put_varint(b, t->nchildren);
		for (size_t i = 0; i < t->nchildren && rc == 0; i++) {
			char *name = duckdb_struct_type_child_name(lt, i);
			size_t len = name ? strlen(name) : 0;
			put_varint(b, len);
			pond_buf_put(b, name ? name : "", len);
			duckdb_free(name);
			duckdb_logical_type ct = duckdb_struct_type_child_type(lt, i);
			rc = describe(&t->children[i], ct, b, a, depth + 1, err);
			duckdb_destroy_logical_type(&ct);
		}
		return rc;
	}
	default:
		return 0;
	}
}

int pond_chunks_encoder_new(pond_chunks_encoder **out, duckdb_logical_type *types, idx_t ncols, pond_error *err)
{
	*out = NULL;
	pond_chunks_encoder *e = pond_calloc(1, sizeof(*e));
	if (!e || !(e->arena = pond_arena_new()) ||
	    !(e->types = pond_arena_calloc(e->arena, ncols ? ncols : 1, sizeof(ctype))) ||
	    !(e->nulls = pond_arena_calloc(e->arena, ncols ? ncols : 1, sizeof(int64_t)))) {
		pond_chunks_encoder_free(&e);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	e->ncols = ncols;
	pond_buf_put(&e->out, magic, sizeof(magic));
	pond_buf_putc(&e->out, CODEC_VERSION);
	put_varint(&e->out, ncols);
	int rc = 0;
	for (idx_t i = 0; i < ncols && rc == 0; i++)
		rc = describe(&e->types[i], types[i], &e->out, e->arena, 0, err);
	if (rc == 0 && !pond_buf_ok(&e->out))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc) {
		pond_chunks_encoder_free(&e);
		return rc;
	}
	*out = e;
	return 0;
}

static inline bool bit_valid(const uint64_t *validity, idx_t row)
{
	return !validity || (validity[row / 64] >> (row % 64)) & 1;
}

/* Writes rows sel[0..n) of vector v (rows 0..n-1 when sel is NULL), of
 * type t. *nulls (may be NULL) counts the null rows. */
static int encode_vector(pond_chunks_encoder *e, duckdb_vector v, const ctype *t, const idx_t *rows, idx_t n,
                         int64_t *nulls, pond_error *err)
{
#define sel(i) (rows ? rows[i] : (i))
	pond_buf *b = &e->out;
	const uint64_t *validity = duckdb_vector_get_validity(v);
	idx_t invalid = 0;
	for (idx_t i = 0; validity && i < n; i++)
		invalid += !bit_valid(validity, sel(i));
	if (nulls)
		*nulls += (int64_t)invalid;
	if (invalid == 0) {
		pond_buf_putc(b, 0);
	} else {
		pond_buf_putc(b, 1);
		size_t nbytes = (size_t)(n + 7) / 8, at = b->len;
		if (!pond_buf_reserve(b, nbytes))
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		memset(b->ptr + at, 0, nbytes);
		for (idx_t i = 0; i < n; i++)
			if (bit_valid(validity, sel(i)))
				((unsigned char *)b->ptr)[at + i / 8] |= (unsigned char)(1u << (i % 8));
		b->len += nbytes;
	}
	const unsigned char *data = duckdb_vector_get_data(v);
	if (t->size) {
		if (!pond_buf_reserve(b, (size_t)n * t->size))
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		for (idx_t i = 0; i < n; i++) {
			if (!bit_valid(validity, sel(i)))
				continue;
			if (t->id == DUCKDB_TYPE_BOOLEAN)
				b->ptr[b->len++] = data[sel(i)] ? 1 : 0;
			else
				memcpy(b->ptr + b->len, data + sel(i) * t->size, t->size), b->len += t->size;
		}
		return pond_buf_ok(b) ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	switch (t->id) {
	case DUCKDB_TYPE_VARCHAR:
	case DUCKDB_TYPE_BLOB:
		for (idx_t i = 0; i < n; i++) {
			if (!bit_valid(validity, sel(i)))
				continue;
			duckdb_string_t *s = &((duckdb_string_t *)(void *)data)[sel(i)];
			uint32_t len = duckdb_string_t_length(*s);
			put_varint(b, len);
			pond_buf_put(b, duckdb_string_t_data(s), len);
		}
		break;
	case DUCKDB_TYPE_LIST:
	case DUCKDB_TYPE_MAP: {
		const duckdb_list_entry *entries = (const duckdb_list_entry *)(const void *)data;
		uint64_t total = 0;
		for (idx_t i = 0; i < n; i++) {
			if (!bit_valid(validity, sel(i)))
				continue;
			put_varint(b, entries[sel(i)].length);
			total += entries[sel(i)].length;
		}
		idx_t *child_sel = pond_malloc((size_t)(total ? total : 1) * sizeof(idx_t));
		if (!child_sel)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		idx_t k = 0;
		for (idx_t i = 0; i < n; i++)
			for (idx_t j = 0; bit_valid(validity, sel(i)) && j < entries[sel(i)].length; j++)
				child_sel[k++] = entries[sel(i)].offset + j;
		duckdb_vector child = duckdb_list_vector_get_child(v);
		int rc = 0;
		if (t->id == DUCKDB_TYPE_LIST) {
			rc = encode_vector(e, child, &t->children[0], child_sel, k, NULL, err);
		} else {
			for (idx_t c = 0; c < 2 && rc == 0; c++)
				rc = encode_vector(e, duckdb_struct_vector_get_child(child, c), &t->children[c], child_sel, k, NULL,
				                   err);
		}
		pond_free(child_sel);
		if (rc)
			return rc;
		break;
	}
	case DUCKDB_TYPE_STRUCT: {
		/* Fields of the struct's valid rows only: a null struct's fields
		 * hold nothing to keep. */
		idx_t *child_sel = pond_malloc((size_t)(n ? n : 1) * sizeof(idx_t));
		if (!child_sel)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		idx_t k = 0;
		for (idx_t i = 0; i < n; i++)
			if (bit_valid(validity, sel(i)))
				child_sel[k++] = sel(i);
		int rc = 0;
		for (size_t c = 0; c < t->nchildren && rc == 0; c++)
			rc = encode_vector(e, duckdb_struct_vector_get_child(v, c), &t->children[c], child_sel, k, NULL, err);
		pond_free(child_sel);
		if (rc)
			return rc;
		break;
	}
	default:
		break;
	}
	return pond_buf_ok(b) ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
#undef sel
}

int pond_chunks_encoder_add(pond_chunks_encoder *e, duckdb_data_chunk chunk, pond_error *err)
{
	assert(!e->finished);
	idx_t rows = duckdb_data_chunk_get_size(chunk);
	if (rows == 0)
		return 0;
	if (duckdb_data_chunk_get_column_count(chunk) < e->ncols || rows > duckdb_vector_size())
		return pond_error_set(err, POND_EINVAL, "cannot encode a chunk of another shape than its result");
	pond_buf_putc(&e->out, 1);
	put_varint(&e->out, rows);
	for (idx_t c = 0; c < e->ncols; c++) {
		int rc = encode_vector(e, duckdb_data_chunk_get_vector(chunk, c), &e->types[c], NULL, rows,
		                       &e->nulls[c], err);
		if (rc)
			return rc;
	}
	e->rows += (int64_t)rows;
	return pond_buf_ok(&e->out) ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

int64_t pond_chunks_encoder_rows(const pond_chunks_encoder *e)
{
	return e->rows;
}

size_t pond_chunks_encoder_size(const pond_chunks_encoder *e)
{
	return e->out.len;
}

int64_t pond_chunks_encoder_nulls(const pond_chunks_encoder *e, idx_t col)
{
	return col < e->ncols ? e->nulls[col] : 0;
}

int pond_chunks_encoder_finish(pond_chunks_encoder *e, const void **bytes, size_t *len, pond_error *err)
{
	if (!e->finished)
		pond_buf_putc(&e->out, 0);
	e->finished = true;
	if (!pond_buf_ok(&e->out))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	*bytes = e->out.ptr;
	*len = e->out.len;
	return 0;
}

void pond_chunks_encoder_free(pond_chunks_encoder **enc)
{
	if (!enc || !*enc)
		return;
	pond_buf_dispose(&(*enc)->out);
	pond_arena_free(&(*enc)->arena);
	pond_free(*enc);
	*enc = NULL;
}

/* ---- decoding ---- */

struct pond_chunks_decoder {
	pond_arena *arena;
	const unsigned char *p, *end;
	idx_t ncols;
	ctype *types;
	duckdb_logical_type *logical;
	bool done;
};

static int corrupt(pond_error *err, const char *what)
{
	return pond_error_set(err, POND_ECORRUPT, "buffered rows are corrupt: %s", what);
}

static int get_varint(pond_chunks_decoder *d, uint64_t *out, pond_error *err)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (d->p >= d->end)
			return corrupt(err, "truncated");
		unsigned char c = *d->p++;
		if (shift == 63 && c > 1)
			return corrupt(err, "a number is too large");
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return corrupt(err, "a number is too long");
}

static int get_byte(pond_chunks_decoder *d, unsigned char *out, pond_error *err)
{
	if (d->p >= d->end)
		return corrupt(err, "truncated");
	*out = *d->p++;
	return 0;
}

static size_t left(const pond_chunks_decoder *d)
{
	return (size_t)(d->end - d->p);
}

/* Reads a type of the header into *t and makes its logical type *lt. */
static int read_type(pond_chunks_decoder *d, ctype *t, duckdb_logical_type *lt, int depth, pond_error *err)
{
	*lt = NULL;
	memset(t, 0, sizeof(*t));
	unsigned char code = 0;
	int rc = get_byte(d, &code, err);
	if (rc)
		return rc;
	if (depth > MAX_DEPTH)
		return corrupt(err, "types are nested too deep");
	t->id = (duckdb_type)code;
	int size = fixed_size(t->id);
	if (size < 0 || t->id == DUCKDB_TYPE_INVALID)
		return corrupt(err, "unknown type");
	t->size = (uint8_t)size;
	switch (t->id) {
	case DUCKDB_TYPE_DECIMAL:
		if ((rc = get_byte(d, &t->width, err)) != 0 || (rc = get_byte(d, &t->scale, err)) != 0)
			return rc;
		if (t->width < 1 || t->width > 38 || t->scale > t->width)
			return corrupt(err, "bad decimal type");
		t->size = decimal_size(t->width);
		*lt = duckdb_create_decimal_type(t->width, t->scale);
		break;
	case DUCKDB_TYPE_LIST:
	case DUCKDB_TYPE_MAP: {
		bool map = t->id == DUCKDB_TYPE_MAP;
		t->nchildren = map ? 2 : 1;
		if (!(t->children = pond_arena_calloc(d->arena, 2, sizeof(ctype))))
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		duckdb_logical_type ct[2] = {NULL, NULL};
		for (size_t i = 0; i < t->nchildren && rc == 0; i++)
			rc = read_type(d, &t->children[i], &ct[i], depth + 1, err);
		if (rc == 0)
			*lt = map ? duckdb_create_map_type(ct[0], ct[1]) : duckdb_create_list_type(ct[0]);
		for (size_t i = 0; i < 2; i++)
			if (ct[i])
				duckdb_destroy_logical_type(&ct[i]);
		if (rc)
			return rc;
		break;
	}
	case DUCKDB_TYPE_STRUCT: {
		uint64_t n;
		if ((rc = get_varint(d, &n, err)) != 0)
			return rc;
		if (n == 0 || n > MAX_COLUMNS || n > left(d))
			return corrupt(err, "bad struct type");
		t->nchildren = (size_t)n;
		t->children = pond_arena_calloc(d->arena, t->nchildren, sizeof(ctype));
		t->names = pond_arena_calloc(d->arena, t->nchildren, sizeof(char *));
		duckdb_logical_type *ct = pond_calloc(t->nchildren, sizeof(*ct));
		if (!t->children || !t->names || !ct) {
			pond_free(ct);
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		}
		for (size_t i = 0; i < t->nchildren && rc == 0; i++) {
			uint64_t len;
			if ((rc = get_varint(d, &len, err)) != 0)
				break;
			if (len > MAX_NAME || len > left(d)) {
				rc = corrupt(err, "bad struct field name");
				break;
			}
			char *name = pond_arena_alloc(d->arena, (size_t)len + 1);
			if (!name) {
				rc = pond_error_set(err, POND_ENOMEM, "out of memory");
				break;
			}
			memcpy(name, d->p, (size_t)len);
			name[len] = '\0';
			d->p += len;
			t->names[i] = name;
			rc = read_type(d, &t->children[i], &ct[i], depth + 1, err);
		}
		if (rc == 0)
			*lt = duckdb_create_struct_type(ct, (const char **)t->names, t->nchildren);
		for (size_t i = 0; i < t->nchildren; i++)
			if (ct[i])
				duckdb_destroy_logical_type(&ct[i]);
		pond_free(ct);
		if (rc)
			return rc;
		break;
	}
	default:
		*lt = duckdb_create_logical_type(t->id);
		break;
	}
	if (!*lt || duckdb_get_type_id(*lt) != t->id) {
		if (*lt)
			duckdb_destroy_logical_type(lt);
		return corrupt(err, "a type DuckDB does not make");
	}
	return 0;
}

int pond_chunks_decoder_open(pond_chunks_decoder **out, const void *bytes, size_t len, pond_error *err)
{
	*out = NULL;
	pond_chunks_decoder *d = pond_calloc(1, sizeof(*d));
	if (!d || !(d->arena = pond_arena_new())) {
		pond_free(d);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	d->p = bytes;
	d->end = d->p + len;
	int rc = 0;
	uint64_t ncols = 0;
	if (len < sizeof(magic) + 1 || memcmp(d->p, magic, sizeof(magic)) != 0)
		rc = corrupt(err, "not pond's chunk form");
	else if (d->p[sizeof(magic)] != CODEC_VERSION)
		rc = pond_error_set(err, POND_EUNSUPPORTED, "buffered rows are in chunk form version %d, this pond reads %d",
		                    d->p[sizeof(magic)], CODEC_VERSION);
	if (rc == 0) {
		d->p += sizeof(magic) + 1;
		rc = get_varint(d, &ncols, err);
	}
	if (rc == 0 && (ncols == 0 || ncols > MAX_COLUMNS || ncols > left(d)))
		rc = corrupt(err, "bad column count");
	if (rc == 0) {
		d->ncols = (idx_t)ncols;
		d->types = pond_arena_calloc(d->arena, d->ncols, sizeof(ctype));
		d->logical = pond_calloc(d->ncols, sizeof(duckdb_logical_type));
		if (!d->types || !d->logical)
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	for (idx_t i = 0; i < d->ncols && rc == 0; i++)
		rc = read_type(d, &d->types[i], &d->logical[i], 0, err);
	if (rc) {
		pond_chunks_decoder_free(&d);
		return rc;
	}
	*out = d;
	return 0;
}

idx_t pond_chunks_decoder_column_count(const pond_chunks_decoder *d)
{
	return d->ncols;
}

duckdb_logical_type pond_chunks_decoder_column_type(const pond_chunks_decoder *d, idx_t col)
{
	return d->logical[col];
}

/* Where the i-th decoded row of a vector goes: targets[i], or start + i. */
typedef struct rows_at {
	const idx_t *targets;
	idx_t start;
} rows_at;

static inline idx_t row_at(rows_at at, idx_t i)
{
	return at.targets ? at.targets[i] : at.start + i;
}

/* Makes row `row` of v (type t) NULL, with a harmless value, and the
 * fields of a struct NULL too (DuckDB may read a null struct's fields). */
static void set_null(duckdb_vector v, const ctype *t, idx_t row)
{
	duckdb_vector_ensure_validity_writable(v);
	duckdb_validity_set_row_invalid(duckdb_vector_get_validity(v), row);
	unsigned char *data = duckdb_vector_get_data(v);
	if (t->size)
		memset(data + row * t->size, 0, t->size);
	else if (t->id == DUCKDB_TYPE_VARCHAR || t->id == DUCKDB_TYPE_BLOB)
		memset(data + row * sizeof(duckdb_string_t), 0, sizeof(duckdb_string_t));
	else if (t->id == DUCKDB_TYPE_LIST || t->id == DUCKDB_TYPE_MAP)
		memset(data + row * sizeof(duckdb_list_entry), 0, sizeof(duckdb_list_entry));
	else if (t->id == DUCKDB_TYPE_STRUCT)
		for (size_t c = 0; c < t->nchildren; c++)
			set_null(duckdb_struct_vector_get_child(v, c), &t->children[c], row);
}

static int decode_vector(pond_chunks_decoder *d, duckdb_vector v, const ctype *t, rows_at at, idx_t n,
                         pond_error *err)
{
	unsigned char flag = 0;
	int rc = get_byte(d, &flag, err);
	if (rc)
		return rc;
	const unsigned char *bitmap = NULL;
	if (flag == 1) {
		size_t nbytes = (size_t)(n + 7) / 8;
		if (nbytes > left(d))
			return corrupt(err, "truncated");
		bitmap = d->p;
		d->p += nbytes;
	} else if (flag != 0) {
		return corrupt(err, "bad validity");
	}
#define VALID(i) (!bitmap || (bitmap[(i) / 8] >> ((i) % 8) & 1))
	idx_t nvalid = 0;
	for (idx_t i = 0; i < n; i++) {
		if (VALID(i))
			nvalid++;
		else
			set_null(v, t, row_at(at, i));
	}
	unsigned char *data = duckdb_vector_get_data(v);
	if (t->size) {
		if ((uint64_t)nvalid * t->size > left(d))
			return corrupt(err, "truncated");
		for (idx_t i = 0; i < n; i++) {
			if (!VALID(i))
				continue;
			unsigned char *slot = data + row_at(at, i) * t->size;
			if (t->id == DUCKDB_TYPE_BOOLEAN)
				*slot = *d->p != 0;
			else
				memcpy(slot, d->p, t->size);
			d->p += t->size;
		}
		return 0;
	}
	switch (t->id) {
	case DUCKDB_TYPE_VARCHAR:
	case DUCKDB_TYPE_BLOB:
		for (idx_t i = 0; i < n; i++) {
			if (!VALID(i))
				continue;
			uint64_t len;
			if ((rc = get_varint(d, &len, err)) != 0)
				return rc;
			if (len > left(d) || len > UINT32_MAX)
				return corrupt(err, "truncated");
			if (t->id == DUCKDB_TYPE_VARCHAR && !pond_utf8_valid(d->p, (size_t)len))
				return corrupt(err, "a string is not UTF-8");
			duckdb_vector_assign_string_element_len(v, row_at(at, i), (const char *)d->p, (idx_t)len);
			d->p += len;
		}
		return 0;
	case DUCKDB_TYPE_LIST:
	case DUCKDB_TYPE_MAP: {
		duckdb_list_entry *entries = (duckdb_list_entry *)(void *)data;
		idx_t base = duckdb_list_vector_get_size(v);
		uint64_t total = 0;
		for (idx_t i = 0; i < n; i++) {
			if (!VALID(i))
				continue;
			uint64_t len;
			if ((rc = get_varint(d, &len, err)) != 0)
				return rc;
			/* Each element costs at least a bit of what is left. */
			if (len > MAX_ELEMENTS || total + len > MAX_ELEMENTS || (total + len) / 8 > left(d))
				return corrupt(err, "a list is longer than its data");
			entries[row_at(at, i)].offset = base + total;
			entries[row_at(at, i)].length = len;
			total += len;
		}
		if (duckdb_list_vector_reserve(v, base + total) == DuckDBError ||
		    duckdb_list_vector_set_size(v, base + total) == DuckDBError)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		duckdb_vector child = duckdb_list_vector_get_child(v);
		rows_at child_at = {NULL, base};
		if (t->id == DUCKDB_TYPE_LIST)
			return decode_vector(d, child, &t->children[0], child_at, (idx_t)total, err);
		for (idx_t c = 0; c < 2 && rc == 0; c++)
			rc = decode_vector(d, duckdb_struct_vector_get_child(child, c), &t->children[c], child_at, (idx_t)total,
			                   err);
		return rc;
	}
	case DUCKDB_TYPE_STRUCT: {
		idx_t *targets = pond_malloc((size_t)(nvalid ? nvalid : 1) * sizeof(idx_t));
		if (!targets)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		idx_t k = 0;
		for (idx_t i = 0; i < n; i++)
			if (VALID(i))
				targets[k++] = row_at(at, i);
		rows_at child_at = {targets, 0};
		for (size_t c = 0; c < t->nchildren && rc == 0; c++)
			rc = decode_vector(d, duckdb_struct_vector_get_child(v, c), &t->children[c], child_at, k, err);
		pond_free(targets);
		return rc;
	}
	default:
		return corrupt(err, "unknown type");
	}
#undef VALID
}

int pond_chunks_decoder_next(pond_chunks_decoder *d, duckdb_data_chunk *out, pond_error *err)
{
	*out = NULL;
	if (d->done)
		return 0;
	unsigned char marker = 0;
	int rc = get_byte(d, &marker, err);
	if (rc)
		return rc;
	if (marker == 0) {
		if (left(d))
			return corrupt(err, "bytes after the end");
		d->done = true;
		return 0;
	}
	if (marker != 1)
		return corrupt(err, "bad chunk marker");
	uint64_t rows;
	if ((rc = get_varint(d, &rows, err)) != 0)
		return rc;
	if (rows == 0 || rows > duckdb_vector_size())
		return corrupt(err, "bad row count");
	duckdb_data_chunk chunk = duckdb_create_data_chunk(d->logical, d->ncols);
	if (!chunk)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	rows_at at = {NULL, 0};
	for (idx_t c = 0; c < d->ncols && rc == 0; c++)
		rc = decode_vector(d, duckdb_data_chunk_get_vector(chunk, c), &d->types[c], at, (idx_t)rows, err);
	if (rc) {
		duckdb_destroy_data_chunk(&chunk);
		return rc;
	}
	duckdb_data_chunk_set_size(chunk, (idx_t)rows);
	*out = chunk;
	return 1;
}

void pond_chunks_decoder_free(pond_chunks_decoder **dec)
{
	if (!dec || !*dec)
		return;
	pond_chunks_decoder *d = *dec;
	for (idx_t i = 0; d->logical && i < d->ncols; i++)
		if (d->logical[i])
			duckdb_destroy_logical_type(&d->logical[i]);
	pond_free(d->logical);
	pond_arena_free(&d->arena);
	pond_free(d);
	*dec = NULL;
}

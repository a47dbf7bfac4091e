/*
 * Avro object container files, read (spec "Object Container Files"): the
 * header (magic, metadata map, sync marker), then one block at a time:
 * record count, byte size, data (decompressed by the file's codec), sync
 * marker. Bytes come through a read callback (a file, memory, later a
 * network body) with a small read-ahead, so a reader holds the header and
 * one block, whatever the file's size. Errors name the file and the byte.
 */
#include "avro/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define READAHEAD 65536
/* Blocks are read in steps of this size, so a lying size costs at most the
 * bytes actually present plus one step. */
#define READ_STEP ((size_t)1 << 20)
#define MAX_META_ENTRIES 65536
#define MAX_ZERO_SIZE_RECORDS 65536

typedef struct memory_source {
	const uint8_t *data;
	size_t len, pos;
} memory_source;

struct pond_avro_reader {
	char *name;
	pond_avro_read_fn read;
	void *payload;
	FILE *file;
	memory_source mem;
	uint64_t size_hint;       /* 0: unknown */
	void *owned;              /* memory input the reader frees */

	uint8_t *ahead;           /* read-ahead buffer */
	size_t ahead_len, ahead_pos;
	uint64_t offset;          /* file offset of ahead[ahead_pos] */
	bool eof;

	pond_avro_schema *schema;
	pond_avro_codec codec;
	bool zero_size;
	size_t nmeta;
	char **meta_keys;
	char **meta_values;
	size_t *meta_lens;
	uint8_t sync[POND__AVRO_SYNC_SIZE];

	pond_buf raw;             /* the block as stored */
	pond_buf block;           /* decompressed (unused for the null codec) */
	const uint8_t *data;      /* current block's data */
	size_t data_len, data_pos;
	uint64_t data_offset;     /* file offset of the block's data */
	uint64_t block_offset;    /* file offset of the block's header */
	uint64_t left;            /* records left in the block */
	uint64_t records;

	int failed;               /* sticky error code */
	pond_error saved;
};

static int file_read(void *buf, size_t len, size_t *nread, void *payload, pond_error *err)
{
	pond_avro_reader *r = payload;
	size_t n = fread(buf, 1, len, r->file);
	if (n == 0 && ferror(r->file))
		return pond_error_set(err, POND_EIO, "%s", strerror(errno));
	*nread = n;
	return 0;
}

static int memory_read(void *buf, size_t len, size_t *nread, void *payload, pond_error *err)
{
	memory_source *m = payload;
	size_t n = m->len - m->pos < len ? m->len - m->pos : len;
	(void)err;
	if (n)
		memcpy(buf, m->data + m->pos, n);
	m->pos += n;
	*nread = n;
	return 0;
}

/* Every failure goes through here: prefixes the file name, remembers it. */
static int fail(pond_avro_reader *r, pond_error *err)
{
	if (err->code == 0)
		err->code = POND_ERROR;
	pond_error_prefix(err, "could not read avro file %s", r->name);
	r->failed = err->code;
	r->saved = *err;
	return err->code;
}

static int failf(pond_avro_reader *r, pond_error *err, int code, const char *what, uint64_t at)
{
	pond_error_set(err, code, "%s at byte %llu", what, (unsigned long long)at);
	return fail(r, err);
}

static int nomem(pond_avro_reader *r, pond_error *err)
{
	pond_error_set(err, POND_ENOMEM, "out of memory");
	return fail(r, err);
}

/* Fills the read-ahead; 0 with ahead_len == ahead_pos at the end. */
static int refill(pond_avro_reader *r, pond_error *err)
{
	size_t n = 0;
	r->ahead_len = r->ahead_pos = 0;
	if (r->eof)
		return 0;
	int rc = r->read(r->ahead, READAHEAD, &n, r->payload, err);
	if (rc)
		return fail(r, err);
	if (n == 0)
		r->eof = true;
	r->ahead_len = n;
	return 0;
}

/* Reads exactly n bytes (dst may be NULL to skip); a short read is a
 * "truncated WHAT" error at `start`. */
static int read_exact(pond_avro_reader *r, void *dst, size_t n, const char *what, uint64_t start, pond_error *err)
{
	uint8_t *out = dst;
	while (n) {
		if (r->ahead_pos == r->ahead_len) {
			int rc = refill(r, err);
			if (rc)
				return rc;
			if (r->ahead_len == 0) {
				char msg[96];
				snprintf(msg, sizeof(msg), "truncated %s", what);
				return failf(r, err, POND_ECORRUPT, msg, start);
			}
		}
		size_t k = r->ahead_len - r->ahead_pos;
		if (k > n)
			k = n;
		if (out) {
			memcpy(out, r->ahead + r->ahead_pos, k);
			out += k;
		}
		r->ahead_pos += k;
		r->offset += k;
		n -= k;
	}
	return 0;
}

/* 1 when at the end of input, 0 when bytes remain. */
static int at_end(pond_avro_reader *r, pond_error *err, int *end)
{
	if (r->ahead_pos == r->ahead_len) {
		int rc = refill(r, err);
		if (rc)
			return rc;
	}
	*end = r->ahead_len == 0;
	return 0;
}

static int read_long(pond_avro_reader *r, int64_t *out, const char *what, pond_error *err)
{
	uint8_t bytes[10];
	uint64_t start = r->offset;
	for (size_t i = 0; i < sizeof(bytes); i++) {
		int rc = read_exact(r, &bytes[i], 1, what, start, err);
		if (rc)
			return rc;
		if (!(bytes[i] & 0x80)) {
			size_t pos = 0;
			if (pond__avro_get_long(bytes, i + 1, &pos, out))
				break;
			return 0;
		}
	}
	char msg[96];
	snprintf(msg, sizeof(msg), "invalid varint in %s", what);
	return failf(r, err, POND_ECORRUPT, msg, start);
}

/* A length from the input, checked against the bytes that remain (when
 * the size is known) and a limit. */
static int read_length(pond_avro_reader *r, size_t *out, size_t limit, const char *what, pond_error *err)
{
	int64_t n;
	uint64_t start = r->offset;
	int rc = read_long(r, &n, what, err);
	if (rc)
		return rc;
	char msg[96];
	if (n < 0) {
		snprintf(msg, sizeof(msg), "negative %s length", what);
		return failf(r, err, POND_ECORRUPT, msg, start);
	}
	if (r->size_hint && (uint64_t)n > r->size_hint - (r->offset < r->size_hint ? r->offset : r->size_hint)) {
		snprintf(msg, sizeof(msg), "truncated %s", what);
		return failf(r, err, POND_ECORRUPT, msg, start);
	}
	if ((uint64_t)n > limit) {
		snprintf(msg, sizeof(msg), "%s of %lld bytes over the limit of %zu", what, (long long)n, limit);
		return failf(r, err, POND_ELIMIT, msg, start);
	}
	*out = (size_t)n;
	return 0;
}

static int read_meta_entry(pond_avro_reader *r, pond_error *err)
{
	size_t klen, vlen, i = r->nmeta;
	int rc = read_length(r, &klen, POND_AVRO_MAX_HEADER_BYTES, "metadata key", err);
	if (rc)
		return rc;
	char *key = pond_malloc(klen + 1);
	if (!key)
		return nomem(r, err);
	r->meta_keys[i] = key;
	r->meta_values[i] = NULL;
	r->nmeta++;
	if ((rc = read_exact(r, key, klen, "metadata key", r->offset, err)))
		return rc;
	key[klen] = '\0';
	if ((rc = read_length(r, &vlen, POND_AVRO_MAX_HEADER_BYTES, "metadata value", err)))
		return rc;
	char *value = pond_malloc(vlen + 1);
	if (!value)
		return nomem(r, err);
	r->meta_values[i] = value;
	r->meta_lens[i] = vlen;
	if ((rc = read_exact(r, value, vlen, "metadata value", r->offset, err)))
		return rc;
	value[vlen] = '\0';
	return 0;
}

static int grow_meta(pond_avro_reader *r, size_t total, pond_error *err)
{
	char **k = pond_reallocarray(r->meta_keys, total, sizeof(char *));
	if (!k)
		return nomem(r, err);
	r->meta_keys = k;
	char **v = pond_reallocarray(r->meta_values, total, sizeof(char *));
	if (!v)
		return nomem(r, err);
	r->meta_values = v;
	size_t *l = pond_reallocarray(r->meta_lens, total, sizeof(size_t));
	if (!l)
		return nomem(r, err);
	r->meta_lens = l;
	return 0;
}

static int read_header(pond_avro_reader *r, pond_error *err)
{
	uint8_t magic[4];
	int rc = read_exact(r, magic, 4, "header", 0, err);
	if (rc)
		return rc;
	if (memcmp(magic, POND__AVRO_MAGIC, 4) != 0)
		return failf(r, err, POND_ECORRUPT, "not an avro container file (bad magic)", 0);
	for (;;) {
		int64_t count;
		uint64_t start = r->offset;
		if ((rc = read_long(r, &count, "metadata", err)))
			return rc;
		if (count == 0)
			break;
		if (count < 0) {
			int64_t size;
			if (count == INT64_MIN)
				return failf(r, err, POND_ECORRUPT, "invalid metadata count", start);
			count = -count;
			if ((rc = read_long(r, &size, "metadata", err)))
				return rc;
		}
		if ((uint64_t)count > MAX_META_ENTRIES - r->nmeta)
			return failf(r, err, POND_ELIMIT, "too many metadata entries", start);
		if ((rc = grow_meta(r, r->nmeta + (size_t)count, err)))
			return rc;
		for (int64_t i = 0; i < count; i++)
			if ((rc = read_meta_entry(r, err)))
				return rc;
		if (r->offset > POND_AVRO_MAX_HEADER_BYTES)
			return failf(r, err, POND_ELIMIT, "header over the size limit", start);
	}
	if ((rc = read_exact(r, r->sync, POND__AVRO_SYNC_SIZE, "header", r->offset, err)))
		return rc;

	const char *codec = pond_avro_reader_meta(r, "avro.codec", NULL);
	if (codec && *codec && (rc = pond_avro_codec_from_name(&r->codec, codec, err)))
		return fail(r, err);
	size_t slen;
	const char *schema = pond_avro_reader_meta(r, "avro.schema", &slen);
	if (!schema)
		return failf(r, err, POND_ECORRUPT, "header has no avro.schema", 4);
	if ((rc = pond_avro_schema_parse(&r->schema, schema, slen, "avro.schema", err)))
		return fail(r, err);
	r->zero_size = pond__avro_node_zero_size(pond_avro_schema_root(r->schema));
	return 0;
}

static int reader_new(pond_avro_reader **out, const char *name, pond_error *err)
{
	pond_avro_reader *r = pond_calloc(1, sizeof(*r));
	if (!r)
		return pond_error_set(err, POND_ENOMEM, "could not read avro file %s: out of memory", name);
	r->name = pond_strdup(name);
	r->ahead = pond_malloc(READAHEAD);
	if (!r->name || !r->ahead) {
		pond_avro_reader_close(&r);
		return pond_error_set(err, POND_ENOMEM, "could not read avro file %s: out of memory", name);
	}
	*out = r;
	return 0;
}

static int open_common(pond_avro_reader **out, pond_avro_reader *r, pond_error *err)
{
	int rc = read_header(r, err);
	if (rc) {
		pond_avro_reader_close(&r);
		return rc;
	}
	*out = r;
	return 0;
}

int pond_avro_reader_open_stream(pond_avro_reader **out, pond_avro_read_fn read, void *payload,
                                 uint64_t size_hint, const char *name, pond_error *err)
{
	pond_avro_reader *r;
	*out = NULL;
	int rc = reader_new(&r, name ? name : "(stream)", err);
	if (rc)
		return rc;
	r->read = read;
	r->payload = payload;
	r->size_hint = size_hint;
	return open_common(out, r, err);
}

/* A reader over memory; owned (or NULL) is freed with the reader, or at
 * once when it cannot be made. */
static int open_memory(pond_avro_reader **out, const void *data, size_t len, const char *name, void *owned,
                       pond_error *err)
{
	pond_avro_reader *r;
	*out = NULL;
	int rc = reader_new(&r, name ? name : "(memory)", err);
	if (rc) {
		pond_free(owned);
		return rc;
	}
	r->owned = owned;
	r->mem.data = data;
	r->mem.len = len;
	r->read = memory_read;
	r->payload = &r->mem;
	/* An empty input has no size to check against; 0 means unknown. */
	r->size_hint = len;
	return open_common(out, r, err);
}

int pond_avro_reader_open_memory(pond_avro_reader **out, const void *data, size_t len, const char *name,
                                 pond_error *err)
{
	return open_memory(out, data, len, name, NULL, err);
}

int pond_avro_reader_open_memory_owned(pond_avro_reader **out, void *data, size_t len, const char *name,
                                       pond_error *err)
{
	return open_memory(out, data, len, name, data, err);
}

int pond_avro_reader_open_file(pond_avro_reader **out, const char *path, pond_error *err)
{
	pond_avro_reader *r;
	struct stat st;
	*out = NULL;
	int rc = reader_new(&r, path, err);
	if (rc)
		return rc;
	r->file = fopen(path, "rb");
	if (!r->file) {
		int code = errno == ENOENT ? POND_ENOTFOUND : POND_EIO;
		pond_error_set(err, code, "could not open avro file %s: %s", path, strerror(errno));
		pond_avro_reader_close(&r);
		return code;
	}
	if (fstat(fileno(r->file), &st) == 0 && S_ISREG(st.st_mode))
		r->size_hint = (uint64_t)st.st_size;
	r->read = file_read;
	r->payload = r;
	return open_common(out, r, err);
}

void pond_avro_reader_close(pond_avro_reader **reader)
{
	if (!reader || !*reader)
		return;
	pond_avro_reader *r = *reader;
	if (r->file)
		fclose(r->file);
	for (size_t i = 0; i < r->nmeta; i++) {
		pond_free(r->meta_keys[i]);
		pond_free(r->meta_values[i]);
	}
	pond_free(r->meta_keys);
	pond_free(r->meta_values);
	pond_free(r->meta_lens);
	pond_avro_schema_free(&r->schema);
	pond_buf_dispose(&r->raw);
	pond_buf_dispose(&r->block);
	pond_free(r->ahead);
	pond_free(r->name);
	pond_free(r->owned);
	pond_free(r);
	*reader = NULL;
}

const pond_avro_schema *pond_avro_reader_schema(const pond_avro_reader *reader)
{
	return reader->schema;
}

pond_avro_codec pond_avro_reader_codec(const pond_avro_reader *reader)
{
	return reader->codec;
}

const char *pond_avro_reader_meta(const pond_avro_reader *r, const char *key, size_t *len)
{
	for (size_t i = 0; i < r->nmeta; i++) {
		if (r->meta_values[i] && strcmp(r->meta_keys[i], key) == 0) {
			if (len)
				*len = r->meta_lens[i];
			return r->meta_values[i];
		}
	}
	return NULL;
}

bool pond_avro_reader_meta_at(const pond_avro_reader *r, size_t i, const char **key, const char **value,
                              size_t *len)
{
	if (i >= r->nmeta || !r->meta_values[i])
		return false;
	*key = r->meta_keys[i];
	*value = r->meta_values[i];
	if (len)
		*len = r->meta_lens[i];
	return true;
}

size_t pond_avro_reader_buffer_bytes(const pond_avro_reader *r)
{
	return r->raw.cap + r->block.cap + READAHEAD;
}

uint64_t pond_avro_reader_records(const pond_avro_reader *r)
{
	return r->records;
}

/* Reads the block's bytes in steps, so memory follows the bytes present. */
static int read_block_bytes(pond_avro_reader *r, size_t size, pond_error *err)
{
	pond_buf_clear(&r->raw);
	while (r->raw.len < size) {
		size_t step = size - r->raw.len < READ_STEP ? size - r->raw.len : READ_STEP;
		if (!pond_buf_reserve(&r->raw, step))
			return nomem(r, err);
		int rc = read_exact(r, r->raw.ptr + r->raw.len, step, "block", r->block_offset, err);
		if (rc)
			return rc;
		r->raw.len += step;
	}
	return 0;
}

/* Loads the next non-empty block; *end set at the end of the file. */
static int next_block(pond_avro_reader *r, pond_error *err, int *end)
{
	for (;;) {
		int rc = at_end(r, err, end);
		if (rc || *end)
			return rc;
		int64_t count;
		size_t size;
		r->block_offset = r->offset;
		if ((rc = read_long(r, &count, "block", err)))
			return rc;
		if (count < 0)
			return failf(r, err, POND_ECORRUPT, "negative block count", r->block_offset);
		if ((rc = read_length(r, &size, POND_AVRO_MAX_BLOCK_BYTES, "block", err)))
			return rc;
		r->data_offset = r->offset;
		if ((rc = read_block_bytes(r, size, err)))
			return rc;
		uint8_t sync[POND__AVRO_SYNC_SIZE];
		uint64_t sync_at = r->offset;
		if ((rc = read_exact(r, sync, sizeof(sync), "block", r->block_offset, err)))
			return rc;
		if (memcmp(sync, r->sync, sizeof(sync)) != 0)
			return failf(r, err, POND_ECORRUPT, "sync marker mismatch", sync_at);
		if (r->codec == POND_AVRO_CODEC_NULL) {
			r->data = (const uint8_t *)r->raw.ptr;
			r->data_len = r->raw.len;
		} else {
			rc = pond__avro_decompress(r->codec, (const uint8_t *)r->raw.ptr, r->raw.len, &r->block,
			                           POND_AVRO_MAX_BLOCK_BYTES, err);
			if (rc) {
				pond_error_prefix(err, "block at byte %llu", (unsigned long long)r->block_offset);
				return fail(r, err);
			}
			r->data = (const uint8_t *)r->block.ptr;
			r->data_len = r->block.len;
		}
		r->data_pos = 0;
		if (count == 0) {
			if (r->data_len)
				return failf(r, err, POND_ECORRUPT, "bytes in an empty block", r->block_offset);
			continue;
		}
		/* Every record takes a byte unless the schema encodes in none. */
		if ((!r->zero_size && (uint64_t)count > r->data_len) || (r->zero_size && count > MAX_ZERO_SIZE_RECORDS)) {
			char msg[128];
			snprintf(msg, sizeof(msg), "block count %lld too large for its %zu bytes", (long long)count,
			         r->data_len);
			return failf(r, err, POND_ECORRUPT, msg, r->block_offset);
		}
		r->left = (uint64_t)count;
		return 0;
	}
}

int pond_avro_reader_next(pond_avro_reader *r, pond_arena *arena, const pond_avro_value **out, pond_error *err)
{
	*out = NULL;
	if (r->failed) {
		*err = r->saved;
		return r->failed;
	}
	if (r->left == 0) {
		int end = 0;
		int rc = next_block(r, err, &end);
		if (rc || end)
			return rc;
	}
	/* Offsets in a compressed block are within its decompressed data. */
	bool plain = r->codec == POND_AVRO_CODEC_NULL;
	int rc = pond_avro_decode(out, pond_avro_schema_root(r->schema), r->data, r->data_len, &r->data_pos, arena,
	                          plain ? r->data_offset : 0, err);
	if (rc) {
		if (!plain)
			pond_error_prefix(err, "block at byte %llu", (unsigned long long)r->block_offset);
		return fail(r, err);
	}
	r->records++;
	if (--r->left == 0 && r->data_pos != r->data_len) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%zu bytes left over in block", r->data_len - r->data_pos);
		return failf(r, err, POND_ECORRUPT, msg, r->block_offset);
	}
	return 1;
}

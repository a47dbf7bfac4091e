/*
 * Avro object container files, written: the header (magic, metadata with
 * avro.schema, avro.codec and the caller's keys, a random sync marker) goes
 * out with the first block or at finish; records are encoded into one block
 * buffer that is compressed and written when it reaches the block size, so
 * memory stays at about one block. Output goes to a new file, a pond_buf or
 * a write callback.
 */
#include "avro/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct pond_avro_writer {
	char *name;
	char *path;               /* a file to remove unless finished */
	FILE *file;
	pond_buf *out_buf;
	pond_avro_write_fn write;
	void *payload;
	int (*sink_finish)(void *payload, pond_error *err);
	void (*sink_free)(void *payload);
	const pond_avro_schema *schema;
	pond_avro_writer_options opts;

	size_t nmeta;
	char **meta_keys;
	char **meta_values;
	size_t *meta_lens;

	bool header_written;
	bool finished;
	int failed;
	uint8_t sync[POND__AVRO_SYNC_SIZE];
	pond_buf block;
	pond_buf out;             /* header or compressed block on its way out */
	uint64_t block_records;
	uint64_t records;
};

static int file_write(const void *data, size_t len, void *payload, pond_error *err)
{
	pond_avro_writer *w = payload;
	if (len && fwrite(data, 1, len, w->file) != len)
		return pond_error_set(err, POND_EIO, "%s", strerror(errno));
	return 0;
}

static int buf_write(const void *data, size_t len, void *payload, pond_error *err)
{
	pond_avro_writer *w = payload;
	pond_buf_put(w->out_buf, data, len);
	if (!pond_buf_ok(w->out_buf))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	return 0;
}

static int fail(pond_avro_writer *w, pond_error *err)
{
	if (err->code == 0)
		err->code = POND_ERROR;
	pond_error_prefix(err, "could not write avro file %s", w->name);
	w->failed = err->code;
	return err->code;
}

static int nomem(pond_avro_writer *w, pond_error *err)
{
	pond_error_set(err, POND_ENOMEM, "out of memory");
	return fail(w, err);
}

static int writer_new(pond_avro_writer **out, const char *name, const pond_avro_schema *schema,
                      const pond_avro_writer_options *opts, pond_error *err)
{
	pond_avro_writer_options defaults = POND_AVRO_WRITER_OPTIONS_INIT;
	*out = NULL;
	if (!opts)
		opts = &defaults;
	if ((unsigned)opts->codec > POND_AVRO_CODEC_ZSTANDARD)
		return pond_error_set(err, POND_EINVAL, "could not write avro file %s: unknown codec %d", name,
		                      (int)opts->codec);
	pond_avro_writer *w = pond_calloc(1, sizeof(*w));
	if (!w)
		return pond_error_set(err, POND_ENOMEM, "could not write avro file %s: out of memory", name);
	w->name = pond_strdup(name);
	if (!w->name) {
		pond_free(w);
		return pond_error_set(err, POND_ENOMEM, "could not write avro file %s: out of memory", name);
	}
	w->schema = schema;
	w->opts = *opts;
	if (w->opts.block_bytes == 0)
		w->opts.block_bytes = defaults.block_bytes;
	pond_random_bytes(w->sync, sizeof(w->sync));
	*out = w;
	return 0;
}

int pond_avro_writer_open_stream(pond_avro_writer **out, pond_avro_write_fn write, void *payload, const char *name,
                                 const pond_avro_schema *schema, const pond_avro_writer_options *opts,
                                 pond_error *err)
{
	int rc = writer_new(out, name ? name : "(stream)", schema, opts, err);
	if (rc)
		return rc;
	(*out)->write = write;
	(*out)->payload = payload;
	return 0;
}

int pond_avro_writer_open_sink(pond_avro_writer **out, const pond_avro_sink *sink, const char *name,
                               const pond_avro_schema *schema, const pond_avro_writer_options *opts,
                               pond_error *err)
{
	int rc = writer_new(out, name ? name : "(stream)", schema, opts, err);
	if (rc) {
		if (sink->free)
			sink->free(sink->payload);
		return rc;
	}
	(*out)->write = sink->write;
	(*out)->payload = sink->payload;
	(*out)->sink_finish = sink->finish;
	(*out)->sink_free = sink->free;
	return 0;
}

int pond_avro_writer_open_buf(pond_avro_writer **out, pond_buf *buf, const pond_avro_schema *schema,
                              const pond_avro_writer_options *opts, pond_error *err)
{
	int rc = writer_new(out, "(memory)", schema, opts, err);
	if (rc)
		return rc;
	(*out)->out_buf = buf;
	(*out)->write = buf_write;
	(*out)->payload = *out;
	return 0;
}

int pond_avro_writer_open_file(pond_avro_writer **out, const char *path, const pond_avro_schema *schema,
                               const pond_avro_writer_options *opts, pond_error *err)
{
	pond_avro_writer *w;
	int rc = writer_new(&w, path, schema, opts, err);
	if (rc)
		return rc;
	/* Files are never overwritten: O_EXCL. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		int code = errno == EEXIST ? POND_EEXISTS : POND_EIO;
		pond_error_set(err, code, "could not create avro file %s: %s", path, strerror(errno));
		pond_avro_writer_free(&w);
		return code;
	}
	w->path = pond_strdup(path);
	w->file = fdopen(fd, "wb");
	if (!w->file)
		close(fd);
	if (!w->path || !w->file) {
		if (!w->path)
			unlink(path);
		pond_avro_writer_free(&w);
		return pond_error_set(err, POND_ENOMEM, "could not write avro file %s: out of memory", path);
	}
	w->write = file_write;
	w->payload = w;
	*out = w;
	return 0;
}

int pond_avro_writer_set_meta(pond_avro_writer *w, const char *key, const void *value, size_t len, pond_error *err)
{
	if (w->header_written)
		return pond_error_set(err, POND_EINVAL, "could not write avro file %s: metadata \"%s\" set after the first record",
		                      w->name, key);
	if (strncmp(key, "avro.", 5) == 0)
		return pond_error_set(err, POND_EINVAL, "could not write avro file %s: metadata key \"%s\" is reserved",
		                      w->name, key);
	for (size_t i = 0; i < w->nmeta; i++) {
		if (strcmp(w->meta_keys[i], key) == 0) {
			char *v = len == SIZE_MAX ? NULL : pond_malloc(len + 1);
			if (!v)
				return pond_error_set(err, POND_ENOMEM, "could not write avro file %s: out of memory", w->name);
			if (len)
				memcpy(v, value, len);
			v[len] = '\0';
			pond_free(w->meta_values[i]);
			w->meta_values[i] = v;
			w->meta_lens[i] = len;
			return 0;
		}
	}
	size_t n = w->nmeta + 1;
	char **k = pond_reallocarray(w->meta_keys, n, sizeof(char *));
	if (k)
		w->meta_keys = k;
	char **v = k ? pond_reallocarray(w->meta_values, n, sizeof(char *)) : NULL;
	if (v)
		w->meta_values = v;
	size_t *l = v ? pond_reallocarray(w->meta_lens, n, sizeof(size_t)) : NULL;
	if (l)
		w->meta_lens = l;
	char *kc = l ? pond_strdup(key) : NULL;
	char *vc = kc ? pond_malloc(len + 1) : NULL;
	if (!vc) {
		pond_free(kc);
		return pond_error_set(err, POND_ENOMEM, "could not write avro file %s: out of memory", w->name);
	}
	if (len)
		memcpy(vc, value, len);
	vc[len] = '\0';
	w->meta_keys[w->nmeta] = kc;
	w->meta_values[w->nmeta] = vc;
	w->meta_lens[w->nmeta] = len;
	w->nmeta = n;
	return 0;
}

int pond_avro_writer_set_meta_string(pond_avro_writer *w, const char *key, const char *value, pond_error *err)
{
	return pond_avro_writer_set_meta(w, key, value, strlen(value), err);
}

static void put_string(pond_buf *buf, const void *p, size_t len)
{
	pond__avro_put_long(buf, (int64_t)len);
	pond_buf_put(buf, p, len);
}

static int write_header(pond_avro_writer *w, pond_error *err)
{
	pond_buf *h = &w->out;
	const char *schema = pond_avro_schema_json(w->schema);
	const char *codec = pond_avro_codec_name(w->opts.codec);
	pond_buf_clear(h);
	pond_buf_put(h, POND__AVRO_MAGIC, 4);
	pond__avro_put_long(h, (int64_t)w->nmeta + 2);
	put_string(h, "avro.schema", 11);
	put_string(h, schema, strlen(schema));
	put_string(h, "avro.codec", 10);
	put_string(h, codec, strlen(codec));
	for (size_t i = 0; i < w->nmeta; i++) {
		put_string(h, w->meta_keys[i], strlen(w->meta_keys[i]));
		put_string(h, w->meta_values[i], w->meta_lens[i]);
	}
	pond__avro_put_long(h, 0);
	pond_buf_put(h, w->sync, sizeof(w->sync));
	if (!pond_buf_ok(h))
		return nomem(w, err);
	int rc = w->write(h->ptr, h->len, w->payload, err);
	if (rc)
		return fail(w, err);
	w->header_written = true;
	return 0;
}

static int flush_block(pond_avro_writer *w, pond_error *err)
{
	if (w->block_records == 0)
		return 0;
	pond_buf compressed = POND_BUF_INIT;
	int rc = pond__avro_compress(w->opts.codec, w->opts.level, (const uint8_t *)w->block.ptr, w->block.len,
	                             &compressed, err);
	if (rc) {
		pond_buf_dispose(&compressed);
		return fail(w, err);
	}
	pond_buf *o = &w->out;
	pond_buf_clear(o);
	pond__avro_put_long(o, (int64_t)w->block_records);
	pond__avro_put_long(o, (int64_t)compressed.len);
	pond_buf_put(o, compressed.ptr, compressed.len);
	pond_buf_put(o, w->sync, sizeof(w->sync));
	pond_buf_dispose(&compressed);
	if (!pond_buf_ok(o))
		return nomem(w, err);
	if ((rc = w->write(o->ptr, o->len, w->payload, err)))
		return fail(w, err);
	pond_buf_clear(&w->block);
	w->block_records = 0;
	return 0;
}

int pond_avro_writer_append(pond_avro_writer *w, const pond_avro_value *value, pond_error *err)
{
	int rc;
	if (w->failed || w->finished)
		return pond_error_set(err, POND_EINVAL, "could not write avro file %s: writer is %s", w->name,
		                      w->failed ? "in error" : "finished");
	if (!w->header_written && (rc = write_header(w, err)))
		return rc;
	size_t mark = w->block.len;
	rc = pond_avro_encode(&w->block, pond_avro_schema_root(w->schema), value, err);
	if (rc) {
		/* A value that does not fit the schema leaves the block as it was. */
		if (rc == POND_EINVAL && pond_buf_ok(&w->block)) {
			w->block.len = mark;
			if (w->block.ptr)
				w->block.ptr[mark] = '\0';
			pond_error_prefix(err, "could not write avro file %s", w->name);
			return rc;
		}
		return fail(w, err);
	}
	w->block_records++;
	w->records++;
	if (w->block.len >= w->opts.block_bytes)
		return flush_block(w, err);
	return 0;
}

int pond_avro_writer_finish(pond_avro_writer *w, pond_error *err)
{
	int rc;
	if (w->failed)
		return pond_error_set(err, w->failed, "could not write avro file %s: writer is in error", w->name);
	if (w->finished)
		return 0;
	if (!w->header_written && (rc = write_header(w, err)))
		return rc;
	if ((rc = flush_block(w, err)))
		return rc;
	if (w->file) {
		FILE *f = w->file;
		w->file = NULL;
		bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
		int saved = errno;
		if (fclose(f) != 0 && ok) {
			ok = false;
			saved = errno;
		}
		if (!ok) {
			pond_error_set(err, POND_EIO, "%s", strerror(saved));
			return fail(w, err);
		}
	}
	if (w->sink_finish && (rc = w->sink_finish(w->payload, err)))
		return fail(w, err);
	w->finished = true;
	return 0;
}

void pond_avro_writer_free(pond_avro_writer **writer)
{
	if (!writer || !*writer)
		return;
	pond_avro_writer *w = *writer;
	if (w->file)
		fclose(w->file);
	if (w->path && !w->finished)
		unlink(w->path);
	if (w->sink_free)
		w->sink_free(w->payload);
	for (size_t i = 0; i < w->nmeta; i++) {
		pond_free(w->meta_keys[i]);
		pond_free(w->meta_values[i]);
	}
	pond_free(w->meta_keys);
	pond_free(w->meta_values);
	pond_free(w->meta_lens);
	pond_buf_dispose(&w->block);
	pond_buf_dispose(&w->out);
	pond_free(w->path);
	pond_free(w->name);
	pond_free(w);
	*writer = NULL;
}

uint64_t pond_avro_writer_records(const pond_avro_writer *w)
{
	return w->records;
}

size_t pond_avro_writer_buffer_bytes(const pond_avro_writer *w)
{
	return w->block.cap + w->out.cap;
}

/*
 * The row buffer's 'chunks' form (buffer.c keeps the buffer itself): a
 * small append runs its rows query as a SELECT and keeps the data chunks
 * DuckDB returns, encoded in pond's binary form (src/engine/chunk_codec.c),
 * as one row of pond_buffer; no Parquet file is written for it. An append
 * whose rows pass the buffer's row or byte limit is not buffered: its
 * chunks, those already fetched and the rest of the stream, go into a
 * spill table of the engine (the query runs once), from which the write
 * path makes data files as for any append. For reads and flushes, the
 * 'chunks' rows of one schema are decoded into a Parquet file with that
 * schema's field ids, written once into the project's cache folder
 * (which rows go in which file is buffer.c's choice).
 */
#include "table_internal.h"

#include <duckdb.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The most bytes one statement's encoded rows may take in the buffer:
 * the buffer's flush size, and never more than a catalog row is read
 * back with. */
static size_t statement_max_bytes(const pond_iceberg_metadata *md)
{
	int64_t n = pond_iceberg_metadata_property_i64(md, POND_BUFFER_FLUSH_BYTES, POND_BUFFER_DEFAULT_FLUSH_BYTES);
	if (n < 0)
		n = POND_BUFFER_DEFAULT_FLUSH_BYTES;
	return (uint64_t)n < POND__BUFFER_MAX_BYTES ? (size_t)n : POND__BUFFER_MAX_BYTES;
}

/* Decodes rows in the chunk form (bytes, len) into spill table s. */
static int spill_encoded(pond_spill *s, const void *bytes, size_t len, pond_error *err)
{
	pond_chunks_decoder *dec = NULL;
	int rc = pond_chunks_decoder_open(&dec, bytes, len, err);
	duckdb_data_chunk chunk;
	while (rc == 0 && (rc = pond_chunks_decoder_next(dec, &chunk, err)) == 1) {
		rc = pond_spill_chunk(s, chunk, err);
		duckdb_destroy_data_chunk(&chunk);
	}
	pond_chunks_decoder_free(&dec);
	return rc;
}

/* Puts the chunks encoded so far into a new spill table (*spill), the
 * rest of the stream to follow. */
static int start_spill(pond__write *w, pond_chunks_encoder *enc, pond_spill **spill, pond_error *err)
{
	const void *bytes;
	size_t len;
	int rc = pond_chunks_encoder_finish(enc, &bytes, &len, err);
	if (rc == 0)
		rc = pond_spill_open(spill, w->lake->engine, w->schema, err);
	return rc ? rc : spill_encoded(*spill, bytes, len, err);
}

/* NOT NULL holds on every write (as check_required in write_files.c). */
static int check_required(pond__write *w, const pond_chunks_encoder *enc, pond_error *err)
{
	const pond_iceberg_type *root = w->schema->root;
	for (size_t f = 0; f < root->nfields; f++)
		if (root->fields[f].required && pond_chunks_encoder_nulls(enc, f) > 0)
			return pond_error_set(err, POND_EINVAL, "column \"%s\" of %s is NOT NULL, and a row holds NULL in it",
			                      root->fields[f].name, w->name);
	return 0;
}

int pond__buffer_append(pond__write *w, const char *rows_sql, bool *handled, pond_spill **spill,
                        pond_write_result *out, pond_error *err)
{
	*handled = false;
	*spill = NULL;
	pond_buf sql = POND_BUF_INIT;
	pond_result *r = NULL;
	pond_chunks_encoder *enc = NULL;
	size_t ncols = w->schema->root->nfields;
	int rc = pond__write_partitioned_select(w, &sql, rows_sql, err);
	if (rc == 0)
		rc = pond_engine_query(w->lake->engine, pond_buf_cstr(&sql), &r, err);
	pond_buf_dispose(&sql);
	if (rc == 0 && pond_result_column_count(r) < ncols)
		rc = pond_error_set(err, POND_ESQL, "the rows for %s have %llu columns, %zu expected", w->name,
		                    (unsigned long long)pond_result_column_count(r), ncols);
	duckdb_logical_type *types = rc == 0 ? pond_arena_calloc(w->arena, ncols ? ncols : 1, sizeof(*types)) : NULL;
	if (rc == 0 && !types)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < ncols; i++)
		types[i] = pond_result_column_type(r, i);
	if (rc == 0)
		rc = pond_chunks_encoder_new(&enc, types, ncols, err);
	int64_t max_rows = w->buffer_max_rows;
	size_t max_bytes = statement_max_bytes(w->md);
	duckdb_data_chunk chunk;
	while (rc == 0 && (rc = pond_result_next(r, &chunk, err)) == 1) {
		if (*spill) {
			rc = pond_spill_chunk(*spill, chunk, err);
		} else if ((rc = pond_chunks_encoder_add(enc, chunk, err)) == 0 &&
		           (pond_chunks_encoder_rows(enc) > max_rows || pond_chunks_encoder_size(enc) > max_bytes)) {
			/* Too many rows to buffer: a data file, from what was read. */
			rc = start_spill(w, enc, spill, err);
		}
		duckdb_destroy_data_chunk(&chunk);
		if (w->opts->cancel && *w->opts->cancel && rc == 0)
			rc = pond_error_set(err, POND_ECANCELED, "interrupted: nothing was committed");
	}
	pond_result_free(&r);
	if (rc == 0 && *spill) {
		rc = pond_spill_close(*spill, err);
	} else if (rc == 0 && pond_chunks_encoder_rows(enc) == 0) {
		*handled = true;  /* no rows: nothing to write or commit */
	} else if (rc == 0 && (rc = check_required(w, enc, err)) == 0) {
		const void *bytes;
		size_t len;
		if ((rc = pond_chunks_encoder_finish(enc, &bytes, &len, err)) == 0)
			rc = pond__buffer_insert(w, POND__BUFFER_CHUNKS, pond_chunks_encoder_rows(enc), bytes, len, NULL,
			                         err);
		if (rc == 0) {
			*handled = true;
			out->added_records = pond_chunks_encoder_rows(enc);
			out->buffered = true;
		}
	}
	pond_chunks_encoder_free(&enc);
	if (rc)
		pond_spill_free(spill);
	return rc;
}

/* ---- the cache file of a buffer state's 'chunks' rows ---- */

typedef struct decode_rows {
	pond_spill *spill;
	size_t found;
	pond_error *err;
} decode_rows;

/* One buffered row's data (base64 of the chunk form) into the spill table. */
static int take_data(int ncols, const char *const *names, const char *const *values, void *payload)
{
	(void)names;
	decode_rows *d = payload;
	if (ncols < 1 || !values[0])
		return POND_ECORRUPT;
	unsigned char *bytes = NULL;
	size_t len = 0;
	int rc = pond_base64_decode(&bytes, &len, values[0], d->err);
	if (rc == 0)
		rc = spill_encoded(d->spill, bytes, len, d->err);
	pond_free(bytes);
	d->found++;
	/* Stops the catalog's read; the message is in d->err. */
	return rc;
}

int pond__buffer_chunks_cache(pond_lake *lake, const pond_iceberg_metadata *md, const pond__buffered *const *group,
                              size_t n, const char *path, pond_arena *a, pond_error *err)
{
	const pond_iceberg_schema *schema = pond_iceberg_metadata_schema(md, group[0]->schema_id);
	if (!schema)
		return pond_error_set(err, POND_ECORRUPT, "buffered rows of table %s have unknown schema id %" PRId32,
		                      md->table_uuid, group[0]->schema_id);
	int rc = pond__lake_engine(lake, err);
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "SELECT data FROM pond_buffer WHERE catalog_name = ? AND table_uuid = ? AND id IN (");
	for (size_t i = 0; i < n; i++)
		pond_buf_printf(&sql, "%s%" PRId64, i ? ", " : "", group[i]->id);
	pond_buf_puts(&sql, ") ORDER BY id");
	if (rc == 0 && !pond_buf_ok(&sql))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	decode_rows d = {NULL, 0, err};
	if (rc == 0)
		rc = pond_spill_open(&d.spill, lake->engine, schema, err);
	if (rc == 0) {
		const char *params[] = {pond_catalog_name(lake->catalog), md->table_uuid};
		pond_error_clear(err);
		rc = pond_catalog_query(lake->catalog, pond_buf_cstr(&sql), params, 2, take_data, &d, err);
		if (rc && !err->msg[0])
			rc = pond_error_set(err, rc, "could not read the row buffer of table %s", md->table_uuid);
	}
	pond_buf_dispose(&sql);
	if (rc == 0 && d.found != n)
		rc = pond_error_set(err, POND_ECONFLICT, "buffered rows of table %s were flushed while being read",
		                    md->table_uuid);
	if (rc == 0)
		rc = pond_spill_close(d.spill, err);
	/* Written into a folder of its own, then renamed into place whole. */
	char write_id[37];
	pond_uuid_v4_string(write_id);
	pond_parquet_write_options wo = POND_PARQUET_WRITE_OPTIONS_INIT;
	wo.dir = pond_arena_sprintf(a, "%s.%s.tmp", path, write_id);
	if (rc == 0 && !wo.dir)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_written_file *files = NULL;
	size_t nfiles = 0;
	const char *rows = rc == 0 ? pond_arena_sprintf(a, "SELECT * FROM %s", pond_spill_table(d.spill)) : NULL;
	if (rc == 0 && !rows)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = pond_engine_write_parquet(lake->engine, rows, schema, &wo, a, &files, &nfiles, err);
	if (rc == 0 && nfiles != 1)
		rc = pond_error_set(err, POND_ERROR, "caching buffered rows of table %s: %zu files written, one expected",
		                    md->table_uuid, nfiles);
	if (rc == 0 && rename(files[0].path, path) != 0)
		rc = pond_error_set(err, POND_EIO, "could not rename %s: %s", files[0].path, strerror(errno));
	for (size_t i = 0; rc && i < nfiles; i++)
		unlink(files[i].path);
	if (wo.dir)
		rmdir(wo.dir);
	pond_spill_free(&d.spill);
	return rc;
}

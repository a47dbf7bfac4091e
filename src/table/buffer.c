/*
 * The row buffer: small appends do not become Parquet files and snapshots
 * of their own. Their rows are kept as a row of table pond_buffer in the
 * catalog database (base64 text in column data, so both backends bind it
 * as text), keyed by the table's uuid, in one of two forms (column form):
 * 'chunks', the data chunks of the append's query in pond's binary form
 * (buffer_chunks.c, src/engine/chunk_codec.c), which appends write; or
 * 'parquet', one small Parquet file with the table's field ids, which the
 * previous pond wrote and which is still read. Reads of the table's main
 * head add the buffered rows to the scan as files of their own in the
 * project's cache folder (.pond/cache/buffer), each written once: a
 * 'parquet' row's file copied out, and Parquet files (with the field ids
 * of the schema the rows were written with) of the 'chunks' rows, up to
 * 32 appends of one schema each, oldest first, so that a read after each
 * append writes only the newest again. A flush reads them all, writes
 * one append snapshot and deletes exactly those buffer rows in the catalog
 * transaction that swaps the metadata pointer, so a crash never shows a
 * row twice or loses it. Writes other than appends flush first, so they
 * see every row as data files. Other engines see the rows after a flush.
 */
#include "table_internal.h"

#include <assert.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const buffer_v1[] = {
	"CREATE TABLE IF NOT EXISTS pond_buffer ("
	"catalog_name VARCHAR(255) NOT NULL, "
	"table_uuid VARCHAR(64) NOT NULL, "
	"id BIGINT NOT NULL, "
	"table_namespace VARCHAR(255) NOT NULL, "
	"table_name VARCHAR(255) NOT NULL, "
	"schema_id INTEGER NOT NULL, "
	"record_count BIGINT NOT NULL, "
	"byte_count BIGINT NOT NULL, "
	"created_ms BIGINT NOT NULL, "
	"data TEXT NOT NULL, "
	"PRIMARY KEY (catalog_name, table_uuid, id))",
	"CREATE INDEX IF NOT EXISTS pond_buffer_names ON pond_buffer (catalog_name, table_namespace, table_name)",
};

/* The form a row's data is in: rows the previous pond wrote are Parquet. */
static const char *const buffer_v2[] = {
	"ALTER TABLE pond_buffer ADD COLUMN form VARCHAR(16) NOT NULL DEFAULT 'parquet'",
};

/* Append migrations; never edit a released one. */
static const pond_catalog_migration buffer_migrations[] = {
	{buffer_v1, sizeof(buffer_v1) / sizeof(buffer_v1[0])},
	{buffer_v2, sizeof(buffer_v2) / sizeof(buffer_v2[0])},
};

static const pond_catalog_schema buffer_schema = {
	"buffer", buffer_migrations, sizeof(buffer_migrations) / sizeof(buffer_migrations[0]),
};

/* The buffer's checksum is the sum of its ids modulo this prime, so that
 * the catalog database can sum them too (pond_table_buffer_stats). */
#define BUFFER_CHECKSUM_PRIME INT64_C(4294967291)


/* ---- policy (table properties) ---- */

/* A limit from the table's properties; a negative one is no limit set. */
static int64_t property_i64(const pond_iceberg_metadata *md, const char *key, int64_t fallback)
{
	int64_t n = pond_iceberg_metadata_property_i64(md, key, fallback);
	return n >= 0 ? n : fallback;
}

void pond_lake_set_write_through(pond_lake *lake, bool write_through)
{
	lake->write_through = write_through;
}

int64_t pond__buffer_max_rows(const pond_iceberg_metadata *md)
{
	if (!pond_iceberg_metadata_property_bool(md, POND_BUFFER_ENABLED, true))
		return 0;
	return property_i64(md, POND_BUFFER_INSERT_MAX_ROWS, POND_BUFFER_DEFAULT_INSERT_MAX_ROWS);
}

/* Whether the buffer's totals call for a flush. */
static bool over_limits(const pond_iceberg_metadata *md, const pond_buffer_stats *st, int64_t now_ms)
{
	if (st->batches == 0)
		return false;
	return st->records >= property_i64(md, POND_BUFFER_FLUSH_ROWS, POND_BUFFER_DEFAULT_FLUSH_ROWS) ||
	       st->bytes >= property_i64(md, POND_BUFFER_FLUSH_BYTES, POND_BUFFER_DEFAULT_FLUSH_BYTES) ||
	       st->batches >= property_i64(md, POND_BUFFER_FLUSH_BATCHES, POND_BUFFER_DEFAULT_FLUSH_BATCHES) ||
	       now_ms - st->oldest_ms >= property_i64(md, POND_BUFFER_FLUSH_AGE_MS, POND_BUFFER_DEFAULT_FLUSH_AGE_MS);
}

/* ---- reading the buffer ---- */

/* Whether pond_buffer exists; only a yes is remembered (another process
 * may create it while this lake is open). One that a previous pond made
 * is brought up to date first (its rows have no form: they are Parquet). */
static int buffer_exists(pond_lake *lake, bool *out, pond_error *err)
{
	if (lake->buffer_seen) {
		*out = true;
		return 0;
	}
	int rc = pond_catalog_has_table(lake->catalog, "pond_buffer", out, err);
	if (rc == 0 && *out)
		rc = pond_catalog_migrate(lake->catalog, &buffer_schema, err);
	lake->buffer_seen = rc == 0 && *out;
	return rc;
}

/* The project's folder of cached buffer files. */
static const char *cache_dir(pond_lake *lake, pond_arena *a)
{
	return pond_arena_sprintf(a, "%s/.pond/cache/buffer", lake->project->root);
}

static const char *cache_path(pond_lake *lake, const char *uuid, int64_t id, pond_arena *a)
{
	return pond_arena_sprintf(a, "%s/.pond/cache/buffer/%s-%" PRId64 ".parquet", lake->project->root, uuid, id);
}

typedef struct entry_rows {
	pond_arena *arena;
	pond__buffer *b;
	size_t cap;
	const char *location;   /* the table's metadata location as the catalog holds it */
	bool table_found;
} entry_rows;

/* One row of the table's catalog row joined to its buffer rows: the
 * metadata location, then one buffered append (NULLs when none). */
static int take_entry(int ncols, const char *const *names, const char *const *values, void *payload)
{
	(void)names;
	entry_rows *r = payload;
	pond__buffer *b = r->b;
	if (ncols < 7)
		return POND_ECORRUPT;
	if (!r->table_found && values[0] && !(r->location = pond_arena_strdup(r->arena, values[0])))
		return POND_ENOMEM;
	r->table_found = true;
	if (!values[1])
		return 0;
	if (!pond_arena_grow(r->arena, (void **)&b->entries, b->n, &r->cap, sizeof(*b->entries)))
		return POND_ENOMEM;
	pond__buffered *e = &b->entries[b->n];
	memset(e, 0, sizeof(*e));
	if (!pond_str_to_i64(values[1], &e->id) || !values[2] || !pond_str_to_i64(values[2], &e->record_count) ||
	    !values[3] || !pond_str_to_i64(values[3], &e->byte_count) || !values[4] ||
	    !pond_str_to_i64(values[4], &e->created_ms))
		return POND_ECORRUPT;
	int64_t schema_id;
	if (!values[5] || !pond_str_to_i64(values[5], &schema_id) || schema_id < 0 || schema_id > INT32_MAX || !values[6])
		return POND_ECORRUPT;
	e->schema_id = (int32_t)schema_id;
	if (strcmp(values[6], POND__BUFFER_CHUNKS) == 0)
		e->chunks = true;
	else if (strcmp(values[6], POND__BUFFER_PARQUET) != 0)
		return POND_ECORRUPT;
	b->n++;
	b->stats.batches++;
	b->stats.records += e->record_count;
	b->stats.bytes += e->byte_count;
	b->stats.checksum += (uint64_t)(e->id % BUFFER_CHECKSUM_PRIME);
	if (b->stats.batches == 1 || e->created_ms < b->stats.oldest_ms)
		b->stats.oldest_ms = e->created_ms;
	return 0;
}

typedef struct blob_row {
	char *text;
} blob_row;

static int take_blob(int ncols, const char *const *names, const char *const *values, void *payload)
{
	(void)names;
	blob_row *r = payload;
	if (ncols < 1 || !values[0] || r->text)
		return POND_ECORRUPT;
	return (r->text = pond_strdup(values[0])) ? 0 : POND_ENOMEM;
}

/* Copies entry e of the table into the cache (once: ids are never reused). */
static int materialize(pond_lake *lake, const char *uuid, pond__buffered *e, pond_arena *a, pond_error *err)
{
	if (pond_file_exists(e->path))
		return 0;
	char id[24];
	snprintf(id, sizeof(id), "%" PRId64, e->id);
	const char *params[] = {pond_catalog_name(lake->catalog), uuid, id};
	blob_row row = {NULL};
	int rc = pond_catalog_query(lake->catalog,
	                            "SELECT data FROM pond_buffer WHERE catalog_name = ? AND table_uuid = ? AND "
	                            "id = CAST(? AS BIGINT)",
	                            params, 3, take_blob, &row, err);
	if (rc == 0 && !row.text)
		rc = pond_error_set(err, POND_ECONFLICT, "buffered rows %s were flushed while being read", id);
	unsigned char *bytes = NULL;
	size_t len = 0;
	if (rc == 0)
		rc = pond_base64_decode(&bytes, &len, row.text, err);
	pond_free(row.text);
	const char *dir = rc == 0 ? cache_dir(lake, a) : NULL;
	if (rc == 0 && !dir)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = pond_mkdirs(dir, err);
	if (rc == 0)
		rc = pond_file_write_atomic(e->path, bytes, len, err);
	pond_free(bytes);
	return rc;
}

/* 'chunks' rows per cache file: a read after each append writes at most
 * this many rows' file anew, not every buffered row's. */
#define CHUNKS_PER_FILE 32

/* Oldest first (creation time, then id): appends only add at the end, so
 * the segments before the last stay the same from one state to the next. */
static int by_creation(const void *pa, const void *pb)
{
	const pond__buffered *a = *(const pond__buffered *const *)pa, *b = *(const pond__buffered *const *)pb;
	if (a->created_ms != b->created_ms)
		return a->created_ms < b->created_ms ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* The cache file of the 'chunks' rows group[0..n): its name says which
 * rows it holds (schema, count and a hash of their ids, in that order), so
 * that readers of the same rows share it and other rows get another. */
static const char *chunks_path(const char *dir, const pond_iceberg_metadata *md, pond__buffered *const *group,
                               size_t n, pond_arena *a)
{
	uint64_t hash = UINT64_C(14695981039346656037);  /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 8; k++)
			hash = (hash ^ (uint8_t)((uint64_t)group[i]->id >> (8 * k))) * UINT64_C(1099511628211);
	return pond_arena_sprintf(a, "%s/%s-c%" PRId32 "-%zu-%016" PRIx64 ".parquet", dir, md->table_uuid,
	                          group[0]->schema_id, n, hash);
}

/* The cache files of the 'chunks' rows of out's state that share entry
 * first's schema (first is the first of them): oldest first, a file per
 * CHUNKS_PER_FILE rows, so that a read after each append writes only the
 * last one anew; but the rows of every segment no file holds yet go into
 * one new file (a flush, or a first read, writes one file). */
static int chunks_group(pond_lake *lake, const pond_iceberg_metadata *md, pond__buffer *out, size_t first,
                        bool materialize_files, pond_arena *a, pond_error *err)
{
	int32_t schema_id = out->entries[first].schema_id;
	pond__buffered **group = pond_arena_calloc(a, out->n, sizeof(*group));
	pond__buffered **missing = pond_arena_calloc(a, out->n, sizeof(*missing));
	const char *dir = cache_dir(lake, a);
	if (!group || !missing || !dir)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	size_t n = 0, nmissing = 0, segments_missing = 0;
	for (size_t i = first; i < out->n; i++)
		if (out->entries[i].chunks && out->entries[i].schema_id == schema_id)
			group[n++] = &out->entries[i];
	qsort(group, n, sizeof(*group), by_creation);
	for (size_t at = 0; at < n; at += CHUNKS_PER_FILE) {
		size_t count = n - at < CHUNKS_PER_FILE ? n - at : CHUNKS_PER_FILE;
		const char *path = chunks_path(dir, md, group + at, count, a);
		if (!path)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		for (size_t i = at; i < at + count; i++)
			group[i]->path = path;
		if (materialize_files && !pond_file_exists(path)) {
			memcpy(missing + nmissing, group + at, count * sizeof(*missing));
			nmissing += count;
			segments_missing++;
		} else {
			out->ntasks++;
		}
	}
	if (nmissing == 0)
		return 0;
	const char *path = segments_missing == 1 ? missing[0]->path : chunks_path(dir, md, missing, nmissing, a);
	if (!path)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < nmissing; i++)
		missing[i]->path = path;
	out->ntasks++;
	if (pond_file_exists(path))
		return 0;
	int rc = pond_mkdirs(dir, err);
	return rc ? rc : pond__buffer_chunks_cache(lake, md, (const pond__buffered *const *)missing, nmissing, path, a,
	                                           err);
}

int pond__buffer_load(pond__buffer *out, pond_lake *lake, const pond_table *table, bool materialize_files,
                      pond_arena *a, pond_error *err)
{
	const pond_iceberg_metadata *md = table->metadata;
	memset(out, 0, sizeof(*out));
	out->signature = "";
	bool exists;
	int rc = buffer_exists(lake, &exists, err);
	if (rc || !exists || !md->table_uuid)
		return rc;
	/* The table's catalog row and its buffer rows in one statement, so one
	 * state: a flush swaps the one and deletes the others together. */
	const char *ns = pond_ns_to_string(a, &table->ident.ns);
	if (!ns)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	const char *params[] = {md->table_uuid, pond_catalog_name(lake->catalog), ns, table->ident.name};
	entry_rows rows = {a, out, 0, NULL, false};
	rc = pond_catalog_query(lake->catalog,
	                        "SELECT t.metadata_location, b.id, b.record_count, b.byte_count, b.created_ms, "
	                        "b.schema_id, b.form "
	                        "FROM iceberg_tables t LEFT JOIN pond_buffer b ON b.catalog_name = t.catalog_name "
	                        "AND b.table_uuid = ? WHERE t.catalog_name = ? AND t.table_namespace = ? "
	                        "AND t.table_name = ? ORDER BY b.id",
	                        params, 4, take_entry, &rows, err);
	if (rc == POND_ENOMEM || rc == POND_ECORRUPT)
		return pond_error_set(err, rc, "could not read the row buffer of table %s", md->table_uuid);
	/* For a read: the metadata read before is no longer the table's, so a
	 * flush (or another commit) came between; the caller reads again. */
	const char *recorded = table->catalog_location ? table->catalog_location : table->metadata_location;
	if (rc == 0 && materialize_files && (!rows.location || strcmp(rows.location, recorded) != 0))
		return pond_error_set(err, POND_ECONFLICT, "table %s changed while its buffered rows were read",
		                      pond_table_ident_format(a, &table->ident));
	for (size_t i = 0; i < out->n && rc == 0; i++) {
		pond__buffered *e = &out->entries[i];
		if (e->chunks)
			continue;
		out->ntasks++;
		if (!(e->path = cache_path(lake, md->table_uuid, e->id, a)))
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		else if (materialize_files)
			rc = materialize(lake, md->table_uuid, e, a, err);
	}
	for (size_t i = 0; i < out->n && rc == 0; i++)
		if (out->entries[i].chunks && !out->entries[i].path)
			rc = chunks_group(lake, md, out, i, materialize_files, a, err);
	if (rc == 0 && out->n &&
	    !(out->signature = pond_arena_sprintf(a, "#buffer:%" PRId64 ":%016" PRIx64, out->stats.batches,
	                                          out->stats.checksum)))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	return rc;
}

int pond__buffer_tasks(const pond__buffer *b, pond_arena *a, pond_scan_task **out)
{
	*out = NULL;
	if (b->ntasks == 0)
		return 0;
	pond_scan_task *t = pond_arena_calloc(a, b->ntasks, sizeof(*t));
	if (!t)
		return POND_ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < b->n; i++) {
		/* The 'chunks' rows of one schema share one file. */
		size_t k = 0;
		while (k < n && strcmp(t[k].path, b->entries[i].path) != 0)
			k++;
		if (k == n) {
			assert(n < b->ntasks);
			t[n].path = b->entries[i].path;
			t[n].file_format = "PARQUET";
			/* Buffered files hold every column, identity partition
			 * sources included: no spec fills any of them. */
			t[n].spec_id = -1;
			t[n].sequence_number = INT64_MAX;
			n++;
		}
		t[k].record_count += b->entries[i].record_count;
		t[k].file_size_in_bytes += b->entries[i].byte_count;
	}
	*out = t;
	return 0;
}

typedef struct stats_row {
	pond_buffer_stats *st;
	bool found;
} stats_row;

static int take_stats(int ncols, const char *const *names, const char *const *values, void *payload)
{
	(void)names;
	stats_row *r = payload;
	pond_buffer_stats *st = r->st;
	int64_t checksum = 0;
	if (ncols < 5 || !values[0] || !pond_str_to_i64(values[0], &st->batches))
		return POND_ECORRUPT;
	r->found = true;
	if (st->batches == 0)
		return 0;
	if (!values[1] || !pond_str_to_i64(values[1], &st->records) || !values[2] ||
	    !pond_str_to_i64(values[2], &st->bytes) || !values[3] || !pond_str_to_i64(values[3], &st->oldest_ms) ||
	    !values[4] || !pond_str_to_i64(values[4], &checksum))
		return POND_ECORRUPT;
	st->checksum = (uint64_t)checksum;
	return 0;
}

int pond_table_buffer_stats(pond_lake *lake, const pond_table *table, pond_buffer_stats *out, pond_error *err)
{
	/* Totals the catalog database adds up: an append's check for a flush
	 * reads one row, not every buffered append's. */
	memset(out, 0, sizeof(*out));
	const char *uuid = table->metadata->table_uuid;
	bool exists;
	int rc = buffer_exists(lake, &exists, err);
	if (rc || !exists || !uuid)
		return rc;
	const char *params[] = {pond_catalog_name(lake->catalog), uuid};
	stats_row row = {out, false};
	rc = pond_catalog_query(lake->catalog,
	                        "SELECT count(*), sum(record_count), sum(byte_count), min(created_ms), "
	                        "sum(id % 4294967291) FROM pond_buffer WHERE catalog_name = ? AND table_uuid = ?",
	                        params, 2, take_stats, &row, err);
	if (rc == 0 && !row.found)
		rc = POND_ECORRUPT;
	if (rc == POND_ENOMEM || rc == POND_ECORRUPT)
		rc = pond_error_set(err, rc, "could not read the row buffer of table %s", uuid);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* ---- buffering an append ---- */

int pond__buffer_insert(pond__write *w, const char *form, int64_t records, const void *bytes, size_t len,
                        int64_t *entry_id, pond_error *err)
{
	int rc = pond_catalog_migrate(w->lake->catalog, &buffer_schema, err);
	pond_buf text = POND_BUF_INIT;
	if (rc == 0) {
		pond_base64_encode(&text, bytes, len);
		if (!pond_buf_ok(&text))
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	char id[24], schema_id[16], nrec[24], nbytes[24], now[24];
	int64_t new_id = pond_random_i63();
	snprintf(id, sizeof(id), "%" PRId64, new_id);
	snprintf(schema_id, sizeof(schema_id), "%" PRId32, w->schema->schema_id);
	snprintf(nrec, sizeof(nrec), "%" PRId64, records);
	snprintf(nbytes, sizeof(nbytes), "%zu", len);
	snprintf(now, sizeof(now), "%" PRId64, pond_time_now_ms());
	const char *ns = pond_ns_to_string(w->arena, &w->id->ns);
	if (rc == 0 && !ns)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	const char *params[] = {pond_catalog_name(w->lake->catalog), w->md->table_uuid, id, ns, w->id->name, schema_id,
	                        nrec, nbytes, now, pond_buf_cstr(&text), form, pond_catalog_name(w->lake->catalog), ns,
	                        w->id->name};
	long changes = 0;
	/* Only while the table is in the catalog: rows buffered for a table
	 * dropped meanwhile would wait for nobody. */
	if (rc == 0)
		rc = pond_catalog_exec(w->lake->catalog,
		                       "INSERT INTO pond_buffer (catalog_name, table_uuid, id, table_namespace, table_name, "
		                       "schema_id, record_count, byte_count, created_ms, data, form) SELECT ?, ?, "
		                       "CAST(? AS BIGINT), ?, ?, CAST(? AS INTEGER), CAST(? AS BIGINT), CAST(? AS BIGINT), "
		                       "CAST(? AS BIGINT), ?, ? WHERE EXISTS (SELECT 1 FROM iceberg_tables WHERE "
		                       "catalog_name = ? AND table_namespace = ? AND table_name = ?)",
		                       params, 14, &changes, err);
	if (rc == 0 && changes != 1)
		rc = pond_error_set(err, POND_ENOTFOUND, "table %s was dropped while rows were written to it", w->name);
	pond_buf_dispose(&text);
	if (rc == 0 && entry_id)
		*entry_id = new_id;
	if (rc && rc != POND_ENOMEM && rc != POND_ENOTFOUND)
		pond_error_prefix(err, "could not buffer rows of %s", w->name);
	return rc;
}

/* The append's rows as one Parquet file: the written file itself when
 * there is one and no partition left a column out of it, else the files
 * read back (partition values filled) and written again, unsplit. */
static int one_file(pond__write *w, const char *dir, const pond_written_file *files, size_t nfiles,
                    const char **path, pond_error *err)
{
	if (nfiles == 1 && (!w->spec || w->spec->nfields == 0)) {
		*path = files[0].path;
		return 0;
	}
	pond_data_file *dfs;
	int rc = pond__write_data_files(w, files, nfiles, &dfs, err);
	pond_scan_task *tasks = pond_arena_calloc(w->arena, nfiles, sizeof(*tasks));
	const pond_scan_task **ptrs = pond_arena_calloc(w->arena, nfiles, sizeof(*ptrs));
	if (rc == 0 && (!tasks || !ptrs))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < nfiles && rc == 0; i++) {
		tasks[i].path = dfs[i].file_path;
		tasks[i].file_format = "PARQUET";
		tasks[i].record_count = dfs[i].record_count;
		tasks[i].file_size_in_bytes = dfs[i].file_size_in_bytes;
		tasks[i].spec_id = dfs[i].spec_id;
		tasks[i].npartition = dfs[i].npartition;
		tasks[i].partition = dfs[i].partition;
		ptrs[i] = &tasks[i];
	}
	pond_buf sql = POND_BUF_INIT;
	if (rc == 0)
		rc = pond__scan_sql_tasks(&sql, w->lake->engine, w->md, w->io, w->schema, ptrs, nfiles, false, err);
	pond_parquet_write_options wo = POND_PARQUET_WRITE_OPTIONS_INIT;
	wo.dir = pond_arena_sprintf(w->arena, "%s/buffer", dir);
	pond_written_file *out = NULL;
	size_t nout = 0;
	if (rc == 0 && !wo.dir)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = pond_engine_write_parquet(w->lake->engine, pond_buf_cstr(&sql), w->schema, &wo, w->arena, &out, &nout,
		                               err);
	pond_buf_dispose(&sql);
	if (rc == 0 && nout != 1)
		rc = pond_error_set(err, POND_ERROR, "buffering rows of %s: %zu files written, one expected", w->name, nout);
	if (rc == 0)
		*path = out[0].path;
	return rc;
}

int pond__buffer_put_parquet(pond__write *w, const char *dir, const pond_written_file *files, size_t nfiles,
                             pond_error *err)
{
	int64_t records = 0;
	for (size_t i = 0; i < nfiles; i++)
		records += files[i].record_count;
	const char *path = NULL;
	int rc = one_file(w, dir, files, nfiles, &path, err);
	char *bytes = NULL;
	size_t len = 0;
	if (rc == 0)
		rc = pond_file_read(&bytes, &len, path, POND__BUFFER_MAX_BYTES, err);
	int64_t entry_id = 0;
	if (rc == 0)
		rc = pond__buffer_insert(w, POND__BUFFER_PARQUET, records, bytes, len, &entry_id, err);
	/* The file itself becomes the cached copy (a rename: no second write;
	 * across file systems it is copied from the catalog when read). */
	const char *cached = rc == 0 ? cache_path(w->lake, w->md->table_uuid, entry_id, w->arena) : NULL;
	const char *folder = cached ? cache_dir(w->lake, w->arena) : NULL;
	pond_error ignored = POND_ERROR_INIT;
	if (folder && pond_mkdirs(folder, &ignored) == 0)
		(void)rename(path, cached);
	pond_free(bytes);
	return rc;
}

/* ---- flushing ---- */

/* Cached copies older than this that are no longer buffered are removed. */
#define CACHE_KEEP_MS (60 * 60 * 1000)

typedef struct cache_sweep {
	const char *uuid;
	size_t ulen;
	int64_t now_ms;
	pond__path_map live;   /* cache paths of the buffer's entries */
} cache_sweep;

static int sweep_entry(const char *path, const char *name, const struct stat *st, void *payload)
{
	cache_sweep *c = payload;
	bool ours = strncmp(name, c->uuid, c->ulen) == 0 && name[c->ulen] == '-';
	if (ours && S_ISREG(st->st_mode) && c->now_ms - (int64_t)st->st_mtime * 1000 >= CACHE_KEEP_MS &&
	    !pond__path_map_get(&c->live, path, NULL))
		unlink(path);
	return 0;
}

/* Removes the cached copies of w's table that are no longer in its buffer
 * and are old (a read that bound them may still run); best effort. */
static void collect_cache(pond__write *w)
{
	pond__buffer b;
	pond_error ignored = POND_ERROR_INIT;
	cache_sweep c = {w->md->table_uuid, strlen(w->md->table_uuid), pond_time_now_ms(), {0}};
	const char *dir = cache_dir(w->lake, w->arena);
	bool ok = dir && pond__buffer_load(&b, w->lake, w->table, false, w->arena, &ignored) == 0;
	for (size_t i = 0; ok && i < b.n; i++)
		ok = pond__path_map_put(&c.live, b.entries[i].path, 1) == 0;
	if (ok)
		pond_dir_each(dir, sweep_entry, &c);
	pond__path_map_dispose(&c.live);
}

typedef struct flush_ids {
	const pond__buffer *b;
	const char *uuid;
} flush_ids;

/* In the commit's transaction: removes exactly the flushed rows, all of
 * them or none (another flush took them first: the commit is undone). */
static int delete_flushed(pond_catalog *catalog, void *payload, pond_error *err)
{
	flush_ids *f = payload;
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "DELETE FROM pond_buffer WHERE catalog_name = ? AND table_uuid = ? AND id IN (");
	for (size_t i = 0; i < f->b->n; i++)
		pond_buf_printf(&sql, "%s%" PRId64, i ? ", " : "", f->b->entries[i].id);
	pond_buf_puts(&sql, ")");
	const char *params[] = {pond_catalog_name(catalog), f->uuid};
	long changes = 0;
	int rc = pond_buf_ok(&sql) ? pond_catalog_exec(catalog, pond_buf_cstr(&sql), params, 2, &changes, err)
	                           : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&sql);
	if (rc == 0 && changes != (long)f->b->n)
		rc = pond_error_set(err, POND_ENOTFOUND, "the buffered rows were flushed by another writer");
	return rc;
}

/* The flush of a loaded write: every buffered row of w's table in one
 * append snapshot. With expected (a buffer signature), only when the
 * buffer is exactly that: *same says whether it was. */
static int flush_write(pond__write *w, const char *expected, bool *same, pond_write_result *out, pond_error *err)
{
	pond__buffer b;
	int rc = pond__buffer_load(&b, w->lake, w->table, true, w->arena, err);
	*same = rc == 0 && expected && strcmp(b.signature, expected) == 0;
	if (rc || b.n == 0 || (expected && !*same))
		return rc;
	pond_scan_task *tasks;
	const pond_scan_task **ptrs = pond_arena_calloc(w->arena, b.ntasks, sizeof(*ptrs));
	if (!ptrs || pond__buffer_tasks(&b, w->arena, &tasks) != 0)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < b.ntasks; i++)
		ptrs[i] = &tasks[i];
	pond_buf rows = POND_BUF_INIT;
	rc = pond__scan_sql_tasks(&rows, w->lake->engine, w->md, w->io, w->schema, ptrs, b.ntasks, false, err);
	flush_ids ids = {&b, w->md->table_uuid};
	pond__change change = {0};
	change.rows_sql = pond_buf_cstr(&rows);
	change.operation = "append";
	change.hook.fn = delete_flushed;
	change.hook.payload = &ids;
	if (rc == 0)
		rc = pond__write_commit_change(w, &change, out, err);
	pond_buf_dispose(&rows);
	if (rc == POND_ENOTFOUND && strstr(err->msg, "flushed by another writer")) {
		pond_error_clear(err);
		memset(out, 0, sizeof(*out));
		*same = false;
		return 0;
	}
	/* The cached copies stay: a read that bound them may still run.
	 * Old ones go (collect_cache). */
	if (rc == 0)
		collect_cache(w);
	return rc;
}

/* pond_table_flush; with expected, only a buffer that is exactly that
 * (*same says whether it was and was flushed). */
static int flush(pond_lake *lake, const pond_table_ident *id, const char *expected, bool *same,
                 pond_write_result *out, pond_error *err)
{
	int rc = 0;
	/* A conflict means another flush got in first: read again. */
	for (int attempt = 0; attempt < 10; attempt++) {
		memset(out, 0, sizeof(*out));
		pond__write w;
		if ((rc = pond__write_begin(&w, lake, id, NULL, err)) != 0)
			return rc;
		rc = flush_write(&w, expected, same, out, err);
		if (rc && rc != POND_ECONFLICT)
			pond__write_error(&w, err, "flush");
		pond__write_end(&w);
		if (rc != POND_ECONFLICT)
			break;
	}
	return rc;
}

int pond_table_flush(pond_lake *lake, const pond_table_ident *id, pond_write_result *out, pond_error *err)
{
	bool same;
	return flush(lake, id, NULL, &same, out, err);
}

int pond_table_has_buffered_rows(pond_lake *lake, const pond_table_ident *id, bool *out, pond_error *err)
{
	*out = false;
	bool exists;
	int rc = buffer_exists(lake, &exists, err);
	if (rc || !exists)
		return rc;
	pond_arena *a = pond_arena_new();
	const char *ns = a ? pond_ns_to_string(a, &id->ns) : NULL;
	if (!ns) {
		pond_arena_free(&a);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	const char *params[] = {pond_catalog_name(lake->catalog), ns, id->name};
	blob_row row = {NULL};
	rc = pond_catalog_query(lake->catalog,
	                        "SELECT 'y' FROM pond_buffer WHERE catalog_name = ? AND table_namespace = ? AND "
	                        "table_name = ? LIMIT 1",
	                        params, 3, take_blob, &row, err);
	*out = row.text != NULL;
	pond_free(row.text);
	pond_arena_free(&a);
	return rc;
}

/* The parent of snapshot_id (POND_ICEBERG_NO_SNAPSHOT for none or when
 * the table cannot be read). */
static int64_t parent_of(pond_lake *lake, const pond_table_ident *id, int64_t snapshot_id)
{
	pond_table *t = NULL;
	pond_error ignored = POND_ERROR_INIT;
	int64_t parent = POND_ICEBERG_NO_SNAPSHOT;
	if (pond_table_load(&t, lake, id, &ignored) == 0) {
		const pond_iceberg_snapshot *s = pond_iceberg_metadata_snapshot(t->metadata, snapshot_id);
		if (s && s->has_parent)
			parent = s->parent_snapshot_id;
	}
	pond_table_free(&t);
	return parent;
}

int pond__buffer_flush_first(pond_lake *lake, const pond_table_ident *id, const pond_write_options *opts,
                             pond_write_options *adjusted, const pond_write_options **use, pond_error *err)
{
	if (use)
		*use = opts;
	if (opts && opts->branch && strcmp(opts->branch, "main") != 0)
		return 0;
	bool any;
	int rc = pond_table_has_buffered_rows(lake, id, &any, err);
	if (rc || !any)
		return rc;
	pond_write_result r;
	bool same = false;
	const char *expected = opts && opts->has_read_snapshot && opts->read_buffer ? opts->read_buffer : NULL;
	if (expected && (rc = flush(lake, id, expected, &same, &r, err)) != 0)
		return rc;
	if (same && r.snapshot_id && use && parent_of(lake, id, r.snapshot_id) == opts->read_snapshot_id) {
		*adjusted = *opts;
		adjusted->read_snapshot_id = r.snapshot_id;
		adjusted->read_buffer = NULL;
		*use = adjusted;
		return 0;
	}
	return same ? 0 : pond_table_flush(lake, id, &r, err);
}

void pond__buffer_after_put(pond__write *w)
{
	/* The rows are buffered (committed) whatever happens here: a failed
	 * flush is for the next one to do, not a failed append. */
	pond_buffer_stats st;
	pond_error err = POND_ERROR_INIT;
	pond_write_result r;
	int rc = pond_table_buffer_stats(w->lake, w->table, &st, &err);
	if (rc == 0 && over_limits(w->md, &st, pond_time_now_ms()))
		rc = pond_table_flush(w->lake, w->id, &r, &err);
	if (rc)
		pond_warn("%s: the buffered rows stay buffered: %s", w->name, err.msg);
}

int pond__buffer_forget(pond_lake *lake, const pond_table_ident *id, pond_error *err)
{
	bool exists;
	int rc = buffer_exists(lake, &exists, err);
	if (rc || !exists)
		return rc;
	pond_arena *a = pond_arena_new();
	const char *ns = a ? pond_ns_to_string(a, &id->ns) : NULL;
	const char *params[] = {pond_catalog_name(lake->catalog), ns, id->name};
	rc = ns ? pond_catalog_exec(lake->catalog,
	                            "DELETE FROM pond_buffer WHERE catalog_name = ? AND table_namespace = ? AND "
	                            "table_name = ?",
	                            params, 3, NULL, err)
	        : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_arena_free(&a);
	return rc;
}

typedef struct name_rows {
	pond_arena *arena;
	pond_table_ident *ids;
	size_t n, cap;
} name_rows;

static int take_name(int ncols, const char *const *names, const char *const *values, void *payload)
{
	(void)names;
	name_rows *r = payload;
	if (ncols < 2 || !values[0] || !values[1])
		return POND_ECORRUPT;
	if (!pond_arena_grow(r->arena, (void **)&r->ids, r->n, &r->cap, sizeof(*r->ids)))
		return POND_ENOMEM;
	pond_table_ident *id = &r->ids[r->n];
	if (pond_ns_parse(&id->ns, r->arena, values[0], NULL) != 0 || !(id->name = pond_arena_strdup(r->arena, values[1])))
		return POND_ENOMEM;
	r->n++;
	return 0;
}

int pond_lake_buffered_tables(pond_lake *lake, pond_arena *arena, pond_table_ident **out, size_t *n, pond_error *err)
{
	*out = NULL;
	*n = 0;
	bool exists;
	int rc = buffer_exists(lake, &exists, err);
	if (rc || !exists)
		return rc;
	const char *params[] = {pond_catalog_name(lake->catalog)};
	name_rows rows = {arena, NULL, 0, 0};
	rc = pond_catalog_query(lake->catalog,
	                        "SELECT DISTINCT table_namespace, table_name FROM pond_buffer WHERE catalog_name = ? "
	                        "ORDER BY 1, 2",
	                        params, 1, take_name, &rows, err);
	if (rc == POND_ENOMEM || rc == POND_ECORRUPT)
		return pond_error_set(err, rc, "could not list the tables with buffered rows");
	*out = rows.ids;
	*n = rows.n;
	return rc;
}

static int take_total(int ncols, const char *const *names, const char *const *values, void *payload)
{
	(void)names;
	int64_t n;
	if (ncols < 2 || !values[0] || !values[1] || !pond_str_to_i64(values[1], &n))
		return POND_ECORRUPT;
	return pond__path_map_put(payload, values[0], n) == 0 ? 0 : POND_ENOMEM;
}

int pond__buffer_records(pond_catalog *catalog, pond__path_map *records, pond_error *err)
{
	bool exists;
	int rc = pond_catalog_has_table(catalog, "pond_buffer", &exists, err);
	if (rc || !exists)
		return rc;
	const char *params[] = {pond_catalog_name(catalog)};
	rc = pond_catalog_query(catalog,
	                        "SELECT table_uuid, sum(record_count) FROM pond_buffer WHERE catalog_name = ? "
	                        "GROUP BY table_uuid",
	                        params, 1, take_total, records, err);
	if (rc == POND_ENOMEM || rc == POND_ECORRUPT)
		return pond_error_set(err, rc, "could not read the row buffer");
	return rc;
}

int pond_table_rename(pond_lake *lake, const pond_table_ident *from, const pond_table_ident *to, pond_error *err)
{
	bool exists;
	int rc = buffer_exists(lake, &exists, err);
	if (rc || !exists)
		return rc ? rc : pond_catalog_rename_table(lake->catalog, &from->ns, from->name, &to->ns, to->name, err);
	pond_arena *a = pond_arena_new();
	const char *from_ns = a ? pond_ns_to_string(a, &from->ns) : NULL;
	const char *to_ns = a ? pond_ns_to_string(a, &to->ns) : NULL;
	if (!from_ns || !to_ns) {
		pond_arena_free(&a);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	/* The buffered rows keep following the table: one transaction. */
	const char *params[] = {to_ns, to->name, pond_catalog_name(lake->catalog), from_ns, from->name};
	if ((rc = pond_catalog_tx_begin(lake->catalog, err)) == 0) {
		rc = pond_catalog_rename_table(lake->catalog, &from->ns, from->name, &to->ns, to->name, err);
		if (rc == 0)
			rc = pond_catalog_exec(lake->catalog,
			                       "UPDATE pond_buffer SET table_namespace = ?, table_name = ? WHERE "
			                       "catalog_name = ? AND table_namespace = ? AND table_name = ?",
			                       params, 5, NULL, err);
		if (rc == 0)
			rc = pond_catalog_tx_commit(lake->catalog, err);
		else
			pond_catalog_tx_rollback(lake->catalog);
	}
	pond_arena_free(&a);
	return rc;
}

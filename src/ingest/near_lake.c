/*
 * The NEAR Lake source: NEAR's indexer writes every block to an S3 bucket
 * as {height:012}/block.json and {height:012}/shard_N.json. A run lists
 * the heights after the last one loaded (ListObjectsV2 with delimiter "/"
 * and start-after: heights have gaps), up to max_blocks of them, fetches
 * each block and its shards one block at a time (memory holds one object,
 * never the run), writes the rows of three tables to temporary NDJSON
 * files, and loads each table in a commit of its own.
 *
 * Three commits cannot be one, so each table keeps its own state, the last
 * height it holds ({"height": H} in its snapshot summary, committed with
 * its rows): a run starts after the lowest of the three and gives a table
 * only the heights above its own. A run killed between two commits leaves
 * the tables at different heights; the next run brings the ones behind up
 * to the others, and nothing is loaded twice or skipped.
 */
#include "near.h"

#include <inttypes.h>
#include <string.h>
#include <unistd.h>

/* Objects are a block's JSON: a shard of a busy block is a few MB. */
#define NEAR_OBJECT_MAX ((size_t)256 << 20)

typedef struct {
	const near_config *cfg;
	int64_t after;        /* heights above this one */
	int64_t *heights;     /* in the run's arena */
	size_t n, cap;
	pond_arena *arena;
	bool oom;
} height_list;

/* A listing's common prefix: a height to load, until max_blocks. */
static int on_height(const char *prefix, void *payload)
{
	height_list *l = payload;
	int64_t h;
	if (!pond__near_height_prefix(prefix, &h) || h <= l->after)
		return 0;  /* not a block (or a server that ignores start-after) */
	if (!pond_arena_grow(l->arena, (void **)&l->heights, l->n, &l->cap, sizeof *l->heights)) {
		l->oom = true;
		return 1;
	}
	l->heights[l->n++] = h;
	return (int64_t)l->n >= l->cfg->max_blocks ? 1 : 0;  /* 1: enough, stop listing */
}

/* The heights to load: after `after`, in order, at most max_blocks. */
static int list_heights(height_list *l, pond_s3_client *client, pond_error *err)
{
	char start_after[32];
	/* Keys of height h+1 start with "{h+1:012}", which sorts after that
	 * bare name: starting after it lists h+1 and above. */
	snprintf(start_after, sizeof start_after, "%012" PRId64, l->after + 1);
	pond_s3_list_options o = POND_S3_LIST_OPTIONS_INIT;
	o.delimiter = "/";
	o.start_after = start_after;
	o.on_prefix = on_height;
	int rc = pond_s3_list_with(client, l->cfg->bucket, &o, NULL, l, err);
	if (l->oom)
		return pond_error_set(err, POND_ENOMEM, "out of memory listing s3://%s", l->cfg->bucket);
	return rc > 0 ? 0 : rc;
}

/* One object, parsed: *out is the caller's to release. */
static int get_json(json_t **out, pond_s3_client *client, const char *bucket, const char *key, const char *what,
                    int64_t *bytes, pond_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = pond_s3_get(client, bucket, key, 0, -1, &text, &len, NEAR_OBJECT_MAX, err);
	if (rc)
		return rc;
	*bytes += (int64_t)len;
	rc = pond_json_parse(out, text, len, what, err);
	pond_free(text);
	return rc;
}

typedef struct {
	const pond_source *s;
	const near_config *cfg;
	pond_s3_client *client;
	int64_t state[NEAR_NTABLES];   /* the last height each table holds */
	FILE *out[NEAR_NTABLES];
	const char *path[NEAR_NTABLES];
	int64_t rows[NEAR_NTABLES];
	int64_t bytes;
	ingest_progress progress;
	pond_arena *arena;
	pond_arena *block_arena;       /* what one block needs; reset for the next */
} near_run;

/* A block: its row, and its shards' rows for the tables that lack it. */
static int load_block(near_run *r, int64_t height, pond_error *err)
{
	const char *bucket = r->cfg->bucket;
	pond_arena *a = r->block_arena;
	pond_arena_reset(a);
	const char *key = pond_arena_sprintf(a, "%012" PRId64 "/block.json", height);
	const char *what = pond_arena_sprintf(a, "s3://%s/%s", bucket, key);
	if (!key || !what)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	json_t *block;
	int rc = get_json(&block, r->client, bucket, key, what, &r->bytes, err);
	if (rc)
		return rc;
	near_block b;
	FILE *bout = height > r->state[NEAR_BLOCKS] ? r->out[NEAR_BLOCKS] : NULL;
	rc = pond__near_block_row(bout, &b, block, height, what, a, err);
	json_decref(block);
	if (rc)
		return rc;
	r->rows[NEAR_BLOCKS] += bout ? 1 : 0;
	FILE *tx = height > r->state[NEAR_TRANSACTIONS] ? r->out[NEAR_TRANSACTIONS] : NULL;
	FILE *rx = height > r->state[NEAR_RECEIPTS] ? r->out[NEAR_RECEIPTS] : NULL;
	for (size_t i = 0; i < b.nchunks && (tx || rx) && rc == 0; i++) {
		key = pond_arena_sprintf(a, "%012" PRId64 "/shard_%zu.json", height, i);
		what = pond_arena_sprintf(a, "s3://%s/%s", bucket, key);
		json_t *shard;
		if (!key || !what)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		if ((rc = get_json(&shard, r->client, bucket, key, what, &r->bytes, err)) != 0)
			break;
		rc = pond__near_shard_rows(tx, rx, &r->rows[NEAR_TRANSACTIONS], &r->rows[NEAR_RECEIPTS], &b, shard, what, a,
		                           err);
		json_decref(shard);
	}
	return rc;
}

/* The last height table t holds, from its state ({"height": H}); -1 when
 * it has none (a new table loads from start_height). */
static int read_height(int64_t *out, pond_lake *lake, const pond_source *s, const char *table, pond_arena *a,
                       pond_error *err)
{
	json_t *state;
	*out = -1;
	int rc = pond__ingest_read_state(&state, lake, s, table, a, err);
	if (rc || !state)
		return rc;
	json_t *h = json_object_get(state, "height");
	if (json_is_integer(h)) {
		*out = json_integer_value(h);
	} else {
		char *text = pond_json_dumps(state, false);
		rc = pond_error_set(err, POND_ECORRUPT, "table %s: state of source %s has no height: %s", table, s->name,
		                    text ? text : "?");
		pond_free(text);
	}
	json_decref(state);
	return rc;
}

static int open_client(pond_s3_client **out, const near_config *cfg, const pond_ingest_options *opts,
                       int64_t stall_ms, pond_error *err)
{
	pond_s3_config s3;
	int rc = pond_s3_config_resolve(&s3, &cfg->s3, NULL, NULL, err);
	if (rc == 0) {
		pond_s3_client_options co = POND_S3_CLIENT_OPTIONS_INIT;
		co.requester_pays = cfg->requester_pays;
		if (stall_ms > 0 || opts->stall_timeout_ms > 0)
			co.stall_timeout_ms = stall_ms > 0 ? stall_ms : opts->stall_timeout_ms;
		rc = pond_s3_client_new(out, &s3, &co, err);
	}
	pond_s3_config_dispose(&s3);
	return rc;
}

/* Adds one table's load to the run's result. */
static void add_result(pond_ingest_result *result, const pond_ingest_result *one)
{
	result->rows += one->rows;
	result->added_records += one->added_records;
	result->deleted_records += one->deleted_records;
	result->replaced_records += one->replaced_records;
	result->created |= one->created;
	if (one->snapshot_id)
		result->snapshot_id = one->snapshot_id;
	for (size_t i = 0; i < one->nchanges; i++)
		pond__ingest_change(result, one->changes[i].kind, one->changes[i].column, one->changes[i].type);
}

/* Loads table t's rows with its new state, the last height listed. A
 * table with no new rows still commits the height, so that the next run
 * does not list these heights again for it. */
static int load_table(pond_lake *lake, near_run *r, near_table t, int64_t last, const pond_ingest_options *opts,
                      pond_ingest_result *result, pond_error *err)
{
	pond_arena *a = r->arena;
	const pond_ingest_write *w = &r->cfg->writes[t];
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "SELECT * FROM read_json(");
	pond_sql_quote_literal(&sql, r->path[t]);
	pond_buf_printf(&sql, ", format = 'newline_delimited', maximum_object_size = 268435456, columns = %s) AS near",
	                pond__near_columns[t]);
	const char *state = pond_arena_sprintf(a, "{\"height\": %" PRId64 "}", last);
	const char *what = pond_arena_sprintf(a, "%s rows of s3://%s", pond__near_table_suffix[t], r->cfg->bucket);
	pond_ingest_result one;
	memset(&one, 0, sizeof one);
	one.arena = a;
	ingest_load l = {.read_sql = pond_buf_cstr(&sql), .what = what, .tmp_path = r->path[t], .write = w,
	                 .state_key = pond__ingest_state_key(a, r->s->name), .state = state, .cancel = opts->cancel,
	                 .commit_empty = true};
	int rc = pond_buf_ok(&sql) && state && what ? pond__ingest_load(lake, &l, &one, err)
	                                            : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&sql);
	if (rc == 0) {
		one.rows = r->rows[t];
		add_result(result, &one);
		result->state = one.state ? one.state : result->state;
	} else {
		pond_error_prefix(err, "table %s", w->table);
	}
	return rc;
}

int pond__ingest_run_near(pond_lake *lake, const pond_source *s, const pond_ingest_options *opts,
                          pond_ingest_result *result, pond_error *err)
{
	const near_config *cfg = s->near;
	pond_arena *a = result->arena;
	near_run r;
	memset(&r, 0, sizeof r);
	r.s = s;
	r.cfg = cfg;
	r.arena = a;
	r.progress.opts = opts;
	r.progress.start_ns = pond_time_mono_ns();
	int rc = (r.block_arena = pond_arena_new()) ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
	int64_t after = INT64_MAX;
	for (int t = 0; t < NEAR_NTABLES && rc == 0; t++) {
		rc = read_height(&r.state[t], lake, s, cfg->writes[t].table, a, err);
		if (r.state[t] < 0)
			r.state[t] = cfg->start_height - 1;
		if (r.state[t] < after)
			after = r.state[t];
	}
	if (rc == 0)
		rc = open_client(&r.client, cfg, opts, s->stall_ms, err);
	height_list heights = {cfg, after, NULL, 0, 0, a, false};
	if (rc == 0)
		rc = list_heights(&heights, r.client, err);
	for (int t = 0; t < NEAR_NTABLES && rc == 0 && heights.n > 0; t++)
		rc = pond__ingest_tmpfile(&r.out[t], &r.path[t], opts->tmpdir, ".ndjson", a, err);
	for (size_t i = 0; i < heights.n && rc == 0; i++) {
		if ((rc = pond__ingest_check_cancel(opts, err)) == 0)
			rc = load_block(&r, heights.heights[i], err);
		pond__ingest_progress(&r.progress, r.rows[0] + r.rows[1] + r.rows[2], r.bytes, false);
	}
	for (int t = 0; t < NEAR_NTABLES && rc == 0 && heights.n > 0; t++)
		if (fflush(r.out[t]) != 0)
			rc = pond_error_set(err, POND_EIO, "could not write %s: %m", r.path[t]);
	if (r.client) {
		pond_s3_client_counts(r.client, &result->requests, &result->retries);
		result->bytes = r.bytes;
	}
	if (rc == 0 && heights.n > 0) {
		pond__ingest_progress(&r.progress, r.rows[0] + r.rows[1] + r.rows[2], r.bytes, true);
		int64_t last = heights.heights[heights.n - 1];
		/* Blocks first: a table's rows never run ahead of the blocks
		 * they belong to. */
		for (int t = 0; t < NEAR_NTABLES && rc == 0; t++)
			if (last > r.state[t])
				rc = load_table(lake, &r, (near_table)t, last, opts, result, err);
	}
	for (int t = 0; t < NEAR_NTABLES; t++) {
		if (r.out[t])
			fclose(r.out[t]);
		if (r.path[t])
			unlink(r.path[t]);
	}
	pond_s3_client_free(&r.client);
	pond_arena_free(&r.block_arena);
	return rc;
}

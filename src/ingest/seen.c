/*
 * Fan-out's seen ids: list-then-fetch APIs (Hacker News' top stories, a
 * shop's product ids) list ids in no order of arrival, so "ids above the
 * last maximum" misses an old id that first appears later. With
 * `fetch: unseen` a source keeps the ids it fetched in a table of the
 * catalog database, recorded in the transaction that commits their rows
 * (a failed or killed run records nothing), and fetches only ids not in
 * it; `refresh_within` fetches again ids first seen less than that long
 * ago, whose fields (scores, comment counts) still change.
 */
#include "ingest_internal.h"

#include <inttypes.h>
#include <string.h>

static const char *const seen_v1[] = {
	"CREATE TABLE IF NOT EXISTS pond_seen_ids ("
	"catalog_name VARCHAR(255) NOT NULL, "
	"source VARCHAR(255) NOT NULL, "
	"id VARCHAR(1024) NOT NULL, "
	"first_seen_ms BIGINT NOT NULL, "
	"last_fetched_ms BIGINT NOT NULL, "
	"PRIMARY KEY (catalog_name, source, id))",
};

/* Append migrations; never edit a released one. */
static const pond_catalog_migration seen_migrations[] = {
	{seen_v1, sizeof(seen_v1) / sizeof(seen_v1[0])},
};

static const pond_catalog_schema seen_schema = {
	"seen_ids", seen_migrations, sizeof(seen_migrations) / sizeof(seen_migrations[0]),
};

/* Ids looked up (or recorded) per statement. */
#define BATCH 200

/* The first-seen times of one batch's known ids, by id text. */
typedef struct {
	const char **ids;
	int64_t *first_seen;   /* -1: not seen */
	size_t n;
} seen_batch;

static int take_seen(int ncols, const char *const *names, const char *const *values, void *payload)
{
	(void)ncols, (void)names;
	seen_batch *b = payload;
	for (size_t i = 0; i < b->n; i++)
		if (values[0] && strcmp(b->ids[i], values[0]) == 0) {
			int64_t v = 0;
			b->first_seen[i] = values[1] && pond_str_to_i64(values[1], &v) ? v : 0;
		}
	return 0;
}

/* Looks up a batch of ids in the seen-set. */
static int lookup(pond_catalog *cat, const char *source, seen_batch *b, pond_arena *a, pond_error *err)
{
	const char **params = pond_arena_calloc(a, b->n + 2, sizeof(char *));
	pond_buf sql = POND_BUF_INIT;
	if (!params)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	params[0] = pond_catalog_name(cat);
	params[1] = source;
	pond_buf_puts(&sql, "SELECT id, first_seen_ms FROM pond_seen_ids WHERE catalog_name = ? AND source = ? AND id IN (");
	for (size_t i = 0; i < b->n; i++) {
		pond_buf_puts(&sql, i ? ", ?" : "?");
		params[i + 2] = b->ids[i];
		b->first_seen[i] = -1;
	}
	pond_buf_putc(&sql, ')');
	int rc = pond_buf_ok(&sql) ? pond_catalog_query(cat, pond_buf_cstr(&sql), params, b->n + 2, take_seen, b, err)
	                           : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&sql);
	return rc;
}

int pond__ingest_seen_plan(pond_lake *lake, const pond_source *s, json_t *ids, ingest_seen *seen,
                           pond_arena *arena, pond_error *err)
{
	pond_catalog *cat = pond_lake_catalog(lake);
	size_t nids = json_array_size(ids);
	seen->fetch = json_array();
	seen->nnew = seen->nrefresh = seen->nunchanged = 0;
	const char **texts = pond_arena_calloc(arena, nids ? nids : 1, sizeof(char *));
	int64_t *first = pond_arena_calloc(arena, nids ? nids : 1, sizeof(int64_t));
	seen->texts = pond_arena_calloc(arena, nids ? nids : 1, sizeof(char *));
	if (!seen->fetch || !texts || !first || !seen->texts)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	int rc = pond_catalog_migrate(cat, &seen_schema, err);
	for (size_t i = 0; i < nids && rc == 0; i++)
		if (!(texts[i] = pond__ingest_json_scalar_text(json_array_get(ids, i), arena)))
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t from = 0; from < nids && rc == 0; from += BATCH) {
		seen_batch b = {texts + from, first + from, nids - from < BATCH ? nids - from : BATCH};
		rc = lookup(cat, seen->source, &b, arena, err);
	}
	for (size_t i = 0; i < nids && rc == 0; i++) {
		bool fresh = s->refresh_ms > 0 && first[i] >= 0 && seen->now_ms - first[i] < s->refresh_ms;
		if (first[i] < 0)
			seen->nnew++;
		else if (fresh)
			seen->nrefresh++;
		else {
			seen->nunchanged++;
			continue;
		}
		seen->texts[json_array_size(seen->fetch)] = texts[i];
		if (json_array_append(seen->fetch, json_array_get(ids, i)) != 0)
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	if (rc && rc != POND_ENOMEM)
		pond_error_prefix(err, "source %s: could not read the ids it fetched before", seen->source);
	return rc;
}

/* Records one batch: new ids with now as first seen, known ones keep it. */
static int record_batch(pond_catalog *cat, const ingest_seen *seen, size_t from, size_t n, pond_arena *a,
                        pond_error *err)
{
	const char **params = pond_arena_calloc(a, n * 5, sizeof(char *));
	const char *now = pond_arena_sprintf(a, "%" PRId64, seen->now_ms);
	pond_buf sql = POND_BUF_INIT;
	if (!params || !now)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_puts(&sql, "INSERT INTO pond_seen_ids (catalog_name, source, id, first_seen_ms, last_fetched_ms) VALUES ");
	for (size_t i = 0; i < n; i++) {
		pond_buf_puts(&sql, i ? ", (?, ?, ?, CAST(? AS BIGINT), CAST(? AS BIGINT))"
		                      : "(?, ?, ?, CAST(? AS BIGINT), CAST(? AS BIGINT))");
		const char **p = params + 5 * i;
		p[0] = pond_catalog_name(cat);
		p[1] = seen->source;
		p[2] = seen->texts[from + i];
		p[3] = now;
		p[4] = now;
	}
	pond_buf_puts(&sql, " ON CONFLICT (catalog_name, source, id) DO UPDATE SET last_fetched_ms = "
	                    "excluded.last_fetched_ms");
	int rc = pond_buf_ok(&sql) ? pond_catalog_exec(cat, pond_buf_cstr(&sql), params, n * 5, NULL, err)
	                           : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&sql);
	return rc;
}

int pond__ingest_seen_record(pond_catalog *catalog, void *payload, pond_error *err)
{
	const ingest_seen *seen = payload;
	size_t n = json_array_size(seen->fetch);
	pond_arena *a = pond_arena_new();
	int rc = a ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t from = 0; from < n && rc == 0; from += BATCH)
		rc = record_batch(catalog, seen, from, n - from < BATCH ? n - from : BATCH, a, err);
	pond_arena_free(&a);
	if (rc && rc != POND_ENOMEM)
		pond_error_prefix(err, "source %s: could not record the ids it fetched", seen->source);
	return rc;
}

void pond__ingest_seen_dispose(ingest_seen *seen)
{
	json_decref(seen->fetch);
	seen->fetch = NULL;
}

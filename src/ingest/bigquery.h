/*
 * Internals of the BigQuery source (type: bigquery): the source's
 * settings, the service-account key and the signed assertion exchanged
 * for an access token (bigquery_auth.c), BigQuery's result schema and
 * cell values turned into NDJSON rows DuckDB reads with exact types
 * (bigquery_value.c), and a run's requests (bigquery.c). Unit tests reach
 * them through this header.
 */
#ifndef POND_INGEST_BIGQUERY_H
#define POND_INGEST_BIGQUERY_H

#include "ingest_internal.h"

#define BQ_DEFAULT_ENDPOINT "https://bigquery.googleapis.com"
#define BQ_SCOPE "https://www.googleapis.com/auth/bigquery.readonly"
#define BQ_DEFAULT_PAGE_SIZE 10000
#define BQ_DEFAULT_TIMEOUT_MS 60000
/* BigQuery nests STRUCTs at most 15 deep; more is refused. */
#define BQ_MAX_DEPTH 15

typedef struct bq_config {
	const char *key_file; /* a path (relative to the project), or the key's JSON itself */
	const char *project;  /* NULL: the key's project_id */
	const char *query;    /* standard SQL, or ... */
	const char *from;     /* ... dataset.table or project.dataset.table */
	const char *location; /* NULL: BigQuery's default */
	const char *endpoint; /* BQ_DEFAULT_ENDPOINT unless given */
	int64_t page_size;    /* maxResults per page */
} bq_config;

/* Checks the settings a source file and the command line share, and
 * completes them: the endpoint defaulted and without trailing slashes
 * (in arena). POND_EINVAL with *bad the setting ("project", "endpoint")
 * when one is wrong, the caller saying so in its own words; POND_ENOMEM
 * with err set. */
int pond__bq_config_check(bq_config *b, const char **bad, pond_arena *arena, pond_error *err);
/* Whether from names a table: dataset.table or project.dataset.table, no
 * empty part, nothing BigQuery's backticks would need escaped. */
bool pond__bq_table_name_ok(const char *from);
/* Whether key_file holds the key's JSON itself rather than a path. */
bool pond__bq_key_is_json(const char *key_file);
/* Whether name can go inside backticks as it is (no backtick, backslash
 * or line break). */
bool pond__bq_plain_name(const char *name);

/* ---- the service-account key and its token (bigquery_auth.c) --------------------------- */

typedef struct {
	const char *project_id;
	const char *private_key_id;
	const char *private_key; /* PEM */
	const char *client_email;
	const char *token_uri;
} bq_key;

/* Reads a service-account key (JSON text of len bytes; what names it in
 * errors); strings in arena. */
int pond__bq_key_parse(bq_key *out, const char *text, size_t len, const char *what, pond_arena *arena, pond_error *err);
/* The signed assertion for key at now_s (valid an hour), pond_malloc'd. */
int pond__bq_assertion(char **out, const bq_key *key, int64_t now_s, pond_error *err);
/* The message of a Google error body: {"error": {"message"}} (APIs) or
 * {"error", "error_description"} (OAuth); NULL when it has none. In arena. */
const char *pond__bq_error_message(const char *body, size_t len, pond_arena *arena);

/* ---- schema and values (bigquery_value.c) ----------------------------------------------- */

typedef enum {
	BQ_STRING, /* STRING, JSON, GEOGRAPHY, INTERVAL, RANGE, BIGNUMERIC and unknown types: text */
	BQ_INT64,
	BQ_FLOAT64,
	BQ_NUMERIC, /* decimal(38, 9) */
	BQ_BOOL,
	BQ_BYTES,
	BQ_TIMESTAMP,
	BQ_DATE,
	BQ_TIME,
	BQ_DATETIME,
	BQ_RECORD,
} bq_kind;

typedef struct bq_field {
	const char *name;
	const char *type; /* as BigQuery names it */
	bq_kind kind;
	bool repeated;           /* mode REPEATED: a list */
	struct bq_field *fields; /* RECORD */
	size_t nfields;
} bq_field;

/* The fields of a result's schema ({"fields": [...]}); in arena. */
int pond__bq_schema_parse(bq_field **out, size_t *n, const json_t *schema, pond_arena *arena, pond_error *err);
/* The DuckDB type f reads as: BIGINT, DECIMAL(38,9), STRUCT("a" ...)[], ...
 * BYTES are VARCHAR here (base64) and become BLOB in pond__bq_select. */
void pond__bq_duck_type(pond_buf *out, const bq_field *f);
/* The select list over the NDJSON columns: each column as is, or with
 * its BYTES (at any depth) decoded from base64. */
void pond__bq_select(pond_buf *out, const bq_field *fields, size_t n);
/* Microseconds since the epoch of a TIMESTAMP cell ("1.7123456789E9":
 * seconds as a decimal, read exactly); false when it is not one. */
bool pond__bq_timestamp_us(const char *text, int64_t *out);
/* One row ({"f": [{"v": ...}, ...]}) as an NDJSON object line (no
 * newline) appended to out. On a bad value: POND_ECORRUPT with err
 * naming the column (a.b for nested) and what the value is not. */
int pond__bq_row(pond_buf *out, const bq_field *fields, size_t n, const json_t *row, pond_error *err);

#endif

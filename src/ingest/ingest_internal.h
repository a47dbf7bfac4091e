/*
 * Internals shared by the ingest layer's files: the source definition as
 * parsed from YAML, the loader every source ends in, HTTP with retries and
 * rate limits, pagination, JSON paths, and the small parsers (Link,
 * Retry-After) that unit tests reach through this header.
 */
#ifndef POND_INGEST_INTERNAL_H
#define POND_INGEST_INTERNAL_H

#include <stdio.h>

#include <curl/curl.h>
#include <jansson.h>

#include "pond/ingest.h"

/* ---- the source definition ---------------------------------------------------- */

typedef enum {
	SOURCE_FILE,
	SOURCE_HTTP,
	SOURCE_POSTGRES,
	SOURCE_SQLITE,
	SOURCE_FOLDER,
	SOURCE_HTML,
	SOURCE_NEAR_LAKE,
	SOURCE_BIGQUERY,
} ingest_source_type;

typedef struct {
	const char *name;
	const char *value;
} ingest_kv;

typedef enum {
	PAGE_NONE,
	PAGE_NUMBER,    /* ?page=1,2,3 until an empty page */
	PAGE_OFFSET,    /* ?offset=0,100,200&limit=100 until a short page */
	PAGE_CURSOR,    /* ?cursor=<value at a JSON path> until it is absent */
	PAGE_NEXT_URL,  /* the next page's URL at a JSON path */
	PAGE_LINK,      /* RFC 5988 Link header, rel="next" */
} ingest_page_type;

typedef struct {
	ingest_page_type type;
	const char *param;       /* page / offset / cursor parameter */
	int64_t start;           /* first page number (1) or offset (0) */
	const char *size_param;  /* page size / limit parameter; NULL: not sent */
	int64_t size;            /* page size / limit */
	const char *path;        /* cursor or next-URL JSON path */
	int64_t max_pages;       /* a bound on a run; default 100000 */
} ingest_paginate;

typedef struct {
	int max_attempts;        /* tries per request, first included; default 5 */
	int backoff_ms;          /* first retry's delay; doubles per attempt */
	int max_backoff_ms;      /* cap on one delay, Retry-After included */
} ingest_retry;

#define INGEST_RETRY_INIT {5, 500, 30000}

typedef enum { AUTH_NONE, AUTH_BEARER, AUTH_API_KEY, AUTH_BASIC } ingest_auth_type;

struct pond_source {
	const char *name;
	const char *what;         /* "sources/NAME.yml" for errors */
	ingest_source_type type;
	const char *type_name;
	pond_ingest_write write;
	pond_ingest_read read;
	const char **keys;        /* storage for write.keys */

	/* file, folder */
	const char *path;         /* file: path, glob or URL; folder: a glob */

	/* http */
	const char *url;
	const char *method;       /* "GET" or "POST" */
	ingest_kv *params;
	size_t nparams;
	ingest_kv *headers;
	size_t nheaders;
	const char *body;         /* POST body (JSON text) */
	ingest_auth_type auth;
	const char *auth_token;   /* bearer token or API key */
	const char *auth_name;    /* API key header or parameter name */
	bool auth_in_query;
	const char *auth_user, *auth_password;
	const char *records;      /* JSON path of the records; "$" the root */
	ingest_paginate page;
	const char *cursor_field; /* incremental: record field whose max is kept */
	const char *cursor_param; /* sent with the last value; NULL: not sent */
	const char *cursor_initial;
	double requests_per_second;  /* 0: unlimited */
	ingest_retry retry;
	int64_t timeout_ms;       /* http: per request; file: a download's overall limit (0: none) */
	int64_t stall_ms;         /* no byte for this long fails a request (0: the default, 60 s) */
	const char *detail_url;   /* fan-out: URL template with {id} */
	const char *detail_id;    /* field of list items holding the id; NULL: items are ids */
	const char *detail_records;  /* JSON path in a detail response; NULL: the whole body */
	int parallel;             /* fan-out concurrency */
	bool fetch_unseen;        /* fan-out: only ids not fetched before (a seen-set in the catalog) */
	int64_t refresh_ms;       /* ... and again those first seen less than this long ago (0: never) */

	/* postgres, sqlite */
	const char *connection;   /* postgresql:// URL or SQLite file */
	const char *query;        /* a query, or ... */
	const char *source_table; /* ... a table name */

	/* html: pages, rows and columns (html.h) */
	struct html_config *html;

	/* near_lake: bucket, heights, tables (near.h) */
	struct near_config *near;
	/* bigquery: the key, project, query or table (bigquery.h) */
	struct bq_config *bigquery;
};

/* ---- loading ------------------------------------------------------------------------ */

/* One load: the rows of read_sql (a SELECT over DuckDB's readers) go into
 * write->table in one commit, with the state (if any) in the snapshot
 * summary under state_key. what names the input in errors. */
typedef struct {
	const char *read_sql;
	const char *what;
	const char *tmp_path;     /* a temporary file standing for `what` in DuckDB's errors */
	const pond_ingest_write *write;
	const char *state_key;
	const char *state;
	/* Files read with read (CSV): for the strict pass that names a
	 * ragged line when DuckDB's sniffer gives up. NULL: not files. */
	const char *const *paths;
	size_t npaths;
	const pond_ingest_read *read;
	const volatile int *cancel;   /* the run's cancel flag: checked up to the commit */
	/* Catalog work that commits with the rows (pond_write_options'
	 * on_commit); NULL: none. */
	int (*on_commit)(pond_catalog *catalog, void *payload, pond_error *err);
	void *on_commit_payload;
	/* Commit the state even when there are no rows (a snapshot that adds
	 * nothing): a source whose state moves past input that gave none. */
	bool commit_empty;
} ingest_load;

/* ---- CSV (csv.c) ---------------------------------------------------------------------- */

/* What the first line of a CSV says. */
typedef struct {
	char delim;        /* the given one, else the most frequent of , ; tab | (',' when none) */
	size_t nfields;    /* fields in the first line */
	bool found;        /* the delimiter occurs in the first line */
} ingest_csv_line;

/* Reads the first line of head (n bytes; outside double quotes) with the
 * delimiter delim, or finds it when delim is 0. */
void pond__ingest_csv_first_line(const char *head, size_t n, char delim, ingest_csv_line *out);
/* The dialect of a CSV file (or a glob's first match; gzip and zstd are
 * read through), with read's delimiter when it gives one. */
int pond__ingest_csv_dialect(ingest_csv_line *out, const char *path, const pond_ingest_read *read, pond_arena *arena,
                             pond_error *err);
/* The format of a file whose name does not say: Parquet, JSON, or CSV
 * when its first line has a delimiter; otherwise an error asking for
 * --format. */
int pond__ingest_sniff_format(pond_ingest_format *out, const char *path, pond_arena *arena, pond_error *err);
/* Turns a CSV reader failure (err) into one line naming the input: when
 * the sniffer gave up, a strict pass over l's files finds the first line
 * whose field count differs from the first line's. Returns err's code. */
int pond__ingest_csv_diagnose(pond_engine *engine, const ingest_load *l, pond_arena *arena, pond_error *err);

/* ---- messy CSV (csv_options.c, encoding.c) --------------------------------------------- */

/* Checks read's columns (known types, formats where needed, one format
 * per date and per timestamp type) and number format: 0, or an error code
 * with *why (in arena) saying what is wrong. */
int pond__ingest_csv_check(const pond_ingest_read *read, const char **why, pond_arena *arena);
/* Appends read's options to a read_csv call: skip, header, nullstr,
 * decimal_separator, date and timestamp formats, and, last, the columns'
 * types map. */
int pond__ingest_csv_reader_options(pond_buf *sql, const pond_ingest_read *read, pond_error *err);
/* Whether read gives name a type. */
bool pond__ingest_csv_typed_column(const pond_ingest_read *read, const char *name);

/* The text columns of a CSV read that hold numbers as read writes them
 * (decimal_mark, thousands), and the select list that converts them. */
typedef struct {
	const pond_ingest_read *read;
	const char **names;
	const char **types;   /* "DOUBLE" (values with a fraction) or "BIGINT" */
	size_t n;
} ingest_csv_numbers;

/* Finds, in one pass over l's read, the text columns of *src whose every
 * value is such a number, and changes *src to their numeric types. */
int pond__ingest_csv_numbers(ingest_csv_numbers *out, pond_engine *engine, const ingest_load *l,
                             pond_iceberg_schema **src, pond_arena *arena, pond_error *err);
/* read_sql with the numbers converted (in arena), to the types of the
 * table's columns of the same names when table (may be NULL) has them;
 * read_sql itself when there are none. */
const char *pond__ingest_csv_numbers_wrap(const ingest_csv_numbers *numbers, const char *read_sql,
                                          const pond_iceberg_type *table, pond_arena *arena);
/* An error when a number column with fractions goes into a whole-number
 * column of the table (which a cast would round). */
int pond__ingest_csv_numbers_fit(const ingest_csv_numbers *numbers, const pond_iceberg_type *table, const char *what,
                                 const char *table_name, pond_error *err);
bool pond__ingest_csv_numbers_has(const ingest_csv_numbers *numbers, const char *name);

/* Whether encoding names UTF-8 (or is NULL): nothing to convert. */
bool pond__ingest_encoding_is_utf8(const char *encoding);
/* Converts the file at path (gzip read through) from encoding to UTF-8
 * in a new temporary file (*out, in arena), streaming; a UTF-8 byte order
 * mark at the start is dropped. A byte invalid in the encoding is an
 * error naming what (the input) and its line. The file is removed on
 * failure, cancel included; on success the caller removes it. */
int pond__ingest_transcode(const char **out, const char *path, const char *encoding, const char *what,
                           const pond_ingest_options *opts, pond_arena *arena, pond_error *err);

int pond__ingest_load(pond_lake *lake, const ingest_load *load, pond_ingest_result *result, pond_error *err);

/* ---- nested input (nested.c) ------------------------------------------------------------ */

/* The field of struct st named name: the exact name, else one that differs
 * in case only; NULL when none. Borrowed. */
const pond_iceberg_field *pond__ingest_find_field(const pond_iceberg_type *st, const char *name);
/* Appends "SELECT ... FROM (read_sql) AS src" to sql, with root's struct
 * columns flattened depth levels deep (a.b becomes a__b; lists and maps
 * stay as they are). Two columns that end up with one name (DuckDB's names
 * ignore case) are an error naming what and both fields. */
int pond__ingest_flatten_select(pond_buf *sql, const pond_iceberg_type *root, int depth, const char *read_sql,
                                const char *what, pond_arena *arena, pond_error *err);
/* The fields of src (the input's columns) that table (the table's root)
 * lacks, at any depth (inside structs, list elements and map values), by
 * write's schema policy: an error naming the dotted path (freeze), a
 * "discard" change in res, or new optional fields in *change (created
 * when needed; the caller frees it) and an "add" change in res. */
int pond__ingest_new_fields(const char *what, const pond_ingest_write *write, const pond_iceberg_type *src,
                            const pond_iceberg_type *table, pond_ingest_result *res, pond_schema_change **change,
                            pond_error *err);
/* After a write failed with a conversion error that names no column
 * (DuckDB does not for a field inside a struct): finds the nested field of
 * src whose cast to table's type fails, by casting one at a time, and
 * rewrites err to name its dotted path. false when none does. */
bool pond__ingest_nested_cast_error(pond_engine *engine, const char *read_sql, const pond_iceberg_type *src,
                                    const pond_iceberg_type *table, pond_arena *arena, pond_error *err);

/* Rewrites a DuckDB reader error as "FILE:LINE: reason" when it names a
 * line (CSV and JSON errors do), else prefixes what. tmp_path (may be NULL)
 * is replaced by what. */
void pond__ingest_reader_error(pond_error *err, const char *what, const char *tmp_path);

/* Appends a DuckDB reader call for files (a path, glob or list) to sql:
 * "read_csv('x.csv', delim=',')". format AUTO is resolved from path. */
int pond__ingest_reader_sql(pond_buf *sql, const char *const *paths, size_t npaths, const pond_ingest_read *read,
                            bool whole_sample, pond_error *err);
/* The format a file name implies (after .gz / .zst); AUTO when unknown. */
pond_ingest_format pond__ingest_format_from_name(const char *path);

/* A new empty temporary file whose name ends with suffix; *path is in arena. */
int pond__ingest_tmpfile(FILE **out, const char **path, const char *tmpdir, const char *suffix, pond_arena *arena,
                         pond_error *err);

/* The summary key of a source's state: "pond.ingest.NAME.state". */
const char *pond__ingest_state_key(pond_arena *arena, const char *source);

/* ---- HTTP ----------------------------------------------------------------------------- */

/* Delay before retry number `attempt` (1 = the first retry): base doubled
 * per attempt, capped, with jitter: in [d/2, d] where d = min(cap, base*2^(attempt-1)). */
int64_t pond__ingest_backoff_ms(const ingest_retry *retry, int attempt);
/* Retry-After as delay in ms: delta-seconds or an HTTP date (relative to
 * now_s). -1 when it cannot be read. */
int64_t pond__ingest_retry_after_ms(const char *value, int64_t now_s);
/* The rel="next" URL of a Link header value, in arena; NULL when none. */
const char *pond__ingest_link_next(const char *header, pond_arena *arena);
/* Selects the value at a dotted path ("data.items", "$", "$.a.0.b"); NULL
 * when absent. Borrowed from root. */
json_t *pond__ingest_json_path(json_t *root, const char *path);

/* A JSON scalar as a query-parameter value ("abc", "42"); in arena. NULL
 * for objects, arrays and null. */
const char *pond__ingest_json_scalar_text(const json_t *value, pond_arena *arena);
/* Orders two JSON scalars: numbers by value, strings by bytes. */
int pond__ingest_json_compare(const json_t *a, const json_t *b);

typedef struct ingest_http ingest_http;

typedef struct {
	long status;
	pond_buf body;
	char *link;          /* Link header; pond_malloc'd or NULL */
	char *retry_after;   /* Retry-After header */
	char *content_type;
} ingest_response;

void pond__ingest_response_reset(ingest_response *r);

/* A client for one run: headers and auth of the source, rate limit, retry
 * policy and counters. */
int pond__ingest_http_new(ingest_http **out, const pond_source *source, pond_error *err);
/* Makes requests and fan-out stop when *cancel becomes non-zero. */
void pond__ingest_http_set_cancel(ingest_http *http, const volatile int *cancel);
/* A transfer that receives no byte for stall_ms fails (not retried);
 * 0 keeps the default (60 s). */
void pond__ingest_http_set_stall(ingest_http *http, int64_t stall_ms);
void pond__ingest_http_free(ingest_http **http);
/* One request with retries (429 honouring Retry-After, 5xx, timeouts and
 * connection failures, with backoff). A body over limit fails. When sink is
 * not NULL the body streams there instead of resp->body. A final non-2xx
 * status is an error naming the URL. */
int pond__ingest_http_request(ingest_http *http, const char *url, const char *method, const char *body,
                              FILE *sink, ingest_response *resp, pond_error *err);
int64_t pond__ingest_http_requests(const ingest_http *http);
int64_t pond__ingest_http_retries(const ingest_http *http);
int64_t pond__ingest_http_bytes(const ingest_http *http);
/* Fetches template with {id} replaced by each id (URL-escaped), up to
 * parallel at once, with the client's retries and rate limit; calls
 * on_body for each successful response (in completion order). */
typedef int (*ingest_detail_fn)(const char *id, const char *url, const char *body, size_t len, void *payload,
                                pond_error *err);
int pond__ingest_http_fan_out(ingest_http *http, const char *url_template, const char *const *ids, size_t nids,
                              int parallel, ingest_detail_fn on_body, void *payload, pond_error *err);

/* Downloads a URL to a temporary file (streaming); *path in arena. The
 * suffix of the temporary name keeps the URL's extension, or one from the
 * content type or the first bytes. opts gives the cancel flag, the stall
 * limit and the overall timeout. A body that is an HTML page, or whose
 * content type or first bytes contradict format (AUTO: any data format),
 * is an error naming the URL and what came back. */
int pond__ingest_download(const char **path, int64_t *bytes, const char *url, pond_ingest_format format,
                          const pond_ingest_options *opts, pond_arena *arena, pond_error *err);
/* Why a response (content type, may be NULL, and its first n bytes) is not
 * data of the given format: a message in arena naming what came back, or
 * NULL when it may be. */
const char *pond__ingest_body_mismatch(const char *content_type, const unsigned char *head, size_t n,
                                       pond_ingest_format format, pond_arena *arena);

/* ---- pagination ------------------------------------------------------------------------- */

/* Where a paginated run is. */
typedef struct {
	const ingest_paginate *cfg;
	int64_t page;          /* pages fetched so far */
	int64_t number;        /* PAGE_NUMBER: the next page's number */
	int64_t offset;        /* PAGE_OFFSET: the next offset */
	const char *cursor;    /* PAGE_CURSOR: the next cursor (NULL for the first page) */
	const char *next_url;  /* PAGE_NEXT_URL, PAGE_LINK: the next URL (NULL: build from base) */
	bool done;
} ingest_pager;

void pond__ingest_pager_init(ingest_pager *p, const ingest_paginate *cfg);
/* The query parameters pagination adds to the next request (name, value
 * pairs in arena), unless the next request goes to p->next_url as is. */
size_t pond__ingest_pager_params(const ingest_pager *p, ingest_kv out[2], pond_arena *arena);
/* Advances after a page with nrecords records, its parsed body and Link
 * header; sets p->done when there is no next page. */
int pond__ingest_pager_advance(ingest_pager *p, size_t nrecords, json_t *body, const char *link,
                               const char *page_url, pond_arena *arena, pond_error *err);

/* Appends url with params added to its query (names and values escaped). */
int pond__ingest_url_with_params(pond_buf *out, const char *url, const ingest_kv *params, size_t nparams,
                                 pond_error *err);

/* ---- sources ------------------------------------------------------------------------------ */

int pond__ingest_run_http(pond_lake *lake, const pond_source *s, const pond_ingest_options *opts,
                          pond_ingest_result *result, pond_error *err);
int pond__ingest_run_postgres(pond_lake *lake, const pond_source *s, const pond_ingest_options *opts,
                              pond_ingest_result *result, pond_error *err);
int pond__ingest_run_sqlite(pond_lake *lake, const pond_source *s, const pond_ingest_options *opts,
                            pond_ingest_result *result, pond_error *err);
int pond__ingest_run_bigquery(pond_lake *lake, const pond_source *s, const pond_ingest_options *opts,
                              pond_ingest_result *result, pond_error *err);
int pond__ingest_run_html(pond_lake *lake, const pond_source *s, const pond_ingest_options *opts,
                          pond_ingest_result *result, pond_error *err);
/* The state source s last committed to table (its own write.table, or
 * one of a near_lake source's three), parsed: a JSON object, *state NULL
 * when none; the caller json_decref's it. */
int pond__ingest_read_state(json_t **state, pond_lake *lake, const pond_source *s, const char *table, pond_arena *a,
                            pond_error *err);
/* The cursor of a source incremental on a column (databases, BigQuery):
 * the committed state's, else incremental.initial (a number when it reads
 * as one), else NULL; the caller json_decref's it. */
int pond__ingest_column_cursor(json_t **out, pond_lake *lake, const pond_source *s, pond_arena *a, pond_error *err);
/* Loads the rows read_sql reads from the temporary file tmp (named what in
 * errors) in one commit, with {"cursor": max(incremental field)} over
 * those rows as the source's new state. */
int pond__ingest_load_tmp(pond_lake *lake, const pond_source *s, const char *read_sql, const char *what,
                          const char *tmp, const pond_ingest_options *opts, pond_ingest_result *result,
                          pond_error *err);
/* A cursor source's new state, {"cursor": max} (else the last value, else
 * null), as JSON text in a. */
const char *pond__ingest_cursor_state(json_t *max, json_t *last, pond_arena *a);
int pond__ingest_run_folder(pond_lake *lake, const pond_source *s, const pond_ingest_options *opts,
                            pond_ingest_result *result, pond_error *err);

/* ---- fan-out's seen ids (seen.c) ---------------------------------------------------- */

/* Which of a list's ids a fan-out fetches, by the source's seen-set (a
 * table in the catalog database): ids never fetched, and with refresh_ms
 * those first seen less than that long before now. */
typedef struct {
	const char *source;   /* the source's name */
	int64_t now_ms;
	json_t *fetch;        /* the ids to fetch (owned) */
	const char **texts;   /* the same ids as text (the plan's arena), as recorded */
	int64_t nnew, nrefresh, nunchanged;
} ingest_seen;

/* Fills seen (source, now_ms set by the caller) from ids. */
int pond__ingest_seen_plan(pond_lake *lake, const pond_source *s, json_t *ids, ingest_seen *seen,
                           pond_arena *arena, pond_error *err);
/* pond_write_options' on_commit for a plan: records its fetched ids as
 * seen, in the transaction that commits their rows. */
int pond__ingest_seen_record(pond_catalog *catalog, void *seen, pond_error *err);
void pond__ingest_seen_dispose(ingest_seen *seen);

/* POND_ECANCELED when the options' cancel flag is set, else 0. */
int pond__ingest_check_cancel(const pond_ingest_options *opts, pond_error *err);

/* Records a schema change in the result. */
void pond__ingest_change(pond_ingest_result *result, const char *kind, const char *column, const char *type);

/* Calls the progress callback at most every 200 ms. */
typedef struct {
	const pond_ingest_options *opts;
	int64_t start_ns, last_ns;
} ingest_progress;
void pond__ingest_progress(ingest_progress *p, int64_t rows, int64_t bytes, bool final);

#endif

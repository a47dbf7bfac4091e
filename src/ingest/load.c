/*
 * The loader every ingestion ends in: a SELECT over DuckDB's readers goes
 * into a table in one commit. The table is created from the inferred
 * schema when missing; otherwise source columns are matched to the table's
 * by name, new fields handled by the schema policy, and the rows appended,
 * replacing the table or merged on keys. Source state rides in the same
 * commit's snapshot summary. Reader errors are rewritten to name the file
 * and line.
 */
#include "ingest_internal.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- names ----------------------------------------------------------------------- */

bool pond_ingest_mode_parse(const char *name, pond_ingest_mode *out)
{
	if (strcmp(name, "append") == 0)
		*out = POND_INGEST_APPEND;
	else if (strcmp(name, "replace") == 0)
		*out = POND_INGEST_REPLACE;
	else if (strcmp(name, "merge") == 0)
		*out = POND_INGEST_MERGE;
	else
		return false;
	return true;
}

const char *pond_ingest_mode_name(pond_ingest_mode mode)
{
	switch (mode) {
	case POND_INGEST_REPLACE: return "replace";
	case POND_INGEST_MERGE: return "merge";
	default: return "append";
	}
}

bool pond_schema_policy_parse(const char *name, pond_schema_policy *out)
{
	if (strcmp(name, "evolve") == 0)
		*out = POND_SCHEMA_EVOLVE;
	else if (strcmp(name, "freeze") == 0)
		*out = POND_SCHEMA_FREEZE;
	else if (strcmp(name, "discard") == 0)
		*out = POND_SCHEMA_DISCARD;
	else
		return false;
	return true;
}

bool pond_ingest_format_parse(const char *name, pond_ingest_format *out)
{
	static const struct { const char *name; pond_ingest_format f; } names[] = {
		{"auto", POND_FORMAT_AUTO}, {"csv", POND_FORMAT_CSV},         {"tsv", POND_FORMAT_TSV},
		{"json", POND_FORMAT_JSON}, {"ndjson", POND_FORMAT_NDJSON},   {"jsonl", POND_FORMAT_NDJSON},
		{"parquet", POND_FORMAT_PARQUET}, {"xlsx", POND_FORMAT_XLSX},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i].name) == 0) {
			*out = names[i].f;
			return true;
		}
	return false;
}

pond_ingest_format pond__ingest_format_from_name(const char *path)
{
	size_t n = strlen(path);
	/* A URL's query does not count. */
	const char *q = strchr(path, '?');
	if (q && strstr(path, "://"))
		n = (size_t)(q - path);
	char name[256];
	size_t start = n > sizeof(name) - 1 ? n - (sizeof(name) - 1) : 0;
	memcpy(name, path + start, n - start);
	name[n - start] = '\0';
	for (char *c = name; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	size_t len = strlen(name);
	static const char *const compressions[] = {".gz", ".gzip", ".zst", ".zstd"};
	for (size_t i = 0; i < 4; i++) {
		size_t cl = strlen(compressions[i]);
		if (len > cl && strcmp(name + len - cl, compressions[i]) == 0) {
			len -= cl;
			name[len] = '\0';
			break;
		}
	}
	static const struct { const char *ext; pond_ingest_format f; } exts[] = {
		{".csv", POND_FORMAT_CSV},      {".tsv", POND_FORMAT_TSV},         {".tab", POND_FORMAT_TSV},
		{".txt", POND_FORMAT_CSV},      {".ndjson", POND_FORMAT_NDJSON},   {".jsonl", POND_FORMAT_NDJSON},
		{".json", POND_FORMAT_JSON},    {".parquet", POND_FORMAT_PARQUET}, {".pq", POND_FORMAT_PARQUET},
		{".xlsx", POND_FORMAT_XLSX},    {".xlsm", POND_FORMAT_XLSX},
	};
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (pond_str_ends_with(name, exts[i].ext))
			return exts[i].f;
	return POND_FORMAT_AUTO;
}

/* ---- results ------------------------------------------------------------------------ */

void pond_ingest_result_dispose(pond_ingest_result *result)
{
	pond_arena_free(&result->arena);
	memset(result, 0, sizeof(*result));
}

void pond__ingest_change(pond_ingest_result *r, const char *kind, const char *column, const char *type)
{
	pond_ingest_change *c = pond_arena_alloc(r->arena, (r->nchanges + 1) * sizeof(*c));
	if (!c)
		return;
	if (r->nchanges)
		memcpy(c, r->changes, r->nchanges * sizeof(*c));
	c[r->nchanges].kind = kind;
	c[r->nchanges].column = column ? pond_arena_strdup(r->arena, column) : NULL;
	c[r->nchanges].type = type ? pond_arena_strdup(r->arena, type) : NULL;
	r->changes = c;
	r->nchanges++;
}

json_t *pond_ingest_result_to_json(const pond_ingest_result *r)
{
	json_t *o = json_object();
	json_t *changes = json_array();
	for (size_t i = 0; i < r->nchanges; i++) {
		json_t *c = json_object();
		json_object_set_new(c, "kind", json_string(r->changes[i].kind));
		if (r->changes[i].column)
			json_object_set_new(c, "column", json_string(r->changes[i].column));
		if (r->changes[i].type)
			json_object_set_new(c, "type", json_string(r->changes[i].type));
		json_array_append_new(changes, c);
	}
	json_object_set_new(o, "snapshot_id", r->snapshot_id ? json_integer(r->snapshot_id) : json_null());
	json_object_set_new(o, "buffered", json_boolean(r->buffered));
	json_object_set_new(o, "rows", json_integer(r->rows));
	json_object_set_new(o, "added_records", json_integer(r->added_records));
	json_object_set_new(o, "deleted_records", json_integer(r->deleted_records));
	json_object_set_new(o, "replaced_records", json_integer(r->replaced_records));
	if (r->fanout_new || r->fanout_refreshed || r->fanout_unchanged)
		json_object_set_new(o, "fan_out", json_pack("{sIsIsI}", "new", (json_int_t)r->fanout_new, "refreshed",
		                                             (json_int_t)r->fanout_refreshed, "unchanged",
		                                             (json_int_t)r->fanout_unchanged));
	json_object_set_new(o, "bytes", json_integer(r->bytes));
	json_object_set_new(o, "requests", json_integer(r->requests));
	json_object_set_new(o, "retries", json_integer(r->retries));
	if (r->rejected)
		json_object_set_new(o, "rejected", json_integer(r->rejected));
	if (r->error_cells)
		json_object_set_new(o, "error_cells", json_integer(r->error_cells));
	json_object_set_new(o, "duration_ms", json_real((double)r->duration_ns / 1e6));
	json_object_set_new(o, "created", json_boolean(r->created));
	json_object_set_new(o, "schema_changes", changes);
	if (r->state) {
		json_error_t je;
		json_t *s = json_loads(r->state, 0, &je);
		json_object_set_new(o, "state", s ? s : json_string(r->state));
	}
	return o;
}

void pond__ingest_progress(ingest_progress *p, int64_t rows, int64_t bytes, bool final)
{
	if (!p->opts || !p->opts->progress)
		return;
	int64_t now = pond_time_mono_ns();
	if (!final && now - p->last_ns < 200000000LL)
		return;
	p->last_ns = now;
	p->opts->progress(rows, bytes, now - p->start_ns, p->opts->progress_payload);
}

int pond__ingest_check_cancel(const pond_ingest_options *opts, pond_error *err)
{
	if (opts && opts->cancel && *opts->cancel)
		return pond_error_set(err, POND_ECANCELED, "interrupted: nothing was committed");
	return 0;
}

/* ---- temporary files ---------------------------------------------------------------- */

int pond__ingest_tmpfile(FILE **out, const char **path, const char *tmpdir, const char *suffix, pond_arena *arena,
                         pond_error *err)
{
	if (!tmpdir)
		tmpdir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char *p = pond_arena_sprintf(arena, "%s/pond-ingest-XXXXXX%s", tmpdir, suffix ? suffix : "");
	if (!p)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	int fd = mkstemps(p, suffix ? (int)strlen(suffix) : 0);
	if (fd < 0)
		return pond_error_set(err, POND_EIO, "could not create a temporary file in %s: %m", tmpdir);
	FILE *f = fdopen(fd, "w+");
	if (!f) {
		close(fd);
		unlink(p);
		return pond_error_set(err, POND_EIO, "could not open %s: %m", p);
	}
	*out = f;
	*path = p;
	return 0;
}

/* ---- reader SQL --------------------------------------------------------------------- */

int pond__ingest_reader_sql(pond_buf *sql, const char *const *paths, size_t npaths, const pond_ingest_read *read,
                            bool whole_sample, pond_error *err)
{
	if (npaths == 0)
		return pond_error_set(err, POND_EINVAL, "no input files");
	pond_ingest_format f = read->format;
	if (f == POND_FORMAT_AUTO)
		f = pond__ingest_format_from_name(paths[0]);
	if (f == POND_FORMAT_AUTO)
		f = POND_FORMAT_CSV;
	if (f == POND_FORMAT_XLSX)
		return pond_error_set(err, POND_EUNSUPPORTED, "%s: xlsx workbooks load one file at a time (not from a "
		                      "glob or folder)", paths[0]);
	bool many = npaths > 1 || strpbrk(paths[0], "*?[") != NULL;
	switch (f) {
	case POND_FORMAT_PARQUET: pond_buf_puts(sql, "read_parquet("); break;
	case POND_FORMAT_JSON:
	case POND_FORMAT_NDJSON: pond_buf_puts(sql, "read_json("); break;
	default: pond_buf_puts(sql, "read_csv("); break;
	}
	if (npaths > 1)
		pond_buf_putc(sql, '[');
	for (size_t i = 0; i < npaths; i++) {
		if (i)
			pond_buf_puts(sql, ", ");
		pond_sql_quote_literal(sql, paths[i]);
	}
	if (npaths > 1)
		pond_buf_putc(sql, ']');
	if (many)
		pond_buf_puts(sql, ", union_by_name = true");
	if (f == POND_FORMAT_NDJSON)
		pond_buf_puts(sql, ", format = 'newline_delimited'");
	if (f == POND_FORMAT_JSON)
		pond_buf_puts(sql, ", format = 'auto'");
	if ((f == POND_FORMAT_JSON || f == POND_FORMAT_NDJSON) && whole_sample)
		pond_buf_puts(sql, ", sample_size = -1");
	if (f == POND_FORMAT_CSV || f == POND_FORMAT_TSV) {
		/* The delimiter comes from the first line, and reading starts
		 * there: left to itself, the sniffer reads a ragged file as one
		 * column or skips to its last consistent lines. */
		pond_arena *scratch = pond_arena_new();
		ingest_csv_line line;
		int rc = scratch ? pond__ingest_csv_dialect(&line, paths[0], read, scratch, err)
		                 : pond_error_set(err, POND_ENOMEM, "out of memory");
		pond_arena_free(&scratch);
		if (rc)
			return rc;
		char delim[2] = {line.delim, '\0'};
		pond_buf_puts(sql, ", delim = ");
		pond_sql_quote_literal(sql, delim);
		if (whole_sample)
			pond_buf_puts(sql, ", sample_size = -1");
		if ((rc = pond__ingest_csv_reader_options(sql, read, err)) != 0)
			return rc;
	}
	pond_buf_putc(sql, ')');
	return pond_buf_ok(sql) ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

/* ---- reader errors ------------------------------------------------------------------ */

/* The text after `marker` up to the first of the stop strings. */
static void copy_until(char *out, size_t cap, const char *from, const char *const *stops)
{
	const char *end = from + strlen(from);
	for (const char *const *s = stops; *s; s++) {
		const char *e = strstr(from, *s);
		if (e && e < end)
			end = e;
	}
	while (end > from && (end[-1] == ' ' || end[-1] == '.'))
		end--;
	size_t n = (size_t)(end - from);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, from, n);
	out[n] = '\0';
	if (out[0])
		out[0] = (char)tolower((unsigned char)out[0]);
}

/* DuckDB names the file in "file = NAME" (CSV) or 'in file "NAME"' (JSON). */
static void error_file(char *out, size_t cap, const char *msg, const char *what, const char *tmp_path)
{
	const char *f = strstr(msg, "  file = ");
	char name[512] = "";
	if (f) {
		f += strlen("  file = ");
		const char *e = strstr(f, "  ");
		size_t n = e ? (size_t)(e - f) : strlen(f);
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, f, n);
		name[n] = '\0';
	} else if ((f = strstr(msg, "in file \""))) {
		f += strlen("in file \"");
		const char *e = strchr(f, '"');
		size_t n = e ? (size_t)(e - f) : strlen(f);
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, f, n);
		name[n] = '\0';
	}
	if (!name[0] || (tmp_path && strcmp(name, tmp_path) == 0))
		snprintf(out, cap, "%s", what);
	else
		snprintf(out, cap, "%s", name);
}

void pond__ingest_reader_error(pond_error *err, const char *what, const char *tmp_path)
{
	char msg[POND_ERROR_MSG_MAX];
	snprintf(msg, sizeof(msg), "%s", err->msg);
	char file[512], reason[600];
	const char *line = strstr(msg, "CSV Error on Line: ");
	if (line) {
		long n = strtol(line + strlen("CSV Error on Line: "), NULL, 10);
		error_file(file, sizeof(file), msg, what, tmp_path);
		static const char *const markers[] = {"Expected Number of Columns", "Error when converting column",
		                                      "Value with unterminated quote", "Invalid unicode",
		                                      "Maximum line size", NULL};
		const char *from = NULL;
		for (const char *const *m = markers; *m && !from; m++)
			from = strstr(line, *m);
		if (!from) {
			/* Unknown reason: what follows the original line. */
			from = strstr(line, "Original Line: ");
			from = from ? from + strlen("Original Line: ") : line;
		}
		static const char *const stops[] = {" Possible fixes", " Possible solutions", " Column ", "  file = ",
		                                    " This type", NULL};
		copy_until(reason, sizeof(reason), from, stops);
		long want, found;
		if (sscanf(reason, "expected Number of Columns: %ld Found: %ld", &want, &found) == 2)
			snprintf(reason, sizeof(reason), "expected %ld columns, found %ld", want, found);
		/* "Error when converting column "b". Could not convert ..." */
		for (char *p = reason; (p = strstr(p, ". C")); p++)
			p[2] = 'c', p[0] = ':';
		pond_error_set(err, err->code ? err->code : POND_ECORRUPT, "%s:%ld: %s", file, n, reason);
		return;
	}
	const char *json = strstr(msg, "Malformed JSON in file");
	if (json) {
		error_file(file, sizeof(file), msg, what, tmp_path);
		const char *l = strstr(json, " in line ");
		long n = l ? strtol(l + strlen(" in line "), NULL, 10) : 0;
		const char *colon = l ? strchr(l, ':') : NULL;
		static const char *const stops[] = {"  (line", NULL};
		copy_until(reason, sizeof(reason), colon ? colon + 2 : json, stops);
		if (n > 0)
			pond_error_set(err, POND_ECORRUPT, "%s:%ld: malformed JSON: %s", file, n, reason);
		else
			pond_error_set(err, POND_ECORRUPT, "%s: malformed JSON: %s", file, reason);
		return;
	}
	/* A position is in pond's own SQL, not in the input: drop it. */
	char *pos = strrchr(msg, '(');
	int pl, pc, plen = 0;
	if (pos && sscanf(pos, "(line %d, column %d)%n", &pl, &pc, &plen) == 2 && pos[plen] == '\0') {
		while (pos > msg && pos[-1] == ' ')
			pos--;
		*pos = '\0';
	}
	/* Other errors: name the input, hide the temporary file. */
	char *tmp = tmp_path ? strstr(msg, tmp_path) : NULL;
	if (tmp) {
		char fixed[POND_ERROR_MSG_MAX];
		snprintf(fixed, sizeof(fixed), "%.*s%s%s", (int)(tmp - msg), msg, what, tmp + strlen(tmp_path));
		snprintf(msg, sizeof(msg), "%s", fixed);
	}
	pond_error_set(err, err->code ? err->code : POND_ERROR, "could not load %s: %s", what, msg);
}

/* ---- state --------------------------------------------------------------------------- */

const char *pond__ingest_state_key(pond_arena *arena, const char *source)
{
	return pond_arena_sprintf(arena, "pond.ingest.%s.state", source);
}

int pond_ingest_state(const char **out, pond_lake *lake, const char *table, const char *source, pond_arena *arena,
                      pond_error *err)
{
	*out = NULL;
	pond_table_ident id;
	int rc = pond_table_ident_parse(&id, arena, table, err);
	if (rc)
		return rc;
	pond_table *t;
	if ((rc = pond_table_load(&t, lake, &id, err)) != 0) {
		if (rc == POND_ENOTFOUND) {
			pond_error_clear(err);
			return 0;
		}
		return rc;
	}
	const char *key = pond__ingest_state_key(arena, source);
	/* Other writers (compaction, models) commit without our key: walk back
	 * from the head of main to the last snapshot that has it. */
	const pond_iceberg_snapshot *s = pond_iceberg_metadata_current_snapshot(t->metadata);
	for (size_t guard = 0; s && guard < t->metadata->nsnapshots + 1; guard++) {
		for (size_t i = 0; i < s->nsummary; i++)
			if (strcmp(s->summary[i].key, key) == 0) {
				*out = pond_arena_strdup(arena, s->summary[i].value);
				goto done;
			}
		s = s->has_parent ? pond_iceberg_metadata_snapshot(t->metadata, s->parent_snapshot_id) : NULL;
	}
done:
	pond_table_free(&t);
	return 0;
}

/* ---- the load ----------------------------------------------------------------------- */

static bool is_csv_reader(const char *read_sql)
{
	return strncmp(read_sql, "SELECT * FROM read_csv(", 23) == 0;
}

/* A CSV read into an existing table converts to the table's column types
 * in the reader, whose errors name the line: "f.csv:30002: error when
 * converting column ...", not a position in pond's own cast. Columns the
 * read types itself (read's columns, already in its types map, which the
 * table's join) or that hold numbers pond converts stay as they are. */
static const char *pin_csv_types(const char *read_sql, const pond_iceberg_type *src, const pond_iceberg_type *root,
                                 const pond_ingest_read *read, const ingest_csv_numbers *numbers, pond_arena *a)
{
	size_t rl = strlen(read_sql);
	if (!is_csv_reader(read_sql) || read_sql[rl - 1] != ')')
		return read_sql;
	pond_buf pinned = POND_BUF_INIT;
	/* The read's own map is its last "types = {": the table's types go
	 * in front of its entries. */
	const char *own = NULL;
	for (const char *p = read_sql; read->ncolumns && (p = strstr(p, ", types = {'")) != NULL; p++)
		own = p;
	if (own)
		pond_buf_put(&pinned, read_sql, (size_t)(own - read_sql) + strlen(", types = {"));
	else
		pond_buf_put(&pinned, read_sql, rl - 1);
	if (!own)
		pond_buf_puts(&pinned, ", types = {");
	size_t n = 0;
	for (size_t i = 0; i < src->nfields; i++) {
		const pond_iceberg_field *f = pond__ingest_find_field(root, src->fields[i].name);
		if (!f || !pond_iceberg_type_is_primitive(f->type) ||
		    pond__ingest_csv_typed_column(read, src->fields[i].name) ||
		    pond__ingest_csv_numbers_has(numbers, src->fields[i].name))
			continue;
		pond_buf_puts(&pinned, n++ ? ", " : "");
		pond_sql_quote_literal(&pinned, src->fields[i].name);
		pond_buf_puts(&pinned, ": ");
		pond_buf type = POND_BUF_INIT;
		pond_engine_iceberg_type_sql(&type, f->type);
		pond_sql_quote_literal(&pinned, pond_buf_cstr(&type));
		pond_buf_dispose(&type);
	}
	if (own)
		pond_buf_puts(&pinned, n ? ", " : "");
	pond_buf_puts(&pinned, own ? own + strlen(", types = {") : "})");
	const char *out = n && pond_buf_ok(&pinned) ? pond_arena_strdup(a, pond_buf_cstr(&pinned)) : NULL;
	pond_buf_dispose(&pinned);
	return out ? out : read_sql;
}

/* Appends the lines DuckDB rejected in this load to w->rejects (created
 * when missing): file, line, column, error type, the line's text and the
 * reader's message. A temporary download is named by the input. */
static int store_rejects(pond_lake *lake, const ingest_load *l, pond_ingest_result *res, pond_error *err)
{
	pond_arena *a = res->arena;
	pond_engine *engine = pond_lake_engine(lake);
	int64_t n = 0;
	int rc = pond_engine_query_int(engine, "SELECT count(*) FROM temp.pond_rejects", &n, err);
	if (rc || n == 0)
		return rc;
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "SELECT CASE WHEN s.file_path = ");
	pond_sql_quote_literal(&sql, l->tmp_path ? l->tmp_path : "");
	pond_buf_puts(&sql, " THEN ");
	pond_sql_quote_literal(&sql, l->what);
	pond_buf_puts(&sql, " ELSE s.file_path END AS file, CAST(e.line AS BIGINT) AS line, e.column_name AS \"column\", "
	                    "CAST(e.error_type AS VARCHAR) AS error_type, e.csv_line AS text, e.error_message AS error "
	                    "FROM temp.pond_rejects e JOIN temp.pond_rejects_scan s USING (scan_id, file_id) "
	                    "ORDER BY file, line");
	pond_iceberg_schema *schema = NULL;
	pond_table_ident id;
	rc = pond_buf_ok(&sql) ? pond_table_ident_parse(&id, a, l->write->rejects, err)
	                       : pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = pond_engine_query_schema(engine, pond_buf_cstr(&sql), a, &schema, err);
	pond_write_options wo = POND_WRITE_OPTIONS_INIT;
	wo.create_schema = schema;
	pond_write_result wr;
	if (rc == 0)
		rc = pond_table_append_query(lake, &id, pond_buf_cstr(&sql), &wo, &wr, err);
	pond_buf_dispose(&sql);
	if (rc)
		return pond_error_prefix(err, "the rows of %s committed, but not its %lld rejected lines", l->what,
		                         (long long)n);
	res->rejected = n;
	return 0;
}

/* Later binds of the same reader (the table layer's cast, the write)
 * would sample the JSON again: the read with the columns found now
 * pinned, or read_sql itself when it is not a JSON read; NULL when out of
 * memory. */
static const char *pin_json_columns(const char *read_sql, const pond_iceberg_schema *src, pond_arena *a)
{
	static const char json_prefix[] = "SELECT * FROM read_json(";
	size_t rl = strlen(read_sql);
	if (strncmp(read_sql, json_prefix, strlen(json_prefix)) != 0 || read_sql[rl - 1] != ')')
		return read_sql;
	pond_buf pinned = POND_BUF_INIT;
	pond_buf_put(&pinned, read_sql, rl - 1);
	pond_buf_puts(&pinned, ", columns = {");
	for (size_t i = 0; i < src->root->nfields; i++) {
		pond_buf type = POND_BUF_INIT;
		pond_engine_iceberg_type_sql(&type, src->root->fields[i].type);
		pond_buf_puts(&pinned, i ? ", " : "");
		pond_sql_quote_literal(&pinned, src->root->fields[i].name);
		pond_buf_puts(&pinned, ": ");
		pond_sql_quote_literal(&pinned, pond_buf_cstr(&type));
		pond_buf_dispose(&type);
	}
	pond_buf_puts(&pinned, "})");
	const char *out = pond_buf_ok(&pinned) ? pond_arena_strdup(a, pond_buf_cstr(&pinned)) : NULL;
	pond_buf_dispose(&pinned);
	return out;
}

/* With flatten, a read whose columns hold structs becomes one whose
 * struct fields are columns of their own, flatten levels deep; *read_sql
 * and *src change. */
static int flatten_source(pond_engine *engine, const ingest_load *l, pond_arena *a, const char **read_sql,
                          pond_iceberg_schema **src, pond_error *err)
{
	bool nested = false;
	for (size_t i = 0; i < (*src)->root->nfields; i++)
		nested |= (*src)->root->fields[i].type->id == POND_ICEBERG_STRUCT;
	if (!nested)
		return 0;
	pond_buf sql = POND_BUF_INIT;
	int rc = pond__ingest_flatten_select(&sql, (*src)->root, l->write->flatten, *read_sql, l->what, a, err);
	if (rc == 0 && !(*read_sql = pond_arena_strdup(a, pond_buf_cstr(&sql))))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&sql);
	if (rc)
		return rc;
	if (pond_engine_query_schema(engine, *read_sql, a, src, err) != 0)
		return pond_error_prefix(err, "could not flatten %s", l->what);
	return 0;
}

/* The source's read as the load selects from it (*read_sql, in a) and
 * its columns (*src). With rejects, the CSV reader keeps the lines it
 * cannot read; a read that fails names the input. */
static int read_source(pond_engine *engine, const ingest_load *l, bool rejects, pond_arena *a, const char **read_sql,
                       pond_iceberg_schema **src, pond_error *err)
{
	*read_sql = l->read_sql;
	if (rejects) {
		/* DuckDB keeps the lines it could not read in temporary tables
		 * of this connection; they go to the rejects table after the
		 * rows commit. */
		pond_error ignored = POND_ERROR_INIT;
		pond_engine_exec(engine, "DROP TABLE IF EXISTS temp.pond_rejects; DROP TABLE IF EXISTS "
		                         "temp.pond_rejects_scan", &ignored);
		size_t rl2 = strlen(*read_sql);
		*read_sql = pond_arena_sprintf(a, "%.*s, store_rejects = true, rejects_table = 'pond_rejects', "
		                                  "rejects_scan = 'pond_rejects_scan')", (int)(rl2 - 1), *read_sql);
		if (!*read_sql)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	int rc = pond_engine_query_schema(engine, *read_sql, a, src, err);
	if (rc) {
		if (l->read && is_csv_reader(*read_sql))
			return pond__ingest_csv_diagnose(engine, l, a, err);
		pond__ingest_reader_error(err, l->what, l->tmp_path);
		return rc;
	}
	if (!(*read_sql = pin_json_columns(*read_sql, *src, a)))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	return l->write->flatten ? flatten_source(engine, l, a, read_sql, src, err) : 0;
}

/* Input numbers with a fraction (JSON's 7.5, a Parquet double) bound for
 * an integer column of the table: a cast would round them. */
static bool fraction_into_integer(const pond_iceberg_type *from, const pond_iceberg_type *to)
{
	bool integer = to->id == POND_ICEBERG_INT || to->id == POND_ICEBERG_LONG;
	bool fraction = from->id == POND_ICEBERG_FLOAT || from->id == POND_ICEBERG_DOUBLE ||
	                (from->id == POND_ICEBERG_DECIMAL && from->scale > 0);
	return integer && fraction;
}

/* Selects input column NAME, failing the load on a value that is not a
 * whole number, with a message naming the field and the value. */
static void select_whole_number(pond_buf *sql, const char *name, const pond_iceberg_type *to)
{
	pond_buf col = POND_BUF_INIT, msg = POND_BUF_INIT;
	pond_buf_puts(&col, "src.");
	pond_sql_quote_ident(&col, name);
	pond_buf_printf(&msg, "field \"%s\" holds ", name);
	pond_buf_printf(sql, "CASE WHEN %s <> trunc(%s) THEN error(", pond_buf_cstr(&col), pond_buf_cstr(&col));
	pond_sql_quote_literal(sql, pond_buf_cstr(&msg));
	pond_buf_printf(sql, " || CAST(%s AS VARCHAR) || ", pond_buf_cstr(&col));
	pond_sql_quote_literal(sql, to->id == POND_ICEBERG_INT ? ", not a whole number for an int column"
	                                                      : ", not a whole number for a long column");
	pond_buf_printf(sql, ") ELSE %s END", pond_buf_cstr(&col));
	pond_buf_dispose(&col);
	pond_buf_dispose(&msg);
}

/* The SELECT of the table's columns (root) in order: from the source by
 * name, else NULL. Merge keys must be among them. */
static int select_table_columns(pond_buf *sql, const ingest_load *l, const pond_iceberg_type *root,
                                const pond_iceberg_schema *src, const char *read_sql, pond_error *err)
{
	const pond_ingest_write *w = l->write;
	pond_buf_puts(sql, "SELECT ");
	for (size_t i = 0; i < root->nfields; i++) {
		if (i)
			pond_buf_puts(sql, ", ");
		const pond_iceberg_field *f = pond__ingest_find_field(src->root, root->fields[i].name);
		if (f && fraction_into_integer(f->type, root->fields[i].type)) {
			select_whole_number(sql, f->name, root->fields[i].type);
		} else if (f) {
			pond_buf_puts(sql, "src.");
			pond_sql_quote_ident(sql, f->name);
		} else {
			pond_buf_puts(sql, "NULL");
		}
		pond_buf_puts(sql, " AS ");
		pond_sql_quote_ident(sql, root->fields[i].name);
	}
	pond_buf_printf(sql, " FROM (%s) AS src", read_sql);
	for (size_t k = 0; k < w->nkeys; k++)
		if (!pond__ingest_find_field(root, w->keys[k]))
			return pond_error_set(err, POND_EINVAL, "merge key \"%s\" is not a column of table %s", w->keys[k],
			                      w->table);
	return pond_buf_ok(sql) ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

/* Appends, replaces or merges select_sql into the table in one commit,
 * with the schema change, the source state, and create_schema when the
 * table is new. A failure names the input. */
static int write_rows(pond_lake *lake, const ingest_load *l, const pond_table_ident *id, const char *select_sql,
                      pond_schema_change *change, const pond_iceberg_schema *create_schema, pond_ingest_result *res,
                      pond_write_result *wr, pond_error *err)
{
	const pond_ingest_write *w = l->write;
	pond_iceberg_kv kv;
	pond_write_options wo = POND_WRITE_OPTIONS_INIT;
	wo.schema_change = change;
	wo.create_schema = create_schema;
	wo.cancel = l->cancel;
	wo.on_commit = l->on_commit;
	wo.on_commit_payload = l->on_commit_payload;
	wo.commit_empty = l->commit_empty;
	if (l->state_key && l->state) {
		kv.key = l->state_key;
		kv.value = l->state;
		wo.summary = &kv;
		wo.nsummary = 1;
		res->state = pond_arena_strdup(res->arena, l->state);
	}
	memset(wr, 0, sizeof(*wr));
	int rc;
	switch (w->mode) {
	case POND_INGEST_REPLACE:
		rc = pond_table_overwrite_query(lake, id, select_sql, NULL, &wo, wr, err);
		break;
	case POND_INGEST_MERGE:
		if (w->nkeys == 0) {
			rc = pond_error_set(err, POND_EUSAGE, "mode merge needs key columns");
			break;
		}
		rc = pond_table_merge_query(lake, id, select_sql, w->keys, w->nkeys, &wo, wr, err);
		break;
	default:
		rc = pond_table_append_query(lake, id, select_sql, &wo, wr, err);
		break;
	}
	if (rc) {
		if (l->read && is_csv_reader(l->read_sql))
			pond__ingest_csv_diagnose(pond_lake_engine(lake), l, res->arena, err);
		else
			pond__ingest_reader_error(err, l->what, l->tmp_path);
	}
	return rc;
}

int pond__ingest_load(pond_lake *lake, const ingest_load *l, pond_ingest_result *res, pond_error *err)
{
	pond_arena *a = res->arena;
	const pond_ingest_write *w = l->write;
	pond_iceberg_schema *src;
	const char *read_sql;
	bool rejects = w->rejects && l->read && is_csv_reader(l->read_sql);
	int rc = read_source(pond_lake_engine(lake), l, rejects, a, &read_sql, &src, err);
	if (rc)
		return rc;
	ingest_csv_numbers numbers = {NULL, NULL, NULL, 0};
	if (l->read && l->read->decimal_mark && is_csv_reader(l->read_sql) &&
	    (rc = pond__ingest_csv_numbers(&numbers, pond_lake_engine(lake), l, &src, a, err)) != 0)
		return rc;

	pond_table_ident id;
	if ((rc = pond_table_ident_parse(&id, a, w->table, err)) != 0)
		return rc;
	/* A missing table is created by the write itself, with its first
	 * snapshot, in one commit: a failed load leaves no empty table. */
	pond_table *t = NULL;
	bool creating = false;
	rc = pond_table_load(&t, lake, &id, err);
	if (rc == POND_ENOTFOUND) {
		pond_error_clear(err);
		creating = true;
		rc = 0;
	} else if (rc) {
		return rc;
	}
	const pond_iceberg_type *root = creating ? src->root : pond_iceberg_metadata_current_schema(t->metadata)->root;

	pond_buf sql = POND_BUF_INIT;
	pond_schema_change *change = NULL;
	rc = pond__ingest_new_fields(l->what, w, src->root, root, res, &change, err);
	pond_iceberg_schema *evolved = NULL;
	if (rc == 0 && change) {
		/* The new columns commit with the rows (the write adds the
		 * schema in the same commit); here, only the columns to select. */
		int32_t last;
		rc = pond_schema_change_apply(&evolved, &last, t->metadata, change, w->table, a, err);
		if (rc == 0)
			root = evolved->root;
	}
	if (rc)
		goto fail;
	if (!creating && (rc = pond__ingest_csv_numbers_fit(&numbers, root, l->what, w->table, err)) != 0)
		goto fail;
	if (!creating && l->read)
		read_sql = pin_csv_types(read_sql, src->root, root, l->read, &numbers, a);
	if (!(read_sql = pond__ingest_csv_numbers_wrap(&numbers, read_sql, creating ? NULL : root, a))) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		goto fail;
	}
	pond_write_result wr;
	if ((rc = select_table_columns(&sql, l, root, src, read_sql, err)) != 0)
		goto fail;
	if ((rc = write_rows(lake, l, &id, pond_buf_cstr(&sql), change, creating ? src : NULL, res, &wr, err)) != 0) {
		/* DuckDB names a column whose cast fails, not a field inside it. */
		if (!creating &&
		    pond__ingest_nested_cast_error(pond_lake_engine(lake), read_sql, src->root, root, a, err))
			pond__ingest_reader_error(err, l->what, l->tmp_path);
		goto fail;
	}
	if (creating) {
		res->created = true;
		pond__ingest_change(res, "create", NULL, NULL);
	}
	if (rejects && (rc = store_rejects(lake, l, res, err)) != 0)
		goto fail;
	res->snapshot_id = wr.snapshot_id;
	res->buffered = wr.buffered;
	res->added_records = wr.added_records;
	res->deleted_records = wr.deleted_records;
	res->replaced_records = wr.matched_records;
	if (res->rows == 0)
		res->rows = wr.added_records;
	if (!wr.snapshot_id)
		res->state = NULL;
	pond_buf_dispose(&sql);
	pond_schema_change_free(&change);
	pond_table_free(&t);
	return 0;
fail:
	pond_buf_dispose(&sql);
	pond_schema_change_free(&change);
	pond_table_free(&t);
	res->nchanges = 0;
	return rc;
}

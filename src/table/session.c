/*
 * SQL sessions over a lake. Before a statement runs, the catalog tables it
 * names are bound in DuckDB as views over the files scan planning keeps
 * (time travel clauses rewritten to views of their own, since DuckDB does
 * not time-travel views), and writes to catalog tables are carried out as
 * Iceberg commits instead of running in DuckDB's own storage.
 *
 * Table names are found with the SQL lexer, not a full parser: a dotted
 * name anywhere, or a bare name after FROM, JOIN, INTO, TABLE, UPDATE,
 * DESCRIBE or SUMMARIZE (or after a comma in a FROM list), that the
 * catalog knows as a table or as a pond view (session_views.c).
 */
#include "session_internal.h"

#include <duckdb.h>
#include <string.h>
#include <strings.h>

int pond_session_open(pond_session **out, pond_lake *lake, pond_error *err)
{
	int rc = pond__lake_engine(lake, err);
	if (rc)
		return rc;
	pond_session *s = pond_calloc(1, sizeof(*s));
	if (!s || !(s->arena = pond_arena_new())) {
		pond_free(s);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	s->lake = lake;
	*out = s;
	return 0;
}

void pond_session_close(pond_session **session)
{
	if (!session || !*session)
		return;
	pond__session_free_views(*session);
	pond_arena_free(&(*session)->arena);
	pond_free(*session);
	*session = NULL;
}

/* ---- finding table references ---------------------------------------------- */

static bool is_name(const pond_sql_token *t)
{
	return t->kind == POND_TOK_WORD || t->kind == POND_TOK_QUOTED;
}

static bool is_symbol(const pond_sql_token *t, char c)
{
	return t->kind == POND_TOK_SYMBOL && t->len == 1 && t->start[0] == c;
}

int pond__session_tokens(const char *text, pond_arena *a, pond_sql_token **out, size_t *n, pond_error *err)
{
	size_t cap = 0, count = 0;
	pond_sql_token *toks = NULL;
	const char *p = text;
	pond_sql_token t;
	bool more;
	/* One slot more than the tokens, for the END token below. */
	do {
		more = pond_sql_next_token(&p, &t);
		if (!pond_arena_grow(a, (void **)&toks, count, &cap, sizeof(*toks)))
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		if (more)
			toks[count++] = t;
	} while (more);
	toks[count].kind = POND_TOK_END;
	toks[count].start = p;
	*out = toks;
	*n = count;
	return 0;
}

static bool word_in(const pond_sql_token *t, const char *const *words)
{
	for (; *words; words++)
		if (pond_sql_token_is(t, *words))
			return true;
	return false;
}

/* Parses "AT ( VERSION => 123 | 'name' | TIMESTAMP => '...' )" at toks[i];
 * returns the index after it, or i when there is none. */
static size_t parse_at_clause(const pond_sql_token *toks, size_t n, size_t i, session_ref *ref, pond_arena *a,
                              pond_error *err, int *rc)
{
	if (i + 5 > n || !pond_sql_token_is(&toks[i], "at") || !is_symbol(&toks[i + 1], '('))
		return i;
	const pond_sql_token *unit = &toks[i + 2], *val = &toks[i + 4];
	if (toks[i + 3].kind != POND_TOK_SYMBOL || toks[i + 3].len != 2 || strncmp(toks[i + 3].start, "=>", 2) != 0)
		return i;
	size_t close = i + 5;
	if (pond_sql_token_is(val, "timestamp") && i + 5 < n && toks[i + 5].kind == POND_TOK_STRING) {
		val = &toks[i + 5];
		close = i + 6;
	}
	if (close >= n || !is_symbol(&toks[close], ')')) {
		*rc = pond_error_set(err, POND_EINVAL, "invalid AT clause: expected AT (VERSION => id) or AT (TIMESTAMP => '...')");
		return i;
	}
	char *text = val->kind == POND_TOK_STRING ? pond_arena_strndup(a, val->start + 1, val->len - 2)
	                                          : pond_arena_strndup(a, val->start, val->len);
	if (!text) {
		*rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		return i;
	}
	if (pond_sql_token_is(unit, "version") && val->kind == POND_TOK_NUMBER) {
		ref->at = SESSION_AT_SNAPSHOT;
		if (!pond_str_to_i64(text, &ref->at_snapshot))
			*rc = pond_error_set(err, POND_EINVAL, "invalid snapshot id %s in AT clause", text);
	} else if (pond_sql_token_is(unit, "version") && val->kind == POND_TOK_STRING) {
		ref->at = SESSION_AT_REF;
		ref->at_ref = text;
	} else if (pond_sql_token_is(unit, "timestamp")) {
		int64_t us;
		ref->at = SESSION_AT_TIME;
		if (pond_time_parse_us(text, &us, err) != 0)
			*rc = pond_error_prefix(err, "invalid AT clause");
		ref->at_ms = us / 1000;
	} else {
		*rc = pond_error_set(err, POND_EINVAL, "invalid AT clause: use VERSION or TIMESTAMP");
	}
	return close + 1;
}

/* The one name in names equal to name ignoring case (an exact match
 * first, as DuckDB binds); NULL when none. *ambiguous when several. */
static const char *match_name(const char *const *names, size_t n, const char *name, bool *ambiguous)
{
	const char *found = NULL;
	size_t matches = 0;
	*ambiguous = false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], name) == 0)
			return names[i];
		if (strcasecmp(names[i], name) == 0) {
			found = names[i];
			matches++;
		}
	}
	*ambiguous = matches > 1;
	return matches == 1 ? found : NULL;
}

/* Resolves a reference the catalog does not know by its exact name as
 * DuckDB resolves names: ignoring case when that names one table. On a
 * match, id takes the catalog's spelling and *exists is set. A dotted
 * name in a table position (report_missing) whose namespace is pond's but
 * that names no table is an error naming the tables the namespace has. */
/* Whether DuckDB itself has a table or view of that name (a temporary
 * one of the session, say), which the statement may mean. */
static bool duckdb_knows(pond_session *s, const pond_table_ident *id)
{
	pond_buf q = POND_BUF_INIT;
	pond_buf_puts(&q, "SELECT count(*) FROM duckdb_tables() WHERE schema_name ILIKE ");
	pond_sql_quote_literal(&q, id->ns.levels[0]);
	pond_buf_puts(&q, " AND table_name ILIKE ");
	pond_sql_quote_literal(&q, id->name);
	pond_buf_puts(&q, " UNION ALL SELECT count(*) FROM duckdb_views() WHERE schema_name ILIKE ");
	pond_sql_quote_literal(&q, id->ns.levels[0]);
	pond_buf_puts(&q, " AND view_name ILIKE ");
	pond_sql_quote_literal(&q, id->name);
	pond_buf_puts(&q, " ORDER BY 1 DESC LIMIT 1");
	int64_t n = 0;
	pond_error ignored = POND_ERROR_INIT;
	bool known = !pond_buf_ok(&q) || pond_engine_query_int(s->lake->engine, pond_buf_cstr(&q), &n, &ignored) != 0 || n > 0;
	pond_buf_dispose(&q);
	return known;
}

int pond__session_resolve_table(pond_session *s, pond_table_ident *id, bool report_missing, pond_arena *a,
                                bool *exists, pond_error *err)
{
	pond_ns *nss;
	size_t nns;
	*exists = false;
	int rc = pond_catalog_list_namespaces(s->lake->catalog, NULL, a, &nss, &nns, err);
	if (rc)
		return rc;
	const char **ns_names = pond_arena_calloc(a, nns + 1, sizeof(char *));
	if (!ns_names)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < nns; i++)
		ns_names[i] = nss[i].nlevels == 1 ? nss[i].levels[0] : "";
	bool ambiguous;
	const char *ns = match_name(ns_names, nns, id->ns.levels[0], &ambiguous);
	if (ambiguous)
		return pond_error_set(err, POND_EINVAL, "namespace %s is ambiguous: several differ from it only in case",
		                      id->ns.levels[0]);
	if (!ns)
		return 0;
	pond_ns found_ns = POND_NS(ns);
	const char **tables;
	size_t ntables;
	if ((rc = pond_catalog_list_tables(s->lake->catalog, &found_ns, a, &tables, &ntables, err)) != 0)
		return rc;
	const char *name = match_name(tables, ntables, id->name, &ambiguous);
	if (ambiguous) {
		pond_buf b = POND_BUF_INIT;
		for (size_t i = 0; i < ntables; i++)
			if (strcasecmp(tables[i], id->name) == 0)
				pond_buf_printf(&b, "%s%s.%s", b.len ? ", " : "", ns, tables[i]);
		rc = pond_error_set(err, POND_EINVAL, "table %s.%s is ambiguous: quote one of %s", id->ns.levels[0], id->name,
		                    pond_buf_ok(&b) ? pond_buf_cstr(&b) : "them");
		pond_buf_dispose(&b);
		return rc;
	}
	if (name) {
		id->ns.levels[0] = ns;
		id->name = name;
		*exists = true;
		return 0;
	}
	if (!report_missing || duckdb_knows(s, id))
		return 0;
	const pond_table_ident *want = id;
	pond_buf b = POND_BUF_INIT;
	for (size_t i = 0; i < ntables && i < 20; i++)
		pond_buf_printf(&b, "%s%s", i ? ", " : "", tables[i]);
	if (ntables > 20)
		pond_buf_printf(&b, ", ... (%zu in all)", ntables);
	if (ntables)
		rc = pond_error_set(err, POND_ENOTFOUND, "table %s.%s does not exist; %s has %s",
		                    want->ns.levels[0], want->name, ns, pond_buf_ok(&b) ? pond_buf_cstr(&b) : "tables");
	else
		rc = pond_error_set(err, POND_ENOTFOUND, "table %s.%s does not exist; %s has no tables",
		                    want->ns.levels[0], want->name, ns);
	pond_buf_dispose(&b);
	return rc;
}

int pond__session_find_refs(pond_session *s, const pond_sql_token *toks, size_t n, pond_arena *a, session_ref **out,
                            size_t *nrefs, pond_error *err)
{
	static const char *const table_words[] = {"from", "join", "into", "table", "update", "describe", "summarize", NULL};
	static const char *const end_from[] = {"where", "group", "order", "having", "limit", "on", "using", "select",
	                                      "union", "qualify", "window", "set", "values", "except", "intersect", NULL};
	session_ref *refs = pond_arena_calloc(a, n + 1, sizeof(*refs));
	if (!refs)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	size_t count = 0;
	bool in_from = false;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const pond_sql_token *t = &toks[i];
		if (pond_sql_token_is(t, "from") || pond_sql_token_is(t, "join"))
			in_from = true;
		else if (word_in(t, end_from) || is_symbol(t, '(') || is_symbol(t, ')'))
			in_from = false;
		if (!is_name(t) || (i > 0 && is_symbol(&toks[i - 1], '.')))
			continue;
		size_t parts = 1;
		while (i + 2 * parts < n && is_symbol(&toks[i + 2 * parts - 1], '.') && is_name(&toks[i + 2 * parts]))
			parts++;
		size_t next = i + 2 * parts - 1;
		if (next < n && is_symbol(&toks[next], '('))
			continue;  /* a function call */
		const pond_sql_token *prev = i > 0 ? &toks[i - 1] : NULL;
		bool table_position = prev && (word_in(prev, table_words) || (in_from && is_symbol(prev, ',')));
		if (parts > 2 || (parts == 1 && !table_position))
			continue;
		session_ref r;
		memset(&r, 0, sizeof(r));
		r.start = t->start;
		if (parts == 2) {
			const char *ns = pond_sql_token_ident(&toks[i], a);
			r.id.name = pond_sql_token_ident(&toks[i + 2], a);
			if (!ns || !r.id.name)
				return pond_error_set(err, POND_ENOMEM, "out of memory");
			r.id.ns.nlevels = 1;
			r.id.ns.levels[0] = ns;
		} else {
			r.id.ns = POND_NS(POND_DEFAULT_NAMESPACE);
			if (!(r.id.name = pond_sql_token_ident(t, a)))
				return pond_error_set(err, POND_ENOMEM, "out of memory");
		}
		bool exists = false;
		if ((rc = pond_catalog_table_exists(s->lake->catalog, &r.id.ns, r.id.name, &exists, err)) != 0)
			break;
		if (!exists && (rc = pond__session_view_sql(s, &r.id, a, &r.view_sql, err)) != 0)
			break;
		if (!exists && !r.view_sql &&
		    (rc = pond__session_resolve_table(s, &r.id, parts == 2 && table_position, a, &exists, err)) != 0)
			break;
		if (!exists && !r.view_sql)
			continue;
		size_t after = parse_at_clause(toks, n, next, &r, a, err, &rc);
		const pond_sql_token *last = &toks[after - 1];
		r.end = last->start + last->len;
		refs[count++] = r;
		i = after - 1;
	}
	*out = refs;
	*nrefs = count;
	return rc;
}

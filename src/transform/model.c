/*
 * The settings of a model file: `-- key: value` lines in the comment that
 * opens the file (docs/models.md has the grammar), and the data tests they
 * declare, turned into failing-rows queries. Forgiving where it costs
 * nothing: keys ignore case, '-' and ' ' read as '_', a few aliases, values
 * may be quoted or bracketed, a line indented after `--` continues the one
 * before. A comment line that is not `word: value` is prose. A key close to
 * a known one ("materialised") is an error naming the line; other words
 * before a colon ("TODO:") are prose too.
 */
#include "transform_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct {
	const char *name;
	const char *key;  /* what it means */
} key_alias;

static const key_alias keys[] = {
	{"materialized", "materialized"}, {"materialization", "materialized"}, {"materialize", "materialized"},
	{"unique_key", "unique_key"}, {"unique_keys", "unique_key"}, {"key", "unique_key"}, {"keys", "unique_key"},
	{"incremental", "incremental"}, {"incremental_strategy", "incremental"}, {"strategy", "incremental"},
	{"watermark", "watermark"},
	{"partition_by", "partition_by"}, {"partitioned_by", "partition_by"}, {"partition", "partition_by"},
	{"tags", "tags"}, {"tag", "tags"},
	{"description", "description"}, {"doc", "description"},
	{"columns", "columns"}, {"column", "columns"},
	{"tests", "tests"}, {"test", "tests"},
	{"namespace", "namespace"}, {"schema", "namespace"},
	{"enabled", "enabled"},
	{"severity", "severity"},
	{"model", "model"},
};

static const char *canonical_key(const char *word)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, word) == 0)
			return keys[i].key;
	return NULL;
}

/* Edit distance, capped: enough to tell a typo from prose. */
static int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40)
		return 99;
	int d[41][41];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

static const char *near_key(const char *word)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(word) >= 5 && distance(word, keys[i].name) <= 2)
			return keys[i].key;
	return NULL;
}

/* ---- small text helpers --------------------------------------------------------- */

static char *trim(pond_arena *a, const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return pond_arena_strndup(a, s, n);
}

/* Drops one pair of matching quotes or brackets around the whole value. */
static char *unwrap(pond_arena *a, char *s, const char *pairs)
{
	size_t n = strlen(s);
	for (const char *p = pairs; n >= 2 && *p; p += 2)
		if (s[0] == p[0] && s[n - 1] == p[1])
			return trim(a, s + 1, n - 2);
	return s;
}

/* Splits at sep outside quotes and brackets; items trimmed, empty ones
 * dropped. */
static size_t split_top(pond_arena *a, const char *s, char sep, char ***out)
{
	size_t cap = 8, n = 0;
	char **items = pond_arena_calloc(a, cap, sizeof(char *));
	int depth = 0;
	char quote = 0;
	const char *start = s;
	for (const char *p = s;; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			else if (!*p)
				quote = 0;
			if (*p)
				continue;
		}
		if (*p == '\'' || *p == '"') {
			quote = *p;
			continue;
		}
		if (*p == '(' || *p == '[' || *p == '{')
			depth++;
		else if ((*p == ')' || *p == ']' || *p == '}') && depth > 0)
			depth--;
		if (!*p || (*p == sep && depth == 0)) {
			char *item = trim(a, start, (size_t)(p - start));
			if (item && *item) {
				if (n + 1 >= cap) {
					char **bigger = pond_arena_calloc(a, cap * 2, sizeof(char *));
					if (!bigger)
						break;
					memcpy(bigger, items, n * sizeof(char *));
					items = bigger;
					cap *= 2;
				}
				items[n++] = item;
			}
			if (!*p)
				break;
			start = p + 1;
		}
	}
	*out = items;
	return n;
}

/* A list value: "a, b", "[a, b]", "'a', 'b'". */
static size_t read_list(pond_arena *a, const char *value, const char ***out)
{
	char **items;
	size_t n = split_top(a, unwrap(a, pond_arena_strdup(a, value), "[]()"), ',', &items);
	for (size_t i = 0; i < n; i++)
		items[i] = unwrap(a, items[i], "''\"\"``");
	*out = (const char **)items;
	return n;
}

static int bad(pond_error *err, const tf_node *node, int line, const char *fmt, const char *arg)
{
	pond_error_set(err, POND_EINVAL, fmt, arg);
	return pond_error_prefix(err, "%s:%d", node->path, line);
}

/* ---- data tests ----------------------------------------------------------------------- */

static void columns_or(pond_buf *q, const char **cols, size_t n, const char *pred, const char *joiner)
{
	for (size_t i = 0; i < n; i++)
		pond_buf_printf(q, "%s(%s) %s", i ? joiner : "", cols[i], pred);
}

/* Reads a test item, "unique(a, b) warn": *kind (lower case) and *args in
 * g's arena; t gets its name, severity and line. */
static int read_test_item(pond_transform_graph *g, tf_node *node, const char *item, int line, tf_test *t,
                          char **kind_out, const char **args_out, pond_error *err)
{
	pond_arena *a = g->arena;
	const char *p = item;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	char *kind = pond_arena_strndup(a, item, (size_t)(p - item));
	for (char *k = kind; *k; k++)
		*k = (char)tolower((unsigned char)*k);
	while (isspace((unsigned char)*p))
		p++;
	const char *args = "";
	if (*p == '(') {
		int depth = 0;
		char quote = 0;
		const char *open = p;
		for (; *p; p++) {
			if (quote) {
				if (*p == quote)
					quote = 0;
				continue;
			}
			if (*p == '\'' || *p == '"')
				quote = *p;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0)
				break;
		}
		if (*p != ')')
			return bad(err, node, line, "test %s: no closing parenthesis", item);
		args = trim(a, open + 1, (size_t)(p - open - 1));
		p++;
	}
	/* What follows: nothing, "warn", "error", "severity: warn", "severity=warn". */
	char *rest = trim(a, p, strlen(p));
	rest = unwrap(a, rest, "()[]");
	if (pond_str_starts_with(rest, "severity"))
		rest = trim(a, rest + 8 + strspn(rest + 8, " :="), strlen(rest + 8 + strspn(rest + 8, " :=")));
	t->warn = false;
	if (pond_str_ieq(rest, "warn") || pond_str_ieq(rest, "warning"))
		t->warn = true;
	else if (*rest && !pond_str_ieq(rest, "error"))
		return bad(err, node, line, "test severity must be warn or error, not \"%s\"", rest);
	t->line = line;
	t->name = pond_arena_sprintf(a, "%s(%s)", kind, args);
	*kind_out = kind;
	*args_out = args;
	return 0;
}

/* The failing-rows query, into q, of a test of kind with args over the
 * node's table (T, quoted). */
static int test_query(pond_buf *q, pond_transform_graph *g, tf_node *node, int line, const tf_test *t,
                      const char *kind, const char *args, const char *T, pond_error *err)
{
	pond_arena *a = g->arena;
	const char **list;
	size_t n = read_list(a, args, &list);
	int rc = 0;
	if (strcmp(kind, "not_null") == 0 && n > 0) {
		pond_buf_printf(q, "SELECT * FROM %s WHERE ", T);
		columns_or(q, list, n, "IS NULL", " OR ");
	} else if (strcmp(kind, "unique") == 0 && n > 0) {
		pond_buf_puts(q, "SELECT ");
		for (size_t i = 0; i < n; i++)
			pond_buf_printf(q, "%s, ", list[i]);
		pond_buf_printf(q, "count(*) AS n FROM %s GROUP BY ALL HAVING count(*) > 1", T);
	} else if (strcmp(kind, "accepted_values") == 0 && n >= 2) {
		char **split;
		size_t ns = split_top(a, args, ',', &split);
		const char *values = ns > 1 ? unwrap(a, trim(a, strchr(args, ',') + 1, strlen(strchr(args, ',') + 1)), "[]()")
		                            : "";
		(void)ns;
		pond_buf_printf(q, "SELECT * FROM %s WHERE (%s) IS NOT NULL AND (%s) NOT IN (%s)", T, list[0], list[0],
		                values);
	} else if (strcmp(kind, "relationships") == 0 && n == 2) {
		/* to: ns.table.column, or ns.table (the same column name) */
		const char *to = list[1], *dot2 = NULL;
		const char *dot1 = strchr(to, '.');
		if (dot1)
			dot2 = strchr(dot1 + 1, '.');
		const char *parent = dot2 ? pond_arena_strndup(a, to, (size_t)(dot2 - to)) : to;
		const char *pcol = dot2 ? dot2 + 1 : list[0];
		if (!dot1) {
			rc = bad(err, node, line, "relationships: name the parent as ns.table.column, not \"%s\"", to);
		} else {
			pond_buf_printf(q,
			                "SELECT * FROM %s AS pond_child WHERE pond_child.%s IS NOT NULL AND NOT EXISTS "
			                "(SELECT 1 FROM %s AS pond_parent WHERE pond_parent.%s = pond_child.%s)",
			                T, list[0], parent, pcol, list[0]);
		}
	} else if (strcmp(kind, "row_count") == 0 && *args) {
		const char *cond = isdigit((unsigned char)args[0]) ? pond_arena_sprintf(a, ">= %s", args) : args;
		pond_buf_printf(q, "SELECT count(*) AS row_count FROM %s HAVING (count(*) %s) IS NOT TRUE", T, cond);
	} else if (strcmp(kind, "freshness") == 0 && n == 2) {
		const char *age = unwrap(a, pond_arena_strdup(a, list[1]), "''\"\"");
		pond_buf_printf(q,
		                "SELECT max(%s) AS latest FROM %s HAVING max(%s) IS NULL OR "
		                "CAST(max(%s) AS TIMESTAMP) < CAST(now() AS TIMESTAMP) - INTERVAL '%s'",
		                list[0], T, list[0], list[0], age);
	} else if (strcmp(kind, "expression") == 0 && *args) {
		pond_buf_printf(q, "SELECT * FROM %s WHERE NOT (%s)", T, args);
	} else if (strcmp(kind, "sql") == 0 && *args) {
		pond_buf_puts(q, args);
	} else {
		static const char *const known[] = {"not_null", "unique", "accepted_values", "relationships", "row_count",
		                                    "freshness", "expression", "sql", NULL};
		bool is_known = false;
		for (size_t i = 0; known[i]; i++)
			is_known |= strcmp(known[i], kind) == 0;
		rc = is_known ? bad(err, node, line, "test %s: wrong arguments (docs/models.md lists them)", t->name)
		              : bad(err, node, line,
		                    "unknown test \"%s\" (not_null, unique, accepted_values, relationships, row_count, "
		                    "freshness, expression, sql)",
		                    kind);
	}
	return rc;
}

/* Builds the failing-rows query of one test item: "unique(a, b) warn". */
static int parse_test(pond_transform_graph *g, tf_node *node, const char *item, int line, tf_test *t,
                      pond_error *err)
{
	char *kind = NULL;
	const char *args = NULL;
	int rc = read_test_item(g, node, item, line, t, &kind, &args, err);
	if (rc)
		return rc;
	pond_buf table = POND_BUF_INIT, q = POND_BUF_INIT;
	pond__transform_quote_table(&table, &node->id);
	rc = test_query(&q, g, node, line, t, kind, args, pond_buf_cstr(&table), err);
	if (rc == 0)
		t->sql = pond_buf_ok(&q) ? pond_arena_strdup(g->arena, pond_buf_cstr(&q)) : NULL;
	if (rc == 0 && !t->sql)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&table);
	pond_buf_dispose(&q);
	return rc;
}

static int add_tests(pond_transform_graph *g, tf_node *node, const char *value, int line, pond_error *err)
{
	char **items;
	size_t n = split_top(g->arena, value, ',', &items);
	/* "unique(a, b)" splits whole; a severity after a test stays with it. */
	tf_test *all = pond_arena_calloc(g->arena, node->ntests + n + 1, sizeof(*all));
	if (!all)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (node->ntests)
		memcpy(all, node->tests, node->ntests * sizeof(*all));
	for (size_t i = 0; i < n; i++) {
		int rc = parse_test(g, node, items[i], line, &all[node->ntests], err);
		if (rc)
			return rc;
		node->ntests++;
	}
	node->tests = all;
	return 0;
}

/* ---- one setting ------------------------------------------------------------------------ */

/* partition_by: a list of partition terms, each checked now. */
static int apply_partition_by(pond_transform_graph *g, tf_node *node, const char *v, int line, pond_error *err)
{
	pond_arena *a = g->arena;
	node->npartition_by = read_list(a, v, &node->partition_by);
	for (size_t i = 0; i < node->npartition_by; i++) {
		pond_partition_field_def def;
		pond_error perr = POND_ERROR_INIT;
		if (pond_partition_field_parse(&def, node->partition_by[i], a, &perr) != 0)
			return bad(err, node, line, "partition_by: %s", perr.msg);
	}
	return 0;
}

/* tags: a list, added to those the node has. */
static int apply_tags(pond_transform_graph *g, tf_node *node, const char *v, pond_error *err)
{
	pond_arena *a = g->arena;
	const char **more;
	size_t n = read_list(a, v, &more);
	const char **all = pond_arena_calloc(a, node->ntags + n + 1, sizeof(char *));
	if (!all)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (node->ntags)
		memcpy(all, node->tags, node->ntags * sizeof(char *));
	if (n)
		memcpy(all + node->ntags, more, n * sizeof(char *));
	node->tags = all;
	node->ntags += n;
	return 0;
}

/* columns: "name = description; ...", added to those the node has. */
static int apply_columns(pond_transform_graph *g, tf_node *node, const char *value, int line, pond_error *err)
{
	pond_arena *a = g->arena;
	char **items;
	size_t n = split_top(a, value, ';', &items);
	const char **names = pond_arena_calloc(a, node->ncolumns + n + 1, sizeof(char *));
	const char **docs = pond_arena_calloc(a, node->ncolumns + n + 1, sizeof(char *));
	if (!names || !docs)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (node->ncolumns)
		memcpy(names, node->column_names, node->ncolumns * sizeof(char *));
	if (node->ncolumns)
		memcpy(docs, node->column_docs, node->ncolumns * sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		size_t cut = strcspn(items[i], "=:");
		if (!items[i][cut])
			return bad(err, node, line, "columns: expected \"name = description\", got \"%s\"", items[i]);
		names[node->ncolumns] = unwrap(a, trim(a, items[i], cut), "\"\"``");
		docs[node->ncolumns++] = trim(a, items[i] + cut + 1, strlen(items[i] + cut + 1));
	}
	node->column_names = names;
	node->column_docs = docs;
	return 0;
}

static int apply(pond_transform_graph *g, tf_node *node, const char *key, const char *value, int line, bool custom,
                 pond_error *err)
{
	pond_arena *a = g->arena;
	char *v = unwrap(a, trim(a, value, strlen(value)), "''\"\"");
	if (custom && strcmp(key, "severity") != 0 && strcmp(key, "description") != 0 && strcmp(key, "model") != 0 &&
	    strcmp(key, "tags") != 0)
		return bad(err, node, line, "\"%s\" is a model setting; a test file takes severity, model, description, tags",
		           key);
	if (strcmp(key, "materialized") == 0) {
		static const char *const names[] = {"table", "view", "incremental", "ephemeral"};
		for (int i = 0; i < 4; i++)
			if (pond_str_ieq(v, names[i])) {
				node->mat = (tf_mat)i;
				return 0;
			}
		return bad(err, node, line, "unknown materialization \"%s\" (table, view, incremental or ephemeral)", v);
	}
	if (strcmp(key, "incremental") == 0) {
		if (pond_str_ieq(v, "merge") || pond_str_ieq(v, "upsert"))
			node->strategy = TF_MERGE;
		else if (pond_str_ieq(v, "append"))
			node->strategy = TF_APPEND;
		else
			return bad(err, node, line, "unknown incremental strategy \"%s\" (merge or append)", v);
		if (node->mat == TF_TABLE)
			node->mat = TF_INCREMENTAL;
		return 0;
	}
	if (strcmp(key, "unique_key") == 0) {
		node->nkeys = read_list(a, v, &node->keys);
		return 0;
	}
	if (strcmp(key, "watermark") == 0) {
		node->watermark = v;
		return 0;
	}
	if (strcmp(key, "partition_by") == 0)
		return apply_partition_by(g, node, v, line, err);
	if (strcmp(key, "tags") == 0)
		return apply_tags(g, node, v, err);
	if (strcmp(key, "description") == 0) {
		node->description = v;
		return 0;
	}
	if (strcmp(key, "columns") == 0)
		return apply_columns(g, node, value, line, err);
	if (strcmp(key, "tests") == 0)
		return add_tests(g, node, value, line, err);
	if (strcmp(key, "namespace") == 0) {
		if (!*v || strchr(v, '.'))
			return bad(err, node, line, "namespace must be one word, not \"%s\"", v);
		node->id.ns.nlevels = 1;
		node->id.ns.levels[0] = v;
		return 0;
	}
	if (strcmp(key, "enabled") == 0) {
		if (pond_str_ieq(v, "false") || pond_str_ieq(v, "no") || pond_str_ieq(v, "off"))
			node->kind = TF_SOURCE;  /* a disabled model: its table, if any, is a plain table */
		else if (!pond_str_ieq(v, "true") && !pond_str_ieq(v, "yes") && !pond_str_ieq(v, "on"))
			return bad(err, node, line, "enabled must be true or false, not \"%s\"", v);
		return 0;
	}
	if (strcmp(key, "severity") == 0) {
		if (!custom)
			return bad(err, node, line, "%s", "severity belongs to a test: write \"tests: unique(id) warn\"");
		if (pond_str_ieq(v, "warn") || pond_str_ieq(v, "warning"))
			node->tests[0].warn = true;
		else if (!pond_str_ieq(v, "error"))
			return bad(err, node, line, "severity must be warn or error, not \"%s\"", v);
		return 0;
	}
	if (strcmp(key, "model") == 0) {
		if (!custom)
			return bad(err, node, line, "%s", "\"model\" belongs to a test file");
		node->attach = v;
		return 0;
	}
	return bad(err, node, line, "unhandled setting \"%s\"", key);
}

/* ---- the comment block ------------------------------------------------------------------ */

int pond__transform_parse_settings(pond_transform_graph *g, tf_node *node, bool custom, pond_error *err)
{
	pond_arena *a = g->arena;
	const char *p = node->text;
	int line = 0;
	const char *key = NULL;   /* the setting being read, for continuation lines */
	pond_buf value = POND_BUF_INIT;
	int key_line = 0;
	int rc = 0;
	if (custom) {
		node->tests = pond_arena_calloc(a, 1, sizeof(tf_test));
		node->ntests = 1;
		if (!node->tests)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		node->tests[0].name = node->path;
		node->tests[0].line = 1;
	}
	while (*p && rc == 0) {
		line++;
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *s = p;
		while (s < p + len && isspace((unsigned char)*s))
			s++;
		bool comment = s + 1 < p + len && s[0] == '-' && s[1] == '-';
		bool blank = s == p + len;
		if (!comment && !blank)
			break;
		if (comment) {
			const char *c = s + 2;
			while (c < p + len && *c == '-')
				c++;
			size_t indent = 0;
			while (c < p + len && (*c == ' ' || *c == '\t'))
				c++, indent++;
			const char *w = c;
			while (c < p + len && (isalnum((unsigned char)*c) || *c == '_' || *c == '-' || *c == ' '))
				c++;
			char *word = trim(a, w, (size_t)(c - w));
			bool is_setting = c < p + len && *c == ':' && word && *word && !strchr(word, ' ') ? true : false;
			if (word)
				for (char *k = word; *k; k++)
					*k = *k == '-' || *k == ' ' ? '_' : (char)tolower((unsigned char)*k);
			/* "unique key: a" reads as unique_key too */
			if (!is_setting && c < p + len && *c == ':' && word && *word) {
				char *joined = pond_arena_strdup(a, word);
				for (char *k = joined; k && *k; k++)
					if (*k == ' ')
						*k = '_';
				word = joined;
				is_setting = canonical_key(word) != NULL;
			}
			const char *canon = is_setting ? canonical_key(word) : NULL;
			if (is_setting && !canon) {
				const char *near = near_key(word);
				if (near) {
					char what[256];
					snprintf(what, sizeof(what), "unknown setting \"%s\" (did you mean \"%s\"?)", word, near);
					rc = bad(err, node, line, "%s", what);
					break;
				}
			}
			if (canon) {
				if (key)
					rc = apply(g, node, key, pond_buf_cstr(&value), key_line, custom, err);
				pond_buf_clear(&value);
				key = canon;
				key_line = line;
				const char *v = c + 1;
				pond_buf_put(&value, v, (size_t)(p + len - v));
			} else if (key && indent >= 2 && w < p + len) {
				pond_buf_putc(&value, ' ');
				pond_buf_put(&value, w, (size_t)(p + len - w));
			} else if (key) {
				rc = apply(g, node, key, pond_buf_cstr(&value), key_line, custom, err);
				key = NULL;
			}
		}
		p = end ? end + 1 : p + len;
	}
	if (rc == 0 && key)
		rc = apply(g, node, key, pond_buf_cstr(&value), key_line, custom, err);
	if (rc == 0 && !pond_buf_ok(&value))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&value);
	if (rc || custom)
		return rc;
	if (node->mat == TF_INCREMENTAL && node->strategy == TF_MERGE && node->nkeys == 0)
		return bad(err, node, 1, "%s", "incremental merge needs unique_key: the columns a row is known by");
	if (node->mat == TF_INCREMENTAL && node->strategy == TF_APPEND && !node->watermark)
		return bad(err, node, 1, "%s",
		           "incremental append needs watermark: the column whose largest value marks what was loaded");
	if (node->mat == TF_EPHEMERAL && node->ntests > 0)
		return bad(err, node, node->tests[0].line, "%s", "an ephemeral model has no table to test");
	return 0;
}

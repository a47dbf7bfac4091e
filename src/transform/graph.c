/*
 * The model graph: every model file under models/, custom tests under
 * tests/, the tables the sources/ files load and what the exports/ files read. Each
 * model's dependencies are resolved to a model, a source's table or a
 * catalog table; anything else is an error naming the file and line. The
 * models are ordered (Kahn's algorithm, files in name order for a stable
 * result) and a cycle is reported with the files on it. Ephemeral models
 * are inlined into the SQL of what reads them, and each model gets a hash
 * of its file and the ephemeral models it inlines.
 */
#include "transform_internal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* The top-level pond.yml key read here (per-model settings). */
POND_PROJECT_KEYS(transform, "models")

#define MODEL_FILE_MAX (4u << 20)
#define FOLDER_DEPTH_MAX 16

bool pond__transform_is_model(const tf_node *n)
{
	return n->kind == TF_MODEL;
}

int pond__transform_find_node(const pond_transform_graph *g, const char *name)
{
	for (size_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i].kind != TF_EXPORT && g->nodes[i].kind != TF_CUSTOM_TEST && strcasecmp(g->nodes[i].name, name) == 0)
			return (int)i;
	return -1;
}

void pond__transform_quote_table(pond_buf *buf, const pond_table_ident *id)
{
	pond_sql_quote_ident(buf, id->ns.levels[0]);
	pond_buf_putc(buf, '.');
	pond_sql_quote_ident(buf, id->name);
}

static tf_node *new_node(pond_transform_graph *g, tf_kind kind, pond_error *err)
{
	if (g->nnodes == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		tf_node *bigger = pond_reallocarray(g->nodes, cap, sizeof(*bigger));
		if (!bigger) {
			pond_error_set(err, POND_ENOMEM, "out of memory");
			return NULL;
		}
		g->nodes = bigger;
		g->cap = cap;
	}
	tf_node *n = &g->nodes[g->nnodes++];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->order = -1;
	return n;
}

/* ---- finding files --------------------------------------------------------------- */

typedef struct {
	char **paths;  /* relative to the project root */
	size_t n, cap;
} file_list;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_files(file_list *out, pond_arena *a, const char *root, const char *rel, const char *suffix,
                      bool recurse, int depth, pond_error *err)
{
	if (depth > FOLDER_DEPTH_MAX)
		return pond_error_set(err, POND_ELIMIT, "%s: folders nest more than %d deep", rel, FOLDER_DEPTH_MAX);
	const char *dir = pond_arena_sprintf(a, "%s/%s", root, rel);
	DIR *d = opendir(dir);
	if (!d)
		return 0;  /* no such folder: nothing there */
	struct dirent *e;
	int rc = 0;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		const char *path = pond_arena_sprintf(a, "%s/%s", rel, e->d_name);
		struct stat st;
		if (!path || stat(pond_arena_sprintf(a, "%s/%s", root, path), &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (recurse)
				rc = list_files(out, a, root, path, suffix, recurse, depth + 1, err);
			continue;
		}
		if (!pond_str_ends_with(e->d_name, suffix))
			continue;
		if (out->n == out->cap) {
			size_t cap = out->cap ? out->cap * 2 : 64;
			char **bigger = pond_reallocarray(out->paths, cap, sizeof(char *));
			if (!bigger) {
				rc = pond_error_set(err, POND_ENOMEM, "out of memory");
				break;
			}
			out->paths = bigger;
			out->cap = cap;
		}
		out->paths[out->n++] = (char *)path;
	}
	closedir(d);
	return rc;
}

static int read_text(pond_transform_graph *g, const char *rel, const char **out, pond_error *err)
{
	char *text;
	size_t len;
	const char *full = pond_arena_sprintf(g->arena, "%s/%s", g->project->root, rel);
	int rc = pond_file_read(&text, &len, full, MODEL_FILE_MAX, err);
	if (rc)
		return pond_error_prefix(err, "%s", rel);
	*out = pond_arena_strndup(g->arena, text, len);
	pond_free(text);
	return *out ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

/* The SELECT of a file: its text without a trailing ';' and space. */
static const char *select_text(pond_arena *a, const char *text)
{
	size_t n = strlen(text);
	while (n && (text[n - 1] == ';' || text[n - 1] == ' ' || text[n - 1] == '\n' || text[n - 1] == '\t' ||
	             text[n - 1] == '\r'))
		n--;
	return pond_arena_strndup(a, text, n);
}

/* ---- loading --------------------------------------------------------------------------- */

static int load_models(pond_transform_graph *g, pond_error *err)
{
	file_list files = {0};
	int rc = list_files(&files, g->arena, g->project->root, "models", ".sql", true, 0, err);
	if (rc == 0 && files.n)
		qsort(files.paths, files.n, sizeof(char *), cmp_str);
	for (size_t i = 0; rc == 0 && i < files.n; i++) {
		const char *rel = files.paths[i];
		tf_node *n = new_node(g, TF_MODEL, err);
		if (!n) {
			rc = POND_ENOMEM;
			break;
		}
		n->path = rel;
		n->mat = TF_TABLE;
		if (g->default_mat)
			for (int m = 0; m < 4; m++)
				if (pond_str_ieq(g->default_mat, (const char *[]){"table", "view", "incremental", "ephemeral"}[m]))
					n->mat = (tf_mat)m;
		/* models/marts/x.sql is marts.x; models/x.sql the default namespace. */
		const char *inner = rel + strlen("models/");
		const char *slash = strchr(inner, '/');
		const char *base = strrchr(inner, '/');
		base = base ? base + 1 : inner;
		n->id.ns.nlevels = 1;
		n->id.ns.levels[0] = slash ? pond_arena_strndup(g->arena, inner, (size_t)(slash - inner)) : g->default_ns;
		n->id.name = pond_arena_strndup(g->arena, base, strlen(base) - 4);
		if ((rc = read_text(g, rel, &n->text, err)) != 0)
			break;
		n->sql = select_text(g->arena, n->text);
		if ((rc = pond__transform_parse_settings(g, n, false, err)) != 0)
			break;
		if (!*n->id.name || strchr(n->id.name, '.'))
			rc = pond_error_set(err, POND_EINVAL, "%s: a model's file name is its table name: no dots", rel);
		else if (!(n->name = pond_table_ident_format(g->arena, &n->id)))
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		for (size_t j = 0; rc == 0 && j + 1 < g->nnodes; j++)
			if (g->nodes[j].kind == TF_MODEL && strcasecmp(g->nodes[j].name, n->name) == 0)
				rc = pond_error_set(err, POND_EEXISTS, "%s and %s both make %s", g->nodes[j].path, rel, n->name);
		if (rc == 0 && n->kind == TF_SOURCE)
			n->path = NULL;  /* enabled: false */
	}
	pond_free(files.paths);
	return rc;
}

static int load_custom_tests(pond_transform_graph *g, pond_error *err)
{
	file_list files = {0};
	int rc = list_files(&files, g->arena, g->project->root, "tests", ".sql", false, 0, err);
	if (rc == 0 && files.n)
		qsort(files.paths, files.n, sizeof(char *), cmp_str);
	for (size_t i = 0; rc == 0 && i < files.n; i++) {
		tf_node *n = new_node(g, TF_CUSTOM_TEST, err);
		if (!n) {
			rc = POND_ENOMEM;
			break;
		}
		n->path = n->name = files.paths[i];
		if ((rc = read_text(g, n->path, &n->text, err)) == 0) {
			n->sql = select_text(g->arena, n->text);
			rc = pond__transform_parse_settings(g, n, true, err);
		}
	}
	pond_free(files.paths);
	return rc;
}

/* A table a source loads (ns.name as written), unless a model builds it
 * (the model wins) or it is not a table name. */
static int add_source_node(pond_transform_graph *g, const char *text, const char *path, pond_error *err)
{
	pond_table_ident id;
	pond_error ignored = POND_ERROR_INIT;
	if (!text)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (pond_table_ident_parse(&id, g->arena, text, &ignored) != 0 || id.ns.nlevels != 1)
		return 0;
	const char *name = pond_table_ident_format(g->arena, &id);
	if (pond__transform_find_node(g, name) >= 0)
		return 0;
	tf_node *n = new_node(g, TF_SOURCE, err);
	if (!n)
		return POND_ENOMEM;
	n->id = id;
	n->name = name;
	n->path = path;
	return 0;
}

/* The YAML files of sources/ and exports/: only the keys the graph needs are read;
 * the ingest and export layers check the rest. */
static int load_yaml_nodes(pond_transform_graph *g, const char *folder, tf_kind kind, pond_error *err)
{
	file_list files = {0};
	int rc = list_files(&files, g->arena, g->project->root, folder, ".yml", false, 0, err);
	if (rc == 0 && files.n)
		qsort(files.paths, files.n, sizeof(char *), cmp_str);
	for (size_t i = 0; rc == 0 && i < files.n; i++) {
		const char *text;
		pond_yaml_node *doc;
		pond_error ignored = POND_ERROR_INIT;
		if ((rc = read_text(g, files.paths[i], &text, err)) != 0)
			break;
		if (pond_yaml_parse(&doc, text, strlen(text), files.paths[i], g->arena, &ignored) != 0)
			continue;  /* pond ingest / export report their own files' errors */
		const pond_yaml_node *table = pond_yaml_get(doc, "table");
		const pond_yaml_node *sql = pond_yaml_get(doc, "sql");
		if (!sql)
			sql = pond_yaml_get(doc, "query");
		if (kind == TF_SOURCE) {
			if (!table || table->kind != POND_YAML_SCALAR)
				continue;
			const pond_yaml_node *type = pond_yaml_get(doc, "type");
			if (type && type->kind == POND_YAML_SCALAR && strcmp(type->value, "near_lake") == 0) {
				/* Three tables, named as the source names them
				 * (docs/ingest.md): NS.blocks ... for a namespace,
				 * NS.T_blocks ... for NS.T. */
				static const char *const suffix[] = {"blocks", "transactions", "receipts"};
				bool prefix = strchr(table->value, '.') != NULL;
				for (size_t k = 0; k < 3 && rc == 0; k++)
					rc = add_source_node(g, pond_arena_sprintf(g->arena, "%s%s%s", table->value, prefix ? "_" : ".",
					                                           suffix[k]), files.paths[i], err);
			} else {
				rc = add_source_node(g, table->value, files.paths[i], err);
			}
			continue;
		}
		tf_node *n = new_node(g, TF_EXPORT, err);
		if (!n) {
			rc = POND_ENOMEM;
			break;
		}
		n->path = files.paths[i];
		const char *base = strrchr(n->path, '/');
		n->name = pond_arena_strndup(g->arena, base + 1, strlen(base + 1) - 4);
		/* The top level and each of sheets: a table: or a sql: (query:). */
		const pond_yaml_node *sheets = pond_yaml_get(doc, "sheets");
		size_t nparts = 1 + (sheets && sheets->kind == POND_YAML_SEQ ? sheets->count : 0);
		n->refs = pond_arena_calloc(g->arena, nparts, sizeof(tf_ref));
		n->queries = pond_arena_calloc(g->arena, nparts, sizeof(char *));
		for (size_t k = 0; n->refs && n->queries && k < nparts; k++) {
			const pond_yaml_node *part = k == 0 ? doc : sheets->items[k - 1];
			const pond_yaml_node *pt = pond_yaml_get(part, "table");
			const pond_yaml_node *ps = pond_yaml_get(part, "sql");
			if (!ps)
				ps = pond_yaml_get(part, "query");
			tf_ref *r = &n->refs[n->nrefs];
			if (pt && pt->kind == POND_YAML_SCALAR && pond_table_ident_parse(&r->id, g->arena, pt->value, &ignored) == 0 &&
			    r->id.ns.nlevels == 1) {
				r->name = pond_table_ident_format(g->arena, &r->id);
				r->node = -1;
				n->nrefs++;
			} else if (ps && ps->kind == POND_YAML_SCALAR) {
				n->queries[n->nqueries++] = ps->value;
			}
		}
	}
	pond_free(files.paths);
	return rc;
}

/* ---- resolving ------------------------------------------------------------------------------ */

static int add_dep(pond_transform_graph *g, tf_node *n, int dep, pond_error *err)
{
	for (size_t i = 0; i < n->ndeps; i++)
		if (n->deps[i] == dep)
			return 0;
	int *deps = pond_arena_calloc(g->arena, n->ndeps + 1, sizeof(int));
	if (!deps)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (n->ndeps)
		memcpy(deps, n->deps, n->ndeps * sizeof(int));
	deps[n->ndeps++] = dep;
	n->deps = deps;
	return 0;
}

static int resolve(pond_transform_graph *g, pond_lake *lake, size_t index, pond_error *err)
{
	tf_node *n = &g->nodes[index];
	int rc = 0;
	if (n->sql && (n->kind == TF_MODEL || n->kind == TF_CUSTOM_TEST) &&
	    (rc = pond__transform_sql_refs(pond_lake_engine(lake), n->sql, n->path, g->arena, &n->refs, &n->nrefs, err)) != 0)
		return rc;
	for (size_t q = 0; q < n->nqueries; q++) {
		/* An export's own command reports its SQL's errors. */
		tf_ref *more;
		size_t nmore;
		pond_error ignored = POND_ERROR_INIT;
		if (pond__transform_sql_refs(pond_lake_engine(lake), n->queries[q], n->path, g->arena, &more, &nmore, &ignored) != 0)
			continue;
		tf_ref *all = pond_arena_calloc(g->arena, n->nrefs + nmore + 1, sizeof(tf_ref));
		if (!all)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		if (n->nrefs)
			memcpy(all, n->refs, n->nrefs * sizeof(tf_ref));
		if (nmore)
			memcpy(all + n->nrefs, more, nmore * sizeof(tf_ref));
		n->refs = all;
		n->nrefs += nmore;
	}
	for (size_t i = 0; i < n->nrefs; i++) {
		tf_ref *r = &n->refs[i];
		int dep = pond__transform_find_node(g, r->name);
		/* An incremental model may read its own table (what is there). */
		if (dep == (int)index && n->mat == TF_INCREMENTAL)
			continue;
		if (dep < 0) {
			bool exists = false;
			if ((rc = pond_catalog_table_exists(pond_lake_catalog(lake), &r->id.ns, r->id.name, &exists, err)) != 0)
				return rc;
			if (!exists && n->kind == TF_EXPORT)
				continue;
			if (!exists)
				return pond_error_set(err, POND_ENOTFOUND,
				                      "%s:%d: unknown table %s: not a model, a source's table or a catalog table",
				                      n->path, r->line, r->name);
			tf_node *src = new_node(g, TF_SOURCE, err);
			if (!src)
				return POND_ENOMEM;
			n = &g->nodes[index];  /* the array may have moved */
			r = &n->refs[i];
			src->id = r->id;
			src->name = r->name;
			dep = (int)(g->nnodes - 1);
		}
		r->node = dep;
		if ((rc = add_dep(g, n, dep, err)) != 0)
			return rc;
	}
	return 0;
}

static int add_users(pond_transform_graph *g, pond_error *err)
{
	size_t *counts = pond_arena_calloc(g->arena, g->nnodes + 1, sizeof(size_t));
	if (!counts)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < g->nnodes; i++)
		for (size_t j = 0; j < g->nodes[i].ndeps; j++)
			counts[g->nodes[i].deps[j]]++;
	for (size_t i = 0; i < g->nnodes; i++)
		if (counts[i] && !(g->nodes[i].users = pond_arena_calloc(g->arena, counts[i], sizeof(int))))
			return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < g->nnodes; i++)
		for (size_t j = 0; j < g->nodes[i].ndeps; j++) {
			tf_node *d = &g->nodes[g->nodes[i].deps[j]];
			d->users[d->nusers++] = (int)i;
		}
	return 0;
}

/* ---- ordering ----------------------------------------------------------------------------------- */

/* Names the files of one cycle among the models left unordered. */
static int cycle_error(pond_transform_graph *g, const int *left, pond_error *err)
{
	size_t start = 0;
	while (start < g->nnodes && !(g->nodes[start].kind == TF_MODEL && left[start] > 0))
		start++;
	/* Walk dependencies that are still unordered until a node repeats. */
	int *seen = pond_arena_calloc(g->arena, g->nnodes, sizeof(int));
	int *path = pond_arena_calloc(g->arena, g->nnodes + 1, sizeof(int));
	if (!seen || !path)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	size_t len = 0;
	int cur = (int)start;
	while (cur >= 0 && !seen[cur]) {
		seen[cur] = (int)len + 1;
		path[len++] = cur;
		int next = -1;
		for (size_t j = 0; j < g->nodes[cur].ndeps && next < 0; j++)
			if (g->nodes[g->nodes[cur].deps[j]].kind == TF_MODEL && left[g->nodes[cur].deps[j]] > 0)
				next = g->nodes[cur].deps[j];
		cur = next;
	}
	pond_buf msg = POND_BUF_INIT;
	pond_buf_puts(&msg, "cycle: ");
	if (cur >= 0) {
		/* path[seen[cur]-1 ..] is the loop, reading dependencies; print it
		 * in the direction data flows. */
		size_t from = (size_t)seen[cur] - 1;
		for (size_t i = len; i > from; i--)
			pond_buf_printf(&msg, "%s -> ", g->nodes[path[i - 1]].path);
		pond_buf_puts(&msg, g->nodes[path[len - 1]].path);
	}
	int rc = pond_error_set(err, POND_EINVAL, "%s (each reads the one before)", pond_buf_cstr(&msg));
	pond_buf_dispose(&msg);
	return rc;
}

static int order_models(pond_transform_graph *g, pond_error *err)
{
	int *left = pond_arena_calloc(g->arena, g->nnodes + 1, sizeof(int));
	int *queue = pond_arena_calloc(g->arena, g->nnodes + 1, sizeof(int));
	g->order = pond_arena_calloc(g->arena, g->nnodes + 1, sizeof(int));
	if (!left || !queue || !g->order)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	size_t nmodels = 0, head = 0, tail = 0;
	for (size_t i = 0; i < g->nnodes; i++) {
		if (g->nodes[i].kind != TF_MODEL)
			continue;
		nmodels++;
		for (size_t j = 0; j < g->nodes[i].ndeps; j++)
			left[i] += g->nodes[g->nodes[i].deps[j]].kind == TF_MODEL;
		if (left[i] == 0)
			queue[tail++] = (int)i;
	}
	while (head < tail) {
		int m = queue[head++];
		g->nodes[m].order = (int)g->norder;
		g->order[g->norder++] = m;
		for (size_t u = 0; u < g->nodes[m].nusers; u++) {
			int user = g->nodes[m].users[u];
			if (g->nodes[user].kind == TF_MODEL && --left[user] == 0)
				queue[tail++] = user;
		}
	}
	return g->norder == nmodels ? 0 : cycle_error(g, left, err);
}

/* ---- ephemeral models and hashes ---------------------------------------------------------------- */

static int cmp_ref_offset(const void *a, const void *b)
{
	const tf_ref *x = a, *y = b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* node->expanded: the SQL with every ephemeral model it reads inlined as
 * a subquery; node->hash covers the file and those models. Ephemeral
 * models are expanded before what reads them (graph order). */
static int expand(pond_transform_graph *g, tf_node *n, pond_error *err)
{
	uint64_t h = pond_hash64(n->text ? n->text : "", n->text ? strlen(n->text) : 0);
	if (!n->sql) {
		n->hash = h;
		snprintf(n->hash_hex, sizeof(n->hash_hex), "%016llx", (unsigned long long)h);
		return 0;
	}
	qsort(n->refs, n->nrefs, sizeof(tf_ref), cmp_ref_offset);
	pond_buf out = POND_BUF_INIT;
	size_t copied = 0;
	for (size_t i = 0; i < n->nrefs; i++) {
		const tf_ref *r = &n->refs[i];
		if (r->node < 0 || g->nodes[r->node].kind != TF_MODEL || g->nodes[r->node].mat != TF_EPHEMERAL)
			continue;
		const tf_node *e = &g->nodes[r->node];
		if (r->offset == SIZE_MAX || r->offset < copied || !r->len) {
			pond_buf_dispose(&out);
			return pond_error_set(err, POND_EINVAL, "%s:%d: cannot tell where %s is named, to inline it", n->path,
			                      r->line, e->name);
		}
		h = h * 1099511628211ULL ^ e->hash;
		pond_buf_put(&out, n->sql + copied, r->offset - copied);
		pond_buf_printf(&out, "(%s\n)", e->expanded);
		if (!r->has_alias) {
			pond_buf_puts(&out, " AS ");
			pond_sql_quote_ident(&out, e->id.name);
		}
		copied = r->offset + r->len;
	}
	pond_buf_puts(&out, n->sql + copied);
	n->expanded = pond_buf_ok(&out) ? pond_arena_strdup(g->arena, pond_buf_cstr(&out)) : NULL;
	pond_buf_dispose(&out);
	n->hash = h;
	snprintf(n->hash_hex, sizeof(n->hash_hex), "%016llx", (unsigned long long)h);
	return n->expanded ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

/* ---- the whole graph -------------------------------------------------------------------------- */

static void read_defaults(pond_transform_graph *g)
{
	g->default_ns = POND_DEFAULT_NAMESPACE;
	const pond_yaml_node *models = pond_yaml_get(g->project->config, "models");
	const pond_yaml_node *v;
	if ((v = pond_yaml_get(models, "namespace")) && v->kind == POND_YAML_SCALAR && *v->value)
		g->default_ns = v->value;
	if ((v = pond_yaml_get(models, "materialized")) && v->kind == POND_YAML_SCALAR && *v->value)
		g->default_mat = v->value;
	int64_t threads;
	if ((v = pond_yaml_get(models, "threads")) && v->kind == POND_YAML_SCALAR && pond_str_to_i64(v->value, &threads) &&
	    threads > 0 && threads < 1024)
		g->threads = (int)threads;
}

int pond_transform_graph_load(pond_transform_graph **out, pond_lake *lake, pond_error *err)
{
	*out = NULL;
	pond_transform_graph *g = pond_calloc(1, sizeof(*g));
	if (!g || !(g->arena = pond_arena_new())) {
		pond_free(g);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	g->project = pond_lake_project(lake);
	read_defaults(g);
	int rc = load_models(g, err);
	if (rc == 0)
		rc = load_custom_tests(g, err);
	if (rc == 0)
		rc = load_yaml_nodes(g, "sources", TF_SOURCE, err);
	if (rc == 0)
		rc = load_yaml_nodes(g, "exports", TF_EXPORT, err);
	size_t loaded = g->nnodes;  /* catalog tables found while resolving come after */
	for (size_t i = 0; rc == 0 && i < loaded; i++)
		rc = resolve(g, lake, i, err);
	if (rc == 0)
		rc = add_users(g, err);
	if (rc == 0)
		rc = order_models(g, err);
	for (size_t i = 0; rc == 0 && i < g->norder; i++)
		rc = expand(g, &g->nodes[g->order[i]], err);
	for (size_t i = 0; rc == 0 && i < g->nnodes; i++)
		if (g->nodes[i].kind == TF_CUSTOM_TEST) {
			tf_node *t = &g->nodes[i];
			if ((rc = expand(g, t, err)) == 0)
				t->tests[0].sql = t->expanded;
			if (rc == 0 && t->attach && pond__transform_find_node(g, t->attach) < 0)
				rc = pond_error_set(err, POND_ENOTFOUND, "%s: model: %s is not a model", t->path, t->attach);
		}
	if (rc) {
		pond_transform_graph_free(&g);
		return rc;
	}
	*out = g;
	return 0;
}

void pond_transform_graph_free(pond_transform_graph **graph)
{
	if (!graph || !*graph)
		return;
	pond_free((*graph)->nodes);
	pond_arena_free(&(*graph)->arena);
	pond_free(*graph);
	*graph = NULL;
}

size_t pond_transform_graph_model_count(const pond_transform_graph *g)
{
	return g->norder;
}

const char *pond_transform_graph_model_name(const pond_transform_graph *g, size_t index)
{
	return index < g->norder ? g->nodes[g->order[index]].name : NULL;
}

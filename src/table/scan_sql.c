/*
 * The read SQL of a table: what DuckDB runs for a catalog table. Scan
 * planning picks the data files and the delete files that apply to each;
 * this file turns them into one SELECT:
 *
 *   read_parquet([files], schema = map {field_id: {name, type, default_value}})
 *
 * so columns resolve by Iceberg field id (renames, added columns with their
 * initial-default). Files that share the same identity-partition values are
 * read together with those values as the partition columns' defaults (some
 * writers leave the partition column out of the file). Files without field
 * ids resolve by the table's name mapping. Position deletes and equality
 * deletes become anti-joins on (file, row position) and on the equality
 * columns. Without deletes the SELECT stays a plain read_parquet, so DuckDB
 * pushes filters into the Parquet reader. The values put into the SQL are
 * scan_literal.c; the delete anti-joins, scan_deletes.c.
 */
#include "table_internal.h"

#include <ctype.h>

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* How one group of files is read. */
typedef struct file_group {
	const char *key;            /* the identity-partition constants, as text */
	const char *missing;        /* ",id,id," nested fields with an initial-default
	                               that its files lack; "" when none */
	bool name_mapped;           /* files without field ids */
	const char **consts;        /* per top-level field: its constant text or NULL */
	size_t nfiles, cap;
	const char **files;
} file_group;

typedef struct scan_gen {
	pond_engine *engine;
	const pond_iceberg_metadata *md;
	pond_fileio *io;
	const pond_iceberg_schema *schema;
	const pond_scan_task *const *tasks;
	size_t ntasks;
	pond_arena *a;
	pond_error *err;
	bool need_file, need_pos;
	file_group *groups;
	size_t ngroups, cap;
	/* With many distinct identity-partition tuples, one read of all the
	 * files joined to a VALUES list of each file's partition values
	 * (UNION ALL of thousands of reads exceeds DuckDB's depth limit). */
	bool join_mode;
	bool *filled;               /* per top-level field: filled from the tuple */
	pond_buf values;            /* (file, value, ...) rows */
	size_t nvalues;
	pond__path_map no_ids;      /* files read by name */
	const char *mapping_names;  /* \1-separated column names of name-mapped files */
	/* Per top-level field: the name the reads give it. DuckDB's names are
	 * case-insensitive, so fields whose names differ only in case (which
	 * Iceberg allows) are read under names of their own and renamed last. */
	const char **inner;
	bool renamed;               /* some inner name is not the field's */
	/* Nested fields with an initial-default (",id,id,"; NULL when none)
	 * and, per file, those it lacks (file path -> index in missing). */
	const char *nested_defaults;
	pond__path_map file_missing;
	const char **missing;
	size_t nmissing;
} scan_gen;

/* Above this many reads (groups of files with the same partition values)
 * the files' partition values come from a joined VALUES list instead. */
#ifndef POND_SCAN_MAX_READS
#define POND_SCAN_MAX_READS 64
#endif

static int oom(scan_gen *g)
{
	return pond_error_set(g->err, POND_ENOMEM, "out of memory building the read SQL");
}

/* Per top-level field: the constant an identity partition gives it for
 * this task, or NULL. */
static const char **task_consts(scan_gen *g, const pond_scan_task *t, pond_buf *key)
{
	size_t n = g->schema->root->nfields;
	const char **c = pond_arena_calloc(g->a, n ? n : 1, sizeof(char *));
	if (!c)
		return NULL;
	const pond_iceberg_partition_spec *spec = pond_iceberg_metadata_spec(g->md, t->spec_id);
	pond_buf text = POND_BUF_INIT;
	for (size_t i = 0; spec && i < spec->nfields && i < t->npartition; i++) {
		const pond_iceberg_partition_field *pf = &spec->fields[i];
		if (pf->transform.kind != POND_ICEBERG_IDENTITY)
			continue;
		for (size_t f = 0; f < n; f++) {
			if (g->schema->root->fields[f].id != pf->source_id)
				continue;
			pond_buf_clear(&text);
			if (pond__scan_literal_text(&text, &t->partition[i]))
				c[f] = pond_arena_strdup(g->a, pond_buf_cstr(&text));
			pond_buf_printf(key, "%zu=%s\x01", f, c[f] ? c[f] : "\x02");
		}
	}
	bool ok = pond_buf_ok(&text);
	pond_buf_dispose(&text);
	return ok ? c : NULL;
}

/* The nested defaults a file lacks (see find_nested_defaults). */
static const char *file_missing(const scan_gen *g, const char *path)
{
	int64_t i;
	return g->nested_defaults && pond__path_map_get(&g->file_missing, path, &i) ? g->missing[i] : "";
}

static int add_to_group(scan_gen *g, const pond_scan_task *t, bool name_mapped)
{
	pond_buf key = POND_BUF_INIT;
	const char *missing = name_mapped ? "" : file_missing(g, t->path);
	pond_buf_printf(&key, "%s%s:", name_mapped ? "n:" : "i:", missing);
	const char **consts = task_consts(g, t, &key);
	if (!consts || !pond_buf_ok(&key)) {
		pond_buf_dispose(&key);
		return oom(g);
	}
	if (g->join_mode) {
		/* This file's values go to the VALUES list; its group reads the
		 * file's own columns. */
		size_t n = g->schema->root->nfields;
		pond_buf_puts(&g->values, g->nvalues++ ? ", (" : "(");
		pond_sql_quote_literal(&g->values, t->path);
		for (size_t f = 0; f < n; f++) {
			if (!g->filled[f])
				continue;
			pond_buf_puts(&g->values, ", ");
			if (consts[f])
				pond_sql_quote_literal(&g->values, consts[f]);
			else
				pond_buf_puts(&g->values, "NULL");
		}
		pond_buf_putc(&g->values, ')');
		const char **none = pond_arena_calloc(g->a, n ? n : 1, sizeof(char *));
		if (!none) {
			pond_buf_dispose(&key);
			return oom(g);
		}
		consts = none;
		pond_buf_clear(&key);
		pond_buf_printf(&key, "%s%s:", name_mapped ? "n:" : "i:", missing);
	} else {
		for (size_t f = 0; f < g->schema->root->nfields; f++)
			g->filled[f] |= consts[f] != NULL;
	}
	file_group *grp = NULL;
	for (size_t i = 0; i < g->ngroups && !grp; i++)
		if (strcmp(g->groups[i].key, pond_buf_cstr(&key)) == 0)
			grp = &g->groups[i];
	if (!grp) {
		if (g->ngroups == g->cap) {
			size_t cap = g->cap ? g->cap * 2 : 8;
			file_group *ng = pond_arena_calloc(g->a, cap, sizeof(*ng));
			if (!ng) {
				pond_buf_dispose(&key);
				return oom(g);
			}
			if (g->ngroups)
				memcpy(ng, g->groups, g->ngroups * sizeof(*ng));
			g->groups = ng;
			g->cap = cap;
		}
		grp = &g->groups[g->ngroups++];
		memset(grp, 0, sizeof(*grp));
		grp->key = pond_arena_strdup(g->a, pond_buf_cstr(&key));
		grp->name_mapped = name_mapped;
		grp->consts = consts;
		grp->missing = missing;
		if (!grp->key) {
			pond_buf_dispose(&key);
			return oom(g);
		}
	}
	pond_buf_dispose(&key);
	if (grp->nfiles == grp->cap) {
		size_t cap = grp->cap ? grp->cap * 2 : 16;
		const char **nf = pond_arena_calloc(g->a, cap, sizeof(char *));
		if (!nf)
			return oom(g);
		if (grp->nfiles)
			memcpy(nf, grp->files, grp->nfiles * sizeof(char *));
		grp->files = nf;
		grp->cap = cap;
	}
	grp->files[grp->nfiles++] = t->path;
	return 0;
}

/* Files without field ids, found through their footers (only asked when
 * the table has a name mapping: such files come from imports). */
static int find_name_mapped(scan_gen *g)
{
	if (!pond_iceberg_metadata_property(g->md, "schema.name-mapping.default"))
		return 0;
	pond_buf sql = POND_BUF_INIT;
	const char **files = pond_arena_calloc(g->a, g->ntasks ? g->ntasks : 1, sizeof(char *));
	if (!files)
		return oom(g);
	for (size_t i = 0; i < g->ntasks; i++)
		files[i] = g->tasks[i]->path;
	pond_buf_puts(&sql, "SELECT string_agg(file_name, chr(1)) FROM (SELECT file_name FROM parquet_schema(");
	pond__scan_put_file_list(&sql, files, g->ntasks);
	pond_buf_puts(&sql, ") GROUP BY file_name HAVING count(field_id) = 0)");
	char *list = NULL;
	int rc = pond_buf_ok(&sql) ? pond_engine_query_string(g->engine, pond_buf_cstr(&sql), &list, g->err) : oom(g);
	pond_buf_dispose(&sql);
	if (rc || !list)
		return rc;
	for (char *p = list, *next; p && *p; p = next) {
		next = strchr(p, '\1');
		if (next)
			*next++ = '\0';
		if (pond__path_map_put(&g->no_ids, p, 1) != 0) {
			rc = oom(g);
			break;
		}
	}
	pond_free(list);
	if (rc || g->no_ids.n == 0)
		return rc;
	/* The columns those files have, by name. */
	const char **mapped = pond_arena_calloc(g->a, g->no_ids.n, sizeof(char *));
	size_t n = 0;
	if (!mapped)
		return oom(g);
	for (size_t i = 0; i < g->ntasks; i++)
		if (pond__path_map_get(&g->no_ids, g->tasks[i]->path, NULL))
			mapped[n++] = g->tasks[i]->path;
	pond_buf_puts(&sql, "SELECT string_agg(column_name, chr(1)) FROM (DESCRIBE SELECT * FROM read_parquet(");
	pond__scan_put_file_list(&sql, mapped, n);
	pond_buf_puts(&sql, ", union_by_name = true))");
	list = NULL;
	rc = pond_buf_ok(&sql) ? pond_engine_query_string(g->engine, pond_buf_cstr(&sql), &list, g->err) : oom(g);
	pond_buf_dispose(&sql);
	if (rc == 0) {
		g->mapping_names = pond_arena_sprintf(g->a, "\1%s\1", list ? list : "");
		if (!g->mapping_names)
			rc = oom(g);
	}
	pond_free(list);
	return rc;
}

/* The name a name-mapped file uses for a field id: the first of the
 * mapping's names that the files have; NULL when none. */
static const char *mapped_name(scan_gen *g, json_t *mapping, int32_t field_id)
{
	size_t i;
	json_t *entry;
	json_array_foreach(mapping, i, entry) {
		json_t *id = json_object_get(entry, "field-id");
		if (!json_is_integer(id) || json_integer_value(id) != field_id)
			continue;
		size_t k;
		json_t *name;
		json_array_foreach(json_object_get(entry, "names"), k, name) {
			if (!json_is_string(name))
				continue;
			char *probe = pond_arena_sprintf(g->a, "\1%s\1", json_string_value(name));
			if (probe && strstr(g->mapping_names, probe))
				return json_string_value(name);
		}
	}
	return NULL;
}

static void put_extra_columns(scan_gen *g, pond_buf *sql)
{
	if (g->need_file)
		pond_buf_puts(sql, ", " POND_SCAN_FILE_COLUMN);
	if (g->need_pos)
		pond_buf_puts(sql, ", file_row_number");
}

static void put_read_options(scan_gen *g, pond_buf *sql)
{
	/* Columns come from the files and the manifests, never from folder
	 * names: DuckDB would read "k=v" folders (which its partitioned
	 * writes make) as VARCHAR columns over the files' own. */
	pond_buf_puts(sql, ", hive_partitioning = false");
	if (g->need_file)
		pond_buf_puts(sql, ", filename = '" POND_SCAN_FILE_COLUMN "'");
	if (g->need_pos)
		pond_buf_puts(sql, ", file_row_number = true");
}

/* True when a group can be read by column name, without the field-id
 * map: the table has only ever had one schema (no column was renamed,
 * added or retyped), its names are plain identifiers (which no writer
 * mangles, so every file's names are the schema's), and no column of the
 * group comes from a partition constant. DuckDB's field-id
 * mapping costs up to 2x on wide scans (bench/query.sh), so this is the
 * common fast path; any evolved table reads by id. */
static bool plain_name(const char *s)
{
	if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* Writers may mangle other names in Parquet (Spark writes "a b" as
 * "a_x20b"), so only plain identifiers are the same in every file. */
static bool plain_names(const pond_iceberg_type *t)
{
	switch (t->id) {
	case POND_ICEBERG_STRUCT:
		for (size_t i = 0; i < t->nfields; i++)
			if (!plain_name(t->fields[i].name) || !plain_names(t->fields[i].type))
				return false;
		return true;
	case POND_ICEBERG_LIST: return plain_names(t->element);
	case POND_ICEBERG_MAP: return plain_names(t->key) && plain_names(t->value);
	default: return true;
	}
}

static bool reads_by_name(const scan_gen *g, const file_group *grp)
{
	if (grp->name_mapped || g->renamed || grp->missing[0] || g->md->nschemas != 1 || !plain_names(g->schema->root))
		return false;
	for (size_t f = 0; f < g->schema->root->nfields; f++)
		if (grp->consts[f])
			return false;
	return true;
}

/* ---- nested initial-defaults ---- */

/* Appends ",id," of each field with an initial-default under t's structs
 * (lists and maps are not filled). */
static void collect_nested_defaults(pond_buf *out, const pond_iceberg_type *t)
{
	if (t->id != POND_ICEBERG_STRUCT)
		return;
	for (size_t i = 0; i < t->nfields; i++) {
		if (t->fields[i].initial_default)
			pond_buf_printf(out, "%" PRId32 ",", t->fields[i].id);
		collect_nested_defaults(out, t->fields[i].type);
	}
}

static bool id_in(const char *list, int32_t id)
{
	char probe[24];
	snprintf(probe, sizeof probe, ",%" PRId32 ",", id);
	return strstr(list, probe) != NULL;
}

/* True when a field of t's structs is in missing. */
static bool lacks_default(const pond_iceberg_type *t, const char *missing)
{
	if (t->id != POND_ICEBERG_STRUCT)
		return false;
	for (size_t i = 0; i < t->nfields; i++)
		if (id_in(missing, t->fields[i].id) || lacks_default(t->fields[i].type, missing))
			return true;
	return false;
}

/* The struct value expr of type t, with each field in missing (which the
 * file lacks) set to its initial-default, as the spec says for rows
 * written before the field existed. A null struct stays null. */
static void put_with_defaults(pond_buf *sql, const char *expr, const pond_iceberg_type *t, const char *missing)
{
	pond_buf_printf(sql, "CASE WHEN %s IS NULL THEN NULL ELSE struct_pack(", expr);
	pond_buf text = POND_BUF_INIT, child = POND_BUF_INIT;
	for (size_t i = 0; i < t->nfields; i++) {
		const pond_iceberg_field *fld = &t->fields[i];
		if (i)
			pond_buf_puts(sql, ", ");
		pond_sql_quote_ident(sql, fld->name);
		pond_buf_puts(sql, " := ");
		pond_buf_clear(&child);
		pond_buf_printf(&child, "%s.", expr);
		pond_sql_quote_ident(&child, fld->name);
		pond_buf_clear(&text);
		if (id_in(missing, fld->id)) {
			pond_buf_puts(sql, "CAST(");
			if (pond__scan_default_text(&text, fld))
				pond_sql_quote_literal(sql, pond_buf_cstr(&text));
			else
				pond_buf_puts(sql, "NULL");
			pond_buf_puts(sql, " AS ");
			pond_engine_iceberg_type_sql(sql, fld->type);
			pond_buf_putc(sql, ')');
		} else if (lacks_default(fld->type, missing)) {
			put_with_defaults(sql, pond_buf_cstr(&child), fld->type, missing);
		} else {
			pond_buf_puts(sql, pond_buf_cstr(&child));
		}
	}
	pond_buf_puts(sql, ") END");
	if (!pond_buf_ok(&text) || !pond_buf_ok(&child))
		sql->oom = true;
	pond_buf_dispose(&text);
	pond_buf_dispose(&child);
}

/* When the schema has nested fields with an initial-default: which of
 * them each file lacks, from the files' footers (field ids). */
static int find_nested_defaults(scan_gen *g)
{
	pond_buf ids = POND_BUF_INIT;
	pond_buf_putc(&ids, ',');
	for (size_t f = 0; f < g->schema->root->nfields; f++)
		collect_nested_defaults(&ids, g->schema->root->fields[f].type);
	if (!pond_buf_ok(&ids)) {
		pond_buf_dispose(&ids);
		return oom(g);
	}
	if (ids.len > 1)
		g->nested_defaults = pond_arena_strdup(g->a, pond_buf_cstr(&ids));
	pond_buf_dispose(&ids);
	if (!g->nested_defaults)
		return 0;
	const char **files = pond_arena_calloc(g->a, g->ntasks ? g->ntasks : 1, sizeof(char *));
	g->missing = pond_arena_calloc(g->a, g->ntasks ? g->ntasks : 1, sizeof(char *));
	if (!files || !g->missing)
		return oom(g);
	for (size_t i = 0; i < g->ntasks; i++)
		files[i] = g->tasks[i]->path;
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "SELECT string_agg(file_name || chr(2) || ids, chr(1)) FROM (SELECT file_name, ',' || "
	                    "coalesce(string_agg(field_id::VARCHAR, ','), '') || ',' AS ids FROM parquet_schema(");
	pond__scan_put_file_list(&sql, files, g->ntasks);
	pond_buf_puts(&sql, ") GROUP BY file_name)");
	char *list = NULL;
	int rc = pond_buf_ok(&sql) ? pond_engine_query_string(g->engine, pond_buf_cstr(&sql), &list, g->err) : oom(g);
	pond_buf_dispose(&sql);
	if (rc)
		return pond_error_prefix(g->err, "could not read the field ids of the data files");
	pond_buf missing = POND_BUF_INIT;
	for (char *p = list, *next; p && *p && rc == 0; p = next) {
		next = strchr(p, '\1');
		if (next)
			*next++ = '\0';
		char *have = strchr(p, '\2');
		if (!have)
			continue;
		*have++ = '\0';
		pond_buf_clear(&missing);
		pond_buf_putc(&missing, ',');
		for (const char *q = g->nested_defaults + 1; *q;) {
			int32_t id = (int32_t)strtol(q, NULL, 10);
			if (!id_in(have, id))
				pond_buf_printf(&missing, "%" PRId32 ",", id);
			q = strchr(q, ',') + 1;
		}
		const char *sig = missing.len > 1 ? pond_arena_strdup(g->a, pond_buf_cstr(&missing)) : "";
		if (!sig || !pond_buf_ok(&missing) || pond__path_map_put(&g->file_missing, p, (int64_t)g->nmissing) != 0)
			rc = oom(g);
		else
			g->missing[g->nmissing++] = sig;
	}
	pond_buf_dispose(&missing);
	pond_free(list);
	return rc;
}

/* One group: a read_parquet by field id, or by (mapped) names. */
static int put_group(scan_gen *g, pond_buf *sql, const file_group *grp, json_t *mapping)
{
	const pond_iceberg_type *root = g->schema->root;
	pond_buf text = POND_BUF_INIT;
	pond_buf_puts(sql, "SELECT ");
	for (size_t f = 0; f < root->nfields; f++) {
		const pond_iceberg_field *fld = &root->fields[f];
		if (f)
			pond_buf_puts(sql, ", ");
		if (!grp->name_mapped) {
			if (grp->missing[0] && lacks_default(fld->type, grp->missing)) {
				pond_buf col = POND_BUF_INIT;
				pond_sql_quote_ident(&col, g->inner[f]);
				put_with_defaults(sql, pond_buf_cstr(&col), fld->type, grp->missing);
				if (!pond_buf_ok(&col))
					sql->oom = true;
				pond_buf_dispose(&col);
				pond_buf_puts(sql, " AS ");
			} else if (fld->type->id == POND_ICEBERG_STRUCT) {
				/* DuckDB 1.4 fails ("StructValue::GetChildren on a NULL
				 * value") when a filter on a struct's field is pushed into
				 * a read_parquet whose schema fills the struct as NULL in
				 * files that lack it; the projection keeps it above the scan. */
				pond_buf_puts(sql, "if(");
				pond_sql_quote_ident(sql, g->inner[f]);
				pond_buf_puts(sql, " IS NULL, NULL, ");
				pond_sql_quote_ident(sql, g->inner[f]);
				pond_buf_puts(sql, ") AS ");
			}
			pond_sql_quote_ident(sql, g->inner[f]);
			continue;
		}
		const char *name = mapping ? mapped_name(g, mapping, fld->id) : NULL;
		pond_buf_clear(&text);
		bool has_const = grp->consts[f] ? (pond_buf_puts(&text, grp->consts[f]), true)
		                                : pond__scan_default_text(&text, fld);
		if (name && has_const)
			pond_buf_puts(sql, "COALESCE(");
		if (name) {
			pond_buf_puts(sql, "CAST(");
			pond_sql_quote_ident(sql, name);
			pond_buf_puts(sql, " AS ");
			pond_engine_iceberg_type_sql(sql, fld->type);
			pond_buf_puts(sql, ")");
		}
		if (name && has_const)
			pond_buf_puts(sql, ", ");
		if (has_const) {
			pond_buf_puts(sql, "CAST(");
			pond_sql_quote_literal(sql, pond_buf_cstr(&text));
			pond_buf_puts(sql, " AS ");
			pond_engine_iceberg_type_sql(sql, fld->type);
			pond_buf_puts(sql, ")");
		} else if (!name) {
			pond_buf_puts(sql, "CAST(NULL AS ");
			pond_engine_iceberg_type_sql(sql, fld->type);
			pond_buf_puts(sql, ")");
		}
		if (name && has_const)
			pond_buf_puts(sql, ")");
		pond_buf_puts(sql, " AS ");
		pond_sql_quote_ident(sql, g->inner[f]);
	}
	if (root->nfields == 0)
		pond_buf_puts(sql, "NULL AS \"__pond_empty\"");
	put_extra_columns(g, sql);
	pond_buf_puts(sql, " FROM read_parquet(");
	pond__scan_put_file_list(sql, grp->files, grp->nfiles);
	if (grp->name_mapped) {
		pond_buf_puts(sql, ", union_by_name = true");
	} else if (!reads_by_name(g, grp)) {
		pond_buf_puts(sql, ", schema = map {");
		for (size_t f = 0; f < root->nfields; f++) {
			const pond_iceberg_field *fld = &root->fields[f];
			pond_buf_printf(sql, "%s%" PRId32 ": {name: ", f ? ", " : "", fld->id);
			pond_sql_quote_literal(sql, g->inner[f]);
			pond_buf_puts(sql, ", type: ");
			pond__scan_put_type_literal(sql, fld->type);
			pond_buf_puts(sql, ", default_value: ");
			pond_buf_clear(&text);
			if (grp->consts[f])
				pond_sql_quote_literal(sql, grp->consts[f]);
			else if (pond__scan_default_text(&text, fld))
				pond_sql_quote_literal(sql, pond_buf_cstr(&text));
			else
				pond_buf_puts(sql, "NULL");
			pond_buf_putc(sql, '}');
		}
		pond_buf_putc(sql, '}');
	}
	put_read_options(g, sql);
	pond_buf_putc(sql, ')');
	bool ok = pond_buf_ok(&text);
	pond_buf_dispose(&text);
	return ok ? 0 : oom(g);
}

/* A typed empty SELECT: the read of no files. */
static int put_empty_read(pond_buf *out, const pond_iceberg_type *root, bool with_file, pond_error *err)
{
	pond_buf_puts(out, "SELECT ");
	for (size_t f = 0; f < root->nfields; f++) {
		pond_buf_puts(out, f ? ", CAST(NULL AS " : "CAST(NULL AS ");
		pond_engine_iceberg_type_sql(out, root->fields[f].type);
		pond_buf_puts(out, ") AS ");
		pond_sql_quote_ident(out, root->fields[f].name);
	}
	if (with_file)
		pond_buf_puts(out, root->nfields ? ", " : "");
	if (with_file || root->nfields == 0)
		pond_buf_puts(out, with_file ? "CAST(NULL AS VARCHAR) AS " POND_SCAN_FILE_COLUMN : "NULL AS \"__pond_empty\"");
	pond_buf_puts(out, " WHERE false");
	return pond_buf_ok(out) ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory building the read SQL");
}

/* Refuses data files that are not Parquet, and notes what the attached
 * deletes need of each row: its file, and its position there. */
static int check_tasks(scan_gen *g)
{
	for (size_t t = 0; t < g->ntasks; t++) {
		const char *fmt = g->tasks[t]->file_format;
		if (fmt && !pond_str_ieq(fmt, "parquet"))
			return pond_error_set(g->err, POND_EUNSUPPORTED, "cannot read %s: %s data files are not supported",
			                      g->tasks[t]->path, fmt);
		for (size_t d = 0; d < g->tasks[t]->ndeletes; d++) {
			g->need_file = true;
			g->need_pos |= g->tasks[t]->deletes[d]->content == POND_CONTENT_POSITION_DELETES;
		}
	}
	return 0;
}

/* The table's name mapping, for files without field ids; *mapping (the
 * caller's to release, even on failure) stays NULL when no file needs it. */
static int load_name_mapping(scan_gen *g, json_t **mapping)
{
	if (!g->no_ids.n)
		return 0;
	const char *text = pond_iceberg_metadata_property(g->md, "schema.name-mapping.default");
	json_error_t je;
	*mapping = json_loads(text, 0, &je);
	if (!json_is_array(*mapping))
		return pond_error_set(g->err, POND_ECORRUPT, "table property schema.name-mapping.default is not a JSON array");
	return 0;
}

/* Per top-level field: the name the reads give it (g->inner), and room
 * for what partition constants fill (g->filled). */
static int name_columns(scan_gen *g)
{
	const pond_iceberg_type *root = g->schema->root;
	if (!(g->filled = pond_arena_calloc(g->a, root->nfields ? root->nfields : 1, sizeof(bool))) ||
	    !(g->inner = pond_arena_calloc(g->a, root->nfields ? root->nfields : 1, sizeof(char *))))
		return oom(g);
	int rc = 0;
	for (size_t f = 0; f < root->nfields && rc == 0; f++) {
		g->inner[f] = root->fields[f].name;
		for (size_t o = 0; o < root->nfields; o++)
			if (o != f && strcasecmp(root->fields[o].name, root->fields[f].name) == 0) {
				if (!(g->inner[f] = pond_arena_sprintf(g->a, "__pond_c%" PRId32, root->fields[f].id)))
					rc = oom(g);
				g->renamed = true;
				break;
			}
	}
	return rc;
}

/* A copy of a delete file read from its local copy. */
static int localize_delete(scan_gen *g, const pond_scan_delete *d, pond__path_map *seen,
                           const pond_scan_delete ***all, size_t *nall, size_t *cap, const pond_scan_delete **out)
{
	int64_t i;
	if (pond__path_map_get(seen, d->path, &i)) {
		*out = (*all)[i];
		return 0;
	}
	pond_scan_delete *copy = pond_arena_alloc(g->a, sizeof(*copy));
	if (!copy || !pond_arena_grow(g->a, (void **)all, *nall, cap, sizeof(**all)) ||
	    pond__path_map_put(seen, d->path, (int64_t)*nall) != 0)
		return oom(g);
	*copy = *d;
	int rc = pond_fileio_local_copy(g->io, d->path, d->file_size_in_bytes, &copy->path, g->err);
	if (rc)
		return rc;
	(*all)[(*nall)++] = copy;
	*out = copy;
	return 0;
}

/* Fetches the data and delete files of the tasks (each once) ahead, many
 * at a time: the copies localize_tasks then takes are there. */
static int prefetch_tasks(scan_gen *g)
{
	size_t n = 0, cap = 0;
	for (size_t t = 0; t < g->ntasks; t++)
		cap += 1 + g->tasks[t]->ndeletes;
	const char **paths = pond_arena_calloc(g->a, cap, sizeof(*paths));
	int64_t *sizes = pond_arena_calloc(g->a, cap, sizeof(*sizes));
	pond__path_map seen = {0};
	if (!paths || !sizes)
		return oom(g);
	int rc = 0;
	for (size_t t = 0; t < g->ntasks && rc == 0; t++) {
		const pond_scan_task *task = g->tasks[t];
		paths[n] = task->path;
		sizes[n++] = task->file_size_in_bytes;
		for (size_t d = 0; d < task->ndeletes && rc == 0; d++) {
			const pond_scan_delete *del = task->deletes[d];
			if (pond__path_map_get(&seen, del->path, NULL))
				continue;
			if (pond__path_map_put(&seen, del->path, 1) != 0)
				rc = oom(g);
			paths[n] = del->path;
			sizes[n++] = del->file_size_in_bytes;
		}
	}
	pond__path_map_dispose(&seen);
	return rc ? rc : pond_fileio_prefetch(g->io, paths, sizes, n, g->err);
}

/* DuckDB reads local files: on an object store, the tasks (and the delete
 * files they share) become copies naming the local copies of their files,
 * fetched now and held by g->io; everything after reads those. */
static int localize_tasks(scan_gen *g)
{
	if (pond_fileio_is_local(g->io))
		return 0;
	pond_scan_task *copies = pond_arena_calloc(g->a, g->ntasks, sizeof(*copies));
	const pond_scan_task **ptrs = pond_arena_calloc(g->a, g->ntasks, sizeof(*ptrs));
	if (!copies || !ptrs)
		return oom(g);
	int rc = prefetch_tasks(g);
	if (rc)
		return rc;
	pond__path_map seen = {0};
	const pond_scan_delete **all = NULL;
	size_t nall = 0, cap = 0;
	for (size_t t = 0; t < g->ntasks && rc == 0; t++) {
		const pond_scan_task *task = g->tasks[t];
		copies[t] = *task;
		ptrs[t] = &copies[t];
		rc = pond_fileio_local_copy(g->io, task->path, task->file_size_in_bytes, &copies[t].path, g->err);
		if (rc || !task->ndeletes)
			continue;
		const pond_scan_delete **dels = pond_arena_calloc(g->a, task->ndeletes, sizeof(*dels));
		if (!dels)
			rc = oom(g);
		for (size_t d = 0; d < task->ndeletes && rc == 0; d++)
			rc = localize_delete(g, task->deletes[d], &seen, &all, &nall, &cap, &dels[d]);
		copies[t].deletes = dels;
	}
	pond__path_map_dispose(&seen);
	g->tasks = ptrs;
	return rc;
}

/* Puts every task into a group (a read); with more groups than
 * POND_SCAN_MAX_READS, groups them again in join mode. */
static int group_tasks(scan_gen *g)
{
	int rc = 0;
	for (size_t t = 0; t < g->ntasks && rc == 0; t++)
		rc = add_to_group(g, g->tasks[t], pond__path_map_get(&g->no_ids, g->tasks[t]->path, NULL));
	if (rc == 0 && g->ngroups > POND_SCAN_MAX_READS) {
		g->join_mode = true;
		g->need_file = true;
		g->ngroups = 0;
		for (size_t t = 0; t < g->ntasks && rc == 0; t++)
			rc = add_to_group(g, g->tasks[t], pond__path_map_get(&g->no_ids, g->tasks[t]->path, NULL));
		if (rc == 0 && !pond_buf_ok(&g->values))
			rc = oom(g);
	}
	return rc;
}

/* In join mode, the start of the SELECT that fills each filled column
 * from the file's row of the VALUES list (__pond_c) when the read
 * (__pond_r) has it null. */
static void put_join_select(scan_gen *g, pond_buf *sql)
{
	const pond_iceberg_type *root = g->schema->root;
	pond_buf_puts(sql, "SELECT ");
	for (size_t f = 0; f < root->nfields; f++) {
		const pond_iceberg_field *fld = &root->fields[f];
		pond_buf_puts(sql, f ? ", " : "");
		if (!g->filled[f]) {
			pond_buf_puts(sql, "__pond_r.");
			pond_sql_quote_ident(sql, g->inner[f]);
			continue;
		}
		pond_buf_puts(sql, "COALESCE(__pond_r.");
		pond_sql_quote_ident(sql, g->inner[f]);
		pond_buf_printf(sql, ", CAST(__pond_c.c%zu AS ", f);
		pond_engine_iceberg_type_sql(sql, fld->type);
		pond_buf_puts(sql, ")) AS ");
		pond_sql_quote_ident(sql, g->inner[f]);
	}
	pond_buf_puts(sql, ", __pond_r." POND_SCAN_FILE_COLUMN);
	if (g->need_pos)
		pond_buf_puts(sql, ", __pond_r.file_row_number");
	pond_buf_puts(sql, " FROM (");
}

/* The reads under one SELECT (__pond_d) that gives the fields their own
 * names back and applies the deletes: every group read, UNION ALL, joined
 * in join mode to the VALUES list of the files' partition values. */
static int put_reads(scan_gen *g, pond_buf *sql, json_t *mapping, bool with_file)
{
	const pond_iceberg_type *root = g->schema->root;
	pond__scan_read deletes = {g->engine, g->io, g->schema, g->tasks, g->ntasks, g->inner, g->a, g->err};
	const char *pos = NULL;
	int rc = g->need_pos ? pond__scan_position_deletes(&deletes, &pos) : 0;
	if (rc)
		return rc;
	pond_buf_puts(sql, "SELECT ");
	for (size_t f = 0; f < root->nfields; f++) {
		pond_buf_puts(sql, f ? ", __pond_d." : "__pond_d.");
		pond_sql_quote_ident(sql, g->inner[f]);
		if (g->inner[f] != root->fields[f].name) {
			pond_buf_puts(sql, " AS ");
			pond_sql_quote_ident(sql, root->fields[f].name);
		}
	}
	if (root->nfields == 0)
		pond_buf_puts(sql, "NULL AS \"__pond_empty\"");
	if (with_file)
		pond_buf_puts(sql, ", __pond_d." POND_SCAN_FILE_COLUMN);
	pond_buf_puts(sql, " FROM (");
	if (g->join_mode)
		put_join_select(g, sql);
	for (size_t i = 0; i < g->ngroups && rc == 0; i++) {
		if (i)
			pond_buf_puts(sql, " UNION ALL ");
		rc = put_group(g, sql, &g->groups[i], mapping);
	}
	if (g->join_mode) {
		pond_buf_printf(sql, ") __pond_r JOIN (VALUES %s) __pond_c(f", pond_buf_cstr(&g->values));
		for (size_t f = 0; f < root->nfields; f++)
			if (g->filled[f])
				pond_buf_printf(sql, ", c%zu", f);
		pond_buf_puts(sql, ") ON __pond_c.f = __pond_r." POND_SCAN_FILE_COLUMN);
	}
	pond_buf_puts(sql, ") __pond_d");
	if (pos)
		pond_buf_printf(sql, " ANTI JOIN (%s) __pond_pd ON __pond_pd.f = __pond_d." POND_SCAN_FILE_COLUMN
		                     " AND __pond_pd.pos = __pond_d.file_row_number", pos);
	if (rc == 0)
		rc = pond__scan_equality_deletes(&deletes, sql);
	return rc;
}

int pond__scan_sql_tasks(pond_buf *out, pond_engine *engine, const pond_iceberg_metadata *md, pond_fileio *io,
                         const pond_iceberg_schema *schema, const pond_scan_task *const *tasks, size_t ntasks,
                         bool with_file, pond_error *err)
{
	if (ntasks == 0)
		return put_empty_read(out, schema->root, with_file, err);
	pond_arena *a = pond_arena_new();
	if (!a)
		return pond_error_set(err, POND_ENOMEM, "out of memory building the read SQL");
	scan_gen g = {0};
	g.engine = engine;
	g.md = md;
	g.io = io;
	g.schema = schema;
	g.tasks = tasks;
	g.ntasks = ntasks;
	g.a = a;
	g.err = err;
	g.need_file = with_file;
	json_t *mapping = NULL;
	pond_buf sql = POND_BUF_INIT;
	int rc = check_tasks(&g);
	if (rc == 0)
		rc = localize_tasks(&g);
	if (rc == 0)
		rc = find_name_mapped(&g);
	if (rc == 0)
		rc = find_nested_defaults(&g);
	if (rc == 0)
		rc = load_name_mapping(&g, &mapping);
	if (rc == 0)
		rc = name_columns(&g);
	if (rc == 0)
		rc = group_tasks(&g);
	if (rc == 0) {
		bool plain = g.ngroups == 1 && !g.need_file && !g.need_pos && !g.renamed;
		rc = plain ? put_group(&g, &sql, &g.groups[0], mapping) : put_reads(&g, &sql, mapping, with_file);
	}
	if (rc == 0 && !pond_buf_ok(&sql))
		rc = oom(&g);
	if (rc == 0)
		pond_buf_puts(out, pond_buf_cstr(&sql));
	if (rc == 0 && !pond_buf_ok(out))
		rc = oom(&g);
	json_decref(mapping);
	pond_buf_dispose(&g.values);
	pond_buf_dispose(&sql);
	pond__path_map_dispose(&g.no_ids);
	pond__path_map_dispose(&g.file_missing);
	pond_arena_free(&a);
	return rc;
}

int pond__scan_sql(pond_buf *out, pond_engine *engine, const pond_iceberg_metadata *md, pond_fileio *io,
                   const pond_scan_options *opts, const pond_scan_task *extra, size_t nextra, size_t *nfiles,
                   pond_error *err)
{
	pond_scan_plan *plan = NULL;
	const pond_scan_task **tasks = NULL;
	int rc = pond_scan_plan_files(&plan, md, io, opts, err);
	if (rc)
		goto done;
	const pond_iceberg_schema *schema = pond_iceberg_metadata_schema(md, plan->schema_id);
	if (!schema) {
		rc = pond_error_set(err, POND_ECORRUPT, "schema %" PRId32 " of the snapshot read is missing", plan->schema_id);
		goto done;
	}
	size_t n = plan->ntasks + nextra;
	if (n && !(tasks = pond_calloc(n, sizeof(*tasks)))) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory building the read SQL");
		goto done;
	}
	for (size_t i = 0; i < plan->ntasks; i++)
		tasks[i] = &plan->tasks[i];
	for (size_t i = 0; i < nextra; i++)
		tasks[plan->ntasks + i] = &extra[i];
	rc = pond__scan_sql_tasks(out, engine, md, io, schema, tasks, n, false, err);
	if (rc == 0 && nfiles)
		*nfiles = n;
done:
	pond_free(tasks);
	pond_scan_plan_free(&plan);
	return rc;
}

int pond__scan_buffer(pond__buffer *b, pond_scan_task **tasks, pond_table **fresh, pond_lake *lake,
                      const pond_table *table, const pond_scan_options *opts, pond_arena *a, pond_error *err)
{
	*tasks = NULL;
	*fresh = NULL;
	memset(b, 0, sizeof(*b));
	b->signature = "";
	bool head = !opts || (!opts->has_snapshot_id && !opts->has_as_of && (!opts->ref || strcmp(opts->ref, "main") == 0));
	if (!head)
		return 0;
	int rc = pond__buffer_load(b, lake, table, true, a, err);
	/* A flush moved buffered rows into a snapshot meanwhile: read the
	 * table as it is now (each retry means a flush landed). */
	for (int attempt = 0; rc == POND_ECONFLICT && attempt < 10; attempt++) {
		pond_table_free(fresh);
		pond_error_clear(err);
		if ((rc = pond_table_load(fresh, lake, &table->ident, err)) == 0)
			rc = pond__buffer_load(b, lake, *fresh, true, a, err);
	}
	if (rc == 0 && pond__buffer_tasks(b, a, tasks) != 0)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc)
		pond_table_free(fresh);
	return rc;
}

int pond_table_scan_sql(pond_buf *out, pond_lake *lake, const pond_table *table, const pond_scan_options *opts,
                        pond_error *err)
{
	pond_arena *a = pond_arena_new();
	if (!a)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pond__buffer b;
	pond_scan_task *extra;
	pond_table *fresh = NULL;
	int rc = pond__lake_engine(lake, err);
	if (rc == 0)
		rc = pond__scan_buffer(&b, &extra, &fresh, lake, table, opts, a, err);
	const pond_table *read = fresh ? fresh : table;
	pond_fileio *io = NULL;
	if (rc == 0)
		rc = pond__table_fileio(lake, read->metadata, read->metadata_location, &io, err);
	if (rc == 0)
		rc = pond__scan_sql(out, lake->engine, read->metadata, io, opts, extra, b.ntasks, NULL, err);
	/* The SQL names the local copies io holds: they stay held while the
	 * lake is open. */
	if (io && !pond_fileio_is_local(io) && rc == 0)
		rc = pond__lake_keep_fileio(lake, &io, err);
	pond_fileio_free(&io);
	pond_table_free(&fresh);
	if (rc) {
		const char *name = pond_table_ident_format(a, &table->ident);
		pond_error_prefix(err, "could not read %s", name ? name : "table");
	}
	pond_arena_free(&a);
	return rc;
}

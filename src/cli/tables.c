/*
 * Looking at tables: `pond tables` lists them, `pond show` describes one,
 * `pond history` lists its snapshots.
 */
#include "cli.h"

#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

/* Parses [--json] and the positional arguments; returns -1 to go on, or an
 * exit code. */
static int parse_json_flag(const cli_command *cmd, int argc, char **argv, bool *as_json, int min_args, int max_args)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j': *as_json = true; break;
		case 'h': return cli_print_help(cmd);
		default: return cli_usage_error(cmd->name, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	int n = argc - optind;
	if (n < min_args || n > max_args)
		return cli_usage_error(cmd->name, min_args == max_args ? "expected %d argument%s" : "expected at most %d argument%s",
		                       max_args, max_args == 1 ? "" : "s");
	return -1;
}

static int print_json(json_t *doc, pond_error *err)
{
	char *text = pond_json_dumps(doc, true);
	json_decref(doc);
	if (!text)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	puts(text);
	pond_free(text);
	return 0;
}

/* ---- pond tables ---- */

/* Counts the table folders (NS/TABLE/metadata) under the warehouse, two
 * levels deep: what a catalog that lists nothing may have lost. */
static size_t warehouse_tables(const char *warehouse)
{
	size_t n = 0;
	DIR *d = opendir(warehouse);
	if (!d)
		return 0;
	struct dirent *ns;
	while ((ns = readdir(d)) != NULL) {
		if (ns->d_name[0] == '.')
			continue;
		char nsdir[PATH_MAX];
		int len = snprintf(nsdir, sizeof(nsdir), "%s/%s", warehouse, ns->d_name);
		DIR *t = len > 0 && (size_t)len < sizeof(nsdir) ? opendir(nsdir) : NULL;
		struct dirent *tab;
		while (t && (tab = readdir(t)) != NULL) {
			char md[PATH_MAX];
			struct stat st;
			if (tab->d_name[0] == '.')
				continue;
			int mlen = snprintf(md, sizeof(md), "%s/%s/metadata", nsdir, tab->d_name);
			n += mlen > 0 && (size_t)mlen < sizeof(md) && stat(md, &st) == 0 && S_ISDIR(st.st_mode);
		}
		if (t)
			closedir(t);
	}
	closedir(d);
	return n;
}

/* A 0-byte SQLite catalog file (truncated, or a failed copy) opens as an
 * empty database: say so, before opening it fills it with empty tables. */
static int check_catalog_file(pond_error *err)
{
	pond_project *p;
	int rc = pond_project_find(&p, cli_project_dir, cli_project_dir == NULL, err);
	if (rc)
		return 0;  /* cli_open_project reports it */
	struct stat st;
	if (strstr(p->catalog_uri, "://") == NULL && stat(p->catalog_uri, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size == 0)
		rc = pond_error_set(err, POND_ECORRUPT, "the catalog %s is empty (0 bytes), so no table is known; the "
		                    "warehouse is %s",
		                    p->catalog_uri, p->warehouse);
	pond_project_free(&p);
	return rc;
}

/* The Iceberg views (view models, views REST clients made), each with
 * the SQL dialects of its current version. */
static int print_views(pond_lake *lake, const pond_ns *parent, pond_arena *a, pond_error *err)
{
	pond_table_ident *views;
	size_t n;
	int rc = pond_view_iceberg_list(pond_lake_catalog(lake), parent, a, &views, &n, err);
	if (rc || n == 0)
		return rc;
	printf("%-32s %s\n", "view", "dialects");
	for (size_t i = 0; i < n; i++) {
		pond_iceberg_view *view = NULL;
		pond_error load_err = POND_ERROR_INIT;
		printf("%-32s ", pond_table_ident_format(a, &views[i]));
		if (pond_view_iceberg_load(lake, &views[i], a, &view, NULL, &load_err) != 0) {
			printf("?  %s\n", load_err.msg);
			continue;
		}
		const json_t *versions = json_object_get(pond_iceberg_view_json(view), "versions");
		const json_t *current = NULL, *v, *r;
		size_t j;
		json_array_foreach(versions, j, v)
			if (json_integer_value(json_object_get(v, "version-id")) == pond_iceberg_view_current_version_id(view))
				current = v;
		json_array_foreach(json_object_get(current, "representations"), j, r)
			printf("%s%s", j ? ", " : "", json_string_value(json_object_get(r, "dialect")) ?
			       json_string_value(json_object_get(r, "dialect")) : "?");
		printf("\n");
		pond_iceberg_view_free(&view);
	}
	return 0;
}

static int cmd_tables(int argc, char **argv)
{
	bool as_json = false;
	int rc = parse_json_flag(&cli_tables_command, argc, argv, &as_json, 0, 1);
	if (rc >= 0)
		return rc;
	pond_error err = POND_ERROR_INIT;
	pond_project *p;
	pond_lake *lake;
	if (check_catalog_file(&err) != 0 || cli_open_project(&p, &lake, NULL, &err) != 0)
		return cli_fail(&err);
	pond_arena *a = pond_arena_new();
	json_t *rows = NULL;
	pond_ns parent, *pp = NULL;
	if (optind < argc) {
		rc = pond_ns_parse(&parent, a, argv[optind], &err);
		pp = &parent;
	}
	if (rc == 0 || rc == -1)
		rc = pond_table_list_json(&rows, pond_lake_catalog(lake), p, pp, &err);
	/* A table whose metadata cannot be read is listed with its error and
	 * fails the command: it is not an empty table. */
	size_t broken = 0, i;
	char first_broken[256] = "";  /* a copy: rows is freed once printed */
	json_t *r;
	json_array_foreach(rows, i, r) {
		if (json_object_get(r, "error") && broken++ == 0)
			snprintf(first_broken, sizeof(first_broken), "%s", json_string_value(json_object_get(r, "table")));
	}
	if (rc == 0 && as_json) {
		rc = print_json(rows, &err);
		rows = NULL;
	} else if (rc == 0) {
		size_t folders = json_array_size(rows) || pp || strstr(p->warehouse, "://") ? 0 : warehouse_tables(p->warehouse);
		if (folders)
			printf("no tables in the catalog %s, but the warehouse %s holds %zu table folder%s it does not "
			       "list\n", p->catalog_uri, p->warehouse, folders, folders == 1 ? "" : "s");
		else if (json_array_size(rows) == 0)
			printf("no tables yet: create one with pond sql \"create table ns.t as select ...\"\n");
		else
			printf("%-32s %12s %8s %10s\n", "table", "records", "files", "size");
		json_array_foreach(rows, i, r) {
			const char *name = json_string_value(json_object_get(r, "table"));
			const char *error = json_string_value(json_object_get(r, "error"));
			if (error) {
				printf("%-32s %12s %8s %10s  %s\n", name, "?", "?", "?", error);
				continue;
			}
			char size[32];
			cli_human_bytes(size, json_integer_value(json_object_get(r, "bytes")));
			long long waiting = (long long)json_integer_value(json_object_get(r, "buffered_records"));
			printf("%-32s %12lld %8lld %10s", name, (long long)json_integer_value(json_object_get(r, "records")),
			       (long long)json_integer_value(json_object_get(r, "data_files")), size);
			if (waiting)
				printf("  (%lld buffered: pond flush)", waiting);
			printf("\n");
		}
	}
	if (rc == 0 && !as_json)
		rc = print_views(lake, pp, a, &err);
	if (rc == 0 && broken)
		rc = pond_error_set(&err, POND_ECORRUPT,
		                    "%zu table%s could not be read; pond sql \"drop table %s\" unregisters a broken table", broken,
		                    broken == 1 ? "" : "s", first_broken);
	json_decref(rows);
	pond_arena_free(&a);
	cli_close_project(&p, &lake);
	return rc ? cli_fail(&err) : EXIT_OK;
}

/* ---- pond show / pond history ---- */

/* Runs body on the table a command names (its one argument), in the
 * project; handles options, opening and errors for both commands. */
static int with_table(const cli_command *cmd, int argc, char **argv,
                      int (*body)(pond_lake *lake, const pond_table *t, bool as_json, pond_error *err))
{
	bool as_json = false;
	int rc = parse_json_flag(cmd, argc, argv, &as_json, 1, 1);
	if (rc >= 0)
		return rc;
	pond_error err = POND_ERROR_INIT;
	pond_project *p;
	pond_lake *lake;
	if (cli_open_project(&p, &lake, NULL, &err) != 0)
		return cli_fail(&err);
	pond_arena *a = pond_arena_new();
	pond_table *t = NULL;
	pond_table_ident id;
	rc = a ? pond_table_ident_parse(&id, a, argv[optind], &err) : pond_error_set(&err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = pond_table_load(&t, lake, &id, &err);
	if (rc == 0)
		rc = body(lake, t, as_json, &err);
	pond_table_free(&t);
	pond_arena_free(&a);
	cli_close_project(&p, &lake);
	return rc ? cli_fail(&err) : EXIT_OK;
}

static int show_table(pond_lake *lake, const pond_table *t, bool as_json, pond_error *err)
{
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	pond_fileio *io;
	int rc = pond_table_fileio(lake, t, &io, err);
	if (rc == 0)
		rc = cli_print_metadata(io, t->metadata_location, t->metadata, &so, as_json, false, err);
	pond_fileio_free(&io);
	return rc;
}

static int cmd_show(int argc, char **argv)
{
	return with_table(&cli_show_command, argc, argv, show_table);
}

static int history_table(pond_lake *lake, const pond_table *t, bool as_json, pond_error *err)
{
	pond_buffer_stats waiting;
	int rc = pond_table_buffer_stats(lake, t, &waiting, err);
	if (rc)
		return rc;
	json_t *rows = pond_table_history_json(t->metadata);
	if (!rows)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (as_json)
		return print_json(rows, err);
	printf("%-20s %-24s %-10s %10s %10s %12s  %s\n", "snapshot", "committed at", "operation", "added", "deleted",
	       "total", "refs");
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		pond_buf refs = POND_BUF_INIT;
		size_t k;
		json_t *ref;
		json_array_foreach(json_object_get(r, "refs"), k, ref)
			pond_buf_printf(&refs, "%s%s", k ? ", " : "", json_string_value(ref));
		printf("%-20lld %-24s %-10s %10lld %10lld %12lld  %s\n",
		       (long long)json_integer_value(json_object_get(r, "snapshot_id")),
		       json_string_value(json_object_get(r, "committed_at")), json_string_value(json_object_get(r, "operation")),
		       (long long)json_integer_value(json_object_get(r, "added_records")),
		       (long long)json_integer_value(json_object_get(r, "deleted_records")),
		       (long long)json_integer_value(json_object_get(r, "total_records")), pond_buf_cstr(&refs));
		pond_buf_dispose(&refs);
	}
	if (waiting.records)
		printf("%lld row%s in the row buffer, not in a snapshot yet (pond flush writes them)\n",
		       (long long)waiting.records, waiting.records == 1 ? "" : "s");
	else if (t->metadata->nsnapshots == 0)
		printf("no snapshots yet: the table is empty\n");
	json_decref(rows);
	return 0;
}

static int cmd_history(int argc, char **argv)
{
	return with_table(&cli_history_command, argc, argv, history_table);
}

const cli_command cli_tables_command = {
	"tables", "list the project's tables with their sizes",
	"usage: pond tables [NAMESPACE] [--json]\n\nLists the catalog's tables (in NAMESPACE and below) with their record\n"
	"counts, data files and size at the current snapshot, then the Iceberg\n"
	"views (view models, views REST clients made) with their SQL dialects;\n"
	"--json lists the tables only.\n",
	cmd_tables,
};

const cli_command cli_show_command = {
	"show", "describe a table: schema, partitioning, properties, snapshot",
	"usage: pond show TABLE [--json]\n\nShows a table's schema (field ids, types), partition specs, sort orders,\n"
	"properties, snapshots and refs, and the current snapshot's file count,\n"
	"records and bytes. TABLE is ns.name, or name for main.name. For every\n"
	"manifest and file, use pond inspect on the table's folder.\n",
	cmd_show,
};

const cli_command cli_history_command = {
	"history", "list a table's snapshots",
	"usage: pond history TABLE [--json]\n\nLists a table's snapshots, oldest first: id, commit time, operation,\n"
	"records added and deleted, total records, and the branches and tags that\n"
	"point at it. Any of them can be read with SELECT ... FROM t AT (VERSION => id).\n",
	cmd_history,
};

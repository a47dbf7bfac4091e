/*
 * `pond sql`: run SQL once (from the argument, a file or stdin) or open the
 * interactive shell. Works over files DuckDB reads: CSV, Parquet, JSON.
 */
#include "cli.h"

#include <duckdb.h>
#include <getopt.h>
#include <jansson.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char sql_help[] =
	"usage: pond sql [OPTIONS] [QUERY]\n"
	"\n"
	"Runs QUERY (one or more statements separated by ';') and prints the rows.\n"
	"Without QUERY: reads statements from stdin when it is not a terminal,\n"
	"else opens the interactive shell (.help lists its commands).\n"
	"\n"
	"Files are tables: select * from 'prices.csv' (also Parquet, JSON, globs).\n"
	"\n"
	"options:\n"
	"  -f, --format FMT   table, csv, tsv, json, ndjson or markdown\n"
	"                     (default: table on a terminal, tsv otherwise)\n"
	"  -o, --output FILE  write rows to FILE instead of stdout\n"
	"  -F, --file FILE    run the statements in FILE\n"
	"  -h, --help         show this help\n"
	"\n"
	"exit status: 0 ok, 1 a statement failed, 2 usage error\n";

int cli_engine_open(pond_engine **out, pond_error *err)
{
	pond_engine_options opts = POND_ENGINE_OPTIONS_INIT;
	opts.progress = cli_progress;
	return pond_engine_open(out, &opts, err);
}

static int terminal_width(FILE *f)
{
	struct winsize ws;
	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 120;
}

int cli_sql_tables_query(cli_sql_session *s, pond_arena *a, const char **out, pond_error *err)
{
	pond_buf q = POND_BUF_INIT;
	pond_buf_puts(&q, "select * from (select null::varchar as namespace, null::varchar as name where false union all ");
	json_t *rows = NULL;
	int rc = 0;
	if (s->lake &&
	    (rc = pond_table_list_json(&rows, pond_lake_catalog(s->lake), pond_lake_project(s->lake), NULL, err)) != 0)
		return rc;
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		const char *name = json_string_value(json_object_get(r, "table"));
		const char *dot = name ? strrchr(name, '.') : NULL;
		if (!dot)
			continue;
		pond_buf tmp = POND_BUF_INIT;
		pond_buf_put(&tmp, name, (size_t)(dot - name));
		pond_buf_puts(&q, "select ");
		pond_sql_quote_literal(&q, pond_buf_cstr(&tmp));
		pond_buf_puts(&q, " as namespace, ");
		pond_sql_quote_literal(&q, dot + 1);
		pond_buf_puts(&q, " as name union all ");
		pond_buf_dispose(&tmp);
	}
	json_decref(rows);
	pond_buf_puts(&q, "select schema_name, table_name from duckdb_tables() where not internal union all "
	                  "select schema_name, view_name from duckdb_views() where not internal) order by all");
	const char *text = pond_buf_ok(&q) ? pond_arena_strdup(a, pond_buf_cstr(&q)) : NULL;
	pond_buf_dispose(&q);
	if (!text)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	*out = text;
	return 0;
}

/* SHOW TABLES / SHOW ALL TABLES, whatever the case and spacing. */
static bool is_show_tables(const char *sql)
{
	char words[3][8];
	int n = 0;
	const char *p = sql;
	while (*p && n < 3) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p || *p == ';')
			break;
		size_t len = 0;
		while (p[len] && !strchr(" \t\r\n;", p[len]))
			len++;
		if (len >= sizeof(words[0]))
			return false;
		for (size_t k = 0; k < len; k++)
			words[n][k] = (char)((p[k] >= 'A' && p[k] <= 'Z') ? p[k] + 32 : p[k]);
		words[n][len] = '\0';
		n++;
		p += len;
	}
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ';')
		p++;
	if (*p)
		return false;
	return (n == 2 && strcmp(words[0], "show") == 0 && strcmp(words[1], "tables") == 0) ||
	       (n == 3 && strcmp(words[0], "show") == 0 && strcmp(words[1], "all") == 0 &&
	        strcmp(words[2], "tables") == 0);
}

/* Runs one statement: through the session in a project (catalog tables,
 * Iceberg writes), else straight on the engine. */
static int run_statement(cli_sql_session *s, const char *sql, pond_arena *a, pond_error *err)
{
	if (s->lake && is_show_tables(sql)) {
		int qrc = cli_sql_tables_query(s, a, &sql, err);
		if (qrc)
			return qrc;
	}
	pond_result *result = NULL;
	const char *message = NULL;
	int64_t start = pond_time_mono_ns();
	int rc = s->session ? pond_session_run(s->session, sql, a, &result, &message, err)
	                    : pond_engine_query(s->engine, sql, &result, err);
	cli_progress_clear();
	if (rc == 0 && result && pond_result_has_rows(result)) {
		int64_t rows = 0;
		rc = cli_render(result, &s->render, &rows, err);
		cli_progress_clear();
	}
	pond_result_free(&result);
	if (rc == 0 && message)
		fprintf(stderr, "%s\n", message);
	if (rc == 0 && s->timer)
		fprintf(stderr, "run time: %.3f s\n", (double)(pond_time_mono_ns() - start) / 1e9);
	return rc;
}

/* Rewrites a failed statement's error to start "FILE:LINE:COLUMN: ", the
 * place in the script: the engine's "(line L, column C)" counts from the
 * statement's start, which is at start_line, start_col of the script. */
static void locate_error(pond_error *err, const char *script, int start_line, int start_col)
{
	int line = 0, col = 0, len = 0;
	char *pos = strrchr(err->msg, '(');
	if (pos && sscanf(pos, "(line %d, column %d)%n", &line, &col, &len) == 2 && pos[len] == '\0' && line > 0) {
		while (pos > err->msg && pos[-1] == ' ')
			pos--;
		*pos = '\0';
		col = line == 1 ? start_col + col - 1 : col;
		line = start_line + line - 1;
	} else {
		line = start_line;
		col = start_col;
	}
	pond_error_prefix(err, "%s:%d:%d", script, line, col);
}

int cli_sql_run(cli_sql_session *s, const char *sql)
{
	pond_error err = POND_ERROR_INIT;
	pond_arena *a = pond_arena_new();
	char **stmts;
	size_t n;
	int rc = a ? pond_sql_split(sql, a, &stmts, &n, &err) : pond_error_set(&err, POND_ENOMEM, "out of memory");
	/* Where each statement starts in the script: statements are trimmed
	 * copies, found in order. */
	const char *at = sql;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *found = s->script ? strstr(at, stmts[i]) : NULL;
		if (found)
			at = found;
		rc = run_statement(s, stmts[i], a, &err);
		if (rc && found) {
			int line = 1, col = 1;
			for (const char *p = sql; p < found; p++, col++)
				if (*p == '\n')
					line++, col = 0;
			locate_error(&err, s->script, line, col);
		}
		if (found)
			at = found + strlen(stmts[i]);
	}
	if (rc)
		cli_fail(&err);
	pond_arena_free(&a);
	return rc ? -1 : 0;
}

static char *read_stream(FILE *f, const char *what, pond_error *err)
{
	pond_buf b = POND_BUF_INIT;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		pond_buf_put(&b, chunk, n);
	if (ferror(f)) {
		pond_buf_dispose(&b);
		pond_error_set(err, POND_EIO, "could not read %s", what);
		return NULL;
	}
	char *text = pond_buf_detach(&b);
	if (!text)
		pond_error_set(err, POND_ENOMEM, "out of memory reading %s", what);
	return text;
}

/* The statements to run, in *text (the caller frees it): the file's, the
 * query, or stdin's (for "-", or when stdin is not a terminal). *text
 * stays NULL for the interactive shell. */
static int read_statements(char **text, const char *file, const char *query, pond_error *err)
{
	if (file) {
		size_t len;
		return pond_file_read(text, &len, file, (size_t)1 << 30, err);
	}
	if (query && strcmp(query, "-") != 0) {
		*text = pond_strdup(query);
	} else if (query || !isatty(STDIN_FILENO)) {
		if (!(*text = read_stream(stdin, "stdin", err)))
			return err->code;
	}
	return 0;
}

static int cmd_sql(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"file", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *format = NULL, *output = NULL, *file = NULL;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":f:o:F:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f': format = optarg; break;
		case 'o': output = optarg; break;
		case 'F': file = optarg; break;
		case 'h': return cli_print_help(&cli_sql_command);
		case ':': return cli_usage_error("sql", "option %s needs a value", argv[optind - 1]);
		default: return cli_usage_error("sql", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("sql", "expected one QUERY argument, got %d (quote the query)", argc - optind);
	const char *query = optind < argc ? argv[optind] : NULL;
	if (query && file)
		return cli_usage_error("sql", "give a QUERY or --file, not both");

	cli_sql_session s = {0};
	s.render.out = stdout;
	s.render.max_rows = 40;
	if (format && !cli_format_parse(format, &s.render.format))
		return cli_usage_error("sql", "unknown format \"%s\" (expected %s)", format, cli_format_names());
	pond_error err = POND_ERROR_INIT;
	if (output) {
		s.render.out = fopen(output, "w");
		if (!s.render.out) {
			pond_error_set(&err, POND_EIO, "could not open %s for writing: %m", output);
			return cli_fail(&err);
		}
	}
	bool tty_out = isatty(fileno(s.render.out));
	if (!format)
		s.render.format = tty_out ? CLI_FORMAT_TABLE : CLI_FORMAT_TSV;
	s.render.width = tty_out ? terminal_width(s.render.out) : 0;
	s.render.color = tty_out && !getenv("NO_COLOR");

	char *text = NULL;
	int exit_code = EXIT_OK;
	s.script = file;
	if (read_statements(&text, file, query, &err) != 0) {
		exit_code = cli_fail(&err);
		goto out;
	}

	if (cli_engine_open(&s.engine, &err) != 0) {
		exit_code = cli_fail(&err);
		goto out;
	}
	/* In a project, catalog tables are queryable and writable; outside
	 * one, pond sql works on files alone. */
	pond_project *project = NULL;
	pond_lake *lake = NULL;
	int prc = cli_open_project(&project, &lake, s.engine, &err);
	if (prc == 0)
		prc = pond_session_open(&s.session, lake, &err);
	s.lake = lake;
	if (prc != 0 && (prc != POND_ENOTFOUND || cli_project_dir)) {
		exit_code = cli_fail(&err);
		cli_close_project(&project, &lake);
		pond_engine_close(&s.engine);
		goto out;
	}
	cli_sigint_install(s.engine);
	if (text)
		exit_code = cli_sql_run(&s, text) == 0 ? EXIT_OK : EXIT_FAIL;
	else
		exit_code = cli_shell(&s);
	cli_sigint_install(NULL);
	pond_session_close(&s.session);
	cli_close_project(&project, &lake);
	pond_engine_close(&s.engine);
out:
	pond_free(text);
	if (output && s.render.out && fclose(s.render.out) != 0 && exit_code == EXIT_OK) {
		pond_error_set(&err, POND_EIO, "could not write %s: %m", output);
		exit_code = cli_fail(&err);
	}
	return exit_code;
}

const cli_command cli_sql_command = {
	"sql", "run SQL over files and tables, once or in an interactive shell", sql_help, cmd_sql,
};

/*
 * The interactive SQL shell: line editing and history through libedit,
 * statements that span lines until a ';' outside quotes and comments,
 * dot-commands, and Ctrl-C that cancels the running query or the line
 * being typed rather than the shell.
 */
#include "cli.h"

#include <ctype.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include <editline/readline.h>

static const char shell_help[] =
	"statements end with ';' and may span lines. Ctrl-C cancels a running\n"
	"query or the current input; Ctrl-D or .quit leaves.\n"
	"\n"
	".help              this text\n"
	".tables            list the tables and views\n"
	".mode [FORMAT]     show or set the output format (table, csv, tsv, json,\n"
	"                   ndjson, markdown)\n"
	".timer on|off      print each statement's run time\n"
	".read FILE         run the statements in FILE\n"
	".quit, .exit       leave the shell\n";

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

typedef enum { SHELL_CONTINUE, SHELL_QUIT } shell_next;

static shell_next dot_command(cli_sql_session *s, char *line)
{
	char *cmd = strtok(line, " \t");
	char *arg = strtok(NULL, " \t");
	if (strcmp(cmd, ".quit") == 0 || strcmp(cmd, ".exit") == 0 || strcmp(cmd, ".q") == 0)
		return SHELL_QUIT;
	if (strcmp(cmd, ".help") == 0) {
		fputs(shell_help, stdout);
	} else if (strcmp(cmd, ".tables") == 0) {
		pond_error err = POND_ERROR_INIT;
		pond_arena *a = pond_arena_new();
		const char *q = NULL;
		if (!a || cli_sql_tables_query(s, a, &q, &err) != 0)
			cli_fail(&err);
		else
			cli_sql_run(s, q);
		pond_arena_free(&a);
	} else if (strcmp(cmd, ".mode") == 0) {
		static const char *names[] = {"table", "tsv", "csv", "tsv", "json", "ndjson", "markdown"};
		if (!arg)
			printf("%s\n", names[s->render.format]);
		else if (!cli_format_parse(arg, &s->render.format))
			fprintf(stderr, "unknown mode \"%s\" (expected %s)\n", arg, cli_format_names());
	} else if (strcmp(cmd, ".timer") == 0) {
		if (arg && (strcmp(arg, "on") == 0 || strcmp(arg, "off") == 0))
			s->timer = strcmp(arg, "on") == 0;
		else
			fprintf(stderr, "usage: .timer on|off\n");
	} else if (strcmp(cmd, ".read") == 0) {
		pond_error err = POND_ERROR_INIT;
		char *text;
		size_t len;
		if (!arg)
			fprintf(stderr, "usage: .read FILE\n");
		else if (pond_file_read(&text, &len, arg, (size_t)1 << 30, &err) != 0)
			cli_fail(&err);
		else {
			cli_sql_run(s, text);
			pond_free(text);
		}
	} else {
		fprintf(stderr, "unknown command \"%s\"; .help lists them\n", cmd);
	}
	return SHELL_CONTINUE;
}

static char *history_path(void)
{
	const char *home = getenv("HOME");
	if (!home || !*home)
		return NULL;
	pond_buf b = POND_BUF_INIT;
	pond_buf_printf(&b, "%s/.pond_history", home);
	return pond_buf_detach(&b);
}

int cli_shell(cli_sql_session *s)
{
	char *hist = history_path();
	using_history();
	if (hist)
		read_history(hist);
	printf("pond %s (DuckDB %s). Statements end with ';'. .help for help.\n", POND_VERSION,
	       pond_engine_duckdb_version());
	pond_buf stmt = POND_BUF_INIT;
	for (;;) {
		char *line = readline(stmt.len ? "   ...> " : "pond> ");
		if (cli_sigint_take()) {
			/* Ctrl-C at the prompt drops the statement being typed. */
			free(line);
			pond_buf_clear(&stmt);
			printf("\n");
			continue;
		}
		if (!line) {
			printf("\n");
			break;
		}
		if (stmt.len == 0) {
			char *t = trim(line);
			if (*t == '\0') {
				free(line);
				continue;
			}
			if (*t == '.') {
				add_history(t);
				shell_next next = dot_command(s, t);
				free(line);
				if (next == SHELL_QUIT)
					break;
				continue;
			}
		}
		pond_buf_puts(&stmt, line);
		pond_buf_putc(&stmt, '\n');
		free(line);
		if (!pond_sql_is_complete(pond_buf_cstr(&stmt)))
			continue;
		char *text = pond_buf_detach(&stmt);
		if (!text)
			continue;
		char *t = trim(text);
		add_history(t);
		cli_sql_run(s, t);
		cli_sigint_take();
		pond_free(text);
	}
	pond_buf_dispose(&stmt);
	if (hist) {
		write_history(hist);
		history_truncate_file(hist, 2000);
		pond_free(hist);
	}
	return EXIT_OK;
}

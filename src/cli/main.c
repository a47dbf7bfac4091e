/*
 * pond's entry point: global options, then one command from the table.
 */
#include "cli.h"

#include <errno.h>

#include <stdarg.h>
#include <string.h>

static void print_main_help(void)
{
	printf("pond %s: a local-first data lakehouse in one program\n\n", POND_VERSION);
	printf("usage: pond [--version] [--help] COMMAND [ARGS]\n\ncommands:\n");
	for (const cli_command *const *c = cli_commands; *c; c++)
		printf("  %-10s %s\n", (*c)->name, (*c)->summary);
	printf("\nglobal options:\n  --project DIR  the project folder (default: the folder holding pond.yml,\n"
	       "                 here or above)\n");
	printf("\nRun 'pond help COMMAND' for a command's options.\n");
	printf("Environment: POND_LOG=error|warn|info|debug sets the log level.\n");
}

const cli_command *cli_find_command(const char *name)
{
	for (const cli_command *const *c = cli_commands; *c; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "pond%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun 'pond help%s%s' for usage.\n", cmd ? " " : "", cmd ? cmd : "");
	return EXIT_USAGE;
}

int cli_fail(const pond_error *err)
{
	fprintf(stderr, "pond: error: %s\n", err->msg[0] ? err->msg : pond_error_code_name(err->code));
	return EXIT_FAIL;
}

int cli_print_help(const cli_command *cmd)
{
	fputs(cmd->help, stdout);
	return EXIT_OK;
}

int cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

static int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		print_main_help();
		return EXIT_OK;
	}
	const cli_command *c = cli_find_command(argv[1]);
	if (!c)
		return cli_usage_error("help", "unknown command \"%s\"", argv[1]);
	return cli_print_help(c);
}

const cli_command cli_help_command = {
	"help", "show help for pond or for one command",
	"usage: pond help [COMMAND]\n\nShows the list of commands, or one command's usage and options.\n",
	cmd_help,
};

const char *cli_project_dir;

int cli_open_project(pond_project **project, pond_lake **lake, pond_engine *engine, pond_error *err)
{
	*project = NULL;
	*lake = NULL;
	int rc = cli_project_dir ? pond_project_load(project, cli_project_dir, err)
	                         : pond_project_find(project, NULL, true, err);
	if (rc == 0 && (rc = pond_lake_open(lake, *project, engine, err)) != 0)
		pond_project_free(project);
	return rc;
}

void cli_close_project(pond_project **project, pond_lake **lake)
{
	pond_lake_close(lake);
	pond_project_free(project);
}

/* Takes --project DIR / --project=DIR out of argv (before any "--"). */
static int take_project_option(int *argc, char **argv)
{
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		int used = 0;
		if (strcmp(argv[i], "--project") == 0) {
			if (i + 1 >= *argc)
				return cli_usage_error(NULL, "--project needs a folder");
			cli_project_dir = argv[i + 1];
			used = 2;
		} else if (strncmp(argv[i], "--project=", 10) == 0) {
			cli_project_dir = argv[i] + 10;
			used = 1;
		}
		if (used) {
			memmove(&argv[i], &argv[i + used], (size_t)(*argc - i - used + 1) * sizeof(char *));
			*argc -= used;
			i--;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	pond_log_init();
	if (take_project_option(&argc, argv) != 0)
		return EXIT_USAGE;
	if (argc < 2) {
		print_main_help();
		return EXIT_USAGE;
	}
	const char *first = argv[1];
	if (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0) {
		print_main_help();
		return EXIT_OK;
	}
	if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0) {
		printf("pond %s (DuckDB %s)\n", POND_VERSION, pond_engine_duckdb_version());
		return EXIT_OK;
	}
	if (first[0] == '-')
		return cli_usage_error(NULL, "unknown option \"%s\"", first);
	const cli_command *c = cli_find_command(first);
	if (!c)
		return cli_usage_error(NULL, "unknown command \"%s\"", first);
	if (cli_wants_help(argc - 1, argv + 1))
		return cli_print_help(c);
	int rc = c->run(argc - 1, argv + 1);
	/* Output that did not reach its file (a full disk, a closed pipe) is a
	 * failure, not a success with nothing written. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		int e = errno;
		fprintf(stderr, "pond: error: could not write the output of pond %s: %s%s\n", c->name, strerror(e),
		        e == ENOSPC ? " (the disk is full)" : "");
		return rc ? rc : EXIT_FAIL;
	}
	return rc;
}

/*
 * `pond init`: a new project folder.
 */
#include "cli.h"

#include <getopt.h>

static const char init_help[] =
	"usage: pond init [DIR] [--name NAME]\n"
	"\n"
	"Creates a pond project in DIR (default: the current folder): pond.yml\n"
	"naming a SQLite catalog (catalog.db) and a warehouse folder, and the\n"
	"folders sources/, models/ and exports/. Refuses to overwrite an existing\n"
	"pond.yml.\n"
	"\n"
	"options:\n"
	"  --name NAME   the project's name (default: the folder's name)\n";

static int cmd_init(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"name", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *name = NULL;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n': name = optarg; break;
		case 'h': return cli_print_help(&cli_init_command);
		case ':': return cli_usage_error("init", "option %s needs a value", argv[optind - 1]);
		default: return cli_usage_error("init", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("init", "expected at most one folder");
	const char *dir = optind < argc ? argv[optind] : ".";
	pond_error err = POND_ERROR_INIT;
	if (pond_project_init(dir, name, &err) != 0)
		return cli_fail(&err);
	printf("created a pond project in %s\n", dir);
	printf("next: pond sql \"create table prices as select * from 'prices.csv'\"\n");
	return EXIT_OK;
}

const cli_command cli_init_command = {
	"init", "create a project: pond.yml, a catalog and a warehouse", init_help, cmd_init,
};

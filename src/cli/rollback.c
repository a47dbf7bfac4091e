/*
 * `pond rollback`: set a table's main branch back to an earlier snapshot.
 */
#include "cli.h"

#include <getopt.h>

static const char rollback_help[] =
	"usage: pond rollback TABLE SNAPSHOT [--force]\n"
	"       pond rollback TABLE --to-time TIMESTAMP\n"
	"\n"
	"Points the table's main branch at an earlier snapshot (one commit; the\n"
	"later snapshots stay in the history and can still be read by id). The\n"
	"snapshot must be an ancestor of the current one unless --force is given.\n"
	"With --to-time, the snapshot current at TIMESTAMP (e.g. 2024-01-31 12:00).\n"
	"pond history TABLE lists the snapshots.\n"
	"\n"
	"options:\n"
	"  --force            allow a snapshot that is not an ancestor\n"
	"  --to-time TS       the snapshot that was current at TS\n";

static int cmd_rollback(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"force", no_argument, NULL, 'f'},
		{"to-time", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool force = false;
	const char *to_time = NULL;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f': force = true; break;
		case 't': to_time = optarg; break;
		case 'h': return cli_print_help(&cli_rollback_command);
		case ':': return cli_usage_error("rollback", "option %s needs a value", argv[optind - 1]);
		default: return cli_usage_error("rollback", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	int want = to_time ? 1 : 2;
	if (argc - optind != want)
		return cli_usage_error("rollback", to_time ? "expected TABLE with --to-time" : "expected TABLE and SNAPSHOT");
	int64_t snapshot = 0, at_us = 0;
	pond_error err = POND_ERROR_INIT;
	if (!to_time && !pond_str_to_i64(argv[optind + 1], &snapshot))
		return cli_usage_error("rollback", "snapshot id \"%s\" is not a number", argv[optind + 1]);
	if (to_time && pond_time_parse_us(to_time, &at_us, &err) != 0)
		return cli_usage_error("rollback", "%s", err.msg);
	pond_project *p;
	pond_lake *lake;
	if (cli_open_project(&p, &lake, NULL, &err) != 0)
		return cli_fail(&err);
	pond_arena *a = pond_arena_new();
	pond_table_ident id;
	int rc = pond_table_ident_parse(&id, a, argv[optind], &err);
	if (rc == 0)
		rc = to_time ? pond_table_rollback_to_time(lake, &id, at_us / 1000, &snapshot, &err)
		             : pond_table_rollback(lake, &id, snapshot, force, &err);
	if (rc == 0)
		printf("rolled %s back to snapshot %lld\n", pond_table_ident_format(a, &id), (long long)snapshot);
	pond_arena_free(&a);
	cli_close_project(&p, &lake);
	return rc ? cli_fail(&err) : EXIT_OK;
}

const cli_command cli_rollback_command = {
	"rollback", "set a table back to an earlier snapshot", rollback_help, cmd_rollback,
};

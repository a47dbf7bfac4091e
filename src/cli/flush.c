/*
 * `pond flush`: write tables' buffered rows (small appends waiting in the
 * catalog database) as one snapshot each, so other engines see them.
 */
#include "cli.h"

#include <getopt.h>

static const char flush_help[] =
	"usage: pond flush [TABLE...]\n"
	"\n"
	"Small appends (INSERTs of up to pond.buffer.insert-max-rows rows, 1000 by\n"
	"default) wait in a row buffer in the catalog database instead of becoming a\n"
	"data file and a snapshot each. pond reads them at once; other engines (Spark,\n"
	"Trino, DuckDB reading the Iceberg files) see them only after a flush. A flush\n"
	"writes a table's buffered rows as one Parquet file and one append snapshot,\n"
	"and empties its buffer in the same catalog transaction. pond flushes by\n"
	"itself when a table's buffer reaches pond.buffer.flush-rows rows (10000),\n"
	"pond.buffer.flush-batches appends (100), pond.buffer.flush-bytes (8 MB), or\n"
	"when its oldest rows are pond.buffer.flush-age-ms old (10 minutes), and\n"
	"before any write other than an append. Without TABLE, every table with\n"
	"buffered rows is flushed.\n";

static int flush_one(pond_lake *lake, const pond_table_ident *id, pond_arena *a, pond_error *err)
{
	pond_write_result r;
	int rc = pond_table_flush(lake, id, &r, err);
	if (rc == 0 && r.snapshot_id)
		printf("flushed %lld row%s into %s (snapshot %lld)\n", (long long)r.added_records,
		       r.added_records == 1 ? "" : "s", pond_table_ident_format(a, id), (long long)r.snapshot_id);
	else if (rc == 0)
		printf("%s has no buffered rows\n", pond_table_ident_format(a, id));
	return rc;
}

static int cmd_flush(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h': return cli_print_help(&cli_flush_command);
		default: return cli_usage_error("flush", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	pond_error err = POND_ERROR_INIT;
	pond_project *p;
	pond_lake *lake;
	if (cli_open_project(&p, &lake, NULL, &err) != 0)
		return cli_fail(&err);
	pond_arena *a = pond_arena_new();
	int rc = a ? 0 : pond_error_set(&err, POND_ENOMEM, "out of memory");
	pond_table_ident *ids = NULL;
	size_t n = 0;
	if (rc == 0 && optind == argc) {
		rc = pond_lake_buffered_tables(lake, a, &ids, &n, &err);
		if (rc == 0 && n == 0)
			printf("no table has buffered rows\n");
	} else if (rc == 0) {
		n = (size_t)(argc - optind);
		if (!(ids = pond_arena_calloc(a, n, sizeof(*ids))))
			rc = pond_error_set(&err, POND_ENOMEM, "out of memory");
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = pond_table_ident_parse(&ids[i], a, argv[optind + (int)i], &err);
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = flush_one(lake, &ids[i], a, &err);
	pond_arena_free(&a);
	cli_close_project(&p, &lake);
	return rc ? cli_fail(&err) : EXIT_OK;
}

const cli_command cli_flush_command = {
	"flush", "write buffered rows of small appends as snapshots", flush_help, cmd_flush,
};

/*
 * `pond compact`: bin-pack a table's small files (or every table's) into
 * files of about the target size, one commit per table (table/compact.c).
 */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pond/maintain.h"

static const char compact_help[] =
	"usage: pond compact [TABLE] [--target-size SIZE] [--min-input-files N] [--where FILTER] [--json]\n"
	"\n"
	"Rewrites small data files as files of about the target size, per\n"
	"partition, in one commit per table (all tables when no TABLE is given).\n"
	"A partition's files under 75% of the target size are rewritten when\n"
	"there are at least N of them (default 5) or together they pass the\n"
	"target size. Files with 30% or more of their rows deleted, and files\n"
	"written under an older partition spec, are rewritten too; delete files\n"
	"that then apply to no data file go. Rows come out sorted by the table's\n"
	"sort order when it has one. The rows read the same before and after.\n"
	"\n"
	"Appends committed meanwhile are kept; a delete or overwrite committed\n"
	"meanwhile that changed a file being rewritten makes the compaction of\n"
	"that table fail with nothing changed (run it again).\n"
	"\n"
	"Prints, per table, files and bytes before and after. A line on stderr\n"
	"announces a rewrite of 1,000 files or 64 MB and more.\n"
	"\n"
	"options:\n"
	"  --target-size SIZE     bytes per file, e.g. 128MB or 1GB (default: the\n"
	"                         table property write.target-file-size-bytes,\n"
	"                         else 512MB)\n"
	"  --min-input-files N    small files a partition needs to be rewritten (default 5)\n"
	"  --where FILTER         only files that may hold rows matching FILTER,\n"
	"                         e.g. \"day >= '2024-01-01'\"\n"
	"  --json                 one JSON object per table, in an array\n";

typedef struct compact_args {
	const char *table;
	pond_compact_options opts;
	bool json;
	pond_compact_result result;  /* the last table's */
} compact_args;

static int parse_args(compact_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"target-size", required_argument, NULL, 's'},
		{"min-input-files", required_argument, NULL, 'n'},
		{"where", required_argument, NULL, 'w'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	memset(a, 0, sizeof(*a));
	a->opts = (pond_compact_options)POND_COMPACT_OPTIONS_INIT;
	int opt;
	int64_t n;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (!pond_str_to_size(optarg, &a->opts.target_file_size))
				return cli_usage_error("compact", "--target-size \"%s\" is not a size (e.g. 128MB)",
				                       optarg);
			break;
		case 'n':
			if (!pond_str_to_i64(optarg, &n) || n < 1 || n > 1000000)
				return cli_usage_error("compact", "--min-input-files \"%s\" is not a count from 1",
				                       optarg);
			a->opts.min_input_files = (int)n;
			break;
		case 'w': a->opts.where = optarg; break;
		case 'j': a->json = true; break;
		case 'h': return cli_print_help(&cli_compact_command);
		case ':': return cli_usage_error("compact", "option %s needs a value", argv[optind - 1]);
		default: return cli_usage_error("compact", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("compact", "expected at most one TABLE");
	a->table = argc > optind ? argv[optind] : NULL;
	return -1;
}

static const char *plural(int64_t n)
{
	return n == 1 ? "" : "s";
}

static void on_progress(const pond_compact_progress *p, void *payload)
{
	(void)payload;
	if (p->rewrite_files < 1000 && p->rewrite_bytes < ((int64_t)64 << 20))
		return;
	char size[32];
	cli_human_bytes(size, p->rewrite_bytes);
	fprintf(stderr, "compacting %s: rewriting %lld of %lld files (%s) in %lld group%s\n", p->table,
	        (long long)p->rewrite_files, (long long)p->data_files, size, (long long)p->groups, plural(p->groups));
}

static void print_text(const char *table, const pond_compact_result *r)
{
	char before[32], after[32];
	cli_human_bytes(before, r->bytes_before);
	cli_human_bytes(after, r->bytes_after);
	if (!r->snapshot_id) {
		printf("%s: nothing to compact (%lld file%s, %s)\n", table, (long long)r->data_files_before,
		       plural(r->data_files_before), before);
		return;
	}
	printf("%s: %lld file%s, %s -> %lld file%s, %s (rewrote %lld in %lld group%s", table,
	       (long long)r->data_files_before, plural(r->data_files_before), before, (long long)r->data_files_after,
	       plural(r->data_files_after), after, (long long)r->rewritten_files, (long long)r->groups,
	       plural(r->groups));
	if (r->removed_delete_files)
		printf("; removed %lld delete file%s", (long long)r->removed_delete_files,
		       plural(r->removed_delete_files));
	printf(")\n");
}

static json_t *result_json(const char *table, const pond_compact_result *r)
{
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "table", table,
	                 "snapshot_id", (json_int_t)r->snapshot_id,
	                 "data_files_before", (json_int_t)r->data_files_before,
	                 "delete_files_before", (json_int_t)r->delete_files_before,
	                 "bytes_before", (json_int_t)r->bytes_before,
	                 "data_files_after", (json_int_t)r->data_files_after,
	                 "delete_files_after", (json_int_t)r->delete_files_after,
	                 "bytes_after", (json_int_t)r->bytes_after,
	                 "rewritten_files", (json_int_t)r->rewritten_files,
	                 "added_files", (json_int_t)r->added_files,
	                 "removed_delete_files", (json_int_t)r->removed_delete_files,
	                 "groups", (json_int_t)r->groups);
}

/* One table's compaction (cli_each_table), its result kept for report. */
static int compact_one(void *payload, pond_lake *lake, const pond_table_ident *id, pond_error *err)
{
	compact_args *a = payload;
	return pond_table_compact(lake, id, &a->opts, &a->result, err);
}

static void report(void *payload, const char *table, json_t *out)
{
	compact_args *a = payload;
	if (out)
		json_array_append_new(out, result_json(table, &a->result));
	else
		print_text(table, &a->result);
}

static int cmd_compact(int argc, char **argv)
{
	compact_args a;
	int code = parse_args(&a, argc, argv);
	if (code >= 0)
		return code;
	a.opts.progress = on_progress;
	a.opts.cancel = cli_cancel_flag();
	cli_table_job job = {NULL, compact_one, report, &a};
	return cli_table_command(&a.table, a.table != NULL, a.json, &job);
}

const cli_command cli_compact_command = {
	"compact", "rewrite small files into bigger ones", compact_help, cmd_compact,
};

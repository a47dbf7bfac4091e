/*
 * `pond expire`: expire old snapshots of one table or all, and delete the
 * files only they referenced (pond_table_expire).
 */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>

#include "pond/maintain.h"

static const char expire_help[] =
	"usage: pond expire [TABLE] [--older-than AGE] [--retain-last N] [--dry-run] [--json]\n"
	"\n"
	"Expires snapshots of TABLE (every table when none is given) by Iceberg's\n"
	"rules: main and each branch keep the snapshots younger than AGE and at\n"
	"least the N newest of their history, tags keep theirs, and tags or\n"
	"branches past their max-ref-age-ms go. One commit per table; then the\n"
	"manifest lists, manifests, data and delete files that only the removed\n"
	"snapshots referenced are deleted. Time travel to a removed snapshot is no\n"
	"longer possible.\n"
	"\n"
	"Without options the table's properties decide:\n"
	"history.expire.max-snapshot-age-ms (default 7 days) and\n"
	"history.expire.min-snapshots-to-keep (default 1). Commits also expire by\n"
	"themselves when a table passes pond.history.max-snapshots (default 100)\n"
	"by a quarter; see docs/maintenance.md.\n"
	"\n"
	"options:\n"
	"  --older-than AGE   expire snapshots older than AGE (7d, 12h, 30m, 45s)\n"
	"  --retain-last N    keep at least the N newest snapshots of each branch\n"
	"  --dry-run          say what would be removed; change nothing\n"
	"  --json             one JSON object per table\n";

static json_t *result_json(const char *table, const pond_expire_result *r, bool dry_run)
{
	return json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "table", table, "dry_run", dry_run, "snapshots",
	                 (json_int_t)r->snapshots, "refs", (json_int_t)r->refs, "manifest_lists",
	                 (json_int_t)r->manifest_lists, "manifests", (json_int_t)r->manifests, "data_and_delete_files",
	                 (json_int_t)r->content_files, "statistics_files", (json_int_t)r->other_files, "bytes",
	                 (json_int_t)r->bytes, "snapshots_left", (json_int_t)r->snapshots_left);
}

static void print_result(const char *table, const pond_expire_result *r, bool dry_run)
{
	char size[32];
	cli_human_bytes(size, r->bytes);
	int64_t files = r->manifest_lists + r->manifests + r->content_files + r->other_files;
	if (r->snapshots == 0 && r->refs == 0) {
		printf("%s: nothing to expire (%lld snapshots)\n", table, (long long)r->snapshots_left);
		return;
	}
	printf("%s: %s %lld snapshot%s", table, dry_run ? "would expire" : "expired", (long long)r->snapshots,
	       r->snapshots == 1 ? "" : "s");
	if (r->refs)
		printf(" and %lld ref%s", (long long)r->refs, r->refs == 1 ? "" : "s");
	printf(" (%lld left); %s %lld file%s, %s (%lld manifest lists, %lld manifests, %lld data and delete files",
	       (long long)r->snapshots_left, dry_run ? "would delete" : "deleted", (long long)files,
	       files == 1 ? "" : "s", size, (long long)r->manifest_lists, (long long)r->manifests,
	       (long long)r->content_files);
	if (r->other_files)
		printf(", %lld statistics files", (long long)r->other_files);
	printf(")\n");
}

static int cmd_expire(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"older-than", required_argument, NULL, 'o'},
		{"retain-last", required_argument, NULL, 'r'},
		{"dry-run", no_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	pond_expire_options o = POND_EXPIRE_OPTIONS_INIT;
	bool as_json = false;
	pond_error err = POND_ERROR_INIT;
	int opt;
	int64_t n;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			if (pond_maintain_parse_age(optarg, &o.older_than_ms, &err) != 0)
				return cli_usage_error("expire", "%s", err.msg);
			break;
		case 'r':
			if (!pond_str_to_i64(optarg, &n) || n < 1 || n > INT32_MAX)
				return cli_usage_error("expire", "--retain-last needs a number of at least 1, not "
				                                 "\"%s\"", optarg);
			o.retain_last = (int32_t)n;
			break;
		case 'n': o.dry_run = true; break;
		case 'j': as_json = true; break;
		case 'h': return cli_print_help(&cli_expire_command);
		case ':': return cli_usage_error("expire", "option %s needs a value", argv[optind - 1]);
		default: return cli_usage_error("expire", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("expire", "expected at most one TABLE");
	if (pond_time_policy_now_ms(&o.now_ms, &err) != 0)
		return cli_fail(&err);
	pond_project *p;
	pond_lake *lake;
	if (cli_open_project(&p, &lake, NULL, &err) != 0)
		return cli_fail(&err);
	pond_arena *a = pond_arena_new();
	pond_table_ident *ids = NULL;
	size_t nids = 0;
	int rc = a ? pond_maintain_tables(&ids, &nids, lake, optind < argc ? argv[optind] : NULL, a, &err)
	           : pond_error_set(&err, POND_ENOMEM, "out of memory");
	int failed = 0;
	for (size_t i = 0; i < nids && rc == 0; i++) {
		const char *name = pond_table_ident_format(a, &ids[i]);
		pond_expire_result r;
		pond_error terr = POND_ERROR_INIT;
		if (pond_table_expire(lake, &ids[i], &o, &r, &terr) != 0) {
			/* one table failing does not stop the others */
			fprintf(stderr, "pond: %s: %s\n", name, terr.msg);
			failed++;
			continue;
		}
		if (as_json) {
			json_t *doc = result_json(name, &r, o.dry_run);
			char *text = doc ? pond_json_dumps(doc, false) : NULL;
			json_decref(doc);
			if (text)
				puts(text);
			pond_free(text);
		} else {
			print_result(name, &r, o.dry_run);
		}
	}
	pond_arena_free(&a);
	cli_close_project(&p, &lake);
	if (rc)
		return cli_fail(&err);
	return failed ? EXIT_FAIL : EXIT_OK;
}

const cli_command cli_expire_command = {
	"expire", "expire old snapshots and delete the files only they used", expire_help, cmd_expire,
};

/*
 * `pond orphans`: list, or with --delete remove, files under each table's
 * folder that no metadata references (pond_table_orphans).
 */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>

#include "pond/maintain.h"

static const char orphans_help[] =
	"usage: pond orphans [TABLE] [--older-than AGE] [--delete] [--json]\n"
	"\n"
	"Lists files under the folder of TABLE (every table when none is given)\n"
	"that no metadata of the table references: the partial files and empty\n"
	"write folders a killed write leaves, metadata files that fell out of the\n"
	"metadata-log, files of commits that lost a race. With --delete they are\n"
	"removed, with the empty write folders under data/.\n"
	"\n"
	"Never touched: files modified within AGE (default 3d: a write in flight),\n"
	"folders that are another table's, anything outside the warehouse, and\n"
	"symbolic links. POND_NOW (a timestamp) moves \"now\", for tests.\n"
	"\n"
	"options:\n"
	"  --older-than AGE   only files older than AGE (7d, 12h, 30m, 45s); default 3d\n"
	"  --delete           remove them\n"
	"  --json             one JSON object per table, with its files\n";

typedef struct listing {
	bool as_json;
	json_t *files;
} listing;

static void found(const char *path, int64_t bytes, void *payload)
{
	listing *l = payload;
	if (l->as_json) {
		json_array_append_new(l->files, json_pack("{s:s,s:I}", "path", path, "bytes", (json_int_t)bytes));
		return;
	}
	char size[32];
	cli_human_bytes(size, bytes);
	printf("%s\t%s\n", path, size);
}

static void report(const char *table, const pond_orphans_result *r, bool removed, listing *l)
{
	if (l->as_json) {
		json_t *doc = json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:O}", "table", table, "deleted", removed, "files",
		                        (json_int_t)r->files, "bytes", (json_int_t)r->bytes, "empty_folders",
		                        (json_int_t)r->folders, "newer_than_window", (json_int_t)r->young, "paths",
		                        l->files);
		char *text = doc ? pond_json_dumps(doc, false) : NULL;
		json_decref(doc);
		if (text)
			puts(text);
		pond_free(text);
		return;
	}
	char size[32];
	cli_human_bytes(size, r->bytes);
	printf("%s: %lld orphan file%s, %s%s", table, (long long)r->files, r->files == 1 ? "" : "s", size,
	       removed ? " deleted" : "");
	if (r->folders)
		printf("; %lld empty write folder%s%s", (long long)r->folders, r->folders == 1 ? "" : "s",
		       removed ? " removed" : "");
	if (r->young)
		printf("; %lld newer unreferenced file%s left alone", (long long)r->young, r->young == 1 ? "" : "s");
	printf("\n");
}

static int cmd_orphans(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"older-than", required_argument, NULL, 'o'},
		{"delete", no_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	pond_orphans_options o = POND_ORPHANS_OPTIONS_INIT;
	listing l = {false, NULL};
	pond_error err = POND_ERROR_INIT;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			if (pond_maintain_parse_age(optarg, &o.older_than_ms, &err) != 0)
				return cli_usage_error("orphans", "%s", err.msg);
			break;
		case 'd': o.remove = true; break;
		case 'j': l.as_json = true; break;
		case 'h': return cli_print_help(&cli_orphans_command);
		case ':': return cli_usage_error("orphans", "option %s needs a value", argv[optind - 1]);
		default: return cli_usage_error("orphans", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("orphans", "expected at most one TABLE");
	if (pond_time_policy_now_ms(&o.now_ms, &err) != 0)
		return cli_fail(&err);
	o.found = found;
	o.payload = &l;
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
		pond_orphans_result r;
		pond_error terr = POND_ERROR_INIT;
		l.files = l.as_json ? json_array() : NULL;
		int trc = pond_table_orphans(lake, &ids[i], &o, &r, &terr);
		if (trc == POND_EUNSUPPORTED && pond_catalog_is_rest(pond_lake_catalog(lake))) {
			/* the same for every table: said once */
			rc = trc;
			err = terr;
		} else if (trc != 0) {
			fprintf(stderr, "pond: %s: %s\n", name, terr.msg);
			failed++;
		} else {
			report(name, &r, o.remove, &l);
		}
		json_decref(l.files);
	}
	pond_arena_free(&a);
	cli_close_project(&p, &lake);
	if (rc)
		return cli_fail(&err);
	return failed ? EXIT_FAIL : EXIT_OK;
}

const cli_command cli_orphans_command = {
	"orphans", "list or delete files no table metadata references", orphans_help, cmd_orphans,
};

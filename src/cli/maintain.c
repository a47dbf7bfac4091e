/*
 * `pond maintain`: the upkeep policy of pond.yml (expiry, superseded
 * metadata files, orphan files) over one table or all, with a progress
 * line and what the tables' folders hold before and after.
 */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>
#include <unistd.h>

#include "pond/maintain.h"

static const char maintain_help[] =
	"usage: pond maintain [TABLE] [--json]\n"
	"\n"
	"Runs the upkeep policy on TABLE (every table when none is given), one\n"
	"table at a time: flushes its row buffer (as pond flush), compacts small\n"
	"files (as pond compact), expires snapshots (as pond expire), deletes metadata\n"
	"files older than the metadata-log keeps, deletes orphan files older\n"
	"than the window (as pond orphans --delete) and, when an archive folder\n"
	"is set, moves old partitions there (as pond archive; a share that is not\n"
	"mounted fails the table after the rest is done). Prints, per table and in\n"
	"total, the files and bytes of the tables' folders before and after.\n"
	"A table that fails is reported and the others still run (exit 1).\n"
	"\n"
	"The policy is pond.yml's maintenance section; absent keys keep these\n"
	"defaults:\n"
	"\n"
	"  maintenance:\n"
	"    flush:\n"
	"      enabled: true\n"
	"    compact:\n"
	"      enabled: true     # with the table's write.target-file-size-bytes\n"
	"    expire:\n"
	"      enabled: true\n"
	"      older_than: 7d     # default: the table's history.expire.max-snapshot-age-ms\n"
	"      retain_last: 1     # default: the table's history.expire.min-snapshots-to-keep\n"
	"    orphans:\n"
	"      enabled: true\n"
	"      older_than: 3d\n"
	"      delete: true\n"
	"    archive:             # off unless \"to\" is set (as pond archive)\n"
	"      to: /mnt/nas/pond\n"
	"      older_than: 365d\n"
	"      column: ts         # optional: tables without a time partition\n"
	"\n"
	"options:\n"
	"  --json             one JSON object per table\n";

typedef struct run_view {
	bool tty;
	bool as_json;
} run_view;

static void line(const pond_maintain_table_result *r)
{
	char b0[32], b1[32];
	cli_human_bytes(b0, r->before.bytes);
	cli_human_bytes(b1, r->after.bytes);
	if (r->error) {
		printf("%s: failed: %s\n", r->table, r->error);
		return;
	}
	printf("%s: %lld files, %s -> %lld files, %s (flushed %lld rows; compacted %lld files into %lld; expired %lld "
	       "snapshots; deleted %lld files of them, %lld old metadata files, %lld orphans)\n",
	       r->table, (long long)r->before.files, b0, (long long)r->after.files, b1, (long long)r->flushed_records,
	       (long long)r->compact.rewritten_files, (long long)r->compact.added_files, (long long)r->expire.snapshots,
	       (long long)(r->expire.manifest_lists + r->expire.manifests + r->expire.content_files +
	                   r->expire.other_files),
	       (long long)r->metadata_files, (long long)r->orphans.files);
	if (r->archive.snapshot_id) {
		char moved[32];
		cli_human_bytes(moved, r->archive.bytes);
		printf("%s: archived %lld files (%s) of %lld old partitions\n", r->table, (long long)r->archive.files, moved,
		       (long long)r->archive.partitions);
	}
}

static json_t *result_json(const pond_maintain_table_result *r)
{
	json_t *o = json_pack("{s:s,s:{s:I,s:I},s:{s:I,s:I},s:I,s:I,s:I,s:I,s:I}", "table", r->table, "before", "files",
	                      (json_int_t)r->before.files, "bytes", (json_int_t)r->before.bytes, "after", "files",
	                      (json_int_t)r->after.files, "bytes", (json_int_t)r->after.bytes, "expired_snapshots",
	                      (json_int_t)r->expire.snapshots, "expired_files",
	                      (json_int_t)(r->expire.manifest_lists + r->expire.manifests + r->expire.content_files +
	                                   r->expire.other_files),
	                      "metadata_files", (json_int_t)r->metadata_files, "orphan_files",
	                      (json_int_t)r->orphans.files, "orphan_bytes", (json_int_t)r->orphans.bytes);
	if (o) {
		json_object_set_new(o, "flushed_records", json_integer(r->flushed_records));
		json_object_set_new(o, "compacted_files", json_integer(r->compact.rewritten_files));
		json_object_set_new(o, "compact_added_files", json_integer(r->compact.added_files));
		json_object_set_new(o, "archived_files", json_integer(r->archive.files));
		json_object_set_new(o, "archived_bytes", json_integer(r->archive.bytes));
	}
	if (o && r->error)
		json_object_set_new(o, "error", json_string(r->error));
	return o;
}

static void progress(size_t index, size_t count, const pond_maintain_table_result *r, bool done, void *payload)
{
	run_view *v = payload;
	if (!done) {
		if (v->tty)
			fprintf(stderr, "\rmaintain [%zu/%zu] %s ...\033[K", index + 1, count, r->table);
		return;
	}
	if (v->tty)
		fprintf(stderr, "\r\033[K");
	if (v->as_json) {
		json_t *doc = result_json(r);
		char *text = doc ? pond_json_dumps(doc, false) : NULL;
		json_decref(doc);
		if (text)
			puts(text);
		pond_free(text);
	} else {
		line(r);
	}
	fflush(stdout);
}

static int cmd_maintain(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	run_view v = {isatty(STDERR_FILENO) == 1, false};
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j': v.as_json = true; break;
		case 'h': return cli_print_help(&cli_maintain_command);
		default: return cli_usage_error("maintain", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("maintain", "expected at most one TABLE");
	pond_error err = POND_ERROR_INIT;
	int64_t now;
	if (pond_time_policy_now_ms(&now, &err) != 0)
		return cli_fail(&err);
	pond_project *p;
	pond_lake *lake;
	if (cli_open_project(&p, &lake, NULL, &err) != 0)
		return cli_fail(&err);
	pond_maintain_policy policy;
	pond_arena *a = pond_arena_new();
	pond_maintain_table_result *rs = NULL;
	size_t n = 0;
	int rc = a ? pond_maintain_policy_load(&policy, p, &err) : pond_error_set(&err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = pond_maintain_run(lake, optind < argc ? argv[optind] : NULL, &policy, now, progress, &v, &rs, &n,
		                       a, &err);
	if (!v.as_json && n > 1) {
		pond_maintain_usage before = {0, 0}, after = {0, 0};
		for (size_t i = 0; i < n; i++) {
			before.files += rs[i].before.files;
			before.bytes += rs[i].before.bytes;
			after.files += rs[i].after.files;
			after.bytes += rs[i].after.bytes;
		}
		char b0[32], b1[32];
		cli_human_bytes(b0, before.bytes);
		cli_human_bytes(b1, after.bytes);
		printf("total: %zu tables, %lld files, %s -> %lld files, %s\n", n, (long long)before.files, b0,
		       (long long)after.files, b1);
	}
	pond_arena_free(&a);
	cli_close_project(&p, &lake);
	return rc ? cli_fail(&err) : EXIT_OK;
}

const cli_command cli_maintain_command = {
	"maintain", "flush, compact, expire, clean up and archive by pond.yml's policy", maintain_help, cmd_maintain,
};

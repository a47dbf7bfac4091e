/*
 * `pond archive`: move the data files of old partitions to a second place
 * (a NAS share), one commit per table (table/archive.c), with a progress
 * bar while the files are copied.
 */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "pond/maintain.h"

static const char archive_help[] =
	"usage: pond archive [TABLE...] --to DEST --older-than AGE [--column COLUMN] [--dry-run] [--json]\n"
	"\n"
	"Moves the data files of old partitions of TABLE (every table when none is\n"
	"given) to the folder DEST, for example a NAS share mounted at /mnt/nas,\n"
	"and points the table's metadata at their new place in one commit: pond\n"
	"and other engines read the same rows as before. A file goes to\n"
	"DEST/<its path in the warehouse>, e.g. DEST/main/events/data/...\n"
	"\n"
	"A file is old when its partition ends at or before now minus AGE: the\n"
	"first year, month, day or hour partition of its spec, or an identity\n"
	"partition on a date or timestamp column (times in UTC). Tables without\n"
	"such a partition are skipped, unless --column names a date or timestamp\n"
	"column: then a file is old when all its values of that column are (its\n"
	"statistics say so, and it has no nulls there). Files a position delete\n"
	"names stay where they are.\n"
	"\n"
	"DEST must exist: pond never creates it, so an unmounted share fails with\n"
	"nothing changed. The files are copied (to a temporary name, synced,\n"
	"renamed, sizes checked) before the commit; if pond is stopped or killed\n"
	"before it, the table is as it was, and running archive again reuses the\n"
	"copies. The originals stay on the local disk while older snapshots still\n"
	"read them (time travel keeps working); pond expire deletes them once\n"
	"those snapshots expire. POND_NOW (a timestamp) moves \"now\", for tests.\n"
	"\n"
	"options:\n"
	"  --to DEST            the archive folder (required)\n"
	"  --older-than AGE     move files older than AGE: 365d, 12h, ... (required)\n"
	"  --column COLUMN      date files of tables without a time partition by\n"
	"                       this date or timestamp column\n"
	"  --dry-run            say what would move; copy and change nothing\n"
	"  --json               one JSON object per table, in an array\n";

typedef struct archive_args {
	const char *const *tables;
	size_t ntables;
	const char *age;
	pond_archive_options opts;
	bool json;
	int64_t started_ns;
	pond_archive_result result;  /* the last table's */
} archive_args;

static int parse_args(archive_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"to", required_argument, NULL, 't'},
		{"older-than", required_argument, NULL, 'o'},
		{"column", required_argument, NULL, 'c'},
		{"dry-run", no_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	memset(a, 0, sizeof(*a));
	a->opts = (pond_archive_options)POND_ARCHIVE_OPTIONS_INIT;
	pond_error err = POND_ERROR_INIT;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 't': a->opts.dest = optarg; break;
		case 'o':
			a->age = optarg;
			if (pond_maintain_parse_age(optarg, &a->opts.older_than_ms, &err) != 0 || a->opts.older_than_ms <= 0)
				return cli_usage_error("archive", "--older-than \"%s\" is not an age like 365d or 12h", optarg);
			break;
		case 'c': a->opts.column = optarg; break;
		case 'n': a->opts.dry_run = true; break;
		case 'j': a->json = true; break;
		case 'h': return cli_print_help(&cli_archive_command);
		case ':': return cli_usage_error("archive", "option %s needs a value", argv[optind - 1]);
		default: return cli_usage_error("archive", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (!a->opts.dest)
		return cli_usage_error("archive", "--to DEST is required (the archive folder)");
	if (!a->age)
		return cli_usage_error("archive", "--older-than AGE is required (e.g. 365d)");
	a->tables = (const char *const *)argv + optind;
	a->ntables = (size_t)(argc - optind);
	return -1;
}

/* The bar of progress.c, over the bytes copied. */
static void on_progress(const pond_archive_progress *p, void *payload)
{
	archive_args *a = payload;
	if (p->files_done == 0) {
		a->started_ns = pond_time_mono_ns();
		return;
	}
	double percent = p->bytes > 0 ? 100.0 * (double)p->bytes_done / (double)p->bytes : 100.0;
	cli_progress(percent, pond_time_mono_ns() - a->started_ns, NULL);
}

static const char *plural(int64_t n)
{
	return n == 1 ? "" : "s";
}

static void print_text(const archive_args *a, const char *table, const pond_archive_result *r)
{
	char bytes[32], freed[32], later[32];
	cli_human_bytes(bytes, r->bytes);
	cli_human_bytes(freed, r->bytes_freed);
	cli_human_bytes(later, r->bytes_on_expiry);
	if (r->skipped)
		printf("%s: skipped: %s\n", table, r->skipped);
	else if (r->files == 0)
		printf("%s: nothing older than %s to move", table, a->age);
	else if (a->opts.dry_run)
		printf("%s: would move %lld file%s (%s) of %lld partition%s to %s", table, (long long)r->files,
		       plural(r->files), bytes, (long long)r->partitions, plural(r->partitions), a->opts.dest);
	else
		printf("%s: moved %lld file%s (%s) of %lld partition%s to %s (copied %lld, reused %lld); frees %s now, "
		       "%s when the snapshots before it expire",
		       table, (long long)r->files, plural(r->files), bytes, (long long)r->partitions, plural(r->partitions),
		       a->opts.dest, (long long)r->files_copied, (long long)(r->files - r->files_copied), freed, later);
	if (r->skipped)
		return;
	if (r->kept_files)
		printf("; kept %lld old file%s in place: position deletes name them", (long long)r->kept_files,
		       plural(r->kept_files));
	printf("\n");
}

static json_t *result_json(const archive_args *a, const char *table, const pond_archive_result *r)
{
	json_t *o = json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "table", table, "dry_run",
	                      a->opts.dry_run, "snapshot_id", (json_int_t)r->snapshot_id, "files", (json_int_t)r->files,
	                      "bytes", (json_int_t)r->bytes, "records", (json_int_t)r->records, "partitions",
	                      (json_int_t)r->partitions, "files_copied", (json_int_t)r->files_copied, "bytes_copied",
	                      (json_int_t)r->bytes_copied, "kept_files", (json_int_t)r->kept_files, "bytes_freed",
	                      (json_int_t)r->bytes_freed, "bytes_on_expiry", (json_int_t)r->bytes_on_expiry);
	if (o)
		json_object_set_new(o, "skipped", r->skipped ? json_string(r->skipped) : json_null());
	return o;
}

/* One table's archive (cli_each_table), its result kept for report. */
static int archive_one(void *payload, pond_lake *lake, const pond_table_ident *id, pond_error *err)
{
	archive_args *a = payload;
	return pond_table_archive(lake, id, &a->opts, &a->result, err);
}

static void report(void *payload, const char *table, json_t *out)
{
	archive_args *a = payload;
	if (out)
		json_array_append_new(out, result_json(a, table, &a->result));
	else
		print_text(a, table, &a->result);
}

/* Once, up front: an unmounted share is one clear line, not one per table. */
static int check_dest(void *payload, pond_lake *lake, pond_error *err)
{
	archive_args *a = payload;
	return pond_table_archive_check(lake, a->opts.dest, err);
}

static int cmd_archive(int argc, char **argv)
{
	archive_args a;
	int code = parse_args(&a, argc, argv);
	if (code >= 0)
		return code;
	pond_error err = POND_ERROR_INIT;
	if (pond_time_policy_now_ms(&a.opts.now_ms, &err) != 0)
		return cli_fail(&err);
	a.opts.progress = on_progress;
	a.opts.payload = &a;
	a.opts.cancel = cli_cancel_flag();
	cli_table_job job = {check_dest, archive_one, report, &a};
	return cli_table_command(a.tables, a.ntables, a.json, &job);
}

const cli_command cli_archive_command = {
	"archive", "move old partitions' files to a NAS, the table still readable", archive_help, cmd_archive,
};

/*
 * `pond backup DEST` and `pond restore SRC [DIR]`: a project to a folder
 * (a NAS share) and back (the table layer's pond_backup_run and
 * pond_backup_restore). Ctrl-C or a kill is safe at any point: the files
 * are renamed into place whole, and the catalog last.
 */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

static const char backup_help[] =
	"usage: pond backup DEST [--json]\n"
	"\n"
	"Copies a consistent point in time of the project into the folder DEST\n"
	"(created if missing; for example a mounted NAS share): pond.yml and the\n"
	"sources/, models/ and exports/ folders, the whole catalog database (tables,\n"
	"namespaces, pipeline runs, buffered rows) as one transaction saw it, and\n"
	"every file its tables reference: metadata files, manifest lists, manifests,\n"
	"data and delete files, statistics files.\n"
	"\n"
	"Run it again to bring the backup up to date: files already in DEST with\n"
	"the same size are skipped (pond never rewrites a data or metadata file), so\n"
	"only new files are copied. A backup that is interrupted leaves the previous\n"
	"one whole. DEST/backup.json says what the backup holds. Files no table\n"
	"references any more stay in DEST. A PostgreSQL catalog is copied into\n"
	"DEST/catalog.db (SQLite) from one REPEATABLE READ transaction. A warehouse\n"
	"on S3 (s3://BUCKET/PREFIX) is downloaded through pond's S3 client into\n"
	"DEST/warehouse/, by each object's key below the prefix. DEST is always a\n"
	"local folder. See docs/backup.md.\n"
	"\n"
	"options:\n"
	"  --json             print the counts as JSON\n";

static const char restore_help[] =
	"usage: pond restore SRC [DIR] [--warehouse W] [--force] [--json]\n"
	"\n"
	"Brings the backup in folder SRC back into the project folder DIR (default:\n"
	"the current project's folder, or the current folder when there is none):\n"
	"the project files DIR lacks, the warehouse files, then the catalog. Tables\n"
	"read and write at the new place. Refuses a catalog that holds tables or a\n"
	"warehouse that is not empty, unless --force. The catalog restored is a\n"
	"SQLite file: DIR's pond.yml must name one (catalog: catalog.db).\n"
	"\n"
	"The warehouse is the one DIR's pond.yml names, except that a backup of an\n"
	"S3 warehouse restored with the backup's pond.yml goes into the local folder\n"
	"DIR/warehouse. --warehouse sets it in pond.yml: a folder, or\n"
	"s3://BUCKET/PREFIX to upload the files there (with pond.yml's storage\n"
	"settings); the catalog then names the files at their new place.\n"
	"\n"
	"options:\n"
	"  --warehouse W      the restored project's warehouse: a folder or\n"
	"                     s3://BUCKET/PREFIX\n"
	"  --force            replace the catalog, write into a non-empty warehouse,\n"
	"                     and overwrite pond.yml and model files with the backup's\n"
	"  --json             print the counts as JSON\n";

/* The progress line: on a terminal only, redrawn in place. */
static void progress(const pond_backup_stats *st, const char *path, void *payload)
{
	const char *verb = payload;
	(void)path;
	if (!isatty(STDERR_FILENO))
		return;
	char copied[32];
	cli_human_bytes(copied, st->bytes_copied);
	fprintf(stderr, "\r\033[K%s: %lld files, %s copied, %lld skipped", verb, (long long)st->files_done, copied,
	        (long long)st->files_skipped);
}

static void report(const char *verb, const pond_backup_stats *st, bool as_json)
{
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r\033[K");
	if (as_json) {
		json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "tables", (json_int_t)st->tables, "files",
		                      (json_int_t)st->files, "bytes", (json_int_t)st->bytes, "files_copied",
		                      (json_int_t)st->files_copied, "bytes_copied", (json_int_t)st->bytes_copied,
		                      "files_skipped", (json_int_t)st->files_skipped, "bytes_skipped",
		                      (json_int_t)st->bytes_skipped);
		char *text = j ? pond_json_dumps(j, false) : NULL;
		if (text)
			printf("%s\n", text);
		pond_free(text);
		json_decref(j);
		return;
	}
	char copied[32], skipped[32];
	cli_human_bytes(copied, st->bytes_copied);
	cli_human_bytes(skipped, st->bytes_skipped);
	printf("%s %lld tables: %lld files copied (%s), %lld skipped (%s)\n", verb, (long long)st->tables,
	       (long long)st->files_copied, copied, (long long)st->files_skipped, skipped);
}

/* Options shared by both commands (force and warehouse NULL: the command
 * has no such option); returns -1 to go on, else an exit code. */
static int parse(int argc, char **argv, const cli_command *cmd, bool *force, const char **warehouse, bool *as_json)
{
	static const struct option longopts[] = {
		{"force", no_argument, NULL, 'f'},
		{"warehouse", required_argument, NULL, 'w'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (!force)
				return cli_usage_error(cmd->name, "unknown option \"--force\"");
			*force = true;
			break;
		case 'w':
			if (!warehouse)
				return cli_usage_error(cmd->name, "unknown option \"--warehouse\"");
			if (!optarg[0])
				return cli_usage_error(cmd->name, "--warehouse wants a folder or s3://BUCKET/PREFIX");
			*warehouse = optarg;
			break;
		case 'j': *as_json = true; break;
		case 'h': return cli_print_help(cmd);
		case ':': return cli_usage_error(cmd->name, "option \"%s\" wants a value", argv[optind - 1]);
		default: return cli_usage_error(cmd->name, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	return -1;
}

static int cmd_backup(int argc, char **argv)
{
	bool as_json = false;
	int rc = parse(argc, argv, &cli_backup_command, NULL, NULL, &as_json);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error("backup", "expected DEST, the backup folder");
	const char *dest = argv[optind];
	pond_error err = POND_ERROR_INIT;
	pond_project *project = NULL;
	pond_catalog *catalog = NULL;
	rc = cli_project_dir ? pond_project_load(&project, cli_project_dir, &err)
	                     : pond_project_find(&project, NULL, true, &err);
	if (rc == 0 && pond_project_is_rest(project))
		rc = pond_backup_run(project, NULL, dest, NULL, NULL, &err);  /* refuses, saying why */
	else if (rc == 0)
		rc = pond_project_open_catalog(&catalog, project, &err);
	pond_backup_options bo = POND_BACKUP_OPTIONS_INIT;
	bo.progress = progress;
	bo.payload = "backup";
	pond_backup_stats st;
	if (rc == 0)
		rc = pond_backup_run(project, catalog, dest, &bo, &st, &err);
	if (rc == 0)
		report("backed up", &st, as_json);
	else if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r\033[K");
	pond_catalog_close(&catalog);
	pond_project_free(&project);
	return rc ? cli_fail(&err) : EXIT_OK;
}

static int cmd_restore(int argc, char **argv)
{
	bool as_json = false;
	pond_backup_options bo = POND_BACKUP_OPTIONS_INIT;
	int rc = parse(argc, argv, &cli_restore_command, &bo.force, &bo.warehouse, &as_json);
	if (rc >= 0)
		return rc;
	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage_error("restore", "expected SRC, the backup folder, and at most one DIR");
	pond_error err = POND_ERROR_INIT;
	const char *dir = argc - optind == 2 ? argv[optind + 1] : cli_project_dir;
	pond_project *project = NULL;
	if (!dir) {
		/* The current project's folder, or the current folder. */
		if (pond_project_find(&project, NULL, true, &err) == 0)
			dir = project->root;
		else
			dir = ".";
		pond_error_clear(&err);
	}
	bo.progress = progress;
	bo.payload = "restore";
	pond_backup_stats st;
	rc = pond_backup_restore(argv[optind], dir, &bo, &st, &err);
	if (rc == 0)
		report("restored", &st, as_json);
	else if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r\033[K");
	pond_project_free(&project);
	return rc ? cli_fail(&err) : EXIT_OK;
}

const cli_command cli_backup_command = {
	"backup", "copy the project (catalog and files) to a folder", backup_help, cmd_backup,
};

const cli_command cli_restore_command = {
	"restore", "bring a backup back into a project folder", restore_help, cmd_restore,
};

/*
 * The command table: one line per command. A new command adds its file
 * (defining `const cli_command cli_NAME_command`, declared in cli.h) and one
 * line here.
 */
#include "cli.h"

const cli_command *const cli_commands[] = {
	&cli_init_command,
	&cli_sql_command,
	&cli_ingest_command,
	&cli_transform_command, &cli_test_command, &cli_lineage_command,
	&cli_export_command,
	&cli_tables_command,
	&cli_show_command,
	&cli_history_command,
	&cli_rollback_command,
	&cli_flush_command,
	&cli_backup_command, &cli_restore_command,
	&cli_expire_command,
	&cli_orphans_command,
	&cli_maintain_command,
	&cli_compact_command,
	&cli_archive_command,
	&cli_run_command, &cli_runs_command, &cli_logs_command, &cli_schedule_command,
	&cli_demo_command,
	&cli_generate_command,
	&cli_serve_command,
	&cli_inspect_command,
	&cli_s3_command,
	&cli_help_command,
	NULL,
};

/*
 * The commands that work table by table (compact, archive): the project
 * opened, the tables named (each must exist) or all of them listed, an
 * optional check up front, then each table in turn. Ctrl-C or SIGTERM
 * stops between tables (and interrupts the running statement), a table
 * that fails is one line on stderr and the next one goes on, and with
 * --json the tables' objects are printed as one array at the end.
 */
#include "cli.h"

#include <jansson.h>

#include "pond/maintain.h"

/* The tables named (each must exist), or all of them, into ids (arena). */
static int list_tables(const char *const *names, size_t n, pond_lake *lake, pond_arena *arena, pond_table_ident **ids,
                       size_t *nids, pond_error *err)
{
	if (n == 0)
		return pond_maintain_tables(ids, nids, lake, NULL, arena, err);
	if (!(*ids = pond_arena_calloc(arena, n, sizeof(**ids))))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (*nids = 0; *nids < n; (*nids)++) {
		pond_table_ident *one = NULL;
		size_t count = 0;
		int rc = pond_maintain_tables(&one, &count, lake, names[*nids], arena, err);
		if (rc)
			return rc;
		(*ids)[*nids] = *one;
	}
	return 0;
}

/* Runs job on each table, returning how many failed. */
static size_t each_table(pond_lake *lake, const pond_table_ident *ids, size_t n, bool as_json,
                         const cli_table_job *job, pond_arena *arena)
{
	cli_cancel_install(pond_lake_engine(lake), true);
	const volatile int *cancel = cli_cancel_flag();
	json_t *out = as_json ? json_array() : NULL;
	size_t failed = 0;
	for (size_t i = 0; i < n && !*cancel; i++) {
		pond_error err = POND_ERROR_INIT;
		int rc = job->run(job->payload, lake, &ids[i], &err);
		cli_progress_clear();
		if (rc) {
			cli_fail(&err);
			failed++;
			continue;
		}
		job->report(job->payload, pond_table_ident_format(arena, &ids[i]), out);
	}
	cli_cancel_install(NULL, true);
	if (out) {
		char *text = pond_json_dumps(out, true);
		if (text)
			printf("%s\n", text);
		pond_free(text);
		json_decref(out);
	}
	return failed;
}

int cli_table_command(const char *const *tables, size_t ntables, bool as_json, const cli_table_job *job)
{
	pond_error err = POND_ERROR_INIT;
	pond_project *p;
	pond_lake *lake;
	if (cli_open_project(&p, &lake, NULL, &err) != 0)
		return cli_fail(&err);
	pond_arena *arena = pond_arena_new();
	pond_table_ident *ids = NULL;
	size_t nids = 0;
	int rc = arena ? list_tables(tables, ntables, lake, arena, &ids, &nids, &err)
	               : pond_error_set(&err, POND_ENOMEM, "out of memory");
	if (rc == 0 && job->prepare)
		rc = job->prepare(job->payload, lake, &err);
	size_t failed = rc == 0 ? each_table(lake, ids, nids, as_json, job, arena) : 0;
	pond_arena_free(&arena);
	cli_close_project(&p, &lake);
	if (rc)
		return cli_fail(&err);
	return failed ? EXIT_FAIL : EXIT_OK;
}

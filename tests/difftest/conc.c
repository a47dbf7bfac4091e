/*
 * Concurrency mode: several processes run conflicting statements on one
 * table of one project (SQLite or PostgreSQL catalog). The statements
 * commute (v = v + k on the same rows, inserts of ids no one else uses),
 * so every serial order of the ones that reported success gives the same
 * table, which is checked afterwards: sum(v) = rows x (sum of the k that
 * succeeded), and the inserted ids are exactly the successful inserts.
 */
#include "difftest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BASE_ROWS 20

/* Points the project's pond.yml at catalog_uri (written as a YAML string). */
static int set_catalog(const char *dir, const char *catalog_uri, pond_error *err)
{
	char *path, *text;
	size_t len;
	if (asprintf(&path, "%s/pond.yml", dir) < 0)
		abort();
	int rc = pond_file_read(&text, &len, path, 1 << 20, err);
	if (rc == 0) {
		FILE *f = fopen(path, "w");
		for (char *line = strtok(text, "\n"); f && line; line = strtok(NULL, "\n")) {
			if (strncmp(line, "catalog:", 8) == 0)
				fprintf(f, "catalog: \"%s\"\n", catalog_uri);
			else
				fprintf(f, "%s\n", line);
		}
		if (!f || fclose(f) != 0)
			rc = pond_error_set(err, POND_EIO, "could not write %s", path);
		pond_free(text);
	}
	free(path);
	return rc;
}

typedef struct {
	pond_project *project;
	pond_lake *lake;
	pond_session *session;
} conn;

static int conn_open(conn *c, const char *dir, pond_error *err)
{
	memset(c, 0, sizeof(*c));
	int rc;
	if ((rc = pond_project_load(&c->project, dir, err)) || (rc = pond_lake_open(&c->lake, c->project, NULL, err)) ||
	    (rc = pond_session_open(&c->session, c->lake, err)))
		return rc;
	pond_error ignored = POND_ERROR_INIT;
	pond_engine_exec(pond_lake_engine(c->lake), "SET threads = 1", &ignored);
	return 0;
}

static void conn_close(conn *c)
{
	pond_session_close(&c->session);
	pond_lake_close(&c->lake);
	pond_project_free(&c->project);
}

static int run(conn *c, const char *sql, pond_error *err)
{
	pond_arena *a = pond_arena_new();
	pond_result *res = NULL;
	const char *msg = NULL;
	int rc = pond_session_run(c->session, sql, a, &res, &msg, err);
	pond_result_free(&res);
	pond_arena_free(&a);
	return rc;
}

static void child(const char *dir, const char *table, int proc, uint64_t seed, int stmts, int fd)
{
	conn c;
	pond_error err = POND_ERROR_INIT;
	char line[POND_ERROR_MSG_MAX + 64], sql[256];
	if (conn_open(&c, dir, &err) != 0) {
		int n = snprintf(line, sizeof(line), "E open: %s\n", err.msg);
		if (write(fd, line, (size_t)n) < 0)
			_exit(2);
		_exit(1);
	}
	dt_rng rng = {seed * 31 + (uint64_t)proc};
	for (int j = 0; j < stmts; j++) {
		bool update = dt_features[DT_F_CONCURRENT_UPDATES] && dt_chance(&rng, 60);
		int k = 1 + dt_below(&rng, 9);
		long id = 1000L * (proc + 1) + j;
		if (update)
			snprintf(sql, sizeof(sql), "UPDATE %s SET v = v + %d WHERE g = 0", table, k);
		else
			snprintf(sql, sizeof(sql), "INSERT INTO %s VALUES (%ld, 0, 1)", table, id);
		pond_error_clear(&err);
		int rc = run(&c, sql, &err), n;
		if (rc == 0)
			n = update ? snprintf(line, sizeof(line), "U %d\n", k) : snprintf(line, sizeof(line), "I %ld\n", id);
		else
			n = snprintf(line, sizeof(line), "%c %s\n", rc == POND_ECONFLICT ? 'C' : 'E', err.msg);
		if (n > 0 && write(fd, line, (size_t)n) < 0)
			break;
	}
	conn_close(&c);
	_exit(0);
}

static int query_int(conn *c, const char *sql, int64_t *out, pond_error *err)
{
	pond_arena *a = pond_arena_new();
	const char *bound;
	size_t files;
	int rc = pond_session_prepare(c->session, sql, a, &bound, &files, err);
	if (rc == 0)
		rc = pond_engine_query_int(pond_lake_engine(c->lake), bound, out, err);
	pond_arena_free(&a);
	return rc;
}

int dt_concurrency(const char *dir, const char *catalog_uri, uint64_t seed, int procs, int stmts, long *checks)
{
	pond_error err = POND_ERROR_INIT;
	const char *kind = catalog_uri ? "postgresql" : "sqlite";
	char table[64];
	/* A namespace of its own: a PostgreSQL catalog is shared with other tests. */
	snprintf(table, sizeof(table), "dc%ld_%llu.c", (long)getpid(), (unsigned long long)(seed % 100000));
	if (pond_project_init(dir, "difftest", &err) != 0 || (catalog_uri && set_catalog(dir, catalog_uri, &err) != 0)) {
		printf("FAIL concurrency %s: setup: %s\n", kind, err.msg);
		return 1;
	}
	conn c;
	char sql[256];
	snprintf(sql, sizeof(sql), "CREATE TABLE %s AS SELECT range::BIGINT AS id, 0::BIGINT AS v, 0 AS g FROM range(%d)",
	         table, BASE_ROWS);
	if (conn_open(&c, dir, &err) != 0 || run(&c, sql, &err) != 0) {
		printf("FAIL concurrency %s: setup: %s\n", kind, err.msg);
		conn_close(&c);
		return 1;
	}
	conn_close(&c);

	int fds[2];
	if (pipe(fds) != 0)
		return printf("FAIL concurrency %s: pipe: %s\n", kind, strerror(errno)), 1;
	fflush(NULL);
	pid_t pids[16];
	for (int p = 0; p < procs && p < 16; p++) {
		pids[p] = fork();
		if (pids[p] == 0) {
			close(fds[0]);
			child(dir, table, p, seed, stmts, fds[1]);
		}
	}
	close(fds[1]);
	FILE *in = fdopen(fds[0], "r");
	char line[POND_ERROR_MSG_MAX + 64];
	long ksum = 0, nupdates = 0, nconflicts = 0, nins = 0, nerrors = 0;
	long inserted[16 * 256];
	while (fgets(line, sizeof(line), in)) {
		(*checks)++;
		if (line[0] == 'U') {
			ksum += atol(line + 2);
			nupdates++;
		} else if (line[0] == 'I' && nins < (long)(sizeof(inserted) / sizeof(inserted[0]))) {
			inserted[nins++] = atol(line + 2);
		} else if (line[0] == 'C') {
			nconflicts++;
		} else {
			/* Other failures are allowed if they say what happened, but are shown. */
			nerrors++;
			fprintf(stderr, "  concurrency %s: statement failed: %s", kind, line + 2);
		}
	}
	fclose(in);
	for (int p = 0; p < procs && p < 16; p++)
		waitpid(pids[p], NULL, 0);

	int failed = 0;
	int64_t sum = -1, base = -1, nnew = -1, nmatch = -1, ndistinct = -1;
	pond_buf ids = POND_BUF_INIT;
	for (long i = 0; i < nins; i++)
		pond_buf_printf(&ids, "%s%ld", i ? "," : "", inserted[i]);
	if (conn_open(&c, dir, &err) != 0) {
		printf("FAIL concurrency %s: reopen: %s\n", kind, err.msg);
		conn_close(&c);
		pond_buf_dispose(&ids);
		return 1;
	}
	char q[512];
	snprintf(q, sizeof(q), "SELECT sum(v) FROM %s WHERE g = 0", table);
	int rc = query_int(&c, q, &sum, &err);
	snprintf(q, sizeof(q), "SELECT count(*) FROM %s WHERE g = 0", table);
	rc = rc ? rc : query_int(&c, q, &base, &err);
	snprintf(q, sizeof(q), "SELECT count(*) FROM %s WHERE g = 1", table);
	rc = rc ? rc : query_int(&c, q, &nnew, &err);
	snprintf(q, sizeof(q), "SELECT count(DISTINCT id) FROM %s", table);
	rc = rc ? rc : query_int(&c, q, &ndistinct, &err);
	if (rc == 0 && nins > 0) {
		pond_buf qq = POND_BUF_INIT;
		pond_buf_printf(&qq, "SELECT count(*) FROM %s WHERE g = 1 AND id IN (%s)", table, pond_buf_cstr(&ids));
		rc = query_int(&c, pond_buf_cstr(&qq), &nmatch, &err);
		pond_buf_dispose(&qq);
	} else {
		nmatch = 0;
	}
	if (rc) {
		printf("FAIL concurrency %s: reading the result: %s\n", kind, err.msg);
		failed = 1;
	} else if (base != BASE_ROWS || sum != BASE_ROWS * ksum || nnew != nins || nmatch != nins ||
	           ndistinct != BASE_ROWS + nins) {
		printf("FAIL concurrency %s (%d processes x %d statements on %s): no serial order of the statements "
		       "that succeeded gives this table:\n"
		       "    %ld updates succeeded (v = v + k, sum of k %ld), %ld inserts; %ld conflicts, %ld other errors\n"
		       "    expected %d base rows with sum(v) = %ld and %ld new rows; got %lld base rows with sum(v) = "
		       "%lld, %lld new rows (%lld of them the inserted ids), %lld distinct ids\n",
		       kind, procs, stmts, table, nupdates, ksum, nins, nconflicts, nerrors, BASE_ROWS,
		       BASE_ROWS * ksum, nins, (long long)base, (long long)sum, (long long)nnew, (long long)nmatch,
		       (long long)ndistinct);
		failed = 1;
	} else {
		printf("ok concurrency %s: %d processes x %d statements: %ld updates, %ld inserts, %ld conflicts\n", kind,
		       procs, stmts, nupdates, nins, nconflicts);
	}
	snprintf(q, sizeof(q), "DROP TABLE %s", table);
	run(&c, q, &err);
	conn_close(&c);
	pond_buf_dispose(&ids);
	return failed;
}

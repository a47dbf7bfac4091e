/*
 * Reference for bench/small_writes.sh: DuckDB itself writing to a table in
 * a .duckdb file. `ref_small_writes DB FILE` runs FILE's statements (one
 * per line) on one connection; `ref_small_writes DB -e SQL` runs one
 * statement, as one process per insert would.
 */
#include <duckdb.h>
#include <stdio.h>
#include <string.h>

static int run(duckdb_connection conn, const char *sql)
{
	duckdb_result res;
	if (duckdb_query(conn, sql, &res) == DuckDBError) {
		fprintf(stderr, "%s: %s\n", sql, duckdb_result_error(&res));
		duckdb_destroy_result(&res);
		return 1;
	}
	duckdb_destroy_result(&res);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	duckdb_database db;
	duckdb_connection conn;
	if (duckdb_open(argv[1], &db) == DuckDBError || duckdb_connect(db, &conn) == DuckDBError)
		return 1;
	int rc = 0;
	if (strcmp(argv[2], "-e") == 0 && argc > 3) {
		rc = run(conn, argv[3]);
	} else {
		FILE *f = fopen(argv[2], "r");
		static char line[1 << 16];
		while (f && rc == 0 && fgets(line, sizeof line, f))
			if (line[0] != '\n')
				rc = run(conn, line);
		if (f)
			fclose(f);
		else
			rc = 1;
	}
	duckdb_disconnect(&conn);
	duckdb_close(&db);
	return rc;
}

/*
 * Reference for bench/startup.sh: the least a program can do to answer
 * "select 1" with DuckDB (open an in-memory database, query, print).
 */
#include <duckdb.h>
#include <stdio.h>

int main(void)
{
	duckdb_database db;
	duckdb_connection conn;
	duckdb_result res;
	if (duckdb_open(NULL, &db) == DuckDBError || duckdb_connect(db, &conn) == DuckDBError)
		return 1;
	if (duckdb_query(conn, "select 1", &res) == DuckDBError)
		return 1;
	printf("1\n%lld\n", (long long)duckdb_value_int64(&res, 0, 0));
	duckdb_destroy_result(&res);
	duckdb_disconnect(&conn);
	duckdb_close(&db);
	return 0;
}

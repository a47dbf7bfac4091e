/*
 * libpq, loaded when pond first talks to PostgreSQL (a postgresql://
 * catalog, a database source, the tests' servers): the libpq functions
 * pond calls, each forwarding to the real one (dynlib.h says why and what
 * happens when libpq.so.5 is missing). A function pond starts calling is
 * added here, or the link fails with an undefined reference.
 */
#include "util/dynlib.h"

#include <libpq-fe.h>

static pond__dynlib pq_lib = POND__DYNLIB_INIT("libpq.so.5", "PostgreSQL", "libpq5");

/* Connections */
POND__DYNLIB_FORWARD(pq_lib, PGconn *, PQconnectdb, (const char *conninfo), (conninfo))
POND__DYNLIB_FORWARD_VOID(pq_lib, PQfinish, (PGconn *conn), (conn))
POND__DYNLIB_FORWARD(pq_lib, ConnStatusType, PQstatus, (const PGconn *conn), (conn))
POND__DYNLIB_FORWARD(pq_lib, PGTransactionStatusType, PQtransactionStatus, (const PGconn *conn), (conn))
POND__DYNLIB_FORWARD(pq_lib, char *, PQerrorMessage, (const PGconn *conn), (conn))
POND__DYNLIB_FORWARD(pq_lib, char *, PQdb, (const PGconn *conn), (conn))
POND__DYNLIB_FORWARD(pq_lib, char *, PQhost, (const PGconn *conn), (conn))
POND__DYNLIB_FORWARD(pq_lib, char *, PQport, (const PGconn *conn), (conn))
POND__DYNLIB_FORWARD(pq_lib, PQnoticeProcessor, PQsetNoticeProcessor,
                     (PGconn *conn, PQnoticeProcessor proc, void *arg), (conn, proc, arg))
POND__DYNLIB_FORWARD(pq_lib, char *, PQescapeLiteral, (PGconn *conn, const char *str, size_t len),
                     (conn, str, len))
POND__DYNLIB_FORWARD(pq_lib, char *, PQescapeIdentifier, (PGconn *conn, const char *str, size_t len),
                     (conn, str, len))
POND__DYNLIB_FORWARD_VOID(pq_lib, PQfreemem, (void *ptr), (ptr))

/* Statements */
POND__DYNLIB_FORWARD(pq_lib, PGresult *, PQexec, (PGconn *conn, const char *query), (conn, query))
POND__DYNLIB_FORWARD(pq_lib, PGresult *, PQexecParams,
                     (PGconn *conn, const char *command, int nParams, const Oid *paramTypes,
                      const char *const *paramValues, const int *paramLengths, const int *paramFormats,
                      int resultFormat),
                     (conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, resultFormat))
POND__DYNLIB_FORWARD(pq_lib, PGresult *, PQprepare,
                     (PGconn *conn, const char *stmtName, const char *query, int nParams, const Oid *paramTypes),
                     (conn, stmtName, query, nParams, paramTypes))
POND__DYNLIB_FORWARD(pq_lib, PGresult *, PQdescribePrepared, (PGconn *conn, const char *stmt), (conn, stmt))
POND__DYNLIB_FORWARD(pq_lib, PGresult *, PQgetResult, (PGconn *conn), (conn))
POND__DYNLIB_FORWARD(pq_lib, int, PQgetCopyData, (PGconn *conn, char **buffer, int async), (conn, buffer, async))

/* Results */
POND__DYNLIB_FORWARD_VOID(pq_lib, PQclear, (PGresult *res), (res))
POND__DYNLIB_FORWARD(pq_lib, ExecStatusType, PQresultStatus, (const PGresult *res), (res))
POND__DYNLIB_FORWARD(pq_lib, char *, PQresultErrorField, (const PGresult *res, int fieldcode), (res, fieldcode))
POND__DYNLIB_FORWARD(pq_lib, char *, PQcmdTuples, (PGresult *res), (res))
POND__DYNLIB_FORWARD(pq_lib, int, PQntuples, (const PGresult *res), (res))
POND__DYNLIB_FORWARD(pq_lib, int, PQnfields, (const PGresult *res), (res))
POND__DYNLIB_FORWARD(pq_lib, char *, PQfname, (const PGresult *res, int field_num), (res, field_num))
POND__DYNLIB_FORWARD(pq_lib, Oid, PQftype, (const PGresult *res, int field_num), (res, field_num))
POND__DYNLIB_FORWARD(pq_lib, int, PQfmod, (const PGresult *res, int field_num), (res, field_num))
POND__DYNLIB_FORWARD(pq_lib, int, PQgetisnull, (const PGresult *res, int tup_num, int field_num),
                     (res, tup_num, field_num))
POND__DYNLIB_FORWARD(pq_lib, char *, PQgetvalue, (const PGresult *res, int tup_num, int field_num),
                     (res, tup_num, field_num))

/*
 * pond's own SQL functions, registered on every engine. pond_bucket(v, N)
 * is Iceberg's bucket transform (Murmur3 over the spec's byte form of v),
 * which DuckDB's hash() is not; writes to bucket-partitioned tables
 * compute partition values with it. The hashing is the iceberg layer's,
 * so the spec's vectors test the same code.
 */
#include "engine_internal.h"

#include <duckdb.h>
#include <string.h>

/* One input type of pond_bucket: how to read a row as an Iceberg literal. */
typedef enum {
	BUCKET_INT, BUCKET_LONG, BUCKET_DATE, BUCKET_TIME, BUCKET_TIMESTAMP, BUCKET_STRING, BUCKET_BINARY,
	BUCKET_UUID, BUCKET_DECIMAL_UNSCALED,
} bucket_input;

static pond_iceberg_literal read_literal(bucket_input kind, void *data, idx_t row)
{
	switch (kind) {
	case BUCKET_INT: return pond_iceberg_literal_int(((int32_t *)data)[row]);
	case BUCKET_LONG: return pond_iceberg_literal_long(((int64_t *)data)[row]);
	case BUCKET_DATE: return pond_iceberg_literal_date(((int32_t *)data)[row]);
	case BUCKET_TIME: return pond_iceberg_literal_time(((int64_t *)data)[row]);
	case BUCKET_TIMESTAMP: return pond_iceberg_literal_timestamp(((int64_t *)data)[row]);
	case BUCKET_STRING:
	case BUCKET_BINARY: {
		duckdb_string_t *s = &((duckdb_string_t *)data)[row];
		const char *p = duckdb_string_t_data(s);
		uint32_t n = duckdb_string_t_length(*s);
		return kind == BUCKET_STRING ? pond_iceberg_literal_string(p, n) : pond_iceberg_literal_binary(p, n);
	}
	case BUCKET_UUID: {
		/* DuckDB keeps uuids as a hugeint with the top bit flipped. */
		duckdb_hugeint h = ((duckdb_hugeint *)data)[row];
		uint64_t hi = (uint64_t)h.upper ^ ((uint64_t)1 << 63), lo = h.lower;
		uint8_t u[16];
		for (int i = 0; i < 8; i++) {
			u[i] = (uint8_t)(hi >> (56 - 8 * i));
			u[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
		}
		return pond_iceberg_literal_uuid(u);
	}
	case BUCKET_DECIMAL_UNSCALED: {
		duckdb_hugeint h = ((duckdb_hugeint *)data)[row];
		pond_int128 v = (pond_int128)((unsigned __int128)(uint64_t)h.upper << 64 | h.lower);
		return pond_iceberg_literal_decimal(v, 0);
	}
	}
	return pond_iceberg_literal_null(POND_ICEBERG_INT);
}

static void bucket_fn(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output)
{
	bucket_input kind = (bucket_input)(intptr_t)duckdb_scalar_function_get_extra_info(info);
	idx_t n = duckdb_data_chunk_get_size(input);
	duckdb_vector values = duckdb_data_chunk_get_vector(input, 0), counts = duckdb_data_chunk_get_vector(input, 1);
	void *data = duckdb_vector_get_data(values);
	int32_t *count = duckdb_vector_get_data(counts);
	int32_t *out = duckdb_vector_get_data(output);
	uint64_t *in_valid = duckdb_vector_get_validity(values), *count_valid = duckdb_vector_get_validity(counts);
	duckdb_vector_ensure_validity_writable(output);
	uint64_t *out_valid = duckdb_vector_get_validity(output);
	for (idx_t row = 0; row < n; row++) {
		if ((in_valid && !duckdb_validity_row_is_valid(in_valid, row)) ||
		    (count_valid && !duckdb_validity_row_is_valid(count_valid, row))) {
			duckdb_validity_set_row_invalid(out_valid, row);
			continue;
		}
		if (count[row] <= 0) {
			duckdb_scalar_function_set_error(info, "pond_bucket: the bucket count must be positive");
			return;
		}
		pond_iceberg_literal lit = read_literal(kind, data, row), result;
		pond_iceberg_transform t = {POND_ICEBERG_BUCKET, count[row]};
		pond_error err = POND_ERROR_INIT;
		if (pond_iceberg_transform_apply(&result, t, &lit, &err) != 0) {
			duckdb_scalar_function_set_error(info, err.msg);
			return;
		}
		out[row] = result.v.i32;
	}
}

static int add_overload(duckdb_scalar_function_set set, duckdb_type input, bucket_input kind)
{
	duckdb_scalar_function f = duckdb_create_scalar_function();
	duckdb_logical_type in = duckdb_create_logical_type(input);
	duckdb_logical_type integer = duckdb_create_logical_type(DUCKDB_TYPE_INTEGER);
	duckdb_scalar_function_set_name(f, "pond_bucket");
	duckdb_scalar_function_add_parameter(f, in);
	duckdb_scalar_function_add_parameter(f, integer);
	duckdb_scalar_function_set_return_type(f, integer);
	duckdb_scalar_function_set_function(f, bucket_fn);
	duckdb_scalar_function_set_extra_info(f, (void *)(intptr_t)kind, NULL);
	duckdb_state st = duckdb_add_scalar_function_to_set(set, f);
	duckdb_destroy_logical_type(&in);
	duckdb_destroy_logical_type(&integer);
	duckdb_destroy_scalar_function(&f);
	return st == DuckDBSuccess ? 0 : -1;
}

int pond__engine_register_functions(pond_engine *e, pond_error *err)
{
	static const struct { duckdb_type type; bucket_input kind; } overloads[] = {
		{DUCKDB_TYPE_INTEGER, BUCKET_INT}, {DUCKDB_TYPE_BIGINT, BUCKET_LONG}, {DUCKDB_TYPE_DATE, BUCKET_DATE},
		{DUCKDB_TYPE_TIME, BUCKET_TIME}, {DUCKDB_TYPE_TIMESTAMP, BUCKET_TIMESTAMP},
		{DUCKDB_TYPE_TIMESTAMP_TZ, BUCKET_TIMESTAMP}, {DUCKDB_TYPE_VARCHAR, BUCKET_STRING},
		{DUCKDB_TYPE_BLOB, BUCKET_BINARY}, {DUCKDB_TYPE_UUID, BUCKET_UUID},
		/* Decimals pass their unscaled value (the spec hashes its bytes). */
		{DUCKDB_TYPE_HUGEINT, BUCKET_DECIMAL_UNSCALED},
	};
	duckdb_scalar_function_set set = duckdb_create_scalar_function_set("pond_bucket");
	int rc = 0;
	for (size_t i = 0; i < sizeof(overloads) / sizeof(overloads[0]) && rc == 0; i++)
		rc = add_overload(set, overloads[i].type, overloads[i].kind);
	if (rc == 0 && duckdb_register_scalar_function_set(e->conn, set) != DuckDBSuccess)
		rc = -1;
	duckdb_destroy_scalar_function_set(&set);
	return rc ? pond_error_set(err, POND_ESQL, "could not register pond's SQL functions") : 0;
}

/*
 * The NEAR Lake source's parts that need no server: block.json and
 * shard_N.json into rows, the heights a listing's prefixes name, the
 * timestamps, and the source's YAML.
 */
#include "../test.h"

#include <stdlib.h>
#include <string.h>

#include "ingest/near.h"

/* Rows written to a memory stream, parsed back one per line. */
typedef struct {
	char *text;
	size_t len;
	FILE *f;
} mem_out;

static void mem_open(mem_out *m)
{
	m->text = NULL;
	m->len = 0;
	m->f = open_memstream(&m->text, &m->len);
}

/* Line i (0-based) of what was written, parsed; NULL when there is none. */
static json_t *mem_row(mem_out *m, int i)
{
	fflush(m->f);
	const char *p = m->text ? m->text : "";
	for (int k = 0; k < i && p; k++) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	if (!p || !*p)
		return NULL;
	const char *end = strchr(p, '\n');
	return json_loadb(p, end ? (size_t)(end - p) : strlen(p), 0, NULL);
}

static int mem_lines(mem_out *m)
{
	fflush(m->f);
	int n = 0;
	for (const char *p = m->text ? m->text : ""; *p; p++)
		n += *p == '\n';
	return n;
}

static void mem_close(mem_out *m)
{
	fclose(m->f);
	free(m->text);
}

static const char *BLOCK =
	"{\"author\": \"v1.near\", \"header\": {\"height\": 12, \"prev_height\": 10, \"epoch_id\": \"E\", "
	"\"hash\": \"H12\", \"prev_hash\": \"H10\", \"timestamp\": 1700000000123456789, "
	"\"timestamp_nanosec\": \"1700000000123456789\", \"gas_price\": \"100000000\", "
	"\"total_supply\": \"340282366920938463463374607431768211455\", \"chunks_included\": 1}, "
	"\"chunks\": [{\"chunk_hash\": \"C0\", \"shard_id\": 0}, {\"chunk_hash\": \"C1\", \"shard_id\": 1}]}";

/* A JSON text of the test's own; a typo in it shows as a failed CHECK. */
static json_t *parse_json(const char *text)
{
	return json_loads(text, 0, NULL);
}

TEST(near_block_json_becomes_a_row_with_exact_amounts_and_a_utc_timestamp)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	json_t *block = parse_json(BLOCK);
	mem_out m;
	mem_open(&m);
	near_block b;
	CHECK_OK(pond__near_block_row(m.f, &b, block, 12, "s3://b/000000000012/block.json", a, &err), &err);
	CHECK_INT(b.height, 12);
	CHECK_STR(b.hash, "H12");
	CHECK_INT(b.nchunks, 2);
	CHECK_STR(b.timestamp, "2023-11-14T22:13:20.123456Z");
	CHECK_INT(mem_lines(&m), 1);
	json_t *row = mem_row(&m, 0);
	CHECK_INT(json_integer_value(json_object_get(row, "height")), 12);
	CHECK_INT(json_integer_value(json_object_get(row, "prev_height")), 10);
	CHECK_STR(json_string_value(json_object_get(row, "total_supply")), "340282366920938463463374607431768211455");
	CHECK_STR(json_string_value(json_object_get(row, "author")), "v1.near");
	CHECK_INT(json_integer_value(json_object_get(row, "timestamp_ns")), 1700000000123456789LL);
	CHECK_INT(json_integer_value(json_object_get(row, "chunk_count")), 2);
	/* Every column of the documented schema, and no other. */
	const char *cols = pond__near_columns[NEAR_BLOCKS];
	const char *key;
	json_t *v;
	json_object_foreach(row, key, v) {
		char quoted[64];
		snprintf(quoted, sizeof quoted, "'%s':", key);
		CHECK_MSG(strstr(cols, quoted) != NULL, "column %s is not in the schema", key);
	}
	CHECK_INT(json_object_size(row), 12);
	json_decref(row);
	/* NULL out: the block is read, no row written. */
	CHECK_OK(pond__near_block_row(NULL, &b, block, 12, "x", a, &err), &err);
	CHECK_INT(mem_lines(&m), 1);
	mem_close(&m);
	json_decref(block);
	pond_arena_free(&a);
}

TEST(near_block_errors_name_the_object_and_the_field)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	near_block b;
	json_t *j = parse_json("{\"header\": {\"height\": \"12\", \"hash\": \"h\", \"timestamp\": 1}, \"chunks\": []}");
	CHECK(pond__near_block_row(NULL, &b, j, 12, "s3://b/000000000012/block.json", a, &err) == POND_ECORRUPT);
	CHECK_STR(err.msg, "s3://b/000000000012/block.json: header.height is missing or not an integer");
	json_decref(j);
	j = parse_json("{\"header\": {\"height\": 13, \"hash\": \"h\", \"timestamp\": 1}, \"chunks\": []}");
	CHECK(pond__near_block_row(NULL, &b, j, 12, "k", a, &err) == POND_ECORRUPT);
	CHECK_STR(err.msg, "k: header.height is 13, not the height 12 of its key");
	json_decref(j);
	j = parse_json("{\"header\": {\"height\": 12, \"hash\": \"h\", \"timestamp\": 1}}");
	CHECK(pond__near_block_row(NULL, &b, j, 12, "k", a, &err) == POND_ECORRUPT);
	CHECK_STR(err.msg, "k: chunks is missing or not a list");
	json_decref(j);
	j = parse_json("[1]");
	CHECK(pond__near_block_row(NULL, &b, j, 12, "k", a, &err) == POND_ECORRUPT);
	CHECK_STR(err.msg, "k: expected a JSON object (a block)");
	json_decref(j);
	pond_arena_free(&a);
}

static const char *SHARD =
	"{\"shard_id\": 3, \"chunk\": {\"author\": \"v\", \"header\": {\"chunk_hash\": \"CH\"}, "
	" \"transactions\": ["
	"  {\"transaction\": {\"signer_id\": \"alice.near\", \"public_key\": \"ed25519:k\", \"nonce\": 7, "
	"    \"receiver_id\": \"app.near\", \"signature\": \"sig\", \"hash\": \"T1\", "
	"    \"actions\": [{\"FunctionCall\": {\"method_name\": \"h\\u00e9\", \"args\": \"e30=\"}}, {\"Transfer\": {\"deposit\": \"1\"}}]},"
	"   \"outcome\": {\"execution_outcome\": {\"id\": \"T1\", \"outcome\": {\"logs\": [\"l\\u00fc\"], \"receipt_ids\": [\"R1\"], "
	"    \"gas_burnt\": 5, \"tokens_burnt\": \"500\", \"executor_id\": \"alice.near\", \"status\": {\"SuccessReceiptId\": \"R1\"}}}, \"receipt\": null}},"
	"  {\"transaction\": {\"signer_id\": \"bob.near\", \"nonce\": 8, \"receiver_id\": \"x.near\", \"hash\": \"T2\", \"actions\": []},"
	"   \"outcome\": {\"execution_outcome\": {\"id\": \"T2\", \"outcome\": {\"logs\": [], \"receipt_ids\": [], "
	"    \"gas_burnt\": 6, \"tokens_burnt\": \"600\", \"executor_id\": \"bob.near\", "
	"    \"status\": {\"Failure\": {\"ActionError\": {\"index\": 0}}}}}, \"receipt\": null}}],"
	" \"receipts\": ["
	"  {\"predecessor_id\": \"alice.near\", \"receiver_id\": \"app.near\", \"receipt_id\": \"R1\", "
	"   \"receipt\": {\"Action\": {\"signer_id\": \"alice.near\", \"signer_public_key\": \"ed25519:k\", \"gas_price\": \"1\", \"actions\": [{\"Transfer\": {}}]}}},"
	"  {\"predecessor_id\": \"app.near\", \"receiver_id\": \"alice.near\", \"receipt_id\": \"R2\", "
	"   \"receipt\": {\"Data\": {\"data_id\": \"D\", \"data\": null}}}]},"
	" \"receipt_execution_outcomes\": ["
	"  {\"execution_outcome\": {\"id\": \"R1\", \"outcome\": {\"logs\": [], \"receipt_ids\": [], \"gas_burnt\": 9, "
	"    \"tokens_burnt\": \"900\", \"executor_id\": \"app.near\", \"status\": {\"SuccessValue\": \"\"}}}, "
	"   \"receipt\": {\"predecessor_id\": \"alice.near\", \"receiver_id\": \"app.near\", \"receipt_id\": \"R1\", \"receipt\": {\"Action\": {\"actions\": []}}}},"
	"  {\"execution_outcome\": {\"id\": \"R9\", \"outcome\": {\"logs\": [], \"receipt_ids\": [], \"gas_burnt\": 1, "
	"    \"tokens_burnt\": \"0\", \"executor_id\": \"z.near\", \"status\": \"Unknown\"}}, "
	"   \"receipt\": {\"predecessor_id\": \"system\", \"receiver_id\": \"z.near\", \"receipt_id\": \"R9\", \"receipt\": {\"Action\": {\"actions\": []}}}}],"
	" \"state_changes\": []}";

TEST(near_shard_json_becomes_transactions_and_receipts_of_both_kinds)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	near_block b = {12, "H12", "2023-11-14T22:13:20.123456Z", 1};
	json_t *shard = parse_json(SHARD);
	mem_out tx, rx;
	mem_open(&tx);
	mem_open(&rx);
	int64_t ntx = 0, nrx = 0;
	CHECK_OK(pond__near_shard_rows(tx.f, rx.f, &ntx, &nrx, &b, shard, "s3://b/000000000012/shard_0.json", a, &err),
	         &err);
	CHECK_INT(ntx, 2);
	CHECK_INT(nrx, 3);  /* R1 and R2 listed in the chunk, R9 executed only */
	CHECK_INT(mem_lines(&tx), 2);
	CHECK_INT(mem_lines(&rx), 3);
	json_t *t1 = mem_row(&tx, 0), *t2 = mem_row(&tx, 1);
	CHECK_STR(json_string_value(json_object_get(t1, "hash")), "T1");
	CHECK_INT(json_integer_value(json_object_get(t1, "block_height")), 12);
	CHECK_INT(json_integer_value(json_object_get(t1, "shard_id")), 3);
	CHECK_STR(json_string_value(json_object_get(t1, "chunk_hash")), "CH");
	CHECK_INT(json_integer_value(json_object_get(t1, "index_in_chunk")), 0);
	CHECK_INT(json_integer_value(json_object_get(t1, "action_count")), 2);
	CHECK(strstr(json_string_value(json_object_get(t1, "actions")), "h\xc3\xa9") != NULL);
	CHECK_STR(json_string_value(json_object_get(t1, "status")), "SuccessReceiptId");
	CHECK_STR(json_string_value(json_object_get(t1, "status_value")), "R1");
	CHECK_STR(json_string_value(json_object_get(t1, "receipt_id")), "R1");
	CHECK_STR(json_string_value(json_object_get(t1, "logs")), "[\"l\xc3\xbc\"]");
	CHECK_STR(json_string_value(json_object_get(t1, "tokens_burnt")), "500");
	CHECK_STR(json_string_value(json_object_get(t2, "status")), "Failure");
	CHECK_STR(json_string_value(json_object_get(t2, "status_value")), "{\"ActionError\":{\"index\":0}}");
	CHECK(json_is_null(json_object_get(t2, "receipt_id")));
	CHECK(json_is_null(json_object_get(t2, "public_key")));
	CHECK_INT(json_integer_value(json_object_get(t2, "index_in_chunk")), 1);
	json_t *r1 = mem_row(&rx, 0), *r2 = mem_row(&rx, 1), *r9 = mem_row(&rx, 2);
	CHECK_STR(json_string_value(json_object_get(r1, "kind")), "Action");
	CHECK(json_is_true(json_object_get(r1, "executed")));
	CHECK_INT(json_integer_value(json_object_get(r1, "gas_burnt")), 9);
	CHECK_STR(json_string_value(json_object_get(r1, "status")), "SuccessValue");
	CHECK_STR(json_string_value(json_object_get(r1, "status_value")), "");
	CHECK_STR(json_string_value(json_object_get(r1, "signer_id")), "alice.near");
	CHECK_STR(json_string_value(json_object_get(r2, "kind")), "Data");
	CHECK_STR(json_string_value(json_object_get(r2, "data_id")), "D");
	CHECK(json_is_false(json_object_get(r2, "executed")));
	CHECK(json_is_null(json_object_get(r2, "status")));
	CHECK_INT(json_integer_value(json_object_get(r2, "index_in_chunk")), 1);
	CHECK_STR(json_string_value(json_object_get(r9, "receipt_id")), "R9");
	CHECK(json_is_null(json_object_get(r9, "index_in_chunk")));
	CHECK_STR(json_string_value(json_object_get(r9, "status")), "Unknown");
	CHECK(json_is_null(json_object_get(r9, "status_value")));
	json_decref(t1);
	json_decref(t2);
	json_decref(r1);
	json_decref(r2);
	json_decref(r9);
	/* Only the tables that want the block get rows. */
	int64_t n2 = 0, n3 = 0;
	CHECK_OK(pond__near_shard_rows(NULL, rx.f, &n2, &n3, &b, shard, "x", a, &err), &err);
	CHECK_INT(n2, 0);
	CHECK_INT(n3, 3);
	CHECK_INT(mem_lines(&tx), 2);
	mem_close(&tx);
	mem_close(&rx);
	json_decref(shard);
	pond_arena_free(&a);
}

TEST(near_shard_with_a_missing_chunk_and_bad_shards)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	near_block b = {12, "H12", "2023-11-14T22:13:20.123456Z", 1};
	mem_out tx, rx;
	mem_open(&tx);
	mem_open(&rx);
	int64_t ntx = 0, nrx = 0;
	json_t *j = parse_json("{\"shard_id\": 1, \"chunk\": null, \"receipt_execution_outcomes\": []}");
	CHECK_OK(pond__near_shard_rows(tx.f, rx.f, &ntx, &nrx, &b, j, "k", a, &err), &err);
	CHECK_INT(ntx + nrx, 0);
	json_decref(j);
	j = parse_json("{\"shard_id\": 1, \"chunk\": {\"header\": {\"chunk_hash\": \"c\"}, \"transactions\": "
	               "[{\"transaction\": {\"signer_id\": \"a\", \"receiver_id\": \"b\", \"hash\": \"t\", \"actions\": []}, "
	               "\"outcome\": {\"execution_outcome\": {\"id\": \"t\", \"outcome\": {\"status\": 5}}}}], "
	               "\"receipts\": []}, \"receipt_execution_outcomes\": []}");
	CHECK(pond__near_shard_rows(tx.f, rx.f, &ntx, &nrx, &b, j, "s3://b/000000000012/shard_1.json", a, &err) ==
	      POND_ECORRUPT);
	CHECK_STR(err.msg, "s3://b/000000000012/shard_1.json: chunk.transactions[0].outcome.execution_outcome.outcome.status "
	                   "is missing or not a status (a string or an object of one key)");
	json_decref(j);
	j = parse_json("{\"shard_id\": 1, \"chunk\": null, \"receipt_execution_outcomes\": [{\"execution_outcome\": "
	               "{\"id\": \"r\", \"outcome\": {\"status\": \"Unknown\"}}, \"receipt\": {\"receipt_id\": \"r\", "
	               "\"receipt\": {\"Other\": {}}}}]}");
	CHECK(pond__near_shard_rows(tx.f, rx.f, &ntx, &nrx, &b, j, "k", a, &err) == POND_ECORRUPT);
	CHECK_STR(err.msg, "k: receipt_execution_outcomes[0].receipt.receipt is missing or not an Action or a Data receipt");
	json_decref(j);
	j = parse_json("{\"chunk\": null, \"receipt_execution_outcomes\": []}");
	CHECK(pond__near_shard_rows(tx.f, rx.f, &ntx, &nrx, &b, j, "k", a, &err) == POND_ECORRUPT);
	CHECK_STR(err.msg, "k: shard_id is missing or not an integer");
	json_decref(j);
	mem_close(&tx);
	mem_close(&rx);
	pond_arena_free(&a);
}

TEST(near_heights_come_from_twelve_digit_prefixes)
{
	int64_t h = -1;
	CHECK(pond__near_height_prefix("000000000012/", &h));
	CHECK_INT(h, 12);
	CHECK(pond__near_height_prefix("000123456789/", &h));
	CHECK_INT(h, 123456789);
	CHECK(pond__near_height_prefix("1000000000000/", &h));  /* past twelve digits, the name grows */
	CHECK_INT(h, 1000000000000LL);
	CHECK(!pond__near_height_prefix("12/", &h));
	CHECK(!pond__near_height_prefix("000000000012", &h));
	CHECK(!pond__near_height_prefix("000000000012/x/", &h));
	CHECK(!pond__near_height_prefix("00000000001a/", &h));
	CHECK(!pond__near_height_prefix("", &h));
	char ts[40];
	pond__near_timestamp(ts, 0);
	CHECK_STR(ts, "1970-01-01T00:00:00Z");
	pond__near_timestamp(ts, 1595350551591948999LL);  /* nanoseconds are dropped, not rounded */
	CHECK_STR(ts, "2020-07-21T16:55:51.591948Z");
	pond__near_timestamp(ts, -1);  /* before 1970: down to the microsecond before */
	CHECK_STR(ts, "1969-12-31T23:59:59.999999Z");
}

static int parse_near(pond_source **out, const char *yaml, pond_arena *a, pond_error *err)
{
	return pond_source_parse(out, "near", yaml, strlen(yaml), "sources/near.yml", NULL, a, err);
}

TEST(near_source_yaml_names_three_tables_and_the_bucket)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_source *s;
	CHECK_OK(parse_near(&s, "type: near_lake\ntable: near\nnetwork: mainnet\nstart_height: 9820210\n", a, &err), &err);
	CHECK_STR(pond_source_type(s), "near_lake");
	CHECK_STR(pond_source_table(s), "near.blocks, near.transactions, near.receipts");
	const near_config *n = s->near;
	CHECK_STR(n->bucket, "near-lake-data-mainnet");
	CHECK(n->requester_pays);
	CHECK_STR(n->s3.region, "eu-central-1");
	CHECK_INT(n->start_height, 9820210);
	CHECK_INT(n->max_blocks, NEAR_MAX_BLOCKS_DEFAULT);
	CHECK_INT(n->writes[NEAR_TRANSACTIONS].nkeys, 0);

	CHECK_OK(parse_near(&s, "type: near_lake\ntable: raw.near\nbucket: my-copy\nstart_height: 5\nmax_blocks: 10\n"
	                        "mode: merge\nendpoint: http://127.0.0.1:9000\nrequester_pays: false\n", a, &err), &err);
	n = s->near;
	CHECK_STR(pond_source_table(s), "raw.near_blocks, raw.near_transactions, raw.near_receipts");
	CHECK_STR(n->bucket, "my-copy");
	CHECK(!n->requester_pays);
	CHECK(n->s3.region == NULL);
	CHECK_STR(n->s3.endpoint, "http://127.0.0.1:9000");
	CHECK_INT(n->writes[NEAR_RECEIPTS].nkeys, 2);
	CHECK_STR(n->writes[NEAR_RECEIPTS].keys[1], "receipt_id");
	CHECK_STR(n->writes[NEAR_BLOCKS].keys[0], "height");
	CHECK(n->writes[NEAR_TRANSACTIONS].mode == POND_INGEST_MERGE);
	pond_arena_free(&a);
}

TEST(near_source_yaml_errors_name_the_line)
{
	static const struct {
		const char *yaml, *msg;
	} cases[] = {
		{"type: near_lake\ntable: near\nnetwork: devnet\nstart_height: 1\n",
		 "sources/near.yml:3: unknown network \"devnet\" (expected mainnet or testnet)"},
		{"type: near_lake\ntable: near\nstart_height: 1\n",
		 "sources/near.yml:1: \"network\" is missing (mainnet or testnet; or \"bucket\": the bucket's name)"},
		{"type: near_lake\ntable: near\nnetwork: mainnet\n",
		 "sources/near.yml:1: \"start_height\" is missing (the first block to load)"},
		{"type: near_lake\ntable: near\nnetwork: mainnet\nbucket: b\nstart_height: 1\n",
		 "sources/near.yml:4: give \"network\" or \"bucket\", not both"},
		{"type: near_lake\ntable: near\nnetwork: mainnet\nstart_height: 1\nkey: id\n",
		 "sources/near.yml:5: a near_lake source has its own keys (height, hash, block_height + receipt_id): leave "
		 "out \"key\""},
		{"type: near_lake\ntable: near\nnetwork: mainnet\nstart_height: 1\nmax_blocks: 0\n",
		 "sources/near.yml:5: \"max_blocks\" must be between 1 and 10000000"},
		{"type: near_lake\nnetwork: mainnet\nstart_height: 1\n",
		 "sources/near.yml:1: \"table\" is missing (a namespace such as near, for near.blocks, near.transactions and "
		 "near.receipts)"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pond_arena *a = pond_arena_new();
		pond_error err = POND_ERROR_INIT;
		pond_source *s;
		CHECK(parse_near(&s, cases[i].yaml, a, &err) != 0);
		CHECK_STR(err.msg, cases[i].msg);
		pond_arena_free(&a);
	}
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_source *s;
	CHECK(parse_near(&s, "type: near_lake\ntable: near\nnetwork: mainnet\nstart_height: 1\nurl: x\n", a, &err) != 0);
	CHECK_MSG(strstr(err.msg, "sources/near.yml:5") && strstr(err.msg, "url"), "%s", err.msg);
	pond_arena_free(&a);
}

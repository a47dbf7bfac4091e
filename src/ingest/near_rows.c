/*
 * The rows of the NEAR Lake tables, taken from a block's objects as the
 * NEAR indexer writes them: block.json (a BlockView: author, header,
 * chunk headers) gives one row of blocks; each shard_N.json (an
 * IndexerShard: the chunk, if any, with its transactions and receipts,
 * and the receipts executed in the shard) gives rows of transactions and
 * receipts. Rows are NDJSON lines whose columns are the documented schemas
 * (docs/ingest.md): u128 amounts stay the decimal strings NEAR writes
 * (they can exceed DECIMAL(38)), nested parts that vary by kind (actions,
 * logs, a failure) are JSON text. A field that is missing or of the wrong
 * type fails the run naming the object and the field.
 */
#include "near.h"

#include <inttypes.h>
#include <string.h>

const char *const pond__near_table_suffix[NEAR_NTABLES] = {"blocks", "transactions", "receipts"};

static const char *const blocks_keys[] = {"height"};
static const char *const transactions_keys[] = {"hash"};
static const char *const receipts_keys[] = {"block_height", "receipt_id"};
const char *const *const pond__near_keys[NEAR_NTABLES] = {blocks_keys, transactions_keys, receipts_keys};
const size_t pond__near_nkeys[NEAR_NTABLES] = {1, 1, 2};

#define BLOCK_COLUMNS "'block_height': 'BIGINT', 'block_hash': 'VARCHAR', 'block_timestamp': 'TIMESTAMPTZ', " \
	"'shard_id': 'BIGINT', 'chunk_hash': 'VARCHAR', 'index_in_chunk': 'INTEGER', "
#define OUTCOME_COLUMNS "'status': 'VARCHAR', 'status_value': 'VARCHAR', 'gas_burnt': 'BIGINT', " \
	"'tokens_burnt': 'VARCHAR', 'logs': 'VARCHAR', 'executor_id': 'VARCHAR'"

const char *const pond__near_columns[NEAR_NTABLES] = {
	"{'height': 'BIGINT', 'hash': 'VARCHAR', 'prev_hash': 'VARCHAR', 'prev_height': 'BIGINT', "
	"'timestamp': 'TIMESTAMPTZ', 'timestamp_ns': 'BIGINT', 'author': 'VARCHAR', 'epoch_id': 'VARCHAR', "
	"'gas_price': 'VARCHAR', 'total_supply': 'VARCHAR', 'chunks_included': 'BIGINT', 'chunk_count': 'INTEGER'}",
	"{" BLOCK_COLUMNS "'hash': 'VARCHAR', 'signer_id': 'VARCHAR', 'public_key': 'VARCHAR', 'nonce': 'BIGINT', "
	"'receiver_id': 'VARCHAR', 'signature': 'VARCHAR', 'actions': 'VARCHAR', 'action_count': 'INTEGER', "
	"'receipt_id': 'VARCHAR', " OUTCOME_COLUMNS "}",
	"{" BLOCK_COLUMNS "'receipt_id': 'VARCHAR', 'predecessor_id': 'VARCHAR', 'receiver_id': 'VARCHAR', "
	"'kind': 'VARCHAR', 'signer_id': 'VARCHAR', 'signer_public_key': 'VARCHAR', 'gas_price': 'VARCHAR', "
	"'actions': 'VARCHAR', 'data_id': 'VARCHAR', 'data': 'VARCHAR', 'executed': 'BOOLEAN', " OUTCOME_COLUMNS "}",
};

bool pond__near_height_prefix(const char *prefix, int64_t *height)
{
	/* {height:012}/ : twelve digits or more (heights past 10^12 grow the
	 * name), then the slash. */
	size_t n = strspn(prefix, "0123456789");
	if (n < 12 || n > 18 || strcmp(prefix + n, "/") != 0)
		return false;
	int64_t h = 0;
	for (size_t i = 0; i < n; i++)
		h = h * 10 + (prefix[i] - '0');
	*height = h;
	return true;
}

void pond__near_timestamp(char out[40], int64_t ns)
{
	/* Rounded down to the microsecond, before 1970 too. */
	pond_time_format_us(out, ns / 1000 - (ns % 1000 < 0));
}

/* ---- reading fields ---------------------------------------------------------------------- */

/* Where a field is, for errors: the object's name and the path inside. */
typedef struct {
	const char *what;     /* s3://bucket/000000000012/shard_0.json */
	const char *path;     /* "chunk.transactions[3].transaction" */
	pond_error *err;
} field_ctx;

static int field_error(const field_ctx *c, const char *key, const char *expected)
{
	return pond_error_set(c->err, POND_ECORRUPT, "%s: %s%s%s is missing or not %s", c->what, c->path,
	                      c->path[0] ? "." : "", key, expected);
}

/* obj[key] must be an object (or null when nullable: *out NULL). */
static int get_object(const field_ctx *c, const json_t *obj, const char *key, bool nullable, json_t **out)
{
	json_t *v = json_object_get(obj, key);
	*out = json_is_object(v) ? v : NULL;
	if (*out || (nullable && (!v || json_is_null(v))))
		return 0;
	return field_error(c, key, nullable ? "an object or null" : "an object");
}

static int get_array(const field_ctx *c, const json_t *obj, const char *key, json_t **out)
{
	*out = json_object_get(obj, key);
	return json_is_array(*out) ? 0 : field_error(c, key, "a list");
}

static int get_integer(const field_ctx *c, const json_t *obj, const char *key, bool nullable, int64_t *out,
                       bool *present)
{
	json_t *v = json_object_get(obj, key);
	if (present)
		*present = json_is_integer(v);
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (nullable && (!v || json_is_null(v)))
		return 0;
	return field_error(c, key, nullable ? "an integer or null" : "an integer");
}

/* A string field as a JSON value for a row: the string, or null when
 * nullable and absent or null. */
static int take_string(const field_ctx *c, json_t *row, const char *column, const json_t *obj, const char *key,
                       bool nullable)
{
	json_t *v = json_object_get(obj, key);
	if (json_is_string(v))
		return json_object_set(row, column, v);
	if (nullable && (!v || json_is_null(v)))
		return json_object_set_new(row, column, json_null());
	return field_error(c, key, nullable ? "a string or null" : "a string");
}

/* An amount (u128): NEAR writes it as a decimal string; a number is
 * taken as its text. */
static int take_amount(const field_ctx *c, json_t *row, const char *column, const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (json_is_integer(v)) {
		char text[32];
		snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return json_object_set_new(row, column, json_string(text));
	}
	return take_string(c, row, column, obj, key, true);
}

static int take_integer(const field_ctx *c, json_t *row, const char *column, const json_t *obj, const char *key,
                        bool nullable)
{
	int64_t n = 0;
	bool present = false;
	int rc = get_integer(c, obj, key, nullable, &n, &present);
	if (rc)
		return rc;
	return json_object_set_new(row, column, present ? json_integer(n) : json_null());
}

/* A value kept as JSON text (actions, logs): null when absent. */
static int take_json_text(json_t *row, const char *column, const json_t *v)
{
	if (!v || json_is_null(v))
		return json_object_set_new(row, column, json_null());
	char *text = pond_json_dumps(v, false);
	int rc = json_object_set_new(row, column, text ? json_string(text) : json_null());
	pond_free(text);
	return text ? rc : -1;
}

static int write_row(FILE *out, json_t *row, const char *what, pond_error *err)
{
	if (json_dumpf(row, out, JSON_COMPACT) != 0 || fputc('\n', out) == EOF)
		return pond_error_set(err, POND_EIO, "could not write the rows of %s to a temporary file: %m", what);
	return 0;
}

/* ---- blocks ------------------------------------------------------------------------------ */

int pond__near_block_row(FILE *out, near_block *b, const json_t *block, int64_t height, const char *what,
                         pond_arena *arena, pond_error *err)
{
	field_ctx c = {what, "", err};
	json_t *header, *chunks;
	int64_t h = 0, ns = 0;
	const char *hash;
	if (!json_is_object(block))
		return pond_error_set(err, POND_ECORRUPT, "%s: expected a JSON object (a block)", what);
	int rc;
	if ((rc = get_object(&c, block, "header", false, &header)) || (rc = get_array(&c, block, "chunks", &chunks)))
		return rc;
	c.path = "header";
	if ((rc = get_integer(&c, header, "height", false, &h, NULL)) ||
	    (rc = get_integer(&c, header, "timestamp", false, &ns, NULL)))
		return rc;
	if (!(hash = json_string_value(json_object_get(header, "hash"))))
		return field_error(&c, "hash", "a string");
	if (h != height)
		return pond_error_set(err, POND_ECORRUPT, "%s: header.height is %" PRId64 ", not the height %" PRId64
		                      " of its key", what, h, height);
	char ts[40];
	pond__near_timestamp(ts, ns);
	b->height = h;
	b->hash = pond_arena_strdup(arena, hash);
	b->timestamp = pond_arena_strdup(arena, ts);
	b->nchunks = json_array_size(chunks);
	if (!b->hash || !b->timestamp)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (!out)
		return 0;
	json_t *row = json_object();
	if (!row)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	json_object_set_new(row, "height", json_integer(h));
	json_object_set_new(row, "hash", json_string(hash));
	json_object_set_new(row, "timestamp", json_string(ts));
	json_object_set_new(row, "timestamp_ns", json_integer(ns));
	json_object_set_new(row, "chunk_count", json_integer((json_int_t)b->nchunks));
	if ((rc = take_string(&c, row, "prev_hash", header, "prev_hash", true)) ||
	    (rc = take_integer(&c, row, "prev_height", header, "prev_height", true)) ||
	    (rc = take_string(&c, row, "epoch_id", header, "epoch_id", true)) ||
	    (rc = take_amount(&c, row, "gas_price", header, "gas_price")) ||
	    (rc = take_amount(&c, row, "total_supply", header, "total_supply")) ||
	    (rc = take_integer(&c, row, "chunks_included", header, "chunks_included", true)))
		goto done;
	c.path = "";
	if ((rc = take_string(&c, row, "author", block, "author", true)) != 0)
		goto done;
	rc = write_row(out, row, what, err);
done:
	json_decref(row);
	return rc;
}

/* ---- shards ------------------------------------------------------------------------------ */

/* The columns a shard's rows repeat: the block's and the chunk's. */
static json_t *shard_row(const near_block *b, int64_t shard_id, const char *chunk_hash, int64_t index)
{
	json_t *row = json_object();
	if (!row)
		return NULL;
	json_object_set_new(row, "block_height", json_integer(b->height));
	json_object_set_new(row, "block_hash", json_string(b->hash));
	json_object_set_new(row, "block_timestamp", json_string(b->timestamp));
	json_object_set_new(row, "shard_id", json_integer(shard_id));
	json_object_set_new(row, "chunk_hash", chunk_hash ? json_string(chunk_hash) : json_null());
	json_object_set_new(row, "index_in_chunk", index >= 0 ? json_integer(index) : json_null());
	return row;
}

/* An ExecutionOutcomeView's columns: status ("SuccessValue",
 * "SuccessReceiptId", "Failure", or a bare "Unknown"), what it carries,
 * gas, tokens burnt, logs, executor. */
static int take_outcome(const field_ctx *c, json_t *row, const json_t *outcome)
{
	json_t *status = json_object_get(outcome, "status");
	int rc;
	if (json_is_string(status)) {
		json_object_set(row, "status", status);
		json_object_set_new(row, "status_value", json_null());
	} else if (json_is_object(status) && json_object_size(status) == 1) {
		const char *kind = json_object_iter_key(json_object_iter(status));
		json_t *v = json_object_iter_value(json_object_iter(status));
		json_object_set_new(row, "status", json_string(kind));
		if (json_is_string(v))
			json_object_set(row, "status_value", v);
		else if ((rc = take_json_text(row, "status_value", v)) != 0)
			return pond_error_set(c->err, POND_ENOMEM, "out of memory");
	} else {
		return field_error(c, "status", "a status (a string or an object of one key)");
	}
	if ((rc = take_integer(c, row, "gas_burnt", outcome, "gas_burnt", true)) ||
	    (rc = take_amount(c, row, "tokens_burnt", outcome, "tokens_burnt")) ||
	    (rc = take_string(c, row, "executor_id", outcome, "executor_id", true)))
		return rc;
	if (take_json_text(row, "logs", json_object_get(outcome, "logs")) != 0)
		return pond_error_set(c->err, POND_ENOMEM, "out of memory");
	return 0;
}

static void no_outcome(json_t *row)
{
	static const char *const columns[] = {"status", "status_value", "gas_burnt", "tokens_burnt", "logs",
	                                      "executor_id"};
	for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
		json_object_set_new(row, columns[i], json_null());
}

/* The outcome inside {execution_outcome: {id, outcome: {...}}}. */
static int execution_outcome(const field_ctx *c, const json_t *holder, json_t **out, const char **id)
{
	json_t *eo;
	int rc = get_object(c, holder, "execution_outcome", false, &eo);
	if (rc == 0)
		rc = get_object(c, eo, "outcome", false, out);
	if (rc == 0 && !(*id = json_string_value(json_object_get(eo, "id"))))
		rc = field_error(c, "execution_outcome.id", "a string");
	return rc;
}

static int transaction_row(FILE *tx, const near_block *b, int64_t shard_id, const char *chunk_hash, size_t i,
                           const json_t *item, const char *what, pond_arena *arena, pond_error *err)
{
	const char *path = pond_arena_sprintf(arena, "chunk.transactions[%zu]", i);
	field_ctx c = {what, path ? path : "chunk.transactions", err};
	json_t *t, *outcome_holder, *outcome, *actions;
	const char *outcome_id;
	int rc;
	if ((rc = get_object(&c, item, "transaction", false, &t)) ||
	    (rc = get_object(&c, item, "outcome", false, &outcome_holder)))
		return rc;
	json_t *row = shard_row(b, shard_id, chunk_hash, (int64_t)i);
	if (!row)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	c.path = pond_arena_sprintf(arena, "%s.transaction", path);
	if ((rc = take_string(&c, row, "hash", t, "hash", false)) ||
	    (rc = take_string(&c, row, "signer_id", t, "signer_id", false)) ||
	    (rc = take_string(&c, row, "public_key", t, "public_key", true)) ||
	    (rc = take_integer(&c, row, "nonce", t, "nonce", true)) ||
	    (rc = take_string(&c, row, "receiver_id", t, "receiver_id", false)) ||
	    (rc = take_string(&c, row, "signature", t, "signature", true)) ||
	    (rc = get_array(&c, t, "actions", &actions)))
		goto done;
	json_object_set_new(row, "action_count", json_integer((json_int_t)json_array_size(actions)));
	if (take_json_text(row, "actions", actions) != 0) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		goto done;
	}
	c.path = pond_arena_sprintf(arena, "%s.outcome", path);
	if ((rc = execution_outcome(&c, outcome_holder, &outcome, &outcome_id)) != 0)
		goto done;
	c.path = pond_arena_sprintf(arena, "%s.outcome.execution_outcome.outcome", path);
	if ((rc = take_outcome(&c, row, outcome)) != 0)
		goto done;
	/* A transaction becomes one receipt: the first of its outcome's. */
	json_t *first = json_array_get(json_object_get(outcome, "receipt_ids"), 0);
	json_object_set_new(row, "receipt_id", json_is_string(first) ? json_string(json_string_value(first)) : json_null());
	rc = write_row(tx, row, what, err);
done:
	json_decref(row);
	return rc;
}

/* A ReceiptView's columns: ids, and the Action or Data part. */
static int take_receipt(const field_ctx *c, json_t *row, const json_t *receipt)
{
	json_t *body, *action, *data;
	int rc;
	if ((rc = take_string(c, row, "receipt_id", receipt, "receipt_id", false)) ||
	    (rc = take_string(c, row, "predecessor_id", receipt, "predecessor_id", true)) ||
	    (rc = take_string(c, row, "receiver_id", receipt, "receiver_id", true)) ||
	    (rc = get_object(c, receipt, "receipt", false, &body)))
		return rc;
	static const char *const columns[] = {"signer_id", "signer_public_key", "gas_price", "actions", "data_id",
	                                      "data"};
	for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
		json_object_set_new(row, columns[i], json_null());
	field_ctx inner = *c;
	if ((action = json_object_get(body, "Action")) != NULL) {
		inner.path = "receipt.Action";
		json_t *actions;
		json_object_set_new(row, "kind", json_string("Action"));
		if (!json_is_object(action))
			return field_error(c, "receipt.Action", "an object");
		if ((rc = take_string(&inner, row, "signer_id", action, "signer_id", true)) ||
		    (rc = take_string(&inner, row, "signer_public_key", action, "signer_public_key", true)) ||
		    (rc = take_amount(&inner, row, "gas_price", action, "gas_price")) ||
		    (rc = get_array(&inner, action, "actions", &actions)))
			return rc;
		return take_json_text(row, "actions", actions) ? pond_error_set(c->err, POND_ENOMEM, "out of memory") : 0;
	}
	if ((data = json_object_get(body, "Data")) != NULL) {
		inner.path = "receipt.Data";
		json_object_set_new(row, "kind", json_string("Data"));
		if (!json_is_object(data))
			return field_error(c, "receipt.Data", "an object");
		if ((rc = take_string(&inner, row, "data_id", data, "data_id", false)) ||
		    (rc = take_string(&inner, row, "data", data, "data", true)))
			return rc;
		return 0;
	}
	return field_error(c, "receipt", "an Action or a Data receipt");
}

/* The outcomes the shard executed, by receipt id (borrowed values). */
static int outcomes_by_id(json_t **out, const json_t *outcomes, const char *what, pond_arena *arena, pond_error *err)
{
	*out = json_object();
	if (!*out)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	size_t i;
	json_t *item;
	json_array_foreach(outcomes, i, item) {
		const char *path = pond_arena_sprintf(arena, "receipt_execution_outcomes[%zu]", i);
		field_ctx c = {what, path ? path : "receipt_execution_outcomes", err};
		json_t *outcome;
		const char *id;
		int rc = execution_outcome(&c, item, &outcome, &id);
		if (rc)
			return rc;
		json_object_set(*out, id, item);
	}
	return 0;
}

/* A receipt's row, with the outcome of its execution in this block when
 * there is one. */
static int receipt_row(FILE *rx, const near_block *b, int64_t shard_id, const char *chunk_hash, int64_t index,
                       const json_t *receipt, const json_t *executed, const char *path, const char *what,
                       pond_arena *arena, pond_error *err)
{
	field_ctx c = {what, path, err};
	json_t *row = shard_row(b, shard_id, chunk_hash, index);
	if (!row)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	int rc = take_receipt(&c, row, receipt);
	if (rc == 0) {
		json_object_set_new(row, "executed", json_boolean(executed != NULL));
		if (executed) {
			json_t *outcome;
			const char *id;
			c.path = pond_arena_sprintf(arena, "receipt_execution_outcomes (%s)",
			                            json_string_value(json_object_get(receipt, "receipt_id")));
			if ((rc = execution_outcome(&c, executed, &outcome, &id)) == 0)
				rc = take_outcome(&c, row, outcome);
		} else {
			no_outcome(row);
		}
	}
	if (rc == 0)
		rc = write_row(rx, row, what, err);
	json_decref(row);
	return rc;
}

/* Receipts: those the chunk includes (Action and Data), each with its
 * outcome when the shard executed it in this block, then the receipts
 * the shard executed that the chunk does not list (local and delayed
 * ones), from their outcomes. */
static int receipt_rows(FILE *rx, int64_t *nrx, const near_block *b, int64_t shard_id, const char *chunk_hash,
                        const json_t *chunk_receipts, const json_t *outcomes, const char *what, pond_arena *arena,
                        pond_error *err)
{
	json_t *by_id;
	int rc = outcomes_by_id(&by_id, outcomes, what, arena, err);
	json_t *listed = json_object();
	if (rc == 0 && !listed)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	size_t i;
	json_t *r;
	json_array_foreach(chunk_receipts, i, r) {
		if (rc)
			break;
		const char *path = pond_arena_sprintf(arena, "chunk.receipts[%zu]", i);
		const char *id = json_string_value(json_object_get(r, "receipt_id"));
		json_t *executed = id ? json_object_get(by_id, id) : NULL;
		rc = receipt_row(rx, b, shard_id, chunk_hash, (int64_t)i, r, executed, path ? path : "chunk.receipts", what,
		                 arena, err);
		if (rc == 0) {
			json_object_set_new(listed, id, json_true());
			(*nrx)++;
		}
	}
	json_array_foreach(outcomes, i, r) {
		if (rc)
			break;
		const char *path = pond_arena_sprintf(arena, "receipt_execution_outcomes[%zu]", i);
		field_ctx c = {what, path ? path : "receipt_execution_outcomes", err};
		json_t *receipt;
		if ((rc = get_object(&c, r, "receipt", false, &receipt)) != 0)
			break;
		const char *id = json_string_value(json_object_get(receipt, "receipt_id"));
		if (id && json_object_get(listed, id))
			continue;
		c.path = pond_arena_sprintf(arena, "%s.receipt", path ? path : "receipt_execution_outcomes");
		rc = receipt_row(rx, b, shard_id, chunk_hash, -1, receipt, r, c.path ? c.path : "receipt", what, arena, err);
		if (rc == 0)
			(*nrx)++;
	}
	json_decref(listed);
	json_decref(by_id);
	return rc;
}

int pond__near_shard_rows(FILE *tx, FILE *rx, int64_t *ntx, int64_t *nrx, const near_block *b, const json_t *shard,
                          const char *what, pond_arena *arena, pond_error *err)
{
	field_ctx c = {what, "", err};
	int64_t shard_id = 0;
	json_t *chunk, *outcomes;
	if (!json_is_object(shard))
		return pond_error_set(err, POND_ECORRUPT, "%s: expected a JSON object (a shard)", what);
	int rc;
	if ((rc = get_integer(&c, shard, "shard_id", false, &shard_id, NULL)) ||
	    (rc = get_object(&c, shard, "chunk", true, &chunk)) ||
	    (rc = get_array(&c, shard, "receipt_execution_outcomes", &outcomes)))
		return rc;
	const char *chunk_hash = NULL;
	json_t *transactions = NULL, *receipts = NULL;
	if (chunk) {
		json_t *header;
		c.path = "chunk";
		if ((rc = get_object(&c, chunk, "header", false, &header)) ||
		    (rc = get_array(&c, chunk, "transactions", &transactions)) ||
		    (rc = get_array(&c, chunk, "receipts", &receipts)))
			return rc;
		if (!(chunk_hash = json_string_value(json_object_get(header, "chunk_hash"))))
			return field_error(&c, "header.chunk_hash", "a string");
	}
	size_t i;
	json_t *item;
	if (tx && transactions)
		json_array_foreach(transactions, i, item) {
			if ((rc = transaction_row(tx, b, shard_id, chunk_hash, i, item, what, arena, err)) != 0)
				return rc;
			(*ntx)++;
		}
	if (rx)
		rc = receipt_rows(rx, nrx, b, shard_id, chunk_hash, receipts, outcomes, what, arena, err);
	return rc;
}

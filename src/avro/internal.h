/*
 * Internals shared by the files of the avro layer: zig-zag varints, the
 * codecs over byte buffers, and schema facts the decoder and encoder need.
 */
#ifndef POND_AVRO_INTERNAL_H
#define POND_AVRO_INTERNAL_H

#include "pond/avro.h"

/* Container file magic and sync marker size (Avro spec "Object Container
 * Files"). */
#define POND__AVRO_MAGIC "Obj\x01"
#define POND__AVRO_SYNC_SIZE 16

/* Appends a zig-zag varint long. */
void pond__avro_put_long(pond_buf *buf, int64_t v);
/* Reads a zig-zag varint long from data[*pos..len); 0, or -1 when truncated,
 * -2 when longer than 10 bytes. */
int pond__avro_get_long(const uint8_t *data, size_t len, size_t *pos, int64_t *out);

/* Compresses `in` onto `out` (appending). */
int pond__avro_compress(pond_avro_codec codec, int level, const uint8_t *in, size_t len, pond_buf *out,
                        pond_error *err);
/* Decompresses a block into `out` (cleared first), refusing more than
 * `limit` bytes. Errors are POND_ECORRUPT or POND_ELIMIT with a message
 * without a prefix ("bad deflate data"). */
int pond__avro_decompress(pond_avro_codec codec, const uint8_t *in, size_t len, pond_buf *out, size_t limit,
                          pond_error *err);

/* True when every value of the node encodes to zero bytes (null, empty
 * records), so counts cannot be checked against bytes left. */
bool pond__avro_node_zero_size(const pond_avro_node *node);

#endif

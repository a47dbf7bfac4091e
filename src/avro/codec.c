/*
 * Avro block codecs (spec "Required Codecs" and "Optional Codecs"): null;
 * deflate as raw RFC 1951 data (zlib with windowBits -15); snappy blocks
 * followed by the big-endian CRC32 of the uncompressed data; zstandard
 * frames. Decompression never produces more than a caller's limit.
 */
#include "avro/internal.h"

#include <string.h>

#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

static const char *const codec_names[] = {"null", "deflate", "snappy", "zstandard"};

const char *pond_avro_codec_name(pond_avro_codec codec)
{
	if ((unsigned)codec < 4)
		return codec_names[codec];
	return "unknown";
}

int pond_avro_codec_from_name(pond_avro_codec *out, const char *name, pond_error *err)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, codec_names[i]) == 0) {
			*out = (pond_avro_codec)i;
			return 0;
		}
	return pond_error_set(err, POND_EUNSUPPORTED, "unsupported avro codec \"%s\"", name);
}

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
	(void)opaque;
	return pond_calloc(items, size);
}

static void z_free(voidpf opaque, voidpf ptr)
{
	(void)opaque;
	pond_free(ptr);
}

static int nomem(pond_error *err)
{
	return pond_error_set(err, POND_ENOMEM, "out of memory in avro codec");
}

static int deflate_block(int level, const uint8_t *in, size_t len, pond_buf *out, pond_error *err)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	zs.zalloc = z_alloc;
	zs.zfree = z_free;
	if (len > UINT32_MAX)
		return pond_error_set(err, POND_ELIMIT, "avro block too large to deflate");
	int zrc = deflateInit2(&zs, level ? level : Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
	if (zrc == Z_MEM_ERROR)
		return nomem(err);
	if (zrc != Z_OK)
		return pond_error_set(err, POND_EINVAL, "could not start deflate: %s", zs.msg ? zs.msg : "bad level");
	size_t bound = deflateBound(&zs, (uLong)len);
	if (!pond_buf_reserve(out, bound)) {
		deflateEnd(&zs);
		return nomem(err);
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)out->ptr + out->len;
	zs.avail_out = (uInt)bound;
	zrc = deflate(&zs, Z_FINISH);
	size_t produced = bound - zs.avail_out;
	deflateEnd(&zs);
	if (zrc != Z_STREAM_END)
		return zrc == Z_MEM_ERROR ? nomem(err) : pond_error_set(err, POND_ERROR, "deflate failed (%d)", zrc);
	out->len += produced;
	out->ptr[out->len] = '\0';
	return 0;
}

static int snappy_block(const uint8_t *in, size_t len, pond_buf *out, pond_error *err)
{
	size_t bound = snappy_max_compressed_length(len);
	if (!pond_buf_reserve(out, bound + 4))
		return nomem(err);
	size_t produced = bound;
	if (snappy_compress((const char *)in, len, out->ptr + out->len, &produced) != SNAPPY_OK)
		return pond_error_set(err, POND_ERROR, "snappy compression failed");
	out->len += produced;
	uint32_t crc = (uint32_t)crc32(0L, in, (uInt)len);
	uint8_t be[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc};
	pond_buf_put(out, be, 4);
	return 0;
}

static int zstd_block(int level, const uint8_t *in, size_t len, pond_buf *out, pond_error *err)
{
	size_t bound = ZSTD_compressBound(len);
	if (!pond_buf_reserve(out, bound))
		return nomem(err);
	size_t r = ZSTD_compress(out->ptr + out->len, bound, in, len, level ? level : 3);
	if (ZSTD_isError(r))
		return pond_error_set(err, POND_ERROR, "zstandard compression failed: %s", ZSTD_getErrorName(r));
	out->len += r;
	out->ptr[out->len] = '\0';
	return 0;
}

int pond__avro_compress(pond_avro_codec codec, int level, const uint8_t *in, size_t len, pond_buf *out,
                        pond_error *err)
{
	switch (codec) {
	case POND_AVRO_CODEC_NULL:
		pond_buf_put(out, in, len);
		return pond_buf_ok(out) ? 0 : nomem(err);
	case POND_AVRO_CODEC_DEFLATE:
		return deflate_block(level, in, len, out, err);
	case POND_AVRO_CODEC_SNAPPY:
		return snappy_block(in, len, out, err);
	case POND_AVRO_CODEC_ZSTANDARD:
		return zstd_block(level, in, len, out, err);
	}
	return pond_error_set(err, POND_EINVAL, "unknown avro codec %d", (int)codec);
}

/* Grows out so that at least `want` more bytes fit, never past limit. */
static int grow(pond_buf *out, size_t limit, pond_error *err)
{
	if (out->len >= limit)
		return pond_error_set(err, POND_ELIMIT, "decompressed block larger than %zu bytes", limit);
	size_t want = out->cap > 1 ? out->cap : 64 * 1024;
	if (want > limit - out->len)
		want = limit - out->len;
	return pond_buf_reserve(out, want) ? 0 : nomem(err);
}

static int inflate_block(const uint8_t *in, size_t len, pond_buf *out, size_t limit, pond_error *err)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	zs.zalloc = z_alloc;
	zs.zfree = z_free;
	if (len > UINT32_MAX)
		return pond_error_set(err, POND_ELIMIT, "deflate block too large");
	int zrc = inflateInit2(&zs, -15);
	if (zrc != Z_OK)
		return zrc == Z_MEM_ERROR ? nomem(err) : pond_error_set(err, POND_ERROR, "could not start inflate");
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	int rc = 0;
	for (;;) {
		if (out->cap - out->len <= 1 && (rc = grow(out, limit, err)))
			break;
		size_t room = out->cap - out->len - 1;   /* keep the buffer's NUL */
		if (room > limit - out->len)
			room = limit - out->len;
		if (room > UINT32_MAX)
			room = UINT32_MAX;
		if (room == 0) {
			rc = pond_error_set(err, POND_ELIMIT, "decompressed block larger than %zu bytes", limit);
			break;
		}
		zs.next_out = (Bytef *)out->ptr + out->len;
		zs.avail_out = (uInt)room;
		zrc = inflate(&zs, Z_NO_FLUSH);
		out->len += room - zs.avail_out;
		if (zrc == Z_STREAM_END)
			break;
		if (zrc == Z_MEM_ERROR) {
			rc = nomem(err);
			break;
		}
		if (zrc == Z_BUF_ERROR && zs.avail_in == 0) {
			rc = pond_error_set(err, POND_ECORRUPT, "truncated deflate data");
			break;
		}
		if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
			rc = pond_error_set(err, POND_ECORRUPT, "bad deflate data: %s", zs.msg ? zs.msg : "error");
			break;
		}
		if (zs.avail_out != 0 && zs.avail_in == 0) {
			rc = pond_error_set(err, POND_ECORRUPT, "truncated deflate data");
			break;
		}
	}
	inflateEnd(&zs);
	if (out->ptr)
		out->ptr[out->len] = '\0';
	return rc;
}

static int unsnappy_block(const uint8_t *in, size_t len, pond_buf *out, size_t limit, pond_error *err)
{
	size_t ulen;
	if (len < 4)
		return pond_error_set(err, POND_ECORRUPT, "snappy block shorter than its checksum");
	len -= 4;
	if (snappy_uncompressed_length((const char *)in, len, &ulen) != SNAPPY_OK ||
	    snappy_validate_compressed_buffer((const char *)in, len) != SNAPPY_OK)
		return pond_error_set(err, POND_ECORRUPT, "bad snappy data");
	if (ulen > limit)
		return pond_error_set(err, POND_ELIMIT, "decompressed block larger than %zu bytes", limit);
	if (!pond_buf_reserve(out, ulen))
		return nomem(err);
	size_t got = ulen;
	if (snappy_uncompress((const char *)in, len, out->ptr, &got) != SNAPPY_OK || got != ulen)
		return pond_error_set(err, POND_ECORRUPT, "bad snappy data");
	out->len = got;
	out->ptr[got] = '\0';
	uint32_t want = (uint32_t)in[len] << 24 | (uint32_t)in[len + 1] << 16 | (uint32_t)in[len + 2] << 8 | in[len + 3];
	uint32_t crc = (uint32_t)crc32(0L, (const Bytef *)out->ptr, (uInt)got);
	if (crc != want)
		return pond_error_set(err, POND_ECORRUPT, "snappy block checksum mismatch");
	return 0;
}

static int unzstd_block(const uint8_t *in, size_t len, pond_buf *out, size_t limit, pond_error *err)
{
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	if (!dctx)
		return nomem(err);
	ZSTD_inBuffer ib = {in, len, 0};
	size_t last = 1;
	int rc = 0;
	while (ib.pos < ib.size || last != 0) {
		if (out->cap - out->len <= 1 && (rc = grow(out, limit, err)))
			break;
		size_t room = out->cap - out->len - 1;
		if (room > limit - out->len)
			room = limit - out->len;
		if (room == 0) {
			rc = pond_error_set(err, POND_ELIMIT, "decompressed block larger than %zu bytes", limit);
			break;
		}
		ZSTD_outBuffer ob = {out->ptr + out->len, room, 0};
		size_t before = ib.pos;
		last = ZSTD_decompressStream(dctx, &ob, &ib);
		if (ZSTD_isError(last)) {
			rc = pond_error_set(err, POND_ECORRUPT, "bad zstandard data: %s", ZSTD_getErrorName(last));
			break;
		}
		out->len += ob.pos;
		if (ob.pos == 0 && ib.pos == before && ob.size > 0) {
			rc = pond_error_set(err, POND_ECORRUPT, "truncated zstandard data");
			break;
		}
	}
	ZSTD_freeDCtx(dctx);
	if (out->ptr)
		out->ptr[out->len] = '\0';
	return rc;
}

int pond__avro_decompress(pond_avro_codec codec, const uint8_t *in, size_t len, pond_buf *out, size_t limit,
                          pond_error *err)
{
	pond_buf_clear(out);
	switch (codec) {
	case POND_AVRO_CODEC_NULL:
		if (len > limit)
			return pond_error_set(err, POND_ELIMIT, "block larger than %zu bytes", limit);
		pond_buf_put(out, in, len);
		return pond_buf_ok(out) ? 0 : nomem(err);
	case POND_AVRO_CODEC_DEFLATE:
		return inflate_block(in, len, out, limit, err);
	case POND_AVRO_CODEC_SNAPPY:
		return unsnappy_block(in, len, out, limit, err);
	case POND_AVRO_CODEC_ZSTANDARD:
		return unzstd_block(in, len, out, limit, err);
	}
	return pond_error_set(err, POND_EINVAL, "unknown avro codec %d", (int)codec);
}

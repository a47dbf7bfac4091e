/*
 * Hashes: MurmurHash3 x86 32-bit (Iceberg spec, Appendix B: bucket
 * transform) and FNV-1a 64 for pond's own hash tables.
 */
#include "pond/util.h"

#include <string.h>

static uint32_t rotl32(uint32_t x, int r)
{
	return (x << r) | (x >> (32 - r));
}

uint32_t pond_murmur3_32(const void *data, size_t len, uint32_t seed)
{
	const uint8_t *p = data;
	const uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
	uint32_t h = seed;
	size_t nblocks = len / 4;
	for (size_t i = 0; i < nblocks; i++) {
		uint32_t k;
		memcpy(&k, p + i * 4, 4);  /* little-endian hosts only (x86, arm64) */
		k *= c1;
		k = rotl32(k, 15);
		k *= c2;
		h ^= k;
		h = rotl32(h, 13);
		h = h * 5 + 0xe6546b64;
	}
	const uint8_t *tail = p + nblocks * 4;
	uint32_t k = 0;
	switch (len & 3) {
	case 3: k ^= (uint32_t)tail[2] << 16; /* fall through */
	case 2: k ^= (uint32_t)tail[1] << 8;  /* fall through */
	case 1:
		k ^= tail[0];
		k *= c1;
		k = rotl32(k, 15);
		k *= c2;
		h ^= k;
	}
	h ^= (uint32_t)len;
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

uint64_t pond_hash64(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

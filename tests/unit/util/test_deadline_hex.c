/*
 * Unit tests for the util helpers that replaced private copies: deadlines
 * for timed waits, sleeping, and hex decoding.
 */
#include "../test.h"

#include <time.h>

#include "pond/util.h"

static int64_t realtime_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

TEST(time_deadline_in_is_ms_from_now_and_normalised)
{
	int64_t before = realtime_ms();
	for (int64_t ms = 0; ms <= 2999; ms += 137) {
		struct timespec ts;
		pond_time_deadline_in(&ts, ms);
		int64_t at = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
		CHECK_MSG(at >= before + ms && at <= realtime_ms() + ms, "deadline %lld ms off for %lld",
		          (long long)(at - before), (long long)ms);
	}
}

TEST(time_deadline_in_a_negative_wait_is_now)
{
	int64_t before = realtime_ms();
	struct timespec ts;
	pond_time_deadline_in(&ts, -500);
	int64_t at = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	CHECK(at >= before && at <= realtime_ms());
}

TEST(time_sleep_ms_waits_at_least_that_long)
{
	int64_t t0 = pond_time_mono_ns();
	pond_time_sleep_ms(30);
	CHECK(pond_time_mono_ns() - t0 >= 30 * 1000000LL);
	t0 = pond_time_mono_ns();
	pond_time_sleep_ms(-5);
	pond_time_sleep_ms(0);
	CHECK(pond_time_mono_ns() - t0 < 20 * 1000000LL);
}

TEST(hex_byte_decodes_both_cases_and_rejects_non_digits)
{
	CHECK_INT(pond_hex_byte("00"), 0);
	CHECK_INT(pond_hex_byte("7f"), 0x7f);
	CHECK_INT(pond_hex_byte("A9"), 0xa9);
	CHECK_INT(pond_hex_byte("fF"), 0xff);
	CHECK_INT(pond_hex_byte("g0"), -1);
	CHECK_INT(pond_hex_byte("0g"), -1);
	CHECK_INT(pond_hex_byte("1"), -1); /* the NUL is not a digit */
	CHECK_INT(pond_hex_byte(""), -1);  /* s[1] is not read */
	CHECK_INT(pond_hex_byte("-1"), -1);
}

TEST(hex_byte_is_what_uuid_and_url_decoding_use)
{
	uint8_t u[16];
	CHECK_INT(pond_uuid_parse(u, "0123ABCD-ef01-4567-89ab-CDEF01234567"), 0);
	CHECK_INT(u[0], 0x01);
	CHECK_INT(u[3], 0xcd);
	CHECK_INT(u[15], 0x67);
	CHECK_INT(pond_uuid_parse(u, "0123ABCD-ef01-4567-89ab-CDEF0123456x"), POND_EINVAL);
}

/* RFC 4648 section 10 test vectors, both ways, and text that is not base64. */
TEST(base64_matches_rfc4648_vectors_and_rejects_bad_text)
{
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	for (size_t i = 0; i < 7; i++) {
		pond_buf b = POND_BUF_INIT;
		pond_base64_encode(&b, plain[i], strlen(plain[i]));
		CHECK_STR(pond_buf_cstr(&b), coded[i]);
		pond_buf_dispose(&b);
		unsigned char *out;
		size_t len;
		pond_error err = POND_ERROR_INIT;
		CHECK_INT(pond_base64_decode(&out, &len, coded[i], &err), 0);
		CHECK(len == strlen(plain[i]) && memcmp(out, plain[i], len) == 0);
		pond_free(out);
	}
	unsigned char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	pond_buf b = POND_BUF_INIT;
	pond_base64_encode(&b, all, sizeof(all));
	unsigned char *back;
	size_t n;
	pond_error err = POND_ERROR_INIT;
	CHECK_INT(pond_base64_decode(&back, &n, pond_buf_cstr(&b), &err), 0);
	CHECK(n == 256 && memcmp(back, all, 256) == 0);
	pond_free(back);
	pond_buf_dispose(&b);
	static const char *const bad[] = {"Zg=", "Z===", "Zm9v!A==", "Zg==Zg==", "Zm=v"};
	for (size_t i = 0; i < 5; i++) {
		CHECK_MSG(pond_base64_decode(&back, &n, bad[i], &err) == POND_ECORRUPT, "accepted %s", bad[i]);
		pond_error_clear(&err);
	}
}

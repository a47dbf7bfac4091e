/*
 * SigV4 against published facts: the request inputs and expected
 * canonical requests, strings to sign and signatures of AWS's SigV4 test
 * suite (the 2015-08-30 vectors, credential AKIDEXAMPLE, service
 * "service", us-east-1), and the worked examples of AWS's S3
 * documentation ("Signature Calculations for the Authorization Header"
 * and the presigned URL example, 2013-05-24, AKIAIOSFODNN7EXAMPLE).
 */
#include "../test.h"

#include <string.h>

#include "pond/io.h"

#define SUITE_ID "AKIDEXAMPLE"
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_TIME 1440938160 /* 2015-08-30T12:36:00Z */
#define S3_ID "AKIAIOSFODNN7EXAMPLE"
#define S3_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define S3_TIME 1369353600 /* 2013-05-24T00:00:00Z */
#define EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct {
	const char *name;
	const char *method;
	const char *path;
	pond_sigv4_pair query[4];
	size_t nquery;
	pond_sigv4_pair headers[5];
	size_t nheaders;
	const char *body;        /* hashed; NULL: empty */
	bool sign_body;          /* x-amz-content-sha256 signed */
	const char *token;
	const char *canonical;   /* NULL: not checked */
	const char *string_to_sign;
	const char *signature;
} suite_case;

#define HOST {"Host", "example.amazonaws.com"}
#define STS_PREFIX "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"

static const char *const sts_token =
	"AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8Y"
	"UuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8Y"
	"QcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICC"
	"R/oLxBA==";

static const suite_case suite[] = {
	{"get-vanilla", "GET", "/", {{0}}, 0, {HOST}, 1, NULL, false, NULL,
	 "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY,
	 STS_PREFIX "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
	 "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
	{"get-vanilla-query-order-key-case", "GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}}, 2, {HOST}, 1,
	 NULL, false, NULL,
	 "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
	 "host;x-amz-date\n" EMPTY,
	 STS_PREFIX "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
	 "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
	{"get-vanilla-query-order-encoded", "GET", "/",
	 {{"Param-3", "Value3"}, {"Param", "Value2"}, {"\xe1\x88\xb4", "Value1"}}, 3, {HOST}, 1, NULL, false, NULL,
	 "GET\n/\n%E1%88%B4=Value1&Param=Value2&Param-3=Value3\nhost:example.amazonaws.com\n"
	 "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY,
	 NULL, "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac"},
	{"get-vanilla-query-unreserved", "GET", "/",
	 {{"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
	   "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}},
	 1, {HOST}, 1, NULL, false, NULL, NULL,
	 STS_PREFIX "c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
	 "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
	{"get-vanilla-utf8-query", "GET", "/", {{"\xe1\x88\xb4", "bar"}}, 1, {HOST}, 1, NULL, false, NULL, NULL, NULL,
	 "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
	{"get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", {{0}}, 0,
	 {HOST}, 1, NULL, false, NULL, NULL, NULL, "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
	{"get-utf8", "GET", "/\xe1\x88\xb4", {{0}}, 0, {HOST}, 1, NULL, false, NULL,
	 "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY,
	 NULL, "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
	{"get-space-unnormalized", "GET", "/example space/", {{0}}, 0, {HOST}, 1, NULL, false, NULL, NULL, NULL,
	 "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
	{"get-header-key-duplicate", "GET", "/", {{0}}, 0,
	 {HOST, {"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}, 4, NULL, false, NULL,
	 "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\n"
	 "host;my-header1;x-amz-date\n" EMPTY,
	 NULL, "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
	{"get-header-value-multiline", "GET", "/", {{0}}, 0, {HOST, {"My-Header1", "value1\n  value2\n     value3"}}, 2,
	 NULL, false, NULL, NULL, NULL, "cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd"},
	{"get-header-value-order", "GET", "/", {{0}}, 0,
	 {HOST, {"My-Header1", "value4"}, {"My-Header1", "value1"}, {"My-Header1", "value3"}, {"My-Header1", "value2"}},
	 5, NULL, false, NULL, NULL, NULL, "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
	{"get-header-value-trim", "GET", "/", {{0}}, 0, {HOST, {"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
	 3, NULL, false, NULL,
	 "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\n"
	 "host;my-header1;my-header2;x-amz-date\n" EMPTY,
	 STS_PREFIX "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
	 "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
	{"get-vanilla-with-session-token", "GET", "/", {{0}}, 0, {HOST}, 1, NULL, false,
	 "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267", NULL, NULL,
	 "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"},
	{"post-vanilla", "POST", "/", {{0}}, 0, {HOST}, 1, NULL, false, NULL, NULL,
	 STS_PREFIX "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
	 "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
	{"post-vanilla-query", "POST", "/", {{"Param1", "value1"}}, 1, {HOST}, 1, NULL, false, NULL, NULL, NULL,
	 "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
	{"post-header-key-sort", "POST", "/", {{0}}, 0, {HOST, {"My-Header1", "value1"}}, 2, NULL, false, NULL, NULL,
	 NULL, "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
	{"post-header-value-case", "POST", "/", {{0}}, 0, {HOST, {"My-Header1", "VALUE1"}}, 2, NULL, false, NULL, NULL,
	 NULL, "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
	{"post-x-www-form-urlencoded", "POST", "/", {{0}}, 0,
	 {{"Content-Type", "application/x-www-form-urlencoded"}, HOST, {"Content-Length", "13"}}, 3, "Param1=value1",
	 true, NULL,
	 "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
	 "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n"
	 "x-amz-date:20150830T123600Z\n\ncontent-length;content-type;host;x-amz-content-sha256;x-amz-date\n"
	 "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
	 STS_PREFIX "b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb",
	 "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"},
	{"post-x-www-form-urlencoded-parameters", "POST", "/", {{0}}, 0,
	 {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}, HOST, {"Content-Length", "13"}}, 3,
	 "Param1=value1", true, NULL, NULL, NULL, "328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422"},
	{"post-sts-header-before", "POST", "/", {{0}}, 0, {HOST}, 1, NULL, false, NULL, NULL,
	 STS_PREFIX "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
	 "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
};

TEST(sigv4_matches_the_aws_test_suite_vectors)
{
	for (size_t i = 0; i < sizeof suite / sizeof suite[0]; i++) {
		const suite_case *t = &suite[i];
		char hash[65];
		if (t->body)
			pond_sha256_hex(hash, t->body, strlen(t->body));
		pond_sigv4_request req = {t->method, t->path, t->query, t->nquery, t->headers, t->nheaders,
		                          t->body ? hash : NULL};
		const char *token = t->token;
		if (strcmp(t->name, "post-sts-header-before") == 0)
			token = sts_token;
		pond_sigv4_key key = {SUITE_ID, SUITE_SECRET, token, "us-east-1", "service", t->sign_body};
		pond_sigv4_signature sig;
		pond_error err = POND_ERROR_INIT;
		int rc = pond_sigv4_sign(&sig, &req, &key, SUITE_TIME, &err);
		CHECK_MSG(rc == 0, "%s: %s", t->name, err.msg);
		CHECK_STR(sig.amz_date, "20150830T123600Z");
		if (t->canonical)
			CHECK_MSG(strcmp(pond_buf_cstr(&sig.canonical_request), t->canonical) == 0,
			          "%s: canonical request\n%s", t->name, pond_buf_cstr(&sig.canonical_request));
		if (t->string_to_sign)
			CHECK_MSG(strcmp(pond_buf_cstr(&sig.string_to_sign), t->string_to_sign) == 0,
			          "%s: string to sign\n%s", t->name, pond_buf_cstr(&sig.string_to_sign));
		CHECK_MSG(strcmp(sig.signature, t->signature) == 0, "%s: signature %s", t->name, sig.signature);
		pond_sigv4_signature_dispose(&sig);
	}
}

TEST(sigv4_authorization_header_names_credential_scope_and_signed_headers)
{
	pond_sigv4_pair headers[] = {HOST};
	pond_sigv4_request req = {"GET", "/", NULL, 0, headers, 1, NULL};
	pond_sigv4_key key = {SUITE_ID, SUITE_SECRET, NULL, "us-east-1", "service", false};
	pond_sigv4_signature sig;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_sigv4_sign(&sig, &req, &key, SUITE_TIME, &err), &err);
	CHECK_STR(pond_buf_cstr(&sig.authorization),
	          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	          "SignedHeaders=host;x-amz-date, "
	          "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	pond_sigv4_signature_dispose(&sig);
}

/* The suite's query-signed (presigned) forms of the same requests. */
TEST(sigv4_presign_matches_the_aws_test_suite_query_vectors)
{
	pond_sigv4_pair headers[] = {HOST};
	pond_sigv4_pair query[] = {{"Param2", "value2"}, {"Param1", "value1"}};
	struct {
		const pond_sigv4_pair *query;
		size_t nquery;
		const char *signature;
	} cases[] = {
		{NULL, 0, "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d"},
		{query, 2, "86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5"},
	};
	for (size_t i = 0; i < 2; i++) {
		pond_sigv4_request req = {"GET", "/", cases[i].query, cases[i].nquery, headers, 1, EMPTY};
		pond_sigv4_key key = {SUITE_ID, SUITE_SECRET, NULL, "us-east-1", "service", false};
		pond_sigv4_signature sig;
		pond_error err = POND_ERROR_INIT;
		CHECK_OK(pond_sigv4_presign(&sig, &req, &key, SUITE_TIME, 3600, &err), &err);
		CHECK_STR(sig.signature, cases[i].signature);
		CHECK(strstr(pond_buf_cstr(&sig.query), "X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice"
		                                         "%2Faws4_request") != NULL);
		pond_sigv4_signature_dispose(&sig);
	}
}

/* ---- the S3 documentation's examples ---- */

static void s3_sign(pond_sigv4_signature *sig, const char *method, const char *path, const pond_sigv4_pair *query,
                    size_t nquery, const pond_sigv4_pair *headers, size_t nheaders, const char *payload_hash)
{
	pond_sigv4_request req = {method, path, query, nquery, headers, nheaders, payload_hash};
	pond_sigv4_key key = {S3_ID, S3_SECRET, NULL, "us-east-1", "s3", true};
	pond_error err = POND_ERROR_INIT;
	if (pond_sigv4_sign(sig, &req, &key, S3_TIME, &err) != 0)
		pond_test_fail(__FILE__, __LINE__, "%s", err.msg);
}

TEST(sigv4_matches_the_s3_documentation_get_object_example)
{
	pond_sigv4_pair headers[] = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}};
	pond_sigv4_signature sig;
	s3_sign(&sig, "GET", "/test.txt", NULL, 0, headers, 2, EMPTY);
	CHECK_STR(pond_buf_cstr(&sig.canonical_request),
	          "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
	          "x-amz-content-sha256:" EMPTY "\nx-amz-date:20130524T000000Z\n\n"
	          "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY);
	CHECK_STR(pond_buf_cstr(&sig.string_to_sign),
	          "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
	          "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
	CHECK_STR(sig.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	pond_sigv4_signature_dispose(&sig);
}

TEST(sigv4_matches_the_s3_documentation_put_object_example)
{
	const char *body = "Welcome to Amazon S3.";
	char hash[65];
	pond_sha256_hex(hash, body, strlen(body));
	CHECK_STR(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
	pond_sigv4_pair headers[] = {{"Host", "examplebucket.s3.amazonaws.com"},
	                             {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
	                             {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
	pond_sigv4_signature sig;
	/* The key is "test$file.text": '$' is encoded in the canonical URI. */
	s3_sign(&sig, "PUT", "/test$file.text", NULL, 0, headers, 3, hash);
	CHECK(strncmp(pond_buf_cstr(&sig.canonical_request), "PUT\n/test%24file.text\n", 22) == 0);
	CHECK_STR(sig.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
	CHECK(strstr(pond_buf_cstr(&sig.authorization),
	             "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class") != NULL);
	pond_sigv4_signature_dispose(&sig);
}

TEST(sigv4_matches_the_s3_documentation_bucket_examples)
{
	pond_sigv4_pair headers[] = {{"Host", "examplebucket.s3.amazonaws.com"}};
	pond_sigv4_pair lifecycle[] = {{"lifecycle", ""}};
	pond_sigv4_pair list[] = {{"prefix", "J"}, {"max-keys", "2"}};
	pond_sigv4_signature sig;
	s3_sign(&sig, "GET", "/", lifecycle, 1, headers, 1, EMPTY);
	CHECK_STR(sig.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
	pond_sigv4_signature_dispose(&sig);
	s3_sign(&sig, "GET", "/", list, 2, headers, 1, EMPTY);
	CHECK(strstr(pond_buf_cstr(&sig.canonical_request), "\nmax-keys=2&prefix=J\n") != NULL);
	CHECK_STR(sig.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
	pond_sigv4_signature_dispose(&sig);
}

/* The presigned URL example: UNSIGNED-PAYLOAD, valid for 86400 s. */
TEST(sigv4_presign_matches_the_s3_documentation_unsigned_payload_example)
{
	pond_sigv4_pair headers[] = {{"Host", "examplebucket.s3.amazonaws.com"}};
	pond_sigv4_request req = {"GET", "/test.txt", NULL, 0, headers, 1, NULL};
	pond_sigv4_key key = {S3_ID, S3_SECRET, NULL, "us-east-1", "s3", false};
	pond_sigv4_signature sig;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_sigv4_presign(&sig, &req, &key, S3_TIME, 86400, &err), &err);
	CHECK(pond_str_ends_with(pond_buf_cstr(&sig.canonical_request), "\nhost\nUNSIGNED-PAYLOAD"));
	CHECK_STR(sig.signature, "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
	CHECK(strstr(pond_buf_cstr(&sig.query), "X-Amz-Expires=86400") != NULL);
	pond_sigv4_signature_dispose(&sig);
}

TEST(sigv4_session_token_is_signed_and_reported)
{
	pond_sigv4_pair headers[] = {{"Host", "b.s3.amazonaws.com"}};
	pond_sigv4_request req = {"GET", "/k", NULL, 0, headers, 1, "UNSIGNED-PAYLOAD"};
	pond_sigv4_key key = {S3_ID, S3_SECRET, "TOKEN/+=", "eu-west-1", "s3", true};
	pond_sigv4_signature sig;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_sigv4_sign(&sig, &req, &key, S3_TIME, &err), &err);
	CHECK(strstr(pond_buf_cstr(&sig.canonical_request),
	             "x-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:20130524T000000Z\n"
	             "x-amz-security-token:TOKEN/+=\n") != NULL);
	CHECK(strstr(pond_buf_cstr(&sig.authorization),
	             "/20130524/eu-west-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
	             "x-amz-security-token,") != NULL);
	CHECK_STR(sig.payload_hash, "UNSIGNED-PAYLOAD");
	pond_sigv4_signature_dispose(&sig);
}

TEST(sigv4_uri_encoding_keeps_only_unreserved_characters)
{
	pond_buf b = POND_BUF_INIT;
	pond_sigv4_uri_encode(&b, "a b/c+d=e~f_g.h-i%j*\xc3\xa9", true);
	CHECK_STR(pond_buf_cstr(&b), "a%20b/c%2Bd%3De~f_g.h-i%25j%2A%C3%A9");
	pond_buf_clear(&b);
	pond_sigv4_uri_encode(&b, "a/b", false);
	CHECK_STR(pond_buf_cstr(&b), "a%2Fb");
	pond_buf_dispose(&b);
}

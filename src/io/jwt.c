/*
 * JSON Web Tokens signed with RS256 (RFC 7515 and 7518: RSASSA-PKCS1-v1_5
 * over SHA-256), as OAuth 2.0 service accounts sign the assertion they
 * exchange for an access token (RFC 7523). The key is a PEM private key
 * (PKCS#8 "BEGIN PRIVATE KEY", or PKCS#1 "BEGIN RSA PRIVATE KEY"); the
 * signature is libcrypto's EVP_DigestSign.
 */
#include "pond/io.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

/* libcrypto's last error as text, its queue cleared. */
static const char *crypto_error(char *buf, size_t size)
{
	unsigned long e = ERR_get_error();
	if (!e)
		snprintf(buf, size, "not a PEM private key");
	else
		ERR_error_string_n(e, buf, size);
	ERR_clear_error();
	return buf;
}

int pond_jwt_sign_rs256(char **out, const char *header_json, const char *claims_json, const char *pem_key,
                        pond_error *err)
{
	*out = NULL;
	char why[256];
	BIO *bio = BIO_new_mem_buf(pem_key, -1);
	EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (!pkey)
		return pond_error_set(err, POND_EINVAL, "cannot read the private key: %s",
		                      crypto_error(why, sizeof(why)));
	int rc = 0;
	if (EVP_PKEY_base_id(pkey) != EVP_PKEY_RSA) {
		EVP_PKEY_free(pkey);
		return pond_error_set(err, POND_EINVAL, "the private key is not an RSA key (RS256 needs one)");
	}
	pond_buf jwt = POND_BUF_INIT;
	pond_base64url_encode(&jwt, header_json, strlen(header_json));
	pond_buf_putc(&jwt, '.');
	pond_base64url_encode(&jwt, claims_json, strlen(claims_json));
	unsigned char *sig = NULL;
	size_t siglen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!pond_buf_ok(&jwt) || !ctx) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		goto done;
	}
	/* RS256: PKCS#1 v1.5 padding, libcrypto's default for RSA keys. */
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)jwt.ptr, jwt.len) != 1 ||
	    !(sig = pond_malloc(siglen)) ||
	    EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)jwt.ptr, jwt.len) != 1) {
		rc = pond_error_set(err, POND_EINVAL, "could not sign with the private key: %s",
		                    crypto_error(why, sizeof(why)));
		goto done;
	}
	pond_buf_putc(&jwt, '.');
	pond_base64url_encode(&jwt, sig, siglen);
	if (!pond_buf_ok(&jwt))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	else
		*out = pond_buf_detach(&jwt);
done:
	pond_free(sig);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	pond_buf_dispose(&jwt);
	return rc;
}

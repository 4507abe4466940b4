/*
 * Argon2id through Debian's libargon2 (the only file with <argon2.h>) and the
 * NIST SP 800-63B rules (model/password.h). Pure: no clock, no store; the
 * blocklist arrives loaded. Hash bytes are compared only through
 * secret_equal, and every password copy is wiped.
 */
#include "model/password.h"

#include "base/blocklist.h"
#include "base/secret.h"
#include "base/unicode.h"
#include "model/tenant.h"

#include <argon2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALT_LEN 16
#define HASH_LEN 32
#define PHC_FIELD_MAX 64 /* salt and hash lengths we accept from a stored string */
#define PHC_MAX 256

void
password_params_of(const struct tg_tenant *t, struct tg_password_params *out)
{
	out->memory_kib = t && t->password_memory_kib ? (uint32_t)t->password_memory_kib :
		TG_PASSWORD_MEMORY_KIB;
	out->iterations = t && t->password_iterations ? (uint32_t)t->password_iterations :
		TG_PASSWORD_ITERATIONS;
	out->parallelism = TG_PASSWORD_PARALLELISM;
}

enum tg_err
password_check(const char *p, size_t n, const struct tg_blocklist *blocklist, struct tg_why *why)
{
	size_t chars;

	if (n > TG_PASSWORD_MAX_BYTES)
		return tg_fail(why, TG_ERR_INVALID, "the password is longer than %d bytes",
			       TG_PASSWORD_MAX_BYTES);
	if (unicode_count(p, n, &chars) != TG_OK)
		return tg_fail(why, TG_ERR_INVALID, "the password is not UTF-8 text (or holds a NUL)");
	if (chars < TG_PASSWORD_MIN_CHARS)
		return tg_fail(why, TG_ERR_INVALID, "the password has %zu characters; at least %d "
			       "are needed", chars, TG_PASSWORD_MIN_CHARS);
	if (blocklist_has(blocklist, p, n))
		return tg_fail(why, TG_ERR_INVALID, "the password is on the password blocklist "
			       "(a common or leaked password): choose another");
	return TG_OK;
}

/* The raw hash of p's NFKC form; TG_ERR_INVALID when p is not UTF-8. */
static enum tg_err
hash_raw(const char *p, size_t n, const struct tg_password_params *params,
	 const unsigned char *salt, size_t salt_len, unsigned char *out, size_t out_len)
{
	char *nfc = NULL;
	enum tg_err rc = unicode_nfkc(p, n, &nfc);

	if (rc != TG_OK)
		return rc;
	if (argon2id_hash_raw(params->iterations, params->memory_kib, params->parallelism, nfc,
			      strlen(nfc), salt, salt_len, out, out_len) != ARGON2_OK)
		rc = TG_ERR_CRYPTO;
	secret_free_str(nfc);
	return rc;
}

enum tg_err
password_hash(const char *p, size_t n, const struct tg_password_params *params, char **phc)
{
	unsigned char salt[SALT_LEN];
	char *nfc = NULL, *enc = NULL;
	size_t enc_len;
	enum tg_err rc = secret_random(salt, sizeof(salt));

	if (rc == TG_OK)
		rc = unicode_nfkc(p, n, &nfc);
	if (rc != TG_OK)
		goto out;
	enc_len = argon2_encodedlen(params->iterations, params->memory_kib, params->parallelism,
				    SALT_LEN, HASH_LEN, Argon2_id);
	enc = tg_xmalloc(enc_len);
	if (argon2id_hash_encoded(params->iterations, params->memory_kib, params->parallelism, nfc,
				  strlen(nfc), salt, sizeof(salt), HASH_LEN, enc, enc_len) !=
	    ARGON2_OK) {
		rc = TG_ERR_CRYPTO;
		goto out;
	}
	*phc = enc; /* ownership moves to the caller */
	enc = NULL;
out:
	free(enc);
	secret_free_str(nfc);
	return rc;
}

/* RFC 4648 base64 without padding, as PHC strings carry it; false on anything else. */
static bool
b64_decode(const char *s, size_t n, unsigned char *out, size_t cap, size_t *len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	size_t bits = 0, o = 0;

	if (n % 4 == 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *c = s[i] ? strchr(alphabet, s[i]) : NULL;

		if (!c)
			return false;
		acc = acc << 6 | (uint32_t)(c - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return false;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* Canonical only: the bits left over must be zero. */
	if (acc & ((1u << bits) - 1))
		return false;
	*len = o;
	return true;
}

struct phc {
	struct tg_password_params params;
	unsigned char salt[PHC_FIELD_MAX], hash[PHC_FIELD_MAX];
	size_t salt_len, hash_len;
};

/* Our own parse, so the stored bytes are compared by secret_equal rather than libargon2. */
static enum tg_err
phc_parse(const char *s, struct phc *out)
{
	unsigned m, t, p;
	int head = 0;
	char canon[80];
	const char *salt, *dollar;

	if (strlen(s) > PHC_MAX ||
	    sscanf(s, "$argon2id$v=19$m=%u,t=%u,p=%u$%n", &m, &t, &p, &head) != 3 || head == 0)
		return TG_ERR_INVALID;
	/* sscanf takes "+1" and " 1": only the form password_hash writes is ours. */
	snprintf(canon, sizeof(canon), "$argon2id$v=19$m=%u,t=%u,p=%u$", m, t, p);
	if (strlen(canon) != (size_t)head || strncmp(canon, s, (size_t)head) != 0)
		return TG_ERR_INVALID;
	if (m < 8 * p || m > TG_PASSWORD_MEMORY_MAX_KIB || t < 1 ||
	    t > TG_PASSWORD_ITERATIONS_MAX || p < 1 || p > 16)
		return TG_ERR_INVALID;
	salt = s + head;
	dollar = strchr(salt, '$');
	if (!dollar ||
	    !b64_decode(salt, (size_t)(dollar - salt), out->salt, PHC_FIELD_MAX, &out->salt_len) ||
	    !b64_decode(dollar + 1, strlen(dollar + 1), out->hash, PHC_FIELD_MAX, &out->hash_len) ||
	    out->salt_len < 8 || out->hash_len < 16)
		return TG_ERR_INVALID;
	out->params = (struct tg_password_params){ m, t, p };
	return TG_OK;
}

enum tg_err
password_verify(const char *p, size_t n, const char *phc,
		const struct tg_password_params *current, bool *is_match, bool *needs_rehash)
{
	unsigned char raw[PHC_FIELD_MAX];
	struct phc h;
	enum tg_err rc = phc_parse(phc, &h);

	if (rc == TG_OK)
		rc = hash_raw(p, n, &h.params, h.salt, h.salt_len, raw, h.hash_len);
	if (rc == TG_OK) {
		*is_match = secret_equal(raw, h.hash_len, h.hash, h.hash_len);
		*needs_rehash = h.params.memory_kib < current->memory_kib ||
				h.params.iterations < current->iterations;
	}
	secret_wipe(raw, sizeof(raw));
	secret_wipe(&h, sizeof(h));
	return rc;
}

enum tg_err
password_verify_dummy(const char *p, size_t n, const struct tg_password_params *params)
{
	/* 16 zero bytes of salt and 32 of hash: the shape password_hash writes, at params. */
	char phc[PHC_MAX];
	bool is_match = false, needs_rehash = false;

	snprintf(phc, sizeof(phc), "$argon2id$v=19$m=%u,t=%u,p=%u$%s$%s", params->memory_kib,
		 params->iterations, params->parallelism, "AAAAAAAAAAAAAAAAAAAAAA",
		 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	return password_verify(p, n, phc, params, &is_match, &needs_rehash);
}

/*
 * The second factor's time-based codes: HOTP (RFC 4226) under TOTP (RFC 6238) with HMAC-SHA-1,
 * 6 digits and 30 s steps, as authenticator apps expect; new secrets, verification with its
 * single-use rule, and the otpauth URI an app enrols from. Pure: no clock, no store, no log.
 */
#ifndef TG_TOTP_H
#define TG_TOTP_H

#include "base/secret.h"

#define TOTP_DIGITS 6      /* what apps show, and the only length totp_verify takes */
#define TOTP_DIGITS_MAX 8  /* RFC 4226 5.3 allows 6 to 8 (RFC 6238's vectors use 8) */
#define TOTP_PERIOD 30     /* seconds per time step (RFC 6238 5.2) */
#define TOTP_SECRET_LEN 20 /* RFC 4226 R6 recommends 160 bits */
#define TOTP_WINDOW 1      /* steps accepted either side of now: RFC 6238 5.2's at most one */
#define TOTP_LABEL_MAX 256 /* bytes of an issuer or account name in a URI */

/* A fresh secret of TOTP_SECRET_LEN bytes from secret.c's CSPRNG into out, which must be empty. */
enum tg_err totp_secret_new(struct tg_secret *out);

/*
 * RFC 4226 5.3: the HOTP value of counter under key, digits (6 to 8) decimal digits with leading
 * zeros and a NUL in out. TG_ERR_INVALID for another digit count or a key under 128 bits.
 * The code is as secret as the key while it is valid: wipe out after use.
 */
enum tg_err totp_hotp(const struct tg_secret *key, uint64_t counter, unsigned digits,
		      char out[TOTP_DIGITS_MAX + 1]);

/* RFC 6238 4.2: the time step of now (seconds since the epoch, T0 = 0, X = 30); now >= 0. */
int64_t totp_step(int64_t now);

/* The TOTP value at now (>= 0) in digits digits: totp_hotp of totp_step(now). */
enum tg_err totp_code(const struct tg_secret *key, int64_t now, unsigned digits,
		      char out[TOTP_DIGITS_MAX + 1]);

/*
 * Checks a code a user typed against the steps of now and up to window (0 or TOTP_WINDOW) steps
 * either side, each compared in constant time and all of them always computed. TG_OK: *step is
 * the time step that matched (the latest, should two), which the caller records as the user's
 * last used step (see totp_is_replay) before it accepts the code. TG_ERR_REJECTED: no step
 * matched. TG_ERR_INVALID: code is not TOTP_DIGITS ASCII digits, now < 0 or a wider window.
 */
enum tg_err totp_verify(const struct tg_secret *secret, const char *code, int64_t now,
			unsigned window, int64_t *step);

/*
 * The single-use rule: a code that matched step is refused when step <= last_used, the step the
 * user's last accepted code matched (-1: none yet). That also refuses an older code of the
 * window once a newer one was used, so the window never reopens a step.
 */
bool totp_is_replay(int64_t step, int64_t last_used);

/*
 * Google's Key Uri Format: otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&
 * algorithm=SHA1&digits=6&period=30, ISSUER and ACCOUNT percent-encoded (RFC 3986: all but
 * unreserved bytes, a space as %20, UTF-8 bytes one by one). TG_ERR_INVALID, with the sentence
 * in why, for an empty name, one over TOTP_LABEL_MAX bytes, ill-formed UTF-8, a control
 * character, or a ':' (the format forbids one in either: apps split the label at the first
 * colon; pass the tenant's id as issuer when its title has one). *uri carries the secret:
 * release it with secret_free_str.
 */
enum tg_err totp_uri(const struct tg_secret *secret, const char *issuer, const char *account,
		     char **uri, struct tg_why *why);

#endif

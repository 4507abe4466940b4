/*
 * First-party login's interface for the login page (GET /v1/login): the
 * error codes POST /v1/login and /v1/login/otp put in the page's query
 * (?error=CODE), each meaning one fixed sentence the page shows, and the
 * return_to rule both sides apply. Never a place for a user's text.
 */
#ifndef TG_LOGIN_H
#define TG_LOGIN_H

#include "role/authz.h"

/* The email or password is wrong, or the user is disabled (never said which). */
#define LOGIN_ERROR_CREDENTIALS "credentials"
/* The code was wrong, already used, or neither a TOTP nor a recovery code. */
#define LOGIN_ERROR_OTP "otp"
/* Too many attempts: the throttle (branch throttle) asks the user to wait. */
#define LOGIN_ERROR_THROTTLED "throttled"
/* The session the second step belongs to has ended or its cookie expired: log in again. */
#define LOGIN_ERROR_EXPIRED "expired"

/*
 * Where a login may send the browser afterwards (no open redirect): a path
 * ("/" then no second "/" at once), or an absolute http(s) URL whose origin
 * t allows as authz_origin_allows does (t NULL or listing none: the
 * request's own). Never a byte below 0x21, DEL or a backslash, which
 * browsers read as "/". Anything else, "" and NULL included, is refused.
 */
bool login_return_to_ok(const struct tg_config *cfg, const struct tg_tenant *t,
			const struct authz_request *req, const char *return_to);

#endif

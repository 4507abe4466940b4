"""requests-oauthlib (Debian's python3-requests-oauthlib) against tokengate's /v1/token: refresh
with client_id, the reuse of the old refresh token once its successor was used (within the
reuse grace a repeat is answered again, not refused), another grant type. Prints one JSON line for
tests/integration/api_clients.test. OAUTHLIB_INSECURE_TRANSPORT: the test's lighttpd is plain HTTP."""
import json
import sys

from oauthlib.oauth2.rfc6749.errors import OAuth2Error
from requests_oauthlib import OAuth2Session

token_url, refresh_token = sys.argv[1:3]
out = {}
session = OAuth2Session("spa", token={"access_token": "-", "token_type": "Bearer",
                                      "refresh_token": refresh_token})
token = session.refresh_token(token_url, refresh_token=refresh_token, client_id="spa")
out["access_token"] = token["access_token"]
out["rotated"] = token.get("refresh_token") not in (None, refresh_token)
session.refresh_token(token_url, refresh_token=token["refresh_token"], client_id="spa")
for name, call in (
        ("reuse", lambda: session.refresh_token(token_url, refresh_token=refresh_token,
                                                client_id="spa")),
        ("grant", lambda: OAuth2Session("spa", redirect_uri="https://app.example/cb")
         .fetch_token(token_url, code="x", include_client_id=True))):
    try:
        call()
    except OAuth2Error as e:
        out[name] = {"error": e.error}
print(json.dumps(out))

// openid-client (npm, pinned in package.json) against tokengate's /v1/token, as a public client:
// refresh (it always sends client_id), the reuse of the old refresh token once its successor was
// used (within the reuse grace a repeat is answered again, not refused), another grant type.
// Prints one JSON line for tests/integration/api_clients.test.
import * as client from 'openid-client';

const [tokenUrl, refreshToken] = process.argv.slice(2);
const config = new client.Configuration(
	{ issuer: new URL(tokenUrl).origin, token_endpoint: tokenUrl }, 'spa', undefined,
	client.None());
client.allowInsecureRequests(config); // the test's lighttpd listens on plain HTTP, on loopback
const out = {};
const error = (e) => ({ error: e.error ?? e.name, status: e.status ?? null });

const t = await client.refreshTokenGrant(config, refreshToken);
out.access_token = t.access_token;
out.rotated = typeof t.refresh_token === 'string' && t.refresh_token !== refreshToken;
await client.refreshTokenGrant(config, t.refresh_token);
try {
	await client.refreshTokenGrant(config, refreshToken);
} catch (e) {
	out.reuse = error(e);
}
try {
	await client.genericGrantRequest(config, 'authorization_code',
		{ code: 'x', redirect_uri: 'https://app.example/cb' });
} catch (e) {
	out.grant = error(e);
}
console.log(JSON.stringify(out));

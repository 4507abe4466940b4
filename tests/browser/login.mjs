// The login page in a real browser, for tests/browser/login.test: Debian's headless Chromium
// driven by playwright-core (pinned in package.json). With JavaScript off, as the page must work
// without it, a user opens the protected page and is refused, opens the login page, signs in
// with a wrong password and reads the alert, signs in, types the TOTP code oathtool computes
// from the enrolled secret, lands on the protected page, logs out and is refused again.
// A second, JavaScript-enabled context only reads what the page is: labels, roles, computed
// styles (the tenant's stylesheet applied, a visible focus outline), escaping.
// Prints one line per check, "ok DESC" or "not ok DESC: WHY", and "# ..." notes; a PNG of each
// page goes to the screenshot directory.
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const [base, api, app, tenant, email, password, totpSecret, shots] = process.argv.slice(2);
const returnTo = new URL(app).pathname;
const loginUrl = `${api}/v1/login?tenant=${tenant}&return_to=${encodeURIComponent(returnTo)}`;
let failed = 0;
const problems = []; // what the browser complained of: CSP violations, failed loads, errors

function check(cond, desc, why = '') {
	if (cond) {
		console.log(`ok ${desc}`);
	} else {
		console.log(`not ok ${desc}${why ? `: ${why}` : ''}`);
		failed++;
	}
}

// The protected page's 401s are the point, and the site has no favicon: neither is a problem.
function isExpected(m) {
	const url = m.location().url || '';
	return /^Failed to load resource/.test(m.text()) &&
		(url.startsWith(app) || new URL(url, base).pathname === '/favicon.ico');
}

function watch(page) {
	page.on('console', (m) => {
		if ((m.type() === 'error' || m.type() === 'warning') && !isExpected(m))
			problems.push(`console ${m.type()}: ${m.text()} (${m.location().url})`);
	});
	page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
	page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
}

let n = 0;
async function shot(page, name) {
	const file = `${shots}/${String(++n).padStart(2, '0')}-${name}.png`;
	await page.screenshot({ path: file, fullPage: true });
	console.log(`# screenshot ${file}`);
}

async function statusOf(page, url) {
	const r = await page.goto(url);
	return r ? r.status() : 0;
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
try {
	await readPage(browser);
	await logIn(browser);
	check(problems.length === 0, 'the browser reported no CSP violation, failed load or error',
		problems.join(' | '));
} finally {
	await browser.close();
}
process.exit(failed ? 1 : 0);

// What the page is, read with JavaScript on (the page itself runs none).
async function readPage(b) {
	const ctx = await b.newContext();
	const page = await ctx.newPage();
	watch(page);

	check(await statusOf(page, loginUrl) === 200, 'GET /v1/login: 200');
	const h = await page.request.get(loginUrl);
	check((h.headers()['content-security-policy'] || '').startsWith("default-src 'none'"),
		'the page carries its Content-Security-Policy');
	check(await page.locator('html').getAttribute('lang') === 'en', 'html lang="en"');
	check(await page.getByLabel('Email').getAttribute('autocomplete') === 'username',
		'the field labelled Email: autocomplete=username');
	check(await page.getByLabel('Password').getAttribute('autocomplete') === 'current-password',
		'the field labelled Password: autocomplete=current-password');
	check(await page.getByRole('button', { name: 'Sign in' }).count() === 1,
		'a button named Sign in');
	const h1 = page.locator('h1');
	check(await h1.textContent() === 'Acme <members>',
		'the tenant\'s title shown as text, its markup escaped', await h1.textContent());
	check(await h1.evaluate((e) => getComputedStyle(e).color) === 'rgb(0, 100, 0)',
		'the tenant\'s stylesheet applied under the CSP (h1 colour)');
	check(await page.locator('body').evaluate((e) => getComputedStyle(e).backgroundColor) ===
		'rgb(244, 245, 247)', 'the gateway\'s stylesheet applied under the CSP (background)');
	await page.keyboard.press('Tab');
	const focused = page.locator(':focus');
	const outline = await focused.evaluate((e) => getComputedStyle(e).outlineStyle + ' ' +
		getComputedStyle(e).outlineWidth);
	check(outline === 'solid 3px', 'the focused field shows a 3px solid outline', outline);
	await shot(page, 'login-page');

	await page.goto(`${loginUrl}&error=credentials`);
	const alert = page.getByRole('alert');
	check(await alert.count() === 1 && /not right/.test(await alert.textContent()),
		'?error=credentials: its sentence in an element of role alert');
	await page.goto(`${loginUrl}&error=${encodeURIComponent('<img src=x>call 555-0100')}`);
	check(await page.locator('img').count() === 0 && !(await page.content()).includes('555-0100'),
		'an unknown ?error=: the request\'s text is not on the page');
	await shot(page, 'login-page-unknown-error');

	check(await statusOf(page, `${api}/v1/login/otp?tenant=${tenant}&return_to=` +
		encodeURIComponent(returnTo)) === 200, 'GET /v1/login/otp: 200');
	const code = page.getByLabel('Code');
	check(await code.getAttribute('inputmode') === 'numeric' &&
		await code.getAttribute('autocomplete') === 'one-time-code',
		'the field labelled Code: inputmode=numeric, autocomplete=one-time-code');
	await shot(page, 'otp-page');
	await ctx.close();
}

// The whole login as a person does it, with JavaScript off.
async function logIn(b) {
	const ctx = await b.newContext({ javaScriptEnabled: false });
	const page = await ctx.newPage();
	watch(page);

	check(await statusOf(page, app) === 401, 'the protected page refuses a browser without a session');
	await shot(page, 'protected-refused');

	await page.goto(loginUrl);
	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Password').fill(`${password}-wrong`);
	await Promise.all([page.waitForURL(/\/v1\/login\?/), page.getByRole('button').click()]);
	check(new URL(page.url()).searchParams.get('error') === 'credentials' &&
		/not right/.test(await page.getByRole('alert').textContent()),
		'a wrong password: back on the login page with its alert', page.url());
	await shot(page, 'login-wrong-password');

	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Password').fill(password);
	await Promise.all([page.waitForURL(/\/v1\/login\/otp/), page.getByRole('button').click()]);
	check(new URL(page.url()).searchParams.get('return_to') === returnTo,
		'the password accepted: on to the second step, the return address kept', page.url());
	await shot(page, 'otp-step');

	const totp = execFileSync('oathtool', ['--totp', '-b', totpSecret]).toString().trim();
	await page.getByLabel('Code').fill(totp);
	const landed = page.waitForURL(app);
	await page.getByRole('button').click();
	await landed;
	const body = await page.locator('body').textContent();
	check(page.url() === app, 'the code accepted: the browser follows the redirect to the page',
		page.url());
	check(/"TOKENGATE_SUB"/.test(body) && /"TOKENGATE_TENANT":"acme"/.test(body),
		'the protected page answers, with the user\'s variables', body.slice(0, 200));
	check(/"TOKENGATE_AMR":"pwd otp"/.test(body), 'the session has both factors: amr "pwd otp"',
		body.slice(0, 200));
	await shot(page, 'protected-page');

	const out = await ctx.request.post(`${api}/v1/logout`, { headers: { Origin: base } });
	check(out.status() === 204, 'POST /v1/logout with the browser\'s cookies: 204',
		`${out.status()} ${await out.text()}`);
	check(await statusOf(page, app) === 401, 'after logout the protected page refuses again');
	await shot(page, 'protected-after-logout');
	await ctx.close();
}

// Accounts in real Chromium: an admin lists users and creates one (the API's field messages next to the
// fields, a taken email refused); that user, signed in, makes an API key (shown once, copied), which
// works against the API and shows its last use, then revokes it; the users page is not theirs to open. A user sets
// the WebDAV folder their recordings are copied to (a real wsgidav server): a wrong password is refused next to the
// password, the right one kept and shown without it, a reload shows it again, removing it says so.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD, uniqueName, type TestProduct } from './support/product.ts';
import { startWebDavServer, type WebDavTestServer } from './support/webdav.ts';
import { PHONE, assertAccessibleControls, assertNoSidewaysScroll, launchChromium, openPage, screenshot, signIn, startWebProduct } from './support/browser.ts';

let product: TestProduct;
let browser: Browser;
let dav: WebDavTestServer;

before(async () => {
  [product, browser, dav] = await Promise.all([startWebProduct('webaccounts', { worker: false }), launchChromium(), startWebDavServer()]);
});

after(async () => {
  await browser?.close();
  await product?.stop();
  await dav?.stop();
});

test('an admin creates an account; its owner makes, uses and revokes an API key', { timeout: 120_000 }, async () => {
  const admin = await openPage(browser, product.url);
  await admin.page.goto('/');
  await signIn(admin.page, TEST_ADMIN_EMAIL, TEST_ADMIN_PASSWORD);
  await admin.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
  await admin.page.getByRole('heading', { name: 'Users' }).waitFor();
  const rows = admin.page.locator('table.users tbody tr');
  await rows.filter({ hasText: TEST_ADMIN_EMAIL }).waitFor();

  // The API's messages, next to the fields they are about.
  const form = admin.page.getByRole('region', { name: 'New account' });
  await form.getByLabel('Email').fill('not an email');
  await form.getByLabel('Password').fill('short');
  await form.getByRole('button', { name: 'Create account' }).click();
  const fieldError = (label: string) => form.locator('.field-invalid').filter({ has: admin.page.getByLabel(label, { exact: true }) }).locator('.field-error');
  await fieldError('Email').waitFor();
  assert.match(await fieldError('Email').innerText(), /email address/);
  await fieldError('Password').waitFor();
  await assertAccessibleControls(admin.page, 'users');
  await screenshot(admin.page, '40-users-field-errors');

  const email = `${uniqueName('grace')}@example.com`;
  const password = 'a long enough password 42';
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Name (optional)').fill('Grace Hopper');
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Create account' }).click();
  await form.getByRole('status').filter({ hasText: `Created the account ${email}` }).waitFor();
  await rows.filter({ hasText: email }).filter({ hasText: 'Grace Hopper' }).waitFor();
  await screenshot(admin.page, '41-users');

  // The same email again: refused, said next to the email.
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Create account' }).click();
  await fieldError('Email').filter({ hasText: 'already exists' }).waitFor();
  await admin.page.setViewportSize(PHONE);
  await assertNoSidewaysScroll(admin.page, 'users');
  await screenshot(admin.page, '42-users-phone');

  // The new user: no users page; an API key made, copied, used and revoked.
  const user = await openPage(browser, product.url);
  await user.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: product.url });
  await user.page.goto('/admin/users');
  await signIn(user.page, email, password);
  await user.page.getByRole('heading', { name: 'Not found' }).waitFor();
  assert.equal(await user.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).count(), 0);
  await user.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
  await user.page.getByRole('heading', { name: 'API keys' }).waitFor();
  await user.page.getByText('No API keys yet.').waitFor();
  await user.page.getByRole('button', { name: 'Create key' }).click();
  await user.page.locator('.field-invalid .field-error').filter({ hasText: 'is required' }).waitFor();
  await user.page.getByLabel('Key name').fill('nightly export');
  await user.page.getByRole('button', { name: 'Create key' }).click();
  const shown = user.page.locator('.copy-once code');
  await shown.waitFor();
  const key = await shown.innerText();
  assert.match(key, /^mr_/);
  await user.page.getByRole('button', { name: 'Copy the key' }).click();
  await user.page.getByRole('button', { name: 'Copied' }).waitFor();
  assert.equal(await user.page.evaluate(() => navigator.clipboard.readText()), key);
  await assertAccessibleControls(user.page, 'API keys');
  await screenshot(user.page, '43-api-key-made');

  const me = await product.as({ 'x-api-key': key })('GET', '/v1/auth/me');
  assert.equal(me.status, 200);
  assert.equal(me.body.user.email, email);
  await user.page.reload();
  const row = user.page.getByRole('row', { name: 'nightly export' });
  await row.waitFor();
  assert.doesNotMatch(await row.locator('td[data-label="Last used"]').innerText(), /never/, 'the key shows its last use');
  assert.equal(await user.page.locator('.copy-once').count(), 0, 'the key is not shown again');
  await row.getByRole('button', { name: 'Revoke the key nightly export' }).click();
  await row.getByText(/^Revoked/).waitFor();
  assert.equal((await product.as({ 'x-api-key': key })('GET', '/v1/auth/me')).status, 401);
  await screenshot(user.page, '44-api-key-revoked');
  await user.page.setViewportSize(PHONE);
  await assertNoSidewaysScroll(user.page, 'API keys');
  await screenshot(user.page, '45-api-keys-phone');

  assert.deepEqual([...admin.errors, ...user.errors], [], 'no uncaught errors in the pages');
  await Promise.all([admin.context.close(), user.context.close()]);
});

test('a user sets, sees and removes the WebDAV folder their recordings are copied to', { timeout: 120_000 }, async () => {
  const email = `${uniqueName('ada')}@example.com`;
  const password = 'a long enough password 43';
  const ada = await product.createUser({ email, password });
  const asAda = product.as(ada.headers);
  const { page, context, errors } = await openPage(browser, product.url);
  await page.goto('/account');
  await signIn(page, email, password);
  const section = page.getByRole('region', { name: 'Copies to your own storage' });
  await section.getByText('No folder is set: recordings are not copied.').waitFor();

  // Refused by the server: said next to the password, nothing kept.
  await section.getByLabel('Folder URL').fill(dav.url);
  await section.getByLabel('User name').fill(dav.username);
  await section.getByLabel('Password', { exact: true }).fill('not the password');
  await section.getByRole('button', { name: 'Keep this folder' }).click();
  const passwordError = section.locator('.field-invalid').filter({ has: page.getByLabel('Password', { exact: true }) }).locator('.field-error');
  await passwordError.waitFor();
  assert.match(await passwordError.innerText(), /refused these credentials \(401\)/);
  assert.equal((await asAda('GET', '/v1/me/webdav')).status, 404);
  await assertAccessibleControls(page, 'account with a refused folder');
  await screenshot(page, '46-webdav-refused');

  // The right password: kept, shown without it, and still there after a reload.
  await section.getByLabel('Password', { exact: true }).fill(dav.password);
  await section.getByRole('button', { name: 'Keep this folder' }).click();
  await section.getByRole('status').filter({ hasText: 'The folder answered and is kept' }).waitFor();
  await section.getByText(`Copies go to ${dav.url} as ${dav.username}`).waitFor();
  assert.equal(await section.getByLabel(/^Password/).inputValue(), '', 'the password is not kept in the form');
  await page.reload();
  await section.getByText(`Copies go to ${dav.url} as ${dav.username}`).waitFor();
  assert.equal(await section.getByLabel('Folder URL').inputValue(), dav.url);
  assert.doesNotMatch(await page.content(), new RegExp(dav.password), 'the password is never sent back to the page');
  await screenshot(page, '47-webdav-kept');

  await section.getByRole('button', { name: 'Stop copying' }).click();
  await section.getByRole('status').filter({ hasText: 'Removed: no more copies' }).waitFor();
  await section.getByText('No folder is set: recordings are not copied.').waitFor();
  assert.equal((await asAda('GET', '/v1/me/webdav')).status, 404);
  assert.deepEqual(errors, [], 'no uncaught errors in the page');
  await context.close();
});

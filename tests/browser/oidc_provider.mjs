// A real OpenID Connect provider for the single sign-on browser tests: the certified `oidc-provider` package from npm
// (package.json devDependencies), with its development interaction pages (any password; the login names the
// account). Started by the `oidc_provider` fixture (tests/browser/test_single_sign_on.py), killed after the test.
//
// Input (environment):
//   OIDC_TEST_REDIRECT_URI  the relying party's callback (okrplan's live server)
//   OIDC_TEST_CLIENT_ID / OIDC_TEST_CLIENT_SECRET
//   OIDC_TEST_ACCOUNTS      JSON: {"<login>": {"email": ..., "email_verified": true|false, "given_name": ...}}
// Output: one line "ready <issuer>" on stdout once it listens (on a free port of 127.0.0.1 that the system picks).
import http from 'node:http';

import Provider from 'oidc-provider';

const accounts = JSON.parse(process.env.OIDC_TEST_ACCOUNTS || '{}');

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: process.env.OIDC_TEST_CLIENT_ID,
        client_secret: process.env.OIDC_TEST_CLIENT_SECRET,
        redirect_uris: [process.env.OIDC_TEST_REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['given_name', 'family_name', 'name', 'locale'],
    },
    cookies: { keys: ['okrplan-tests-only-cookie-key'] },
    async findAccount(ctx, id) {
      const claims = accounts[id];
      if (!claims) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...claims }; } };
    },
  });
  // The development pages: plain HTTP on 127.0.0.1 is what a test has.
  provider.proxy = false;
  server.on('request', provider.callback());
  process.stdout.write(`ready ${issuer}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}

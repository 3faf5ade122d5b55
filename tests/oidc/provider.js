// A real OpenID Connect provider for the login tests (node's oidc-provider, dev interactions).
// Usage: node provider.js PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
// Any login name with any password signs in; the account's e-mail is LOGIN@chu.test.
// Test fixture only: in-memory storage, development keys.
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);

const provider = new Provider(`http://localhost:${port}`, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    post_logout_redirect_uris: [new URL(redirectUri).origin + '/'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // Streamlit reads the identity from the ID token: put the scope's claims in it.
  conformIdTokenClaims: false,
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: `${id}@chu.test`, email_verified: true, name: `Test ${id}` };
      },
    };
  },
  // The test client is first-party: grant the requested scope without a consent screen.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  features: { devInteractions: { enabled: true } },
});

provider.listen(Number(port), () => console.log(`oidc-provider ready on ${port}`));

import { useState } from 'preact/hooks';
import { api, type Session, type Json } from '../api';
import { ErrorBox } from '../ui';

/**
 * Sign in with an API key and secret (docs/api/customers.md). An admin key may name Json customer (default: the
 * first non-admin customer, else its own); a customer key is checked against `GET C` of the customer given (id or
 * name) or, with none given, discovered by trying the customer list (403 for customer keys).
 */
export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [key, setKey] = useState('');
  const [secret, setSecret] = useState('');
  const [customer, setCustomer] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const creds = { key: key.trim(), secret: secret.trim() };
    try {
      let admin = false;
      let list: Json = null;
      try {
        list = await api(null, 'GET', '/customers?pageSize=500&orderBy=id', undefined, creds);
        admin = true;
      } catch (err: Json) {
        if (err?.status !== 403) throw err;
      }
      let c = customer.trim();
      if (!c) {
        if (!admin) throw new Error('Give the customer (id or name) this key belongs to.');
        const members: Json[] = list?.member ?? [];
        const chosen = members.find((m) => !m.administrator) ?? members[0];
        c = String(chosen?.id ?? '1');
      }
      const found = await api(null, 'GET', `/customers/${encodeURIComponent(c)}`, undefined, creds);
      onSignedIn({ ...creds, customer: String(found.id ?? c), admin });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <h1>Sign in to the Vellum portal</h1>
      <p>
        Use an API key and its secret. They are kept in this tab's session storage only and sent to the API as
        HTTP Basic credentials.
      </p>
      <form onSubmit={(e) => void submit(e)}>
        <label for="key">API key</label>
        <input
          id="key"
          name="key"
          autoComplete="username"
          required
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
        />
        <label for="secret">Secret</label>
        <input
          id="secret"
          name="secret"
          type="password"
          autoComplete="current-password"
          required
          value={secret}
          onInput={(e) => setSecret(e.currentTarget.value)}
        />
        <label for="customer">Customer (id or name; optional for an admin key)</label>
        <input
          id="customer"
          name="customer"
          value={customer}
          onInput={(e) => setCustomer(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <ErrorBox error={error} />
    </main>
  );
}

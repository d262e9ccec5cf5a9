import type { PasswordCredentials, SaslClient } from './types';

const encoder = new TextEncoder();

/**
 * The non-standard LOGIN mechanism (draft-murchison-sasl-login): the server prompts
 * `Username:` then `Password:`. Prompts are answered by position, since their text varies.
 * @example
 * ```ts
 * const sasl = createLoginClient({ user: 'alice', pass: 'secret' });
 * sasl.initialResponse(); // undefined
 * sasl.respond(new TextEncoder().encode('Username:')); // bytes of "alice"
 * sasl.respond(new TextEncoder().encode('Password:')); // bytes of "secret"
 * sasl.complete(); // on 235
 * ```
 */
export function createLoginClient(credentials: PasswordCredentials): SaslClient {
  let step = 0;
  return {
    mechanism: 'LOGIN',
    initialResponse: () => undefined,
    respond: () => {
      step += 1;
      if (step === 1) return encoder.encode(credentials.user);
      if (step === 2) return encoder.encode(credentials.pass);
      throw new RangeError('LOGIN: the server asked for more than a username and a password');
    },
    complete: () => {},
  };
}

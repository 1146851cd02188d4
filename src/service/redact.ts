/**
 * Text from outside (Flagger's event messages) can carry secrets: on a 5xx, 429, timeout or
 * refused connection Flagger's error text holds the whole webhook URL, path secret included,
 * and it forwards that text to `event` webhooks. Before such text reaches a log line:
 * - every known secret (FLAGGER_PATH_SECRET, AUTH_TOKEN) is replaced wherever it appears;
 * - every URL keeps only its scheme and host: a path, query or user-info may be a credential
 *   of any service (ours, a Slack or Teams webhook), and none is needed to read the event.
 */
const URL_PATTERN = /\b([a-z][a-z0-9+.-]*:\/\/)(?:[^\s/?#@"'<>]*@)?([^\s/?#"'<>]*)([^\s"'<>]*)/gi;
export const REDACTED = '[redacted]';

export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  // Short strings would mask ordinary words; the service refuses secrets this short anyway.
  for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join(REDACTED);
  return out.replace(URL_PATTERN, (_url, scheme: string, host: string, rest: string) => `${scheme}${host}${rest ? `/${REDACTED}` : ''}`);
}

/** A string map (Flagger metadata) with every value redacted. */
export function redactValues(map: Readonly<Record<string, string>> | undefined, secrets: readonly string[]): Record<string, string> | undefined {
  if (!map) return undefined;
  const out: Record<string, string> = Object.create(null);
  for (const [key, value] of Object.entries(map)) out[redactText(key, secrets)] = redactText(value, secrets);
  return out;
}

/**
 * A Flagger URL with segments between /v1/flagger/ and the hook type: the right path secret
 * was rewritten away before routing, so what is left is a wrong guess (maybe a near miss, or
 * the secret before a rotation): masked in logs and in the 404 we answer.
 */
export function withoutPathSecret(url: string): string {
  return url.replace(/^\/v1\/flagger\/(?:[^/?]+\/)+(?=[^/?]*(\?|$))/, `/v1/flagger/${REDACTED}/`);
}

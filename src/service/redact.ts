/**
 * Text from outside (Flagger's event messages) can carry secrets: on a 5xx, 429, timeout or
 * refused connection Flagger's error text holds the whole webhook URL, path secret included,
 * and it forwards that text to `event` webhooks. Before such text reaches a log line:
 * - every known secret (FLAGGER_PATH_SECRET, AUTH_TOKEN) is replaced wherever it appears;
 * - every URL keeps only its scheme and host: a path, query or user-info may be a credential
 *   of any service (ours, a Slack or Teams webhook), and none is needed to read the event.
 */
import { CONFIRM_ROLLOUT, JUDGING_TYPES, LOGGED_TYPES } from '../contracts/flagger-webhook';

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

/** The hook types a Flagger URL may end in: the only segments after "flagger" kept in a log line. */
const HOOK_TYPES: readonly string[] = [...JUDGING_TYPES, CONFIRM_ROLLOUT, ...LOGGED_TYPES];

/**
 * A URL as it may be logged or repeated in an answer. Under a Flagger path (any case, any run of
 * slashes: `/V1/flagger/<s>/rollout`, `/v1//flagger/<s>/rollout`), every segment after
 * "flagger" but a final hook type is masked: the right path secret was rewritten away before
 * routing, so what is left there is a wrong guess, a near miss, a secret before a rotation or
 * one without its hook type (`/v1/flagger/<s>`). Any known secret anywhere else in the URL
 * (percent-encoded too) masks the whole path and query.
 */
export function withoutPathSecret(url: string, secrets: readonly string[] = []): string {
  const at = url.search(/[?#]/);
  const path = at < 0 ? url : url.slice(0, at);
  const segments = path.split('/');
  const flagger = segments.findIndex((segment) => safeDecode(segment).toLowerCase() === 'flagger');
  if (flagger >= 0) {
    let last = segments.length - 1;
    while (last > flagger && segments[last] === '') last--;
    for (let i = flagger + 1; i <= last; i++) {
      const keep = segments[i] === '' || (i === last && HOOK_TYPES.includes(segments[i].toLowerCase()));
      if (!keep) segments[i] = REDACTED;
    }
  }
  // A run of masked segments reads as one: how many there were is no one's business.
  const shown = segments.filter((segment, i) => !(segment === REDACTED && segments[i - 1] === REDACTED));
  const masked = shown.join('/') + (at < 0 ? '' : url.slice(at));
  const decoded = safeDecode(masked);
  return secrets.some((secret) => secret.length >= 8 && (masked.includes(secret) || decoded.includes(secret))) ? `/${REDACTED}` : masked;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

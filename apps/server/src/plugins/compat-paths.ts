/**
 * Seed documents spell some paths in several cases (`/api/V4/AccessToken`,
 * `/commandcenter/api/V4/AccessToken`, `/api/v1/PersonalTokens`): these compat routes match
 * case-insensitively (SPEC §6) while every other route stays case-sensitive.
 */
const COMPAT =
  /^\/(?:commandcenter\/)?api\/(v4\/accesstoken|v1\/personaltokens(?:\/authenticate)?)(?=[/?]|$)/i;

const CANONICAL: Record<string, string> = {
  'v4/accesstoken': '/api/v4/accesstoken',
  'v1/personaltokens': '/api/v1/PersonalTokens',
  'v1/personaltokens/authenticate': '/api/v1/PersonalTokens/authenticate',
};

export function rewriteCompatUrl(url: string): string {
  const m = COMPAT.exec(url);
  if (!m) return url;
  return CANONICAL[m[1]!.toLowerCase()]! + url.slice(m[0].length);
}

// Which of a server's endpoints a one-off client (`lifeline opcua browse`) uses: the most secure one that fits what
// was asked (security mode and policy, when given) and the user identity it has (anonymous or a user name). When none
// fits, the error lists what the server offers and which flags select it. Pure: the caller fetched the endpoints.
import { LifelineError } from '../../hub/sdk/index.ts';

/** One endpoint as the server describes it (GetEndpoints), in short names. */
export interface OfferedEndpoint {
  securityMode: string; // None | Sign | SignAndEncrypt
  securityPolicy: string; // None | Basic256Sha256 | … (the part of the URI after '#')
  securityLevel: number;
  /** User token types it accepts: Anonymous, UserName, Certificate, IssuedToken. */
  userTokens: string[];
}

export interface WantedEndpoint { securityMode?: string; securityPolicy?: string; user: 'Anonymous' | 'UserName' }

const MODE_RANK: Record<string, number> = { SignAndEncrypt: 3, Sign: 2, None: 1 };
/** The server's securityLevel first (it says which of its endpoints it deems strongest), then the mode. */
const mostSecureFirst = (a: OfferedEndpoint, b: OfferedEndpoint) => b.securityLevel - a.securityLevel || (MODE_RANK[b.securityMode] ?? 0) - (MODE_RANK[a.securityMode] ?? 0);

/** `None/None (users: Anonymous)` … one line per endpoint. */
export function describeOffer(offered: OfferedEndpoint[]): string {
  return offered.map((e) => `  ${e.securityMode}/${e.securityPolicy} (users: ${e.userTokens.join(', ') || 'none'})`).join('\n');
}

/**
 * The endpoint to connect to. `supported`: the policies this client can use (the config schema's list).
 * Throws OPCUA_NO_MATCHING_ENDPOINT naming the server's endpoints and the flags that would select one.
 */
export function chooseEndpoint(offered: OfferedEndpoint[], want: WantedEndpoint, supported: readonly string[], url: string): OfferedEndpoint {
  const usable = offered.filter((e) => supported.includes(e.securityPolicy) && (e.securityMode === 'None') === (e.securityPolicy === 'None'));
  const fits = usable.filter((e) => (!want.securityMode || e.securityMode === want.securityMode) && (!want.securityPolicy || e.securityPolicy === want.securityPolicy));
  const best = fits.filter((e) => e.userTokens.includes(want.user)).sort(mostSecureFirst)[0];
  if (best) return best;
  const offer = describeOffer(offered);
  let hint: string;
  if (!usable.length) hint = `none of its security policies is one this client supports (${supported.join(', ')})`;
  else if (!fits.length) {
    const e = [...usable].sort(mostSecureFirst)[0]!;
    hint = `none with ${[want.securityMode && `security mode ${want.securityMode}`, want.securityPolicy && `policy ${want.securityPolicy}`].filter(Boolean).join(' and ')}: pass --security-mode ${e.securityMode} --security-policy ${e.securityPolicy}, or leave both out to take the most secure one`;
  } else if (want.user === 'Anonymous') {
    const tokens = [...new Set(fits.flatMap((e) => e.userTokens))];
    hint = tokens.includes('UserName')
      ? 'it allows no anonymous session: pass --user NAME --password PASSWORD'
      : `it allows no anonymous session and no user name (only ${tokens.join(', ') || 'nothing'}), which this command cannot log in with`;
  } else {
    const anonymous = fits.some((e) => e.userTokens.includes('Anonymous'));
    hint = `it takes no user name on ${want.securityMode || want.securityPolicy ? 'those endpoints' : 'any endpoint'}${anonymous ? ': leave out --user to browse anonymously' : ''}`;
  }
  throw new LifelineError('OPCUA_NO_MATCHING_ENDPOINT', `${url}: no endpoint to use: ${hint}. The server offers:\n${offer}`, { details: { offered } });
}

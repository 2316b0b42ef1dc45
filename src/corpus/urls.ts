/** Query parameters that track who shared a link rather than what it points to. */
export const trackingParameters: readonly string[] = [
  'fbclid',
  'gclid',
  'dclid',
  'yclid',
  'msclkid',
  'mc_cid',
  'mc_eid',
  'igshid',
  'si',
  'spm',
  'scm',
  'shareRedId',
  'xhsshare',
  'appuid',
  'apptime',
  'app_platform',
  'app_version',
  'author_share',
  'xsec_token',
  'xsec_source',
  'isappinstalled',
  'scene',
  'chksm',
  'mpshare',
  'vd_source',
  'bbid',
  'ttid',
];

const trackingPrefixes = ['utm_', 'share_', 'sharer_', 'spm_'];

function isTracking(name: string): boolean {
  return trackingParameters.includes(name) || trackingPrefixes.some((prefix) => name.startsWith(prefix));
}

/**
 * Removes tracking parameters (`utm_*`, `spm`, `share_*`, `xsec_token`...) from a URL.
 * A string that does not parse as a URL comes back unchanged.
 *
 * @example
 * stripTrackingParameters('https://a.cn/p?id=1&utm_source=x'); // { url: 'https://a.cn/p?id=1', removed: 1 }
 */
export function stripTrackingParameters(input: string): { url: string; removed: number } {
  let parsed: URL;
  const bare = input.toLowerCase().startsWith('www.');
  try {
    parsed = new URL(bare ? `http://${input}` : input);
  } catch {
    return { url: input, removed: 0 };
  }
  let removed = 0;
  for (const name of [...parsed.searchParams.keys()]) {
    if (isTracking(name)) {
      parsed.searchParams.delete(name);
      removed++;
    }
  }
  if (removed === 0) return { url: input, removed: 0 };
  const url = parsed.toString();
  return { url: bare ? url.replace(/^http:\/\//, '') : url, removed };
}

/** Every header and URL a fake received, flattened, to look for leaked secrets. */
export function urlsOf(peer: { requests: { url: string }[] }): string {
  return peer.requests.map((r) => r.url).join('\n');
}

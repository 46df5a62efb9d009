// The base URL other parties use to reach this deployment (pay pages, the
// sandbox's notifications). It is OVATION_PUBLIC_URL, or derived from HOST and
// PORT; with PORT=0 (tests, ad-hoc runs) the port is only known once the
// server has bound, so the URL stays unresolved until startServer reports it.
export interface PublicUrl {
  /** The base URL without a trailing slash, or null while the port is unknown. */
  get(): string | null;
  /** The port this process's server bound; resolves a URL configured with port 0 (no effect otherwise). */
  bindPort(port: number): void;
}

export function createPublicUrl(configured: string): PublicUrl {
  const parsed = new URL(configured);
  let resolved: string | null = parsed.port === "0" ? null : configured.replace(/\/$/, "");
  return {
    get: () => resolved,
    bindPort(port) {
      if (resolved !== null) return;
      parsed.port = String(port);
      resolved = parsed.toString().replace(/\/$/, "");
    },
  };
}

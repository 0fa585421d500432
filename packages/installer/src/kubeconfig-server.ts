// The `server:` of a kubeconfig, changed in place: every other byte of the file stays as it was,
// so reset can compare and put the original back exactly. Pure: text in, text out.

/** The API server address kubelet reaches through the VIP. */
export const vipServer = (name: string, port: number): string => `https://${name}:${port}`;

const SERVER_LINE = /^(\s*server:\s*)(["']?)([^"'\s#]+)\2(\s*(#.*)?)$/;

/**
 * The text with each `server: FROM` line (plain or quoted) made `server: TO`; undefined when no
 * such line is there (a flow-style or otherwise unusual file, which kha does not rewrite).
 */
export function withServer(text: string, from: string, to: string): string | undefined {
  let found = false;
  const lines = text.split('\n').map((line) => {
    const m = SERVER_LINE.exec(line);
    // URL's origin has no trailing slash; a kubeconfig may have one.
    if (!m || m[3]!.replace(/\/$/, '') !== from.replace(/\/$/, '')) return line;
    found = true;
    return `${m[1]}${m[2]}${to}${m[2]}${m[4]}`;
  });
  return found ? lines.join('\n') : undefined;
}

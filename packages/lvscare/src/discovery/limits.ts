// How much of the API's answers and of the node's files discovery will take. The API is a
// convenience (the seed and the kernel's rules carry the node without it), so an answer past
// these bounds is a bad answer, counted and logged, never something to make room for. Pure.

/** Far more than any control plane has; an answer or a state file listing more is not ours. */
export const MAX_MASTERS = 64;

/**
 * One answer or one watch event: the `kubernetes` Endpoints or EndpointSlice with 64 masters and
 * its managed fields is a few KiB; a hundred times that is still far from a real one.
 */
export const MAX_ANSWER_BYTES = 512 << 10;

/**
 * Changes one watch may bring (bookmarks aside). A watch lasts one period, and the `kubernetes`
 * registration changes when a master joins or leaves: a watch with more is a flood, ended and
 * counted, so that a writer re-sending the object every few milliseconds costs a bounded amount
 * of parsing per period, not a busy event loop.
 */
export const MAX_CHANGES_PER_WATCH = 16;

/** What is kept or shown of an error text from the API or the network (/readyz, the log). */
export const MAX_ERROR_TEXT = 256;

/** kubelet.conf with inline certificates is a few KiB. */
export const MAX_KUBECONFIG_BYTES = 256 << 10;
/** A client certificate, key or CA named by the kubeconfig; a token file. */
export const MAX_CREDENTIAL_BYTES = 64 << 10;
/** The state file with MAX_MASTERS IPv6 masters is under 4 KiB. */
export const MAX_STATE_FILE_BYTES = 64 << 10;

/**
 * One line of text fit for a log field or /readyz: control characters and runs of white space
 * become one space, and anything past `max` characters is cut with a count of what was left out.
 */
export function boundedText(text: string, max: number = MAX_ERROR_TEXT): string {
  // Only the head is looked at: a 3 MB message costs no more than its first few hundred bytes.
  const head = text
    .slice(0, max * 2)
    .replace(/[\s\p{Cc}]+/gu, ' ')
    .trim();
  if (text.length <= max * 2 && head.length <= max) return head;
  return `${head.slice(0, max)}… (${text.length} characters in all)`;
}

import { AttributeEncoder, Attributes } from '../attributes.js';
import type { NetlinkConnection } from '../connection.js';
import { NetlinkDecodeError } from '../errors.js';
import { decodeGenl, encodeGenl } from './header.js';

// Generic netlink controller, include/uapi/linux/genetlink.h.
/** The controller's fixed message type. */
export const GENL_ID_CTRL = 0x10;
/** Controller command: look a family up by name. */
export const CTRL_CMD_GETFAMILY = 3;
/** Controller attribute: the family id (u16). */
export const CTRL_ATTR_FAMILY_ID = 1;
/** Controller attribute: the family name (string). */
export const CTRL_ATTR_FAMILY_NAME = 2;
/** Controller attribute: the family's version (u32). */
export const CTRL_ATTR_VERSION = 3;
const CTRL_VERSION = 1;

/** A generic netlink family as the controller reports it. */
export interface GenlFamily {
  id: number;
  name: string;
  version: number;
}

/** The generic netlink payload of CTRL_CMD_GETFAMILY for one family name. */
export function encodeGetFamily(name: string): Buffer {
  const attrs = new AttributeEncoder().string(CTRL_ATTR_FAMILY_NAME, name).encode();
  return encodeGenl({ command: CTRL_CMD_GETFAMILY, version: CTRL_VERSION }, attrs);
}

/** The controller's reply to CTRL_CMD_GETFAMILY. */
export function decodeFamily(payload: Buffer): GenlFamily {
  const attrs = Attributes.parse(decodeGenl(payload).attributes, 'genl family');
  return {
    id: attrs.u16(CTRL_ATTR_FAMILY_ID),
    name: attrs.string(CTRL_ATTR_FAMILY_NAME),
    version: attrs.optU32(CTRL_ATTR_VERSION) ?? 0,
  };
}

/** Asks the controller for a family's id. The kernel answers ENOENT for an unknown family. */
export async function resolveFamily(conn: NetlinkConnection, name: string): Promise<GenlFamily> {
  const replies = await conn.request({
    type: GENL_ID_CTRL,
    payload: encodeGetFamily(name),
    operation: `resolve generic netlink family ${name}`,
  });
  const first = replies[0];
  if (!first)
    throw new NetlinkDecodeError(`generic netlink controller sent no reply for family ${name}`);
  return decodeFamily(first.payload);
}

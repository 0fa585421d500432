// The floor under `lvscare ipvs list --json` in bench/ipvs-list.ts: a fresh node that does what
// any Node listing must, and nothing else. It loads koffi's native module, resolves the IPVS
// family, dumps the services and then each service's destinations with the requests lvscare
// sends, and writes as many bytes as lvscare's listing (argv[2]). It decodes nothing beyond
// copying each service's nest into its GET_DEST request and counting replies, and loads none of
// our modules. What lvscare takes above this is ours: loading our code, decoding, building JSON.
// The numbers are the kernel's ABI (linux/netlink.h, linux/genetlink.h, linux/ip_vs.h).
import { createRequire } from 'node:module';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_GENERIC = 16;
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const GENL_ID_CTRL = 0x10;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR_FAMILY_ID = 1;
const CTRL_ATTR_FAMILY_NAME = 2;
const IPVS_CMD_GET_SERVICE = 4;
const IPVS_CMD_GET_DEST = 8;
const IPVS_CMD_ATTR_SERVICE = 1;
const NLA_TYPE_MASK = 0x3fff;

type Call = (...args: unknown[]) => number;
interface Koffi {
  load(path: string): { func(signature: string): Call };
}
// koffi as lvscare loads it: its platform package's native module, found from netlink-ffi.
const require = createRequire(new URL('../../packages/netlink-ffi/package.json', import.meta.url));
const { platform, arch } = process;
const koffi = require(`@koromix/koffi-${platform}-${arch}/${platform}_${arch}/koffi.node`) as Koffi;
const libc = koffi.load('libc.so.6');
const socket = libc.func('int socket(int domain, int type, int protocol)');
const send = libc.func('intptr_t send(int fd, void *buf, size_t len, int flags)');
const recv = libc.func('intptr_t recv(int fd, void *buf, size_t len, int flags)');

const align = (n: number): number => (n + 3) & ~3;
const fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
if (fd < 0) throw new Error('netlink socket failed');
const rx = Buffer.alloc(1 << 16);
const tx = Buffer.alloc(1 << 12); // one request buffer, reused, as lvscare does
let seq = 0;

/** Sends one request: a netlink and a generic netlink header, then `attrs` as they are. */
function request(type: number, flags: number, command: number, attrs: Buffer): void {
  const length = 20 + attrs.length;
  tx.writeUInt32LE(length, 0);
  tx.writeUInt16LE(type, 4);
  tx.writeUInt16LE(NLM_F_REQUEST | flags, 6);
  tx.writeUInt32LE(++seq, 8);
  tx[16] = command;
  tx[17] = 1;
  attrs.copy(tx, 20);
  if (send(fd, tx, length, 0) !== length) throw new Error('netlink send failed');
}

/** Reads replies until the request is answered, handing each message's offset and end to `each`. */
function replies(dump: boolean, each: (at: number, end: number) => void): void {
  for (;;) {
    const n = recv(fd, rx, rx.length, 0);
    if (n < 0) throw new Error('netlink recv failed');
    for (let at = 0; at < n; at = align(at + rx.readUInt32LE(at))) {
      const type = rx.readUInt16LE(at + 4);
      if (type === NLMSG_DONE) return;
      if (type === NLMSG_ERROR) {
        const errno = -rx.readInt32LE(at + 16);
        if (errno !== 0) throw new Error(`netlink error ${errno}`);
        return;
      }
      each(at, at + rx.readUInt32LE(at));
    }
    if (!dump) return;
  }
}

/** The first top-level attribute `type` of the message at buf[at, end), header included. */
function attribute(at: number, end: number, type: number): Buffer {
  for (let a = at + 20; a < end; a = align(a + rx.readUInt16LE(a))) {
    if ((rx.readUInt16LE(a + 2) & NLA_TYPE_MASK) === type)
      return Buffer.from(rx.subarray(a, a + rx.readUInt16LE(a)));
  }
  throw new Error(`reply without attribute ${type}`);
}

const name = Buffer.alloc(12);
name.writeUInt16LE(4 + 5, 0);
name.writeUInt16LE(CTRL_ATTR_FAMILY_NAME, 2);
name.write('IPVS\0', 4);
request(GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, name);
let family = 0;
replies(false, (at, end) => (family = attribute(at, end, CTRL_ATTR_FAMILY_ID).readUInt16LE(4)));

const services: Buffer[] = [];
request(family, NLM_F_DUMP, IPVS_CMD_GET_SERVICE, Buffer.alloc(0));
replies(true, (at, end) => services.push(attribute(at, end, IPVS_CMD_ATTR_SERVICE)));
let destinations = 0;
for (const service of services) {
  request(family, NLM_F_DUMP, IPVS_CMD_GET_DEST, service);
  replies(true, () => destinations++);
}
process.stderr.write(`${services.length} services, ${destinations} destinations\n`);
process.stdout.write(Buffer.alloc(Number(process.argv[2] ?? 0), 0x20));

/**
 * Which hosts the server may POST notifications to (`--notify-allow-host`, repeatable). A queue owner chooses a
 * rule's URL, so without a list the server could be made to call any address it can reach: a cloud metadata
 * endpoint, an admin port on localhost, a machine inside the lab's network. Nothing is allowed by default.
 *
 * An entry is a host name (`hooks.slack.com`), a suffix (`*.example.org`: its subdomains), an IP address, or a CIDR
 * range (`10.1.0.0/16`). A URL is allowed when its host matches an entry; that is checked when a rule is created and
 * again at each delivery. At delivery the host is also resolved, and every address it resolves to must be public,
 * or be named explicitly by an address or range entry: a name's DNS may change after the rule was accepted
 * (DNS rebinding), and the connection goes to the address checked, not to a second lookup. `localhost` as an entry
 * names the loopback addresses too, as it never goes to DNS (RFC 6761).
 */
import { BlockList, isIP } from "node:net";

/** Address ranges that are not the public internet: never reached unless an entry names them. */
const SPECIAL_RANGES: ReadonlyArray<[string, number, "ipv4" | "ipv6"]> = [
  ["0.0.0.0", 8, "ipv4"], // "this network"
  ["10.0.0.0", 8, "ipv4"],
  ["100.64.0.0", 10, "ipv4"], // carrier-grade NAT
  ["127.0.0.0", 8, "ipv4"],
  ["169.254.0.0", 16, "ipv4"], // link-local, cloud metadata endpoints
  ["172.16.0.0", 12, "ipv4"],
  ["192.0.0.0", 24, "ipv4"],
  ["192.168.0.0", 16, "ipv4"],
  ["198.18.0.0", 15, "ipv4"], // benchmarking
  ["224.0.0.0", 3, "ipv4"], // multicast and reserved, up to 255.255.255.255
  ["::", 128, "ipv6"],
  ["::1", 128, "ipv6"],
  ["64:ff9b::", 96, "ipv6"], // NAT64
  ["fc00::", 7, "ipv6"], // unique local
  ["fe80::", 10, "ipv6"], // link-local
  ["ff00::", 8, "ipv6"], // multicast
];

// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are checked as their IPv4 form (see normalize): a ::ffff:0:0/96 rule
// would also match every IPv4 address in Node's BlockList.
const special = new BlockList();
for (const [address, prefix, family] of SPECIAL_RANGES) special.addSubnet(address, prefix, family);

/** A target the allow-list refuses; the message says which entry would allow it. */
export class TargetRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An IPv4-mapped IPv6 address as its IPv4 form, so one range list covers both. */
function normalize(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

function family(address: string): "ipv4" | "ipv6" {
  return isIP(address) === 6 ? "ipv6" : "ipv4";
}

/** A URL's host without IPv6 brackets, lower case. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
}

export class AllowList {
  private readonly names = new Set<string>();
  private readonly suffixes: string[] = [];
  private readonly addresses = new BlockList();
  private addressEntries = 0;

  /** @throws RangeError for an entry that is none of the forms above. */
  constructor(readonly entries: readonly string[] = []) {
    for (const raw of entries) {
      const entry = raw.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
      const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
      if (cidr && isIP(cidr[1]!) !== 0) {
        const bits = Number(cidr[2]);
        const kind = family(cidr[1]!);
        if (bits > (kind === "ipv4" ? 32 : 128)) throw new RangeError(`--notify-allow-host must be a host, an address or a range (got ${raw})`);
        this.addresses.addSubnet(normalize(cidr[1]!), bits, family(normalize(cidr[1]!)));
        this.addressEntries++;
      } else if (isIP(entry) !== 0) {
        this.addresses.addAddress(normalize(entry), family(normalize(entry)));
        this.addressEntries++;
      } else if (/^\*\.[a-z0-9.-]+$/.test(entry)) {
        this.suffixes.push(entry.slice(1));
      } else if (/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(entry)) {
        this.names.add(entry);
        if (entry === "localhost") {
          this.addresses.addSubnet("127.0.0.0", 8, "ipv4");
          this.addresses.addAddress("::1", "ipv6");
        }
      } else {
        throw new RangeError(`--notify-allow-host must be a host, *.domain, an address or a range (got ${raw})`);
      }
    }
  }

  /** Whether the list allows nothing (the default). */
  get empty(): boolean {
    return this.names.size === 0 && this.suffixes.length === 0 && this.addressEntries === 0;
  }

  private allowsAddress(address: string): boolean {
    const plain = normalize(address);
    return this.addresses.check(plain, family(plain));
  }

  /**
   * Checks a rule's URL: an http(s) URL whose host an entry names. Returns the parsed URL.
   * @throws TargetRefusedError
   */
  checkUrl(text: string): URL {
    const url = parseTargetUrl(text);
    const host = hostOf(url);
    const allowed = isIP(host) !== 0 ? this.allowsAddress(host) : this.names.has(host) || this.suffixes.some((suffix) => host.endsWith(suffix));
    if (!allowed) {
      throw new TargetRefusedError(
        `the server does not send notifications to ${host}: its --notify-allow-host list ` +
          (this.empty ? "is empty (nothing is allowed by default)" : `allows ${this.entries.join(", ")}`) +
          `; the server's operator can add --notify-allow-host ${host}`,
      );
    }
    return url;
  }

  /**
   * Checks an address the URL's host resolved to at delivery: public, or named by an address entry.
   * @throws TargetRefusedError
   */
  checkAddress(host: string, address: string): void {
    const plain = normalize(address);
    if (special.check(plain, family(plain)) && !this.allowsAddress(plain)) {
      throw new TargetRefusedError(
        `${host} resolves to ${address}, a loopback, private or reserved address that --notify-allow-host does not name ` +
          `(name the address or its range to allow it)`,
      );
    }
  }
}

/**
 * A rule's URL parsed: http or https, no credentials in it (they would be sent to the receiver in clear, and shown by
 * `notify ls`).
 * @throws TargetRefusedError
 */
export function parseTargetUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TargetRefusedError(`url must be an http:// or https:// URL (got ${text})`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TargetRefusedError(`url must be an http:// or https:// URL (got ${text})`);
  if (url.username || url.password) throw new TargetRefusedError("url must not hold a user name or password: use a token in its path or query");
  return url;
}

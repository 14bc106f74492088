/** The allow-list of notification targets: names, suffixes, addresses and ranges; private addresses at delivery. */
import { describe, expect, it } from "vitest";
import { AllowList, TargetRefusedError } from "../../src/notify/allowList.js";

describe("AllowList", () => {
  it("allows nothing by default, loopback included", () => {
    const list = new AllowList();
    expect(list.empty).toBe(true);
    for (const url of ["http://127.0.0.1:8080/x", "http://localhost/x", "https://hooks.slack.com/services/x"]) {
      expect(() => list.checkUrl(url)).toThrow(TargetRefusedError);
    }
  });

  it("matches names exactly or by suffix, and addresses by entry or range", () => {
    const list = new AllowList(["hooks.slack.com", "*.example.org", "10.1.0.0/16", "::1"]);
    expect(list.checkUrl("https://hooks.slack.com/services/x").hostname).toBe("hooks.slack.com");
    expect(() => list.checkUrl("https://evil-hooks.slack.com/")).toThrow(/does not send notifications to evil-hooks\.slack\.com/);
    expect(() => list.checkUrl("https://a.b.example.org/")).not.toThrow();
    expect(() => list.checkUrl("https://example.org.evil.net/")).toThrow(TargetRefusedError);
    expect(() => list.checkUrl("http://10.1.2.3:9000/")).not.toThrow();
    expect(() => list.checkUrl("http://10.2.0.1/")).toThrow(TargetRefusedError);
    expect(() => list.checkUrl("http://[::1]:9000/")).not.toThrow();
    expect(() => list.checkUrl("file:///etc/passwd")).toThrow(/http:\/\/ or https:\/\//);
    expect(() => list.checkUrl("https://user:pw@hooks.slack.com/")).toThrow(/must not hold a user name or password/);
  });

  it("refuses private, loopback and link-local addresses a name resolves to, unless an entry names them", () => {
    const list = new AllowList(["hooks.example.org", "10.1.0.0/16"]);
    expect(() => list.checkAddress("hooks.example.org", "93.184.216.34")).not.toThrow();
    expect(() => list.checkAddress("hooks.example.org", "169.254.169.254")).toThrow(/resolves to 169\.254\.169\.254/);
    expect(() => list.checkAddress("hooks.example.org", "127.0.0.1")).toThrow(TargetRefusedError);
    expect(() => list.checkAddress("hooks.example.org", "::ffff:192.168.1.1")).toThrow(TargetRefusedError);
    expect(() => list.checkAddress("hooks.example.org", "fd00::1")).toThrow(TargetRefusedError);
    expect(() => list.checkAddress("hooks.example.org", "10.1.9.9")).not.toThrow();
    // `localhost` never goes to DNS: naming it names the loopback addresses.
    expect(() => new AllowList(["localhost"]).checkAddress("localhost", "::1")).not.toThrow();
  });

  it("refuses entries that are none of the forms", () => {
    expect(() => new AllowList(["http://hooks.slack.com"])).toThrow(RangeError);
    expect(() => new AllowList(["10.0.0.0/40"])).toThrow(RangeError);
  });
});

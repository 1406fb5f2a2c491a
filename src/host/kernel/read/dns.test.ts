import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseResolvConf, resolvConfPathFor } from "./dns.ts";

describe("parseResolvConf", () => {
  it("reads servers in order, the search list and options", () => {
    const text = "# generated\nnameserver 192.0.2.53\nnameserver 2001:0db8::53\nsearch example.com example.org\noptions ndots:2 timeout:1\noptions rotate\n";
    assert.deepEqual(parseResolvConf(text), {
      server: ["192.0.2.53", "2001:db8::53"],
      search: ["example.com", "example.org"],
      options: ["ndots:2", "timeout:1", "rotate"],
    });
  });

  it("lets the last search or domain line win, as the resolver does", () => {
    assert.deepEqual(parseResolvConf("search a.example\ndomain b.example\n").search, ["b.example"]);
    assert.deepEqual(parseResolvConf("domain b.example\nsearch a.example c.example\n").search, ["a.example", "c.example"]);
  });

  it("keeps the zone of a link-local server and ignores comments", () => {
    assert.deepEqual(parseResolvConf("; comment\nnameserver fe80::1%eth0\n"), { server: ["fe80::1%eth0"] });
  });

  it("is empty for an empty file", () => {
    assert.deepEqual(parseResolvConf(""), {});
  });
});

describe("resolvConfPathFor", () => {
  it("prefers the namespace's own file, as `ip netns exec` does", () => {
    assert.deepEqual(resolvConfPathFor("n1"), ["/etc/netns/n1/resolv.conf"]);
    assert.deepEqual(resolvConfPathFor(undefined), ["/etc/resolv.conf"]);
  });
});

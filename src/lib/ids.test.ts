import { describe, expect, test } from "bun:test";
import { fingerprint } from "./ids.ts";

describe("fingerprint", () => {
  // Admission records keep the fingerprint across a deploy (the hot store
  // outlives a process): a retry answered by a newer process must compute
  // the same digest, so the value itself is pinned here.
  test("is the first 22 base64url characters of SHA-256 over the parts joined by U+001F", () => {
    expect(fingerprint(3, 77, 654321)).toBe("_12d6CM8jrWzB9ptQkexwn");
    expect(fingerprint("a", 1)).toBe("g54RpCHTcL4o21b95n6ard");
  });

  test("tells different parts apart", () => {
    expect(fingerprint(1, 23)).not.toBe(fingerprint(12, 3));
  });
});

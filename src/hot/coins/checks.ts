// The coins' argument checks both adapters share.
import { checkNonEmpty, checkNonNegativeInt, checkPositiveInt, checkString } from "../checks.ts";
import { PENDING_BUCKETS, type AccountSnapshot, type AdmitInput } from "./port.ts";

export function checkAdmit(input: AdmitInput): void {
  checkPositiveInt("userId", input.userId);
  checkNonEmpty("admissionId", input.admissionId);
  checkPositiveInt("amount", input.amount);
  checkString("fingerprint", input.fingerprint);
  if (input.payload !== undefined) checkNonEmpty("payload", input.payload);
  if (input.load) checkSnapshot(input.load);
  if (input.rateLimit) {
    checkNonEmpty("rate limit name", input.rateLimit.name);
    checkNonNegativeInt("rate limit", input.rateLimit.limit);
    checkPositiveInt("rate limit windowSec", input.rateLimit.windowSec);
  }
}

export function checkSnapshot(s: AccountSnapshot): void {
  checkNonNegativeInt("balance", s.balance);
  checkNonNegativeInt("version", s.version);
}

export function checkAdmissionRef(userId: number, admissionId: string): void {
  checkPositiveInt("userId", userId);
  checkNonEmpty("admissionId", admissionId);
}

export function checkClaim(bucket: number, olderThanMs: number, limit: number): void {
  checkNonNegativeInt("bucket", bucket);
  if (bucket >= PENDING_BUCKETS) throw new RangeError(`hot store: bucket must be below ${PENDING_BUCKETS}, got ${bucket}`);
  checkNonNegativeInt("olderThanMs", olderThanMs);
  checkPositiveInt("limit", limit);
}

/** The pending-index member of an admission: `<userId>:<admissionId>` (user ids have no colon). */
export function pendingMember(userId: number, admissionId: string): string {
  return `${userId}:${admissionId}`;
}

export function parsePendingMember(member: string): { userId: number; admissionId: string } {
  const i = member.indexOf(":");
  return { userId: Number(member.slice(0, i)), admissionId: member.slice(i + 1) };
}
